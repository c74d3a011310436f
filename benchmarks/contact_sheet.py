"""Contact sheets of a clip, for labelling real clips by eye (no pose model involved).

Decodes a video (or GIF) with formcheck's own source (container timestamps, rotation
applied), keeps frames at ``--fps`` between ``--start`` and ``--end`` seconds, and
tiles them into PNG sheets, each tile stamped with its frame index and time. The
sheets are written outside the repository (``--out``, default a temporary folder):
they are pixels of clips that are not ours to publish.

    python benchmarks/contact_sheet.py ../shared/realclips/bridge/be18_glute_bridge.mp4 --fps 4
"""

from __future__ import annotations

import argparse
import math
import tempfile
from pathlib import Path

import cv2
import numpy as np

from formcheck.sources import open_source


def _tile(image: np.ndarray, width: int, label: str) -> np.ndarray:
    height = max(1, round(image.shape[0] * width / image.shape[1]))
    tile = cv2.resize(image, (width, height), interpolation=cv2.INTER_AREA)
    tile = cv2.cvtColor(tile, cv2.COLOR_RGB2BGR)
    cv2.rectangle(tile, (0, 0), (width, 18), (0, 0, 0), -1)
    cv2.putText(tile, label, (3, 13), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (255, 255, 255), 1)
    return tile


def contact_sheets(
    path: Path,
    out: Path,
    fps: float,
    start_s: float,
    end_s: float,
    cols: int,
    rows: int,
    tile_width: int,
) -> list[Path]:
    """Write the sheets of ``path`` to ``out``; returns their paths."""
    tiles: list[np.ndarray] = []
    next_t = start_s
    with open_source(path) as source:
        for lazy in source.lazy_frames():
            if lazy.t_s < next_t - 1e-6:
                continue
            if lazy.t_s > end_s:
                break
            frame = lazy.to_frame()
            label = f"#{frame.index} {frame.t_s:.2f}s"
            tiles.append(_tile(frame.image, tile_width, label))
            next_t = frame.t_s + 1.0 / fps if fps > 0 else frame.t_s
    out.mkdir(parents=True, exist_ok=True)
    per_sheet = cols * rows
    written = []
    for sheet_no in range(math.ceil(len(tiles) / per_sheet)):
        chunk = tiles[sheet_no * per_sheet : (sheet_no + 1) * per_sheet]
        tile_h = max(t.shape[0] for t in chunk)
        sheet = np.zeros((tile_h * math.ceil(len(chunk) / cols), tile_width * cols, 3), np.uint8)
        for i, tile in enumerate(chunk):
            top, left = (i // cols) * tile_h, (i % cols) * tile_width
            sheet[top : top + tile.shape[0], left : left + tile_width] = tile
        name = out / f"{path.stem}.sheet{sheet_no:02d}.png"
        cv2.imwrite(str(name), sheet)
        written.append(name)
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("clip", type=Path)
    parser.add_argument("--fps", type=float, default=3.0, help="tiles per second of video")
    parser.add_argument("--start", type=float, default=0.0, help="first second")
    parser.add_argument("--end", type=float, default=math.inf, help="last second")
    parser.add_argument("--cols", type=int, default=6)
    parser.add_argument("--rows", type=int, default=5)
    parser.add_argument("--width", type=int, default=240, help="tile width in pixels")
    parser.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "sheets")
    args = parser.parse_args()
    for name in contact_sheets(
        args.clip, args.out, args.fps, args.start, args.end, args.cols, args.rows, args.width
    ):
        print(name)


if __name__ == "__main__":
    main()
