"""Batch progress on stderr: a bar with ETA on a terminal, plain lines otherwise.

File names and errors are shown with control characters escaped (a name may hold
a carriage return or an ANSI escape sequence)."""

from __future__ import annotations

import sys
from typing import Protocol, TextIO

from tqdm import tqdm

from formcheck.safe_text import for_terminal


class Progress(Protocol):
    """Receives one call per finished video."""

    def start(self, total: int, skipped: int) -> None:
        """``total`` videos will run; ``skipped`` were unchanged since the last run."""
        ...

    def done(self, rel: str, status: str, seconds: float, error: str | None) -> None:
        """Video ``rel`` finished with ``status`` (``ok``, ``needs review`` or
        ``failed``) after ``seconds``."""
        ...

    def close(self) -> None: ...


class LineProgress:
    """One line per video (``[3/10] ok p1/squat.mp4 (12.3 s)``), for logs and pipes."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._total = 0
        self._count = 0

    def start(self, total: int, skipped: int) -> None:
        self._total = total
        if skipped:
            self._stream.write(f"{skipped} unchanged video(s) skipped\n")
        self._stream.flush()

    def done(self, rel: str, status: str, seconds: float, error: str | None) -> None:
        self._count += 1
        why = f": {error}" if error else ""
        line = f"[{self._count}/{self._total}] {status} {rel} ({seconds:.1f} s){why}"
        self._stream.write(for_terminal(line) + "\n")
        self._stream.flush()

    def close(self) -> None:
        self._stream.flush()


class BarProgress:
    """A ``tqdm`` bar (videos done, rate, ETA); failures are printed above it."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._bar: tqdm | None = None

    def start(self, total: int, skipped: int) -> None:
        if skipped:
            self._stream.write(f"{skipped} unchanged video(s) skipped\n")
        self._bar = tqdm(total=total, unit="video", file=self._stream, dynamic_ncols=True)

    def done(self, rel: str, status: str, seconds: float, error: str | None) -> None:
        if self._bar is None:
            return
        if error:
            self._bar.write(for_terminal(f"failed {rel}: {error}"), file=self._stream)
        self._bar.set_postfix_str(for_terminal(rel)[-40:], refresh=False)
        self._bar.update(1)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()


def stderr_progress() -> Progress:
    """A bar when stderr is a terminal, plain lines otherwise."""
    return BarProgress(sys.stderr) if sys.stderr.isatty() else LineProgress(sys.stderr)
