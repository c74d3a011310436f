"""Silence MediaPipe's native start-up chatter (EGL, XNNPACK, feedback-tensor notes).

Those lines come from C++ straight to file descriptor 2, before absl logging is
configured, so neither ``logging`` nor environment variables reach them. They
are printed when a graph is created and on its first frame; a user sees them as
errors. Set ``FORMCHECK_DEBUG=1`` to keep them.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator


@contextlib.contextmanager
def quiet_native_stderr() -> Iterator[None]:
    """Redirect fd 2 to /dev/null for the duration (Python exceptions still propagate)."""
    if os.environ.get("FORMCHECK_DEBUG") == "1":
        yield
        return
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):  # no real fd 2 (embedded interpreters, some notebooks)
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)
