"""Plan dates as instants: baseline, current, weekly and checkpoint windows, and exclusions.

Plan dates are calendar days in the configured time zone with inclusive ends (DESIGN §4, §10).
A window is therefore the half-open UTC interval [start 00:00, end + 1 day 00:00) of that zone,
which keeps a DST week exactly seven calendar days long while its hours differ. Events carry
UTC instants, so every comparison happens in whole UTC seconds (see `seconds`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cached_property, lru_cache
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from config.plans import DAYS_PER_WEEK, Plan
from config.plans import excluded_days as plan_excluded_days

__all__ = [
    "NO_EXCLUSIONS",
    "ExcludedRange",
    "Exclusions",
    "Span",
    "Weeks",
    "active_weeks",
    "baseline_span",
    "chart_weeks",
    "checkpoints_until",
    "current_span",
    "day_start",
    "excluded_days",
    "measurement_instant",
    "plan_exclusions",
    "recent_weeks",
    "seconds",
    "span",
    "sustain_weeks",
    "weekly_spans",
]


@lru_cache(maxsize=65536)
def day_start(day: date, tz: ZoneInfo) -> pd.Timestamp:
    """Midnight of `day` in `tz`, in UTC; a midnight that a DST change skips moves forward."""
    local = pd.Timestamp(day).tz_localize(tz, ambiguous=True, nonexistent="shift_forward")
    return local.tz_convert("UTC")


def seconds(instant: pd.Timestamp) -> int:
    """Whole UTC seconds since the epoch: window bounds are whole seconds, so floor is exact."""
    return instant.value // 1_000_000_000


@dataclass(frozen=True)
class Span:
    """Calendar days `start`..`end` (inclusive, in the zone) and the UTC instants [lo, hi)."""

    start: date
    end: date
    lo: pd.Timestamp
    hi: pd.Timestamp

    @cached_property
    def days(self) -> int:
        return max(0, (self.end - self.start).days + 1)

    @cached_property
    def lo_s(self) -> int:
        return seconds(self.lo)

    @cached_property
    def hi_s(self) -> int:
        return seconds(self.hi)


@lru_cache(maxsize=65536)
def span(start: date, end: date, tz: ZoneInfo) -> Span:
    """An empty span (end before start) keeps its dates but covers no instant."""
    lo = day_start(start, tz)
    hi = day_start(end + timedelta(days=1), tz) if end >= start else lo
    return Span(start=start, end=end, lo=lo, hi=hi)


def baseline_span(plan: Plan, as_of: date, tz: ZoneInfo) -> Span:
    """The baseline window, cut at the as-of day like every other window: evidence recorded
    after that day did not exist then, so a past checkpoint evaluated later must not see it,
    or it could not be reproduced. An as-of day before the baseline begins leaves it empty."""
    window = plan.baseline_window()
    return span(window.start, min(window.end, as_of), tz)


def current_span(plan: Plan, as_of: date, tz: ZoneInfo) -> Span:
    """The plan so far: an as-of date past the end stops at the end; one before the start is
    an empty span (the evaluation then reports insufficient data rather than failing)."""
    return span(plan.start, min(as_of, plan.end), tz)


def weekly_spans(plan: Plan, as_of: date, weeks: int, tz: ZoneInfo,
                 exclusions: Exclusions | None = None) -> tuple[Span, ...]:
    """The spans of `sustain_weeks`."""
    return sustain_weeks(plan, as_of, weeks, tz, exclusions).spans


def sustain_weeks(plan: Plan, as_of: date, weeks: int, tz: ZoneInfo,
                  exclusions: Exclusions | None = None) -> Weeks:
    """The last `weeks` weekly windows up to the as-of date (or the plan's end), each holding
    seven active days, clipped to the plan: windows wholly before the start are left out, so
    a young plan simply has fewer weeks that can meet the target. Windows end on the as-of day
    rather than on a Sunday, so an evaluation early in a calendar week (the Monday snapshot)
    never judges a day-old week.

    Weeks are counted in active time, because the last window must be met: leave at the end
    of the plan would otherwise make that window empty (or a day long) and the goal impossible
    to meet through no fault of the person. So the last window ends on the last active day,
    and a window reaches back over excluded days until it holds seven active ones; without
    exclusions these are plain seven-day windows."""
    excluded = (exclusions or NO_EXCLUSIONS).day_ranges
    return _weekly_spans(plan.start, min(as_of, plan.end), weeks, excluded, tz)


@lru_cache(maxsize=65536)
def _weekly_spans(first: date, last: date, weeks: int, excluded: tuple[tuple[date, date], ...],
                  tz: ZoneInfo) -> Weeks:
    spans: list[Span] = []
    end = _active_day_at_or_before(last, excluded)
    while len(spans) < weeks and end >= first:
        start, active, day = end, 0, end
        while active < DAYS_PER_WEEK and day >= first:
            if not _is_excluded(day, excluded):
                start, active = day, active + 1
            day -= timedelta(days=1)
        spans.append(span(start, end, tz))
        end = _active_day_at_or_before(start - timedelta(days=1), excluded)
    return Weeks(tuple(reversed(spans)))


def _is_excluded(day: date, excluded: tuple[tuple[date, date], ...]) -> bool:
    return any(lo <= day <= hi for lo, hi in excluded)


def _active_day_at_or_before(day: date, excluded: tuple[tuple[date, date], ...]) -> date:
    """`day`, or the day before the excluded range it falls in (ranges chained); sorted
    ranges make one pass enough."""
    for lo, hi in reversed(excluded):
        if lo <= day <= hi:
            day = lo - timedelta(days=1)
    return day


@dataclass(frozen=True, eq=False)
class Weeks:
    """Consecutive weeks in time order, with their bounds as arrays for vectorized binning.
    Compared by identity: `chart_weeks` hands out one object per set of dates, so the arrays
    are worked out once for every goal, series and evaluation that shares them."""

    spans: tuple[Span, ...]

    def __len__(self) -> int:
        return len(self.spans)

    @cached_property
    def lo_s(self) -> np.ndarray:
        return np.array([week.lo_s for week in self.spans], dtype=np.int64)

    @cached_property
    def hi_s(self) -> np.ndarray:
        return np.array([week.hi_s for week in self.spans], dtype=np.int64)

    @cached_property
    def _days(self) -> tuple[np.ndarray, np.ndarray]:
        """First and last day of each week, as day ordinals."""
        return (np.array([week.start.toordinal() for week in self.spans], dtype=np.int64),
                np.array([week.end.toordinal() for week in self.spans], dtype=np.int64))

    @cached_property
    def starts(self) -> list[date]:
        return [week.start for week in self.spans]

    @cached_property
    def ends(self) -> list[date]:
        return [week.end for week in self.spans]

    @cached_property
    def whole(self) -> Span:
        """From the first week's start to the last week's end."""
        first, last = self.spans[0], self.spans[-1]
        return Span(first.start, last.end, first.lo, last.hi)

    @cached_property
    def _calendar_weeks(self) -> np.ndarray:
        first, last = self._days
        weeks: np.ndarray = (last - first + 1) / DAYS_PER_WEEK
        return weeks

    def active_weeks(self, exclusions: Exclusions) -> np.ndarray:
        """`active_weeks` of each week, at once."""
        if not exclusions.ranges:
            return self._calendar_weeks
        first, last = self._days
        excluded = np.zeros(len(self.spans), dtype=np.int64)
        for lo, hi in exclusions.merged_day_ranges:
            excluded += np.maximum(np.minimum(last, hi) - np.maximum(first, lo) + 1, 0)
        return self._calendar_weeks - excluded / DAYS_PER_WEEK

    def instants(self, exclusions: Exclusions) -> np.ndarray:
        """`measurement_instant` of each week."""
        if not exclusions.ranges:
            return self.hi_s
        return np.array([measurement_instant(week, exclusions) for week in self.spans],
                        dtype=np.int64)


def chart_weeks(baseline: Span, current: Span, tz: ZoneInfo) -> Weeks:
    """The weeks a trend chart plots: seven calendar days each, the baseline's ending on its
    last day and the plan's on the current window's last day (the as-of day), each run
    reaching back to its window's first day, where the earliest week may be shorter.

    Ending on the as-of day, like the sustained rule's windows, makes the newest point a full
    week (calendar weeks would make it a partial one most days: the noisiest point where the
    eye lands) and, without exclusions, makes the last points exactly the weeks the verdict
    judged; a Monday snapshot, taken as of Sunday, gives Monday-to-Sunday weeks. Unlike the
    sustained rule's windows these never stretch over excluded days, so points stay evenly
    spaced and a leave shows as a gap inside its shaded range."""
    return _chart_weeks(baseline.start, baseline.end, current.start, current.end, tz)


@lru_cache(maxsize=4096)
def _chart_weeks(base_start: date, base_end: date, start: date, end: date, tz: ZoneInfo
                 ) -> Weeks:
    return Weeks((*_weeks_back(base_start, base_end, tz), *_weeks_back(start, end, tz)))


def recent_weeks(last: date, count: int, tz: ZoneInfo) -> Weeks:
    """`count` weeks of seven days ending on `last`, as a trend chart's end on its as-of day."""
    return Weeks(tuple(_weeks_back(last - timedelta(days=DAYS_PER_WEEK * count - 1), last, tz)))


def _weeks_back(first: date, last: date, tz: ZoneInfo) -> list[Span]:
    """Seven-day spans ending on `last`, back to `first`; none when `last` is before it."""
    ends = [last - timedelta(days=DAYS_PER_WEEK * k)
            for k in range(-(-((last - first).days + 1) // DAYS_PER_WEEK))]
    return [span(max(first, end - timedelta(days=DAYS_PER_WEEK - 1)), end, tz)
            for end in reversed(ends)]


def checkpoints_until(plan: Plan, as_of: date) -> list[date]:
    return sorted(day for day in plan.checkpoints if day <= as_of)


@dataclass(frozen=True)
class ExcludedRange:
    span: Span
    reason: str


@dataclass(frozen=True)
class Exclusions:
    """A plan's exclusions: date ranges (events and exposure) and record keys (events only)."""

    ranges: tuple[ExcludedRange, ...] = ()
    records: Mapping[str, str] = field(default_factory=dict)

    @cached_property
    def bounds(self) -> tuple[tuple[int, int], ...]:
        return tuple((r.span.lo_s, r.span.hi_s) for r in self.ranges)

    @cached_property
    def merged_bounds(self) -> tuple[tuple[int, int], ...]:
        """`bounds` with overlapping or touching ranges joined, so a sum of overlaps with them
        counts each excluded second once."""
        merged: list[tuple[int, int]] = []
        for lo, hi in sorted(self.bounds):
            if merged and lo <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(merged[-1][1], hi))
            else:
                merged.append((lo, hi))
        return tuple(merged)

    @cached_property
    def day_ranges(self) -> tuple[tuple[date, date], ...]:
        """The excluded ranges as (first, last) calendar days, in order of their first day."""
        return tuple(sorted((r.span.start, r.span.end) for r in self.ranges))

    @cached_property
    def merged_day_ranges(self) -> tuple[tuple[int, int], ...]:
        """`day_ranges` as day ordinals, overlapping or adjacent ranges joined."""
        merged: list[tuple[int, int]] = []
        for first, last in ((a.toordinal(), b.toordinal()) for a, b in self.day_ranges):
            if merged and first <= merged[-1][1] + 1:
                merged[-1] = (merged[-1][0], max(merged[-1][1], last))
            else:
                merged.append((first, last))
        return tuple(merged)

    def range_reason(self, instant_s: int) -> str | None:
        for excluded in self.ranges:
            if excluded.span.lo_s <= instant_s < excluded.span.hi_s:
                return excluded.reason
        return None


NO_EXCLUSIONS = Exclusions()


def plan_exclusions(plan: Plan, tz: ZoneInfo) -> Exclusions:
    ranges = tuple(
        ExcludedRange(span(e.from_, e.to, tz), e.reason)
        for e in plan.exclusions
        if e.from_ is not None and e.to is not None
    )
    records = {e.record: e.reason for e in plan.exclusions if e.record is not None}
    return Exclusions(ranges=ranges, records=records)


def excluded_days(window: Span, exclusions: Exclusions) -> int:
    """Calendar days of the window inside any excluded range; overlapping ranges count once."""
    return plan_excluded_days(window.start, window.end, exclusions.day_ranges)


def active_weeks(window: Span, exclusions: Exclusions) -> float:
    """The exposure of a per-week count: the window's days left after exclusions, in weeks."""
    return (window.days - excluded_days(window, exclusions)) / DAYS_PER_WEEK


def measurement_instant(window: Span, exclusions: Exclusions) -> int:
    """When a point-in-time count (aged open tickets) is read, in UTC seconds: the window's end,
    or, when that falls in excluded time, the start of the exclusion (chained ranges followed),
    so leave at the end of a window neither hides nor adds open tickets."""
    instant = window.hi_s
    moved = True
    while moved:
        moved = False
        for lo, hi in exclusions.bounds:
            if lo < instant <= hi:
                instant, moved = lo, True
    return max(instant, window.lo_s)

