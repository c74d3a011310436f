"""Output files of an analysis: their names, and the one writer registry that
``analyze``, ``batch`` and ``live`` use.

Every output of one analysis shares a stem, ``<video>.<spec id>`` (a live set:
``<NN>-<spec id>-set<N>``), and differs by the suffix of its kind:

=================== =================== ========================================
kind                suffix              what
=================== =================== ========================================
``json``            ``.json``           the report (docs/report.md)
``html``            ``.html``           the self-contained HTML report
``frames_csv``      ``.frames.csv``     per-frame signals and smoothed landmarks
``annotated_video`` ``.annotated.mp4``  the video with skeleton and counters
=================== =================== ========================================
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from pathlib import Path

from formcheck.atomic import write_bytes_atomic
from formcheck.report.bundle import ReportBundle
from formcheck.report.contract import to_json
from formcheck.report.csv_export import frames_csv
from formcheck.report.html import render_report_html

OUTPUT_SUFFIXES: dict[str, str] = {
    "json": ".json",
    "html": ".html",
    "frames_csv": ".frames.csv",
    "annotated_video": ".annotated.mp4",
}
Writer = Callable[[ReportBundle], bytes]


def _json(bundle: ReportBundle) -> bytes:
    return to_json(bundle.report).encode("utf-8")


def _html(bundle: ReportBundle) -> bytes:
    return render_report_html(bundle).encode("utf-8")


def _frames_csv(bundle: ReportBundle) -> bytes:
    session = bundle.report.session
    return frames_csv(bundle.smoothed, session.t_s, session.signals).encode("utf-8")


WRITERS: dict[str, Writer] = {"json": _json, "html": _html, "frames_csv": _frames_csv}


def output_stem(source: str | Path, spec_id: str) -> str:
    """``<video stem>.<spec id>``: the stem of every output of one analysis.

    >>> output_stem("clinic/p017__bridge.mp4", "bridge")
    'p017__bridge.bridge'
    """
    return f"{Path(source).stem}.{spec_id}"


def output_name(stem: str, kind: str) -> str:
    """The file name of output ``kind`` (a key of :data:`OUTPUT_SUFFIXES`).

    >>> output_name("bridge.bridge", "frames_csv")
    'bridge.bridge.frames.csv'
    """
    return stem + OUTPUT_SUFFIXES[kind]


def render_outputs(bundle: ReportBundle, stem: str, kinds: Iterable[str]) -> dict[str, bytes]:
    """Render the outputs ``kinds`` (keys of :data:`WRITERS`) of one analysis.

    The HTML links to the other outputs rendered here, besides any link the
    bundle's context has already (an annotated video written elsewhere).

    Returns:
        File name → bytes, in the order of ``kinds``.
    """
    kinds = list(kinds)
    links = dict(bundle.context.links)
    links.update({kind: output_name(stem, kind) for kind in kinds if kind not in ("html",)})
    linked = replace(bundle, context=replace(bundle.context, links=links))
    return {output_name(stem, kind): WRITERS[kind](linked) for kind in kinds}


def write_outputs(
    bundle: ReportBundle, folder: Path, stem: str, kinds: Iterable[str]
) -> dict[str, Path]:
    """Render and atomically write the outputs ``kinds`` into ``folder``.

    Returns:
        Output kind → the path written.
    """
    kinds = list(kinds)
    rendered = render_outputs(bundle, stem, kinds)
    paths = {}
    for kind, (name, data) in zip(kinds, rendered.items(), strict=True):
        write_bytes_atomic(folder / name, data)
        paths[kind] = folder / name
    return paths
