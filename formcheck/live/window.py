"""The OpenCV window of a live session, and whether one can be opened at all."""

from __future__ import annotations

import os
import sys

import cv2
import numpy as np

# Keys the session understands, as ``cv2.waitKey`` codes.
KEYS: dict[int, str] = {ord("q"): "q", 27: "q", ord(" "): "space", ord("r"): "r", ord("n"): "n"}


def display_available() -> tuple[bool, str]:
    """Whether a window can be shown here, and why not.

    Linux without ``DISPLAY`` or ``WAYLAND_DISPLAY`` has no screen to draw on
    (a server, a container, an SSH session); other systems always have one.

    Returns:
        ``(True, "")`` or ``(False, reason)``.
    """
    if sys.platform.startswith("linux") and not (
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
    ):
        return False, "no display (DISPLAY is not set): running without a window"
    return True, ""


class Window:
    """A resizable OpenCV window that shows BGR images and reports key presses.

    Args:
        title: window title.
    """

    def __init__(self, title: str = "formcheck live") -> None:
        self.title = title
        self._sized = False
        cv2.namedWindow(title, cv2.WINDOW_NORMAL)

    def show(self, image_bgr: np.ndarray, wait_ms: int = 1) -> str | None:
        """Show ``image_bgr`` and poll the keyboard for ``wait_ms``.

        Returns:
            ``"q"``, ``"space"``, ``"r"``, ``"n"`` for those keys (Esc is ``"q"``),
            ``"q"`` when the window was closed, ``"other"`` for any other key,
            None when no key was pressed.
        """
        if not self._sized:  # WINDOW_NORMAL opens small: start at the image's size
            cv2.resizeWindow(self.title, image_bgr.shape[1], image_bgr.shape[0])
            self._sized = True
        cv2.imshow(self.title, image_bgr)
        code = cv2.waitKey(wait_ms)
        if cv2.getWindowProperty(self.title, cv2.WND_PROP_VISIBLE) < 1:
            return "q"
        if code < 0:
            return None
        return KEYS.get(code & 0xFF, "other")

    def close(self) -> None:
        cv2.destroyWindow(self.title)


def notice_image(lines: list[str], width: int, height: int) -> np.ndarray:
    """A dark BGR card of ``width`` x ``height`` with ``lines`` of text, wrapped to fit."""
    image = np.full((height, width, 3), 24, dtype=np.uint8)
    scale = max(0.45, min(width, height) / 900.0)
    thick = max(1, round(scale * 1.5))
    line_h = int(32 * scale)
    margin = int(24 * scale)
    y = margin + line_h
    for line in lines:
        words, row = line.split(), ""
        for word in [*words, None]:
            trial = f"{row} {word}".strip() if word else row
            fits = cv2.getTextSize(trial, cv2.FONT_HERSHEY_SIMPLEX, scale, thick)[0][0]
            if word is not None and (fits <= width - 2 * margin or not row):
                row = trial
                continue
            cv2.putText(
                image,
                row,
                (margin, y),
                cv2.FONT_HERSHEY_SIMPLEX,
                scale,
                (235, 235, 235),
                thick,
                cv2.LINE_AA,
            )
            y += line_h
            row = word or ""
        y += line_h // 3
    return image
