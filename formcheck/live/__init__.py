"""Live coaching from a webcam (or a file played in real time).

``capture`` (latest-frame reader: stale frames are dropped, never queued),
``loop`` (the session loop, usable without a window), ``program_runner`` (sets,
rests and the order of a program), ``guidance`` (camera placement from the pose),
``speech`` (spoken cues through espeak-ng), ``window`` (the OpenCV window),
``stats`` (constant-memory counters), ``report`` (set reports in the analyze
contract) and ``session`` (:func:`run_live`, behind ``formcheck live``).
"""

from formcheck.live.capture import Captured, LatestFrameReader
from formcheck.live.guidance import Placement, PlacementJudge
from formcheck.live.loop import LiveLoop, LiveResult, SavedSet
from formcheck.live.program_runner import FinishedSet, ProgramRunner, SetPlan, plan_sets
from formcheck.live.session import LiveOptions, default_out_dir, run_live, safety_notice
from formcheck.live.speech import CommandSpeaker, SilentSpeaker, Speaker, create_speaker

__all__ = [
    "Captured",
    "CommandSpeaker",
    "FinishedSet",
    "LatestFrameReader",
    "LiveLoop",
    "LiveOptions",
    "LiveResult",
    "Placement",
    "PlacementJudge",
    "ProgramRunner",
    "SavedSet",
    "SetPlan",
    "SilentSpeaker",
    "Speaker",
    "create_speaker",
    "default_out_dir",
    "plan_sets",
    "run_live",
    "safety_notice",
]
