"""What the report writers read: the typed report plus the per-frame data and
labels that go beside it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from formcheck.report.result import Report
from formcheck.types import PoseFrame


@dataclass(frozen=True)
class ReportContext:
    """What the HTML shows beside the report.

    Attributes:
        source: the recording's name as the reviewer knows it (a relative path).
        patient: patient label ("" if unknown).
        program: program file the exercise's spec came from ("" if the bundled spec).
        links: sibling files by output kind (``json``, ``frames_csv``,
            ``annotated_video``) → relative path; only files that exist.
    """

    source: str
    patient: str = ""
    program: str = ""
    links: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ReportBundle:
    """One report and everything its writers need.

    Attributes:
        report: the typed report.
        context: names and links to show.
        smoothed: the smoothed poses aligned with ``report.session.t_s`` (the
            per-frame CSV); empty where they were not kept (live).
        thumbnails: JPEG bytes of each fault's worst frame, by index into
            ``report.session.faults``.
    """

    report: Report
    context: ReportContext
    smoothed: Sequence[PoseFrame] = ()
    thumbnails: Mapping[int, bytes] = field(default_factory=dict)
