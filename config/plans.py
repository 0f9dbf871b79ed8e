"""plans/<id>.yaml: the plan a manager writes by hand (DESIGN §4 and §10)."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Better = Literal["lower", "higher"]


class Target(BaseModel):
    """Exactly one of the three; `improve_by` is relative to the baseline, given as "20%"."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    at_most: float | None = None
    at_least: float | None = None
    improve_by: float | None = Field(default=None, description="A fraction: '20%' reads as 0.2.")

    @field_validator("improve_by", mode="before")
    @classmethod
    def _percent(cls, value: object) -> object:
        if isinstance(value, str):
            match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*%\s*", value)
            if not match:
                raise ValueError("must be a percentage such as '20%'")
            return float(match.group(1)) / 100
        return value

    @model_validator(mode="after")
    def _exactly_one(self) -> Target:
        given = [k for k in ("at_most", "at_least", "improve_by") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of at_most, at_least, improve_by")
        return self


class Sustain(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    weeks: int = Field(default=4, ge=1, description="How many of the last weekly windows to look at.")
    required: int = Field(default=3, ge=1, description="How many of them must meet the target.")

    @model_validator(mode="after")
    def _fits(self) -> Sustain:
        if self.required > self.weeks:
            raise ValueError("required cannot exceed weeks")
        return self


class Goal(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    metric: str
    statistic: str | None = None
    target: Target
    better: Better | None = Field(default=None, description="Overrides the metric's direction.")
    min_samples: int = Field(default=8, ge=1)
    min_weeks: int = Field(default=4, ge=1)
    sustain: Sustain = Field(default_factory=Sustain)
    params: dict[str, float | int | str] = Field(
        default_factory=dict, description="Metric parameters, e.g. {days: 14} for aged tickets."
    )


class Window(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    start: date
    end: date

    @model_validator(mode="after")
    def _ordered(self) -> Window:
        if self.end < self.start:
            raise ValueError("end is before start")
        return self


class Exclusion(BaseModel):
    """A date range (`from`/`to`, inclusive) or a named record (`record: "jira:OPS-1"`)."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    from_: date | None = Field(default=None, alias="from")
    to: date | None = None
    record: str | None = None
    reason: str = Field(min_length=1)

    @model_validator(mode="after")
    def _range_or_record(self) -> Exclusion:
        is_range = self.from_ is not None and self.to is not None
        if is_range == (self.record is not None) or (self.from_ is None) != (self.to is None):
            raise ValueError("give either from and to, or record")
        if is_range and self.to < self.from_:  # type: ignore[operator]
            raise ValueError("to is before from")
        return self


class Plan(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    employee: str
    manager: str
    hr_partner: str | None = None
    start: date
    end: date
    baseline: Window | None = None
    checkpoints: list[date] = Field(default_factory=list)
    goals: list[Goal] = Field(min_length=1)
    exclusions: list[Exclusion] = Field(default_factory=list)
    support: list[str] = Field(default_factory=list)
    barriers: list[str] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _dates(self) -> Plan:
        if self.end < self.start:
            raise ValueError("end is before start")
        outside = [d for d in self.checkpoints if not self.start <= d <= self.end]
        if outside:
            raise ValueError(f"checkpoint {outside[0]} is outside the plan's start and end")
        if self.baseline and self.baseline.end >= self.start:
            raise ValueError("the baseline must end before the plan starts")
        return self

    def baseline_window(self) -> Window:
        """Default: the same number of days, right before the start."""
        if self.baseline:
            return self.baseline
        days = (self.end - self.start).days
        end = self.start - timedelta(days=1)
        return Window(start=end - timedelta(days=days), end=end)


__all__ = ["Better", "Exclusion", "Goal", "Plan", "Sustain", "Target", "Window"]
