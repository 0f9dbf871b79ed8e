"""Shared fixtures: a fresh database per test on SQLite and on the real PostgreSQL.

In CI (`CI=true`) nothing that needs PostgreSQL, Prometheus, Chromium or the recorded fixtures may
skip: `need()` fails instead, and the session fails if any test skipped at all.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine

from ingest.schema import migrate
from ingest.store import make_engine

IN_CI = os.environ.get("CI", "").lower() == "true"
POSTGRES_URL = os.environ.get(
    "TRACKRECORD_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
FIXTURES = Path(__file__).resolve().parents[2] / "shared" / "fixtures"


def need(condition: bool, reason: str) -> None:
    """Skip where a real part is missing on a developer machine; fail in CI, where it must run."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"required in CI: {reason}", pytrace=False)
    pytest.skip(reason)


def fixtures_dir(*parts: str) -> Path:
    path = FIXTURES.joinpath(*parts)
    need(path.exists(), f"recorded fixtures not found at {path}")
    return path


def _postgres_reachable() -> bool:
    try:
        with sa.create_engine(POSTGRES_URL).connect() as conn:
            conn.execute(sa.text("select 1"))
        return True
    except sa.exc.OperationalError:
        return False


@pytest.fixture(scope="session")
def postgres_available() -> bool:
    return _postgres_reachable()


def _postgres_engine() -> Iterator[Engine]:
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(POSTGRES_URL)
    with admin.begin() as conn:
        conn.execute(sa.text(f'create schema "{schema}"'))
    url = sa.make_url(POSTGRES_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    engine = make_engine(url.render_as_string(hide_password=False))
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(sa.text(f'drop schema "{schema}" cascade'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A migrated, empty database: every store and sync test runs on both."""
    if request.param == "sqlite":
        db = make_engine(f"sqlite:///{tmp_path / 'trackrecord.db'}")
        migrate(db)
        yield db
        db.dispose()
        return
    reachable = request.getfixturevalue("postgres_available")
    need(reachable, f"PostgreSQL not reachable at {POSTGRES_URL}")
    for db in _postgres_engine():
        migrate(db)
        yield db


@pytest.fixture
def database_url(engine: Engine) -> str:
    """The URL of `engine`, for code under test that builds its own engine (the CLI)."""
    return engine.url.render_as_string(hide_password=False)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    if IN_CI and skipped:
        reporter.write_line(f"CI forbids skips: {len(skipped)} test(s) skipped", red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
