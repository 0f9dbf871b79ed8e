"""plans ratings decisions

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 10:50:27.597759
"""

import sqlalchemy as sa
from alembic import op

import ingest.store

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "decisions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("plan_id", sa.String(length=255), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("recommended", sa.String(length=64), nullable=False),
        sa.Column("outcome", sa.String(length=64), nullable=False),
        sa.Column("decided_by", sa.String(length=255), nullable=False),
        sa.Column("decided_at", ingest.store.UTCDateTime(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "plan_versions",
        sa.Column("plan_id", sa.String(length=255), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("created", ingest.store.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("plan_id", "version"),
    )
    op.create_table(
        "ratings",
        sa.Column("source", sa.String(length=255), nullable=False),
        sa.Column("rating_id", sa.String(length=255), nullable=False),
        sa.Column("person", sa.String(length=255), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.Column("author", sa.String(length=255), nullable=False),
        sa.Column("at", ingest.store.UTCDateTime(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("source", "rating_id"),
    )


def downgrade() -> None:

    op.drop_table("ratings")
    op.drop_table("plan_versions")
    op.drop_table("decisions")
