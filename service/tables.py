"""The case-file tables: what people decided and recorded about a plan, beside the evidence.

They share the evidence store's metadata, so one Alembic stream creates and upgrades both.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from ingest.store import UTCDateTime, metadata

__all__ = [
    "acknowledgements", "api_tokens", "audit_log", "decisions", "erasures",
    "evaluation_summaries", "evaluations",
    "job_runs", "notes", "plan_versions", "snapshots", "unmatched_accounts", "users",
]

plan_versions = Table(
    "plan_versions",
    metadata,
    Column("plan_id", String(255), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("content", JSON, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("created", UTCDateTime, nullable=False),
)

decisions = Table(
    "decisions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("plan_id", String(255), nullable=False),
    Column("version", Integer, nullable=False),
    Column("recommended", String(64), nullable=False),
    Column("outcome", String(64), nullable=False),
    Column("decided_by", String(255), nullable=False),
    Column("decided_at", UTCDateTime, nullable=False),
    Column("reason", Text, nullable=False),
    # The evaluation the decision was made against (null for decisions recorded before 0008).
    Column("evaluation_as_of", Date, nullable=True),
    Column("evaluation_computed_at", UTCDateTime, nullable=True),
)

# The latest evaluation of each plan, so a page or an export reads one row and never computes.
evaluations = Table(
    "evaluations",
    metadata,
    Column("plan_id", String(255), primary_key=True),
    Column("version", Integer, nullable=False),
    Column("as_of", Date, nullable=False),
    Column("computed_at", UTCDateTime, nullable=False),
    Column("payload", JSON, nullable=False),  # the object `evaluate --json` prints
    # What the evaluation read (plan version, the people's evidence): equal digests, same result.
    Column("evidence_digest", String(64), nullable=True),
    # Per goal, its trend chart and sparkline (plotly figure JSON), drawn when stored.
    Column("charts", JSON, nullable=True),
    Column("sparklines", JSON, nullable=True),
)

# Beside each stored evaluation, what the overview sorts and filters every plan in scope by
# (service.stored.Summary): a narrow table, so reading a thousand never steps over payloads.
evaluation_summaries = Table(
    "evaluation_summaries",
    metadata,
    Column("plan_id", String(255), primary_key=True),
    Column("outcome", String(64), nullable=False),
    Column("goals_met", Integer, nullable=False),
    Column("short_of_data", Integer, nullable=False),  # goals with insufficient data
    Column("uncovered", JSON, nullable=False),  # sources not synced back to a window's start
)

# Accounts on stored records that match nobody in people.yaml, per record kind: found while a
# refresh of the stored evaluations has the evidence loaded (each refresh replaces the rows of
# the kinds it loaded), so a plan page and the sync page list them without loading it again.
unmatched_accounts = Table(
    "unmatched_accounts",
    metadata,
    Column("kind", String(64), primary_key=True),
    Column("source", String(255), primary_key=True),
    Column("account", Text, primary_key=True),  # as the source wrote it: any length
    Column("email", Text, nullable=True),
    Column("records", Integer, nullable=False),
)

# Append-only: a row is never updated. Each plan's rows form a hash chain (evaluate.snapshots);
# the payload is the canonical JSON text itself, so the bytes hashed are the bytes stored.
snapshots = Table(
    "snapshots",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("plan_id", String(255), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("taken_at", UTCDateTime, nullable=False),
    Column("as_of", Date, nullable=False),
    Column("kind", String(16), nullable=False),  # manual | scheduled | checkpoint
    Column("payload", Text, nullable=False),
    Column("previous_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    UniqueConstraint("plan_id", "seq", name="uq_snapshots_plan_seq"),  # a chain never forks
)

# One row per scheduled job run; the unique trigger time lets one replica claim each run.
job_runs = Table(
    "job_runs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("job", String(255), nullable=False),
    Column("scheduled_for", UTCDateTime, nullable=True),
    Column("started", UTCDateTime, nullable=False),
    Column("finished", UTCDateTime, nullable=True),
    Column("outcome", String(16), nullable=False),  # running | ok | error
    Column("error", Text, nullable=True),
    UniqueConstraint("job", "scheduled_for", name="uq_job_runs_job_scheduled_for"),
)

# Who may sign in to the web app. `epoch` goes up on a password change or a removal: a session
# remembers the epoch it began in, so either ends every session opened before it.
users = Table(
    "users",
    metadata,
    Column("name", String(255), primary_key=True),
    Column("role", String(16), nullable=False),  # admin | hr | manager | employee
    Column("person_id", String(255), nullable=True),  # required for manager and employee
    Column("password_hash", Text, nullable=False),  # argon2id, never the password
    Column("created", UTCDateTime, nullable=False),
    Column("disabled", Boolean, nullable=False, default=False),
    Column("epoch", Integer, nullable=False, default=0),
)

# What `forget` erased: when, and how many rows per table. Never a name, an id or an account.
erasures = Table(
    "erasures",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", UTCDateTime, nullable=False),
    Column("rows", JSON, nullable=False),  # table name → rows deleted or redacted
)

# The employee's acknowledgement of one version of their plan; a new version asks again.
acknowledgements = Table(
    "acknowledgements",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("plan_id", String(255), nullable=False),
    Column("version", Integer, nullable=False),
    Column("user_name", String(255), nullable=False),
    Column("person_id", String(255), nullable=True),
    Column("at", UTCDateTime, nullable=False),
    Column("comment", Text, nullable=False),
    UniqueConstraint("plan_id", "version", name="uq_acknowledgements_plan_version"),
)

# Notes and checkpoint outcomes written in the app by managers and HR.
notes = Table(
    "notes",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("plan_id", String(255), nullable=False),
    Column("checkpoint", Date, nullable=True),  # set: the outcome of the checkpoint that day
    Column("outcome", String(32), nullable=True),  # on_track | some_progress | off_track
    Column("text", Text, nullable=False),
    Column("author", String(255), nullable=False),  # the signed-in user name
    Column("at", UTCDateTime, nullable=False),
)

# Append-only, one hash chain over every row in `seq` order (evaluate.snapshots.chain_hash):
# the payload is the canonical JSON text of the entry, so the bytes hashed are the bytes stored.
audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("seq", Integer, nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("actor", String(255), nullable=False),
    Column("action", String(64), nullable=False),
    Column("plan_id", String(255), nullable=True),
    Column("person_id", String(255), nullable=True),
    Column("payload", Text, nullable=False),
    Column("previous_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    UniqueConstraint("seq", name="uq_audit_log_seq"),  # the chain never forks
)
# The sign-in limit reads the last minutes of sign-ins from the log on every attempt.
Index("ix_audit_log_action_at", audit_log.c.action, audit_log.c.at)

# API bearer tokens: only their sha256 is kept; the token is printed once.
api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_name", String(255), nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("created", UTCDateTime, nullable=False),
    Column("revoked", UTCDateTime, nullable=True),
    UniqueConstraint("sha256", name="uq_api_tokens_sha256"),
)
