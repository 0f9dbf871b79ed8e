"""snapshots, job runs, evaluation digests

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07 06:00:00

Hash-chained snapshots (append-only), the scheduler's run log, and the digest of what each stored
evaluation read, so a sync refreshes only the evaluations whose evidence changed.
"""

import sqlalchemy as sa
from alembic import op

import ingest.store

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("evaluations") as batch:
        batch.add_column(sa.Column("evidence_digest", sa.String(length=64), nullable=True))
    op.create_table(
        "snapshots",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("plan_id", sa.String(length=255), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("taken_at", ingest.store.UTCDateTime(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("previous_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("plan_id", "seq", name="uq_snapshots_plan_seq"),
    )
    op.create_table(
        "job_runs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("job", sa.String(length=255), nullable=False),
        sa.Column("scheduled_for", ingest.store.UTCDateTime(), nullable=True),
        sa.Column("started", ingest.store.UTCDateTime(), nullable=False),
        sa.Column("finished", ingest.store.UTCDateTime(), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("job", "scheduled_for", name="uq_job_runs_job_scheduled_for"),
    )


def downgrade() -> None:
    op.drop_table("job_runs")
    op.drop_table("snapshots")
    with op.batch_alter_table("evaluations") as batch:
        batch.drop_column("evidence_digest")
