"""The trend chart's weekly series (evaluate.windows.chart_weeks, EventIndex.measure_weekly),
hand-computed on small data, and checked against measuring each week as its own request."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from evaluate.catalog import EventCatalog
from evaluate.evaluation import evaluate_plan, evaluate_plans
from evaluate.measure import Request, SeriesRequest
from evaluate.windows import chart_weeks, plan_exclusions, span
from tests.evaluate.conftest import UTC, frame, person, plan, ticket
from tests.evaluate.test_evaluation import GOALS, desk_tickets

AS_OF = date(2026, 10, 4)


def dates(weeks) -> list[tuple[date, date]]:
    return [(w.start, w.end) for w in weeks.spans]


def test_chart_weeks_end_on_the_last_day_of_each_window():
    """Baseline 3–30 Aug, plan from 7 Sep as of Thursday 24 Sep: the plan's weeks end on the
    24th, so its first week (7–10 Sep) is short; the baseline's end on 30 Aug."""
    weeks = chart_weeks(span(date(2026, 8, 3), date(2026, 8, 30), UTC),
                        span(date(2026, 9, 7), date(2026, 9, 24), UTC), UTC)
    assert dates(weeks) == [
        (date(2026, 8, 3), date(2026, 8, 9)), (date(2026, 8, 10), date(2026, 8, 16)),
        (date(2026, 8, 17), date(2026, 8, 23)), (date(2026, 8, 24), date(2026, 8, 30)),
        (date(2026, 9, 7), date(2026, 9, 10)), (date(2026, 9, 11), date(2026, 9, 17)),
        (date(2026, 9, 18), date(2026, 9, 24))]
    not_started = chart_weeks(span(date(2026, 8, 3), date(2026, 8, 9), UTC),
                              span(date(2026, 9, 7), date(2026, 9, 6), UTC), UTC)
    assert dates(not_started) == [(date(2026, 8, 3), date(2026, 8, 9))]
    assert weeks is chart_weeks(span(date(2026, 8, 3), date(2026, 8, 30), UTC),
                                span(date(2026, 9, 7), date(2026, 9, 24), UTC), UTC)


def test_weekly_values_of_a_goal_and_its_team(people):
    """Ann: one ticket a week (20, 30, 40 h in the baseline, then 8, 9, 12, 6 h); Bob, the
    rest of the team with Cat, 10 h on 6 and 20 Aug and on 10 and 24 Sep."""
    result = evaluate_plan(plan(goals=GOALS), evidence={"ticket": desk_tickets()}, people=people,
                           as_of=AS_OF, tz=UTC)
    hours, resolved = result.goals
    assert [(w.start, w.value, w.n, w.enough, w.excluded, w.team_value)
            for w in hours.weekly] == [
        (date(2026, 8, 3), 20.0, 1, True, False, 10.0),
        (date(2026, 8, 10), 30.0, 1, True, False, None),  # the team resolved nothing
        (date(2026, 8, 17), 40.0, 1, True, False, 10.0),
        (date(2026, 8, 24), None, 0, False, False, None),
        (date(2026, 9, 7), 8.0, 1, True, False, 10.0),
        (date(2026, 9, 14), 9.0, 1, True, False, None),
        (date(2026, 9, 21), 12.0, 1, True, False, 10.0),
        (date(2026, 9, 28), 6.0, 1, True, False, None)]
    # a per-week count: a week without events is a measurement (0); the team's is per member
    assert [(w.value, w.enough, w.team_value) for w in resolved.weekly][2:5] == [
        (1.0, True, 0.5), (0.0, True, 0.0), (1.0, True, 0.5)]
    # without exclusions the last weeks are the sustained rule's windows
    assert [(w.start, w.end) for w in hours.weekly[-4:]] == [
        (w.span.start, w.span.end) for w in hours.sustained.windows]


def test_excluded_weeks_and_thin_weeks(people):
    short = {"weeks": 2, "required": 1}
    goals = [{**GOALS[0], "sustain": {**short, "min_events": 2}}, {**GOALS[1], "sustain": short}]
    on_leave = plan(goals=goals, exclusions=[
        {"from": "2026-09-21", "to": "2026-09-27", "reason": "Annual leave"},
        {"from": "2026-09-28", "to": "2026-09-29", "reason": "Training"}])
    hours, resolved = evaluate_plan(on_leave, evidence={"ticket": desk_tickets()},
                                    people=people, as_of=AS_OF, tz=UTC).goals
    leave, training = hours.weekly[-2:]
    assert (leave.value, leave.n, leave.excluded, leave.enough) == (None, 0, True, False)
    assert (training.value, training.n, training.excluded) == (6.0, 1, False)  # 30 Sep
    assert not training.enough  # one ticket where the sustain rule asks for two a week
    counts = resolved.weekly[-2:]
    assert [(w.excluded, w.enough) for w in counts] == [(True, False), (False, True)]
    assert counts[1].value == pytest.approx(1 / (5 / 7))  # one ticket in five active days


def test_weekly_json(people):
    out = evaluate_plan(plan(goals=GOALS), evidence={"ticket": desk_tickets()}, people=people,
                        as_of=AS_OF, tz=UTC).to_json()
    assert out["goals"][0]["weekly"][0] == {
        "start": "2026-08-03", "end": "2026-08-09", "value": 20.0, "n": 1, "enough": True,
        "excluded": False, "team_value": 10.0}
    assert len(out["goals"][0]["weekly"]) == 8


def test_a_team_too_thin_overall_draws_no_team_line():
    alone = [person("ann", team="solo"), person("bob")]
    goal = evaluate_plan(plan(goals=GOALS), evidence={"ticket": desk_tickets()}, people=alone,
                         as_of=AS_OF, tz=UTC).goals[0]
    assert [w.team_value for w in goal.weekly] == [None] * 8


def test_named_records_are_excluded_only_from_their_own_plan(people):
    """Record exclusions of a batch are matched together; each plan keeps its own."""
    goals = [GOALS[0]]
    plans = [plan(id="one", goals=goals, exclusions=[{"record": "jira:C1", "reason": "x"}]),
             plan(id="two", goals=goals, exclusions=[{"record": "jira:C2", "reason": "y"}]),
             plan(id="three", goals=goals)]
    one, two, three = (r.goals[0] for r in evaluate_plans(
        plans, evidence={"ticket": desk_tickets()}, people=people, as_of=AS_OF, tz=UTC))
    assert one.excluded == (("jira:C1", "x"),) and two.excluded == (("jira:C2", "y"),)
    assert [w.value for w in one.weekly][4:6] == [None, 9.0]
    assert [w.value for w in two.weekly][4:6] == [8.0, None]
    assert [w.value for w in three.weekly][4:6] == [8.0, 9.0]


def random_tickets(seed: int) -> pd.DataFrame:
    """Tickets of four people over four months, some still open (spells of aged tickets)."""
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2026-06-01", tz="UTC")
    rows = []
    for i in range(240):
        created = start + pd.Timedelta(hours=float(rng.uniform(0, 120 * 24)))
        resolved = created + pd.Timedelta(hours=float(rng.exponential(200)))
        still_open = rng.random() < 0.2
        rows.append(ticket(f"R{i}", ["ann", "bob", "cat", "dan"][i % 4], created.isoformat(),
                           None if still_open else resolved.isoformat()))
    return frame(rows)


@pytest.mark.parametrize(("metric", "statistic"), [
    ("ticket_resolution_hours", "median"), ("ticket_resolution_hours", "mean"),
    ("ticket_reopen_rate", "rate"), ("tickets_resolved", "per_week"),
    ("aged_open_tickets", "count"),
])
@pytest.mark.parametrize("seed", [1, 2])
def test_measuring_weeks_together_equals_measuring_each_week(people, metric, statistic, seed):
    """The binned pass (and the paired pass for point-in-time counts) must give exactly what
    a request per week gives, for a person and a team, with and without exclusions."""
    catalog = EventCatalog({"ticket": random_tickets(seed)}, people=people, tz=UTC)
    index = catalog.index(metric)
    leave = plan(start="2026-08-03", end="2026-09-27", baseline=None, exclusions=[
        {"from": "2026-08-10", "to": "2026-08-19", "reason": "Leave"},
        {"from": "2026-08-15", "to": "2026-08-24", "reason": "Overlapping"},
        {"record": "jira:R8", "reason": "Named"}])
    weeks = chart_weeks(span(date(2026, 6, 8), date(2026, 7, 30), UTC),
                        span(date(2026, 8, 3), date(2026, 9, 20), UTC), UTC)
    for exclusions in (plan_exclusions(plan(), UTC), plan_exclusions(leave, UTC)):
        series = [SeriesRequest(who, weeks, exclusions, team)
                  for who, team in (("ann", None), ("bob", None), ("ann", "desk"))]
        together = index.measure_weekly(series, statistic)
        for asked, measured in zip(series, together, strict=True):
            alone = index.measure([Request(asked.person, week, exclusions, asked.team)
                                   for week in weeks.spans], statistic)
            assert measured.n.tolist() == [m.n for m in alone]
            assert measured.values() == pytest.approx([m.value for m in alone])
            assert measured.active_weeks.tolist() == pytest.approx(
                [m.active_weeks for m in alone])


def test_a_series_of_no_weeks_is_empty(people):
    catalog = EventCatalog({"ticket": desk_tickets()}, people=people, tz=UTC)
    none = chart_weeks(span(date(2026, 8, 3), date(2026, 8, 2), UTC),
                       span(date(2026, 9, 7), date(2026, 9, 6), UTC), UTC)
    [empty] = catalog.index("ticket_resolution_hours").measure_weekly(
        [SeriesRequest("ann", none, plan_exclusions(plan(), UTC))], "median")
    assert len(empty.value) == 0 and empty.values() == []


def test_weeks_follow_the_plan_end(people):
    """As of a day after the plan's end, the plan's weeks end on its last day."""
    goal = evaluate_plan(plan(goals=GOALS), evidence={"ticket": desk_tickets()}, people=people,
                         as_of=AS_OF + timedelta(days=30), tz=UTC).goals[0]
    assert goal.weekly[-1].end == date(2026, 10, 4)
