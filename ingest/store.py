"""The evidence store: tables, the engine factory and the one upsert every source uses.

Record tables are derived from the dataclasses in `records.py`, so a field added there is a column
here; Alembic migrations (migrations/) create them and a test checks they agree. Datetimes are
stored as naive UTC on both SQLite and PostgreSQL and come back tz-aware, so no caller ever sees a
naive timestamp.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Connection,
    Date,
    DateTime,
    Engine,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    event,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.types import TypeDecorator

from ingest.records import KINDS, Record

metadata = MetaData()

UPSERT_BATCH = 1000


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out; naive values are refused, never guessed."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: times must carry a zone")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


_COLUMN_TYPES: dict[Any, Any] = {
    str: lambda: String(255),
    int: BigInteger,
    float: Float,
    datetime: UTCDateTime,
    date: Date,
    tuple[str, ...]: JSON,
}
_LONG_TEXT = {"summary", "title", "url", "series", "note"}


def _column(field: dataclasses.Field[Any], hints: Mapping[str, Any], key: Sequence[str]) -> Column:
    hint = hints[field.name]
    args = typing.get_args(hint)
    nullable = isinstance(hint, types.UnionType) and type(None) in args
    base = next(a for a in args if a is not type(None)) if nullable else hint
    column_type = Text() if field.name in _LONG_TEXT else _COLUMN_TYPES[base]()
    return Column(field.name, column_type, primary_key=field.name in key, nullable=nullable)


def _record_table(kind: type[Record]) -> Table:
    hints = typing.get_type_hints(kind)
    columns = [_column(f, hints, kind.natural_key) for f in dataclasses.fields(kind)]
    return Table(kind.table, metadata, *columns)


RECORD_TABLES: dict[str, Table] = {kind.table: _record_table(kind) for kind in KINDS.values()}

people = Table(
    "people",
    metadata,
    Column("id", String(255), primary_key=True),
    Column("name", String(255), nullable=False),
    Column("email", String(255), nullable=False),
    Column("team", String(255), nullable=False),
    Column("role", String(32), nullable=False),
    Column("manager", String(255), nullable=True),
)

accounts = Table(
    "accounts",
    metadata,
    Column("tool", String(64), primary_key=True),
    Column("account", String(255), primary_key=True),
    Column("person_id", String(255), nullable=False),
)

sync_state = Table(
    "sync_state",
    metadata,
    Column("source", String(255), primary_key=True),
    Column("stream", String(64), primary_key=True),
    Column("cursor", Text, nullable=True),
    Column("updated_at", UTCDateTime, nullable=False),
)

sync_runs = Table(
    "sync_runs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("source", String(255), nullable=False),
    Column("stream", String(64), nullable=False),
    Column("started", UTCDateTime, nullable=False),
    Column("finished", UTCDateTime, nullable=True),
    Column("records", Integer, nullable=False, default=0),
    Column("requests", Integer, nullable=False, default=0),
    Column("quarantined", Integer, nullable=False, default=0),
    Column("error", Text, nullable=True),
)

quarantine = Table(
    "quarantine",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", Integer, nullable=False),
    Column("source", String(255), nullable=False),
    Column("stream", String(64), nullable=False),
    Column("record_key", String(255), nullable=True),
    Column("error", Text, nullable=False),
    Column("payload", JSON, nullable=False),
    Column("at", UTCDateTime, nullable=False),
)

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


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def make_engine(url: str) -> Engine:
    """One engine per process; a SQLite file's folder is created, WAL on, so reads never block."""
    if url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def upsert(conn: Connection, table: Table, rows: Sequence[Mapping[str, Any]]) -> int:
    """Insert or update on the primary key, in batches: re-reading a record is harmless."""
    if not rows:
        return 0
    dialect = sqlite if conn.dialect.name == "sqlite" else postgresql
    key = [c.name for c in table.primary_key.columns]
    statement = dialect.insert(table)
    changing = {c.name: statement.excluded[c.name] for c in table.columns if c.name not in key}
    statement = (
        statement.on_conflict_do_update(index_elements=key, set_=changing)
        if changing
        else statement.on_conflict_do_nothing(index_elements=key)
    )
    for start in range(0, len(rows), UPSERT_BATCH):
        conn.execute(statement, list(rows[start : start + UPSERT_BATCH]))
    return len(rows)


def upsert_records(conn: Connection, records: Iterable[Record]) -> int:
    """Group typed records by table and upsert each group; returns how many were written."""
    by_table: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        by_table.setdefault(record.table, []).append(record.row())
    return sum(upsert(conn, RECORD_TABLES[name], rows) for name, rows in by_table.items())


__all__ = [
    "RECORD_TABLES",
    "UTCDateTime",
    "accounts",
    "decisions",
    "make_engine",
    "metadata",
    "people",
    "plan_versions",
    "quarantine",
    "sync_runs",
    "sync_state",
    "upsert",
    "upsert_records",
]
