"""Ticket metrics on hand-built histories (DESIGN §3), values computed by hand."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from evaluate.metrics import metric_events
from tests.evaluate.conftest import BERLIN, UTC, assign, at, frame, status, ticket


def by_key(events: pd.DataFrame) -> dict[str, tuple[str | None, pd.Timestamp, float]]:
    return {row.key: (row.person, row.at, row.value) for row in events.itertuples()}


@pytest.fixture
def history() -> dict[str, pd.DataFrame]:
    return {
        "ticket": frame([
            ticket("A-1", "cat", "2026-01-01T00:00", "2026-01-02T06:00"),
            ticket("A-2", "cat", "2026-01-01T00:00", "2026-01-01T10:00"),
            ticket("A-3", "dan", "2026-01-01T00:00", None, category="done"),
            ticket("A-4", "ann", "2026-01-01T00:00"),
            ticket("A-5", "ann", "2026-01-01T00:00", "2026-01-01T05:00"),
        ]),
        "ticket_change": frame([
            assign("A-1", "2026-01-01T12:00", "ann", "bob"),
            assign("A-1", "2026-01-03T00:00", "bob", "cat"),  # after resolution
            status("A-1", "2026-01-01T06:00", "new", "indeterminate"),
            status("A-1", "2026-01-02T06:00", "indeterminate", "done"),
            assign("A-2", "2026-01-05T00:00", "ann", "cat"),  # only after resolution
            status("A-2", "2026-01-01T10:00", "new", "done"),  # never in progress
            status("A-3", "2026-01-04T00:00", "indeterminate", "done"),  # resolved column empty
            status("A-5", "2026-01-01T05:00", "indeterminate", "done"),  # created in progress
        ]),
    }


def test_resolution_hours_owner_is_the_assignee_at_resolution(history):
    events = by_key(metric_events("ticket_resolution_hours", history))
    assert events == {
        "jira:A-1": ("bob", at("2026-01-02T06:00"), 30.0),  # last change before: bob
        "jira:A-2": ("ann", at("2026-01-01T10:00"), 10.0),  # only later change: its old value
        "jira:A-3": ("dan", at("2026-01-04T00:00"), 72.0),  # no change: current; last done entry
        "jira:A-5": ("ann", at("2026-01-01T05:00"), 5.0),
    }


def test_cycle_hours_start_at_first_in_progress_entry(history):
    events = by_key(metric_events("ticket_cycle_hours", history))
    assert events["jira:A-1"][2] == 24.0
    assert events["jira:A-5"][2] == 5.0  # created in progress: from creation
    assert "jira:A-2" not in events  # resolved without ever entering In Progress
    assert "jira:A-3" in events  # entered done from In Progress; created in it


def test_tickets_resolved_counts_each_resolution_once(history):
    events = metric_events("tickets_resolved", history)
    assert sorted(events["key"]) == ["jira:A-1", "jira:A-2", "jira:A-3", "jira:A-5"]
    assert set(events["value"]) == {1.0}


def test_reopen_rate_marks_tickets_that_left_done():
    evidence = {
        "ticket": frame([
            ticket("R-1", "ann", "2026-01-01", "2026-01-04"),
            ticket("R-2", "ann", "2026-01-01", None, category="indeterminate"),
            ticket("R-3", "ann", "2026-01-01", "2026-01-02"),
        ]),
        "ticket_change": frame([
            status("R-1", "2026-01-02", "indeterminate", "done"),
            status("R-1", "2026-01-03", "done", "indeterminate"),
            status("R-1", "2026-01-04", "indeterminate", "done"),
            status("R-2", "2026-01-02", "indeterminate", "done"),
            status("R-2", "2026-01-03", "done", "indeterminate"),
            status("R-3", "2026-01-02", "indeterminate", "done"),
        ]),
    }
    events = by_key(metric_events("ticket_reopen_rate", evidence))
    assert events == {
        "jira:R-1": ("ann", at("2026-01-04"), 1.0),
        "jira:R-2": ("ann", at("2026-01-02"), 1.0),  # reopened and still open
        "jira:R-3": ("ann", at("2026-01-02"), 0.0),
    }
    # A reopened ticket that is open is not resolved for the other metrics.
    assert "jira:R-2" not in set(metric_events("ticket_resolution_hours", evidence)["key"])


def test_due_date_adherence_uses_end_of_day_in_the_zone():
    evidence = {"ticket": frame([
        ticket("D-1", "ann", "2026-03-01", "2026-03-10T22:30", due=date(2026, 3, 10)),
        ticket("D-2", "ann", "2026-03-01", "2026-03-10T23:30", due=date(2026, 3, 10)),
        # 25 October 2026: Berlin leaves summer time; the day ends at 23:00 UTC.
        ticket("D-3", "ann", "2026-10-01", "2026-10-25T22:59", due=date(2026, 10, 25)),
        ticket("D-4", "ann", "2026-10-01", "2026-10-25T23:00", due=date(2026, 10, 25)),
        ticket("D-5", "ann", "2026-10-01", "2026-10-02"),  # no due date: not measured
    ])}
    berlin = by_key(metric_events("due_date_adherence", evidence, tz=BERLIN))
    assert {k: v[2] for k, v in berlin.items()} == {
        "jira:D-1": 1.0, "jira:D-2": 0.0, "jira:D-3": 1.0, "jira:D-4": 0.0,
    }
    utc = by_key(metric_events("due_date_adherence", evidence, tz=UTC))
    assert utc["jira:D-2"][2] == 1.0 and utc["jira:D-4"][2] == 1.0


def open_at(spells: pd.DataFrame, instant: str) -> dict[str, list[str]]:
    """Who held which aged open tickets at an instant."""
    moment = at(instant)
    inside = (spells["at"] <= moment) & (spells["until"].isna() | (spells["until"] > moment))
    held = spells[inside].groupby("person")["key"].apply(sorted)
    return held.to_dict()


def test_aged_open_tickets_are_rebuilt_at_the_instant():
    evidence = {
        "ticket": frame([
            ticket("O-1", "ann", "2026-01-01", category="new"),
            ticket("O-2", "ann", "2026-01-01", "2026-01-20"),  # no status history
            ticket("O-3", "bob", "2026-01-01", category="new"),
            ticket("O-4", "ann", "2026-01-01", category="indeterminate"),
            ticket("O-5", "ann", "2026-01-25", category="new"),
        ]),
        "ticket_change": frame([
            assign("O-3", "2026-01-25", "ann", "bob"),
            status("O-4", "2026-01-05", "indeterminate", "done"),
            status("O-4", "2026-01-25", "done", "indeterminate"),
        ]),
    }
    spells = metric_events("aged_open_tickets", evidence)
    assert open_at(spells, "2026-01-14T23:00") == {}  # nothing is 14 days old yet
    assert open_at(spells, "2026-01-18") == {"ann": ["jira:O-1", "jira:O-2", "jira:O-3"]}
    assert open_at(spells, "2026-02-01") == {
        "ann": ["jira:O-1", "jira:O-4"], "bob": ["jira:O-3"],
    }
    older = metric_events("aged_open_tickets", evidence, params={"days": 30})
    assert open_at(older, "2026-02-01") == {"ann": ["jira:O-1", "jira:O-4"], "bob": ["jira:O-3"]}
    assert open_at(older, "2026-01-25") == {}


def test_no_tickets_hold_no_aged_spells():
    """A team without tickets (a person's page reads only their team's) has no spells."""
    assert metric_events("aged_open_tickets", {}).empty



def test_missing_kinds_and_columns_give_no_events():
    assert metric_events("ticket_resolution_hours", {}).empty
    bare = {"ticket": frame([ticket("B-1", "ann", "2026-01-01", "2026-01-02")]).drop(
        columns=["due", "url"])}
    assert metric_events("due_date_adherence", bare).empty
    assert len(metric_events("ticket_resolution_hours", bare)) == 1


def test_a_negative_duration_is_a_problem_never_a_value():
    """Resolved before it was created: the row stays, flagged, so the goal can list it as
    excluded; its value is no number, so no statistic can use it."""
    evidence = {"ticket": frame([
        ticket("N-1", "ann", "2026-01-02T00:00", "2026-01-01T00:00"),
        ticket("N-2", "ann", "2026-01-01T00:00", "2026-01-01T04:00"),
    ])}
    events = metric_events("ticket_resolution_hours", evidence).set_index("key")
    assert events.loc["jira:N-1", "problem"] == "resolved before created"
    assert np.isnan(events.loc["jira:N-1", "value"])
    assert (events.loc["jira:N-2", "problem"], events.loc["jira:N-2", "value"]) == (None, 4.0)
