"""The imperative shell: the one place configuration, store and evaluation core meet.

The command line, the web app and the scheduler call these functions and render what they
return; none of them builds streams, loads evidence or serializes an evaluation itself.
"""

from ingest.sources.csv import column_reference as csv_columns_reference
from ingest.sync import RunSummary
from service.casefile import OUTCOMES, Decision, PlanVersion, changes
from service.evaluations import (
    EvidenceRow,
    PlanReport,
    decide,
    evaluate,
    evaluate_many,
    goal_evidence,
    plan_history,
    rate,
    suggest,
    today,
)
from service.records import evidence_records, has_evidence, unmatched
from service.stored import (
    StoredEvaluation,
    refresh_evaluations,
    stored_evaluation,
    stored_evaluations,
)
from service.syncing import quarantined, streams, sync
from service.workspace import Workspace, open_workspace

__all__ = [
    "OUTCOMES",
    "Decision",
    "EvidenceRow",
    "PlanReport",
    "PlanVersion",
    "RunSummary",
    "StoredEvaluation",
    "Workspace",
    "changes",
    "csv_columns_reference",
    "decide",
    "evaluate",
    "evaluate_many",
    "evidence_records",
    "goal_evidence",
    "has_evidence",
    "open_workspace",
    "plan_history",
    "quarantined",
    "rate",
    "refresh_evaluations",
    "stored_evaluation",
    "stored_evaluations",
    "streams",
    "suggest",
    "sync",
    "today",
    "unmatched",
]
