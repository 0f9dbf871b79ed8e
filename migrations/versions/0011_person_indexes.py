"""indexes on the columns naming the people behind records

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-14 10:00:00

A person's page reads only that person's and their team's records: these indexes find them by
account (lower-cased, as accounts compare case-insensitively), by person or owner, and the
reviews of a pull request, without reading the whole organisation.
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

PERSON_COLUMNS = {
    "tickets": ("assignee_account", "assignee_email"),
    "ticket_changes": ("from_value", "to_value"),
    "pull_requests": ("author_account", "author_email"),
    "reviews": ("reviewer_account",),
    "review_requests": ("reviewer_account",),
    "deployments": ("creator_account",),
    "incidents": ("assignee_account",),
}
PLAIN = {
    "ix_reviews_pull_request": ("reviews", ["source", "repo", "number"]),
    "ix_samples_owner": ("samples", ["owner"]),
    "ix_ratings_person": ("ratings", ["person"]),
}


def upgrade() -> None:
    for table, columns in PERSON_COLUMNS.items():
        for column in columns:
            op.create_index(f"ix_{table}_{column}_lower", table, [sa.text(f"lower({column})")])
    for name, (table, columns) in PLAIN.items():
        op.create_index(name, table, columns)


def downgrade() -> None:
    for name, (table, _) in PLAIN.items():
        op.drop_index(name, table_name=table)
    for table, columns in PERSON_COLUMNS.items():
        for column in columns:
            op.drop_index(f"ix_{table}_{column}_lower", table_name=table)
