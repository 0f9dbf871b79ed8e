"""Migrations: a database made by an older release reaches the declared tables; commands that
start together on a new database take turns."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

import service.tables  # the case-file tables share the metadata and the stream
from ingest.schema import _alembic_config, migrate
from ingest.store import RECORD_TABLES, SCHEMA_LOCK, lock_exclusively, make_engine, metadata
from tests.conftest import POSTGRES_URL, _postgres_engine, need

T0 = datetime(2026, 9, 1, 9, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgresql"])
def blank_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sa.Engine]:
    """An empty database, not migrated."""
    if request.param == "sqlite":
        db = make_engine(f"sqlite:///{tmp_path / 'blank.db'}")
        yield db
        db.dispose()
        return
    need(request.getfixturevalue("postgres_available"), f"PostgreSQL not at {POSTGRES_URL}")
    yield from _postgres_engine()


HEAD = ScriptDirectory.from_config(_alembic_config()).get_current_head()


def revision(engine: sa.Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


# SQLite cannot reflect the lower(account) indexes, so Alembic compares them on PostgreSQL only.
@pytest.mark.filterwarnings("ignore:autogenerate skipping metadata-specified expression-based")
@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index")
def test_a_0002_database_upgrades_to_the_declared_tables_keeping_its_rows(
    blank_engine: sa.Engine,
) -> None:
    migrate(blank_engine, to="0002")
    tickets = RECORD_TABLES["tickets"]
    row = {
        "source": "jira", "ticket_key": "OPS-1", "url": "u", "project": "OPS", "issue_type": "Bug",
        "summary": "s", "status": "Done", "status_category": "done", "assignee_account": None,
        "assignee_email": None, "reporter_account": None, "created": T0, "updated": T0,
        "resolved": None, "due": None, "priority": None,
    }  # fmt: skip
    with blank_engine.begin() as conn:
        conn.execute(sa.insert(tickets), row)

    migrate(blank_engine)

    with blank_engine.begin() as conn:
        assert compare_metadata(MigrationContext.configure(conn), metadata) == []
        assert conn.execute(sa.select(tickets.c.ticket_key, tickets.c.issue_id)).all() == [
            ("OPS-1", None)
        ]
        long = "x" * 300  # PostgreSQL refused it as VARCHAR(255)
        conn.execute(sa.update(tickets).values(status=long, issue_id="10001"))
        assert conn.execute(sa.select(tickets.c.status)).scalar_one() == long
    assert revision(blank_engine) == HEAD


def wait_until(condition: Callable[[], bool], *, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def blocked_by(engine: sa.Engine, holder: sa.Connection) -> bool:
    """Whether some session waits for a lock `holder`'s session holds (PostgreSQL)."""
    pid = holder.execute(sa.text("select pg_backend_pid()")).scalar_one()
    query = "select count(*) from pg_locks where not granted and :pid = any(pg_blocking_pids(pid))"
    with engine.connect() as conn:
        return conn.execute(sa.text(query), {"pid": pid}).scalar_one() > 0


# PostgreSQL only: SQLite has no advisory locks (a writer holds the whole file).
@pytest.mark.parametrize("blank_engine", ["postgresql"], indirect=True)
def test_migrate_waits_while_another_command_migrates(blank_engine: sa.Engine) -> None:
    worker = threading.Thread(target=migrate, args=(blank_engine,))
    with blank_engine.begin() as holder:
        lock_exclusively(holder, SCHEMA_LOCK)  # as another command mid-migration would
        worker.start()
        wait_until(lambda: blocked_by(blank_engine, holder))
        assert revision(blank_engine) is None
    worker.join(timeout=30)
    assert revision(blank_engine) == HEAD


def test_evaluations_stored_before_0013_get_their_overview_summary(
    blank_engine: sa.Engine,
) -> None:
    migrate(blank_engine, to="0012")
    goals = [
        {"status": "met", "flags": ["window_not_covered:jira"]},
        {"status": "insufficient_data", "flags": ["team_wide_shift", "window_not_covered:gh"]},
        {"status": "met", "flags": []},
    ]
    evaluations = sa.table("evaluations", *(sa.column(name) for name in (
        "plan_id", "version", "as_of", "computed_at")), sa.column("payload", sa.JSON()))
    with blank_engine.begin() as conn:
        conn.execute(sa.insert(evaluations), {
            "plan_id": "p1", "version": 1, "as_of": T0.date(), "computed_at": T0,
            "payload": {"outcome": "undetermined", "goals": goals}})

    migrate(blank_engine)

    table = service.tables.evaluation_summaries
    with blank_engine.connect() as conn:
        assert conn.execute(sa.select(table)).one() == ("p1", "undetermined", 2, 1, ["gh", "jira"])
