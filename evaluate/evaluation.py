"""Evaluate plans as of a date (DESIGN §5): the pure entry points of the evaluation core.

Four steps, each over every goal of every plan at once: lay out each goal's windows as
measurement requests, measure all requests of a metric in one pass (`EventIndex`), compute all
intervals of a statistic in one vectorized call, then judge each goal. Nothing here reads a
clock, a database or the network: evidence, people, the as-of date and the zone come in.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import NamedTuple
from zoneinfo import ZoneInfo

import numpy as np

from config.people import Person
from config.plans import Better, Goal, Plan
from evaluate import stats
from evaluate.catalog import EventCatalog, ParamsKey
from evaluate.compare import (
    Change,
    Interval,
    RateTest,
    TeamContext,
    change,
    is_sufficient,
    oriented,
    sustained,
    target_met,
    team_context,
)
from evaluate.evidence import Evidence
from evaluate.measure import Measurement, Request, SeriesRequest, Weekly
from evaluate.metrics import MetricSpec, Statistic, metric_spec
from evaluate.outcome import goal_status, plan_outcome
from evaluate.results import GoalEvaluation, PlanEvaluation, WeeklySeries
from evaluate.windows import (
    Exclusions,
    Span,
    Weeks,
    baseline_span,
    chart_weeks,
    checkpoints_until,
    current_span,
    plan_exclusions,
    sustain_weeks,
)

__all__ = ["Coverage", "evaluate_at_checkpoints", "evaluate_plan", "evaluate_plans"]

Coverage = Mapping[str, Mapping[str, datetime]]
"""Record kind → source → the first instant that source has synced for that kind (DESIGN
§5.11): a window starting earlier is judged on part of its evidence, and is flagged so."""


def evaluate_plan(plan: Plan, *, evidence: Evidence, people: Sequence[Person], as_of: date,
                  tz: ZoneInfo, version: int = 1, catalog: EventCatalog | None = None,
                  coverage: Coverage | None = None) -> PlanEvaluation:
    """One plan as of a date (the current window stops at min(as_of, end))."""
    return evaluate_plans([plan], evidence=evidence, people=people, as_of=as_of, tz=tz,
                          versions=[version], catalog=catalog, coverage=coverage)[0]


def evaluate_plans(plans: Sequence[Plan], *, evidence: Evidence, people: Sequence[Person],
                   as_of: date, tz: ZoneInfo, versions: Sequence[int] | None = None,
                   catalog: EventCatalog | None = None, coverage: Coverage | None = None
                   ) -> list[PlanEvaluation]:
    """Many plans as of one date, sharing one pass over the evidence per metric. A `catalog`
    built from the same evidence, people and zone is reused (and filled) instead of a new one.
    `coverage` (None: not known) flags windows that start before a source's first sync."""
    versions = versions if versions is not None else [1] * len(plans)
    jobs = [_Job(plan, as_of, version) for plan, version in zip(plans, versions, strict=True)]
    return _Evaluator(_catalog(catalog, evidence, people, tz), coverage or {}).run(jobs)


def evaluate_at_checkpoints(plan: Plan, *, evidence: Evidence, people: Sequence[Person],
                            as_of: date, tz: ZoneInfo, version: int = 1,
                            catalog: EventCatalog | None = None,
                            coverage: Coverage | None = None) -> list[PlanEvaluation]:
    """The plan as of each of its checkpoints that is not after `as_of`, in date order."""
    jobs = [_Job(plan, day, version) for day in checkpoints_until(plan, as_of)]
    evaluator = _Evaluator(_catalog(catalog, evidence, people, tz), coverage or {})
    return evaluator.run(jobs) if jobs else []


def _catalog(catalog: EventCatalog | None, evidence: Evidence, people: Sequence[Person],
             tz: ZoneInfo) -> EventCatalog:
    if catalog is None:
        return EventCatalog(evidence, people=people, tz=tz)
    if not catalog.matches(evidence, people, tz):
        raise ValueError("the catalog was built from other evidence, people or time zone")
    return catalog


@dataclass(frozen=True)
class _Job:
    plan: Plan
    as_of: date
    version: int


class _PlanWindows(NamedTuple):
    """What every goal of one evaluated plan shares."""

    job: _Job
    exclusions: Exclusions
    baseline: Span
    current: Span
    team: str | None


_Group = tuple[str, ParamsKey, Statistic]  # metric, params, statistic: one index, one batch


@dataclass(frozen=True)
class _Handle:
    """Where a request's measurement will be: its group and position in it."""

    group: _Group
    position: int


@dataclass(frozen=True)
class _GoalSetup:
    """A goal's resolved definition and the requests for each of its windows."""

    goal: Goal
    spec: MetricSpec
    statistic: Statistic
    better: Better
    baseline_span: Span
    current_span: Span
    baseline: _Handle
    current: _Handle
    sustain: Weeks
    sustain_series: _Handle | None  # None: the sustained windows are the chart's last weeks
    team: str | None
    team_baseline: _Handle | None
    team_current: _Handle | None
    chart: Weeks
    series: _Handle
    team_series: _Handle | None


def _resolve(goal: Goal) -> tuple[MetricSpec, Statistic, Better]:
    """The metric's spec and the goal's statistic and direction; config validation should
    already have refused what raises here."""
    spec = metric_spec(goal.metric)
    statistic = goal.statistic or spec.statistic
    if statistic not in spec.statistics:
        raise ValueError(f"{goal.metric}: statistic {statistic!r} is not one of {spec.statistics}")
    better = goal.better or spec.better
    if better is None:
        raise ValueError(f"{goal.metric} has no better direction: the goal must set `better`")
    return spec, statistic, better


class _Evaluator:
    def __init__(self, catalog: EventCatalog, coverage: Coverage) -> None:
        self.catalog, self.tz, self.coverage = catalog, catalog.tz, coverage
        self.team_of = {person.id: person.team for person in catalog.people}
        self.requests: dict[_Group, list[Request]] = defaultdict(list)
        self.series: dict[_Group, list[SeriesRequest]] = defaultdict(list)

    def run(self, jobs: Sequence[_Job]) -> list[PlanEvaluation]:
        setups = [self._plan_setups(job) for job in jobs]
        measured, weekly = self._measure_all(), self._measure_weekly()
        flat = [setup for plan_setups in setups for setup in plan_setups]
        intervals = _intervals(flat, measured)
        judged = [_judge(s, measured, weekly, intervals.get(i, _GoalIntervals()), self.coverage)
                  for i, s in enumerate(flat)]
        known = self._known_records({e.record for job in jobs for e in job.plan.exclusions
                                     if e.record is not None})
        results, first = [], 0
        for job in jobs:
            goals = tuple(judged[first:first + len(job.plan.goals)])
            first += len(job.plan.goals)
            plan = job.plan
            results.append(PlanEvaluation(
                plan.id, job.version, job.as_of, plan_outcome(g.status for g in goals), goals,
                tuple(plan.support), tuple(plan.barriers), tuple(plan.notes),
                tuple(plan.exclusions),
                tuple(e.record for e in plan.exclusions
                      if e.record is not None and e.record not in known),
            ))
        return results

    def _known_records(self, named: Collection[str]) -> set[str]:
        """Which named records exist: a stored record's key, or an event the goals measured
        (a sampled series' day is an event, not a stored record). The key sets are built once
        per evidence load (`EvidenceReader.derived`): an object-array `isin` over a million
        keys per plan batch cost seconds."""
        wanted = set(named)
        if not wanted:
            return set()
        reader = self.catalog.reader
        known = wanted & reader.derived(("stored keys",), lambda: frozenset(
            key for frame in reader.evidence.values() if "key" in frame
            for key in frame["key"].tolist()))
        for metric, params, _statistic in self.requests:
            if known == wanted:
                break
            known |= wanted & reader.derived(("event keys", metric, params),
                                             functools.partial(_event_keys, self.catalog,
                                                               metric, params))
        return known

    def _plan_setups(self, job: _Job) -> list[_GoalSetup]:
        """The windows and exclusions every goal of the plan shares are worked out once."""
        shared = _PlanWindows(
            job, plan_exclusions(job.plan, self.tz), baseline_span(job.plan, job.as_of, self.tz),
            current_span(job.plan, job.as_of, self.tz), self.team_of.get(job.plan.employee),
        )
        return [self._goal_setup(shared, goal) for goal in job.plan.goals]

    def _request(self, group: _Group, request: Request) -> _Handle:
        self.requests[group].append(request)
        return _Handle(group, len(self.requests[group]) - 1)

    def _series(self, group: _Group, request: SeriesRequest) -> _Handle:
        self.series[group].append(request)
        return _Handle(group, len(self.series[group]) - 1)

    def _goal_setup(self, shared: _PlanWindows, goal: Goal) -> _GoalSetup:
        spec, statistic, better = _resolve(goal)
        job, exclusions, base, now, team = shared
        weeks = sustain_weeks(job.plan, job.as_of, goal.sustain.weeks, self.tz, exclusions)
        group = (goal.metric, tuple(sorted(goal.params.items())), statistic)

        def ask(span: Span, *, team: str | None = None, audit: bool = False) -> _Handle:
            return self._request(group, Request(job.plan.employee, span, exclusions, team, audit))

        chart = chart_weeks(base, now, self.tz)

        def ask_weekly(weeks: Weeks, team: str | None = None) -> _Handle:
            return self._series(group, SeriesRequest(job.plan.employee, weeks, exclusions, team))

        return _GoalSetup(
            goal, spec, statistic, better, base, now,
            baseline=ask(base, audit=True), current=ask(now, audit=True),
            sustain=weeks,
            sustain_series=None if _chart_ends_with(chart, weeks) else ask_weekly(weeks),
            team=team,
            team_baseline=ask(base, team=team) if team else None,
            team_current=ask(now, team=team) if team else None,
            chart=chart, series=ask_weekly(chart),
            team_series=ask_weekly(chart, team) if team else None,
        )

    def _measure_all(self) -> dict[_Group, list[Measurement]]:
        return {
            group: self.catalog.index(group[0], group[1]).measure(requests, group[2])
            for group, requests in self.requests.items()
        }

    def _measure_weekly(self) -> dict[_Group, list[Weekly]]:
        return {
            group: self.catalog.index(group[0], group[1]).measure_weekly(requests, group[2])
            for group, requests in self.series.items()
        }


def _event_keys(catalog: EventCatalog, metric: str, params: ParamsKey) -> frozenset[str]:
    index = catalog.index(metric, params)
    return frozenset(index.keys.tolist()) | frozenset(index.records.tolist())


def _measurement(measured: Mapping[_Group, list[Measurement]], handle: _Handle) -> Measurement:
    return measured[handle.group][handle.position]


def _weeks(weekly: Mapping[_Group, list[Weekly]], handle: _Handle) -> Weekly:
    return weekly[handle.group][handle.position]


def _chart_ends_with(chart: Weeks, sustain: Weeks) -> bool:
    """Without excluded ranges the sustained rule's windows are the chart's last weeks (both
    end on the as-of day and reach back seven days, clipped at the plan's start), so they are
    measured once, as part of the chart."""
    return chart.spans[len(chart) - len(sustain):] == sustain.spans if sustain.spans else True


def _sustain_weeks(setup: _GoalSetup, weekly: Mapping[_Group, list[Weekly]]) -> Weekly:
    if setup.sustain_series is not None:
        return _weeks(weekly, setup.sustain_series)
    chart, last = _weeks(weekly, setup.series), slice(len(setup.chart) - len(setup.sustain),
                                                      None)
    return Weekly(chart.value[last], chart.n[last], chart.active_weeks[last])


@dataclass(frozen=True)
class _Pair:
    """Baseline and current of one goal, for the person or the rest of the team."""

    goal: int
    role: str
    statistic: Statistic
    baseline: Measurement
    current: Measurement


def _pairs(setups: Sequence[_GoalSetup], measured: Mapping[_Group, list[Measurement]]
           ) -> list[_Pair]:
    """Pairs that get an interval: both windows sufficient."""
    pairs = []
    for i, setup in enumerate(setups):
        roles = [("person", setup.baseline, setup.current)]
        if setup.team_baseline and setup.team_current:
            roles.append(("team", setup.team_baseline, setup.team_current))
        for role, base, now in roles:
            pair = _Pair(i, role, setup.statistic, _measurement(measured, base),
                         _measurement(measured, now))
            if all(is_sufficient(m, setup.statistic, setup.goal)
                   for m in (pair.baseline, pair.current)):
                pairs.append(pair)
    return pairs


def _exposure(measurement: Measurement) -> float:
    return measurement.active_weeks * measurement.members


def _snapshots(measurement: Measurement) -> float:
    """A point-in-time count is one snapshot per member (its value is the count per member).
    Each snapshot is taken as one Poisson draw, so two counts compare like two weekly rates
    with an exposure of one. A ticket still open at both instants is in both counts; treating
    them as independent widens the interval, so a change it calls clear is clear."""
    return float(measurement.members)


def _event_count(measurement: Measurement) -> int:
    return measurement.n


def _successes(measurement: Measurement) -> int:
    return round((measurement.value or 0.0) * measurement.n)


def _differences(statistic: Statistic, pairs: Sequence[_Pair]) -> stats.Differences:
    """current − baseline for pairs of one role, one vectorized call per statistic. The
    estimates are the windows' own values; bootstrap draws stay, to compare with the team."""
    base, now = [p.baseline for p in pairs], [p.current for p in pairs]
    if statistic in ("median", "mean"):
        streams = stats.TEAM_STREAMS if pairs and pairs[0].role == "team" else stats.PERSON_STREAMS
        return stats.bootstrap_differences(
            statistic, [m.sample for m in base], [m.sample for m in now], streams)
    estimates = _column(_value, now) - _column(_value, base)
    if statistic == "rate":
        return stats.Differences(estimates, stats.proportion_difference_intervals(
            _column(_successes, now), _column(_event_count, now),
            _column(_successes, base), _column(_event_count, base),
        ))
    exposure = _snapshots if statistic == "count" else _exposure
    return stats.Differences(estimates, stats.rate_difference_intervals(
        _column(_event_count, now), _column(exposure, now),
        _column(_event_count, base), _column(exposure, base),
    ))


def _value(measurement: Measurement) -> float:
    return measurement.value if measurement.value is not None else float("nan")


def _column(read: Callable[[Measurement], float], measurements: Sequence[Measurement]
            ) -> np.ndarray:
    return np.array([read(m) for m in measurements], dtype=float)


def _rate_test(pair: _Pair) -> RateTest | None:
    """Per-week counts of the person also get the E-test p-value (the team's do not: it is
    slow for large counts, and only the interval decides)."""
    if pair.statistic != "per_week" or pair.role != "person":
        return None
    return RateTest(pair.current.n, _exposure(pair.current), pair.baseline.n,
                    _exposure(pair.baseline))


@dataclass(frozen=True)
class _GoalIntervals:
    """A goal's raw intervals (current − baseline): the person's, the team's, and that of the
    person's change minus the team's, each only where both windows it needs are sufficient."""

    person: Interval | None = None
    rate_test: RateTest | None = None
    team: Interval | None = None
    gap: Interval | None = None


def _intervals(setups: Sequence[_GoalSetup], measured: Mapping[_Group, list[Measurement]]
               ) -> dict[int, _GoalIntervals]:
    by_group: dict[tuple[Statistic, str], list[_Pair]] = defaultdict(list)
    for pair in _pairs(setups, measured):
        by_group[pair.statistic, pair.role].append(pair)
    found: dict[int, dict[str, Interval]] = defaultdict(dict)
    rate_tests: dict[int, RateTest | None] = {}
    differences: dict[tuple[Statistic, str], stats.Differences] = {}
    for (statistic, role), pairs in by_group.items():
        differences[statistic, role] = _differences(statistic, pairs)
        for pair, (lower, upper) in zip(pairs, differences[statistic, role].intervals.tolist(),
                                        strict=True):
            found[pair.goal][role] = (lower, upper)
            if role == "person":
                rate_tests[pair.goal] = _rate_test(pair)
    for statistic, role in differences:
        if role == "person" and (statistic, "team") in differences:
            _add_gaps(found, by_group[statistic, "person"], by_group[statistic, "team"],
                      differences[statistic, "person"], differences[statistic, "team"])
    return {
        goal: _GoalIntervals(roles.get("person"), rate_tests.get(goal), roles.get("team"),
                             roles.get("gap"))
        for goal, roles in found.items()
    }


def _add_gaps(found: dict[int, dict[str, Interval]], person: Sequence[_Pair],
              team: Sequence[_Pair], own: stats.Differences, teams: stats.Differences) -> None:
    """The interval of (person's change − team's change) for goals where both have one."""
    team_row = {pair.goal: row for row, pair in enumerate(team)}
    paired = [(row, team_row[pair.goal]) for row, pair in enumerate(person)
              if pair.goal in team_row]
    if not paired:
        return
    rows = np.array(paired, dtype=np.int64)
    gaps = stats.gap_intervals(own, teams, (rows[:, 0], rows[:, 1]))
    for (row, _), (lower, upper) in zip(paired, gaps.tolist(), strict=True):
        found[person[row].goal]["gap"] = (lower, upper)


def _team(setup: _GoalSetup, measured: Mapping[_Group, list[Measurement]],
          intervals: _GoalIntervals, person: Change) -> TeamContext | None:
    """The rest of the team over the goal's windows (a team of one is never sufficient)."""
    if setup.team_baseline is None or setup.team_current is None:
        return None
    base = _measurement(measured, setup.team_baseline)
    now = _measurement(measured, setup.team_current)
    enough = all(is_sufficient(m, setup.statistic, setup.goal) for m in (base, now))
    team_change = change(base, now, setup.better, intervals.team)
    return team_context(setup.team, base, now, team_change, person, enough,
                        gap=oriented(intervals.gap, setup.better))


def _uncovered(setup: _GoalSetup, coverage: Coverage) -> list[str]:
    """`window_not_covered:SOURCE` for each source whose first sync began after the start of a
    window the goal reads (one that covers any day): its evidence there is partial."""
    starts = [span.lo_s for span in (setup.baseline_span, setup.current_span) if span.days]
    if not starts:
        return []
    sources = {
        source
        for kind in setup.spec.kinds
        for source, covered_from in coverage.get(kind, {}).items()
        if min(starts) < covered_from.timestamp()
    }
    return [f"window_not_covered:{source}" for source in sorted(sources)]


def _flags(baseline_ok: bool, current_ok: bool, team: TeamContext | None,
           uncovered: Sequence[str] = ()) -> tuple[str, ...]:
    flags = [*uncovered]
    if not baseline_ok:
        flags.append("baseline_insufficient")
    if not current_ok:
        flags.append("current_insufficient")
    if team is None or not team.sufficient:
        flags.append("no_team_context")
    elif team.team_wide_shift:
        flags.append("team_wide_shift")
    return tuple(flags)


def _judge(setup: _GoalSetup, measured: Mapping[_Group, list[Measurement]],
           weekly: Mapping[_Group, list[Weekly]], intervals: _GoalIntervals, coverage: Coverage
           ) -> GoalEvaluation:
    """One goal's verdict from its measurements (DESIGN §5.2–5.7)."""
    base, now = _measurement(measured, setup.baseline), _measurement(measured, setup.current)
    person = change(base, now, setup.better, intervals.person, intervals.rate_test)
    met = target_met(setup.goal.target, now.value, base.value, setup.better)
    held = sustained(setup.sustain, _sustain_weeks(setup, weekly), setup.goal.sustain,
                     setup.statistic, setup.goal.target, base.value, setup.better)
    team = _team(setup, measured, intervals, person)
    team_weeks = (_weeks(weekly, setup.team_series)
                  if setup.team_series and team and team.sufficient else None)
    base_ok, now_ok = (is_sufficient(m, setup.statistic, setup.goal) for m in (base, now))
    status = goal_status(sufficient=base_ok and now_ok, target_met=met, held=held.held,
                         significant_improvement=person.significant_improvement)
    return GoalEvaluation(
        setup.goal, setup.statistic, setup.better, setup.spec.unit,
        setup.baseline_span, base, setup.current_span, now, person, met, held, team, status,
        _flags(base_ok, now_ok, team, _uncovered(setup, coverage)),
        WeeklySeries(setup.chart, _weeks(weekly, setup.series), team_weeks, setup.statistic,
                     setup.goal.sustain.min_events),
    )
