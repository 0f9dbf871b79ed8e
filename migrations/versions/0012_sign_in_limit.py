"""sign-in limit read from the audit log

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 08:00:00

Failed sign-ins are counted from the audit log, which every web worker shares; this index keeps
that read to the last minutes of one action.
"""

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_audit_log_action_at", "audit_log", ["action", "at"])


def downgrade() -> None:
    op.drop_index("ix_audit_log_action_at", table_name="audit_log")
