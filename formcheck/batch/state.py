"""The batch state file: what was analysed, from which bytes, with which settings.

``REPORT_DIR/batch-state.json`` maps each recording (path relative to INPUT_DIR)
to the SHA-256 of its content, the digest of the analysis settings, and the
outcome (status, error, summary row, output files). It is rewritten atomically
after every finished video, so an interrupted batch loses no finished work and a
rerun skips every video whose content and settings are unchanged and whose
outputs are still there. Failed videos are always retried.

The content hash is recomputed only when a file's size or modification time
changed (as ``git`` does): a same-size edit that restores the old mtime is not
noticed.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

from formcheck import __version__
from formcheck.atomic import write_text_atomic
from formcheck.pipeline import AnalysisOptions
from formcheck.report import SCHEMA_VERSION
from formcheck.specs import ExerciseSpec
from formcheck.specs.parse import to_table

STATE_FILE = "batch-state.json"
STATE_VERSION = 2
_CHUNK = 1 << 20


def file_sha256(path: Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def settings_digest(spec: ExerciseSpec, options: AnalysisOptions, annotate: bool) -> str:
    """Digest of everything besides the video that shapes its outputs.

    Covers the whole spec (so a program's overrides or an edited spec file count),
    the analysis options (a custom model by content), whether an annotated video
    is wanted, and the formcheck and report-schema versions.
    """
    model = options.model
    settings = {
        "formcheck": __version__,
        "schema": SCHEMA_VERSION,
        "spec": to_table(spec),
        "backend": options.backend,
        "model": file_sha256(model) if model is not None else None,
        "smoothing": asdict(options.smoothing),
        "sampling": options.sampling,
        "annotate": annotate,
    }
    text = json.dumps(settings, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class BatchState:
    """The state file of one report folder.

    Args:
        out_dir: the report folder; the state lives in ``out_dir / STATE_FILE``.

    An unreadable or foreign state file is ignored (everything is redone).
    """

    def __init__(self, out_dir: Path) -> None:
        self.path = out_dir / STATE_FILE
        self.entries: dict[str, dict[str, Any]] = {}
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return
        if isinstance(data, dict) and data.get("version") == STATE_VERSION:
            entries = data.get("videos")
            if isinstance(entries, dict):
                self.entries = {str(k): v for k, v in entries.items() if isinstance(v, dict)}

    def content_hash(self, rel: str, path: Path) -> str:
        """SHA-256 of ``path``, reused from the state while size and mtime match."""
        stat = path.stat()
        entry = self.entries.get(rel, {})
        if entry.get("size") == stat.st_size and entry.get("mtime_ns") == stat.st_mtime_ns:
            cached = entry.get("sha256")
            if isinstance(cached, str):
                return cached
        return file_sha256(path)

    def is_current(self, rel: str, sha256: str, settings: str, out_dir: Path) -> bool:
        """True when ``rel`` succeeded before with these bytes and settings, outputs intact."""
        entry = self.entries.get(rel)
        if not entry or entry.get("status") != "ok":
            return False
        if entry.get("sha256") != sha256 or entry.get("settings") != settings:
            return False
        outputs = entry.get("outputs") or {}
        return bool(outputs) and all((out_dir / p).is_file() for p in outputs.values())

    def record(self, rel: str, entry: dict[str, Any]) -> None:
        """Store ``entry`` for ``rel`` and rewrite the state file atomically."""
        self.entries[rel] = entry
        self.save()

    def save(self) -> None:
        data = {"version": STATE_VERSION, "videos": self.entries}
        write_text_atomic(self.path, json.dumps(data, indent=1, sort_keys=True) + "\n")
