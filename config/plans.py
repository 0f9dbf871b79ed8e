"""plans/<id>.yaml: the plan a manager writes by hand (DESIGN §4 and §10)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from config.errors import FieldValueError

Better = Literal["lower", "higher"]

DAYS_PER_WEEK = 7
MIN_ACTIVE_DAYS = 4
"""Active days a weekly window needs before its per-week count is judged. A count over one or
two days, scaled to a week, swings on a single event (one ticket on a lone Sunday reads as
seven a week, none as zero), so such a window is `insufficient`, never met or missed. Four is
more than half a week. Only a window clipped at the plan's start can be that short: the others
reach back over excluded days until they hold seven active ones (evaluate.windows)."""

# The key under which a catalog describes every `rating:NAME` metric (ratings are open-ended).
RATING_METRICS = "rating:NAME"


@dataclass(frozen=True)
class MetricRule:
    """What a goal on one catalog metric may say. The catalog lives in evaluate/, which config
    cannot import, so the caller hands these in (`load_config(known_metrics=...)`): a plan the
    evaluation would refuse then fails when it is loaded, with its file and line, instead of
    as a traceback in the middle of `trackrecord evaluate`."""

    statistics: tuple[str, ...]
    has_direction: bool
    better: Better | None = None
    statistic: str | None = None  # the default, when a goal names none
    share_statistics: tuple[str, ...] = ()  # under which the values are 0–1 shares
    unit: str = ""


COUNT_STATISTICS = ("per_week", "count")
"""Statistics whose values are counts of events: never below zero."""


class Target(BaseModel):
    """Exactly one of the three; `improve_by` is relative to the baseline, given as "20%".

    A "%" anywhere reads as a fraction ("90%" → 0.9), so a rate target can be written either way.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    at_most: float | None = Field(default=None, description="The value must not exceed this.")
    at_least: float | None = Field(default=None, description="The value must reach this.")
    improve_by: float | None = Field(
        default=None,
        gt=0,
        description="Better than the baseline by this fraction: '20%' reads as 0.2.",
    )

    @field_validator("at_most", "at_least", mode="before")
    @classmethod
    def _percent_or_number(cls, value: object) -> object:
        return _percent(value) if isinstance(value, str) and "%" in value else value

    @field_validator("improve_by", mode="before")
    @classmethod
    def _improvement(cls, value: object) -> object:
        if isinstance(value, str):
            return _percent(value)
        # A bare number above 1 is a percentage written without "%" (20 would mean 2000%).
        # Fractions up to 1 stay accepted, so a dumped plan validates again.
        if isinstance(value, int | float) and not isinstance(value, bool) and value > 1:
            raise ValueError(f"write it as a percentage, e.g. '{value:g}%'")
        return value

    @model_validator(mode="after")
    def _exactly_one(self) -> Target:
        given = [k for k in ("at_most", "at_least", "improve_by") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of at_most, at_least, improve_by")
        return self


def _percent(text: str) -> float:
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*%\s*", text)
    if not match:
        raise ValueError("must be a percentage such as '20%'")
    return float(match.group(1)) / 100


class Sustain(BaseModel):
    """A target counts as met only if it held in `required` of the last `weeks` weekly windows."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    weeks: int = Field(
        default=4, ge=1, description="How many of the last weekly windows to look at."
    )
    required: int = Field(default=3, ge=1, description="How many of them must meet the target.")
    min_events: int = Field(
        default=1,
        ge=1,
        description="A week with fewer events is reported as too few, never as met "
        "(medians, means and rates; a per-week count needs 4 active days in the week instead).",
    )

    @model_validator(mode="after")
    def _fits(self) -> Sustain:
        if self.required > self.weeks:
            raise FieldValueError("required cannot exceed weeks", ("required",))
        return self


class Goal(BaseModel):
    """One measurable expectation; DESIGN §5 says how it is judged."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    metric: str = Field(min_length=1, description="A catalog metric, e.g. ticket_resolution_hours.")
    statistic: str | None = Field(
        default=None, description="median, mean, rate, ...; the metric's default when left out."
    )
    target: Target = Field(description="One of at_most, at_least, improve_by.")
    better: Better | None = Field(default=None, description="Overrides the metric's direction.")
    min_samples: int = Field(
        default=8, ge=1, description="Fewer events in a window: insufficient data, not 'not met'."
    )
    min_weeks: int = Field(
        default=4, ge=1, description="The same, in active weeks, for per-week counts."
    )
    sustain: Sustain = Field(
        default_factory=Sustain, description="How long the target must hold (3 of 4 weeks)."
    )
    params: dict[str, float | int | str] = Field(
        default_factory=dict, description="Metric parameters, e.g. {days: 14} for aged tickets."
    )


class Window(BaseModel):
    """A date range, both ends included."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    start: date = Field(description="First day.")
    end: date = Field(description="Last day (included).")

    @model_validator(mode="after")
    def _ordered(self) -> Window:
        if self.end < self.start:
            raise FieldValueError("end is before start", ("end",))
        return self


class Exclusion(BaseModel):
    """A date range (`from`/`to`, inclusive) or a named record (`record: "jira:OPS-1"`)."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    from_: date | None = Field(default=None, alias="from", description="First excluded day.")
    to: date | None = Field(default=None, description="Last excluded day (included).")
    record: str | None = Field(
        default=None, description="A record key, source:natural-key, e.g. jira:OPS-123."
    )
    reason: str = Field(min_length=1, description="Why; shown wherever the exclusion applies.")

    @field_validator("record")
    @classmethod
    def _record_key(cls, value: str | None) -> str | None:
        # Without the source prefix a key would match no evidence, silently.
        if value is not None and not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*:\S.*", value):
            raise ValueError("a record key is source:key, e.g. jira:OPS-123")
        return value

    @model_validator(mode="after")
    def _range_or_record(self) -> Exclusion:
        is_range = self.from_ is not None and self.to is not None
        if is_range == (self.record is not None) or (self.from_ is None) != (self.to is None):
            raise ValueError("give either from and to, or record")
        if is_range and self.to < self.from_:  # type: ignore[operator]
            raise FieldValueError("to is before from", ("to",))
        return self


class Plan(BaseModel):
    """A performance-improvement plan (DESIGN §4); person fields hold ids from people.yaml."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", description="Unique; also the file's name."
    )
    employee: str = Field(description="Whose plan it is.")
    manager: str = Field(description="Who runs the plan.")
    hr_partner: str | None = Field(default=None, description="HR partner, if any.")
    start: date = Field(description="First day of the plan.")
    end: date = Field(description="Last day of the plan (included).")
    baseline: Window | None = Field(
        default=None, description="Before the plan; default: the same length, right before start."
    )
    checkpoints: list[date] = Field(
        default_factory=list, description="Mid-plan evaluation dates, inside the plan."
    )
    goals: list[Goal] = Field(min_length=1, description="What must improve.")
    exclusions: list[Exclusion] = Field(
        default_factory=list, description="Date ranges and records that do not count."
    )
    support: list[str] = Field(default_factory=list, description="What the company provides.")
    barriers: list[str] = Field(default_factory=list, description="What stands in the way.")
    notes: list[str] = Field(default_factory=list, description="Free-form notes.")
    notify_employee: bool = Field(
        default=False,
        description="Also send the employee the weekly e-mail (the manager and HR partner get it).",
    )

    @model_validator(mode="after")
    def _dates(self) -> Plan:
        if self.end < self.start:
            raise FieldValueError("end is before start", ("end",))
        for index, day in enumerate(self.checkpoints):
            if not self.start <= day <= self.end:
                raise FieldValueError(
                    f"checkpoint {day} is outside the plan ({self.start} to {self.end})",
                    ("checkpoints", index),
                )
        if self.baseline and self.baseline.end >= self.start:
            raise FieldValueError(
                f"the baseline must end before the plan starts ({self.start})", ("baseline", "end")
            )
        return self

    @model_validator(mode="after")
    def _goals_can_be_sustained(self) -> Plan:
        """A goal must hold in `sustain.required` weekly windows, and a plan has only as many
        windows as it has weeks: one too short for its goals could never end with them met,
        which a manager should learn when writing the plan, not at its end."""
        active = self._active_days()
        weeks = active // DAYS_PER_WEEK + (active % DAYS_PER_WEEK >= MIN_ACTIVE_DAYS)
        for index, goal in enumerate(self.goals):
            if goal.sustain.required > weeks:
                raise FieldValueError(
                    f"the plan has {active} active days ({self.start} to {self.end}, less "
                    f"exclusions), {weeks} weekly window{'s' if weeks != 1 else ''} of at least "
                    f"{MIN_ACTIVE_DAYS} days, but this goal must hold in "
                    f"{goal.sustain.required}, so it could never be met: lengthen the plan or "
                    "lower sustain.required",
                    ("goals", index, "sustain", "required"),
                )
        return self

    def _active_days(self) -> int:
        """Plan days not covered by a date-range exclusion."""
        ranges = sorted((e.from_, e.to) for e in self.exclusions
                        if e.from_ is not None and e.to is not None)
        return (self.end - self.start).days + 1 - excluded_days(self.start, self.end, ranges)

    def baseline_window(self) -> Window:
        """Default: the same number of days, right before the start."""
        if self.baseline:
            return self.baseline
        days = (self.end - self.start).days
        end = self.start - timedelta(days=1)
        return Window(start=end - timedelta(days=days), end=end)


def excluded_days(first: date, last: date, ranges: Sequence[tuple[date, date]]) -> int:
    """Days from `first` to `last` inside any of the (first, last) `ranges`, given in order of
    their first day; overlapping ranges count once. The one active-days rule: a plan's length
    check here and every window's exposure in the evaluation both use it."""
    covered, cursor = 0, first
    for excluded_first, excluded_last in ranges:
        start, end = max(excluded_first, cursor), min(excluded_last, last)
        if end >= start:
            covered += (end - start).days + 1
            cursor = end + timedelta(days=1)
    return covered


__all__ = [
    "COUNT_STATISTICS",
    "MIN_ACTIVE_DAYS",
    "RATING_METRICS",
    "Better",
    "Exclusion",
    "Goal",
    "MetricRule",
    "Plan",
    "Sustain",
    "Target",
    "Window",
    "excluded_days",
]
