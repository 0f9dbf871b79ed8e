"""Baseline against current for one goal (DESIGN §5.2–5.6): change, sufficiency, target,
sustained, team context. Everything is oriented so that a positive change means better.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cached_property
from typing import Literal

import numpy as np

from config.plans import DAYS_PER_WEEK, MIN_ACTIVE_DAYS, Better, Goal, Sustain, Target
from evaluate.measure import Measurement, Weekly
from evaluate.stats import rate_difference_p_value
from evaluate.windows import Span, Weeks

__all__ = [
    "Change",
    "Interval",
    "RateTest",
    "Sustained",
    "TeamContext",
    "WeekResult",
    "WeekStatus",
    "change",
    "is_sufficient",
    "oriented",
    "sustained",
    "target_met",
    "target_value",
    "team_context",
    "week_measurable",
]

WeekStatus = Literal["met", "not_met", "insufficient"]
Interval = tuple[float, float]


def _sign(better: Better) -> int:
    return 1 if better == "higher" else -1


def oriented(raw: Interval | None, better: Better) -> Interval | None:
    """An interval for current − baseline, turned so that positive means better."""
    if raw is None:
        return None
    lower, upper = raw
    return (lower, upper) if better == "higher" else (-upper, -lower)


def _improvement(baseline: float, current: float, better: Better) -> tuple[float, float | None]:
    """Absolute and relative improvement; relative is undefined from a zero baseline."""
    absolute = (current - baseline) * _sign(better)
    return absolute, (absolute / abs(baseline) if baseline != 0 else None)


@dataclass(frozen=True)
class RateTest:
    """A per-week count comparison, kept so its E-test p-value is computed only when read:
    scipy's `poisson_means_test` takes milliseconds, and only the interval decides a status."""

    count: int
    exposure: float
    baseline_count: int
    baseline_exposure: float

    @cached_property
    def p_value(self) -> float:
        return rate_difference_p_value(self.count, self.exposure, self.baseline_count,
                                       self.baseline_exposure)


@dataclass(frozen=True)
class Change:
    absolute: float | None
    relative: float | None
    interval: Interval | None
    rate_test: RateTest | None = None

    @property
    def p_value(self) -> float | None:
        """Two-sided p-value of equal rates, for per-week counts only."""
        return self.rate_test.p_value if self.rate_test is not None else None

    @property
    def significant_improvement(self) -> bool:
        """Improved, with the interval excluding zero (DESIGN §5.7)."""
        return self.interval is not None and self.interval[0] > 0


def change(baseline: Measurement, current: Measurement, better: Better,
           raw_interval: Interval | None, rate_test: RateTest | None = None) -> Change:
    if baseline.value is None or current.value is None:
        return Change(None, None, None)
    absolute, relative = _improvement(baseline.value, current.value, better)
    return Change(absolute, relative, oriented(raw_interval, better), rate_test)


def is_sufficient(measurement: Measurement, statistic: str, goal: Goal) -> bool:
    """Medians, means and rates need `min_samples` events; a per-week count needs `min_weeks`
    active weeks, since a week without events is a measurement, not missing data; a
    point-in-time count needs the window to have some time left after exclusions. A window
    of no one (the rest of a team of one) is never sufficient: its per-week and point-in-time
    counts would read as zeros, a team that did nothing rather than no team to compare with."""
    if measurement.members == 0:
        return False
    if statistic == "per_week":
        return measurement.active_weeks >= goal.min_weeks
    if statistic == "count":
        return measurement.active_weeks > 0 and measurement.value is not None
    return measurement.n >= goal.min_samples


def target_met(target: Target, value: float | None, baseline: float | None, better: Better
               ) -> bool | None:
    """Whether `value` meets the target; None when it cannot be told (no value, or an
    `improve_by` target without a baseline).

    A relative improvement from a zero baseline is undefined, so a zero baseline is judged by
    direction. Lower is better: zero is already the best a count, a duration or a rate can be
    (a reopen rate of 0), and a person cannot beat it, so holding it (value <= 0) meets the
    target; otherwise such a goal could never be met by anyone. Higher is better: any value
    above zero is an improvement from nothing, and meets it; staying at zero does not."""
    if value is None:
        return None
    if target.at_most is not None:
        return value <= target.at_most
    if target.at_least is not None:
        return value >= target.at_least
    if baseline is None or target.improve_by is None:
        return None
    if baseline == 0:
        return value <= 0 if better == "lower" else value > 0
    return (value - baseline) * _sign(better) / abs(baseline) >= target.improve_by


def target_value(target: Target, baseline: float | None, better: Better) -> float | None:
    """The value the target asks for, in the metric's unit: an `improve_by` target is the
    baseline moved by that fraction the better way (None without a baseline). From a zero
    baseline it reads as zero, the value a goal must hold (lower) or rise above (higher)."""
    if target.at_most is not None:
        return target.at_most
    if target.at_least is not None:
        return target.at_least
    if baseline is None or target.improve_by is None:
        return None
    return baseline + abs(baseline) * target.improve_by * _sign(better)


@dataclass(frozen=True)
class WeekResult:
    span: Span
    value: float | None
    n: int
    status: WeekStatus


@dataclass(frozen=True)
class Sustained:
    weeks_met: int
    weeks: int
    required: int
    held: bool
    windows: tuple[WeekResult, ...]


def week_measurable(statistic: str, n: int | np.ndarray, active_weeks: float | np.ndarray,
                    min_events: int) -> bool | np.ndarray:
    """Whether a week (or, given arrays, each week) rests on enough to be judged or plotted as
    a full point. A week with too few events, or too little active time for a count, cannot
    show the target held. A per-week count needs `MIN_ACTIVE_DAYS`; a point-in-time count is
    read at one instant, so any active time will do."""
    if statistic == "per_week":
        return np.round(np.multiply(active_weeks, DAYS_PER_WEEK)) >= MIN_ACTIVE_DAYS
    if statistic == "count":
        return np.greater(active_weeks, 0)
    return np.greater_equal(n, min_events)


def _week_status(measurable: bool, met: bool | None) -> WeekStatus:
    """An unmeasurable week is `insufficient` and does not count as met."""
    if not measurable or met is None:
        return "insufficient"
    return "met" if met else "not_met"


def sustained(weeks: Weeks, measured: Weekly, rule: Sustain, statistic: str, target: Target,
              baseline: float | None, better: Better) -> Sustained:
    """The target holds in at least `required` of the last `weeks` weekly windows, the last
    one (the as-of week) included; `measured` holds each window's measurement."""
    measurable = week_measurable(statistic, measured.n, measured.active_weeks, rule.min_events)
    results = tuple(
        WeekResult(window, value, n,
                   _week_status(ok, target_met(target, value, baseline, better)))
        for window, value, n, ok in zip(weeks.spans, measured.values(), measured.n.tolist(),
                                        np.asarray(measurable).tolist(), strict=True)
    )
    met = sum(result.status == "met" for result in results)
    held = bool(results) and results[-1].status == "met" and met >= rule.required
    return Sustained(met, rule.weeks, rule.required, held, results)


@dataclass(frozen=True)
class TeamContext:
    """`gap`: the 95% interval of (person's change − team's change), positive meaning the
    person improved more than the team; None when either change has no interval."""

    team: str | None
    baseline: Measurement | None
    current: Measurement | None
    change: Change
    relative_to_team: float | None
    team_wide_shift: bool
    sufficient: bool
    gap: Interval | None = None
    absolute_to_team: float | None = None

    @property
    def members(self) -> int:
        return self.current.members if self.current is not None else 0


def _team_wide_shift(person: Change, team: Change, gap: Interval | None) -> bool:
    """The team clearly moved the way the person did, and the person's change cannot be told
    apart from the team's (DESIGN §5.6): the team's interval excludes zero on the side of the
    person's change, and the interval of (person's change − team's change) holds zero.

    Never "the person's estimate lies inside the team's interval": a team of four or more
    has a narrow interval, so a whole team that slowed down together would almost never be
    flagged. A team interval that includes zero says the team may not have moved at all."""
    own, interval = person.absolute, team.interval
    if own is None or own == 0 or interval is None or gap is None:
        return False
    lower, upper = interval
    clearly_moved = lower > 0 if own > 0 else upper < 0
    return clearly_moved and gap[0] <= 0 <= gap[1]


def _unmeasured(measurement: Measurement | None) -> Measurement | None:
    """A window kept for its counts only: its value rests on too little to report."""
    return None if measurement is None else replace(measurement, value=None)


def team_context(team: str | None, baseline: Measurement | None, current: Measurement | None,
                 team_change: Change, person: Change, sufficient: bool,
                 gap: Interval | None = None) -> TeamContext:
    """The rest of the team over the same windows. `team_wide_shift`: the team clearly moved
    the same way and the person's change is not distinguishable from the team's (`gap`, the
    oriented interval of person's change − team's change, holds zero), so the person's change
    may be the team's, not theirs.

    When the team's data is insufficient, only who the team is, its size and its counts are
    kept: a change (or a change relative to the person's) computed from too few events or
    weeks would read as a comparison the evaluation cannot make."""
    if not sufficient:
        return TeamContext(team, _unmeasured(baseline), _unmeasured(current),
                           Change(None, None, None), None, False, False)
    relative_to_team = (
        person.relative - team_change.relative
        if person.relative is not None and team_change.relative is not None
        else None
    )
    absolute_to_team = (
        person.absolute - team_change.absolute
        if person.absolute is not None and team_change.absolute is not None
        else None
    )
    return TeamContext(team, baseline, current, team_change, relative_to_team,
                       _team_wide_shift(person, team_change, gap), sufficient, gap,
                       absolute_to_team)
