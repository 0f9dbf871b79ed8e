"""stored charts

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 05:10:00

Each stored evaluation keeps its goals' trend charts and sparklines as plotly figure JSON,
drawn once when the evaluation is stored, so a page never draws one per request.
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("evaluations") as batch:
        batch.add_column(sa.Column("charts", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("sparklines", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("evaluations") as batch:
        batch.drop_column("sparklines")
        batch.drop_column("charts")
