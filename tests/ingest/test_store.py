"""The store on both databases: migrations match the tables, upserts are idempotent."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.dialects import postgresql, sqlite

from ingest import store
from ingest.evidence import load_evidence
from ingest.records import Incident, PullRequest, Sample, Ticket
from ingest.store import RECORD_TABLES, UTCDateTime, metadata, sqlite_utc_text, upsert_records

T0 = datetime(2026, 9, 1, 9, tzinfo=UTC)


def ticket(
    key: str, *, summary: str = "Printer on fire", updated: datetime | None = None
) -> Ticket:
    created = datetime(2026, 9, 1, 9, tzinfo=UTC)
    return Ticket(
        source="jira", ticket_key=key, url=f"https://jira.example/browse/{key}", project="OPS",
        issue_type="Task", summary=summary, status="Done", status_category="done",
        assignee_account="acc-1", assignee_email=None, reporter_account=None, created=created,
        updated=updated or created, resolved=created + timedelta(hours=5), due=date(2026, 9, 3),
        priority="High",
    )


def test_migrations_create_exactly_the_declared_tables(engine: sa.Engine) -> None:
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == []


def test_upsert_is_idempotent_and_updates_in_place(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        upsert_records(conn, [ticket("OPS-1"), ticket("OPS-2")])
        upsert_records(conn, [ticket("OPS-1", summary="Printer still on fire")])
    with engine.connect() as conn:
        rows = conn.execute(sa.select(RECORD_TABLES["tickets"]).order_by("ticket_key")).all()
    assert [(r.ticket_key, r.summary) for r in rows] == [
        ("OPS-1", "Printer still on fire"),
        ("OPS-2", "Printer on fire"),
    ]


def test_times_come_back_aware_in_utc(engine: sa.Engine) -> None:
    berlin_evening = datetime(2026, 10, 25, 23, 30, tzinfo=timezone(timedelta(hours=1)))
    with engine.begin() as conn:
        upsert_records(conn, [ticket("OPS-9", updated=berlin_evening)])
    with engine.connect() as conn:
        updated = conn.execute(sa.select(RECORD_TABLES["tickets"].c.updated)).scalar_one()
    assert updated == berlin_evening and updated.tzinfo == UTC


def test_naive_times_are_refused(engine: sa.Engine) -> None:
    with pytest.raises(sa.exc.StatementError, match="naive datetime"), engine.begin() as conn:
        upsert_records(conn, [ticket("OPS-3", updated=datetime(2026, 9, 1))])


def test_record_key_is_source_and_natural_key() -> None:
    assert ticket("OPS-7").key == "jira:OPS-7"


@pytest.mark.parametrize(
    "value",
    [
        datetime(2026, 9, 1, 9, 15, 3, 1234, tzinfo=UTC),
        datetime(2026, 10, 25, 23, 30, tzinfo=timezone(timedelta(hours=1))),
        datetime(2026, 3, 29, 1, 59, 59, 999999, tzinfo=timezone(timedelta(hours=-9, minutes=-30))),
        datetime(999, 1, 1, 12, tzinfo=UTC),
        None,
    ],
)
def test_the_fast_sqlite_time_text_is_what_sqlalchemy_would_write(value: datetime | None) -> None:
    dialect = sqlite.dialect()
    sqlalchemy_way = UTCDateTime().dialect_impl(dialect).bind_processor(dialect)
    assert sqlite_utc_text(value) == sqlalchemy_way(value)


def test_the_fast_sqlite_time_text_refuses_naive_times() -> None:
    with pytest.raises(ValueError, match="naive datetime"):
        sqlite_utc_text(datetime(2026, 9, 1))


# Enrichment a later read lacks, compiled upserts ------------------------------------------------


def stored(engine: sa.Engine, table: str, column: str) -> dict[str, Any]:
    t = RECORD_TABLES[table]
    key = t.primary_key.columns.values()[1]
    with engine.connect() as conn:
        return {k: v for k, v in conn.execute(sa.select(key, t.c[column]))}


def test_a_reread_without_an_email_keeps_the_known_one_for_the_same_assignee(
    engine: sa.Engine,
) -> None:
    seen = dataclasses.replace(ticket("OPS-1"), assignee_email="ann@example.com")
    other = dataclasses.replace(ticket("OPS-2"), assignee_email="ann@example.com")
    with engine.begin() as conn:
        upsert_records(conn, [seen, other])
        upsert_records(conn, [dataclasses.replace(seen, assignee_email=None)])  # hidden now
        # A new assignee must not inherit the previous one's address.
        upsert_records(
            conn, [dataclasses.replace(other, assignee_account="acc-2", assignee_email=None)]
        )
    emails = stored(engine, "tickets", "assignee_email")
    assert emails == {"OPS-1": "ann@example.com", "OPS-2": None}


def test_a_reread_without_log_entries_keeps_the_acknowledge_time(engine: sa.Engine) -> None:
    acked = Incident(
        source="pagerduty", incident_id="Q1", url="https://pd.example/Q1", title="API down",
        service="checkout", urgency="high", assignee_account="P1", created=T0,
        acknowledged=T0 + timedelta(minutes=4), resolved=None, updated=T0,
    )  # fmt: skip
    later = dataclasses.replace(acked, acknowledged=None, resolved=T0 + timedelta(hours=1))
    with engine.begin() as conn:
        upsert_records(conn, [acked])
        upsert_records(conn, [later])
    assert stored(engine, "incidents", "acknowledged") == {"Q1": T0 + timedelta(minutes=4)}
    assert stored(engine, "incidents", "resolved") == {"Q1": T0 + timedelta(hours=1)}


def test_a_reread_without_the_author_email_keeps_it(engine: sa.Engine) -> None:
    pr = PullRequest(
        source="gh", repo="acme/api", number=7, url="https://gh.example/7", title="Fix",
        author_account="ann", author_email="ann@example.com", created=T0, updated=T0,
        ready_for_review=None, merged=None, closed=None, additions=1, deletions=0,
        base_branch="main",
    )  # fmt: skip
    with engine.begin() as conn:
        upsert_records(conn, [pr])
        upsert_records(conn, [dataclasses.replace(pr, author_email=None, title="Fix it")])
    with engine.connect() as conn:
        row = conn.execute(sa.select(RECORD_TABLES["pull_requests"])).one()
    assert (row.author_email, row.title) == ("ann@example.com", "Fix it")


def test_compiled_upserts_are_cached_per_driver(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store, "_COMPILED", {})
    table = RECORD_TABLES["incidents"]
    store._compiled_upsert(postgresql.psycopg2.dialect(), table)
    # psycopg casts each parameter; psycopg2's statement, compiled first, does not.
    assert "%(source)s::" in store._compiled_upsert(postgresql.psycopg.dialect(), table).sql


def sample(value: float, minute: int = 0) -> Sample:
    return Sample(source="prometheus", series="error_rate{service=\"checkout\"}",
                  metric="error_rate", owner="ann", at=T0 + timedelta(minutes=minute), value=value)


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
def test_a_non_finite_sample_is_refused_before_either_database(engine: sa.Engine,
                                                               value: float) -> None:
    """One rule on both: SQLite would turn NaN into NULL (and fail the row) while PostgreSQL
    keeps it, and both keep ±inf; a sample that is no number is refused as it is built."""
    with pytest.raises(ValueError, match="not a finite number"):
        sample(value)
    with engine.begin() as conn:
        upsert_records(conn, [sample(0.25), sample(1e308, 5), sample(5e-324, 10)])
    frames = load_evidence(engine, persons=[], source_kinds={"prometheus": "prometheus"},
                           kinds=["sample"])
    assert frames["sample"]["value"].tolist() == [0.25, 1e308, 5e-324]
