"""Generated arrivals keep a week's rhythm and a calendar's holidays, and a later end only adds
days: the demo's story as of a day does not change with the day its history runs up to."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta

from fakes.arrivals import Rhythm

START = datetime(2026, 3, 2, tzinfo=UTC)  # a Monday
END = START + timedelta(weeks=12)
HOLIDAY = date(2026, 4, 8)  # a Wednesday


def test_weekdays_office_hours_and_holidays() -> None:
    times = Rhythm(quiet={HOLIDAY: 0.05}).arrivals(20, START, END, seed=3)
    assert times == sorted(times) and times[0] >= START and times[-1] < END
    by_weekday = Counter(t.weekday() for t in times)
    assert min(by_weekday[d] for d in range(5)) > 4 * max(by_weekday[5], by_weekday[6])
    in_office = sum(9 <= t.hour < 18 for t in times)
    assert in_office > 0.8 * len(times)
    wednesdays = [t.date() for t in times if t.weekday() == 2]
    assert wednesdays.count(HOLIDAY) < len(wednesdays) / 12 / 4


def test_a_later_end_only_adds_days() -> None:
    rhythm = Rhythm()
    shorter = rhythm.arrivals(10, START, END, seed=5)
    longer = rhythm.arrivals(10, START, END + timedelta(days=9), seed=5)
    assert longer[: len(shorter)] == shorter and len(longer) > len(shorter)
    assert rhythm.arrivals(10, START, END, seed=6) != shorter
