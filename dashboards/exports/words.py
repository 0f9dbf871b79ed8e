"""The one fallback sentence of the exports: a stored evaluation from before sentences were
stored with each goal still exports in words."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dashboards.formatting import status_word
from evaluate.sentences import goal_title

__all__ = ["goal_summary"]


def goal_summary(goal: Mapping[str, Any]) -> str:
    """A goal's numbers in one plain line, for a stored goal that carries no sentence."""
    base, now = goal["baseline"], goal["current"]
    return (f"{goal_title(goal['metric'], goal['statistic'])}: "
            f"{_number(base['value'])} ({base['n']} events) in the baseline, "
            f"{_number(now['value'])} ({now['n']} events) in the plan so far, in {goal['unit']}; "
            f"{status_word(goal['status']).lower()}.")


def _number(value: float | None) -> str:
    return "no value" if value is None else f"{value:g}"
