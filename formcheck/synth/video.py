"""Write a synthetic clip as an H.264 MP4 with its ground-truth JSON sidecar.

Frames are encoded with PyAV (libx264, yuv420p, constant rate factor ``crf``);
frame ``i`` has presentation time ``i / fps`` (the MP4 muxer stores it in its
own time base, e.g. 1/15360 s, which represents i/30 exactly). Both files are
written atomically (temporary file, then ``os.replace``), so a reader never
sees a half-written clip; the video is made world-readable (0644).
"""

from __future__ import annotations

import json
import os
from fractions import Fraction
from pathlib import Path

import av

from formcheck.atomic import atomic_path, write_text_atomic
from formcheck.synth.clip import SynthClip
from formcheck.synth.render import MannequinRenderer


def write_clip(
    clip: SynthClip,
    path_mp4: str | Path,
    truth_path_json: str | Path,
    *,
    seed: int = 0,
    crf: int = 28,
    preset: str = "medium",
) -> None:
    """Render ``clip`` to ``path_mp4`` and its truth to ``truth_path_json``.

    Args:
        clip: the clip to render.
        path_mp4: output video path.
        truth_path_json: output truth path (``clip.truth`` plus a ``video`` entry).
        seed: renderer seed (clothes, skin, room).
        crf: x264 constant rate factor (higher is smaller).
        preset: x264 speed/size preset.
    """
    fps = Fraction(str(clip.truth["fps"])).limit_denominator(1001)
    renderer = MannequinRenderer(clip, seed)
    with atomic_path(path_mp4) as tmp, av.open(str(tmp), mode="w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width = clip.camera.width
        stream.height = clip.camera.height
        stream.pix_fmt = "yuv420p"
        stream.options = {"crf": str(crf), "preset": preset}
        for i in range(len(renderer)):
            frame = av.VideoFrame.from_ndarray(renderer.frame(i), format="rgb24")
            frame.pts = i
            frame.time_base = 1 / fps
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    os.chmod(path_mp4, 0o644)
    truth = dict(clip.truth)
    truth["video"] = {"file": Path(path_mp4).name, "render_seed": seed, "codec": "h264", "crf": crf}
    write_text_atomic(truth_path_json, json.dumps(truth, separators=(",", ":")) + "\n")
    os.chmod(truth_path_json, 0o644)
