"""The imperative shell: the one place configuration, store and evaluation core meet.

The command line, the web app and the scheduler call these functions and render what they
return; none of them builds streams, loads evidence or serializes an evaluation itself.
"""

from ingest.sources.csv import column_reference as csv_columns_reference
from ingest.sync import RunSummary
from service.audit import (
    AuditCheck,
    AuditEntry,
    audit,
    audit_entries,
    failed_sign_in,
    sign_in_refused,
    verify_audit,
)
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
from service.exports import Assessment, EvidenceItem, OrgRow, PlanExport, org_summary, plan_export
from service.privacy import Erasure, forget, person_data
from service.process import CHECKPOINT_OUTCOMES, acknowledge, add_note, may_record
from service.records import (
    RecordLink,
    evidence_records,
    has_evidence,
    records_by_key,
    stored_unmatched,
    unmatched,
)
from service.scheduler import SchedulerHandle, last_runs, start_background_scheduler
from service.snapshots import ChainCheck, Snapshot, snapshot, snapshots, verify_snapshots
from service.stored import (
    StoredEvaluation,
    refresh_changed,
    refresh_evaluations,
    stored_evaluation,
    stored_evaluations,
)
from service.syncing import SyncRun, quarantined, streams, sync, sync_runs
from service.tokens import issue_token, revoke_tokens, token_user
from service.users import (
    ROLES,
    Scope,
    User,
    add_user,
    authenticate,
    find_user,
    remove_user,
    scope_of,
    session_secret,
    set_password,
)
from service.views import (
    SORTS,
    landing,
    person_page,
    plan_evidence,
    plan_in_scope,
    plan_page,
    plans_in_scope,
    plans_overview,
)
from service.weekly_email import send_weekly_email, weekly_messages
from service.workspace import Workspace, open_workspace

__all__ = [  # noqa: RUF022 -- grouped: the record's use cases (issue 13) come first
    "CHECKPOINT_OUTCOMES", "AuditCheck", "AuditEntry", "acknowledge", "add_note", "audit",
    "audit_entries", "failed_sign_in", "issue_token", "may_record", "plan_evidence",
    "plan_in_scope", "plans_in_scope", "revoke_tokens", "sign_in_refused", "token_user",
    "verify_audit",
    "OUTCOMES",
    "ROLES",
    "SORTS",
    "Assessment",
    "ChainCheck",
    "Decision",
    "Erasure",
    "EvidenceItem",
    "EvidenceRow",
    "OrgRow",
    "PlanExport",
    "PlanReport",
    "PlanVersion",
    "RecordLink",
    "RunSummary",
    "SchedulerHandle",
    "Scope",
    "Snapshot",
    "StoredEvaluation",
    "SyncRun",
    "User",
    "Workspace",
    "add_user",
    "authenticate",
    "changes",
    "csv_columns_reference",
    "decide",
    "evaluate",
    "evaluate_many",
    "evidence_records",
    "find_user",
    "forget",
    "goal_evidence",
    "has_evidence",
    "landing",
    "last_runs",
    "open_workspace",
    "org_summary",
    "person_data",
    "person_page",
    "plan_export",
    "plan_history",
    "plan_page",
    "plans_overview",
    "quarantined",
    "rate",
    "records_by_key",
    "refresh_changed",
    "refresh_evaluations",
    "remove_user",
    "scope_of",
    "send_weekly_email",
    "session_secret",
    "set_password",
    "snapshot",
    "snapshots",
    "start_background_scheduler",
    "stored_evaluation",
    "stored_evaluations",
    "stored_unmatched",
    "streams",
    "suggest",
    "sync",
    "sync_runs",
    "today",
    "unmatched",
    "verify_snapshots",
    "weekly_messages",
]
