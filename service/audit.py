"""The audit log (DESIGN §8): who signed in (or tried), viewed, exported, acknowledged, noted,
rated, decided or changed an account, and when.

Append-only and one hash chain over every entry, built with the snapshots' chain code
(evaluate.snapshots): each entry's payload is canonical JSON holding its own columns, and
`hash = sha256(previous_hash + payload)`; so a changed byte, a dropped or a reordered entry
breaks the chain, and `verify_audit` names the first broken entry. Entries hold ids, never
passwords, comments or note texts.

The one sanctioned rewrite is an erasure (`service.forget`): every mention of the person is
replaced by "erased" and the chain is sealed again from the first entry changed; the erasure is
itself an entry, so the log shows that it happened and when.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, func, insert, or_, select, update

from evaluate.snapshots import GENESIS, canonical_json, chain_hash, link_problem
from ingest.store import lock_exclusively
from service.tables import audit_log

if TYPE_CHECKING:  # the workspace stores plan versions, and each new one is audited
    from service.workspace import Workspace

__all__ = [
    "ACTIONS",
    "AuditCheck",
    "AuditEntry",
    "append",
    "audit",
    "audit_entries",
    "failed_sign_in",
    "redact_audit",
    "sign_in_refused",
    "verify_audit",
]

ACTIONS = (
    "sign_in", "sign_in_failed", "view", "export", "plan_version", "acknowledge", "note",
    "rating", "decision", "user_add", "user_password", "user_remove", "token_issue",
    "token_revoke", "erasure",
)
ERASED = "erased"
# Failed sign-ins allowed per name (since its last success) and per client address within the
# window: enough for a person who mistypes, too few to guess a password.
SIGN_IN_ATTEMPTS = 5
SIGN_IN_WINDOW = timedelta(minutes=10)
WRONG_PASSWORD = "wrong name or password"
RATE_LIMITED = "rate limited"
# pg_advisory_xact_lock key (see ingest.store): appends to the one chain take turns.
AUDIT_LOCK = 0x74726B72_00000004


@dataclass(frozen=True)
class AuditEntry:
    id: int
    seq: int
    at: datetime
    actor: str
    action: str
    plan_id: str | None
    person_id: str | None
    payload: str
    previous_hash: str
    hash: str

    @property
    def detail(self) -> dict[str, Any]:
        detail: dict[str, Any] = json.loads(self.payload).get("detail", {})
        return detail


def _payload(seq: int, at: datetime, actor: str, action: str, plan: str | None,
             person: str | None, detail: Mapping[str, Any]) -> str:
    return canonical_json({"seq": seq, "at": at.isoformat(), "actor": actor, "action": action,
                           "plan": plan, "person": person, "detail": dict(detail)})


def append(conn: Connection, *, actor: str, action: str, plan: str | None = None,
           person: str | None = None, detail: Mapping[str, Any] | None = None) -> None:
    """Add an entry in the caller's transaction, so the entry and what it records stand or
    fall together."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    lock_exclusively(conn, AUDIT_LOCK)
    head = conn.execute(select(audit_log.c.seq, audit_log.c.hash)
                        .where(audit_log.c.seq == select(func.max(audit_log.c.seq))
                               .scalar_subquery())).first()
    seq, previous = (int(head.seq) + 1, str(head.hash)) if head else (1, GENESIS)
    at = datetime.now(UTC)
    payload = _payload(seq, at, actor, action, plan, person, detail or {})
    conn.execute(insert(audit_log).values(
        seq=seq, at=at, actor=actor, action=action, plan_id=plan, person_id=person,
        payload=payload, previous_hash=previous, hash=chain_hash(previous, payload)))


def audit(ws: Workspace, *, actor: str, action: str, plan: str | None = None,
          person: str | None = None, detail: Mapping[str, Any] | None = None) -> None:
    """An entry in a transaction of its own: for events that change nothing else (a view, a
    sign-in, an export)."""
    with ws.engine.begin() as conn:
        append(conn, actor=actor, action=action, plan=plan, person=person, detail=detail)


def failed_sign_in(ws: Workspace, *, name: str, address: str, refused: bool = False) -> None:
    """The name attempted is kept, never the password; `refused`: the limit turned it away
    before the password was checked, so it is no further guess."""
    audit(ws, actor=f"anonymous:{address}", action="sign_in_failed",
          detail={"name": name[:255], "why": RATE_LIMITED if refused else WRONG_PASSWORD})


def sign_in_refused(ws: Workspace, *, name: str, address: str) -> bool:
    """Whether the name or the address has used up its guesses. Counted from the audit log,
    which every web worker and a restarted one share: more workers grant no more guesses."""
    since = datetime.now(UTC) - SIGN_IN_WINDOW
    query = (select(audit_log.c.actor, audit_log.c.action, audit_log.c.payload)
             .where(audit_log.c.action.in_(("sign_in", "sign_in_failed")),
                    audit_log.c.at >= since)
             .order_by(audit_log.c.seq))
    by_name = by_address = 0
    with ws.engine.connect() as conn:
        for actor, action, payload in conn.execute(query):
            if action == "sign_in":
                by_name = 0 if actor == name else by_name
                continue
            detail = json.loads(payload)["detail"]
            if detail.get("why") == WRONG_PASSWORD:
                by_name += detail.get("name") == name[:255]
                by_address += actor == f"anonymous:{address}"
    return max(by_name, by_address) >= SIGN_IN_ATTEMPTS


def audit_entries(ws: Workspace, *, plan: str | None = None, person: str | None = None,
                  limit: int = 500) -> list[AuditEntry]:
    """The newest entries first, about one plan and/or one person (as the subject or the
    actor's person)."""
    query = select(audit_log).order_by(audit_log.c.seq.desc()).limit(limit)
    if plan:
        query = query.where(audit_log.c.plan_id == plan)
    if person:
        query = query.where(or_(audit_log.c.person_id == person, audit_log.c.actor == person))
    with ws.engine.connect() as conn:
        return [AuditEntry(**row._asdict()) for row in conn.execute(query)]


@dataclass(frozen=True)
class AuditCheck:
    entries: int
    broken: str | None  # the first broken entry and what is wrong with it


def _problem(entry: AuditEntry, expected_seq: int, previous: str) -> str | None:
    if entry.seq != expected_seq:
        return f"out of order: expected entry {expected_seq} here"
    problem = link_problem(expected_previous=previous, previous_hash=entry.previous_hash,
                           payload=entry.payload, hash=entry.hash)
    if problem is not None:
        return problem
    expected = _payload(entry.seq, entry.at, entry.actor, entry.action, entry.plan_id,
                        entry.person_id, entry.detail)
    return None if expected == entry.payload else "columns differ from the hashed payload"


def verify_audit(ws: Workspace) -> AuditCheck:
    """Walk the chain from its first entry; stops at the first broken one."""
    with ws.engine.connect() as conn:
        rows = [AuditEntry(**row._asdict())
                for row in conn.execute(select(audit_log).order_by(audit_log.c.seq))]
    previous = GENESIS
    for expected_seq, entry in enumerate(rows, start=1):
        try:
            problem = _problem(entry, expected_seq, previous)
        except ValueError:
            problem = "payload is not JSON"
        if problem is not None:
            return AuditCheck(len(rows), f"entry {entry.seq} (id {entry.id}, {entry.action}): "
                                         f"{problem}")
        previous = entry.hash
    return AuditCheck(len(rows), None)


def _scrub(value: Any, words: Collection[str]) -> Any:
    if isinstance(value, str):
        return ERASED if any(word in value for word in words) else value
    if isinstance(value, dict):
        return {key: _scrub(item, words) for key, item in value.items()}
    if isinstance(value, list):
        return [_scrub(item, words) for item in value]
    return value


def redact_audit(conn: Connection, words: Collection[str]) -> int:
    """Replace every column or detail value that contains one of `words` by "erased" and seal
    the chain again from the first entry changed; how many entries were redacted."""
    lock_exclusively(conn, AUDIT_LOCK)
    entries = [AuditEntry(**row._asdict())
               for row in conn.execute(select(audit_log).order_by(audit_log.c.seq))]
    previous, redacted, changed = GENESIS, 0, False
    for entry in entries:
        actor, plan, person, detail = _scrub(
            [entry.actor, entry.plan_id, entry.person_id, entry.detail], words)
        payload = _payload(entry.seq, entry.at, actor, entry.action, plan, person, detail)
        redacted += payload != entry.payload
        changed = changed or payload != entry.payload
        if changed:
            sealed = chain_hash(previous, payload)
            conn.execute(update(audit_log).where(audit_log.c.id == entry.id).values(
                actor=actor, plan_id=plan, person_id=person, payload=payload,
                previous_hash=previous, hash=sealed))
        previous = sealed if changed else entry.hash
    return redacted
