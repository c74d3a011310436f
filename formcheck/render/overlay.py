"""On-screen feedback: skeleton, key angles at their joints, counters, hold timer, cue.

Each annotator has one method, ``annotate(image, ...) -> image``; style goes in
``__init__``. Images are BGR uint8 (OpenCV's order) and are drawn on in place.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

from formcheck.landmarks import INDEX, SKELETON_EDGES, VISIBILITY_MIN
from formcheck.types import PoseFrame

_FONT = cv2.FONT_HERSHEY_SIMPLEX


@dataclass(frozen=True, slots=True)
class AngleLabel:
    """A value to print next to a landmark (e.g. the knee angle at the knee)."""

    landmark: str
    text: str


@dataclass(frozen=True, slots=True)
class OverlayState:
    """What the heads-up display shows for one frame.

    Attributes:
        title: exercise title.
        state: session state line ("Exercising", "Step back into view"...).
        counters: lines such as "Reps 5 / 8-12" or "Left 3  Right 2".
        hold_s / hold_target_s: current hold time against its target (None: no hold).
        hold_label: what is held ("Hold", or the rep's working position, "Top").
        cue: the one current coaching cue, or "".
        cue_is_fault: draw the cue as a correction (amber) rather than praise.
        angles: labels to draw at joints.
        footer: small print (fps, latency).
    """

    title: str = ""
    state: str = ""
    counters: tuple[str, ...] = ()
    hold_s: float | None = None
    hold_target_s: float | None = None
    hold_label: str = "Hold"
    cue: str = ""
    cue_is_fault: bool = False
    angles: tuple[AngleLabel, ...] = field(default_factory=tuple)
    footer: str = ""


def _pixel(xy: np.ndarray, name: str) -> tuple[int, int] | None:
    x, y = xy[INDEX[name]]
    if not (np.isfinite(x) and np.isfinite(y)):
        return None
    return int(round(x)), int(round(y))


def _text(image: np.ndarray, text: str, org: tuple[int, int], scale: float, color, thick: int):
    """Text with a dark outline so it reads on any background."""
    cv2.putText(image, text, org, _FONT, scale, (0, 0, 0), thick + 3, cv2.LINE_AA)
    cv2.putText(image, text, org, _FONT, scale, color, thick, cv2.LINE_AA)


def _wrap(text: str, scale: float, thick: int, max_width: int) -> list[str]:
    """Split ``text`` into lines that fit ``max_width`` pixels at this font size."""
    lines: list[str] = []
    for word in text.split():
        candidate = f"{lines[-1]} {word}" if lines else word
        if lines and cv2.getTextSize(candidate, _FONT, scale, thick)[0][0] <= max_width:
            lines[-1] = candidate
        else:
            lines.append(word)
    return lines


class SkeletonAnnotator:
    """Draws the body skeleton and the joint labels of an ``OverlayState``.

    Args:
        color: BGR colour of bones.
        visibility_min: landmarks below this are not drawn (they are guesses);
            pass the spec's ``session.visibility_min`` where a spec is known.
    """

    def __init__(self, color=(255, 200, 80), visibility_min: float = VISIBILITY_MIN) -> None:
        self.color = color
        self.visibility_min = visibility_min

    def annotate(
        self, image: np.ndarray, pose: PoseFrame, angles: tuple[AngleLabel, ...] = ()
    ) -> np.ndarray:
        if not pose.detected:
            return image
        scale = max(image.shape[:2]) / 640.0
        thick = max(1, int(round(2 * scale)))
        visible = pose.visibility >= self.visibility_min
        xy = pose.pixel_xy()
        for a, b in SKELETON_EDGES:
            if not (visible[INDEX[a]] and visible[INDEX[b]]):
                continue
            pa, pb = _pixel(xy, a), _pixel(xy, b)
            if pa and pb:
                cv2.line(image, pa, pb, self.color, thick, cv2.LINE_AA)
        for a, b in SKELETON_EDGES:
            for name in (a, b):
                p = _pixel(xy, name)
                if p and visible[INDEX[name]]:
                    cv2.circle(image, p, thick + 2, (255, 255, 255), -1, cv2.LINE_AA)
        for label in angles:
            p = _pixel(xy, label.landmark)
            if p:
                offset = int(12 * scale)
                _text(
                    image,
                    label.text,
                    (p[0] + offset, p[1] - offset),
                    0.55 * scale,
                    (80, 255, 255),
                    thick,
                )
        return image


class HudAnnotator:
    """Draws the title, state, counters, hold-timer bar, cue and footer."""

    def __init__(self, margin: int = 12) -> None:
        self.margin = margin

    def annotate(self, image: np.ndarray, state: OverlayState) -> np.ndarray:
        h, w = image.shape[:2]
        scale = max(h, w) / 640.0
        thick = max(1, int(round(scale)))
        line_h = int(26 * scale)
        x, y = self.margin, self.margin + line_h
        panel_lines = [state.title, state.state, *state.counters]
        panel_h = line_h * (len(panel_lines) + (1 if state.hold_target_s else 0)) + self.margin
        # A translucent dark panel, blended in place: only its own pixels are touched
        # (a full-frame copy and blend cost ~2 ms a frame at 720p).
        panel = image[: panel_h + 1, : int(w * 0.45) + 1]
        cv2.addWeighted(np.full_like(panel, 30), 0.55, panel, 0.45, 0, dst=panel)
        for i, line in enumerate(panel_lines):
            color = (255, 255, 255) if i else (120, 220, 255)
            _text(image, line, (x, y), 0.6 * scale, color, thick)
            y += line_h
        if state.hold_target_s:
            held = state.hold_s or 0.0
            frac = min(1.0, held / state.hold_target_s)
            bar_w = int(w * 0.45) - 2 * self.margin
            top = y - int(line_h * 0.7)
            cv2.rectangle(image, (x, top), (x + bar_w, top + int(line_h * 0.6)), (90, 90, 90), -1)
            cv2.rectangle(
                image, (x, top), (x + int(bar_w * frac), top + int(line_h * 0.6)), (80, 200, 80), -1
            )
            _text(
                image,
                f"{state.hold_label} {held:4.1f} / {state.hold_target_s:.0f} s",
                (x + 4, y - 4),
                0.5 * scale,
                (255, 255, 255),
                thick,
            )
        if state.cue:
            color = (60, 180, 255) if state.cue_is_fault else (120, 230, 120)
            lines = _wrap(state.cue, 0.8 * scale, thick + 1, w - 2 * self.margin)
            y = h - int(40 * scale) - (len(lines) - 1) * line_h
            for line in lines:
                size = cv2.getTextSize(line, _FONT, 0.8 * scale, thick + 1)[0]
                _text(
                    image,
                    line,
                    (max(self.margin, (w - size[0]) // 2), y),
                    0.8 * scale,
                    color,
                    thick + 1,
                )
                y += line_h
        if state.footer:
            _text(
                image,
                state.footer,
                (self.margin, h - self.margin),
                0.45 * scale,
                (200, 200, 200),
                thick,
            )
        return image


def annotate(
    image_bgr: np.ndarray,
    pose: PoseFrame,
    state: OverlayState,
    skeleton: SkeletonAnnotator | None = None,
    hud: HudAnnotator | None = None,
) -> np.ndarray:
    """Skeleton, joint labels and HUD in one call (the usual composition)."""
    (skeleton or SkeletonAnnotator()).annotate(image_bgr, pose, state.angles)
    return (hud or HudAnnotator()).annotate(image_bgr, state)
