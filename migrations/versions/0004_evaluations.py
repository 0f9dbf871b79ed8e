"""stored evaluations

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06 04:10:00

The latest evaluation of each plan, so pages and exports read one row instead of computing.
"""

import sqlalchemy as sa
from alembic import op

import ingest.store

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "evaluations",
        sa.Column("plan_id", sa.String(length=255), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("computed_at", ingest.store.UTCDateTime(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("plan_id"),
    )


def downgrade() -> None:
    op.drop_table("evaluations")
