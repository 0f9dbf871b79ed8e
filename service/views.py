"""What the web pages show, gathered in one call per page: plans in the user's scope with their
stored evaluations, one plan with the records behind each goal, one person's plans.

A page never evaluates: it reads the stored evaluation (refreshed by syncs, plan changes and
decisions) and the stored records. Each function answers None for anything out of the user's
scope, exactly as for something that does not exist, so a page cannot tell the two apart.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from config.people import Person
from config.plans import Plan
from evaluate.catalog import EventCatalog
from evaluate.metrics import metric_spec, quantity
from evaluate.sentences import (
    DataQuality,
    ago,
    attention_reasons,
    data_quality_line,
    source_name,
)
from evaluate.suggest import Suggestions
from service.casefile import PlanVersion, changes
from service.evaluations import plan_history, suggest, team_catalog, today
from service.person_history import MetricsOverTime, metrics_over_time
from service.process import (
    Acknowledgement,
    Note,
    RatingEntry,
    acknowledgements_of,
    may_acknowledge,
    may_record,
    notes_of,
    ratings_of,
    unacknowledged,
)
from service.records import RecordLink, records_by_key, sources_for, stored_unmatched
from service.scheduler import stale_after
from service.stored import (
    StoredEvaluation,
    Summary,
    stored_evaluation,
    stored_evaluations,
    stored_summaries,
    summary,
)
from service.syncing import last_synced, quarantined_count
from service.users import User, scope_of
from service.workspace import Workspace, plan_kinds

__all__ = [
    "EVIDENCE_SHOWN",
    "PAGE_SIZE",
    "SORTS",
    "EvidenceItem",
    "GoalView",
    "Overview",
    "PersonPage",
    "PlanDraft",
    "PlanPage",
    "PlanRow",
    "VersionView",
    "landing",
    "next_monday",
    "person_page",
    "plan_evidence",
    "plan_in_scope",
    "plan_page",
    "plans_in_scope",
    "plans_overview",
]

PAGE_SIZE = 50  # plans per overview page
EVIDENCE_SHOWN = 200  # per window: the page lists these, the command line lists every one
NOT_EVALUATED = "not_evaluated"
# The overview's sortable columns; "outcome" sorts from the best outcome to the least known.
SORTS = ("person", "manager", "period", "days_left", "next_checkpoint", "goals_met", "outcome")
OUTCOME_ORDER = ("successful_completion", "partial_improvement", "insufficient_improvement",
                 "undetermined")


@dataclass(frozen=True)
class Freshness:
    """The plan's sources at a glance: the least recent last sync, and the sources that are
    stale (past twice their schedule) or never synced, which weaken what the row shows."""

    synced: str  # "2 h ago", "never", or "no source" for a plan resting on ratings alone
    stale: tuple[str, ...]


@dataclass(frozen=True)
class PlanRow:
    """One plan as the overview lists it."""

    plan: Plan
    person: Person
    manager: Person | None
    today: date
    evaluation: StoredEvaluation | None
    pending_acknowledgement: bool = False  # the current version awaits the employee's
    attention: tuple[str, ...] = ()  # why the plan needs attention, in words (the overview's)
    freshness: Freshness | None = None  # how fresh the plan's sources are (the overview's)

    @property
    def days_total(self) -> int:
        return (self.plan.end - self.plan.start).days + 1

    @property
    def days_elapsed(self) -> int:
        return min(max((self.today - self.plan.start).days + 1, 0), self.days_total)

    @property
    def days_left(self) -> int:
        return self.days_total - self.days_elapsed

    @property
    def next_checkpoint(self) -> date | None:
        """The next checkpoint, else the plan's end while it runs."""
        ahead = [d for d in (*self.plan.checkpoints, self.plan.end) if d >= self.today]
        return min(ahead) if ahead else None

    @property
    def outcome(self) -> str:
        return str(self.evaluation.payload["outcome"]) if self.evaluation else NOT_EVALUATED

    @property
    def goal_results(self) -> list[dict[str, Any]]:
        return list(self.evaluation.payload["goals"]) if self.evaluation else []

    @property
    def goals_met(self) -> int:
        return sum(goal["status"] == "met" for goal in self.goal_results)


@dataclass(frozen=True)
class Overview:
    rows: list[PlanRow]  # this page's
    teams: list[str]  # the filter choices, from every plan in scope
    managers: list[Person]
    outcomes: list[str]
    total: int  # plans in scope before filtering
    matching: int  # plans the filters keep, over every page
    page: int
    pages: int
    sort: str = "person"  # one of SORTS
    descending: bool = False


def _people(ws: Workspace) -> dict[str, Person]:
    return {person.id: person for person in ws.config.people.people}


def _rows(ws: Workspace, plans: Iterable[Plan], evaluations: dict[str, StoredEvaluation]
          ) -> list[PlanRow]:
    people, day, plans = _people(ws), today(ws), list(plans)
    pending = unacknowledged(ws, [plan.id for plan in plans]) if plans else set()
    return [
        PlanRow(plan, people[plan.employee], people.get(plan.manager), day,
                evaluations.get(plan.id), plan.id in pending)
        for plan in plans
    ]


def _by_plan(stored: list[StoredEvaluation]) -> dict[str, StoredEvaluation]:
    return {s.plan_id: s for s in stored}


def _in_scope(ws: Workspace, user: User) -> list[Plan]:
    scope = scope_of(ws, user)
    return [plan for plan in ws.config.plans.values() if scope.sees_plan(plan)]


def plans_overview(ws: Workspace, user: User, *, team: str | None = None,
                   manager: str | None = None, outcome: str | None = None,
                   attention: bool = False, sort: str = "person", descending: bool = False,
                   page: int = 1) -> Overview:
    """Plans in scope, filtered by team, manager, outcome so far and "needs attention", sorted
    by a column (SORTS; by person otherwise) over every plan in scope, then a page at a time:
    sorting and filtering read the stored summaries, only the page's evaluations are read
    whole."""
    people = _people(ws)
    plans = sorted(_in_scope(ws, user),
                   key=lambda plan: (people[plan.employee].name, plan.start, plan.id))
    summaries = stored_summaries(ws) if plans else {}
    rows = [replace(row, attention=_attention(summaries.get(row.plan.id),
                                              row.pending_acknowledgement))
            for row in _rows(ws, plans, {})]
    outcomes = {plan.id: summaries[plan.id].outcome if plan.id in summaries else NOT_EVALUATED
                for plan in plans}
    sort = sort if sort in SORTS else "person"
    chosen = _ordered([
        row for row in rows
        if team in (None, row.person.team) and manager in (None, row.plan.manager)
        and outcome in (None, outcomes[row.plan.id]) and (row.attention or not attention)
    ], _sort_key(sort, summaries), descending=descending)
    pages = max(1, -(-len(chosen) // PAGE_SIZE))
    page = min(max(page, 1), pages)
    shown = chosen[(page - 1) * PAGE_SIZE: page * PAGE_SIZE]
    stored = _by_plan(stored_evaluations(ws, [r.plan.id for r in shown], trend_charts=False))
    managers = {plan.manager for plan in plans} & people.keys()
    fresh = _freshness(ws, [row.plan for row in shown])
    return Overview(
        rows=[replace(row, evaluation=stored.get(row.plan.id), freshness=fresh[row.plan.id])
              for row in shown],
        teams=sorted({people[plan.employee].team for plan in plans}),
        managers=sorted((people[m] for m in managers), key=lambda p: p.name),
        outcomes=sorted(set(outcomes.values())),
        total=len(plans),
        matching=len(chosen),
        page=page,
        pages=pages,
        sort=sort,
        descending=descending,
    )


def _freshness(ws: Workspace, plans: list[Plan]) -> dict[str, Freshness]:
    """Per plan of a page; plans reading the same kinds share one look-up of their sources."""
    now, synced = datetime.now(UTC), last_synced(ws)
    limits = stale_after(ws) if plans else {}
    sources: dict[frozenset[str], set[str]] = {}
    fresh = {}
    for plan in plans:
        kinds = frozenset(plan_kinds(plan))
        names = sources.setdefault(kinds, sources_for(ws, kinds) if kinds else set())
        times = {name: synced.get(name) for name in names}
        stale = tuple(sorted(source_name(name) for name, at in times.items()
                             if at is None or (name in limits and now - at > limits[name])))
        known = [at for at in times.values() if at is not None]
        words = "no source" if not times else "never" if not known else ago(now - min(known))
        fresh[plan.id] = Freshness(words, stale)
    return fresh


def _attention(known: Summary | None, pending: bool) -> tuple[str, ...]:
    return tuple(attention_reasons(
        short_of_data=known.short_of_data if known else 0,
        uncovered=known.uncovered if known else [],
        unacknowledged=pending,
    ))


SortKey = Callable[[PlanRow], Any]


def _sort_key(sort: str, summaries: dict[str, Summary]) -> SortKey:
    """The column's value for a row; None for a row without one (not evaluated, no
    checkpoint ahead), which sorts last either way."""
    def goals_met(row: PlanRow) -> int | None:
        known = summaries.get(row.plan.id)
        return known.goals_met if known else None

    def outcome(row: PlanRow) -> int | None:
        known = summaries.get(row.plan.id)
        return OUTCOME_ORDER.index(known.outcome) if known and known.outcome in OUTCOME_ORDER \
            else None

    keys: dict[str, SortKey] = {
        "person": lambda row: row.person.name,
        "manager": lambda row: row.manager.name if row.manager else row.plan.manager,
        "period": lambda row: (row.plan.start, row.plan.end),
        "days_left": lambda row: row.days_left,
        "next_checkpoint": lambda row: row.next_checkpoint,
        "goals_met": goals_met,
        "outcome": outcome,
    }
    return keys[sort]


def _ordered(rows: list[PlanRow], key: SortKey, *, descending: bool) -> list[PlanRow]:
    """Sorted by the key, rows without a value last; ties keep their order (by person)."""
    keyed = [(key(row), row) for row in rows]
    known = sorted(((k, r) for k, r in keyed if k is not None), key=lambda kr: kr[0],
                   reverse=descending)
    return [row for _, row in known] + [row for k, row in keyed if k is None]


@dataclass(frozen=True)
class EvidenceItem:
    key: str
    window: str  # baseline | current
    record: RecordLink | None  # None: no stored record has this key (any more)


@dataclass(frozen=True)
class GoalView:
    result: dict[str, Any]  # the goal's object in the stored evaluation (DESIGN §10)
    evidence: list[EvidenceItem]
    total: int  # records behind the goal; `evidence` lists at most EVIDENCE_SHOWN per window

    @property
    def kind(self) -> str:
        """The record kind the goal counts, for words such as "tickets"."""
        kinds = _kinds(str(self.result["metric"]))
        return kinds[0] if kinds else "record"


@dataclass(frozen=True)
class VersionView:
    version: PlanVersion
    changes: list[str]


@dataclass(frozen=True)
class PlanPage:
    row: PlanRow
    hr_partner: Person | None
    goals: list[GoalView]
    versions: list[VersionView] = field(default_factory=list)
    data_quality: DataQuality | None = None
    acknowledgements: list[Acknowledgement] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    ratings: list[RatingEntry] = field(default_factory=list)
    may_record: bool = False  # notes, ratings, the decision
    may_acknowledge: bool = False

    @property
    def decision(self) -> dict[str, Any] | None:
        evaluation = self.row.evaluation
        return evaluation.payload.get("decision") if evaluation else None


def _kinds(metric: str) -> tuple[str, ...]:
    try:
        return metric_spec(metric).kinds
    except KeyError:  # a metric the catalog no longer has: keys are listed without links
        return ()


def _window_keys(result: dict[str, Any], shown: int | None) -> list[tuple[str, str]]:
    return [
        (window, key)
        for window in ("baseline", "current")
        for key in (result.get(window) or {}).get("evidence", [])[:shown]
    ]


def _goal_views(ws: Workspace, evaluation: StoredEvaluation | None,
                shown: int | None = EVIDENCE_SHOWN) -> list[GoalView]:
    results = list(evaluation.payload["goals"]) if evaluation else []
    listed = [_window_keys(result, shown) for result in results]
    kinds = {kind for result in results for kind in _kinds(str(result["metric"]))}
    found = records_by_key(ws, {key for keys in listed for _, key in keys}, sorted(kinds))
    return [
        GoalView(
            result,
            [EvidenceItem(key, window, found.get(key)) for window, key in keys],
            total=sum(len((result.get(w) or {}).get("evidence", [])) for w in ("baseline",
                                                                              "current")),
        )
        for result, keys in zip(results, listed, strict=True)
    ]


def _versions(ws: Workspace, plan_id: str) -> list[VersionView]:
    versions = plan_history(ws, plan_id)
    return [
        VersionView(v, changes(before.content, v.content) if before else [])
        for before, v in zip([None, *versions], versions, strict=False)
    ]


def plan_page(ws: Workspace, user: User, plan_id: str) -> PlanPage | None:
    """The plan with its stored evaluation, the records behind each goal and its versions;
    None when there is no such plan or it is out of the user's scope."""
    plan = plan_in_scope(ws, user, plan_id)
    if plan is None:
        return None
    stored = stored_evaluation(ws, plan_id)
    [row] = _rows(ws, [plan], {plan_id: stored} if stored else {})
    return PlanPage(
        row=row,
        hr_partner=_people(ws).get(plan.hr_partner or ""),
        goals=_goal_views(ws, stored),
        versions=_versions(ws, plan_id),
        acknowledgements=acknowledgements_of(ws, plan_id),
        notes=notes_of(ws, plan_id),
        ratings=ratings_of(ws, plan.employee),
        may_record=may_record(ws, user, plan),
        may_acknowledge=may_acknowledge(user, plan),
        data_quality=_data_quality(ws, plan, stored.payload) if stored else None,
    )


def _data_quality(ws: Workspace, plan: Plan, payload: dict[str, Any]) -> DataQuality:
    """The line under the plan's header: how fresh each source the plan's metrics draw on is,
    the accounts on their records that match nobody, what was held back, and which goals lack
    data — read from the run log, the last refresh and the stored evaluation, never
    computed."""
    goals = payload["goals"]
    kinds = plan_kinds(plan)
    drawn_on = sources_for(ws, kinds)
    return data_quality_line(
        now=datetime.now(UTC),
        synced={name: at for name, at in last_synced(ws).items() if name in drawn_on},
        stale_after=stale_after(ws),
        unmatched_accounts=[a.account for a in stored_unmatched(ws, kinds)],
        quarantined=quarantined_count(ws, drawn_on),
        short_of_data=[quantity(g["metric"], g["statistic"]).title for g in goals
                       if g["status"] == "insufficient_data"],
        uncovered=summary(payload).uncovered,
        unmatched_exclusions=len(payload.get("unmatched_exclusions", [])),
    )


def plan_in_scope(ws: Workspace, user: User, plan_id: str) -> Plan | None:
    """The plan, or None when there is none or the user may not see it: one answer for both."""
    plan = ws.config.plans.get(plan_id)
    return plan if plan is not None and scope_of(ws, user).sees_plan(plan) else None


def plans_in_scope(ws: Workspace, user: User) -> list[PlanRow]:
    """Every plan the user may see with its stored evaluation, by plan id (the API's list)."""
    plans = sorted(_in_scope(ws, user), key=lambda plan: plan.id)
    return _rows(ws, plans, _by_plan(stored_evaluations(ws, [p.id for p in plans])))


def plan_evidence(ws: Workspace, user: User, plan_id: str) -> list[GoalView] | None:
    """Every record behind each goal of the stored evaluation, none left out; None when out of
    scope or unknown."""
    if plan_in_scope(ws, user, plan_id) is None:
        return None
    return _goal_views(ws, stored_evaluation(ws, plan_id), shown=None)


@dataclass(frozen=True)
class PlanDraft:
    """Goals suggested for a plan starting on `start`, as `trackrecord plans suggest` gives
    them; `problem` says why there are none (no role, a start too late for its baseline)."""

    start: date
    suggestions: Suggestions | None
    problem: str | None = None

    @property
    def command(self) -> str:
        person = self.suggestions.person if self.suggestions else "ID"
        return f"trackrecord plans suggest {person} --start {self.start.isoformat()}"


@dataclass(frozen=True)
class PersonPage:
    person: Person
    manager: Person | None
    plans: list[PlanRow]
    metrics: MetricsOverTime | None = None
    draft: PlanDraft | None = None  # None: the person's own page, where no plan is prepared


def next_monday(day: date) -> date:
    """The Monday after `day`: a plan's first day when the manager names none."""
    return day + timedelta(days=7 - day.weekday())


def person_page(ws: Workspace, user: User, person_id: str, *, start: date | None = None
                ) -> PersonPage | None:
    """A person, their plans and every metric over recent weeks; for anyone but the person
    themself (a manager preparing a plan), the goals `plans suggest` would give for a plan
    starting `start` (default: the Monday after today). None when unknown or out of scope."""
    people = _people(ws)
    person = people.get(person_id)
    if person is None or not scope_of(ws, user).sees_person(person_id):
        return None
    plans = [plan for plan in ws.config.plans.values() if plan.employee == person_id]
    stored = stored_evaluations(ws, [plan.id for plan in plans], trend_charts=False)
    rows = sorted(_rows(ws, plans, _by_plan(stored)), key=lambda r: r.plan.start, reverse=True)
    day, catalog = today(ws), team_catalog(ws, person_id)
    draft = None if user.person == person_id else _draft(
        ws, person_id, day, start or next_monday(day), catalog)
    return PersonPage(person, people.get(person.manager or ""), rows,
                      metrics_over_time(ws, person_id, as_of=day, catalog=catalog), draft)


def _draft(ws: Workspace, person: str, day: date, start: date, catalog: EventCatalog
           ) -> PlanDraft:
    try:
        return PlanDraft(start, suggest(ws, person, as_of=day, start=start, catalog=catalog))
    except (LookupError, ValueError) as exc:  # no role template; a baseline not begun yet
        return PlanDraft(start, None, str(exc))


def landing(ws: Workspace, user: User) -> str:
    """Where signing in leads: the overview, or for an employee their newest plan (their
    person page when they have none)."""
    if user.role != "employee" or user.person is None:
        return "/plans"
    own = [plan for plan in ws.config.plans.values() if plan.employee == user.person]
    newest = max(own, key=lambda plan: plan.start, default=None)
    return f"/plans/{newest.id}" if newest else f"/people/{user.person}"
