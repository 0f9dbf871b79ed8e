"""What an evaluation returns, and its public JSON (DESIGN §10: extend, never rename).

Numbers in the JSON carry four significant digits (enough for hours, minutes and rates; an
audit that needs more reads the evidence), and anything undefined (NaN, ±inf) is null.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from typing import Any, NamedTuple

import numpy as np

from config.plans import Better, Exclusion, Goal
from evaluate.compare import Change, Sustained, TeamContext, week_measurable
from evaluate.measure import Measurement, Weekly
from evaluate.metrics import Statistic
from evaluate.outcome import GoalStatus, PlanOutcome
from evaluate.windows import Span, Weeks

__all__ = ["GoalEvaluation", "PlanEvaluation", "WeekPoint", "WeeklySeries", "json_number"]

SIGNIFICANT_DIGITS = 4


def json_number(value: float | None) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return float(f"{value:.{SIGNIFICANT_DIGITS}g}") + 0.0  # + 0.0 turns -0.0 into 0.0


def _interval(interval: tuple[float, float] | None) -> list[float | None] | None:
    return None if interval is None else [json_number(bound) for bound in interval]


def _window(span: Span, measurement: Measurement, *, keys: bool = True) -> dict[str, Any]:
    """A window that has not begun (the plan as of a day before its start) covers no day:
    its `end` is null, where the as-of date would read as a window ending before it starts."""
    out: dict[str, Any] = {
        "start": span.start.isoformat(),
        "end": span.end.isoformat() if span.days else None,
        "value": json_number(measurement.value),
        "n": measurement.n,
        "active_weeks": json_number(measurement.active_weeks),
    }
    if keys:
        out["evidence"] = list(measurement.keys)
    return out


def _change(change: Change) -> dict[str, Any]:
    out: dict[str, Any] = {
        "absolute": json_number(change.absolute),
        "relative": json_number(change.relative),
        "interval": _interval(change.interval),
    }
    if change.rate_test is not None:
        out["p_value"] = json_number(change.p_value)
    return out


def _sustained(sustained: Sustained) -> dict[str, Any]:
    return {
        "weeks_met": sustained.weeks_met,
        "weeks": sustained.weeks,
        "held": sustained.held,
        "required": sustained.required,
        "windows": [
            {"start": w.span.start.isoformat(), "end": w.span.end.isoformat(),
             "value": json_number(w.value), "n": w.n, "status": w.status}
            for w in sustained.windows
        ],
    }


def _team_window(measurement: Measurement | None) -> dict[str, Any] | None:
    if measurement is None:
        return None
    return {"value": json_number(measurement.value), "n": measurement.n}


def _team(team: TeamContext | None) -> dict[str, Any]:
    """Other people's record keys are never listed: team context is aggregate only."""
    if team is None:
        return {"change_relative": None, "team_wide_shift": False, "team": None, "members": 0}
    return {
        "change_relative": json_number(team.change.relative),
        "team_wide_shift": team.team_wide_shift,
        "team": team.team,
        "members": team.members,
        "change_absolute": json_number(team.change.absolute),
        "interval": _interval(team.change.interval),
        "relative_to_team": json_number(team.relative_to_team),
        "absolute_to_team": json_number(team.absolute_to_team),
        "difference_interval": _interval(team.gap),
        "sufficient": team.sufficient,
        "baseline": _team_window(team.baseline),
        "current": _team_window(team.current),
    }


class WeekPoint(NamedTuple):
    """One week of a trend chart (see `evaluate.windows.chart_weeks`), in the metric's unit.

    `enough`: the week rests on enough to be judged (the sustained rule's test), else it is
    drawn as "too few". `excluded`: every day of it is excluded, so it has no value at all.
    `team_value`: the rest of the team that week; None when the week or the team's data as a
    whole is too thin to compare with."""

    start: date
    end: date
    value: float | None
    n: int
    enough: bool
    excluded: bool
    team_value: float | None

    def to_json(self) -> dict[str, Any]:
        return {
            "start": self.start.isoformat(), "end": self.end.isoformat(),
            "value": json_number(self.value), "n": self.n, "enough": self.enough,
            "excluded": self.excluded, "team_value": json_number(self.team_value),
        }


@dataclass(frozen=True)
class WeeklySeries:
    """A goal's chart weeks as measured. Points are built only when read: a batch of a
    thousand plans holds over a hundred thousand weeks, and most evaluations are judged or
    stored, not drawn, so building them eagerly would cost a tenth of the batch."""

    weeks: Weeks
    person: Weekly
    team: Weekly | None  # None: no team line (no team, or its data too thin overall)
    statistic: Statistic
    min_events: int

    def _enough(self, measured: Weekly) -> np.ndarray:
        return np.asarray(week_measurable(self.statistic, measured.n, measured.active_weeks,
                                          self.min_events))

    @cached_property
    def points(self) -> tuple[WeekPoint, ...]:
        team = (self.team.values(self._enough(self.team)) if self.team is not None
                else [None] * len(self.weeks))
        return tuple(map(WeekPoint._make, zip(
            self.weeks.starts, self.weeks.ends, self.person.values(), self.person.n.tolist(),
            self._enough(self.person).tolist(), (self.person.active_weeks == 0).tolist(), team,
            strict=True)))


@dataclass(frozen=True)
class GoalEvaluation:
    goal: Goal
    statistic: Statistic
    better: Better
    unit: str
    baseline_span: Span
    baseline: Measurement
    current_span: Span
    current: Measurement
    change: Change
    target_met: bool | None
    sustained: Sustained
    team: TeamContext | None
    status: GoalStatus
    flags: tuple[str, ...] = ()
    series: WeeklySeries | None = field(default=None, repr=False, compare=False)

    @property
    def weekly(self) -> tuple[WeekPoint, ...]:
        """The trend chart's weeks: the baseline's, then the plan's up to the as-of day."""
        return self.series.points if self.series is not None else ()

    @property
    def metric(self) -> str:
        return self.goal.metric

    @property
    def evidence(self) -> tuple[str, ...]:
        """Keys of every record the baseline and current values used (DESIGN §5.9)."""
        return tuple(dict.fromkeys((*self.baseline.keys, *self.current.keys)))

    @property
    def excluded(self) -> tuple[tuple[str, str], ...]:
        return tuple(dict.fromkeys((*self.baseline.excluded, *self.current.excluded)))

    def to_json(self) -> dict[str, Any]:
        return {
            "metric": self.metric,
            "statistic": self.statistic,
            "better": self.better,
            "unit": self.unit,
            "baseline": _window(self.baseline_span, self.baseline),
            "current": _window(self.current_span, self.current),
            "change": _change(self.change),
            "target": self.goal.target.model_dump(exclude_none=True),
            "target_met": self.target_met,
            "sustained": _sustained(self.sustained),
            "team": _team(self.team),
            "status": self.status,
            "evidence": list(self.evidence),
            "excluded": [{"key": key, "reason": reason} for key, reason in self.excluded],
            "flags": list(self.flags),
            "weekly": [week.to_json() for week in self.weekly],
        }


@dataclass(frozen=True)
class PlanEvaluation:
    plan: str
    version: int
    as_of: date
    outcome: PlanOutcome
    goals: tuple[GoalEvaluation, ...]
    # The rest of the plan belongs in the record (the support given, the barriers met), and
    # exclusions that name no stored record are reported, never silently ignored (DESIGN §5.11).
    support: tuple[str, ...] = ()
    barriers: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    exclusions: tuple[Exclusion, ...] = ()
    unmatched_exclusions: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "plan": self.plan,
            "version": self.version,
            "as_of": self.as_of.isoformat(),
            "outcome": self.outcome,
            "goals": [goal.to_json() for goal in self.goals],
            "support": list(self.support),
            "barriers": list(self.barriers),
            "notes": list(self.notes),
            "exclusions": [
                e.model_dump(mode="json", by_alias=True, exclude_none=True)
                for e in self.exclusions
            ],
            "unmatched_exclusions": list(self.unmatched_exclusions),
        }
