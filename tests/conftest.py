"""Shared pytest fixtures.

``realclip`` resolves clips in ``../shared/realclips`` (beside the repository).
When that folder is absent the test is skipped with the path it needed, unless
``FORMCHECK_REQUIRE_SHARED=1`` is set (CI), in which case it fails.

``postgres_url`` is the URL of a PostgreSQL database for the session-store tests,
from ``FORMCHECK_TEST_POSTGRES_URL`` (``.ci/postgres start DIR`` starts a
throwaway server and prints one). Without it those tests skip, unless
``FORMCHECK_REQUIRE_POSTGRES=1`` (CI), in which case they fail.

Every test gets its own session database in ``FORMCHECK_DB``, so nothing a test
runs writes to the user's own.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

SHARED_DIR = Path(__file__).parents[1] / ".." / "shared"
REQUIRE_SHARED_ENV = "FORMCHECK_REQUIRE_SHARED"
POSTGRES_URL_ENV = "FORMCHECK_TEST_POSTGRES_URL"
REQUIRE_POSTGRES_ENV = "FORMCHECK_REQUIRE_POSTGRES"


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


@pytest.fixture(autouse=True)
def _own_session_db(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    """``FORMCHECK_DB`` points into this test's temporary folder."""
    monkeypatch.setenv("FORMCHECK_DB", str(tmp_path_factory.mktemp("db") / "sessions.db"))


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """URL of a PostgreSQL database to test against (see the module docstring)."""
    url = os.environ.get(POSTGRES_URL_ENV, "")
    problem = "" if url else f"{POSTGRES_URL_ENV} is not set (.ci/postgres start DIR prints one)"
    if url:
        try:
            import psycopg

            psycopg.connect(url, connect_timeout=10).close()
        except ImportError:
            problem = "psycopg is not installed (pip install -e '.[dev]')"
        except psycopg.Error as error:
            problem = f"cannot connect to {POSTGRES_URL_ENV}: {error}"
    if problem:
        reason = f"needs a PostgreSQL server: {problem}"
        if os.environ.get(REQUIRE_POSTGRES_ENV) == "1":
            pytest.fail(f"{reason}; {REQUIRE_POSTGRES_ENV}=1 requires it")
        pytest.skip(reason)
    return url
