"""Session states: no_person → positioning → exercising ⇄ resting → set_complete.

Each frame is first judged on its own (:func:`judge_frame`): nobody there, the
signals the count or the hold reads not measured, or fine. The session leaves an
active state (exercising, resting, set_complete) only after the problem has lasted
``leave_after_s``, so a dropped frame does not interrupt a set; it enters one at
once. The states inform (the screen says "step back into view"); they never stop
the count, which goes on whenever its signal is measured. The camera view is
judged apart (:func:`wrong_view`): outside the spec's view the count goes on and
only the faults that need that view are withheld.
"""

from __future__ import annotations

import math
from collections import Counter
from typing import Literal

import numpy as np

from formcheck.engine.results import ACTIVE_STATES, StateSpan
from formcheck.landmarks import BODY_CORE, INDEX
from formcheck.types import PoseFrame

FrameJudgement = Literal["no_person", "not_visible", "ok"]
WARNING_MIN_SHARE = 0.05  # a data-quality problem is reported from this share of frames
MOSTLY_SHARE = 0.5  # "mostly": more than this share of the frames

_CORE = [INDEX[name] for name in BODY_CORE]
_SHOULDERS = (INDEX["left_shoulder"], INDEX["right_shoulder"])
_HIPS = (INDEX["left_hip"], INDEX["right_hip"])
_TORSO = [*_SHOULDERS, *_HIPS]


def view_width_ratio(pose: PoseFrame) -> float:
    """(shoulder width + hip width) / (2 × torso length) in pixels; NaN if unseen.

    Small in a side view (the two sides overlap), large in a front view, whatever
    the body's orientation in the image (standing or lying).
    """
    # Plain floats: four points, once per frame, where numpy's per-call cost dominates.
    (lsx, lsy), (rsx, rsy), (lhx, lhy), (rhx, rhy) = pose.pixel_xy()[_TORSO].tolist()
    shoulders = math.hypot(lsx - rsx, lsy - rsy)
    hips = math.hypot(lhx - rhx, lhy - rhy)
    torso = math.hypot(0.5 * (lsx + rsx - lhx - rhx), 0.5 * (lsy + rsy - lhy - rhy))
    return (shoulders + hips) / (2.0 * torso) if torso > 0 else math.nan


def judge_frame(pose: PoseFrame, key_measured: bool) -> FrameJudgement:
    """Judge one frame on its own: is the person there, and are the signals the
    count or the hold reads measured (``key_measured``)?"""
    if not pose.detected or np.all(np.isnan(pose.image_xyz[_CORE, :2])):
        return "no_person"
    return "ok" if key_measured else "not_visible"


def wrong_view(pose: PoseFrame, view: str, side_view_max_width: float) -> bool:
    """True when the camera sees the person from another view than ``view``
    (``"side"`` or ``"front"``); False when it cannot tell."""
    if not pose.detected:
        return False
    ratio = view_width_ratio(pose)
    return not math.isnan(ratio) and (ratio <= side_view_max_width) != (view == "side")


class SessionStates:
    """The debounced session state and its history.

    Args:
        leave_after_s: a frame problem must last this long to leave an active state.
    """

    def __init__(self, leave_after_s: float) -> None:
        self._leave_after_s = leave_after_s
        self.state: str | None = None
        self._since_s = math.nan
        self._problem_since_s = math.nan
        self._spans: list[StateSpan] = []
        self.judgements: Counter[str] = Counter()
        self._last_s = math.nan

    def update(self, t_s: float, judgement: FrameJudgement, active_state: str) -> str | None:
        """Advance by one frame; returns the new state if it changed.

        Args:
            judgement: this frame's :func:`judge_frame` result.
            active_state: the state to be in when the frame is fine (exercising,
                resting or set_complete, decided by the caller).
        """
        self.judgements[judgement] += 1
        self._last_s = t_s
        if judgement == "ok":
            self._problem_since_s = math.nan
            wanted = active_state
        else:
            if math.isnan(self._problem_since_s):
                self._problem_since_s = t_s
            wanted = "no_person" if judgement == "no_person" else "positioning"
            lasting = t_s - self._problem_since_s >= self._leave_after_s
            if self.state in ACTIVE_STATES and not lasting:
                wanted = active_state
        if wanted == self.state:
            return None
        if self.state is not None:
            self._spans.append(StateSpan(self.state, self._since_s, t_s))
        self.state = wanted
        self._since_s = t_s
        return wanted

    @property
    def active(self) -> bool:
        """True while exercising, resting or set_complete."""
        return self.state in ACTIVE_STATES

    def spans(self) -> list[StateSpan]:
        """Every state span so far, the current one ending at the last frame."""
        if self.state is None:
            return []
        return [*self._spans, StateSpan(self.state, self._since_s, self._last_s)]

    def warnings(self) -> list[str]:
        """Data-quality warnings from the frame judgements (``WARNING_MIN_SHARE`` or more)."""
        total = sum(self.judgements.values())
        if total == 0:
            return ["no frames were analysed"]
        messages = {
            "no_person": "no person detected in {:.0%} of frames",
            "not_visible": "what the count or the hold reads was not seen in {:.0%} of frames",
        }
        out = []
        for key, text in messages.items():
            share = self.judgements[key] / total
            if share >= WARNING_MIN_SHARE:
                out.append(text.format(share))
        return out
