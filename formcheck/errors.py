"""Exceptions that formcheck reports to the user, each with a process exit code.

The CLI catches :class:`FormcheckError`, prints its one-line message and exits with
``exit_code``; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations


class FormcheckError(Exception):
    """Base class of the errors formcheck expects and explains to the user.

    Attributes:
        exit_code: process exit status the CLI uses for this error.
    """

    exit_code: int = 1


class SourceError(FormcheckError):
    """A video, image folder or camera cannot be opened or decoded."""

    exit_code = 3


class ModelError(FormcheckError):
    """A pose model or a replay file cannot be loaded or used."""

    exit_code = 4


class OutputError(FormcheckError):
    """A report, landmark file or video cannot be written (exit code 2: fix the path)."""

    exit_code = 2
