"""The plan as a two-way process on record (DESIGN §8): the employee acknowledges each version of
their plan; managers and HR write notes and checkpoint outcomes; ratings and decisions come from
`service.rate` and `service.decide`. Every step also goes to the audit log.

Who may write: the employee acknowledges their own plan only; notes, ratings and decisions are
for admin, HR and managers with the plan in scope, never on their own plan.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError

from config.plans import Plan
from ingest.store import RECORD_TABLES
from service.audit import append
from service.tables import acknowledgements, notes
from service.users import User, scope_of
from service.workspace import Workspace

__all__ = [
    "CHECKPOINT_OUTCOMES",
    "Acknowledgement",
    "Note",
    "RatingEntry",
    "acknowledge",
    "acknowledgements_of",
    "add_note",
    "may_acknowledge",
    "may_record",
    "notes_of",
    "ratings_of",
    "unacknowledged",
]

CHECKPOINT_OUTCOMES = ("on_track", "some_progress", "off_track")


def may_record(ws: Workspace, user: User, plan: Plan) -> bool:
    """Notes, ratings and decisions: admin and HR, or a manager over the plan's employee."""
    if user.role in ("admin", "hr"):
        return True
    return (user.role == "manager" and plan.employee != user.person
            and scope_of(ws, user).sees_plan(plan))


def may_acknowledge(user: User, plan: Plan) -> bool:
    return user.person is not None and user.person == plan.employee


@dataclass(frozen=True)
class Acknowledgement:
    plan_id: str
    version: int
    user_name: str
    person_id: str | None
    at: datetime
    comment: str


def acknowledge(ws: Workspace, user: User, plan_id: str, comment: str = "") -> Acknowledgement:
    """The employee acknowledges the plan's current version; PermissionError for anyone else,
    ValueError when that version is acknowledged already."""
    plan = ws.plan(plan_id)
    if not may_acknowledge(user, plan):
        raise PermissionError("only the employee acknowledges their plan")
    made = Acknowledgement(plan_id, ws.versions[plan_id], user.name, user.person,
                           datetime.now(UTC), comment.strip())
    try:
        with ws.engine.begin() as conn:
            conn.execute(insert(acknowledgements).values(vars(made)))
            append(conn, actor=user.name, action="acknowledge", plan=plan_id,
                   person=plan.employee, detail={"version": made.version,
                                                 "comment": bool(made.comment)})
    except IntegrityError:
        raise ValueError(f"version {made.version} is acknowledged already") from None
    return made


def acknowledgements_of(ws: Workspace, plan_id: str) -> list[Acknowledgement]:
    with ws.engine.connect() as conn:
        rows = conn.execute(select(acknowledgements).where(acknowledgements.c.plan_id == plan_id)
                            .order_by(acknowledgements.c.version))
        return [Acknowledgement(r.plan_id, r.version, r.user_name, r.person_id, r.at, r.comment)
                for r in rows]


def last_acknowledged(ws: Workspace, plan_ids: Collection[str]) -> dict[str, datetime]:
    """When each plan's employee last acknowledged a version of it, in one query (the org
    summary's column); plans never acknowledged are left out."""
    query = (select(acknowledgements.c.plan_id, func.max(acknowledgements.c.at).label("at"))
             .where(acknowledgements.c.plan_id.in_(list(plan_ids)))
             .group_by(acknowledgements.c.plan_id))
    with ws.engine.connect() as conn:
        return {row.plan_id: row.at for row in conn.execute(query)}


def unacknowledged(ws: Workspace, plan_ids: Collection[str]) -> set[str]:
    """The plans whose current version the employee has not acknowledged yet."""
    with ws.engine.connect() as conn:
        done = {(r.plan_id, r.version) for r in conn.execute(
            select(acknowledgements.c.plan_id, acknowledgements.c.version)
            .where(acknowledgements.c.plan_id.in_(list(plan_ids))))}
    return {p for p in plan_ids if (p, ws.versions[p]) not in done}


@dataclass(frozen=True)
class Note:
    plan_id: str
    text: str
    author: str
    at: datetime
    checkpoint: date | None = None
    outcome: str | None = None


def add_note(ws: Workspace, user: User, plan_id: str, text: str, *,
             checkpoint: date | None = None, outcome: str | None = None) -> Note:
    """A note, or with `checkpoint` the outcome of that checkpoint; PermissionError for someone
    who may not write on the plan, ValueError for an empty note or an unknown checkpoint."""
    plan = ws.plan(plan_id)
    if not may_record(ws, user, plan):
        raise PermissionError("only managers and HR write notes on a plan")
    if not text.strip():
        raise ValueError("a note needs some text")
    if checkpoint is not None and checkpoint not in (*plan.checkpoints, plan.end):
        raise ValueError(f"{checkpoint} is not a checkpoint of {plan_id}")
    if (checkpoint is None) != (outcome is None) or outcome not in (None,
                                                                    *CHECKPOINT_OUTCOMES):
        raise ValueError(f"a checkpoint needs an outcome: {', '.join(CHECKPOINT_OUTCOMES)}")
    note = Note(plan_id, text.strip(), user.name, datetime.now(UTC), checkpoint, outcome)
    with ws.engine.begin() as conn:
        conn.execute(insert(notes).values(vars(note)))
        append(conn, actor=user.name, action="note", plan=plan_id, person=plan.employee,
               detail={"checkpoint": checkpoint.isoformat() if checkpoint else None,
                       "outcome": outcome})
    return note


def notes_of(ws: Workspace, plan_id: str) -> list[Note]:
    with ws.engine.connect() as conn:
        rows = conn.execute(select(notes).where(notes.c.plan_id == plan_id)
                            .order_by(notes.c.at, notes.c.id))
        return [Note(r.plan_id, r.text, r.author, r.at, r.checkpoint, r.outcome) for r in rows]


@dataclass(frozen=True)
class RatingEntry:
    name: str
    value: int
    author: str
    at: datetime
    note: str


def ratings_of(ws: Workspace, person: str) -> list[RatingEntry]:
    """The person's ratings, oldest first, read from the ratings table (not the evidence frames,
    which a page has no need to load)."""
    table = RECORD_TABLES["ratings"]
    with ws.engine.connect() as conn:
        rows = conn.execute(select(table.c.name, table.c.value, table.c.author, table.c.at,
                                   table.c.note)
                            .where(table.c.person == person).order_by(table.c.at))
        return [RatingEntry(r.name, int(r.value), r.author, r.at, r.note or "") for r in rows]
