"""Plain-language evidence (UI.md "Sentences"): what a manager could read aloud beside a goal,
and one data-quality line per plan. Pure functions of results and plain inputs: the caller
hands in `now`, so nothing here reads a clock.

Numbers follow the metric's unit (`evaluate.metrics.Quantity`); a relative change and its
interval read as percentages of the baseline, "positive means better" turned into "better"
and "worse" so no one has to remember which way a duration should move.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import NamedTuple, cast

from config.plans import Exclusion, Target
from evaluate.compare import is_sufficient, target_value
from evaluate.history import MetricHistory
from evaluate.metrics import Quantity, Statistic, metric_spec, quantity
from evaluate.outcome import GoalStatus, PlanOutcome
from evaluate.results import GoalEvaluation

__all__ = [
    "MINUS",
    "NOT_COVERED",
    "OUTCOME_WORDS",
    "STATUS_WORDS",
    "DataQuality",
    "ago",
    "attention_reasons",
    "data_quality_line",
    "day_range",
    "flag_words",
    "goal_sentence",
    "goal_title",
    "history_sentence",
    "outcome_word",
    "source_name",
    "status_word",
]

STATUS_WORDS: Mapping[GoalStatus, str] = {
    "met": "Met",
    "partially_met": "Partly met",
    "not_met": "Not met",
    "insufficient_data": "Not enough data",
}
OUTCOME_WORDS: Mapping[PlanOutcome | str, str] = {
    "successful_completion": "Successful completion",
    "partial_improvement": "Partial improvement",
    "insufficient_improvement": "Insufficient improvement",
    "undetermined": "Not yet determined",
    "extended": "Extended",  # a decision, never a recommendation
}
SOURCE_NAMES = {"jira": "Jira", "github": "GitHub", "pagerduty": "PagerDuty",
                "prometheus": "Prometheus", "csv": "CSV"}
FLAG_WORDS = {
    "baseline_insufficient": "Too few events in the baseline window for a fair comparison.",
    "current_insufficient": "Too few events in the plan period so far for a fair comparison.",
    "no_team_context": "No one else in the team has enough data over the same weeks to "
                       "compare with.",
    "team_wide_shift": "The whole team moved the same way by a similar amount over the same "
                       "weeks, so the change may not be the person's own.",
    "unmatched_exclusions": "An exclusion names a record that is not stored, so it left "
                            "nothing out.",
}
MINUS = "\u2212"  # a typographic minus: "−12%" reads as a number, "-12%" as a dash
NOT_COVERED = "window_not_covered"


def status_word(status: GoalStatus) -> str:
    """The badge's word: colour never carries a status alone."""
    return STATUS_WORDS[status]


def outcome_word(outcome: str) -> str:
    """A recommended or decided outcome in words; an unknown one as it is spelt, de-underscored."""
    return OUTCOME_WORDS.get(outcome, outcome.replace("_", " ").capitalize())


def goal_title(metric: str, statistic: str | None = None) -> str:
    """A goal or metric as people name it ("Median ticket resolution time"), by default with
    the metric's own statistic: headings and tables use the words, the metric id stays in the
    JSON. A metric the catalog no longer has keeps its id."""
    try:
        return quantity(metric, cast(Statistic, statistic or metric_spec(metric).statistic)).title
    except KeyError:
        return metric


def source_name(name: str) -> str:
    """A source as people spell it ("GitHub"); a name sources.yaml made up stays as it is."""
    return SOURCE_NAMES.get(name.lower(), name)


def flag_words(flag: str) -> str:
    """A flag of the evaluation (`GoalEvaluation.flags`) explained in plain words.
    `window_not_covered:SOURCE` names the source whose synced data starts inside a window."""
    name, _, source = flag.partition(":")
    if name == NOT_COVERED:
        who = f"{source_name(source)} data" if source else "The data"
        return (f"{who} does not reach back to the start of a window, so that window may be "
                "incomplete.")
    return FLAG_WORDS.get(flag, flag.replace("_", " ").capitalize() + ".")


# Goal sentences ---------------------------------------------------------------------------------


def goal_sentence(goal: GoalEvaluation, *, exclusions: Sequence[Exclusion] = (),
                  synced_from: Mapping[str, date] | None = None) -> str:
    """One sentence (a few short ones) a manager could read aloud, for any status.

    `exclusions`: the plan's; date ranges touching the goal's windows are named with their
    dates. `synced_from`: the first synced day per source, to date a `window_not_covered`
    flag; without it the baseline's start is named instead."""
    words = quantity(goal.metric, goal.statistic)
    verdict = _VERDICTS[goal.status](goal, words)
    clauses = [
        verdict,
        _team_shift(goal),
        _excluded(goal, exclusions),
        *_uncovered(goal, synced_from or {}),
    ]
    return " ".join(clause for clause in clauses if clause)


def _met(goal: GoalEvaluation, words: Quantity) -> str:
    held = goal.sustained
    return " ".join(filter(None, [
        f"{_movement(goal, words)}.",
        f"The {_target(goal, words)} held in {held.weeks_met} of the last "
        f"{held.weeks} weeks.",
        _team_change(goal),
    ]))


def _partly_met(goal: GoalEvaluation, words: Quantity) -> str:
    if goal.target_met:
        return _not_sustained(goal, words)
    return (f"{words.title} improved from {_value(goal, 'baseline', words)} to "
            f"{_value(goal, 'current', words)}, {_relative(goal)} ({_interval(goal, '')}), "
            f"but has not reached the {_target(goal, words)}.")


def _not_sustained(goal: GoalEvaluation, words: Quantity) -> str:
    held = goal.sustained
    overall = (f"{words.title} meets the {_target(goal, words)} overall at "
               f"{_value(goal, 'current', words)}")
    if held.weeks_met >= held.required:
        return f"{overall}, but not in the latest week, which must hold too."
    return (f"{overall}, but held in only {held.weeks_met} of the last {held.weeks} weeks "
            f"({held.required} needed).")


def _not_met(goal: GoalEvaluation, words: Quantity) -> str:
    change = goal.change
    interval = change.interval
    if interval is not None and interval[1] < 0:
        reading = "a clear change for the worse"
    else:
        reading = "no clear change"
    measured = (f"{words.title} went from {_format(words, goal.baseline.value)} to "
                f"{_format(words, goal.current.value)}")
    if _relative_interval(goal) is not None:
        measured += f" ({_interval(goal, '')})"
    return f"{measured}: {reading}; the target is {_target(goal, words, article=False)}."


def _insufficient(goal: GoalEvaluation, words: Quantity) -> str:
    if goal.current_span.days == 0:
        return "The plan period has not started yet: no verdict yet."
    short = [(name, m) for name, m in (("the baseline window", goal.baseline),
                                       ("the plan period so far", goal.current))
             if not is_sufficient(m, goal.statistic, goal.goal)]
    if not short:
        return "There is not enough data for a verdict yet."
    if goal.statistic in ("per_week", "count"):
        need = (f"{goal.goal.min_weeks} needed" if goal.statistic == "per_week"
                else "some needed")
        weeks = " and ".join(f"{name} has {m.active_weeks:.1f} active weeks" for name, m in short)
        return f"{weeks[0].upper()}{weeks[1:]} ({need} for a fair comparison): no verdict yet."
    (name, first), rest = short[0], short[1:]
    were = "was" if first.n == 1 else "were"
    more = "".join(f" and {m.n} in {other}" for other, m in rest)
    each = " in each" if rest else ""
    return (f"Only {words.count(first.n)} {were} {words.event} in {name}{more} "
            f"({goal.goal.min_samples} needed{each} for a fair comparison): no verdict yet.")


_VERDICTS = {
    "met": _met,
    "partially_met": _partly_met,
    "not_met": _not_met,
    "insufficient_data": _insufficient,
}


def _value(goal: GoalEvaluation, window: str, words: Quantity) -> str:
    """"41.5 h (37 tickets)"."""
    measurement = goal.baseline if window == "baseline" else goal.current
    return f"{_format(words, measurement.value)} ({words.count(measurement.n)})"


def _format(words: Quantity, value: float | None, *, compact: bool = False) -> str:
    return "no value" if value is None else words.format(value, compact=compact)


def _movement(goal: GoalEvaluation, words: Quantity) -> str:
    """"Median … fell from 41.5 h (37 tickets) to 22.0 h (29 tickets), 47% better (95% …)"."""
    base, now = goal.baseline.value, goal.current.value
    verb = "fell" if (now or 0) < (base or 0) else "rose" if (now or 0) > (base or 0) else "held"
    text = (f"{words.title} {verb} from {_value(goal, 'baseline', words)} to "
            f"{_value(goal, 'current', words)}")
    if goal.change.relative is None:
        return text
    text += f", {_relative(goal)}"
    return text + (f" ({_interval(goal, '95% ')})" if _relative_interval(goal) else "")


def _relative(goal: GoalEvaluation) -> str:
    relative = goal.change.relative or 0.0
    if round(relative * 100) == 0:
        return "about the same"
    return f"{abs(relative) * 100:.0f}% {'better' if relative > 0 else 'worse'}"


def _relative_interval(goal: GoalEvaluation) -> tuple[float, float] | None:
    """The change's interval as percentages of the baseline (positive means better).

    The interval is the bootstrap's for the absolute change, which resamples the baseline too,
    so an end can pass what the point baseline allows. Every metric is a non-negative quantity:
    one where lower is better cannot improve by more than 100%, nor one where higher is better
    worsen by more; an end beyond that is cut there rather than read aloud as "141% better"."""
    interval, base = goal.change.interval, goal.baseline.value
    if interval is None or not base:
        return None
    lower, upper = (bound / abs(base) * 100 for bound in interval)
    if goal.better == "lower":
        return min(lower, 100.0), min(upper, 100.0)
    return max(lower, -100.0), max(upper, -100.0)


def _interval(goal: GoalEvaluation, prefix: str) -> str:
    """"95% interval 20–66%" when both ends are better, "interval −12% to +3%" otherwise."""
    bounds = _relative_interval(goal)
    if bounds is None:
        return "no interval"
    lower, upper = (round(bound) for bound in bounds)
    if lower >= 0:
        return f"{prefix}interval {lower}–{upper}%"
    return f"{prefix}interval {_signed(lower)} to {_signed(upper)}"


def _signed(percent: int) -> str:
    return f"{MINUS}{-percent}%" if percent < 0 else f"+{percent}%"


def _target(goal: GoalEvaluation, words: Quantity, *, article: bool = True) -> str:
    """"24 h target" or "20% improvement target (33.2 h)", as in "the … held"; without
    `article`, what "the target is …" needs: "24 h", "a 20% improvement (33.2 h)"."""
    target: Target = goal.goal.target
    if target.improve_by is None:
        limit = target.at_most if target.at_most is not None else target.at_least
        value = _format(words, limit, compact=True)
        return f"{value} target" if article else value
    implied = target_value(target, goal.baseline.value, goal.better)
    value = f" ({_format(words, implied)})" if implied is not None else ""
    improvement = f"{target.improve_by * 100:.0f}% improvement"
    return f"{improvement} target{value}" if article else f"a {improvement}{value}"


def _team_change(goal: GoalEvaluation) -> str:
    team = goal.team
    if team is None or not team.sufficient or team.change.relative is None:
        return ""
    relative = team.change.relative
    if round(relative * 100) == 0:
        return "The team held steady over the same weeks."
    way = "improved" if relative > 0 else "got worse by"
    return f"The team {way} {abs(relative) * 100:.0f}% over the same weeks."


def _team_shift(goal: GoalEvaluation) -> str:
    if "team_wide_shift" not in goal.flags:
        return ""
    return ("The whole team moved the same way by a similar amount, so this change may not be "
            "the person's own.")


def _excluded(goal: GoalEvaluation, exclusions: Sequence[Exclusion]) -> str:
    """Date ranges that touch the goal's windows, then the named records it left out."""
    windows = (goal.baseline_span, goal.current_span)
    ranges = [
        f"{e.reason} on {day_range(e.from_, e.to)}" for e in exclusions
        if e.from_ is not None and e.to is not None
        and any(w.days and e.from_ <= w.end and e.to >= w.start for w in windows)
    ]
    named = {e.record: e.reason for e in exclusions if e.record is not None}
    records = [f"{key} ({reason})" for key, reason in goal.excluded if key in named]
    parts = []
    if ranges:
        parts.append(f"{_and(ranges)} {'is' if len(ranges) == 1 else 'are'} excluded.")
    if records:
        parts.append(f"Also left out: {_and(records)}.")
    return " ".join(parts)


def _uncovered(goal: GoalEvaluation, synced_from: Mapping[str, date]) -> list[str]:
    out = []
    for flag in goal.flags:
        name, _, source = flag.partition(":")
        if name != NOT_COVERED:
            continue
        who = f"{source_name(source)} data" if source else "Some data"
        first = synced_from.get(source)
        if first is not None:
            out.append(f"{who} before {_day(first)} is not synced, so the baseline may be "
                       "incomplete.")
        else:
            out.append(f"{who} is not synced back to {_day(goal.baseline_span.start)}, so the "
                       "baseline may be incomplete.")
    return out


def history_sentence(history: MetricHistory) -> str:
    """A person's chart in words, its text alternative: "Median ticket resolution time over
    the last 26 weeks: 41 tickets resolved. Latest measured week (9–15 Nov): 22.0 h
    (5 tickets); the rest of the team 18.0 h." """
    spec, weeks = history.spec, history.weekly
    words = quantity(spec.name, spec.statistic)
    head = f"{words.title} over the last {len(weeks)} weeks"
    measured = [(w, w.value) for w in weeks if w.value is not None and w.enough]
    if not measured:
        return f"{head}: no week with enough {words.records} to show a value."
    counted = "" if spec.point_in_time else f": {words.count(history.events)} {words.event}"
    week, value = measured[-1]
    team = "" if week.team_value is None else (
        f"; the rest of the team {words.format(week.team_value)}")
    n = "" if spec.point_in_time else f" ({words.count(week.n)})"
    return (f"{head}{counted}. Latest measured week ({day_range(week.start, week.end)}): "
            f"{words.format(value)}{n}{team}.")


def _day(day: date) -> str:
    return f"{day.day} {day:%b}"


def day_range(first: date, last: date) -> str:
    """"5 Oct", "5–9 Oct", "28 Sep – 2 Oct"."""
    if first == last:
        return _day(first)
    if (first.year, first.month) == (last.year, last.month):
        return f"{first.day}–{_day(last)}"
    return f"{_day(first)} – {_day(last)}"


def _and(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


# The data-quality line --------------------------------------------------------------------------


class DataQuality(NamedTuple):
    """The line under a plan's header, and whether it is shown as a warning: only when
    something weakens a verdict (a stale or never-synced source, a goal short of data, an
    uncovered window, an exclusion that matched nothing). Unmatched accounts are named but do
    not warn by themselves: nothing says whose records they hold (they are listed, never
    guessed), most belong to people who left or to service accounts, and a warning every plan
    carries for good would teach readers to ignore it. Where they cost this plan evidence, the
    goal falls short of data or the person's change looks off, and those warn."""

    text: str
    warning: bool


def data_quality_line(*, now: datetime, synced: Mapping[str, datetime | None],
                      unmatched_accounts: Sequence[str] = (), quarantined: int = 0,
                      short_of_data: Sequence[str] = (),
                      stale_after: Mapping[str, timedelta] | None = None,
                      uncovered: Sequence[str] = (), unmatched_exclusions: int = 0
                      ) -> DataQuality:
    """"Data: Jira synced 2 h ago, GitHub 3 h ago; 1 unmatched account (jdoe-old); 0
    quarantined records; all goals have enough data."

    `synced`: the last successful sync (None: never) of each source the goals draw on (none:
    a plan reading only what is recorded in the app, or one no source serves); `stale_after`:
    per source, the age past which it is stale (the overview uses twice its schedule);
    `unmatched_accounts`: on records of the kinds the goals read; `short_of_data`: the goals
    (in words) without enough data; `uncovered`: sources that do not reach back to a
    window's start."""
    limits = stale_after or {}
    stale = [name for name, at in synced.items()
             if at is None or (name in limits and now - at > limits[name])]
    parts = [
        ", ".join(_synced(name, at, now, stale=name in stale, first=i == 0)
                  for i, (name, at) in enumerate(synced.items()))
        or "no synced source behind these goals",
        _accounts(unmatched_accounts),
        f"{_count(quarantined, 'quarantined record')}",
        _goals(short_of_data),
    ]
    if uncovered:
        parts.append(f"{_and([source_name(s) for s in uncovered])} not synced back to the "
                     "start of every window")
    if unmatched_exclusions:
        parts.append(f"{_count(unmatched_exclusions, 'exclusion')} naming no stored record")
    warning = bool(stale or short_of_data or uncovered or unmatched_exclusions)
    return DataQuality(f"Data: {'; '.join(parts)}.", warning)


def attention_reasons(*, short_of_data: int, uncovered: Sequence[str], unacknowledged: bool
                      ) -> list[str]:
    """Why the overview says a plan needs attention, in words ("not enough data for 1 goal",
    "Jira not synced back to a window's start", "acknowledgement pending"); none: it does
    not. A verdict that cannot be given yet comes first, then one that may rest on part of a
    window, then a version the employee has not acknowledged."""
    reasons = []
    if short_of_data:
        reasons.append(f"not enough data for {_count(short_of_data, 'goal')}")
    if uncovered:
        reasons.append(f"{_and([source_name(s) for s in uncovered])} not synced back to a "
                       "window's start")
    if unacknowledged:
        reasons.append("acknowledgement pending")
    return reasons


def _synced(name: str, at: datetime | None, now: datetime, *, stale: bool, first: bool
            ) -> str:
    """"Jira synced 2 h ago", then "GitHub 3 h ago": the verb is said once."""
    if at is None:
        return f"{source_name(name)} never synced"
    text = f"{source_name(name)}{' synced' if first else ''} {ago(now - at)}"
    return f"{text} (stale)" if stale else text


def ago(age: timedelta) -> str:
    """"just now", "12 min ago", "2 h ago", "3 days ago"."""
    minutes = age.total_seconds() / 60
    if minutes < 1:
        return "just now"
    if minutes < 60:
        return f"{minutes:.0f} min ago"
    if minutes < 48 * 60:
        return f"{minutes / 60:.0f} h ago"
    return f"{minutes / (24 * 60):.0f} days ago"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _accounts(names: Sequence[str], shown: int = 3) -> str:
    if not names:
        return "no unmatched accounts"
    listed = ", ".join(names[:shown])
    more = f" and {len(names) - shown} more" if len(names) > shown else ""
    return f"{_count(len(names), 'unmatched account')} ({listed}{more})"


def _goals(short: Sequence[str]) -> str:
    if not short:
        return "all goals have enough data"
    return f"{_count(len(short), 'goal')} short of data ({', '.join(short)})"
