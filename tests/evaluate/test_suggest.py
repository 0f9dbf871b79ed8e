"""Goal suggestions (issue 5, item 10), hand-computed: the own-baseline rule, the team cap,
holding a level already beyond the team, too little data, both directions and rate caps."""

from __future__ import annotations

import copy
from datetime import date, timedelta

import pandas as pd
import pytest
import yaml

from config.people import Person
from config.plans import Plan
from evaluate.evaluation import evaluate_plan
from evaluate.suggest import (
    BASELINE_DAYS,
    choose_target,
    role_template,
    suggest_goals,
    suggestion_window,
)
from tests.evaluate.conftest import UTC, frame, ticket

START = date(2026, 9, 1)  # baseline: 2026-06-03 to 2026-08-31, 90 days
WEEKS = BASELINE_DAYS / 7
HOURS = pd.Timedelta(hours=1)


def solved(key: str, who: str, day: int, hours: float, *, late: bool | None = None) -> dict:
    """A ticket resolved at noon on August `day`; with `late`, due that day or the day before."""
    end = pd.Timestamp(f"2026-08-{day:02d}T12:00", tz="UTC")
    due = None if late is None else end.date() - timedelta(days=int(late))
    return ticket(key, who, (end - hours * HOURS).isoformat(), end.isoformat(), due=due)


def tickets(who: str, hours: list[float], *, late: list[bool] | None = None) -> list[dict]:
    lates = late if late is not None else [None] * len(hours)
    return [solved(f"{who}-{i}", who, i + 1, h, late=lt)
            for i, (h, lt) in enumerate(zip(hours, lates, strict=True))]


def suggest(rows: list[dict], people, who: str = "ann", **options):
    options = {"start": START, "as_of": START, "tz": UTC, **options}
    return suggest_goals(who, evidence={"ticket": frame(rows)}, people=people, **options)


def by_metric(suggestions) -> dict:
    return {s["metric"]: s for s in suggestions.to_json()["suggestions"]}


# The rule itself --------------------------------------------------------------------------------


@pytest.mark.parametrize(("baseline", "team", "better", "expected"), [
    (40.0, 30.0, "lower", (32.0, "own_baseline")),  # 20% better (32) is short of the team (30)
    (40.0, 35.0, "lower", (35.0, "team_level")),  # 32 would pass the team's 35: capped at 35
    (30.0, 35.0, "lower", (30.0, "hold")),  # already better than the team: hold the baseline
    (35.0, 35.0, "lower", (35.0, "hold")),
    (40.0, None, "lower", (32.0, "own_baseline")),  # no team value: the own rule alone
    (10.0, 15.0, "higher", (12.0, "own_baseline")),
    (10.0, 11.0, "higher", (11.0, "team_level")),
    (10.0, 8.0, "higher", (10.0, "hold")),
    (0.0, 2.0, "higher", (None, "zero_baseline")),  # 20% more than nothing is nothing
    (0.0, None, "lower", (0.0, "hold")),  # nothing left to improve
])
def test_the_less_strict_of_own_improvement_and_the_team(baseline, team, better, expected):
    value, basis = choose_target(baseline, team, better)
    assert (value if value is None else pytest.approx(value), basis) == expected


@pytest.mark.parametrize(("baseline", "team", "better", "expected"), [
    (0.9, None, "higher", (1.0, "own_baseline")),  # 1.08 is no rate: capped at 1
    (1.0, None, "higher", (1.0, "hold")),
    (0.5, 0.9, "higher", (0.6, "own_baseline")),
    (0.0, None, "lower", (0.0, "hold")),
    (0.25, 0.1, "lower", (0.2, "own_baseline")),
])
def test_rates_stay_within_zero_and_one(baseline, team, better, expected):
    value, basis = choose_target(baseline, team, better, rate=True)
    assert (pytest.approx(value), basis) == expected


def test_the_window_is_the_ninety_days_before_the_start_cut_at_the_as_of_date():
    assert suggestion_window(START, START) == (date(2026, 6, 3), date(2026, 8, 31))
    assert suggestion_window(START, date(2026, 7, 1)) == (date(2026, 6, 3), date(2026, 7, 1))


def test_a_start_whose_baseline_begins_after_the_as_of_day_is_refused():
    assert suggestion_window(START, date(2026, 6, 3)) == (date(2026, 6, 3), date(2026, 6, 3))
    with pytest.raises(ValueError, match="after the as-of day 2026-06-02"):
        suggestion_window(START, date(2026, 6, 2))


def test_role_templates_follow_the_catalog_and_skip_metrics_without_direction():
    support = [spec.name for spec in role_template("support")]
    assert "ticket_resolution_hours" in support and "incident_mttr_hours" in support
    assert "incidents_owned" not in support and "pr_lead_time_hours" not in support
    assert {spec.name for spec in role_template("security")} == {
        "ticket_cycle_hours", "tickets_resolved", "ticket_reopen_rate", "due_date_adherence"}


# From evidence ----------------------------------------------------------------------------------


def test_the_team_median_caps_a_lower_is_better_target(people):
    rows = tickets("ann", [40] * 10) + tickets("bob", [35] * 10)
    goal = by_metric(suggest(rows, people))["ticket_resolution_hours"]
    assert goal["baseline"] == {"value": 40.0, "n": 10, "active_weeks": 12.86}
    assert goal["team"] == {"value": 35.0, "n": 10, "members": 2, "sufficient": True}
    assert goal["target"] == {"at_most": 35.0} and goal["basis"] == "team_level"
    assert goal["why"] == "the team's level: 20% better than 40.0 h would pass it"


def test_the_own_baseline_rule_when_the_team_is_further_ahead(people):
    rows = tickets("ann", [38, 40, 42, 40, 40, 39, 41, 40, 40, 40]) + tickets("bob", [20] * 10)
    goal = by_metric(suggest(rows, people))["ticket_resolution_hours"]
    assert goal["baseline"]["value"] == 40.0
    assert goal["target"] == {"at_most": 32.0} and goal["basis"] == "own_baseline"
    assert goal["why"] == "20% better than the baseline 40.0 h; the team is at 20.0 h"


def test_someone_already_beyond_the_team_is_asked_to_hold(people):
    rows = tickets("ann", [10] * 10) + tickets("bob", [30] * 10)
    goal = by_metric(suggest(rows, people))["ticket_resolution_hours"]
    assert goal["target"] == {"at_most": 10.0} and goal["basis"] == "hold"
    assert goal["why"] == "hold: the baseline 10.0 h is at or beyond the team's 30.0 h"


def test_too_few_events_give_no_suggestion_never_an_invented_one(people):
    rows = tickets("ann", [40] * 5) + tickets("bob", [20] * 10)
    suggestions = suggest(rows, people)
    goal = by_metric(suggestions)["ticket_resolution_hours"]
    assert goal["target"] is None and goal["basis"] == "insufficient_data"
    assert goal["why"] == "no suggestion: only 5 events (needs 8)"
    assert "ticket_resolution_hours" not in [g["metric"] for g in suggestions.plan_goals()]
    assert "# No suggestion: ticket_resolution_hours" in suggestions.goals_yaml()
    fewer = by_metric(suggest(rows, people, min_samples=5))["ticket_resolution_hours"]
    assert fewer["target"] == {"at_most": 32.0}


def test_a_thin_team_is_no_cap(people):
    rows = tickets("ann", [40] * 10) + tickets("bob", [20] * 3)
    goal = by_metric(suggest(rows, people))["ticket_resolution_hours"]
    assert goal["team"]["sufficient"] is False and goal["target"] == {"at_most": 32.0}
    assert goal["why"].endswith("too few team events to compare with (3)")


def test_nobody_else_in_the_team_means_no_team_value(people):
    rows = tickets("dan", [40] * 10) + tickets("ann", [10] * 10)
    goals = by_metric(suggest(rows, people, who="dan"))
    assert goals["ticket_resolution_hours"]["team"]["members"] == 0
    assert goals["ticket_resolution_hours"]["target"] == {"at_most": 32.0}
    # A per-week count of a team without members reads 0: no reason to "hold".
    resolved = goals["tickets_resolved"]
    assert resolved["basis"] == "own_baseline" and resolved["why"].endswith("no teammates to "
                                                                            "compare with")


def test_per_week_counts_higher_is_better_rounded_towards_the_easier_side(people):
    rows = tickets("ann", [5] * 10) + tickets("bob", [5] * 30)
    goal = by_metric(suggest(rows, people))["tickets_resolved"]
    assert goal["baseline"]["value"] == pytest.approx(10 / WEEKS, abs=1e-3)  # 0.7778
    assert goal["team"]["value"] == pytest.approx(30 / WEEKS / 2, abs=1e-3)  # bob and cat
    assert goal["target"] == {"at_least": 0.933}  # 0.9333, rounded down: never stricter
    assert goal["basis"] == "own_baseline"


def test_per_week_counts_need_active_weeks(people):
    rows = tickets("ann", [5] * 10)
    short = by_metric(suggest(rows, people, as_of=date(2026, 6, 20)))["tickets_resolved"]
    assert short["target"] is None  # 2026-06-03..06-20: 18 days
    assert short["why"] == "no suggestion: only 2.57 active weeks (needs 4)"


def test_rates_higher_is_better_and_capped_at_one(people):
    rows = (tickets("ann", [5] * 10, late=[False] * 5 + [True] * 5)
            + tickets("bob", [5] * 10, late=[False] * 9 + [True]))
    goal = by_metric(suggest(rows, people))["due_date_adherence"]
    assert (goal["baseline"]["value"], goal["team"]["value"]) == (0.5, 0.9)
    assert goal["target"] == {"at_least": 0.6} and goal["better"] == "higher"
    alone = tickets("ann", [5] * 10, late=[False] * 9 + [True])
    capped = by_metric(suggest(alone, people))["due_date_adherence"]
    assert capped["target"] == {"at_least": 1.0} and capped["basis"] == "own_baseline"


def test_evidence_after_the_as_of_date_is_not_seen(people):
    rows = tickets("ann", [40] * 10) + tickets("bob", [20] * 10)
    late = [solved(f"ann-late-{i}", "ann", 30, 1) for i in range(20)]
    as_of = date(2026, 8, 29)
    assert by_metric(suggest(rows + late, people, as_of=as_of)) == by_metric(
        suggest(rows, people, as_of=as_of))


def test_a_role_other_than_the_persons_own(people):
    rows = tickets("ann", [40] * 10)
    developer = by_metric(suggest(rows, people, role="developer"))
    assert "pr_lead_time_hours" in developer and "incident_mttr_hours" not in developer
    assert developer["pr_lead_time_hours"]["why"] == "no suggestion: only 0 events (needs 8)"
    with pytest.raises(LookupError, match="unknown role 'manager'"):
        suggest(rows, people, role="manager")
    with pytest.raises(LookupError, match=r"'zed' is not in people\.yaml"):
        suggest(rows, people, who="zed")


def test_someone_without_a_metric_role_has_no_template_unless_one_is_chosen(people):
    """An HR partner (role: hr) or someone with no role is listed but never measured: the
    suggestion says so plainly, and an explicit --role still works."""
    unmeasured = [*people, Person(id="hal", name="Hal", email="hal@example.com", team="hr",
                                  role="hr"),
                  Person(id="nia", name="Nia", email="nia@example.com", team="hr")]
    rows = tickets("hal", [40] * 10)
    with pytest.raises(LookupError, match=r"hal has role 'hr' in people\.yaml, so there is no "
                                          r"role template of goals .*: pass --role"):
        suggest(rows, unmeasured, who="hal")
    with pytest.raises(LookupError, match=r"nia has no role in people\.yaml, so there is no role"):
        suggest(rows, unmeasured, who="nia")
    assert suggest(rows, unmeasured, who="hal", role="support").role == "support"


def test_the_goals_block_is_a_valid_plan_that_evaluates_on_the_same_baseline(people):
    rows = tickets("ann", [40] * 10, late=[False] * 5 + [True] * 5) + tickets("bob", [20] * 10)
    suggestions = suggest(rows, people)
    text = suggestions.goals_yaml()
    assert text.startswith("# Suggested for ann from the baseline 2026-06-03 to 2026-08-31")
    fragment = yaml.safe_load(text)
    assert fragment == {"goals": suggestions.plan_goals()}
    assert fragment["goals"][0] == {"metric": "ticket_resolution_hours", "statistic": "median",
                                    "target": {"at_most": 32.0}}
    plan = Plan.model_validate({
        "id": "ann-q4", "employee": "ann", "manager": "max", "start": START,
        "end": START + timedelta(days=BASELINE_DAYS - 1), **fragment,
    })
    evaluation = evaluate_plan(plan, evidence={"ticket": frame(rows)}, people=people,
                               as_of=START, tz=UTC)
    suggested = {s.spec.name: s for s in suggestions.goals}
    for goal in evaluation.goals:  # the plan's default baseline is the suggestion's window
        assert goal.baseline_span == suggestions.window
        assert goal.baseline.value == suggested[goal.metric].baseline.value


def test_the_evidence_is_not_mutated(people):
    evidence = {"ticket": frame(tickets("ann", [40] * 10) + tickets("bob", [20] * 10))}
    before = copy.deepcopy(evidence)
    suggest_goals("ann", evidence=evidence, people=people, tz=UTC, start=START, as_of=START)
    pd.testing.assert_frame_equal(evidence["ticket"], before["ticket"])
