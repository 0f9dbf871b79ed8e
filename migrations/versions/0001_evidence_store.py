"""evidence store

Revision ID: 0001
Revises:
Create Date: 2026-11-25 10:45:12.235554
"""

import sqlalchemy as sa
from alembic import op

import ingest.store

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "accounts",
        sa.Column("tool", sa.String(length=64), nullable=False),
        sa.Column("account", sa.String(length=255), nullable=False),
        sa.Column("person_id", sa.String(length=255), nullable=False),
        sa.PrimaryKeyConstraint("tool", "account"),
    )
    op.create_table(
        "deployments",
        sa.Column("source", sa.String(length=255), nullable=False),
        sa.Column("deployment_id", sa.String(length=255), nullable=False),
        sa.Column("repo", sa.String(length=255), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("environment", sa.String(length=255), nullable=False),
        sa.Column("sha", sa.String(length=255), nullable=False),
        sa.Column("creator_account", sa.String(length=255), nullable=True),
        sa.Column("created", ingest.store.UTCDateTime(), nullable=False),
        sa.Column("finished", ingest.store.UTCDateTime(), nullable=True),
        sa.Column("state", sa.String(length=255), nullable=False),
        sa.Column("updated", ingest.store.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("source", "deployment_id"),
    )
    op.create_table(
        "incidents",
        sa.Column("source", sa.String(length=255), nullable=False),
        sa.Column("incident_id", sa.String(length=255), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("service", sa.String(length=255), nullable=False),
        sa.Column("urgency", sa.String(length=255), nullable=False),
        sa.Column("assignee_account", sa.String(length=255), nullable=True),
        sa.Column("created", ingest.store.UTCDateTime(), nullable=False),
        sa.Column("acknowledged", ingest.store.UTCDateTime(), nullable=True),
        sa.Column("resolved", ingest.store.UTCDateTime(), nullable=True),
        sa.Column("updated", ingest.store.UTCDateTime(), nullable=False),
        sa.Column("assignees", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("source", "incident_id"),
    )
    op.create_table(
        "people",
        sa.Column("id", sa.String(length=255), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("email", sa.String(length=255), nullable=False),
        sa.Column("team", sa.String(length=255), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("manager", sa.String(length=255), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "pull_requests",
        sa.Column("source", sa.String(length=255), nullable=False),
        sa.Column("repo", sa.String(length=255), nullable=False),
        sa.Column("number", sa.BigInteger(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("author_account", sa.String(length=255), nullable=True),
        sa.Column("author_email", sa.String(length=255), nullable=True),
        sa.Column("created", ingest.store.UTCDateTime(), nullable=False),
        sa.Column("updated", ingest.store.UTCDateTime(), nullable=False),
        sa.Column("ready_for_review", ingest.store.UTCDateTime(), nullable=True),
        sa.Column("merged", ingest.store.UTCDateTime(), nullable=True),
        sa.Column("closed", ingest.store.UTCDateTime(), nullable=True),
        sa.Column("additions", sa.BigInteger(), nullable=False),
        sa.Column("deletions", sa.BigInteger(), nullable=False),
        sa.Column("base_branch", sa.String(length=255), nullable=False),
        sa.PrimaryKeyConstraint("source", "repo", "number"),
    )
    op.create_table(
        "quarantine",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=255), nullable=False),
        sa.Column("stream", sa.String(length=64), nullable=False),
        sa.Column("record_key", sa.String(length=255), nullable=True),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("at", ingest.store.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "review_requests",
        sa.Column("source", sa.String(length=255), nullable=False),
        sa.Column("repo", sa.String(length=255), nullable=False),
        sa.Column("number", sa.BigInteger(), nullable=False),
        sa.Column("reviewer_account", sa.String(length=255), nullable=False),
        sa.Column("at", ingest.store.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("source", "repo", "number", "reviewer_account", "at"),
    )
    op.create_table(
        "reviews",
        sa.Column("source", sa.String(length=255), nullable=False),
        sa.Column("review_id", sa.String(length=255), nullable=False),
        sa.Column("repo", sa.String(length=255), nullable=False),
        sa.Column("number", sa.BigInteger(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("reviewer_account", sa.String(length=255), nullable=True),
        sa.Column("state", sa.String(length=255), nullable=False),
        sa.Column("submitted", ingest.store.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("source", "review_id"),
    )
    op.create_table(
        "samples",
        sa.Column("source", sa.String(length=255), nullable=False),
        sa.Column("series", sa.Text(), nullable=False),
        sa.Column("metric", sa.String(length=255), nullable=False),
        sa.Column("owner", sa.String(length=255), nullable=False),
        sa.Column("at", ingest.store.UTCDateTime(), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("source", "series", "at"),
    )
    op.create_table(
        "sync_runs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("source", sa.String(length=255), nullable=False),
        sa.Column("stream", sa.String(length=64), nullable=False),
        sa.Column("started", ingest.store.UTCDateTime(), nullable=False),
        sa.Column("finished", ingest.store.UTCDateTime(), nullable=True),
        sa.Column("records", sa.Integer(), nullable=False),
        sa.Column("requests", sa.Integer(), nullable=False),
        sa.Column("quarantined", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "sync_state",
        sa.Column("source", sa.String(length=255), nullable=False),
        sa.Column("stream", sa.String(length=64), nullable=False),
        sa.Column("cursor", sa.Text(), nullable=True),
        sa.Column("updated_at", ingest.store.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("source", "stream"),
    )
    op.create_table(
        "ticket_changes",
        sa.Column("source", sa.String(length=255), nullable=False),
        sa.Column("ticket_key", sa.String(length=255), nullable=False),
        sa.Column("change_id", sa.String(length=255), nullable=False),
        sa.Column("at", ingest.store.UTCDateTime(), nullable=False),
        sa.Column("field", sa.String(length=255), nullable=False),
        sa.Column("from_value", sa.String(length=255), nullable=True),
        sa.Column("to_value", sa.String(length=255), nullable=True),
        sa.Column("from_name", sa.String(length=255), nullable=True),
        sa.Column("to_name", sa.String(length=255), nullable=True),
        sa.Column("author_account", sa.String(length=255), nullable=True),
        sa.PrimaryKeyConstraint("source", "ticket_key", "change_id"),
    )
    op.create_table(
        "tickets",
        sa.Column("source", sa.String(length=255), nullable=False),
        sa.Column("ticket_key", sa.String(length=255), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("project", sa.String(length=255), nullable=False),
        sa.Column("issue_type", sa.String(length=255), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=255), nullable=False),
        sa.Column("status_category", sa.String(length=255), nullable=False),
        sa.Column("assignee_account", sa.String(length=255), nullable=True),
        sa.Column("assignee_email", sa.String(length=255), nullable=True),
        sa.Column("reporter_account", sa.String(length=255), nullable=True),
        sa.Column("created", ingest.store.UTCDateTime(), nullable=False),
        sa.Column("updated", ingest.store.UTCDateTime(), nullable=False),
        sa.Column("resolved", ingest.store.UTCDateTime(), nullable=True),
        sa.Column("due", sa.Date(), nullable=True),
        sa.Column("priority", sa.String(length=255), nullable=True),
        sa.PrimaryKeyConstraint("source", "ticket_key"),
    )


def downgrade() -> None:

    op.drop_table("tickets")
    op.drop_table("ticket_changes")
    op.drop_table("sync_state")
    op.drop_table("sync_runs")
    op.drop_table("samples")
    op.drop_table("reviews")
    op.drop_table("review_requests")
    op.drop_table("quarantine")
    op.drop_table("pull_requests")
    op.drop_table("people")
    op.drop_table("incidents")
    op.drop_table("deployments")
    op.drop_table("accounts")
