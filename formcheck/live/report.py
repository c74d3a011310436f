"""The report of one live set: the ``formcheck analyze`` report plus a ``live`` section."""

from __future__ import annotations

import dataclasses

from formcheck.filters import OneEuroConfig
from formcheck.live.program_runner import FinishedSet
from formcheck.live.stats import SignalHistory
from formcheck.report import AnalysisInfo, FrameTally, LiveSet, Report, Smoothing
from formcheck.sources import SourceInfo


def live_smoothing(config: OneEuroConfig | None) -> Smoothing:
    """The report's description of the live smoother (None: unsmoothed)."""
    if config is None:
        return Smoothing("none")
    return Smoothing(
        "one_euro",
        {
            "min_cutoff_hz": config.min_cutoff_hz,
            "beta": config.beta,
            "d_cutoff_hz": config.d_cutoff_hz,
        },
    )


def set_report(
    finished: FinishedSet,
    info: SourceInfo,
    tally: FrameTally,
    history: SignalHistory,
    backend: str,
    smoothing: OneEuroConfig | None,
    live: LiveSet,
) -> Report:
    """The report of one live set.

    Frame counts, duration and frame rate come from the set's exact ``tally``;
    the engine ran without history (memory stays flat for hours), so the plots'
    per-frame values are the set's bounded ``history`` of its key signals.

    Args:
        finished: the set, with the engine's result.
        info: the camera or file the frames came from.
        tally: the set's frame counts (raw poses, before smoothing).
        history: the key signal values seen during the set.
        backend: pose backend name.
        smoothing: the One Euro settings, or None when unsmoothed.
        live: the ``live`` section (set position, frame counters, latencies).
    """
    t_s, signals = history.arrays()
    session = dataclasses.replace(finished.result, t_s=t_s, signals=signals)
    return Report(
        spec=finished.plan.spec,
        source=info,
        stats=tally.stats(info.fps),
        analysis=AnalysisInfo(backend, live_smoothing(smoothing)),
        session=session,
        live=live,
    )
