"""Properties of the whole evaluation on generated evidence (hypothesis)."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from config.plans import Plan
from evaluate.evaluation import evaluate_plan
from evaluate.results import PlanEvaluation
from tests.evaluate.conftest import BERLIN, frame, person, plan, ticket

PEOPLE = [person("ann"), person("bob"), person("cat")]
AS_OF = date(2026, 10, 4)
FIRST = pd.Timestamp("2026-08-03", tz="UTC")
SPAN_HOURS = (pd.Timestamp("2026-10-05", tz="UTC") - FIRST) / pd.Timedelta(hours=1)
LEAVE = {"from": "2026-09-14", "to": "2026-09-20", "reason": "Leave"}
GOALS = [
    {"metric": "ticket_resolution_hours", "target": {"at_most": 30}, "min_samples": 3},
    {"metric": "ticket_resolution_hours", "statistic": "mean", "target": {"improve_by": "10%"},
     "min_samples": 3},
    {"metric": "tickets_resolved", "target": {"at_least": 2}, "min_weeks": 2},
    {"metric": "due_date_adherence", "target": {"at_least": 0.5}, "min_samples": 3},
]
FAST = settings(max_examples=15, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow])

resolution = st.tuples(
    st.sampled_from(["ann", "bob", "cat"]),
    st.floats(0, SPAN_HOURS - 1),  # when, in hours after the baseline starts
    st.floats(0.5, 200),  # how long it took
    st.one_of(st.none(), st.integers(-3, 3)),  # due, in days from the resolution
)


def tickets(rows: list[tuple[str, float, float, int | None]], prefix: str = "T") -> pd.DataFrame:
    out = []
    for i, (who, when, took, due) in enumerate(rows):
        end = FIRST + pd.Timedelta(hours=when)
        start = end - pd.Timedelta(hours=took)
        deadline = None if due is None else (end + timedelta(days=due)).date()
        out.append(ticket(f"{prefix}{i}", who, start.isoformat(), end.isoformat(), due=deadline))
    return frame(out)


def run(evidence: pd.DataFrame, given_plan: Plan | None = None) -> PlanEvaluation:
    return evaluate_plan(given_plan or plan(goals=GOALS, exclusions=[LEAVE]),
                         evidence={"ticket": evidence}, people=PEOPLE, as_of=AS_OF, tz=BERLIN)


def without_audit(result: PlanEvaluation) -> list[dict]:
    """The verdict and its numbers, without the lists of keys used and left out."""
    goals = result.to_json()["goals"]
    for goal in goals:
        for name in ("evidence", "excluded"):
            goal.pop(name)
        for window in ("baseline", "current"):
            goal[window].pop("evidence")
    return goals


@FAST
@given(st.lists(resolution, min_size=5, max_size=60), st.randoms(use_true_random=False))
def test_the_order_of_events_changes_nothing(rows, shuffle):
    """The same records (same keys) in another row order: only the order may differ."""
    original = tickets(rows)
    reordered = original.sample(frac=1.0, random_state=shuffle.randint(0, 10**6))
    assert run(original).to_json() == run(reordered).to_json()


@FAST
@given(st.lists(resolution, min_size=5, max_size=60),
       st.lists(st.tuples(st.sampled_from(["ann", "bob"]), st.floats(0, 7 * 24 - 1),
                          st.floats(0.5, 100), st.none()), min_size=1, max_size=10))
def test_events_inside_an_excluded_range_change_nothing(rows, during_leave):
    leave_starts = (pd.Timestamp("2026-09-13T22:00", tz="UTC") - FIRST) / pd.Timedelta(hours=1)
    extra = [(who, leave_starts + at, took, due) for who, at, took, due in during_leave]
    plain = tickets(rows)
    more = pd.concat([plain, tickets(extra, prefix="L")], ignore_index=True)
    assert without_audit(run(plain)) == without_audit(run(more))


@FAST
@given(st.lists(resolution, min_size=5, max_size=60))
def test_flipping_the_better_direction_flips_the_change(rows):
    evidence = tickets(rows)
    lower = run(evidence, plan(goals=[{**GOALS[1], "better": "lower"}]))
    higher = run(evidence, plan(goals=[{**GOALS[1], "better": "higher"}]))
    down, up = lower.goals[0].change, higher.goals[0].change
    if down.absolute is None:
        assert up.absolute is None
        return
    assert up.absolute == -down.absolute
    assert (up.relative is None and down.relative is None) or up.relative == -down.relative
    if down.interval is not None:
        assert up.interval == (-down.interval[1], -down.interval[0])


@FAST
@given(st.lists(resolution, min_size=5, max_size=80))
def test_every_interval_holds_its_estimate_and_results_repeat(rows):
    first, again = run(tickets(rows)), run(tickets(rows))
    assert first.to_json() == again.to_json()
    for goal in first.goals:
        for change in (goal.change, goal.team.change if goal.team else None):
            if change is not None and change.interval is not None:
                lower, upper = change.interval
                assert lower - 1e-9 <= change.absolute <= upper + 1e-9
