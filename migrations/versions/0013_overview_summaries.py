"""overview summaries and unmatched accounts

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-12 09:00:00

Beside each stored evaluation, what the overview sorts and filters by (outcome so far, goals
met, goals short of data, sources not synced back to a window's start), filled in here for the
evaluations already stored; and the accounts matching nobody in people.yaml, per record kind,
which the next refresh of the stored evaluations fills.
"""

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

UNCOVERED = "window_not_covered:"


def upgrade() -> None:
    summaries = op.create_table(
        "evaluation_summaries",
        sa.Column("plan_id", sa.String(length=255), nullable=False),
        sa.Column("outcome", sa.String(length=64), nullable=False),
        sa.Column("goals_met", sa.Integer(), nullable=False),
        sa.Column("short_of_data", sa.Integer(), nullable=False),
        sa.Column("uncovered", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("plan_id"),
    )
    evaluations = sa.table("evaluations", sa.column("plan_id", sa.String()),
                           sa.column("payload", sa.JSON()))
    conn = op.get_bind()
    rows = conn.execute(sa.select(evaluations.c.plan_id, evaluations.c.payload)).all()
    if rows:
        conn.execute(sa.insert(summaries),
                     [{"plan_id": row.plan_id, **_summary(row.payload)} for row in rows])
    op.create_table(
        "unmatched_accounts",
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("source", sa.String(length=255), nullable=False),
        sa.Column("account", sa.Text(), nullable=False),
        sa.Column("email", sa.Text(), nullable=True),
        sa.Column("records", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("kind", "source", "account"),
    )


def _summary(payload: dict[str, Any]) -> dict[str, Any]:
    """As service.stored.summary computed it when this revision was written."""
    goals = payload["goals"]
    return {
        "outcome": payload["outcome"],
        "goals_met": sum(goal["status"] == "met" for goal in goals),
        "short_of_data": sum(goal["status"] == "insufficient_data" for goal in goals),
        "uncovered": sorted({flag.removeprefix(UNCOVERED) for goal in goals
                             for flag in goal.get("flags", []) if flag.startswith(UNCOVERED)}),
    }


def downgrade() -> None:
    op.drop_table("unmatched_accounts")
    op.drop_table("evaluation_summaries")
