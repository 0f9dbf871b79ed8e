"""What each metric counts, in words (DESIGN §3): the definitions a report files beside its
numbers, so a reader years later knows which event, whose, and which value each goal rests on.

Kept beside the catalog rather than in it: the catalog is what the evaluation runs; this is
what people read. A test checks that every catalog metric has its words.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from evaluate.metrics import metric_spec

__all__ = ["MetricDefinition", "metric_definition"]

# metric → (event, owner, value per event)
_WORDS: Mapping[str, tuple[str, str, str]] = {
    "ticket_resolution_hours": ("ticket resolved", "assignee at resolution",
                                "hours from created to resolved"),
    "ticket_cycle_hours": ("ticket resolved", "assignee at resolution",
                           "hours from first entry into an In Progress status to resolved"),
    "tickets_resolved": ("ticket resolved", "assignee at resolution", "1 per ticket"),
    "ticket_reopen_rate": ("ticket resolved", "assignee at resolution",
                           "1 when reopened after resolution, else 0"),
    "aged_open_tickets": ("open ticket at the window's end", "assignee",
                          "1 when open longer than the age limit (default 14 days)"),
    "due_date_adherence": ("ticket with a due date resolved", "assignee at resolution",
                           "1 when resolved by the due date, else 0"),
    "pr_lead_time_hours": ("pull request merged", "author", "hours from created to merged"),
    "pr_first_pass_approval_rate": ("pull request merged", "author",
                                    "1 when approved with no changes requested, else 0"),
    "pr_review_rounds": ("pull request merged", "author", "changes-requested reviews"),
    "review_turnaround_hours": ("review submitted", "reviewer",
                                "hours from review requested (or PR ready) to submitted"),
    "reviews_given": ("review submitted", "reviewer", "1 per review"),
    "deployments": ("deployment finished", "creator", "1 per deployment"),
    "deployment_success_rate": ("deployment finished", "creator", "1 when it succeeded, else 0"),
    "change_failure_rate": ("deployment finished", "creator",
                            "1 when failed, rolled back or followed by an incident on its "
                            "service within the incident window, else 0"),
    "incident_mttr_hours": ("incident resolved", "assignee", "hours from created to resolved"),
    "incident_mtta_minutes": ("incident acknowledged", "assignee",
                              "minutes from created to acknowledged"),
    "incidents_owned": ("incident created", "assignee", "1 per incident"),
    "error_rate": ("a day of the series' samples", "owner of the series", "the day's mean"),
    "availability": ("a day of an up-style series", "owner of the series",
                     "share of the day's samples that were up"),
}
_RATING = ("rating entered in trackrecord", "the person rated", "the rating, 1 to 5")


@dataclass(frozen=True)
class MetricDefinition:
    metric: str
    event: str
    owner: str
    value: str
    statistic: str  # the catalog's default; a goal may choose another
    better: str  # lower | higher | set by the goal
    unit: str


def metric_definition(metric: str) -> MetricDefinition:
    """The metric's definition in words; KeyError for a metric the catalog does not know."""
    spec = metric_spec(metric)
    event, owner, value = _RATING if metric.startswith("rating:") else _WORDS[metric]
    return MetricDefinition(metric, event, owner, value, spec.statistic,
                            spec.better or "set by the goal", spec.unit)
