"""The case-file tables: what people decided and recorded about a plan, beside the evidence.

They share the evidence store's metadata, so one Alembic stream creates and upgrades both.
"""

from __future__ import annotations

from sqlalchemy import JSON, Column, Date, Integer, String, Table, Text

from ingest.store import UTCDateTime, metadata

__all__ = ["decisions", "erasures", "evaluations", "plan_versions"]

plan_versions = Table(
    "plan_versions",
    metadata,
    Column("plan_id", String(255), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("content", JSON, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("created", UTCDateTime, nullable=False),
)

decisions = Table(
    "decisions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("plan_id", String(255), nullable=False),
    Column("version", Integer, nullable=False),
    Column("recommended", String(64), nullable=False),
    Column("outcome", String(64), nullable=False),
    Column("decided_by", String(255), nullable=False),
    Column("decided_at", UTCDateTime, nullable=False),
    Column("reason", Text, nullable=False),
)

# The latest evaluation of each plan, so a page or an export reads one row and never computes.
evaluations = Table(
    "evaluations",
    metadata,
    Column("plan_id", String(255), primary_key=True),
    Column("version", Integer, nullable=False),
    Column("as_of", Date, nullable=False),
    Column("computed_at", UTCDateTime, nullable=False),
    Column("payload", JSON, nullable=False),  # the object `evaluate --json` prints
)

# What `forget` erased: when, and how many rows per table. Never a name, an id or an account.
erasures = Table(
    "erasures",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", UTCDateTime, nullable=False),
    Column("rows", JSON, nullable=False),  # table name → rows deleted or redacted
)
