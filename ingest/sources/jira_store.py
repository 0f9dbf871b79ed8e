"""How the Jira stream stores a page: an issue moved to another project replaces its old row.

A moved issue keeps its id under a new key (OPS-1 → SUP-5), and the generic upsert, keyed on
(source, ticket_key), would keep both rows and count the issue twice. Only Jira has such ids, so
the check lives with its connector, run in the page's transaction by `run_stream` (`Stream.store`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from sqlalchemy import Connection, delete, text

from ingest.records import Record, Ticket
from ingest.store import RECORD_TABLES, upsert_records

_TICKETS, _TICKET_CHANGES = RECORD_TABLES["tickets"], RECORD_TABLES["ticket_changes"]

# The old keys of a page's moved issues: the page's {issue id: key now} as one JSON object joined
# to the (source, issue_id) index (SQLite's json_each and PostgreSQL's json_each_text both give key
# and value columns); CROSS JOIN makes SQLite walk the page's ids, not every ticket of the source.
# Usually it finds nothing, in a quarter of the time a select of the page's stored keys took.
_MOVED_FROM = {
    dialect: text(
        f"SELECT t.ticket_key FROM {pairs} AS p CROSS JOIN tickets AS t"
        " WHERE t.source = :source AND t.issue_id = p.key AND t.ticket_key <> p.value"
    )
    for dialect, pairs in {
        "sqlite": "json_each(:now)",
        "postgresql": "json_each_text(CAST(:now AS json))",
    }.items()
}


def store_tickets(conn: Connection, records: Sequence[Record]) -> int:
    """Upsert the records, first deleting what their moved issues left under an old key."""
    drop_moved_tickets(conn, [record for record in records if isinstance(record, Ticket)])
    return upsert_records(conn, records)


def drop_moved_tickets(conn: Connection, tickets: Sequence[Ticket]) -> None:
    """Delete the rows, and that key's changes, a moved issue left under its old key."""
    keys: dict[str, dict[str, str]] = {}  # source → issue id → key now
    for ticket in tickets:
        if ticket.issue_id is not None:
            keys.setdefault(ticket.source, {})[ticket.issue_id] = ticket.ticket_key
    query = _MOVED_FROM[conn.dialect.name]
    for source, now in keys.items():
        moved = conn.execute(query, {"source": source, "now": json.dumps(now)}).scalars().all()
        if not moved:
            continue
        for table in (_TICKET_CHANGES, _TICKETS):
            old = table.c.ticket_key.in_(moved)
            conn.execute(delete(table).where(table.c.source == source, old))


__all__ = ["drop_moved_tickets", "store_tickets"]
