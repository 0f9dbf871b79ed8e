"""Goal status and plan outcome (DESIGN §5.7, §5.8): a recommendation; a person decides."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

__all__ = ["GoalStatus", "PlanOutcome", "goal_status", "plan_outcome"]

GoalStatus = Literal["met", "partially_met", "not_met", "insufficient_data"]
PlanOutcome = Literal[
    "successful_completion", "partial_improvement", "insufficient_improvement", "undetermined"
]


def goal_status(*, sufficient: bool, target_met: bool | None, held: bool,
                significant_improvement: bool) -> GoalStatus:
    """Too little data is never `not_met`. `partially_met`: the target is met but not sustained,
    or it is not met but the change is an improvement whose interval excludes zero."""
    if not sufficient or target_met is None:
        return "insufficient_data"
    if target_met:
        return "met" if held else "partially_met"
    return "partially_met" if significant_improvement else "not_met"


def plan_outcome(statuses: Iterable[GoalStatus]) -> PlanOutcome:
    """A goal that lacks data leaves the whole plan undetermined, whatever the others say."""
    statuses = list(statuses)
    if not statuses or "insufficient_data" in statuses:
        return "undetermined"
    if all(status == "met" for status in statuses):
        return "successful_completion"
    if any(status in ("met", "partially_met") for status in statuses):
        return "partial_improvement"
    return "insufficient_improvement"
