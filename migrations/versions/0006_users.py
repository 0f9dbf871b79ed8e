"""web app users

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-08 10:00:00

Local accounts for the web app: a role, the person a manager or employee account stands for, an
argon2 hash, and an epoch that a password change or a removal raises to end older sessions.
"""

import sqlalchemy as sa
from alembic import op

import ingest.store

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("person_id", sa.String(length=255), nullable=True),
        sa.Column("password_hash", sa.Text(), nullable=False),
        sa.Column("created", ingest.store.UTCDateTime(), nullable=False),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.Column("epoch", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )


def downgrade() -> None:
    op.drop_table("users")
