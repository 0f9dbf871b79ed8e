"""What an HR export holds: a plan's stored evaluation with the people, decisions, records and
definitions around it, and the org summary. Exports read what is stored (never a bootstrap per
download), so a file made today says exactly what the app showed; the renderers in
`dashboards.exports` turn these typed values into CSV, XLSX and PDF bytes.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

from config.people import Person
from config.plans import Plan
from evaluate.definitions import MetricDefinition, metric_definition
from service.casefile import FINAL_OUTCOMES, Decision, latest_decision, plan_decisions
from service.evaluations import today
from service.process import Acknowledgement, acknowledgements_of, last_acknowledged
from service.records import records_by_key
from service.snapshots import snapshots
from service.stored import (
    StoredEvaluation,
    refresh_evaluations,
    stored_evaluation,
    stored_evaluations,
)
from service.workspace import Workspace, plan_kinds

__all__ = [
    "Assessment",
    "EvidenceItem",
    "OrgRow",
    "PlanExport",
    "org_summary",
    "plan_export",
]

# The kinds whose records have a title a person reads as one (a ticket's summary, a pull
# request's or an incident's title); the others' are left without.
_TITLED = {"ticket", "pull_request", "incident"}


@dataclass(frozen=True)
class Assessment:
    """One judgement of the plan: a snapshot (hash-chained) or the latest stored evaluation."""

    kind: Literal["snapshot", "stored"]
    as_of: date
    made_at: datetime
    payload: Mapping[str, Any]  # the object `evaluate --json` prints
    hash: str | None = None

    @classmethod
    def stored(cls, stored: StoredEvaluation) -> Assessment:
        return cls("stored", stored.as_of, stored.computed_at, stored.payload)


@dataclass(frozen=True)
class EvidenceItem:
    metric: str
    window: str  # baseline | current
    key: str
    title: str | None
    url: str | None


@dataclass(frozen=True)
class PlanExport:
    plan: Plan
    version: int
    people: Mapping[str, Person]  # by id: the employee, manager and HR partner
    current: Assessment
    snapshots: tuple[Assessment, ...]  # oldest first
    decisions: tuple[Decision, ...]  # oldest first
    acknowledgements: tuple[Acknowledgement, ...]  # oldest version first
    evidence: tuple[EvidenceItem, ...]
    definitions: tuple[MetricDefinition, ...]
    timezone: str
    charts: tuple[Mapping[str, Any], ...] = ()  # each goal's trend chart, stored with it

    def name(self, person_id: str | None) -> str:
        """The person's name as people.yaml gives it, else the id (or a dash for nobody)."""
        if person_id is None:
            return "—"
        person = self.people.get(person_id)
        return person.name if person else person_id

    @property
    def latest_snapshot(self) -> Assessment | None:
        return self.snapshots[-1] if self.snapshots else None

    @property
    def assessments(self) -> tuple[Assessment, ...]:
        """Every judgement on file: the snapshots, then the current stored evaluation."""
        return (*self.snapshots, self.current)

    @property
    def decision(self) -> Decision | None:
        return self.decisions[-1] if self.decisions else None


def plan_export(ws: Workspace, plan_id: str) -> PlanExport:
    """Gather one plan's export; LookupError for an unknown plan. A plan never evaluated yet
    is evaluated and stored first, so the export still reads a stored evaluation."""
    plan = ws.plan(plan_id)
    stored = stored_evaluation(ws, plan_id) or refresh_evaluations(ws, [plan_id])[0]
    with ws.engine.connect() as conn:
        decisions = tuple(plan_decisions(conn, plan_id))
    return PlanExport(
        plan=plan,
        version=stored.version,
        people={p.id: p for p in ws.config.people.people
                if p.id in {plan.employee, plan.manager, plan.hr_partner}},
        current=Assessment.stored(stored),
        snapshots=tuple(
            Assessment("snapshot", s.as_of, s.taken_at, s.evaluation, s.hash)
            for s in snapshots(ws, plan_id)
        ),
        decisions=decisions,
        acknowledgements=tuple(acknowledgements_of(ws, plan_id)),
        evidence=_evidence_items(ws, stored.payload, plan_kinds(plan)),
        definitions=tuple(dict.fromkeys(metric_definition(g.metric) for g in plan.goals)),
        timezone=ws.settings.timezone,
        charts=tuple(stored.charts or ()),
    )


def _evidence_items(ws: Workspace, payload: Mapping[str, Any], kinds: Collection[str]
                    ) -> tuple[EvidenceItem, ...]:
    """Each goal's records, looked up by key as the plan page does (`records_by_key`)."""
    listed = [
        (goal["metric"], window, key) for goal in payload["goals"]
        for window in ("baseline", "current") for key in goal[window].get("evidence", [])
    ]
    found = records_by_key(ws, {key for _, _, key in listed}, kinds)
    items = []
    for metric, window, key in listed:
        link = found.get(key)
        title = link.title if link and link.kind in _TITLED else None
        items.append(EvidenceItem(metric, window, key, title, link.url if link else None))
    return tuple(items)


@dataclass(frozen=True)
class OrgRow:
    """One active plan as HR sees it in the org summary."""

    plan: str
    person: str
    person_name: str
    team: str | None
    manager: str
    manager_name: str
    hr_partner: str | None
    start: date
    end: date
    as_of: date | None  # of the stored evaluation; None before the first one
    outcome: str | None  # recommended so far
    goals_met: int | None
    goals: int
    next_checkpoint: date | None  # the next checkpoint, else the plan's end; None once ended
    last_acknowledgement: datetime | None  # of any version; None: never acknowledged
    decision: str | None


def org_summary(ws: Workspace) -> list[OrgRow]:
    """Every active plan: one that no person has closed with a final decision (a decision to
    extend keeps it open), ordered by person."""
    people = {p.id: p for p in ws.config.people.people}
    with ws.engine.connect() as conn:
        active = [
            (plan, decision) for plan in ws.config.plans.values()
            if (decision := latest_decision(conn, plan.id)) is None
            or decision.outcome not in FINAL_OUTCOMES
        ]
    stored = {s.plan_id: s for s in stored_evaluations(
        ws, [plan.id for plan, _ in active], trend_charts=False)}
    day, acknowledged = today(ws), last_acknowledged(ws, [plan.id for plan, _ in active])
    rows = [_org_row(plan, stored.get(plan.id), decision, people, day, acknowledged.get(plan.id))
            for plan, decision in active]
    return sorted(rows, key=lambda row: (row.person_name, row.plan))


def _org_row(plan: Plan, stored: StoredEvaluation | None, decision: Decision | None,
             people: Mapping[str, Person], day: date, acknowledged: datetime | None) -> OrgRow:
    goals = stored.payload["goals"] if stored else []
    ahead = [d for d in (*plan.checkpoints, plan.end) if d >= day]
    employee = people.get(plan.employee)
    return OrgRow(
        plan=plan.id,
        person=plan.employee,
        person_name=employee.name if employee else plan.employee,
        team=employee.team if employee else None,
        manager=plan.manager,
        manager_name=people[plan.manager].name if plan.manager in people else plan.manager,
        hr_partner=plan.hr_partner,
        start=plan.start,
        end=plan.end,
        as_of=stored.as_of if stored else None,
        outcome=stored.payload["outcome"] if stored else None,
        goals_met=sum(g["status"] == "met" for g in goals) if stored else None,
        goals=len(plan.goals),
        next_checkpoint=min(ahead, default=None),
        last_acknowledgement=acknowledged,
        decision=decision.outcome if decision else None,
    )
