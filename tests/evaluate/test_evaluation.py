"""Whole plans, hand-computed (DESIGN §5 and the JSON of §10)."""

from __future__ import annotations

import copy
from datetime import date

import numpy as np
import pandas as pd
import pytest

from evaluate import stats
from evaluate.catalog import EventCatalog
from evaluate.evaluation import evaluate_at_checkpoints, evaluate_plan, evaluate_plans
from evaluate.results import GoalEvaluation
from tests.evaluate.conftest import (
    BERLIN,
    UTC,
    frame,
    person,
    plan,
    pull,
    review,
    sample,
    ticket,
)

HOURS = pd.Timedelta(hours=1)


def solved(key: str, who: str, resolved: str, hours: float) -> dict:
    end = pd.Timestamp(resolved, tz="UTC")
    return ticket(key, who, (end - hours * HOURS).isoformat(), end.isoformat())


def desk_tickets() -> pd.DataFrame:
    """Ann: baseline 20/30/40 h, then 8, 9, 12 and 6 h, one a week; Bob steady at 10 h."""
    return frame([
        solved("B1", "ann", "2026-08-05T12:00", 20), solved("B2", "ann", "2026-08-12T12:00", 30),
        solved("B3", "ann", "2026-08-19T12:00", 40),
        solved("C1", "ann", "2026-09-09T12:00", 8), solved("C2", "ann", "2026-09-16T12:00", 9),
        solved("C3", "ann", "2026-09-23T12:00", 12), solved("C4", "ann", "2026-09-30T12:00", 6),
        solved("T1", "bob", "2026-08-06T12:00", 10), solved("T2", "bob", "2026-08-20T12:00", 10),
        solved("T3", "bob", "2026-09-10T12:00", 10), solved("T4", "bob", "2026-09-24T12:00", 10),
    ])


GOALS = [
    {"metric": "ticket_resolution_hours", "target": {"at_most": 10}, "min_samples": 2},
    {"metric": "tickets_resolved", "target": {"improve_by": "20%"}, "min_weeks": 2},
]


def test_a_plan_met_and_sustained(people):
    result = evaluate_plan(plan(goals=GOALS, checkpoints=["2026-09-20"]),
                           evidence={"ticket": desk_tickets()}, people=people,
                           as_of=date(2026, 10, 4), tz=UTC, version=3)
    out = result.to_json()
    assert (out["plan"], out["version"], out["as_of"], out["outcome"]) == (
        "ann-q4", 3, "2026-10-04", "successful_completion")
    hours, resolved = out["goals"]
    assert hours["baseline"] | {"evidence": None} == {
        "start": "2026-08-03", "end": "2026-08-30", "value": 30.0, "n": 3, "active_weeks": 4.0,
        "evidence": None}
    assert (hours["current"]["value"], hours["current"]["n"]) == (8.5, 4)
    assert hours["change"]["absolute"] == 21.5 and hours["change"]["relative"] == 0.7167
    assert hours["target"] == {"at_most": 10.0} and hours["target_met"] is True
    assert [w["status"] for w in hours["sustained"]["windows"]] == [
        "met", "met", "not_met", "met"]
    assert hours["sustained"] | {"windows": None} == {
        "weeks_met": 3, "weeks": 4, "held": True, "required": 3, "windows": None}
    assert hours["status"] == "met" and hours["better"] == "lower"
    assert hours["evidence"] == ["jira:B1", "jira:B2", "jira:B3", "jira:C1", "jira:C2",
                                 "jira:C3", "jira:C4"]
    assert hours["team"] | {"interval": None, "difference_interval": None} == {
        "change_relative": 0.0, "team_wide_shift": False, "team": "desk", "members": 2,
        "change_absolute": 0.0, "interval": None, "relative_to_team": 0.7167,
        "absolute_to_team": 21.5, "difference_interval": None,
        "sufficient": True, "baseline": {"value": 10.0, "n": 2}, "current": {"value": 10.0, "n": 2}}
    lower, upper = hours["team"]["difference_interval"]
    assert 0 < lower < 21.5 < upper  # Ann improved clearly more than the steady team
    assert (resolved["baseline"]["value"], resolved["current"]["value"]) == (0.75, 1.0)
    assert resolved["change"]["relative"] == 0.3333 and resolved["status"] == "met"
    assert 0 <= resolved["change"]["p_value"] <= 1


DESK = [person(pid) for pid in ("ann", "bob", "cat", "eve", "fay")]


def shifting_desk(person_hours: tuple[float, float], team_hours: tuple[float, float]
                  ) -> pd.DataFrame:
    """40 resolutions a window for Ann and for each of her four teammates, near the window's
    typical time with ±25% jitter (seeded)."""
    rng = np.random.default_rng(12)
    rows = []
    for window, first_day in enumerate(("2026-08-03", "2026-09-07")):
        start = pd.Timestamp(first_day, tz="UTC")
        for i in range(40):
            when = (start + pd.Timedelta(hours=12 * i + 6)).isoformat()
            for who in ("ann", "bob", "cat", "eve", "fay"):
                hours = person_hours if who == "ann" else team_hours
                rows.append(solved(f"{who}-{window}-{i}", who, when,
                                   hours[window] * rng.uniform(0.75, 1.25)))
    return frame(rows)


def resolution_goal(tickets: pd.DataFrame) -> GoalEvaluation:
    goals = [{"metric": "ticket_resolution_hours", "target": {"at_most": 24}}]
    return evaluate_plan(plan(goals=goals), evidence={"ticket": tickets}, people=DESK,
                         as_of=date(2026, 10, 4), tz=UTC).goals[0]


def test_a_whole_team_slowing_together_is_a_team_wide_shift():
    """Everyone goes from ~24 h to ~48 h. With four teammates the team's interval is narrow
    and misses Ann's estimate, yet her change cannot be told from theirs (DESIGN §5.6)."""
    goal = resolution_goal(shifting_desk((24, 48), (24, 48)))
    assert goal.team is not None and (goal.current.n, goal.team.current.n) == (40, 160)
    team_lower, team_upper = goal.team.change.interval or (0.0, 0.0)
    assert team_upper < 0  # the team clearly got slower
    assert goal.change.absolute is not None and goal.change.absolute < team_lower
    assert goal.team.gap is not None and goal.team.gap[0] <= 0 <= goal.team.gap[1]
    assert goal.team.team_wide_shift and "team_wide_shift" in goal.flags


def test_a_person_flat_while_the_team_improves_is_no_team_wide_shift():
    goal = resolution_goal(shifting_desk((30, 30), (48, 24)))
    assert goal.team is not None and goal.team.change.interval is not None
    assert goal.team.change.interval[0] > 0  # the team clearly improved
    assert goal.team.gap is not None and goal.team.gap[1] < 0  # Ann did clearly worse than it
    assert not goal.team.team_wide_shift and "team_wide_shift" not in goal.flags


def test_exclusions_remove_events_and_exposure(people):
    excluded = plan(goals=GOALS, exclusions=[
        {"from": "2026-09-21", "to": "2026-09-27", "reason": "Annual leave"},
        {"record": "jira:B3", "reason": "Blocked by a vendor"},
    ])
    out = evaluate_plan(excluded, evidence={"ticket": desk_tickets()}, people=people,
                        as_of=date(2026, 10, 4), tz=UTC).to_json()
    hours, resolved = out["goals"]
    assert hours["baseline"]["value"] == 25.0  # B3 left out
    assert (hours["current"]["value"], hours["current"]["n"]) == (8.0, 3)  # C3 in the leave
    assert hours["excluded"] == [{"key": "jira:B3", "reason": "Blocked by a vendor"},
                                 {"key": "jira:C3", "reason": "Annual leave"}]
    assert "jira:C3" not in hours["evidence"]
    # the leave week is no weekly window: the plan so far has three active weeks
    assert [(w["start"], w["end"], w["status"]) for w in hours["sustained"]["windows"]] == [
        ("2026-09-07", "2026-09-13", "met"), ("2026-09-14", "2026-09-20", "met"),
        ("2026-09-28", "2026-10-04", "met")]
    assert resolved["current"]["active_weeks"] == 3.0 and resolved["current"]["value"] == 1.0
    assert resolved["baseline"]["value"] == 0.5  # 2 tickets in 4 weeks
    assert [w["status"] for w in resolved["sustained"]["windows"]] == ["met"] * 3
    assert hours["team"]["current"]["n"] == 1  # the leave applies to the team's window too


def test_leave_over_the_last_week_does_not_stop_a_goal_being_met(people):
    """The last weekly window must be met; on leave it used to be empty, and the goal could
    never be met. Weeks are now counted in active time: the last is the last worked week."""
    on_leave = plan(goals=[GOALS[1]], exclusions=[
        {"from": "2026-09-28", "to": "2026-10-04", "reason": "Annual leave"}])
    goal = evaluate_plan(on_leave, evidence={"ticket": desk_tickets()}, people=people,
                         as_of=date(2026, 10, 4), tz=UTC).to_json()["goals"][0]
    assert [(w["end"], w["status"]) for w in goal["sustained"]["windows"]] == [
        ("2026-09-13", "met"), ("2026-09-20", "met"), ("2026-09-27", "met")]
    assert goal["current"]["value"] == 1.0 and goal["status"] == "met"


def test_a_per_week_count_needs_four_active_days_in_a_window(people):
    """A plan starting on a Wednesday, judged on a Thursday: its first window is two days."""
    late = plan(start="2026-09-09", goals=[{**GOALS[1], "target": {"at_least": 0.5}}])
    goal = evaluate_plan(late, evidence={"ticket": desk_tickets()}, people=people,
                         as_of=date(2026, 9, 24), tz=UTC).to_json()["goals"][0]
    assert [(w["start"], w["end"], w["n"], w["status"])
            for w in goal["sustained"]["windows"]] == [
        ("2026-09-09", "2026-09-10", 1, "insufficient"),  # 1 in 2 days is not 3.5 a week
        ("2026-09-11", "2026-09-17", 1, "met"), ("2026-09-18", "2026-09-24", 1, "met")]


def test_too_few_events_are_insufficient_never_not_met(people):
    strict = plan(goals=[{**GOALS[0], "min_samples": 4}, {**GOALS[1], "min_weeks": 5}])
    out = evaluate_plan(strict, evidence={"ticket": desk_tickets()}, people=people,
                        as_of=date(2026, 10, 4), tz=UTC).to_json()
    assert [g["status"] for g in out["goals"]] == ["insufficient_data", "insufficient_data"]
    assert out["outcome"] == "undetermined"
    assert out["goals"][0]["flags"] == ["baseline_insufficient", "no_team_context"]
    assert out["goals"][0]["change"]["interval"] is None
    assert out["goals"][0]["change"]["absolute"] == 21.5  # still reported


def spread(prefix: str, who: str, days: pd.DatetimeIndex, hours: list[float]) -> list[dict]:
    return [solved(f"{prefix}{i}", who, (day + 12 * HOURS).isoformat(), h)
            for i, (day, h) in enumerate(zip(days, hours, strict=True))]


def test_improvement_with_a_clear_interval_is_partially_met(people):
    before = pd.date_range("2026-08-03", periods=12, freq="2D", tz="UTC")
    after = pd.date_range("2026-09-07", periods=12, freq="2D", tz="UTC")
    tickets = frame(spread("B", "ann", before, [40, 42, 44, 46, 48, 50] * 2)
                    + spread("C", "ann", after, [20, 22, 24, 26, 28, 30] * 2))
    goals = [{"metric": "ticket_resolution_hours", "target": {"at_most": 10}}]
    out = evaluate_plan(plan(goals=goals), evidence={"ticket": tickets}, people=people,
                        as_of=date(2026, 10, 4), tz=UTC).to_json()
    goal = out["goals"][0]
    assert goal["target_met"] is False and goal["change"]["interval"][0] > 0
    assert goal["status"] == "partially_met" and out["outcome"] == "partial_improvement"
    worse = frame(spread("B", "ann", before, [20] * 12) + spread("C", "ann", after, [30] * 12))
    out = evaluate_plan(plan(goals=goals), evidence={"ticket": worse}, people=people,
                        as_of=date(2026, 10, 4), tz=UTC).to_json()
    assert out["goals"][0]["status"] == "not_met"
    assert out["goals"][0]["change"] == {"absolute": -10.0, "relative": -0.5,
                                         "interval": [-10.0, -10.0]}
    assert out["outcome"] == "insufficient_improvement"


def test_checkpoints_evaluate_as_of_each_date(people):
    results = evaluate_at_checkpoints(
        plan(goals=GOALS, checkpoints=["2026-09-20", "2026-10-04"]),
        evidence={"ticket": desk_tickets()}, people=people, as_of=date(2026, 9, 30), tz=UTC)
    assert [r.as_of for r in results] == [date(2026, 9, 20)]
    goal = results[0].goals[0]
    assert (goal.current_span.end, goal.current.value, goal.current.n) == (
        date(2026, 9, 20), 8.5, 2)
    assert [w.span.start for w in goal.sustained.windows] == [date(2026, 9, 7),
                                                             date(2026, 9, 14)]


def test_weeks_follow_the_configured_zone_across_dst(people):
    # 23:30 UTC on Sunday 25 October is 00:30 on Monday 26 October in Berlin (winter time).
    tickets = frame([solved("Z1", "ann", "2026-10-25T23:30", 5.0)])
    late = plan(start="2026-10-12", end="2026-11-08", baseline=None, goals=GOALS)
    berlin = evaluate_plan(late, evidence={"ticket": tickets}, people=people,
                           as_of=date(2026, 11, 8), tz=BERLIN)
    utc = evaluate_plan(late, evidence={"ticket": tickets}, people=people,
                        as_of=date(2026, 11, 8), tz=UTC)
    week_of = {w.span.start: w.n for w in berlin.goals[0].sustained.windows}
    assert week_of == {date(2026, 10, 19): 0, date(2026, 10, 26): 1, date(2026, 11, 2): 0} | {
        date(2026, 10, 12): 0}
    assert {w.span.start: w.n for w in utc.goals[0].sustained.windows}[date(2026, 10, 19)] == 1


def test_excluding_a_pull_request_removes_its_reviews(people):
    evidence = {
        "pull_request": frame([pull(1, "bob", "2026-09-08T00:00", "2026-09-09T00:00"),
                               pull(2, "bob", "2026-09-10T00:00", "2026-09-11T00:00")]),
        "review": frame([review("r1", 1, "ann", "APPROVED", "2026-09-08T04:00"),
                         review("r2", 2, "ann", "APPROVED", "2026-09-10T02:00")]),
    }
    goals = [{"metric": "review_turnaround_hours", "target": {"at_most": 3}, "min_samples": 1}]
    blocked = plan(goals=goals, exclusions=[{"record": "github:acme/api/1", "reason": "Spike"}])
    goal = evaluate_plan(blocked, evidence=evidence, people=people, as_of=date(2026, 10, 4),
                         tz=UTC).to_json()["goals"][0]
    assert goal["current"]["evidence"] == ["github:review/r2"]
    assert goal["current"]["value"] == 2.0
    assert goal["excluded"] == [{"key": "github:review/r1", "reason": "Spike"}]


def test_team_owned_samples_count_for_the_team_only(people):
    samples = frame([
        sample(series, "error_rate", when, value, person=who, team=team)
        for series, who, team, when, value in [
            ("a", "ann", None, "2026-08-10", 0.04), ("a", "ann", None, "2026-09-10", 0.02),
            ("d", None, "team:desk", "2026-08-10", 0.10),
            ("d", None, "team:desk", "2026-09-10", 0.05),
            ("o", None, "team:other", "2026-09-10", 0.90),
        ]
    ])
    goals = [{"metric": "error_rate", "target": {"at_most": 0.03}, "min_samples": 1}]
    goal = evaluate_plan(plan(goals=goals), evidence={"sample": samples}, people=people,
                         as_of=date(2026, 10, 4), tz=UTC).goals[0]
    assert (goal.baseline.value, goal.current.value) == (0.04, 0.02)
    assert goal.team is not None
    assert (goal.team.baseline.value, goal.team.current.value) == (0.10, 0.05)
    assert goal.team.change.relative == pytest.approx(0.5)


def test_sampled_series_count_days_not_samples(people):
    """DESIGN §5.10: 288 five-minute samples a day are one event; n counts days, the interval
    resamples days, and the evidence lists each series' days, not 288 keys a day."""
    def day(when: str, level: float) -> list[dict]:
        start = pd.Timestamp(when, tz="UTC")
        return [sample("checkout", "error_rate", (start + k * pd.Timedelta(minutes=5)).isoformat(),
                       level + (k % 3) * 0.001) for k in range(288)]

    baseline = [f"2026-08-{d:02d}" for d in range(3, 13)]
    current = [f"2026-09-{d:02d}" for d in range(7, 17)]
    samples = frame([row for i, when in enumerate(baseline + current)
                     for row in day(when, (0.02 if when < "2026-09" else 0.01) + i % 4 * 0.002)])
    goals = [{"metric": "error_rate", "target": {"at_most": 0.02}, "min_samples": 8,
              "sustain": {"weeks": 2, "required": 1}}]
    goal = evaluate_plan(plan(goals=goals), evidence={"sample": samples}, people=people,
                         as_of=date(2026, 9, 16), tz=UTC).goals[0]
    assert (goal.baseline.n, goal.current.n) == (10, 10)
    assert goal.evidence[:2] == ("prometheus:checkout/2026-08-03", "prometheus:checkout/2026-08-04")
    assert len(goal.evidence) == 20
    days = [np.array([0.021 + i % 4 * 0.002 for i in range(10)]),
            np.array([0.011 + i % 4 * 0.002 for i in range(10, 20)])]
    assert goal.baseline.value == pytest.approx(days[0].mean())
    expected = stats.bootstrap_difference_intervals("mean", [days[0]], [days[1]])[0]
    assert goal.change.interval == pytest.approx((-expected[1], -expected[0]))
    # the chart's weeks count days too: 3–9 and 10–16 Aug, then 7–9 and 10–16 Sep
    assert [w.n for w in goal.weekly] == [7, 3, 0, 0, 3, 7]
    assert [w.value for w in goal.weekly] == pytest.approx(
        [days[0][:7].mean(), days[0][7:].mean(), None, None, days[1][:3].mean(),
         days[1][3:].mean()])


def test_a_ticket_resolved_before_it_was_created_is_listed_as_excluded(people):
    """A negative duration is a data error, not a measurement: it is never counted, and the
    goal says which record was left out and why instead of dropping it silently."""
    tickets = pd.concat([desk_tickets(), frame([
        ticket("BAD", "ann", "2026-09-15T12:00", "2026-09-15T09:00"),
        ticket("OLD", "bob", "2026-09-15T12:00", "2026-09-15T09:00"),  # a teammate's
    ])], ignore_index=True)
    out = evaluate_plan(plan(goals=GOALS), evidence={"ticket": tickets}, people=people,
                        as_of=date(2026, 10, 4), tz=UTC).to_json()
    hours, resolved = out["goals"]
    assert hours["excluded"] == [{"key": "jira:BAD", "reason": "resolved before created"}]
    assert "jira:BAD" not in hours["evidence"]
    assert (hours["current"]["value"], hours["current"]["n"]) == (8.5, 4)
    assert hours["team"]["current"]["n"] == 2  # bob's bad ticket is not counted either
    assert resolved["current"]["n"] == 5  # it was resolved: it counts as resolved
    week = next(w for w in hours["weekly"] if w["start"] == "2026-09-14")
    assert (week["value"], week["n"]) == (9.0, 1)  # nor is it a point of the chart


def test_aged_open_tickets_count_at_the_window_end(people):
    tickets = frame([
        ticket("O1", "ann", "2026-07-01", category="new"),
        ticket("O2", "ann", "2026-07-01", "2026-09-01"),  # open at the baseline's end only
        ticket("O3", "bob", "2026-07-01", category="new"),
    ])
    goals = [{"metric": "aged_open_tickets", "target": {"at_most": 1},
              "sustain": {"weeks": 2, "required": 2}}]
    out = evaluate_plan(plan(goals=goals), evidence={"ticket": tickets}, people=people,
                        as_of=date(2026, 10, 4), tz=UTC).to_json()["goals"][0]
    assert (out["baseline"]["value"], out["current"]["value"]) == (2.0, 1.0)
    assert out["current"]["evidence"] == ["jira:O1"]
    assert out["change"] == {"absolute": 1.0, "relative": 0.5, "interval": [-3.001, 5.505]}
    assert out["status"] == "met"
    assert out["team"]["current"] == {"value": 0.5, "n": 1}  # Bob's one ticket, per member


def test_leave_does_not_age_open_tickets(people):
    """Measured on 4 October, after leave from 21 September to 2 October (and an outage
    overlapping it, counted once): tickets opened on 19 September are 15.6 days old but only
    3.6 active days; one opened on 6 September is 29 days old, 17 of them active."""
    tickets = frame([ticket(f"O{i}", "ann", "2026-09-19T09:00", category="new")
                     for i in range(3)] + [ticket("O9", "ann", "2026-09-06", category="new")])
    goals = [{"metric": "aged_open_tickets", "target": {"at_most": 1},
              "sustain": {"weeks": 1, "required": 1}}]
    on_leave = plan(goals=goals, exclusions=[
        {"from": "2026-09-21", "to": "2026-10-02", "reason": "Annual leave"},
        {"from": "2026-09-28", "to": "2026-10-01", "reason": "Outage"}])
    goal = evaluate_plan(on_leave, evidence={"ticket": tickets}, people=people,
                         as_of=date(2026, 10, 4), tz=UTC).to_json()["goals"][0]
    assert goal["current"]["evidence"] == ["jira:O9"] and goal["current"]["value"] == 1.0
    assert goal["status"] == "met"
    worked = evaluate_plan(plan(goals=goals), evidence={"ticket": tickets}, people=people,
                           as_of=date(2026, 10, 4), tz=UTC).to_json()["goals"][0]
    assert worked["current"]["value"] == 4.0 and worked["status"] == "not_met"


def test_a_clear_fall_in_aged_open_tickets_is_partially_met(people):
    """Counts get a Poisson interval too: 20 aged tickets down to 2 is an improvement even
    though the target of at most 1 is not reached; 3 down to 2 is not clearly one."""
    def aged(resolved: int, still_open: int) -> pd.DataFrame:
        return frame([ticket(f"R{i}", "ann", "2026-07-01", "2026-09-02") for i in range(resolved)]
                     + [ticket(f"O{i}", "ann", "2026-07-01", category="new")
                        for i in range(still_open)])

    goals = [{"metric": "aged_open_tickets", "target": {"at_most": 1}}]
    for resolved, status in ((18, "partially_met"), (1, "not_met")):
        out = evaluate_plan(plan(goals=goals), evidence={"ticket": aged(resolved, 2)},
                            people=people, as_of=date(2026, 10, 4), tz=UTC).to_json()["goals"][0]
        assert (out["baseline"]["value"], out["current"]["value"]) == (resolved + 2, 2.0)
        assert out["target_met"] is False and out["status"] == status
    assert out["change"]["interval"][0] < 0 < out["change"]["interval"][1]


def test_goal_definitions_the_catalog_refuses(people):
    evidence = {"ticket": desk_tickets()}
    with pytest.raises(ValueError, match="must set `better`"):
        evaluate_plan(plan(goals=[{"metric": "incidents_owned", "target": {"at_most": 2}}]),
                      evidence=evidence, people=people, as_of=date(2026, 10, 4), tz=UTC)
    with pytest.raises(ValueError, match="statistic 'median'"):
        evaluate_plan(plan(goals=[{"metric": "ticket_reopen_rate", "statistic": "median",
                                   "target": {"at_most": 0.1}}]),
                      evidence=evidence, people=people, as_of=date(2026, 10, 4), tz=UTC)
    owned = plan(goals=[{"metric": "incidents_owned", "better": "lower",
                         "target": {"at_most": 2}}])
    result = evaluate_plan(owned, evidence=evidence, people=people, as_of=date(2026, 10, 4),
                           tz=UTC)
    assert result.goals[0].better == "lower" and result.goals[0].statistic == "per_week"


def test_a_person_outside_people_yaml_has_no_team_context():
    result = evaluate_plan(plan(goals=GOALS), evidence={"ticket": desk_tickets()},
                           people=[person("bob")], as_of=date(2026, 10, 4), tz=UTC)
    assert result.goals[0].team is None
    assert "no_team_context" in result.goals[0].flags
    assert result.to_json()["goals"][0]["team"]["change_relative"] is None


def test_a_team_of_one_has_no_team_context():
    """With no one else in the team, per-week counts would read as a team of zeros."""
    alone = [person("ann", team="solo"), person("bob"), person("cat")]
    result = evaluate_plan(plan(goals=GOALS), evidence={"ticket": desk_tickets()}, people=alone,
                           as_of=date(2026, 10, 4), tz=UTC)
    for goal in result.to_json()["goals"]:
        assert "no_team_context" in goal["flags"]
        assert (goal["team"]["team"], goal["team"]["members"]) == ("solo", 0)
        assert goal["team"]["sufficient"] is False
        assert goal["team"]["change_relative"] is None and goal["team"]["relative_to_team"] is None


def test_a_plan_not_yet_started_has_an_empty_current_window(people):
    """Judged before its start, the plan has no current days: the window starts with the plan
    and has no end, rather than ending on the as-of day, before it starts."""
    out = evaluate_plan(plan(goals=GOALS), evidence={"ticket": desk_tickets()}, people=people,
                        as_of=date(2026, 9, 1), tz=UTC).to_json()
    for goal in out["goals"]:
        assert goal["current"] | {"evidence": None} == {
            "start": "2026-09-07", "end": None, "value": None, "n": 0, "active_weeks": 0.0,
            "evidence": None}
        assert goal["baseline"]["end"] == "2026-08-30" and goal["sustained"]["windows"] == []
        assert goal["status"] == "insufficient_data"
    assert out["outcome"] == "undetermined"


def test_as_of_a_day_inside_the_baseline_counts_only_what_existed_then(people):
    """A past checkpoint must be reproducible: evidence recorded after the as-of day (B3 on
    19 August, the team's T2 on 20 August) is never used, the baseline included."""
    out = evaluate_plan(plan(goals=GOALS), evidence={"ticket": desk_tickets()}, people=people,
                        as_of=date(2026, 8, 14), tz=UTC).to_json()
    hours, resolved = out["goals"]
    assert hours["baseline"] | {"evidence": None} == {
        "start": "2026-08-03", "end": "2026-08-14", "value": 25.0, "n": 2,
        "active_weeks": pytest.approx(12 / 7, abs=1e-3), "evidence": None}
    assert hours["evidence"] == ["jira:B1", "jira:B2"]
    assert hours["team"]["baseline"]["n"] == 1
    assert resolved["baseline"]["n"] == 2 and resolved["baseline"]["end"] == "2026-08-14"


def test_a_batch_returns_each_plan_with_its_own_goals(people):
    """Goals of all plans are judged together, then handed back plan by plan."""
    def goals(*limits: int) -> list[dict]:
        return [{**GOALS[0], "target": {"at_most": limit}} for limit in limits]

    plans = [plan(id="three", goals=goals(7, 8, 9)), plan(id="one", goals=goals(10)),
             plan(id="two", goals=[*goals(11), GOALS[1]])]
    evidence = {"ticket": desk_tickets()}
    batch = evaluate_plans(plans, evidence=evidence, people=people, as_of=date(2026, 10, 4),
                           tz=UTC, versions=[1, 2, 3])
    alone = [evaluate_plan(p, evidence=evidence, people=people, as_of=date(2026, 10, 4), tz=UTC,
                           version=v) for p, v in zip(plans, [1, 2, 3], strict=True)]
    assert [r.to_json() for r in batch] == [r.to_json() for r in alone]
    assert [[g.goal.target.at_most for g in r.goals] for r in batch] == [
        [7, 8, 9], [10], [11, None]]


def test_inputs_are_not_mutated(people):
    evidence = {"ticket": desk_tickets(), "pull_request": frame([pull(1, "ann", "2026-09-08")])}
    before = {kind: df.copy(deep=True) for kind, df in evidence.items()}
    given, people_before = plan(goals=GOALS), copy.deepcopy(people)
    dumped = given.model_dump()
    evaluate_plans([given], evidence=evidence, people=people, as_of=date(2026, 10, 4), tz=BERLIN)
    for kind, df in evidence.items():
        pd.testing.assert_frame_equal(df, before[kind])
    assert people == people_before and given.model_dump() == dumped


def test_a_catalog_is_reused_only_for_the_evidence_it_was_built_from(people):
    evidence = {"ticket": desk_tickets()}
    catalog = EventCatalog(evidence, people=people, tz=UTC)
    fresh = evaluate_plan(plan(goals=GOALS), evidence=evidence, people=people,
                          as_of=date(2026, 10, 4), tz=UTC)
    reused = evaluate_plan(plan(goals=GOALS), evidence=evidence, people=people,
                           as_of=date(2026, 10, 4), tz=UTC, catalog=catalog)
    assert reused.to_json() == fresh.to_json()
    with pytest.raises(ValueError, match="other evidence"):
        evaluate_plan(plan(goals=GOALS), evidence=dict(evidence), people=people,
                      as_of=date(2026, 10, 4), tz=UTC, catalog=catalog)


def test_json_keeps_the_public_shape(people):
    out = evaluate_plan(plan(goals=GOALS), evidence={"ticket": desk_tickets()}, people=people,
                        as_of=date(2026, 10, 4), tz=UTC).to_json()
    assert list(out)[:5] == ["plan", "version", "as_of", "outcome", "goals"]
    assert {"support", "barriers", "notes", "exclusions", "unmatched_exclusions"} <= set(out)
    goal = out["goals"][0]
    required = {"metric", "statistic", "better", "baseline", "current", "change", "target",
                "target_met", "sustained", "team", "status", "evidence"}
    assert required <= set(goal)
    assert {"start", "end", "value", "n"} <= set(goal["baseline"]) & set(goal["current"])
    assert {"absolute", "relative", "interval"} <= set(goal["change"])
    assert {"weeks_met", "weeks", "held"} <= set(goal["sustained"])
    assert {"change_relative", "team_wide_shift"} <= set(goal["team"])


def test_the_whole_plan_is_in_the_json_and_unstored_exclusions_are_reported(people):
    """Support, barriers and notes belong in the record; an exclusion naming no stored record
    excludes nothing, which the reader must be told (DESIGN §5.11)."""
    described = plan(
        goals=GOALS, support=["Weekly pairing"], barriers=["Legacy tooling"], notes=["Agreed"],
        exclusions=[{"from": "2026-09-14", "to": "2026-09-15", "reason": "Leave"},
                    {"record": "jira:C2", "reason": "Vendor"},
                    {"record": "jira:NOPE-1", "reason": "Typo"}],
    )
    out = evaluate_plan(described, evidence={"ticket": desk_tickets()}, people=people,
                        as_of=date(2026, 10, 4), tz=UTC).to_json()

    assert (out["support"], out["barriers"], out["notes"]) == (
        ["Weekly pairing"], ["Legacy tooling"], ["Agreed"])
    assert out["exclusions"] == [
        {"from": "2026-09-14", "to": "2026-09-15", "reason": "Leave"},
        {"record": "jira:C2", "reason": "Vendor"},
        {"record": "jira:NOPE-1", "reason": "Typo"},
    ]
    assert out["unmatched_exclusions"] == ["jira:NOPE-1"]


def test_a_window_starting_before_a_sources_first_sync_is_flagged(people):
    """Coverage is plain data: record kind → source → the first instant synced."""
    base = {"evidence": {"ticket": desk_tickets()}, "people": people, "as_of": date(2026, 10, 4),
            "tz": UTC}
    mid_baseline = {"ticket": {"jira": pd.Timestamp("2026-08-10", tz="UTC").to_pydatetime()},
                    "incident": {"pagerduty": pd.Timestamp("2026-12-01", tz="UTC").to_pydatetime()}}
    before = {"ticket": {"jira": pd.Timestamp("2026-08-03", tz="UTC").to_pydatetime()}}

    flagged = evaluate_plan(plan(goals=GOALS), coverage=mid_baseline, **base)
    covered = evaluate_plan(plan(goals=GOALS), coverage=before, **base)

    assert all("window_not_covered:jira" in goal.flags for goal in flagged.goals)
    assert not any("pagerduty" in flag for goal in flagged.goals for flag in goal.flags)
    assert not any(flag.startswith("window_not_covered") for g in covered.goals for flag in g.flags)
