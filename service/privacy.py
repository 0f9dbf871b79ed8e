"""Data-subject rights: everything held about a person, as JSON, and its erasure.

Both read one list of what is held (`_holdings`), so what `export-person` shows is what
`forget` erases. A person's own records, plans and case file are deleted; where they appear in
someone else's record (a ticket they reported, a rating they gave, a reassignment), the mention
is redacted and the record kept, since it is the other person's evidence. Erasure removes whole
plan chains only, so every other plan's snapshot chain still verifies.

people.yaml and plans/ are the source of truth: every command mirrors them into the database,
so the caller must also remove the person from those files (the result says so).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Column,
    ColumnElement,
    Connection,
    Table,
    cast,
    delete,
    false,
    insert,
    or_,
    select,
    tuple_,
    update,
)
from sqlalchemy.types import Text

from config.people import Person
from ingest.store import RECORD_TABLES, accounts, metadata, people, quarantine
from service.audit import append, redact_audit
from service.tables import api_tokens, erasures, users
from service.workspace import Workspace

__all__ = ["Erasure", "forget", "person_data"]

ERASED = "erased"
# Case-file tables keyed by plan: a plan of the person goes from each of them whole. Add a
# table here (e.g. "snapshots") and both `forget` and `export-person` cover it.
PLAN_TABLES = ("plan_versions", "decisions", "evaluations", "evaluation_summaries", "snapshots",
               "acknowledgements", "notes")


@dataclass(frozen=True)
class Held:
    """Rows of one table that hold something about the person: deleted, or (with `redact`)
    kept with these columns overwritten."""

    table: Table
    where: ColumnElement[bool]
    redact: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Erasure:
    at: datetime
    rows: dict[str, int]  # table → rows deleted or redacted
    files: tuple[str, ...]  # what the user must still remove from the configuration


def _person(ws: Workspace, person_id: str) -> Person:
    for person in ws.config.people.people:
        if person.id == person_id:
            return person
    raise LookupError(f"{person_id!r} is not in people.yaml (forget needs their accounts; "
                      "put them back until the erasure is done)")


def _plan_ids(ws: Workspace, conn: Connection, person_id: str) -> set[str]:
    """The person's plans: in plans/ now, and any stored version that named them employee."""
    versions = metadata.tables["plan_versions"]
    stored = {
        row.plan_id for row in conn.execute(select(versions.c.plan_id, versions.c.content))
        if row.content.get("employee") == person_id
    }
    return stored | {p.id for p in ws.config.plans.values() if p.employee == person_id}


def _in(column: Column[Any], values: Sequence[str]) -> ColumnElement[bool]:
    return column.in_(values) if values else false()


def _holdings(ws: Workspace, conn: Connection, person: Person) -> list[Held]:
    """What is held about the person, in an order that deletes dependants first."""
    names = sorted({a for a in person.accounts.values()})
    emails = [person.email]
    tickets, changes = RECORD_TABLES["tickets"], RECORD_TABLES["ticket_changes"]
    theirs = or_(_in(tickets.c.assignee_account, names), _in(tickets.c.assignee_email, emails))
    t = RECORD_TABLES
    plans = sorted(_plan_ids(ws, conn, person.id))
    return [
        Held(changes, tuple_(changes.c.source, changes.c.ticket_key).in_(
            select(tickets.c.source, tickets.c.ticket_key).where(theirs))),
        Held(tickets, theirs),
        Held(tickets, _in(tickets.c.reporter_account, names), {"reporter_account": None}),
        Held(changes, _in(changes.c.author_account, names), {"author_account": None}),
        *(Held(changes, _in(changes.c[f"{end}_value"], names),
               {f"{end}_value": ERASED, f"{end}_name": ERASED}) for end in ("from", "to")),
        Held(t["pull_requests"], or_(_in(t["pull_requests"].c.author_account, names),
                                     _in(t["pull_requests"].c.author_email, emails))),
        Held(t["reviews"], _in(t["reviews"].c.reviewer_account, names)),
        Held(t["review_requests"], _in(t["review_requests"].c.reviewer_account, names)),
        Held(t["deployments"], _in(t["deployments"].c.creator_account, names)),
        Held(t["incidents"], _in(t["incidents"].c.assignee_account, names)),
        Held(t["samples"], t["samples"].c.owner == person.id),
        Held(t["ratings"], t["ratings"].c.person == person.id),
        Held(t["ratings"], t["ratings"].c.author == person.id, {"author": ERASED}),
        *(Held(metadata.tables[name], _in(metadata.tables[name].c.plan_id, plans))
          for name in PLAN_TABLES),
        Held(metadata.tables["decisions"], metadata.tables["decisions"].c.decided_by == person.id,
             {"decided_by": ERASED}),
        Held(quarantine, or_(*(cast(quarantine.c.payload, Text).contains(word)
                               for word in (*names, *emails, person.name)))),
        Held(people, people.c.manager == person.id, {"manager": None}),
        Held(accounts, accounts.c.person_id == person.id),
        Held(api_tokens, _in(api_tokens.c.user_name, _user_names(conn, person.id))),
        Held(users, users.c.person_id == person.id),
        Held(people, people.c.id == person.id),
    ]


def _user_names(conn: Connection, person_id: str) -> list[str]:
    return list(conn.execute(select(users.c.name).where(users.c.person_id == person_id))
                .scalars())


def _mentions(ws: Workspace, conn: Connection, person: Person) -> set[str]:
    """Every word that names the person in the audit log: ids, names, accounts, plans."""
    return {person.id, person.name, person.email, *person.accounts.values(),
            *_plan_ids(ws, conn, person.id), *_user_names(conn, person.id)}


def _json_value(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def person_data(ws: Workspace, person_id: str) -> dict[str, Any]:
    """Everything held about the person, by table (what `forget` would erase or redact);
    LookupError for a person not in people.yaml."""
    person = _person(ws, person_id)
    held: dict[str, list[dict[str, Any]]] = {}
    with ws.engine.connect() as conn:
        for item in _holdings(ws, conn, person):
            rows = conn.execute(select(item.table).where(item.where))
            held.setdefault(item.table.name, []).extend(
                {name: _json_value(value) for name, value in row._mapping.items()} for row in rows
            )
    return {"person": person.model_dump(), "held": {k: v for k, v in held.items() if v}}


def forget(ws: Workspace, person_id: str) -> Erasure:
    """Erase the person's evidence, plans, evaluations, decisions, ratings and accounts in one
    transaction, and record the erasure (time and row counts, no personal data)."""
    person = _person(ws, person_id)
    now = datetime.now(UTC)
    rows: dict[str, int] = {}
    with ws.engine.begin() as conn:
        rows["audit_log"] = redact_audit(conn, _mentions(ws, conn, person))
        for item in _holdings(ws, conn, person):
            statement = (update(item.table).where(item.where).values(**item.redact)
                         if item.redact else delete(item.table).where(item.where))
            count = conn.execute(statement).rowcount
            rows[item.table.name] = rows.get(item.table.name, 0) + count
        conn.execute(insert(erasures).values(at=now, rows=rows))
        append(conn, actor="system", action="erasure", detail={"rows": rows})
    files = (f"people.yaml: the entry {person.id!r}",
             *(f"plans/{p.id}.yaml" for p in ws.config.plans.values() if p.employee == person.id))
    return Erasure(now, rows, files)
