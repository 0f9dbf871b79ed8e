"""Snapshot use cases (DESIGN §6): take, list and verify the hash-chained record of each plan.

A snapshot stores the evaluation as it was, so it reproduces its verdict whatever happens to the
source records later; it is appended, never updated. Checkpoints (and the plan's last day) get
a snapshot of their own, as of that day, the first time a snapshot run finds the day passed.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cached_property
from typing import Any

from sqlalchemy import Connection, func, insert, select

from config.plans import Plan
from evaluate.snapshots import (
    GENESIS,
    BrokenLink,
    SnapshotRow,
    chain_hash,
    definitions_version,
    snapshot_payload,
    verify_chain,
)
from ingest.store import lock_exclusively
from service.evaluations import PlanReport, evaluate_many, today
from service.tables import plan_versions
from service.tables import snapshots as snapshot_table
from service.workspace import Workspace, plan_kinds

__all__ = [
    "SNAPSHOT_KINDS",
    "ChainCheck",
    "Snapshot",
    "checkpoint_days",
    "snapshot",
    "snapshots",
    "verify_snapshots",
]

SNAPSHOT_KINDS = ("manual", "scheduled", "checkpoint")
# pg_advisory_xact_lock key (see ingest.store): appends to the chains take turns.
SNAPSHOT_LOCK = 0x74726B72_00000003


@dataclass(frozen=True)
class Snapshot(SnapshotRow):
    """A stored snapshot with its payload read: the evaluation, plan version and content, and
    definitions it froze."""

    @cached_property
    def content(self) -> dict[str, Any]:
        content: dict[str, Any] = json.loads(self.payload)
        return content

    @property
    def evaluation(self) -> dict[str, Any]:
        """The stored object `evaluate --json` printed then."""
        evaluation: dict[str, Any] = self.content["evaluation"]
        return evaluation

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id, "plan": self.plan_id, "seq": self.seq, "kind": self.kind,
            "taken_at": self.taken_at.isoformat(), "as_of": self.as_of.isoformat(),
            "outcome": self.evaluation["outcome"], "plan_version": self.content["plan_version"],
            "definitions_version": self.content["definitions_version"],
            "previous_hash": self.previous_hash, "hash": self.hash,
            "evaluation": self.evaluation,
        }


@dataclass(frozen=True)
class ChainCheck:
    snapshots: int
    plans: int
    broken: BrokenLink | None


def checkpoint_days(plan: Plan) -> list[date]:
    """The days a plan is judged on: its checkpoints and its last day."""
    return sorted({*plan.checkpoints, plan.end})


def snapshot(ws: Workspace, plan_id: str | None = None, as_of: date | None = None, *,
             kind: str = "manual") -> list[Snapshot]:
    """Snapshot one plan, or every plan active on the day (default today); first, a checkpoint
    snapshot for each checkpoint of theirs passed without one. LookupError for an unknown plan."""
    if kind not in SNAPSHOT_KINDS:
        raise ValueError(f"kind must be one of {', '.join(SNAPSHOT_KINDS)}")
    day = as_of or today(ws)
    plans = [ws.plan(plan_id)] if plan_id else [p for p in ws.config.plans.values()
                                                 if p.start <= day]
    due = _missing_checkpoints(ws, plans, day)
    runs = [*due, *((p, day, kind) for p in plans
                    if (plan_id or day <= p.end) and (p, day, "checkpoint") not in due)]
    return _append(ws, _evaluate(ws, runs))


def checkpoint_snapshots(ws: Workspace, as_of: date) -> list[Snapshot]:
    """Only the checkpoint snapshots due by `as_of`: the scheduler's daily run."""
    plans = [p for p in ws.config.plans.values() if p.start <= as_of]
    return _append(ws, _evaluate(ws, _missing_checkpoints(ws, plans, as_of)))


Run = tuple[Plan, date, str]  # plan, as-of day, kind


def _missing_checkpoints(ws: Workspace, plans: Sequence[Plan], day: date) -> list[Run]:
    with ws.engine.connect() as conn:
        taken = _taken_checkpoints(conn)
    return [(plan, checkpoint, "checkpoint") for plan in plans
            for checkpoint in checkpoint_days(plan)
            if checkpoint <= day and (plan.id, checkpoint) not in taken]


def _taken_checkpoints(conn: Connection) -> set[tuple[str, date]]:
    return {(row.plan_id, row.as_of) for row in conn.execute(
        select(snapshot_table.c.plan_id, snapshot_table.c.as_of)
        .where(snapshot_table.c.kind == "checkpoint"))}


def _evaluate(ws: Workspace, runs: Sequence[Run]) -> list[tuple[Run, PlanReport]]:
    """One evidence load; one batch per as-of day."""
    if not runs:
        return []
    evidence = ws.evidence(kinds={k for plan, _, _ in runs for k in plan_kinds(plan)})
    reports: dict[tuple[str, date], PlanReport] = {}
    for day in sorted({d for _, d, _ in runs}):
        ids = list(dict.fromkeys(plan.id for plan, d, _ in runs if d == day))
        for report in evaluate_many(ws, ids, day, evidence=evidence):
            reports[(report.evaluation.plan, day)] = report
    return [(run, reports[(run[0].id, run[1])]) for run in runs]


def _append(ws: Workspace, evaluated: Sequence[tuple[Run, PlanReport]]) -> list[Snapshot]:
    if not evaluated:
        return []
    definitions, now = definitions_version(), datetime.now(UTC)
    with ws.engine.begin() as conn:
        lock_exclusively(conn, SNAPSHOT_LOCK)
        heads, taken = _heads(conn), _taken_checkpoints(conn)
        contents = _plan_contents(conn, ws, {run[0].id for run, _ in evaluated})
        rows = []
        for (plan, day, kind), report in evaluated:
            if kind == "checkpoint" and (plan.id, day) in taken:
                continue  # another run (the weekly and the daily job fire together) took it
            seq, previous = heads.get(plan.id, (0, GENESIS))
            payload = snapshot_payload(
                plan_id=plan.id, seq=seq + 1, kind=kind, as_of=day, taken_at=now,
                evaluation=report.to_json(), plan_version=ws.versions[plan.id],
                plan_content=contents[plan.id], definitions=definitions)
            row = SnapshotRow(0, plan.id, seq + 1, now, day, kind, payload, previous,
                              chain_hash(previous, payload))
            values = {k: v for k, v in vars(row).items() if k != "id"}
            inserted = conn.execute(insert(snapshot_table).values(values)).inserted_primary_key
            heads[plan.id] = (row.seq, row.hash)
            rows.append(_snapshot(dataclasses.replace(row, id=int(inserted[0]))))  # type: ignore[index]
    return rows


def _heads(conn: Connection) -> dict[str, tuple[int, str]]:
    """Each chain's last (seq, hash)."""
    last = (select(snapshot_table.c.plan_id, func.max(snapshot_table.c.seq).label("seq"))
            .group_by(snapshot_table.c.plan_id).subquery())
    query = select(snapshot_table.c.plan_id, snapshot_table.c.seq, snapshot_table.c.hash).join(
        last, (last.c.plan_id == snapshot_table.c.plan_id) & (last.c.seq == snapshot_table.c.seq))
    return {row.plan_id: (row.seq, row.hash) for row in conn.execute(query)}


def _plan_contents(conn: Connection, ws: Workspace, plan_ids: Iterable[str]
                   ) -> dict[str, dict[str, Any]]:
    """The full stored content of the version each plan is judged on."""
    wanted = {(plan_id, ws.versions[plan_id]) for plan_id in plan_ids}
    rows = conn.execute(select(plan_versions.c.plan_id, plan_versions.c.version,
                               plan_versions.c.content)
                        .where(plan_versions.c.plan_id.in_([p for p, _ in wanted])))
    return {r.plan_id: r.content for r in rows if (r.plan_id, r.version) in wanted}


def _snapshot(row: SnapshotRow) -> Snapshot:
    return Snapshot(**vars(row))


def _rows(ws: Workspace, plan_id: str | None = None) -> list[SnapshotRow]:
    query = select(snapshot_table).order_by(snapshot_table.c.plan_id, snapshot_table.c.id)
    if plan_id is not None:
        query = query.where(snapshot_table.c.plan_id == plan_id)
    with ws.engine.connect() as conn:
        return [SnapshotRow(**row._asdict()) for row in conn.execute(query)]


def snapshots(ws: Workspace, plan_id: str) -> list[Snapshot]:
    """A plan's snapshots, oldest first, as stored; LookupError for an unknown plan."""
    ws.plan(plan_id)
    return [_snapshot(row) for row in _rows(ws, plan_id)]


def verify_snapshots(ws: Workspace) -> ChainCheck:
    """Check every chain from the stored bytes; the first broken link, if any, by plan."""
    rows = _rows(ws)
    return ChainCheck(len(rows), len({r.plan_id for r in rows}), verify_chain(rows))
