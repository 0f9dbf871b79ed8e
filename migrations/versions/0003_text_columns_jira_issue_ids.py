"""text columns, jira issue ids

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30 01:07:45.644083

Record text columns become TEXT: a source decides how long a status name or a branch is, and
PostgreSQL refused anything over VARCHAR(255). Tickets gain Jira's issue id, which survives a move
to another project, and an index to find the row a moved issue left under its old key. On
PostgreSQL VARCHAR → TEXT rewrites nothing; SQLite copies each table once (batch mode).
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# What 0001 and 0002 created as VARCHAR(255), by table.
WIDENED = {
    "deployments": (
        "source", "deployment_id", "repo", "environment", "sha", "creator_account", "state",
    ),
    "incidents": ("source", "incident_id", "service", "urgency", "assignee_account"),
    "pull_requests": ("source", "repo", "author_account", "author_email", "base_branch"),
    "quarantine": ("record_key",),
    "ratings": ("source", "rating_id", "person", "name", "author"),
    "review_requests": ("source", "repo", "reviewer_account"),
    "reviews": ("source", "review_id", "repo", "reviewer_account", "state"),
    "samples": ("source", "metric", "owner"),
    "ticket_changes": (
        "source", "ticket_key", "change_id", "field", "from_value", "to_value", "from_name",
        "to_name", "author_account",
    ),
    "tickets": (
        "source", "ticket_key", "project", "issue_type", "status", "status_category",
        "assignee_account", "assignee_email", "reporter_account", "priority",
    ),
}  # fmt: skip


def upgrade() -> None:
    for table, columns in WIDENED.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in columns:
                batch_op.alter_column(column, existing_type=sa.String(255), type_=sa.Text())
            if table == "tickets":
                batch_op.add_column(sa.Column("issue_id", sa.Text(), nullable=True))
                batch_op.create_index("ix_tickets_issue_id", ["source", "issue_id"], unique=False)


def downgrade() -> None:
    # Fails on PostgreSQL if a value grew past 255 characters meanwhile: shorten it first.
    for table, columns in WIDENED.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            if table == "tickets":
                batch_op.drop_index("ix_tickets_issue_id")
                batch_op.drop_column("issue_id")
            for column in columns:
                batch_op.alter_column(column, existing_type=sa.Text(), type_=sa.String(255))
