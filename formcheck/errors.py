"""Exceptions that formcheck reports to the user, each with a process exit code.

The CLI catches :class:`FormcheckError`, prints its one-line message and exits with
``exit_code``; anything else is a bug and keeps its traceback. :class:`ExitCode`
is the one list of exit codes (the README and ``formcheck --help`` print it).
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Process exit status of ``formcheck``; :data:`EXIT_MEANINGS` says what each means."""

    OK = 0
    BUG = 1
    USAGE = 2
    INPUT = 3
    MODEL = 4
    PARTIAL = 5
    INTERRUPTED = 130


EXIT_MEANINGS: dict[ExitCode, str] = {
    ExitCode.OK: "success",
    ExitCode.BUG: "internal error (a bug: please report it)",
    ExitCode.USAGE: (
        "bad usage (a value out of range, an output that cannot be written) or an invalid "
        "spec/program file"
    ),
    ExitCode.INPUT: (
        "an input that cannot be read (missing, empty, not a video, truncated) or analysed "
        "(shorter than 0.4 s, smaller than 32 pixels or larger than 8K a frame), "
        "or a session store that cannot be opened (damaged or foreign file, unreachable server)"
    ),
    ExitCode.MODEL: "a pose model or landmark file that cannot be loaded",
    ExitCode.PARTIAL: "a batch in which some inputs failed",
    ExitCode.INTERRUPTED: "interrupted (Ctrl-C, SIGTERM)",
}


def exit_codes_text() -> str:
    """One line per exit code, for help texts.

    >>> exit_codes_text().splitlines()[0]
    '  0    success'
    """
    return "\n".join(f"  {int(code):<4} {text}" for code, text in EXIT_MEANINGS.items())


class FormcheckError(Exception):
    """Base class of the errors formcheck expects and explains to the user.

    Attributes:
        exit_code: process exit status the CLI uses for this error.
    """

    exit_code: int = ExitCode.BUG


class UsageError(FormcheckError):
    """A command asked for something that cannot work (an option that does not fit
    the input, a folder where a file is expected)."""

    exit_code = ExitCode.USAGE


class SourceError(FormcheckError):
    """A video, image folder or camera cannot be opened or decoded."""

    exit_code = ExitCode.INPUT


class ModelError(FormcheckError):
    """A pose model or a replay file cannot be loaded or used."""

    exit_code = ExitCode.MODEL


class OutputError(FormcheckError):
    """A report, landmark file or video cannot be written (exit code 2: fix the path)."""

    exit_code = ExitCode.USAGE
