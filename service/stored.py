"""Stored evaluations: the latest evaluation of each plan, computed by syncs, plan changes and
decisions, so a page or an export reads one row and a request never runs a bootstrap.

Each row keeps a digest of what it read (evaluate.digests): after a sync only the plans whose
digest moved are evaluated again, so a sync that touched a few people recomputes their plans
and their teammates', and an idle sync recomputes nothing.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select

from config.plans import Plan
from evaluate.charts import sparkline, trend_chart
from evaluate.digests import person_digests, plan_digest, team_owners
from evaluate.evidence import Evidence
from evaluate.sentences import NOT_COVERED
from ingest.store import upsert
from service.evaluations import evaluate_many, today
from service.records import store_unmatched
from service.tables import evaluation_summaries, evaluations
from service.workspace import Workspace, plan_kinds

__all__ = [
    "StoredEvaluation",
    "Summary",
    "refresh_changed",
    "refresh_evaluations",
    "refresh_new_versions",
    "stored_evaluation",
    "stored_evaluations",
    "stored_summaries",
    "summary",
]


@dataclass(frozen=True)
class StoredEvaluation:
    plan_id: str
    version: int
    as_of: date
    computed_at: datetime
    payload: dict[str, Any]  # the object `evaluate --json` prints, decision included
    evidence_digest: str | None = None
    # Per goal, in plan order, as plotly figure JSON: the trend charts a plan page and a report
    # draw, and the sparklines an overview draws (kept apart, so fifty rows read no trend chart).
    charts: list[dict[str, Any]] | None = None
    sparklines: list[dict[str, Any]] | None = None


@dataclass(frozen=True)
class Summary:
    """What the overview sorts and filters every plan in scope by, stored with each evaluation
    in a narrow table of its own, so a thousand plans are sorted without reading a thousand
    payloads."""

    outcome: str
    goals_met: int
    short_of_data: int  # goals with insufficient data
    uncovered: list[str]  # sources not synced back to the start of a goal's window


def summary(payload: dict[str, Any]) -> Summary:
    goals = payload["goals"]
    flags = [flag for goal in goals for flag in goal.get("flags", [])]
    return Summary(
        outcome=str(payload["outcome"]),
        goals_met=sum(goal["status"] == "met" for goal in goals),
        short_of_data=sum(goal["status"] == "insufficient_data" for goal in goals),
        uncovered=sorted({f.partition(":")[2] for f in flags if f.startswith(NOT_COVERED)}),
    )


def refresh_evaluations(ws: Workspace, plan_ids: Collection[str] | None = None, *,
                        as_of: date | None = None) -> list[StoredEvaluation]:
    """Evaluate the plans (default: every plan) in one batch, as of today unless told, and
    store each result in place of the previous one."""
    plans = [ws.plan(p) for p in (ws.config.plans if plan_ids is None else plan_ids)]
    evidence = _load(ws, plans)
    return _store(ws, plans, as_of or today(ws), evidence, _digests(ws, plans, evidence))


def refresh_changed(ws: Workspace) -> list[StoredEvaluation]:
    """Evaluate again only the plans whose evidence, version or day moved since their stored
    evaluation (or that have none): what a sync or a rating calls."""
    plans, day = list(ws.config.plans.values()), today(ws)
    evidence = _load(ws, plans)
    digests = _digests(ws, plans, evidence)
    with ws.engine.connect() as conn:
        stored = {row.plan_id: row for row in conn.execute(
            select(evaluations.c.plan_id, evaluations.c.as_of, evaluations.c.evidence_digest))}
    stale = [
        plan for plan in plans
        if (row := stored.get(plan.id)) is None or row.evidence_digest != digests[plan.id]
        or row.as_of < min(day, plan.end)
    ]
    return _store(ws, stale, day, evidence, digests)


def refresh_new_versions(ws: Workspace) -> list[StoredEvaluation]:
    """A plan file changed: its stored evaluation judged the old version; evaluate the new one
    (only plans that have a stored evaluation: the first one comes with the first sync)."""
    with ws.engine.connect() as conn:
        rows = conn.execute(select(evaluations.c.plan_id, evaluations.c.version)).all()
    changed = [r.plan_id for r in rows
               if r.plan_id in ws.versions and ws.versions[r.plan_id] != r.version]
    return refresh_evaluations(ws, changed) if changed else []


def _load(ws: Workspace, plans: Sequence[Plan]) -> Evidence:
    """The evidence the plans read; while it is loaded, the accounts on it that match nobody
    are stored too, for pages that must not load it (service.records.stored_unmatched)."""
    evidence = ws.evidence(kinds={kind for plan in plans for kind in plan_kinds(plan)})
    store_unmatched(ws, evidence)
    return evidence


def _digests(ws: Workspace, plans: Sequence[Plan], evidence: Evidence) -> dict[str, str]:
    owners, digests = team_owners(ws.config.people.people), person_digests(evidence)
    return {
        plan.id: plan_digest(plan_id=plan.id, version=ws.versions[plan.id],
                             owners=owners.get(plan.employee, (plan.employee,)),
                             kinds=plan_kinds(plan), digests=digests)
        for plan in plans
    }


def _store(ws: Workspace, plans: Sequence[Plan], day: date, evidence: Evidence,
           digests: dict[str, str]) -> list[StoredEvaluation]:
    if not plans:
        return []
    now = datetime.now(UTC)
    stored = [
        StoredEvaluation(report.evaluation.plan, report.evaluation.version, day, now,
                         report.to_json(), digests[report.evaluation.plan],
                         [trend_chart(g, report.plan, zone=ws.settings.timezone)
                          for g in report.evaluation.goals],
                         [sparkline(g) for g in report.evaluation.goals])
        for report in evaluate_many(ws, [p.id for p in plans], day, evidence=evidence)
    ]
    with ws.engine.begin() as conn:
        upsert(conn, evaluations, [vars(s) for s in stored])
        upsert(conn, evaluation_summaries,
               [{"plan_id": s.plan_id, **vars(summary(s.payload))} for s in stored])
    return stored


def stored_evaluation(ws: Workspace, plan_id: str) -> StoredEvaluation | None:
    """The plan's latest stored evaluation (one query), or None before the first refresh."""
    with ws.engine.connect() as conn:
        row = conn.execute(select(evaluations).where(evaluations.c.plan_id == plan_id)).first()
    return None if row is None else StoredEvaluation(**row._asdict())


def stored_evaluations(ws: Workspace, plan_ids: Collection[str] | None = None, *,
                       trend_charts: bool = True) -> list[StoredEvaluation]:
    """Every stored evaluation (or those of these plans, none asked: no query), by plan id, in
    one query; without `trend_charts` the rows leave them out (an overview draws sparklines
    only)."""
    if plan_ids is not None and not plan_ids:
        return []
    columns = [c for c in evaluations.c if trend_charts or c.name != "charts"]
    query = select(*columns).order_by(evaluations.c.plan_id)
    if plan_ids is not None:
        query = query.where(evaluations.c.plan_id.in_(list(plan_ids)))
    with ws.engine.connect() as conn:
        return [StoredEvaluation(**row._asdict()) for row in conn.execute(query)]


def stored_summaries(ws: Workspace) -> dict[str, Summary]:
    """Each stored plan's summary, read apart from the evaluations: no payload is read."""
    table = evaluation_summaries
    columns = [table.c[f.name] for f in fields(Summary)]
    with ws.engine.connect() as conn:
        return {row.plan_id: Summary(*row[1:])
                for row in conn.execute(select(table.c.plan_id, *columns))}
