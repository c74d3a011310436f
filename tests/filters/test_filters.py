"""Filters: exact numbers for One Euro steps and the Butterworth stages, plus a
contract every smoother obeys (a gated landmark stays unknown at the caller's
visibility gate, constants pass unchanged), which a smoother that ignores
visibility fails."""

import math

import numpy as np
import pytest
from builders import uniform_pose
from hypothesis import given, settings
from hypothesis import strategies as st

from formcheck.filters import (
    ButterworthConfig,
    OneEuroConfig,
    OneEuroFilter,
    StreamingSmoother,
    smooth_offline,
)
from formcheck.filters.butterworth import fill_gaps, lowpass_zero_phase, reject_outliers
from formcheck.landmarks import NUM_LANDMARKS
from formcheck.types import PoseFrame


def test_one_euro_first_sample_passes_through():
    f = OneEuroFilter()
    assert f(0.0, np.array([3.5]))[0] == 3.5


def test_one_euro_exact_step_beta_zero():
    # beta=0: a plain exponential smoother with alpha = 1 / (1 + tau/dt)
    f = OneEuroFilter(OneEuroConfig(min_cutoff_hz=1.0, beta=0.0))
    f(0.0, np.array([0.0]))
    tau = 1 / (2 * math.pi)
    alpha = 1 / (1 + tau / 0.1)
    assert f(0.1, np.array([1.0]))[0] == pytest.approx(alpha)
    assert f(0.2, np.array([1.0]))[0] == pytest.approx(alpha + alpha * (1 - alpha))


def test_one_euro_speed_raises_cutoff():
    slow = OneEuroFilter(OneEuroConfig(min_cutoff_hz=1.0, beta=0.0))
    fast = OneEuroFilter(OneEuroConfig(min_cutoff_hz=1.0, beta=10.0))
    for f in (slow, fast):
        f(0.0, np.array([0.0]))
    assert fast(0.1, np.array([1.0]))[0] > slow(0.1, np.array([1.0]))[0]


def test_one_euro_nan_keeps_state():
    f = OneEuroFilter(OneEuroConfig(beta=0.0))
    f(0.0, np.array([1.0]))
    assert np.isnan(f(0.1, np.array([np.nan]))[0])
    out = f(0.2, np.array([1.0]))[0]
    assert out == pytest.approx(1.0)


def test_reject_outliers_removes_spike_keeps_signal():
    # a landmark swinging 0.2 image widths once every 2 s at 30 fps, one glitch
    x = 0.5 + 0.2 * np.sin(np.linspace(0, 2 * np.pi, 60))
    x[30] += 0.3
    out = reject_outliers(x, 9, 5.0, 0.05)
    assert np.isnan(out[30])
    assert np.isfinite(np.delete(out, 30)).all()


def test_fill_gaps_short_only():
    t = np.arange(12) / 10.0
    x = np.arange(12, dtype=float)
    x[2:4] = np.nan  # 0.3 s between neighbours: filled
    x[6:10] = np.nan  # 0.5 s: stays unknown
    out = fill_gaps(t, x, max_gap_s=0.3)
    np.testing.assert_allclose(out[:6], np.arange(6))
    assert np.isnan(out[6:10]).all()


def test_lowpass_zero_phase_no_lag_and_attenuation():
    fs = 30.0
    t = np.arange(300) / fs
    slow = np.sin(2 * np.pi * 0.5 * t)
    noisy = slow + 0.3 * np.sin(2 * np.pi * 10 * t)
    out = lowpass_zero_phase(noisy, fs, cutoff_hz=4.0, order=2)
    # the 10 Hz component is mostly gone, the 0.5 Hz one keeps its phase
    assert np.max(np.abs(out[30:-30] - slow[30:-30])) < 0.05
    assert np.argmax(out[:60]) == np.argmax(slow[:60])


VIS = 0.5  # the gate the contract is checked at


def _smooth_offline(poses, visibility_min=VIS):
    return smooth_offline(poses, visibility_min=visibility_min)


def _gating_only(poses, visibility_min=VIS):
    return smooth_offline(poses, ButterworthConfig(enabled=False), visibility_min=visibility_min)


def _one_euro(poses, visibility_min=VIS):
    smoother = StreamingSmoother("one_euro", visibility_min=visibility_min)
    return [smoother(p) for p in poses]


def _pass_through(poses, visibility_min=VIS):
    smoother = StreamingSmoother("none", visibility_min=visibility_min)
    return [smoother(p) for p in poses]


def _ignores_visibility(poses, visibility_min=VIS):
    """A broken smoother (the pass-through without its gate): the contract must fail it."""
    return list(poses)


SMOOTHERS = {
    "butterworth": _smooth_offline,
    "gating-only": _gating_only,
    "one-euro": _one_euro,
    "pass-through": _pass_through,
}


def check_smoother_contract(smooth) -> None:
    """What every smoother promises: one pose out per pose in, constants pass
    unchanged, and a landmark below the gate never comes out as a measurement of
    its own (it is NaN, or filled from its seen neighbours); the gate is the
    ``visibility_min`` the caller passes, not one of the smoother's own."""
    poses = [uniform_pose(i, i / 30, 0.4) for i in range(60)]
    for i in range(10, 15):  # a guess far off, at visibility 0.3
        poses[i] = uniform_pose(i, i / 30, 0.9, visibility=0.3)
    out = smooth(poses, visibility_min=0.5)
    assert len(out) == 60
    assert out[0].image_xyz.shape == (NUM_LANDMARKS, 3)
    np.testing.assert_allclose(out[5].image_xyz, 0.4)
    for pose in out[10:15]:
        seen = pose.image_xyz[np.isfinite(pose.image_xyz)]
        assert np.all(np.abs(seen - 0.4) < 0.01), "a gated guess came out as a measurement"
    # A lower gate lets the same landmarks through: they are measurements now.
    lowered = smooth(poses, visibility_min=0.25)
    assert np.all(lowered[12].image_xyz > 0.6)


@pytest.mark.parametrize("smooth", SMOOTHERS.values(), ids=SMOOTHERS.keys())
def test_smoother_contract(smooth):
    check_smoother_contract(smooth)


def test_smoother_contract_fails_a_smoother_that_ignores_visibility():
    with pytest.raises(AssertionError, match="gated guess"):
        check_smoother_contract(_ignores_visibility)


def test_smooth_offline_long_gap_stays_unknown():
    poses = [uniform_pose(i, i / 30, 0.5) for i in range(90)]
    for i in range(30, 60):  # one second undetected
        poses[i] = PoseFrame.empty(i, i / 30, 640, 480)
    out = _smooth_offline(poses)
    assert np.isnan(out[45].image_xyz).all()
    np.testing.assert_allclose(out[10].image_xyz, 0.5)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.one_of(st.floats(-10, 10), st.just(float("nan"))), min_size=0, max_size=80))
def test_offline_series_never_crashes_and_keeps_length(values):
    from formcheck.filters.butterworth import smooth_series

    x = np.array(values, dtype=float)
    t = np.arange(len(x)) / 30.0
    out = smooth_series(t, x, ButterworthConfig())
    assert out.shape == x.shape
