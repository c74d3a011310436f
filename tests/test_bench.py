"""The latency benchmark's bookkeeping: repeated measurements with their spread,
unsteady ones flagged, whole-file loops cut to ``max_frames``."""

from __future__ import annotations

from itertools import count

import av
import pytest
from builders import write_video

from formcheck.bench import UNSTEADY_SPREAD, repeated, trimmed_copy


@pytest.mark.parametrize(
    ("rates", "median", "unsteady"),
    [([50.0], 50.0, False), ([48.0, 50.0, 52.0], 50.0, False), ([30.0, 50.0, 52.0], 50.0, True)],
)
def test_repeated_keeps_the_median_run_and_flags_a_wide_spread(rates, median, unsteady):
    runs = iter(rates)
    calls = count()
    result = repeated(lambda: {"fps": next(runs), "run": next(calls)}, len(rates))
    assert result["fps"] == median and result["fps_runs"] == sorted(rates)
    assert result["fps_spread"] == pytest.approx((max(rates) - min(rates)) / median)
    assert result["unsteady"] == unsteady == (result["fps_spread"] > UNSTEADY_SPREAD)


def test_trimmed_copy_keeps_the_first_frames_only(tmp_path):
    video = write_video(tmp_path / "long.mp4", frames=40)
    short = trimmed_copy(video, 12, tmp_path / "short.mp4")
    with av.open(str(short)) as container:
        assert sum(1 for _ in container.decode(video=0)) == 12
