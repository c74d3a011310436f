"""Shared pytest fixtures.

``realclip`` resolves clips in ``../shared/realclips`` (beside the repository).
When that folder is absent the test is skipped with the path it needed, unless
``FORMCHECK_REQUIRE_SHARED=1`` is set (CI), in which case it fails.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

SHARED_DIR = Path(__file__).parents[1] / ".." / "shared"
REQUIRE_SHARED_ENV = "FORMCHECK_REQUIRE_SHARED"


def _realclip(relative: str) -> Path:
    path = SHARED_DIR / "realclips" / relative
    if not path.is_file():
        reason = f"needs {path.resolve()} (../shared/realclips is not checked out beside the repo)"
        if os.environ.get(REQUIRE_SHARED_ENV) == "1":
            pytest.fail(f"{reason}; {REQUIRE_SHARED_ENV}=1 requires it")
        pytest.skip(reason)
    return path


@pytest.fixture(scope="session")
def realclip() -> Callable[[str], Path]:
    """Function mapping a path relative to ``../shared/realclips`` to the clip's path.

    Skips (or fails under ``FORMCHECK_REQUIRE_SHARED=1``) when the clip is absent.
    """
    return _realclip
