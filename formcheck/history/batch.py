"""Recording a batch's sessions and writing each patient's history page beside its
reports (``REPORT_DIR/patients/<patient>-<digest>.html``), linked from the overview."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from formcheck.atomic import write_text_atomic
from formcheck.history.html import render_history_html
from formcheck.history.model import load_history, plural
from formcheck.store import InvalidSession, Recorded, SessionStore, check_patient
from formcheck.store.ingest import report_record

if TYPE_CHECKING:  # the batch runner imports the whole pipeline; the history needs none of it
    from formcheck.batch.runner import BatchResult, FinishedVideo

PAGES_DIR = "patients"
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")


def page_name(patient: str) -> str:
    """A file name for a patient's page that is safe on every system and unique:
    the label's safe characters, then a digest of the whole label.

    Example:
        >>> page_name("p017")
        'p017-3cbd8695.html'
    """
    digest = hashlib.sha256(patient.encode("utf-8")).hexdigest()[:8]
    return f"{_UNSAFE.sub('_', patient)[:40]}-{digest}.html"


class BatchSessions:
    """A :class:`~formcheck.batch.SessionRecorder` that records into ``store``.

    Args:
        store: the open session store.
        day: ``--date`` for every video (default: each video's own date, else today).

    After a call, ``recorded`` lists what was stored and ``skipped`` the videos
    not recorded (no patient, or a label that cannot be one) with the reason.
    """

    def __init__(self, store: SessionStore, day: date | None = None) -> None:
        self.store = store
        self.day = day
        self.recorded: list[Recorded] = []
        self.skipped: list[tuple[str, str]] = []

    def __call__(self, videos: Sequence[FinishedVideo], out_dir: Path) -> dict[str, str]:
        records = []
        for video in videos:
            job = video.job
            if not job.patient.strip():
                self.skipped.append((job.rel, "no patient"))
                continue
            try:
                patient = check_patient(job.patient)
            except InvalidSession as error:
                self.skipped.append((job.rel, str(error)))
                continue
            report = json.loads(video.report_json.read_text(encoding="utf-8"))
            records.append(
                report_record(
                    report,
                    spec=job.spec,
                    patient=patient,
                    source="batch",
                    report_path=video.report_json,
                    recording=job.path,
                    fingerprint=video.sha256 or None,
                    day=self.day,
                )
            )
        self.recorded = self.store.record_many(records)
        pages: dict[str, str] = {}
        for patient in sorted({record.session.patient for record in records}):
            relative = f"{PAGES_DIR}/{page_name(patient)}"
            history = load_history(self.store, patient)
            write_text_atomic(out_dir / relative, render_history_html(history))
            pages[patient] = relative
        return pages

    def summary_line(self, result: BatchResult) -> str:
        """What was recorded, for the end of ``formcheck batch``."""
        if result.store_error:
            return f"formcheck: error: sessions not recorded: {result.store_error}"
        new = sum(r.new for r in self.recorded)
        patients = len({row.patient for row in result.rows if row.history})
        line = (
            f"Sessions: {len(self.recorded)} recorded ({new} new, {len(self.recorded) - new} "
            f"already stored) for {plural(patients, 'patient')} in {self.store.location}"
        )
        if self.skipped:
            line += f"; {len(self.skipped)} video(s) not recorded: " + "; ".join(
                f"{rel}: {why}" for rel, why in self.skipped[:3]
            )
        return line
