"""sync coverage

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-08 09:00:00

Where each stream's first sync began reading, so a plan window starting earlier is flagged.
"""

import sqlalchemy as sa
from alembic import op

import ingest.store

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sync_coverage",
        sa.Column("source", sa.String(length=255), nullable=False),
        sa.Column("stream", sa.String(length=64), nullable=False),
        sa.Column("kinds", sa.JSON(), nullable=False),
        sa.Column("covered_from", ingest.store.UTCDateTime(), nullable=True),
        sa.Column("recorded", ingest.store.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("source", "stream"),
    )


def downgrade() -> None:
    op.drop_table("sync_coverage")
