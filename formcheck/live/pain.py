"""Asking the patient for a pain rating before and after a live session (skippable)."""

from __future__ import annotations

from collections.abc import Callable

from formcheck.store.records import PAIN_MAX, PAIN_MIN

PAIN_NOTICE = "Stop any exercise that causes or worsens pain, and tell your clinician."
_ATTEMPTS = 3


def ask_pain(
    moment: str,
    read: Callable[[str], str] | None = None,
    say: Callable[[str], None] | None = None,
) -> int | None:
    """A pain rating from 0 to 10, or ``None`` when skipped (Enter, end of input,
    or three answers that are not a rating).

    Args:
        moment: ``"now, before you start"`` or ``"now, after the session"``.
        read: asks one question and returns the answer (default: ``input``).
        say: prints a correction (default: ``print``).
    """
    read, say = read or input, say or print
    question = f"Pain {moment}, {PAIN_MIN} (none) to {PAIN_MAX} (worst), Enter to skip: "
    for _ in range(_ATTEMPTS):
        try:
            answer = read(question).strip()
        except EOFError:
            return None
        if not answer:
            return None
        if answer.isdigit() and PAIN_MIN <= int(answer) <= PAIN_MAX:
            return int(answer)
        say(f"Please type a whole number from {PAIN_MIN} to {PAIN_MAX}, or press Enter to skip.")
    return None
