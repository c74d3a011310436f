"""Every limit on a value formcheck takes from outside, in one table.

Command-line options, spec and program fields, the files formcheck reads (specs,
programs, manifests) and the videos it decodes all get a type, a range and an
upper bound here, so that no input, however hostile, makes formcheck run for
ever, fill the memory or crash: it gets a one-line error naming the value and
the limit. ``docs/bounds.md`` lists the same table (a test keeps it in step).

Users of the table: the argparse types of ``formcheck.cli`` (:func:`cli_type`),
the spec and program parser (``formcheck.specs.parse`` looks up
:data:`SPEC_FIELDS` by ``"Class.field"``), :func:`read_text` for spec, program
and manifest files, and the frame sources for :data:`INPUT`.
"""

from __future__ import annotations

import argparse
import math
import os
import stat
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from formcheck.cpu import available_cores

PATIENT_MAX_CHARS = 64  # a label, not a name: long enough for an id, short enough to show


@dataclass(frozen=True)
class Bound:
    """The allowed values of one input.

    Attributes:
        low, high: inclusive range of a number, or of every number in a list
            (``None``: no limit on that side; every number must be finite).
        low_open: ``low`` itself is not allowed (a positive duration).
        chars: most characters of a text, or of every text in a list or key of a table.
        items: most entries of a list or table.
        unit: unit shown in messages and the docs (``"s"``, ``"Hz"``).
        cores: the upper limit is the number of CPU cores this process may use;
            a larger value is lowered to it, with a note (``--threads``).
        why: one line for the docs: what the limit protects.
    """

    low: float | None = None
    high: float | None = None
    low_open: bool = False
    chars: int | None = None
    items: int | None = None
    unit: str = ""
    cores: bool = False
    why: str = ""

    def describe(self) -> str:
        """The range in words: ``"from 1 to 20"``, ``"above 0 and at most 3600 s"``."""
        unit = f" {self.unit}" if self.unit else ""
        high = "the CPU cores available" if self.cores else _num(self.high)
        if self.low is None and self.high is None and not self.cores:
            return "any finite number"
        if self.low is None:
            return f"at most {high}{unit}"
        if self.high is None and not self.cores:
            return f"{'above' if self.low_open else 'at least'} {_num(self.low)}{unit}"
        if self.low_open:
            return f"above {_num(self.low)} and at most {high}{unit}"
        return f"from {_num(self.low)} to {high}{unit}"

    def problem(self, value: float) -> str | None:
        """Why ``value`` is not allowed, or ``None`` when it is."""
        if not math.isfinite(value):
            return f"expected a finite number, got {value}"
        high = self.high
        if self.cores:
            high = None  # lowered to the core count by the caller, never refused
        too_low = self.low is not None and (
            value <= self.low if self.low_open else value < self.low
        )
        if too_low or (high is not None and value > high):
            return f"{_num(value)} is out of range: expected {self.describe()}"
        return None

    def text_problem(self, text: str) -> str | None:
        """Why ``text`` is too long, or ``None``."""
        if self.chars is not None and len(text) > self.chars:
            return f"text of {len(text)} characters; at most {self.chars} are allowed"
        return None

    def items_problem(self, count: int) -> str | None:
        """Why ``count`` entries are too many, or ``None``."""
        if self.items is not None and count > self.items:
            return f"{count} entries; at most {self.items} are allowed"
        return None


def _num(value: float | None) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return f"{value:g}" if isinstance(value, float) else str(value)


# ------------------------------------------------------------------ command line
CLI: dict[str, Bound] = {
    "--threads": Bound(low=1, cores=True, why="more threads than cores only slow inference down"),
    "--workers": Bound(
        low=1, cores=True, why="each worker holds a pose model (~0.6 GB) and one core's work"
    ),
    "--cutoff-hz": Bound(
        low=0.1, high=60.0, unit="Hz", why="below: nothing moves; above: no camera's Nyquist"
    ),
    "--camera": Bound(low=0, high=63, why="webcam index"),
    "--max-frames": Bound(low=1, high=100_000, why="frames timed per video by `formcheck bench`"),
    "--resolution": Bound(low=64, high=4320, unit="px", why="heights `formcheck bench` tries"),
    "--repeats": Bound(low=1, high=100, why="runs of each `formcheck bench` measurement"),
}
"""Numeric command-line options (``int`` or ``float`` by :data:`CLI_TYPES`)."""

CLI_TYPES: dict[str, type] = {
    "--threads": int,
    "--workers": int,
    "--cutoff-hz": float,
    "--camera": int,
    "--max-frames": int,
    "--resolution": int,
    "--repeats": int,
}


def cli_type(option: str) -> Callable[[str], int | float]:
    """An argparse ``type=`` for ``option``: parses, checks :data:`CLI`, caps core counts.

    A value refused gives argparse's one-line usage error (exit code 2); a core
    count above the cores available is lowered to them with a note on stderr.
    """
    bound, kind = CLI[option], CLI_TYPES[option]

    def parse(text: str) -> int | float:
        try:
            value = kind(text)
        except (ValueError, OverflowError):
            article = "an integer" if kind is int else "a number"
            raise argparse.ArgumentTypeError(f"expected {article}, got {text!r}") from None
        problem = bound.problem(value)
        if problem is not None:
            raise argparse.ArgumentTypeError(problem)
        if bound.cores and value > (cores := available_cores()):
            print(
                f"formcheck: note: {option} {value} is more than the {cores} CPU cores "
                f"this process may use; using {cores}",
                file=sys.stderr,
            )
            return cores
        return value

    parse.__name__ = option.lstrip("-")  # argparse names the type in some errors
    return parse


# ------------------------------------------------------------ spec and program
_SECONDS = "s"
_DURATION = Bound(low=0, high=600, unit=_SECONDS, why="a rule's timing")
_SESSION_S = Bound(low=0, high=60, unit=_SECONDS, why="tracking reaction times")
_THRESHOLD = Bound(low=-1000, high=1000, why="degrees or fractions of a length")
NAME = Bound(chars=64, why="ids, signal and landmark names")
SHORT_TEXT = Bound(chars=200, why="titles and other one-line texts")
CUE_TEXT = Bound(chars=500, why="a line shown and spoken to the patient")

SPEC_FIELDS: dict[str, Bound] = {
    "ExerciseSpec.id": NAME,
    "ExerciseSpec.title": SHORT_TEXT,
    "ExerciseSpec.instructions": Bound(chars=500, items=20, why="cue texts before starting"),
    "ExerciseSpec.limitations": Bound(chars=4000, why="printed in every report"),
    "ExerciseSpec.signals": Bound(chars=64, items=32, why="signals computed per frame"),
    "ExerciseSpec.faults": Bound(items=32, why="rules checked per frame"),
    "Camera.placement": CUE_TEXT,
    "Camera.other_view": Bound(items=16, why="signals measured another way in the other view"),
    "Camera.other_view_unmeasurable": Bound(chars=500, why="printed in the report's warning"),
    "Targets.source": Bound(chars=1000, why="where the numbers come from"),
    "Targets.reps": Bound(low=1, high=1000, why="reps per set"),
    "Targets.hold_s": Bound(low=0, low_open=True, high=3600, unit=_SECONDS, why="one hold"),
    "Targets.sets": Bound(low=1, high=20, why="sets of one exercise in a session"),
    "Targets.rest_s": Bound(low=0, high=3600, unit=_SECONDS, why="rest between sets"),
    "RepRule.signal": NAME,
    "RepRule.enter": _THRESHOLD,
    "RepRule.exit": _THRESHOLD,
    "RepRule.rest": _THRESHOLD,
    "RepRule.peak_name": SHORT_TEXT,
    "RepRule.min_rom": Bound(low=0, low_open=True, high=1000, why="travel of one rep"),
    "RepRule.min_peak_s": _DURATION,
    "RepRule.peak_hold_s": _DURATION,
    "RepRule.min_rep_s": _DURATION,
    "RepRule.max_rep_s": Bound(low=0, low_open=True, high=3600, unit=_SECONDS, why="one rep"),
    "RepRule.posture": Bound(items=16, why="conditions of the exercise's position"),
    "HoldRule.when": Bound(items=16, why="conditions of the held posture"),
    "HoldRule.grace_s": _DURATION,
    "HoldRule.min_s": Bound(low=0, high=3600, unit=_SECONDS, why="shortest hold counted"),
    "HoldRule.together": SHORT_TEXT,
    "FaultRule.id": NAME,
    "FaultRule.cue": CUE_TEXT,
    "FaultRule.when": Bound(items=16, why="conditions of one fault"),
    "FaultRule.min_duration_s": _DURATION,
    "FaultRule.clear_s": _DURATION,
    "FaultRule.cooldown_s": Bound(low=0, high=3600, unit=_SECONDS, why="between two cues"),
    "Condition.value": _THRESHOLD,
    "Condition.signal": NAME,
    "SessionRule.visibility_min": Bound(low=0, high=1, why="a probability"),
    "SessionRule.gap_grace_s": _SESSION_S,
    "SessionRule.leave_after_s": _SESSION_S,
    "SessionRule.rest_after_s": Bound(low=0, high=600, unit=_SECONDS, why="idle before resting"),
    "SessionRule.side_switch_s": _SESSION_S,
    "SessionRule.side_view_max_width": Bound(low=0, low_open=True, high=10, why="a ratio"),
    "SessionRule.cue_display_s": _SESSION_S,
    "SessionRule.edge_margin": Bound(low=0, high=1, why="a fraction of the picture's size"),
    "SessionRule.count_edge_margin": Bound(low=0, high=1, why="a fraction of the picture's size"),
    "SessionRule.baseline_s": _SESSION_S,
    "SessionRule.judge_frames": Bound(low=2, high=100, why="frames a timed check needs"),
    "JointAngle.points": NAME,
    "SegmentElevation.segment": NAME,
    "SegmentInclination.segment": NAME,
    "LineOffset.point": NAME,
    "LineOffset.line": NAME,
    "NormalisedDistance.between": NAME,
    "NormalisedDistance.reference": NAME,
    "ForwardOffset.point": NAME,
    "ForwardOffset.origin": NAME,
    "ForwardOffset.direction": NAME,
    "ForwardOffset.reference": NAME,
    "Change.of": NAME,
    "Extremum.of": Bound(chars=64, items=16, why="signals compared"),
    # program files (formcheck.specs.program)
    "ProgramEntry.id": NAME,
    "ProgramEntry.sets": Bound(low=1, high=20, why="sets of one exercise in a session"),
    "ProgramEntry.rest_s": Bound(low=0, high=3600, unit=_SECONDS, why="rest between sets"),
    "ProgramEntry.spec_file": Bound(chars=255, why="a file name beside the program"),
    "Program.title": SHORT_TEXT,
    "Program.notes": Bound(chars=4000, why="notes for the patient"),
    "Program.patient": Bound(
        chars=PATIENT_MAX_CHARS, why="a patient label, as the session store keeps it"
    ),
    "Program.exercises": Bound(items=50, why="exercises of one programme"),
}
"""Bounds of spec and program fields, keyed ``"Class.field"`` (the schema's dataclasses).

Numbers must be finite and in range; texts and lists have a maximum length (every
text of a list and every key of a table too). A field whose type is a fixed
choice (``kind``, ``op``...) or true/false needs no entry.
"""


# ------------------------------------------------------------------ files read
@dataclass(frozen=True)
class FileLimits:
    """Limits of a text file formcheck reads (spec, program, manifest)."""

    max_bytes: int
    max_depth: int = 0  # nesting of TOML tables and arrays; 0: not nested data
    max_rows: int = 0  # CSV rows; 0: not a table


SPEC_FILE = FileLimits(max_bytes=1 << 20, max_depth=16)
"""Spec and program files: 1 MiB of UTF-8 TOML, tables and arrays nested at most 16 deep."""
MANIFEST_FILE = FileLimits(max_bytes=64 << 20, max_rows=100_000)
"""Batch manifests: 64 MiB of UTF-8 CSV, at most 100 000 rows."""
MANIFEST_CELL = Bound(chars=4096, why="a path or label in a manifest")


# ------------------------------------------------------------------ input video
INPUT: dict[str, Bound] = {
    "frame side": Bound(low=32, high=8192, unit="px", why="too small to see a person / decoder"),
    "frame pixels": Bound(high=7680 * 4320, why="8K UHD; a frame is decoded whole in memory"),
    "frames": Bound(high=108_000, why="1 h at 30 fps; poses of every frame stay in memory"),
    # A real rep can be shorter than a second (labelled real clips of one squat or one
    # deadlift last 0.9 s); the engine's shortest rep is RepRule.min_rep_s (0.4 s).
    "duration": Bound(low=0.4, unit=_SECONDS, why="shorter than the shortest rep counted"),
}
"""Bounds on what a video or image folder may hold (``formcheck.sources``, ``pipeline``)."""
READ_AHEAD_BYTES = 256 << 20
"""Decoded frames queued ahead of inference take at most this much memory."""


class UnreadableText(Exception):
    """A text file cannot be used: missing, not a regular file, too big, not UTF-8."""


def read_text(path: Path, limits: FileLimits) -> str:
    """A regular file's UTF-8 text (a byte-order mark is dropped), size-checked first.

    Refuses FIFOs, devices and folders before opening them, so reading never blocks.

    Raises:
        UnreadableText: with a one-line reason (no path: callers add theirs).
    """
    try:
        info = os.stat(path)
    except OSError as error:
        raise UnreadableText(f"cannot read: {error.strerror or error}") from None
    if not stat.S_ISREG(info.st_mode):
        raise UnreadableText("cannot read: not a regular file")
    if info.st_size > limits.max_bytes:
        raise UnreadableText(
            f"file of {info.st_size} bytes; at most {limits.max_bytes} bytes are read"
        )
    try:
        with open(path, "rb") as handle:
            data = handle.read(limits.max_bytes + 1)
    except OSError as error:
        raise UnreadableText(f"cannot read: {error.strerror or error}") from None
    if len(data) > limits.max_bytes:
        raise UnreadableText(f"file larger than {limits.max_bytes} bytes")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise UnreadableText("the file is UTF-16 text; save it as UTF-8")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise UnreadableText(
            f"not UTF-8 text (byte 0x{data[error.start]:02x} at offset {error.start}); "
            "save the file as UTF-8"
        ) from None


def toml_nesting(text: str) -> int:
    """The deepest nesting of ``[`` and ``{`` in TOML ``text``, outside strings and comments.

    Cheap enough to run before the parser, whose recursion a few thousand
    nested arrays would exhaust.

    Example:
        >>> toml_nesting('a = [[1, "]]"], {b = [2]}]  # [[[')
        3
    """
    depth = deepest = 0
    i, n = 0, len(text)
    while i < n:
        char = text[i]
        if char in "\"'":
            quote = text[i : i + 3] if text.startswith(char * 3, i) else char
            i += len(quote)
            while i < n and not text.startswith(quote, i):
                if char == '"' and text[i] == "\\":
                    i += 1
                elif len(quote) == 1 and text[i] == "\n":
                    break  # a single-line string ends at the line end (the parser errs)
                i += 1
            i += len(quote)
            continue
        if char == "#":
            end = text.find("\n", i)
            i = n if end < 0 else end
            continue
        if char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth = max(0, depth - 1)
        i += 1
    return deepest


def data_depth(data: object) -> int:
    """Nesting depth of parsed data (tables and lists), without recursion."""
    deepest = 0
    stack: list[tuple[object, int]] = [(data, 0)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            children: list[object] = list(node.values())
        elif isinstance(node, list):
            children = node
        else:
            continue
        deepest = max(deepest, depth + 1)
        stack.extend((child, depth + 1) for child in children)
    return deepest


# ------------------------------------------------------------------ the docs' table
def _limit(bound: Bound) -> str:
    parts = []
    if bound.low is not None or bound.high is not None or bound.cores:
        parts.append(bound.describe())
    if bound.chars is not None:
        parts.append(f"≤ {bound.chars} characters")
    if bound.items is not None:
        parts.append(f"≤ {bound.items} entries")
    return "; ".join(parts)


def _rows(bounds: dict[str, Bound]) -> list[str]:
    return [f"| `{name}` | {_limit(bound)} | {bound.why} |" for name, bound in bounds.items()]


def markdown_table() -> str:
    """The tables of ``docs/bounds.md`` (a test checks that the file holds them)."""
    head = ["| value | allowed | why |", "|---|---|---|"]
    spec = {k: b for k, b in SPEC_FIELDS.items() if not k.startswith(("Program", "ProgramEntry"))}
    program = {k: b for k, b in SPEC_FIELDS.items() if k not in spec}
    files = [
        f"| spec or program file | ≤ {SPEC_FILE.max_bytes} bytes of UTF-8; tables and arrays "
        f"nested ≤ {SPEC_FILE.max_depth} deep | parsed whole, recursively |",
        f"| manifest | ≤ {MANIFEST_FILE.max_bytes} bytes of UTF-8; ≤ {MANIFEST_FILE.max_rows} "
        f"rows; cells {_limit(MANIFEST_CELL)} | read whole |",
    ]
    sections = [
        ("Command line", _rows(CLI)),
        ("Spec fields (`Class.field`)", _rows(spec)),
        ("Program fields", _rows(program)),
        ("Files", files),
        ("Input video or image folder", _rows(INPUT)),
    ]
    return "\n\n".join(f"### {title}\n\n" + "\n".join(head + rows) for title, rows in sections)
