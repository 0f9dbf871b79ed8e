"""The words every export uses for statuses, outcomes and targets (UI.md: words beside colours,
and "recommended — a person decides")."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = [
    "OUTCOME_WORDS",
    "STATUS_WORDS",
    "goal_summary",
    "outcome_words",
    "status_word",
    "target_words",
]

STATUS_WORDS = {
    "met": "Met",
    "partially_met": "Partly met",
    "not_met": "Not met",
    "insufficient_data": "Not enough data",
}
OUTCOME_WORDS = {
    "successful_completion": "Successful completion",
    "partial_improvement": "Partial improvement",
    "insufficient_improvement": "Insufficient improvement",
    "undetermined": "Undetermined",
    "extended": "Extended",
}


def status_word(status: str | None) -> str:
    return STATUS_WORDS.get(status or "", status or "—")


def outcome_words(outcome: str | None) -> str:
    return OUTCOME_WORDS.get(outcome or "", outcome or "—")


def target_words(target: Mapping[str, Any], unit: str) -> str:
    """`{"at_most": 24}` in hours → "at most 24 hours"; improve_by is relative, unitless."""
    name, value = next(iter(target.items()))
    if name == "improve_by":
        return f"improve by {value:.0%}"
    return f"{name.replace('_', ' ')} {value:g} {unit}"


def goal_summary(goal: Mapping[str, Any]) -> str:
    """A goal's numbers in one plain line: the sentence until `evaluate.sentences` supplies
    the worded one (see `dashboards.exports.PROVIDERS`)."""
    base, now = goal["baseline"], goal["current"]
    return (f"{goal['statistic'].replace('_', ' ').capitalize()} {goal['metric']}: "
            f"{_number(base['value'])} ({base['n']} events) in the baseline, "
            f"{_number(now['value'])} ({now['n']} events) in the plan so far, in {goal['unit']}; "
            f"{status_word(goal['status']).lower()}.")


def _number(value: float | None) -> str:
    return "no value" if value is None else f"{value:g}"
