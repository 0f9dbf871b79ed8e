"""Stored evaluations: the latest evaluation of each plan, computed by syncs, plan changes and
decisions, so a page or an export reads one row and a request never runs a bootstrap."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select

from ingest.store import upsert
from service.evaluations import evaluate_many, today
from service.tables import evaluations
from service.workspace import Workspace

__all__ = [
    "StoredEvaluation",
    "refresh_evaluations",
    "stored_evaluation",
    "stored_evaluations",
    "stored_outcomes",
]


@dataclass(frozen=True)
class StoredEvaluation:
    plan_id: str
    version: int
    as_of: date
    computed_at: datetime
    payload: dict[str, Any]  # the object `evaluate --json` prints, decision included


def refresh_evaluations(ws: Workspace, plan_ids: Collection[str] | None = None, *,
                        as_of: date | None = None) -> list[StoredEvaluation]:
    """Evaluate the plans (default: every plan) in one batch, as of today unless told, and
    store each result in place of the previous one."""
    day = as_of or today(ws)
    chosen = list(ws.config.plans) if plan_ids is None else list(plan_ids)
    now = datetime.now(UTC)
    stored = [
        StoredEvaluation(report.evaluation.plan, report.evaluation.version, day, now,
                         report.to_json())
        for report in evaluate_many(ws, chosen, day)
    ]
    with ws.engine.begin() as conn:
        upsert(conn, evaluations, [vars(s) for s in stored])
    return stored


def stored_evaluation(ws: Workspace, plan_id: str) -> StoredEvaluation | None:
    """The plan's latest stored evaluation (one query), or None before the first refresh."""
    with ws.engine.connect() as conn:
        row = conn.execute(select(evaluations).where(evaluations.c.plan_id == plan_id)).first()
    return None if row is None else StoredEvaluation(**row._asdict())


def stored_evaluations(ws: Workspace, plan_ids: Collection[str] | None = None
                       ) -> list[StoredEvaluation]:
    """Every stored evaluation (or those of these plans), by plan id, in one query."""
    query = select(evaluations).order_by(evaluations.c.plan_id)
    if plan_ids is not None:
        query = query.where(evaluations.c.plan_id.in_(list(plan_ids)))
    with ws.engine.connect() as conn:
        return [StoredEvaluation(**row._asdict()) for row in conn.execute(query)]


def stored_outcomes(ws: Workspace) -> dict[str, str]:
    """Each stored plan's outcome so far, read out of the payload by the database: filtering
    a thousand plans should not parse a thousand evaluations."""
    outcome = evaluations.c.payload["outcome"].as_string()
    with ws.engine.connect() as conn:
        return {row.plan_id: row.outcome
                for row in conn.execute(select(evaluations.c.plan_id, outcome.label("outcome")))}
