"""Plan dates to UTC windows, weeks, exclusions and exposure (DESIGN §4, §5)."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd

from evaluate.windows import (
    Exclusions,
    active_weeks,
    baseline_span,
    checkpoints_until,
    current_span,
    day_start,
    excluded_days,
    measurement_instant,
    plan_exclusions,
    span,
    weekly_spans,
)
from tests.evaluate.conftest import BERLIN, UTC, at, plan

AS_OF = date(2026, 10, 4)


def test_days_start_at_local_midnight_across_dst():
    assert day_start(date(2026, 10, 24), BERLIN) == at("2026-10-23T22:00")  # summer time
    assert day_start(date(2026, 10, 26), BERLIN) == at("2026-10-25T23:00")  # winter time
    week = span(date(2026, 10, 19), date(2026, 10, 25), BERLIN)
    assert week.days == 7
    assert week.hi - week.lo == pd.Timedelta(hours=7 * 24 + 1)  # the extra hour of 25 October
    assert (week.lo_s, week.hi_s) == (week.lo.value // 10**9, week.hi.value // 10**9)
    assert day_start(date(2026, 10, 26), UTC) == at("2026-10-26")


def test_baseline_defaults_to_the_same_length_right_before_the_start():
    given = plan()
    assert (baseline_span(given, AS_OF, UTC).start, baseline_span(given, AS_OF, UTC).end) == (
        date(2026, 8, 3), date(2026, 8, 30))
    default = plan(baseline=None)
    window = baseline_span(default, AS_OF, UTC)
    assert window.end == date(2026, 9, 6) and window.days == span(
        default.start, default.end, UTC).days


def test_the_baseline_stops_at_the_as_of_date_too():
    """Evidence after the as-of day did not exist then: a past checkpoint must not see it."""
    given = plan()
    inside = baseline_span(given, date(2026, 8, 10), UTC)
    assert (inside.start, inside.end, inside.days) == (date(2026, 8, 3), date(2026, 8, 10), 8)
    assert inside.hi == day_start(date(2026, 8, 11), UTC)
    before = baseline_span(given, date(2026, 8, 1), UTC)
    assert before.days == 0 and before.lo == before.hi


def test_current_window_stops_at_the_as_of_date_or_the_end():
    given = plan()
    assert current_span(given, date(2026, 9, 20), UTC).end == date(2026, 9, 20)
    assert current_span(given, date(2026, 12, 1), UTC).end == date(2026, 10, 4)
    early = current_span(given, date(2026, 9, 1), UTC)
    assert early.days == 0 and early.lo == early.hi


def test_weekly_windows_are_seven_days_ending_on_as_of_clipped_to_the_plan():
    given = plan(start="2026-09-09")  # a Wednesday
    weeks = weekly_spans(given, date(2026, 9, 24), 4, UTC)  # a Thursday
    assert [(w.start, w.end) for w in weeks] == [
        (date(2026, 9, 9), date(2026, 9, 10)),  # clipped to the start
        (date(2026, 9, 11), date(2026, 9, 17)),
        (date(2026, 9, 18), date(2026, 9, 24)),  # the last, ending on the as-of day
    ]
    monday = weekly_spans(given, date(2026, 9, 28), 1, UTC)  # a Monday: still a whole week
    assert [(w.start, w.end) for w in monday] == [(date(2026, 9, 22), date(2026, 9, 28))]
    after_end = weekly_spans(given, date(2026, 12, 1), 2, UTC)
    assert [(w.start, w.end) for w in after_end] == [
        (date(2026, 9, 21), date(2026, 9, 27)), (date(2026, 9, 28), date(2026, 10, 4))]
    assert weekly_spans(given, date(2026, 9, 1), 4, UTC) == ()


def test_weekly_windows_hold_seven_active_days_so_leave_never_ends_the_plan():
    """The last window must be met: leave at the end would otherwise leave it empty (or a day
    long) and the goal impossible to meet."""
    def windows(*leave: tuple[str, str], weeks: int = 4) -> list[tuple[date, date]]:
        goal = {"metric": "ticket_resolution_hours", "target": {"at_most": 10},
                "sustain": {"weeks": weeks, "required": 1}}
        given = plan(goals=[goal],
                     exclusions=[{"from": lo, "to": hi, "reason": "Leave"} for lo, hi in leave])
        spans = weekly_spans(given, date(2026, 10, 4), weeks, UTC, plan_exclusions(given, UTC))
        return [(w.start, w.end) for w in spans]

    plain = [(date(2026, 9, 7), date(2026, 9, 13)), (date(2026, 9, 14), date(2026, 9, 20)),
             (date(2026, 9, 21), date(2026, 9, 27)), (date(2026, 9, 28), date(2026, 10, 4))]
    assert windows() == plain
    assert windows(("2026-09-28", "2026-10-04")) == plain[:3]  # the plan's last week on leave
    assert windows(("2026-09-28", "2026-10-03")) == [  # Monday to Saturday: Sunday is active
        (date(2026, 9, 7), date(2026, 9, 7)),  # clipped to the start
        (date(2026, 9, 8), date(2026, 9, 14)), (date(2026, 9, 15), date(2026, 9, 21)),
        (date(2026, 9, 22), date(2026, 10, 4))]  # the 22nd to the 27th, and the 4th
    chained = windows(("2026-09-30", "2026-10-04"), ("2026-09-24", "2026-09-29"), weeks=2)
    assert chained == [(date(2026, 9, 10), date(2026, 9, 16)),
                       (date(2026, 9, 17), date(2026, 9, 23))]


def test_exclusions_remove_days_once_and_active_weeks_follow():
    given = plan(exclusions=[
        {"from": "2026-09-14", "to": "2026-09-18", "reason": "Leave"},
        {"from": "2026-09-17", "to": "2026-09-22", "reason": "Outage"},  # overlaps the leave
        {"record": "jira:OPS-1", "reason": "Vendor"},
    ])
    exclusions = plan_exclusions(given, BERLIN)
    assert exclusions.records == {"jira:OPS-1": "Vendor"}
    window = span(date(2026, 9, 7), date(2026, 10, 4), BERLIN)  # 28 days
    assert excluded_days(window, exclusions) == 9  # 14th..22nd
    assert active_weeks(window, exclusions) == (28 - 9) / 7
    assert active_weeks(window, Exclusions()) == 4.0
    assert exclusions.range_reason(at("2026-09-16T12:00").value // 10**9) == "Leave"
    assert exclusions.range_reason(at("2026-09-13T21:59").value // 10**9) is None
    assert exclusions.range_reason(at("2026-09-13T22:00").value // 10**9) == "Leave"  # Berlin


def test_point_in_time_counts_move_out_of_excluded_time():
    given = plan(exclusions=[
        {"from": "2026-09-28", "to": "2026-10-01", "reason": "Leave"},
        {"from": "2026-10-02", "to": "2026-10-04", "reason": "Outage"},  # chained
    ])
    exclusions = plan_exclusions(given, UTC)
    window = span(date(2026, 9, 7), date(2026, 10, 4), UTC)
    assert measurement_instant(window, exclusions) == at("2026-09-28").value // 10**9
    assert measurement_instant(window, Exclusions()) == window.hi_s
    whole = span(date(2026, 9, 28), date(2026, 10, 1), UTC)
    assert measurement_instant(whole, exclusions) == whole.lo_s


def test_checkpoints_until_as_of():
    given = plan(checkpoints=["2026-09-20", "2026-09-13", "2026-10-04"])
    assert checkpoints_until(given, date(2026, 9, 30)) == [date(2026, 9, 13), date(2026, 9, 20)]
    assert checkpoints_until(given, date(2026, 9, 1) + timedelta(days=1)) == []
