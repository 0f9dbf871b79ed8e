"""erasures

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-08 10:00:00

What `trackrecord forget` erased: when, and how many rows per table, without personal data.
"""

import sqlalchemy as sa
from alembic import op

import ingest.store

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "erasures",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", ingest.store.UTCDateTime(), nullable=False),
        sa.Column("rows", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("erasures")
