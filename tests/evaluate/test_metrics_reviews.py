"""Pull-request and review metrics on one hand-built week of GitHub activity."""

from __future__ import annotations

import pandas as pd
import pytest

from evaluate.metrics import metric_events
from tests.evaluate.conftest import at, frame, pull, review

PR1, PR2, PR3, PR4 = (f"github:acme/api/{n}" for n in (1, 2, 3, 4))


@pytest.fixture
def github() -> dict[str, pd.DataFrame]:
    return {
        "pull_request": frame([
            pull(1, "ann", "2026-01-01T00:00", "2026-01-02T00:00", ready="2026-01-01T02:00"),
            pull(2, "bob", "2026-01-05T00:00", "2026-01-06T00:00"),
            pull(3, "dependabot", "2026-01-07T00:00", "2026-01-07T12:00", bot=True),
            pull(4, "ann", "2026-01-08T00:00"),  # not merged
        ]),
        "review": frame([
            review("r1", 1, "bob", "COMMENTED", "2026-01-01T03:00"),
            review("r1-again", 1, "bob", "COMMENTED", "2026-01-01T03:00"),  # same review twice
            review("r2", 1, "bob", "CHANGES_REQUESTED", "2026-01-01T05:00"),
            review("r3", 1, "cat", "APPROVED", "2026-01-01T20:00"),
            review("r4", 1, "ann", "COMMENTED", "2026-01-01T04:00"),  # the author's own
            review("r5", 1, "bob", "APPROVED", "2026-01-01T22:00"),
            review("r6", 1, "dan", "DISMISSED", "2026-01-01T06:00"),
            review("r7", 1, "cat", "CHANGES_REQUESTED", "2026-01-03T00:00"),  # after the merge
            review("r8", 1, "ci-bot", "APPROVED", "2026-01-01T01:00", bot=True),
            review("r9", 2, "ann", "APPROVED", "2026-01-05T12:00"),
            review("r10", 3, "ann", "APPROVED", "2026-01-07T06:00"),
            review("r11", 4, "bob", "COMMENTED", "2026-01-08T01:00"),
        ]),
        "review_request": frame([
            {"key": "q1", "pr": PR1, "person": "bob", "at": at("2026-01-01T01:00")},
            {"key": "q2", "pr": PR1, "person": "bob", "at": at("2026-01-01T02:30")},
            {"key": "q3", "pr": PR1, "person": "dan", "at": at("2026-01-01T07:00")},
        ]),
    }


def values(events: pd.DataFrame) -> dict[str, float]:
    return dict(zip(events["key"], events["value"], strict=True))


def test_lead_time_of_merged_human_pull_requests(github):
    events = metric_events("pr_lead_time_hours", github)
    assert values(events) == {PR1: 24.0, PR2: 24.0}
    assert list(events["at"]) == [at("2026-01-02"), at("2026-01-06")]
    assert list(events["person"]) == ["ann", "bob"]


def test_first_pass_approval_ignores_own_dismissed_late_and_bot_reviews(github):
    assert values(metric_events("pr_first_pass_approval_rate", github)) == {PR1: 0.0, PR2: 1.0}
    reviews = github["review"]
    without_r2 = {**github, "review": reviews[reviews["key"] != "github:review/r2"]}
    # r6 (dismissed), r7 (after merge) and r4 (own) do not count against it.
    assert values(metric_events("pr_first_pass_approval_rate", without_r2))[PR1] == 1.0


def test_review_rounds_count_changes_requested_before_merge(github):
    assert values(metric_events("pr_review_rounds", github)) == {PR1: 1.0, PR2: 0.0}


def test_approval_after_two_rounds_of_changes_is_two_rounds_and_not_first_pass():
    evidence = {
        "pull_request": frame([pull(5, "ann", "2026-01-01T00:00", "2026-01-03T00:00")]),
        "review": frame([
            review("c1", 5, "bob", "CHANGES_REQUESTED", "2026-01-01T04:00"),
            review("c2", 5, "bob", "CHANGES_REQUESTED", "2026-01-02T04:00"),
            review("a1", 5, "bob", "APPROVED", "2026-01-02T20:00"),
        ]),
    }
    pr5 = "github:acme/api/5"
    assert values(metric_events("pr_review_rounds", evidence)) == {pr5: 2.0}
    assert values(metric_events("pr_first_pass_approval_rate", evidence)) == {pr5: 0.0}


def test_review_turnaround_from_latest_request_else_ready_else_created(github):
    events = metric_events("review_turnaround_hours", github)
    got = {(row.record, row.person): (row.key, row.value) for row in events.itertuples()}
    assert got == {
        (PR1, "bob"): ("github:review/r1", 0.5),  # latest request (02:30) before 03:00
        (PR1, "cat"): ("github:review/r3", 18.0),  # no request: ready at 02:00
        (PR1, "dan"): ("github:review/r6", 4.0),  # request came after: ready
        (PR2, "ann"): ("github:review/r9", 12.0),  # no request, never draft: created
        (PR3, "ann"): ("github:review/r10", 6.0),  # a person reviewing a bot's PR
        (PR4, "bob"): ("github:review/r11", 1.0),
    }


def test_reviews_given_once_per_review_not_on_own_pull_requests(github):
    events = metric_events("reviews_given", github)
    assert events.groupby("person").size().to_dict() == {"ann": 2, "bob": 4, "cat": 2, "dan": 1}
    assert set(events.loc[events["person"] == "ann", "record"]) == {PR2, PR3}
