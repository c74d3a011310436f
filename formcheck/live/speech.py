"""Spoken cues and counts through an offline text-to-speech program (espeak-ng).

Speaking never blocks the session loop: phrases go into a small queue that a
worker thread speaks one after another through a subprocess. When the queue is
full the oldest phrase is dropped (a count that is already stale is not worth
saying late). Where no speech program is installed, speech is silently off.
"""

from __future__ import annotations

import queue
import shutil
import subprocess
import threading
from collections.abc import Callable, Sequence
from typing import Protocol

SPEECH_PROGRAMS: tuple[str, ...] = ("espeak-ng", "espeak")
Runner = Callable[[Sequence[str]], object]


class Speaker(Protocol):
    """Something that says short phrases without blocking."""

    def say(self, text: str) -> None:
        """Queue ``text`` to be spoken."""
        ...

    def close(self) -> None:
        """Stop speaking and release the worker."""
        ...


class SilentSpeaker:
    """A speaker that says nothing (``--mute``, or no speech program found)."""

    def say(self, text: str) -> None:
        """Ignore ``text``."""

    def close(self) -> None:
        """Nothing to release."""


def _run_quietly(command: Sequence[str]) -> object:
    return subprocess.run(
        list(command), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False
    )


class CommandSpeaker:
    """Speaks through ``[program, *options, "--", text]`` on a worker thread.

    ``--`` ends the options: a spec's cue text that starts with ``-`` (``-w FILE``
    would make espeak-ng write a file) is spoken, never read as an option.

    Args:
        program: path of the speech program (e.g. ``espeak-ng``).
        options: arguments before the text (e.g. ``["-s", "160"]`` for words/minute).
        max_pending: most phrases waiting; the oldest is dropped beyond it.
        run: runs one command to completion (injectable for tests).

    Attributes:
        dropped: phrases dropped because the queue was full.
    """

    def __init__(
        self,
        program: str,
        options: Sequence[str] = (),
        max_pending: int = 3,
        run: Runner = _run_quietly,
    ) -> None:
        self._command = [program, *options]
        self._run = run
        self._pending: queue.Queue[str | None] = queue.Queue(maxsize=max_pending)
        self.dropped = 0
        self._worker = threading.Thread(target=self._speak, name="formcheck-speech", daemon=True)
        self._worker.start()

    def say(self, text: str) -> None:
        """Queue ``text``; returns at once."""
        while True:
            try:
                self._pending.put_nowait(text)
                return
            except queue.Full:
                try:
                    self._pending.get_nowait()
                    self.dropped += 1
                except queue.Empty:
                    continue

    def _speak(self) -> None:
        while (text := self._pending.get()) is not None:
            self._run([*self._command, "--", text])

    def close(self) -> None:
        """Let the phrase being spoken finish, drop the rest, stop the worker."""
        while True:
            try:
                self._pending.get_nowait()
            except queue.Empty:
                break
        self._pending.put(None)
        self._worker.join()


def create_speaker(mute: bool = False) -> tuple[Speaker, str]:
    """The best available speaker and a one-line note saying what was chosen.

    Args:
        mute: never speak.

    Returns:
        The speaker, and an info line for the user ("speech: espeak-ng", or why
        speech is off).
    """
    if mute:
        return SilentSpeaker(), "speech: off (--mute)"
    for name in SPEECH_PROGRAMS:
        program = shutil.which(name)
        if program:
            return CommandSpeaker(program), f"speech: {name}"
    return SilentSpeaker(), "speech: off (no espeak-ng found; install it for spoken cues)"
