"""Snapshots as canonical JSON in a hash chain per plan (DESIGN §6): pure functions; storing
them is the shell's (service.snapshots).

The payload is the stored text itself: keys sorted, no optional whitespace, UTF-8, so the same
evaluation always gives the same bytes and `hash = sha256(previous_hash + payload)` can be
checked again from the row alone. Any changed byte, a dropped row or rows swapped within a
chain breaks a link, and `verify_chain` names the first one.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from config.plans import RATING_METRICS
from evaluate.metrics import METRICS, metric_spec

__all__ = [
    "GENESIS",
    "BrokenLink",
    "SnapshotRow",
    "canonical_json",
    "chain_hash",
    "definitions_version",
    "link_problem",
    "snapshot_payload",
    "verify_chain",
]

GENESIS = "0" * 64  # the previous hash of a chain's first snapshot


def canonical_json(value: Any) -> str:
    """One text per value: sorted keys, compact separators, non-ASCII kept (stored as UTF-8);
    NaN and infinities are refused, since JSON has no such numbers."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False)


def chain_hash(previous_hash: str, payload: str) -> str:
    return hashlib.sha256((previous_hash + payload).encode("utf-8")).hexdigest()


def definitions_version() -> str:
    """A digest of the metric catalog's rules (what each metric reads, its statistic, direction
    and unit): a snapshot names the definitions it was judged by, so a later change to the
    catalog is visible beside an old verdict."""
    specs = [*METRICS.values(), metric_spec(RATING_METRICS)]
    rules = [
        {"name": s.name, "kinds": s.kinds,
         "statistic": s.statistic, "statistics": s.statistics, "better": s.better,
         "unit": s.unit, "binary": s.binary, "point_in_time": s.point_in_time}
        for s in specs
    ]
    return hashlib.sha256(canonical_json(rules).encode("utf-8")).hexdigest()


def snapshot_payload(*, plan_id: str, seq: int, kind: str, as_of: date, taken_at: datetime,
                     evaluation: Mapping[str, Any], plan_version: int,
                     plan_content: Mapping[str, Any], definitions: str) -> str:
    """The canonical text of one snapshot. The row's own fields (plan, position, kind, dates)
    are inside it, so the hash covers them and a row moved within or between chains is caught."""
    return canonical_json({
        "plan": plan_id,
        "seq": seq,
        "kind": kind,
        "as_of": as_of.isoformat(),
        "taken_at": taken_at.isoformat(),
        "plan_version": plan_version,
        "plan_content": plan_content,
        "definitions_version": definitions,
        "evaluation": evaluation,
    })


@dataclass(frozen=True)
class SnapshotRow:
    """A stored snapshot as read back, every column as it is in the database."""

    id: int
    plan_id: str
    seq: int
    taken_at: datetime
    as_of: date
    kind: str
    payload: str
    previous_hash: str
    hash: str


@dataclass(frozen=True)
class BrokenLink:
    plan_id: str
    seq: int
    snapshot_id: int
    problem: str

    def line(self) -> str:
        return f"plan {self.plan_id}, snapshot {self.seq} (id {self.snapshot_id}): {self.problem}"


def link_problem(*, expected_previous: str, previous_hash: str, payload: str, hash: str
                 ) -> str | None:
    """What is wrong with one link of a hash chain (any chain: snapshots, the audit log)."""
    if previous_hash != expected_previous:
        return "previous_hash does not match the hash of the entry before it"
    if chain_hash(previous_hash, payload) != hash:
        return "hash does not match sha256(previous_hash + payload): a stored byte changed"
    return None


def _row_problem(row: SnapshotRow, expected_seq: int, previous_hash: str) -> str | None:
    if row.seq != expected_seq:
        return f"out of order: expected snapshot {expected_seq} here"
    problem = link_problem(expected_previous=previous_hash, previous_hash=row.previous_hash,
                           payload=row.payload, hash=row.hash)
    if problem is not None:
        return problem
    try:
        content = json.loads(row.payload)
    except ValueError:
        return "payload is not JSON"
    columns = {"plan": row.plan_id, "seq": row.seq, "kind": row.kind,
               "as_of": row.as_of.isoformat(), "taken_at": row.taken_at.isoformat()}
    differing = [name for name, value in columns.items() if content.get(name) != value]
    return f"columns differ from the hashed payload: {', '.join(differing)}" if differing else None


def verify_chain(rows: Iterable[SnapshotRow]) -> BrokenLink | None:
    """The first broken link of the chains, in the order given (each plan's rows as stored,
    by id), or None when every chain holds."""
    last: dict[str, tuple[int, str]] = {}  # plan → (seq, hash) of the previous row
    for row in rows:
        seq, previous = last.get(row.plan_id, (0, GENESIS))
        problem = _row_problem(row, seq + 1, previous)
        if problem is not None:
            return BrokenLink(row.plan_id, row.seq, row.id, problem)
        last[row.plan_id] = (row.seq, row.hash)
    return None
