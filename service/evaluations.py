"""Evaluation use cases: judge a plan as of a day, list the records behind a goal, suggest goals,
and record what people decide or rate. Each gathers from the workspace, calls the pure core and
persists or returns a typed result for a shell to render."""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any

from config.plans import Plan
from evaluate.catalog import EventCatalog
from evaluate.evaluation import evaluate_at_checkpoints, evaluate_plans
from evaluate.evidence import Evidence
from evaluate.results import PlanEvaluation
from evaluate.sentences import goal_sentence
from evaluate.suggest import Suggestions, suggest_goals
from ingest.records import Rating
from ingest.sync import coverage
from service.audit import append
from service.casefile import (
    Decision,
    PlanVersion,
    add_rating,
    history,
    latest_decision,
    record_decision,
)
from service.workspace import Workspace, plan_kinds

__all__ = [
    "DECIDING_ROLES",
    "EvidenceRow",
    "PlanReport",
    "decide",
    "evaluate",
    "evaluate_many",
    "goal_evidence",
    "may_decide",
    "plan_history",
    "rate",
    "suggest",
    "team_catalog",
    "today",
]


def today(ws: Workspace) -> date:
    """Today in the configured zone: the as-of day when a user names none."""
    return datetime.now(ws.settings.zone).date()


@dataclass(frozen=True)
class PlanReport:
    """A plan as of a day, after each passed checkpoint when asked, with the stored decision."""

    plan: Plan
    evaluation: PlanEvaluation
    checkpoints: tuple[PlanEvaluation, ...] = ()
    decision: Decision | None = None
    evidence: Evidence = field(default_factory=dict, repr=False, compare=False)

    def sentences(self, evaluation: PlanEvaluation | None = None) -> list[str]:
        """One plain-language sentence per goal, in plan order (of the as-of day's evaluation,
        or of one of the checkpoints')."""
        chosen = evaluation or self.evaluation
        return [goal_sentence(goal, exclusions=self.plan.exclusions) for goal in chosen.goals]

    def to_json(self) -> dict[str, Any]:
        """The object of DESIGN §10, each goal with its sentence, and the decision when one is
        recorded."""
        out = self._json(self.evaluation)
        out["decision"] = None if self.decision is None else {
            **self.decision.to_json(), "plan_changed_since": self.decision_predates_version,
        }
        return out

    @property
    def decision_predates_version(self) -> bool:
        """The decision was made on an earlier version of the plan (DESIGN §5.14): it judged
        other goals or dates than those shown, and a reader must be told so."""
        return self.decision is not None and self.decision.version != self.evaluation.version

    def all_json(self) -> list[dict[str, Any]]:
        """One object per checkpoint, then the as-of day's."""
        return [*(self._json(c) for c in self.checkpoints), self.to_json()]

    def _json(self, evaluation: PlanEvaluation) -> dict[str, Any]:
        out = evaluation.to_json()
        for goal, sentence in zip(out["goals"], self.sentences(evaluation), strict=True):
            goal["sentence"] = sentence
        return out


def evaluate(ws: Workspace, plan_id: str, as_of: date, *, checkpoints: bool = False
             ) -> PlanReport:
    """The plan as of `as_of`; with `checkpoints`, also as of each checkpoint passed before."""
    plan = ws.plan(plan_id)
    evidence = ws.evidence(kinds=plan_kinds(plan))
    inputs = _inputs(ws, evidence)
    earlier = evaluate_at_checkpoints(plan, as_of=as_of, version=ws.versions[plan.id], **inputs
                                      ) if checkpoints else []
    [report] = _reports(ws, [plan], as_of, inputs)
    return dataclasses.replace(
        report, checkpoints=tuple(e for e in earlier if e.as_of != as_of), evidence=evidence
    )


def evaluate_many(ws: Workspace, plan_ids: Collection[str], as_of: date, *,
                  evidence: Evidence | None = None) -> list[PlanReport]:
    """Many plans as of one day, in one pass over the evidence their goals read (`evidence`:
    already loaded, at least those kinds)."""
    plans = [ws.plan(plan_id) for plan_id in plan_ids]
    if not plans:
        return []
    if evidence is None:
        evidence = ws.evidence(kinds={kind for plan in plans for kind in plan_kinds(plan)})
    return _reports(ws, plans, as_of, _inputs(ws, evidence))


def _inputs(ws: Workspace, evidence: Evidence) -> dict[str, Any]:
    people, tz = ws.config.people.people, ws.settings.zone
    catalog = EventCatalog(evidence, people=people, tz=tz)
    with ws.engine.connect() as conn:
        covered = coverage(conn)
    return {"evidence": evidence, "people": people, "tz": tz, "catalog": catalog,
            "coverage": covered}


def _reports(ws: Workspace, plans: Sequence[Plan], as_of: date, inputs: dict[str, Any]
             ) -> list[PlanReport]:
    evaluations = evaluate_plans(plans, as_of=as_of, versions=[ws.versions[p.id] for p in plans],
                                 **inputs)
    with ws.engine.connect() as conn:
        return [PlanReport(plan, evaluation, decision=latest_decision(conn, evaluation.plan))
                for plan, evaluation in zip(plans, evaluations, strict=True)]


@dataclass(frozen=True)
class EvidenceRow:
    window: str  # baseline | current
    key: str
    url: str | None


def goal_evidence(report: PlanReport, metric: str) -> list[EvidenceRow]:
    """Each record behind a goal's numbers, with its window and its link back to the source;
    LookupError names the plan's goals for a metric it has none of."""
    goals = [g for g in report.evaluation.goals if g.metric == metric]
    if not goals:
        names = ", ".join(g.metric for g in report.evaluation.goals)
        raise LookupError(f"plan {report.evaluation.plan} has no goal {metric!r} (goals: {names})")
    used = [
        (window, key)
        for goal in goals
        for window, measurement in (("baseline", goal.baseline), ("current", goal.current))
        for key in measurement.keys
    ]
    urls = _urls(report.evidence, {key for _, key in used})
    return [EvidenceRow(window, key, urls.get(key)) for window, key in used]


def _urls(frames: Evidence, keys: set[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for frame in frames.values():
        if "url" in frame:
            rows = frame[frame["key"].isin(keys) & frame["url"].notna()]
            found.update(zip(rows["key"], rows["url"], strict=True))
    return found


def suggest(ws: Workspace, person: str, *, as_of: date, start: date | None = None,
            role: str | None = None, catalog: EventCatalog | None = None) -> Suggestions:
    """Goals drawn from the person's own baseline (see `evaluate.suggest`), read from their
    team's records only (`team_catalog`, or `catalog` when one is built already); LookupError
    for an unknown person or role."""
    if catalog is None:
        catalog = team_catalog(ws, person)
    return suggest_goals(
        person,
        evidence=catalog.reader.evidence,
        people=ws.config.people.people,
        tz=ws.settings.zone,
        start=start or as_of,
        as_of=as_of,
        role=role,
        catalog=catalog,
    )


def team_catalog(ws: Workspace, person: str) -> EventCatalog:
    """The events of the person's team (their own included), from its records alone: what
    measuring the person and the rest of the team needs, without reading the organisation's.
    LookupError for a person not in people.yaml."""
    people, team = ws.config.people.people, ws.person(person).team
    return EventCatalog(ws.evidence(people=[p.id for p in people if p.team == team]),
                        people=people, tz=ws.settings.zone)


def decide(ws: Workspace, plan_id: str, *, outcome: str, by: str, reason: str,
           actor: str | None = None, admin: bool = False) -> Decision:
    """Record the human decision beside the recommendation of the stored evaluation people saw
    (a fresh one as of today when none is stored for this version), and which evaluation that
    was. ValueError when the outcome is unknown, the reason empty, or `by` may not decide on
    this plan (`may_decide`; an `admin` web account may). `actor`: who the audit log names
    (default `by`)."""
    plan = ws.plan(plan_id)
    if not admin:
        may_decide(ws, plan, by)
    employee = plan.employee
    recommended, against = _decided_on(ws, plan_id)
    now = datetime.now(UTC)
    with ws.engine.begin() as conn:
        record_decision(
            conn,
            plan_id=plan_id,
            version=ws.versions[plan_id],
            recommended=recommended,
            outcome=outcome,
            decided_by=by,
            reason=reason,
            now=now,
            against=against,
        )
        append(conn, actor=actor or by, action="decision", plan=plan_id, person=employee,
               detail={"outcome": outcome, "by": by, "version": ws.versions[plan_id],
                       "evaluation_as_of": against[0].isoformat()})
    _refresh(ws, [plan_id])
    return Decision(outcome, recommended, by, now, reason, ws.versions[plan_id], *against)


def _decided_on(ws: Workspace, plan_id: str) -> tuple[str, tuple[date, datetime]]:
    """The recommended outcome and (as_of, computed_at) of the evaluation a decision is on."""
    from service.stored import stored_evaluation

    stored = stored_evaluation(ws, plan_id)
    if stored is not None and stored.version == ws.versions[plan_id]:
        return str(stored.payload["outcome"]), (stored.as_of, stored.computed_at)
    day = today(ws)
    return evaluate(ws, plan_id, day).evaluation.outcome, (day, datetime.now(UTC))


# people.yaml roles that may decide on any plan: HR. (The web app's admin accounts decide through
# their own check; people.yaml has no admin.)
DECIDING_ROLES = frozenset({"hr"})


def may_decide(ws: Workspace, plan: Plan, person: str) -> None:
    """A decision is the plan's manager's, its HR partner's or HR's: never the employee's, a
    peer's or an unknown id's, or the record would not show who is accountable for it.
    ValueError says who may."""
    people = {p.id: p for p in ws.config.people.people}
    if person not in people:
        raise ValueError(f"{person!r} is not a person in people.yaml")
    if person in (plan.manager, plan.hr_partner) or people[person].role in DECIDING_ROLES:
        return
    allowed = " or ".join(f"{who!r}" for who in (plan.manager, plan.hr_partner) if who)
    raise ValueError(
        f"{person!r} may not decide on {plan.id}: only its manager or HR partner ({allowed}) "
        "or someone with role hr in people.yaml"
    )


def rate(ws: Workspace, person: str, name: str, value: int, *, by: str, note: str = "",
         on: date | None = None, actor: str | None = None) -> Rating:
    """A behavioural rating, evaluated as the metric rating:NAME. A past day is dated at its noon
    in the configured zone: that day whatever the offset or DST. ValueError for an unknown
    person, a future day, a value outside 1–5 or a self-rating."""
    known = {p.id for p in ws.config.people.people}
    for who in (person, by):
        if who not in known:
            raise ValueError(f"{who!r} is not in people.yaml")
    now = datetime.now(ws.settings.zone)
    if on is not None and on > now.date():
        raise ValueError(f"{on:%Y-%m-%d} is in the future")
    at = now if on is None or on == now.date() else datetime.combine(on, time(12), now.tzinfo)
    with ws.engine.begin() as conn:
        rating = add_rating(conn, person=person, name=name, value=value, author=by, note=note,
                            at=at)
        append(conn, actor=actor or by, action="rating", person=person,
               detail={"name": name, "value": value, "by": by, "key": rating.key})
    _refresh(ws, None)
    return rating


def _refresh(ws: Workspace, plan_ids: list[str] | None) -> None:
    """Keep the stored evaluations current after a decision (that plan) or a rating (the plans
    whose evidence it moved). Imported here: service.stored builds on this module."""
    from service.stored import refresh_changed, refresh_evaluations

    if plan_ids is None:
        refresh_changed(ws)
    else:
        refresh_evaluations(ws, plan_ids)


def plan_history(ws: Workspace, plan_id: str) -> list[PlanVersion]:
    """Every stored version of the plan, oldest first."""
    ws.plan(plan_id)
    with ws.engine.connect() as conn:
        return history(conn, plan_id)
