"""The Jira stream's store on both databases: a moved issue replaces its old row, and only
the Jira stream does this (the generic upsert knows nothing of issue ids)."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa

from ingest.records import Ticket, TicketChange
from ingest.sources.jira_store import store_tickets
from ingest.store import RECORD_TABLES, upsert_records

T0 = datetime(2026, 9, 1, 9, tzinfo=UTC)


def ticket(key: str) -> Ticket:
    return Ticket(
        source="jira", ticket_key=key, url=f"https://jira.example/browse/{key}", project="OPS",
        issue_type="Task", summary="Printer on fire", status="Done", status_category="done",
        assignee_account="acc-1", assignee_email=None, reporter_account=None, created=T0,
        updated=T0, resolved=T0 + timedelta(hours=5), due=date(2026, 9, 3), priority="High",
    )  # fmt: skip


def ticket_keys(engine: sa.Engine) -> list[tuple[str, str]]:
    tickets = RECORD_TABLES["tickets"]
    query = sa.select(tickets.c.source, tickets.c.ticket_key)
    with engine.connect() as conn:
        return sorted((row.source, row.ticket_key) for row in conn.execute(query))


def test_a_moved_ticket_replaces_the_row_under_its_old_key_only(engine: sa.Engine) -> None:
    change = TicketChange(
        source="jira", ticket_key="OPS-1", change_id="1.0", at=T0, field="status",
        from_value="new", to_value="done", from_name=None, to_name=None, author_account=None,
    )  # fmt: skip
    first = dataclasses.replace(ticket("OPS-1"), issue_id="10001")
    elsewhere = dataclasses.replace(first, source="jira-2")  # same id, another Jira site
    from_csv = ticket("OPS-2")  # no issue id
    with engine.begin() as conn:
        store_tickets(conn, [first, change, elsewhere, from_csv])
        moved = dataclasses.replace(first, ticket_key="SUP-5", project="SUP")
        store_tickets(conn, [moved, dataclasses.replace(change, ticket_key="SUP-5")])
    with engine.connect() as conn:
        changed = conn.execute(sa.select(RECORD_TABLES["ticket_changes"].c.ticket_key)).all()
    assert ticket_keys(engine) == [("jira", "OPS-2"), ("jira", "SUP-5"), ("jira-2", "OPS-1")]
    assert changed == [("SUP-5",)]


def test_store_tickets_counts_what_it_wrote(engine: sa.Engine) -> None:
    first = dataclasses.replace(ticket("OPS-1"), issue_id="10001")
    with engine.begin() as conn:
        written = store_tickets(conn, [first, ticket("OPS-2")])
        rewritten = store_tickets(conn, [dataclasses.replace(first, ticket_key="SUP-5")])
    assert (written, rewritten) == (2, 1)
    assert ticket_keys(engine) == [("jira", "OPS-2"), ("jira", "SUP-5")]


def test_the_generic_upsert_keeps_rows_by_key_alone(engine: sa.Engine) -> None:
    """Another source's records with an issue id (a CSV import may fill it) are not Jira's to
    de-duplicate: the plain upsert keys on (source, ticket_key) only."""
    first = dataclasses.replace(ticket("OPS-1"), issue_id="10001")
    with engine.begin() as conn:
        upsert_records(conn, [first])
        upsert_records(conn, [dataclasses.replace(first, ticket_key="SUP-5")])
    assert ticket_keys(engine) == [("jira", "OPS-1"), ("jira", "SUP-5")]
