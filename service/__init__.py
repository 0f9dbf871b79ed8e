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
from service.records import evidence_records, unmatched
from service.scheduler import SchedulerHandle, last_runs, start_background_scheduler
from service.snapshots import ChainCheck, Snapshot, snapshot, snapshots, verify_snapshots
from service.stored import (
    StoredEvaluation,
    refresh_changed,
    refresh_evaluations,
    stored_evaluation,
    stored_evaluations,
)
from service.syncing import quarantined, streams, sync
from service.weekly_email import send_weekly_email, weekly_messages
from service.workspace import Workspace, open_workspace

__all__ = [
    "OUTCOMES",
    "ChainCheck",
    "Decision",
    "EvidenceRow",
    "PlanReport",
    "PlanVersion",
    "RunSummary",
    "SchedulerHandle",
    "Snapshot",
    "StoredEvaluation",
    "Workspace",
    "changes",
    "csv_columns_reference",
    "decide",
    "evaluate",
    "evaluate_many",
    "evidence_records",
    "goal_evidence",
    "last_runs",
    "open_workspace",
    "plan_history",
    "quarantined",
    "rate",
    "refresh_changed",
    "refresh_evaluations",
    "send_weekly_email",
    "snapshot",
    "snapshots",
    "start_background_scheduler",
    "stored_evaluation",
    "stored_evaluations",
    "streams",
    "suggest",
    "sync",
    "today",
    "unmatched",
    "verify_snapshots",
    "weekly_messages",
]
