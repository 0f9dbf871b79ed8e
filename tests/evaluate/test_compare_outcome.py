"""Change, target, sustained, team context (DESIGN §5.2–5.6); status and outcome (§5.7–5.8)."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pytest

from config.plans import Goal, Sustain, Target
from evaluate.compare import (
    Change,
    change,
    is_sufficient,
    oriented,
    sustained,
    target_met,
    team_context,
)
from evaluate.measure import Measurement, Weekly
from evaluate.outcome import goal_status, plan_outcome
from evaluate.windows import Weeks, span
from tests.evaluate.conftest import UTC


def m(value: float | None, n: int = 10, weeks: float = 4.0) -> Measurement:
    return Measurement(value, n, weeks, 1)


def test_change_is_positive_when_better():
    assert change(m(40.0), m(30.0), "lower", (-14.0, -6.0)) == Change(10.0, 0.25, (6.0, 14.0))
    assert change(m(40.0), m(30.0), "higher", (-14.0, -6.0)) == Change(
        -10.0, -0.25, (-14.0, -6.0))
    assert change(m(0.0), m(2.0), "higher", None) == Change(2.0, None, None)  # no relative from 0
    assert change(m(None, 0), m(2.0), "higher", None) == Change(None, None, None)
    assert oriented((1.0, 3.0), "lower") == (-3.0, -1.0) and oriented(None, "lower") is None


def test_targets():
    assert target_met(Target(at_most=24), 24.0, None, "lower") is True
    assert target_met(Target(at_most=24), 24.5, None, "lower") is False
    assert target_met(Target(at_least=0.8), 0.8, None, "higher") is True
    assert target_met(Target(improve_by="20%"), 32.0, 40.0, "lower") is True  # exactly 20%
    assert target_met(Target(improve_by="20%"), 33.0, 40.0, "lower") is False
    assert target_met(Target(improve_by="20%"), 48.0, 40.0, "higher") is True
    assert target_met(Target(improve_by="20%"), 1.0, 0.0, "higher") is True  # from zero
    assert target_met(Target(improve_by="20%"), 0.0, 0.0, "higher") is False


def test_improving_on_a_zero_baseline_where_lower_is_better_means_holding_it():
    """Zero reopens is already the best there is: keeping it meets the goal, losing it does
    not (before, such a goal could never be met)."""
    assert target_met(Target(improve_by="20%"), 0.0, 0.0, "lower") is True
    assert target_met(Target(improve_by="20%"), 0.1, 0.0, "lower") is False
    assert target_met(Target(improve_by="20%"), 3.0, None, "lower") is None
    assert target_met(Target(at_most=1), None, 3.0, "lower") is None


def test_sufficiency_by_statistic():
    goal = Goal(metric="x", target=Target(at_most=1), min_samples=8, min_weeks=4)
    assert is_sufficient(m(1.0, n=8), "median", goal)
    assert not is_sufficient(m(1.0, n=7), "rate", goal)
    assert is_sufficient(m(0.0, n=0, weeks=4.0), "per_week", goal)  # zero events still measure
    assert not is_sufficient(m(5.0, n=50, weeks=3.9), "per_week", goal)
    assert is_sufficient(m(0.0, n=0, weeks=0.5), "count", goal)
    assert not is_sufficient(m(0.0, n=0, weeks=0.0), "count", goal)


def weeks(values: list[tuple[float | None, int]], active: list[float] | None = None,
          days: list[int] | None = None) -> tuple[Weeks, Weekly]:
    """Consecutive windows from a Monday, each `days` long (7), with their measurements."""
    monday, days = date(2026, 9, 7), days or [7] * len(values)
    starts = [monday + timedelta(days=sum(days[:i])) for i in range(len(values))]
    spans = tuple(span(start, start + timedelta(days=d - 1), UTC)
                  for start, d in zip(starts, days, strict=True))
    measured = Weekly(np.array([np.nan if v is None else v for v, _ in values], dtype=float),
                      np.array([n for _, n in values]),
                      np.array(active or [1.0] * len(values)))
    return Weeks(spans), measured


def test_sustained_needs_required_weeks_and_the_last_one():
    target, rule = Target(at_most=10), Sustain()
    held = sustained(*weeks([(12, 3), (9, 3), (8, 2), (10, 5)]), rule, "median", target, 20,
                     "lower")
    assert (held.weeks_met, held.weeks, held.required, held.held) == (3, 4, 3, True)
    assert [w.status for w in held.windows] == ["not_met", "met", "met", "met"]
    last_missed = sustained(*weeks([(9, 3), (9, 3), (8, 2), (11, 5)]), rule, "median", target, 20,
                            "lower")
    assert (last_missed.weeks_met, last_missed.held) == (3, False)
    gap = sustained(*weeks([(9, 3), (None, 0), (8, 2), (7, 5)]), rule, "median", target, 20,
                    "lower")
    assert [w.status for w in gap.windows] == ["met", "insufficient", "met", "met"]
    assert gap.held  # three of four, the last included
    two_gaps = sustained(*weeks([(None, 0), (None, 0), (8, 2), (7, 5)]), rule, "median", target,
                         20, "lower")
    assert not two_gaps.held
    young = sustained(*weeks([(8, 2), (7, 5)]), rule, "median", target, 20, "lower")
    assert (young.weeks_met, young.weeks, young.held) == (2, 4, False)
    zero_week = sustained(*weeks([(0.0, 0)]), Sustain(weeks=1, required=1), "per_week",
                          Target(at_most=1), None, "lower")
    assert zero_week.windows[0].status == "met"  # a week without events is a measurement
    strict = Sustain(min_events=3)
    thin = sustained(*weeks([(9, 3), (9, 3), (8, 2), (7, 5)]), strict, "median", target, 20,
                     "lower")
    assert [w.status for w in thin.windows] == ["met", "met", "insufficient", "met"]
    assert thin.held and thin.weeks_met == 3


def test_a_per_week_count_is_judged_only_over_four_active_days():
    rule = Sustain(weeks=3, required=1)
    short = weeks([(1.0, 1)] * 3, [d / 7 for d in (1, 3, 4)], [1, 3, 4])
    held = sustained(*short, rule, "per_week", Target(at_least=1), None, "higher")
    assert [w.status for w in held.windows] == ["insufficient", "insufficient", "met"]
    aged = sustained(*short, rule, "count", Target(at_most=1), None, "lower")
    assert [w.status for w in aged.windows] == ["met"] * 3  # read at one instant


def test_team_wide_shift_when_the_person_moved_with_the_team():
    """The team clearly moved the person's way, and (person − team) may be zero."""
    person = Change(5.0, 0.2, (1.0, 9.0))
    team = Change(4.0, 0.15, (3.0, 6.0))
    context = team_context("desk", m(30.0), m(25.0), team, person, True, gap=(-3.0, 5.0))
    assert context.team_wide_shift and context.relative_to_team == pytest.approx(0.05)
    assert context.absolute_to_team == 1.0 and context.gap == (-3.0, 5.0)
    apart = team_context("desk", m(30.0), m(25.0), team, person, True, gap=(0.5, 7.0))
    assert not apart.team_wide_shift  # the person improved clearly more than the team
    opposite = team_context("desk", m(30.0), m(25.0), Change(-1.0, -0.1, (-3.0, 6.0)), person,
                            True, gap=(-2.0, 14.0))
    assert not opposite.team_wide_shift
    thin = team_context("desk", m(30.0), m(25.0), team, person, False, gap=(-3.0, 5.0))
    assert not thin.team_wide_shift and thin.change.interval is None


def test_a_narrow_team_interval_does_not_hide_a_shared_shift():
    """A large team's interval is narrow: the person's estimate (5.0) lies outside it (3.0 to
    4.5), yet their change cannot be told from the team's. The old rule missed this."""
    person = Change(5.0, 0.2, (1.0, 9.0))
    narrow = team_context("desk", m(30.0), m(25.0), Change(4.0, 0.15, (3.0, 4.5)), person, True,
                          gap=(-3.0, 5.0))
    assert narrow.team_wide_shift


def test_no_team_wide_shift_when_the_team_may_not_have_moved():
    """A team interval holding zero is too wide to say the team moved: (person − team) holding
    zero as well is no sign that the change was the team's."""
    person = Change(5.0, 0.2, (1.0, 9.0))
    noisy = team_context("desk", m(30.0), m(25.0), Change(4.0, 0.15, (-2.0, 10.0)), person, True,
                         gap=(-7.0, 9.0))
    assert not noisy.team_wide_shift
    worse = Change(-5.0, -0.2, (-9.0, -1.0))
    down = team_context("desk", m(30.0), m(35.0), Change(-4.0, -0.15, (-6.0, -3.0)), worse, True,
                        gap=(-5.0, 3.0))
    assert down.team_wide_shift  # both clearly worse, by a similar amount
    unclear = team_context("desk", m(30.0), m(35.0), Change(-4.0, -0.15, (-6.0, 0.5)), worse,
                           True, gap=(-5.0, 3.0))
    assert not unclear.team_wide_shift
    no_gap = team_context("desk", m(30.0), m(35.0), Change(-4.0, -0.15, (-6.0, -3.0)), worse,
                          True)
    assert not no_gap.team_wide_shift  # without a (person − team) interval, nothing is claimed


def test_an_insufficient_team_keeps_its_counts_but_reports_no_change():
    person = Change(5.0, 0.2, (1.0, 9.0))
    thin = team_context("desk", m(30.0, n=3), m(25.0, n=2), Change(5.0, 0.17, None), person,
                        False)
    assert (thin.team, thin.members, thin.sufficient) == ("desk", 1, False)
    assert thin.change == Change(None, None, None) and thin.relative_to_team is None
    assert (thin.baseline.n, thin.current.n) == (3, 2)
    assert thin.baseline.value is None and thin.current.value is None


@pytest.mark.parametrize(("kwargs", "expected"), [
    ({"sufficient": False, "target_met": True, "held": True, "significant_improvement": True},
     "insufficient_data"),
    ({"sufficient": True, "target_met": None, "held": False, "significant_improvement": False},
     "insufficient_data"),
    ({"sufficient": True, "target_met": True, "held": True, "significant_improvement": False},
     "met"),
    ({"sufficient": True, "target_met": True, "held": False, "significant_improvement": False},
     "partially_met"),
    ({"sufficient": True, "target_met": False, "held": False, "significant_improvement": True},
     "partially_met"),
    ({"sufficient": True, "target_met": False, "held": True, "significant_improvement": False},
     "not_met"),
])
def test_goal_status(kwargs, expected):
    assert goal_status(**kwargs) == expected


@pytest.mark.parametrize(("statuses", "expected"), [
    (["met", "met"], "successful_completion"),
    (["met", "not_met"], "partial_improvement"),
    (["partially_met", "not_met"], "partial_improvement"),
    (["not_met", "not_met"], "insufficient_improvement"),
    (["met", "insufficient_data"], "undetermined"),
    ([], "undetermined"),
])
def test_plan_outcome(statuses, expected):
    assert plan_outcome(statuses) == expected
