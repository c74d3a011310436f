"""End to end on the bundled sample videos: real MediaPipe, smoothing and the engine,
checked against each sample's exact truth (``python -m formcheck.synth.samples``)."""

from __future__ import annotations

import json

import pytest
from builders import SAMPLE_DIR, sample_analysis

from formcheck.specs import load_spec
from formcheck.synth.samples import SAMPLES

# Real landmarks and the zero-phase smoother move a hold's band crossings by a few
# frames at each end; a hold must match its truth within this.
HOLD_TOLERANCE_S = 0.5


@pytest.mark.mediapipe
@pytest.mark.parametrize("sample", SAMPLES, ids=[s.name for s in SAMPLES])
def test_sample_matches_its_truth(sample) -> None:
    truth = json.loads((SAMPLE_DIR / f"{sample.name}.truth.json").read_text())
    result = sample_analysis(sample.name, sample.exercise).session
    reps = truth["reps"]
    assert result.reps_total == reps["total"]
    if result.reps_left is not None:
        assert (result.reps_left, result.reps_right) == (reps["left"], reps["right"])
    if load_spec(sample.exercise).kind == "hold":
        assert len(result.holds) == len(truth["holds"])
        for got, want in zip(result.holds, truth["holds"], strict=True):
            assert got.duration_s == pytest.approx(want["duration_s"], abs=HOLD_TOLERANCE_S)
    assert {f.id for f in result.faults} == {f["id"] for f in truth["faults"]}
