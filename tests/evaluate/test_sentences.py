"""Plain-language evidence (UI.md "Sentences"): exact wording for each status and clause."""

from __future__ import annotations

import copy
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from config.plans import Exclusion, Goal, Sustain
from evaluate.compare import Change, Sustained, TeamContext
from evaluate.measure import Measurement
from evaluate.metrics import quantity
from evaluate.outcome import GoalStatus
from evaluate.results import GoalEvaluation
from evaluate.sentences import (
    attention_reasons,
    data_quality_line,
    flag_words,
    goal_sentence,
    goal_title,
    outcome_word,
    source_name,
    status_word,
)
from evaluate.windows import span
from tests.evaluate.conftest import UTC as ZONE

BASE = 41.5


def measured(value: float | None, n: int, weeks: float = 8.0) -> Measurement:
    return Measurement(value, n, weeks, 1)


def relative_interval(lower: float, upper: float) -> tuple[float, float]:
    """An oriented absolute interval that reads as `lower`–`upper` of the 41.5 h baseline."""
    return lower * BASE, upper * BASE


def result(status: GoalStatus = "met", *, current: float = 22.0, relative: float = 0.47,
           interval: tuple[float, float] | None = relative_interval(0.2, 0.66),
           target: dict | None = None, met: bool | None = True, weeks_met: int = 3,
           held: bool = True, team: float | None = 0.05, flags: tuple[str, ...] = (),
           metric: str = "ticket_resolution_hours", current_n: int = 29) -> GoalEvaluation:
    """Median resolution time from 41.5 h (37 tickets) in June–August to `current`."""
    goal = Goal(metric=metric, target=target or {"at_most": 24})
    base, now = measured(BASE, 37), measured(current, current_n)
    team_context = None if team is None else TeamContext(
        "desk", base, now, Change(1.0, team, (0.1, 2.0)), relative - team, False, True)
    return GoalEvaluation(
        goal, "median", "lower", "hours", span(date(2026, 6, 1), date(2026, 8, 31), ZONE), base,
        span(date(2026, 9, 1), date(2026, 10, 31), ZONE), now,
        Change(BASE - current, relative, interval), met,
        Sustained(weeks_met, 4, 3, held, ()), team_context, status, flags)


def test_met():
    assert goal_sentence(result()) == (
        "Median ticket resolution time fell from 41.5 h (37 tickets) to 22.0 h (29 tickets), "
        "47% better (95% interval 20–66%). The 24 h target held in 3 of the last 4 weeks. "
        "The team improved 5% over the same weeks.")


def test_an_interval_never_passes_what_a_non_negative_quantity_allows():
    """A lower-is-better time cannot improve by more than 100%; the bootstrap's absolute
    interval resamples the baseline too and can reach past that, so the words stop at 100%."""
    wide = result(relative=0.56, current=18.3, interval=relative_interval(0.09, 1.41))
    assert "56% better (95% interval 9–100%)" in goal_sentence(wide)
    rate = replace(result(relative=-0.5, met=False, interval=relative_interval(-1.3, -0.2)),
                   better="higher")
    assert "interval \u2212100% to \u221220%)" in goal_sentence(rate)


def test_partly_met_not_sustained():
    assert goal_sentence(result("partially_met", weeks_met=2, held=False)) == (
        "Median ticket resolution time meets the 24 h target overall at 22.0 h (29 tickets), "
        "but held in only 2 of the last 4 weeks (3 needed).")
    latest_missed = result("partially_met", weeks_met=3, held=False)
    assert goal_sentence(latest_missed).endswith(
        "but not in the latest week, which must hold too.")


def test_partly_met_improving():
    improving = result("partially_met", current=34.0, relative=0.18, met=False,
                       interval=relative_interval(0.06, 0.29), team=None)
    assert goal_sentence(improving) == (
        "Median ticket resolution time improved from 41.5 h (37 tickets) to 34.0 h "
        "(29 tickets), 18% better (interval 6–29%), but has not reached the 24 h target.")


def test_not_met():
    flat = result("not_met", current=44.0, relative=-0.06, met=False,
                  interval=relative_interval(-0.12, 0.03))
    assert goal_sentence(flat) == (
        "Median ticket resolution time went from 41.5 h to 44.0 h (interval \u221212% to +3%): "
        "no clear change; the target is 24 h.")
    worse = replace(flat, change=Change(-8.0, -0.19, relative_interval(-0.3, -0.1)))
    assert goal_sentence(worse) == (
        "Median ticket resolution time went from 41.5 h to 44.0 h (interval \u221230% to "
        "\u221210%): a clear change for the worse; the target is 24 h.")


def test_not_enough_data():
    thin = result("insufficient_data", current_n=5, met=None, interval=None)
    assert goal_sentence(thin) == (
        "Only 5 tickets were resolved in the plan period so far (8 needed for a fair "
        "comparison): no verdict yet.")
    both = replace(thin, baseline=measured(BASE, 1))
    assert goal_sentence(both) == (
        "Only 1 ticket was resolved in the baseline window and 5 in the plan period so far "
        "(8 needed in each for a fair comparison): no verdict yet.")
    not_started = replace(thin, current_span=span(date(2026, 9, 1), date(2026, 8, 31), ZONE))
    assert goal_sentence(not_started) == "The plan period has not started yet: no verdict yet."


def test_not_enough_weeks_for_a_count():
    weekly = replace(result("insufficient_data", met=None, metric="tickets_resolved"),
                     statistic="per_week", current=measured(1.5, 3, weeks=2.0))
    assert goal_sentence(weekly) == (
        "The plan period so far has 2.0 active weeks (4 needed for a fair comparison): "
        "no verdict yet.")


def test_an_improvement_target_reads_with_the_value_it_implies():
    relative = result(target={"improve_by": "20%"})
    assert "The 20% improvement target (33.2 h) held in 3 of the last 4 weeks." in (
        goal_sentence(relative))
    missed = result("not_met", current=44.0, relative=-0.06, met=False,
                    target={"improve_by": "20%"}, interval=relative_interval(-0.12, 0.03))
    assert goal_sentence(missed).endswith("the target is a 20% improvement (33.2 h).")


def test_appended_clauses():
    shifted = result(flags=("team_wide_shift",))
    assert goal_sentence(shifted).endswith(
        "The whole team moved the same way by a similar amount, so this change may not be the "
        "person's own.")
    leave = [Exclusion(**{"from": date(2026, 10, 5), "to": date(2026, 10, 9), "reason": "Leave"}),
             Exclusion(**{"from": date(2026, 1, 5), "to": date(2026, 1, 9), "reason": "Earlier"})]
    assert goal_sentence(result(), exclusions=leave).endswith("Leave on 5–9 Oct is excluded.")
    two = [*leave, Exclusion(**{"from": date(2026, 9, 28), "to": date(2026, 10, 2),
                                "reason": "Training"})]
    assert goal_sentence(result(), exclusions=two).endswith(
        "Leave on 5–9 Oct and Training on 28 Sep – 2 Oct are excluded.")
    named = replace(result(), current=replace(measured(22.0, 29),
                                              excluded=(("jira:OPS-1", "Vendor"),)))
    assert goal_sentence(named, exclusions=[Exclusion(record="jira:OPS-1", reason="Vendor")]
                         ).endswith("Also left out: jira:OPS-1 (Vendor).")


def test_uncovered_windows():
    uncovered = result(flags=("window_not_covered:github",))
    assert goal_sentence(uncovered, synced_from={"github": date(2026, 6, 1)}).endswith(
        "GitHub data before 1 Jun is not synced, so the baseline may be incomplete.")
    assert goal_sentence(uncovered).endswith(
        "GitHub data is not synced back to 1 Jun, so the baseline may be incomplete.")


def test_status_and_flag_words():
    assert [status_word(s) for s in ("met", "partially_met", "not_met", "insufficient_data")
            ] == ["Met", "Partly met", "Not met", "Not enough data"]
    for flag in ("baseline_insufficient", "current_insufficient", "no_team_context",
                 "team_wide_shift", "unmatched_exclusions"):
        words = flag_words(flag)
        assert words.endswith(".") and "_" not in words
    assert flag_words("team_wide_shift").startswith("The whole team moved the same way")
    assert flag_words("window_not_covered:github") == (
        "GitHub data does not reach back to the start of a window, so that window may be "
        "incomplete.")
    assert flag_words("something_new") == "Something new."
    assert (source_name("pagerduty"), source_name("spreadsheets")) == ("PagerDuty",
                                                                       "spreadsheets")


def test_goals_and_outcomes_in_words():
    """Headings, tables and badges in every shell name goals and outcomes the same way."""
    assert goal_title("ticket_resolution_hours", "median") == "Median ticket resolution time"
    assert goal_title("pr_first_pass_approval_rate", "rate") == quantity(
        "pr_first_pass_approval_rate", "rate").title
    assert goal_title("retired_metric", "median") == "retired_metric"  # its id, not an error
    assert [outcome_word(o) for o in ("successful_completion", "undetermined", "extended")] == [
        "Successful completion", "Not yet determined", "Extended"]
    assert outcome_word("something_new") == "Something new"


def test_every_flag_the_core_emits_has_words():
    """The flags evaluate/ emits (grep `flags.append`) all have their own wording."""
    from evaluate import sentences
    emitted = {"baseline_insufficient", "current_insufficient", "no_team_context",
               "team_wide_shift"}
    assert emitted <= set(sentences.FLAG_WORDS)


@pytest.mark.parametrize(("metric", "statistic", "value", "shown"), [
    ("ticket_resolution_hours", "median", 41.53, "41.5 h"),
    ("ticket_resolution_hours", "median", 22.0, "22.0 h"),
    ("incident_mtta_minutes", "median", 7.25, "7.2 min"),
    ("ticket_reopen_rate", "rate", 0.4712, "47%"),
    ("ticket_reopen_rate", "rate", 0.05, "5%"),
    ("error_rate", "mean", 0.0213, "2.1%"),
    ("tickets_resolved", "per_week", 3.5, "3.5 per week"),
    ("aged_open_tickets", "count", 3.0, "3"),
    ("aged_open_tickets", "count", 2.5, "2.5"),
    ("rating:communication", "mean", 3.8, "3.8"),
])
def test_numbers_in_the_metric_unit(metric, statistic, value, shown):
    assert quantity(metric, statistic).format(value) == shown


def test_metric_titles_and_units():
    assert quantity("ticket_resolution_hours", "median").title == "Median ticket resolution time"
    assert quantity("ticket_resolution_hours", "per_week").title == "Tickets resolved per week"
    assert quantity("pr_first_pass_approval_rate", "rate").unit == "%"
    assert quantity("reviews_given", "per_week").unit == "reviews per week"
    assert quantity("rating:communication", "mean").title == "Mean communication rating"
    assert quantity("deployments", "per_week").count(1) == "1 deployment"
    assert quantity("pr_lead_time_hours", "median").count(2) == "2 pull requests"


NOW = datetime(2026, 10, 5, 12, 0, tzinfo=UTC)


def test_the_data_quality_line():
    line = data_quality_line(
        now=NOW, synced={"jira": NOW - timedelta(hours=2), "github": NOW - timedelta(hours=3)},
        unmatched_accounts=["jdoe-old"], quarantined=0, short_of_data=[])
    assert line.text == ("Data: Jira synced 2 h ago, GitHub 3 h ago; 1 unmatched account "
                         "(jdoe-old); 0 quarantined records; all goals have enough data.")
    assert line.warning is False


def test_the_data_quality_line_warns_when_a_verdict_is_weakened():
    stale = data_quality_line(now=NOW, synced={"jira": NOW - timedelta(days=3)},
                              stale_after={"jira": timedelta(hours=1)})
    assert stale.text == ("Data: Jira synced 3 days ago (stale); no unmatched accounts; "
                          "0 quarantined records; all goals have enough data.")
    assert stale.warning
    never = data_quality_line(now=NOW, synced={"pagerduty": None}, quarantined=1)
    assert never.text.startswith("Data: PagerDuty never synced;") and never.warning
    assert "1 quarantined record;" in never.text
    short = data_quality_line(now=NOW, synced={"jira": NOW - timedelta(minutes=12)},
                              unmatched_accounts=["a", "b", "c", "d"],
                              short_of_data=["Median ticket resolution time"],
                              uncovered=["github"], unmatched_exclusions=1)
    assert short.text == (
        "Data: Jira synced 12 min ago; 4 unmatched accounts (a, b, c and 1 more); 0 "
        "quarantined records; 1 goal short of data (Median ticket resolution time); GitHub "
        "not synced back to the start of every window; 1 exclusion naming no stored record.")
    assert short.warning
    fresh = data_quality_line(now=NOW, synced={"jira": NOW - timedelta(seconds=5)},
                              unmatched_accounts=["x"], quarantined=4)
    assert "Jira synced just now" in fresh.text and not fresh.warning


def test_a_plan_no_synced_source_serves_says_so_without_a_warning_of_its_own():
    # Ratings recorded in the app come from no synced source, and can be enough data.
    line = data_quality_line(now=NOW, synced={})
    assert line.text == ("Data: no synced source behind these goals; no unmatched accounts; 0 "
                         "quarantined records; all goals have enough data.")
    assert not line.warning


def test_why_a_plan_needs_attention_in_words():
    assert attention_reasons(short_of_data=0, uncovered=[], unacknowledged=False) == []
    assert attention_reasons(short_of_data=1, uncovered=[], unacknowledged=False) == [
        "not enough data for 1 goal"]
    assert attention_reasons(short_of_data=3, uncovered=["jira", "github"],
                             unacknowledged=True) == [
        "not enough data for 3 goals", "Jira and GitHub not synced back to a window's start",
        "acknowledgement pending"]
    assert attention_reasons(short_of_data=0, uncovered=["files"], unacknowledged=False) == [
        "files not synced back to a window's start"]


def test_sentences_do_not_mutate_their_input():
    goal = result(flags=("team_wide_shift", "window_not_covered:github"))
    exclusions = [Exclusion(**{"from": date(2026, 10, 5), "to": date(2026, 10, 9),
                               "reason": "Leave"})]
    before, excluded_before = copy.deepcopy(goal), copy.deepcopy(exclusions)
    goal_sentence(goal, exclusions=exclusions, synced_from={"github": date(2026, 6, 1)})
    assert goal == before and exclusions == excluded_before
    synced = {"jira": NOW}
    data_quality_line(now=NOW, synced=synced, unmatched_accounts=["a"])
    assert synced == {"jira": NOW}


def test_a_custom_sustain_rule_is_named():
    goal = result("partially_met", weeks_met=1, held=False)
    custom = replace(goal, goal=goal.goal.model_copy(update={"sustain": Sustain(weeks=6,
                                                                                required=5)}),
                     sustained=Sustained(1, 6, 5, False, ()))
    assert "held in only 1 of the last 6 weeks (5 needed)." in goal_sentence(custom)
