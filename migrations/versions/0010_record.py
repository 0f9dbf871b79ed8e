"""a fair process on record

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-10 10:00:00

Acknowledgements of plan versions, notes and checkpoint outcomes, the hash-chained audit log,
API tokens (hashed), and the evaluation each decision was made against.
"""

import sqlalchemy as sa
from alembic import op

import ingest.store

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("decisions") as batch:
        batch.add_column(sa.Column("evaluation_as_of", sa.Date(), nullable=True))
        batch.add_column(sa.Column("evaluation_computed_at", ingest.store.UTCDateTime(),
                                   nullable=True))
    op.create_table(
        "acknowledgements",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("plan_id", sa.String(length=255), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("user_name", sa.String(length=255), nullable=False),
        sa.Column("person_id", sa.String(length=255), nullable=True),
        sa.Column("at", ingest.store.UTCDateTime(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("plan_id", "version", name="uq_acknowledgements_plan_version"),
    )
    op.create_table(
        "notes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("plan_id", sa.String(length=255), nullable=False),
        sa.Column("checkpoint", sa.Date(), nullable=True),
        sa.Column("outcome", sa.String(length=32), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("author", sa.String(length=255), nullable=False),
        sa.Column("at", ingest.store.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("at", ingest.store.UTCDateTime(), nullable=False),
        sa.Column("actor", sa.String(length=255), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("plan_id", sa.String(length=255), nullable=True),
        sa.Column("person_id", sa.String(length=255), nullable=True),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("previous_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("seq", name="uq_audit_log_seq"),
    )
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("user_name", sa.String(length=255), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("created", ingest.store.UTCDateTime(), nullable=False),
        sa.Column("revoked", ingest.store.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("sha256", name="uq_api_tokens_sha256"),
    )


def downgrade() -> None:
    for table in ("api_tokens", "audit_log", "notes", "acknowledgements"):
        op.drop_table(table)
    with op.batch_alter_table("decisions") as batch:
        batch.drop_column("evaluation_computed_at")
        batch.drop_column("evaluation_as_of")
