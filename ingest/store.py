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
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from operator import attrgetter
from pathlib import Path
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Connection,
    Date,
    DateTime,
    Dialect,
    Engine,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    case,
    create_engine,
    event,
    func,
    text,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import StatementError
from sqlalchemy.types import TypeDecorator

from ingest.records import KINDS, Record, as_utc

metadata = MetaData()


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out; naive values are refused, never guessed."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else as_utc(value).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else as_utc(value, naive=UTC)


def sqlite_utc_text(value: datetime | None) -> str | None:
    """What `UTCDateTime` then SQLAlchemy's SQLite DATETIME make of a bound value, in one step
    (`2026-09-01 07:15:00.000000`, naive UTC) and twice as fast, which counts on a large sync; a
    test checks that the two agree. Going through a naive epoch avoids formatting the offset."""
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError(f"naive datetime {value!r}: times must carry a zone")
    return (_NAIVE_EPOCH + (value - _UTC_EPOCH)).isoformat(" ", "microseconds")


_UTC_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_NAIVE_EPOCH = datetime(1970, 1, 1)


# Record text is Text, keys included: a source decides how long a status name, a branch or a
# series is, and a length limit (PostgreSQL enforces it, SQLite does not) only turns a long value
# into a failed page. PostgreSQL's TEXT costs no more than VARCHAR(n).
_COLUMN_TYPES: dict[Any, Any] = {
    str: Text,
    int: BigInteger,
    float: Float,
    datetime: UTCDateTime,
    date: Date,
    tuple[str, ...]: JSON,
}


def _column(field: dataclasses.Field[Any], hints: Mapping[str, Any], key: Sequence[str]) -> Column:
    hint = hints[field.name]
    args = typing.get_args(hint)
    nullable = isinstance(hint, types.UnionType) and type(None) in args
    base = next(a for a in args if a is not type(None)) if nullable else hint
    column_type = _COLUMN_TYPES[base]()
    return Column(field.name, column_type, primary_key=field.name in key, nullable=nullable)


def _record_table(kind: type[Record]) -> Table:
    hints = typing.get_type_hints(kind)
    columns = [_column(f, hints, kind.natural_key) for f in dataclasses.fields(kind)]
    return Table(kind.table, metadata, *columns)


RECORD_TABLES: dict[str, Table] = {kind.table: _record_table(kind) for kind in KINDS.values()}
# Finds the row a moved Jira issue left under its old key (`sources.jira_store`).
Index("ix_tickets_issue_id", RECORD_TABLES["tickets"].c.source, RECORD_TABLES["tickets"].c.issue_id)

# The columns naming the people behind records, by table: one person's and one team's records
# are read through them (`ingest.evidence`, the person page), so a request never reads the whole
# organisation. Accounts compare case-insensitively (`identities.AccountIndex`): the indexes hold
# the lower-cased value.
PERSON_COLUMNS: dict[str, tuple[str, ...]] = {
    "tickets": ("assignee_account", "assignee_email"),
    "ticket_changes": ("from_value", "to_value"),
    "pull_requests": ("author_account", "author_email"),
    "reviews": ("reviewer_account",),
    "review_requests": ("reviewer_account",),
    "deployments": ("creator_account",),
    "incidents": ("assignee_account",),
}
for _table, _columns in PERSON_COLUMNS.items():
    for _name in _columns:
        Index(f"ix_{_table}_{_name}_lower", func.lower(RECORD_TABLES[_table].c[_name]))
# The reviews of one pull request; samples and ratings name their person (or team) directly.
Index("ix_reviews_pull_request", *(RECORD_TABLES["reviews"].c[name]
                                   for name in ("source", "repo", "number")))
Index("ix_samples_owner", RECORD_TABLES["samples"].c.owner)
Index("ix_ratings_person", RECORD_TABLES["ratings"].c.person)

# Enrichment columns a later read may lack although nothing changed: PagerDuty's acknowledge time
# comes from log entries, which a re-read may not fetch; Jira Cloud hides an assignee's address
# from some API users; GitHub gives a PR author's address only when it is public or on a commit.
# An upsert keeps the stored value when the new one is NULL, provided the column it describes
# (the value on the right; None: the record itself) is unchanged: a new assignee must not inherit
# the previous assignee's address.
KEPT_WHEN_ABSENT: dict[str, dict[str, str | None]] = {
    "tickets": {"assignee_email": "assignee_account"},
    "pull_requests": {"author_email": "author_account"},
    "incidents": {"acknowledged": None},
}

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

# Where each stream's first sync began reading (DESIGN §5.11): a plan window starting earlier is
# judged on part of its evidence. `kinds`: the record kinds the stream writes; `covered_from`
# None: the source's whole history (Jira and GitHub read everything on a first sync).
sync_coverage = Table(
    "sync_coverage",
    metadata,
    Column("source", String(255), primary_key=True),
    Column("stream", String(64), primary_key=True),
    Column("kinds", JSON, nullable=False),
    Column("covered_from", UTCDateTime, nullable=True),
    Column("recorded", UTCDateTime, nullable=False),
)

quarantine = Table(
    "quarantine",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", Integer, nullable=False),
    Column("source", String(255), nullable=False),
    Column("stream", String(64), nullable=False),
    Column("record_key", Text, nullable=True),
    Column("error", Text, nullable=False),
    Column("payload", JSON, nullable=False),
    Column("at", UTCDateTime, nullable=False),
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


@dataclass(frozen=True)
class _CompiledUpsert:
    """One table's upsert, compiled once per dialect and fed plain tuples through the driver's
    `executemany`: SQLAlchemy's per-row parameter handling cost several times SQLite's own work
    on a large sync. Values go through each column type's bind processor, as SQLAlchemy would."""

    sql: str
    columns: tuple[str, ...]  # parameter order
    processors: tuple[tuple[int, Callable[[Any], Any]], ...]  # (position, processor)
    named: bool  # the driver takes mappings (pyformat), else positional tuples

    def execute(self, conn: Connection, rows: list[tuple[Any, ...]]) -> None:
        values = list(zip(*rows, strict=True))
        try:
            for position, process in self.processors:
                values[position] = tuple(map(process, values[position]))
        except (TypeError, ValueError) as exc:
            raise StatementError(str(exc), self.sql, None, exc) from exc
        rows = list(zip(*values, strict=True))
        if self.named:
            conn.exec_driver_sql(
                self.sql, [dict(zip(self.columns, row, strict=True)) for row in rows]
            )
        else:
            conn.exec_driver_sql(self.sql, rows)


# Keyed by driver too: two drivers of one dialect may compile differently (psycopg casts every
# parameter, psycopg2 does not) and bind values differently.
_COMPILED: dict[tuple[str, str, str, str], _CompiledUpsert] = {}


def _compiled_upsert(dialect: Dialect, table: Table) -> _CompiledUpsert:
    cache_key = (dialect.name, dialect.driver, dialect.paramstyle, table.name)
    if cache_key not in _COMPILED:
        module = sqlite if dialect.name == "sqlite" else postgresql
        key = [c.name for c in table.primary_key.columns]
        statement = module.insert(table)
        changing = {
            c.name: _updated_value(table, statement.excluded, c.name)
            for c in table.columns
            if c.name not in key
        }
        statement = (
            statement.on_conflict_do_update(index_elements=key, set_=changing)
            if changing
            else statement.on_conflict_do_nothing(index_elements=key)
        )
        compiled = statement.compile(dialect=dialect)
        columns = tuple(compiled.positiontup or compiled.binds)
        processors = tuple(
            (position, process)
            for position, name in enumerate(columns)
            if (process := _bind_processor(table.c[name].type, dialect))
        )
        named = not compiled.positional
        _COMPILED[cache_key] = _CompiledUpsert(compiled.string, columns, processors, named)
    return _COMPILED[cache_key]


def _updated_value(table: Table, excluded: Any, name: str) -> Any:
    """What ON CONFLICT sets a column to: the new value, except for `KEPT_WHEN_ABSENT`."""
    if name not in (kept := KEPT_WHEN_ABSENT.get(table.name, {})):
        return excluded[name]
    stored: Any = table.c[name]
    if (described := kept[name]) is not None:  # NULL unless the described column is unchanged
        stored = case((excluded[described] == table.c[described], stored))
    return func.coalesce(excluded[name], stored)


def _bind_processor(column_type: Any, dialect: Dialect) -> Callable[[Any], Any] | None:
    if isinstance(column_type, UTCDateTime) and dialect.name == "sqlite":
        return sqlite_utc_text
    return column_type.dialect_impl(dialect).bind_processor(dialect)


def upsert(conn: Connection, table: Table, rows: Sequence[Mapping[str, Any]]) -> int:
    """Insert or update on the primary key (each row names every column): re-reading a record
    is harmless."""
    if not rows:
        return 0
    compiled = _compiled_upsert(conn.dialect, table)
    compiled.execute(conn, [tuple(row[name] for name in compiled.columns) for row in rows])
    return len(rows)


def upsert_records(conn: Connection, records: Iterable[Record]) -> int:
    """Group typed records by table and upsert each group; returns how many were written."""
    by_table: dict[str, list[Record]] = {}
    for record in records:
        by_table.setdefault(record.table, []).append(record)
    for name, group in by_table.items():
        compiled = _compiled_upsert(conn.dialect, RECORD_TABLES[name])
        values = attrgetter(*compiled.columns)  # a tuple: every record has several fields
        compiled.execute(conn, [values(record) for record in group])
    return sum(len(group) for group in by_table.values())


# pg_advisory_xact_lock keys, one per kind of work that must not run twice at once. "trkr" in the
# high bytes keeps them clear of other applications' locks on a shared server.
SCHEMA_LOCK = 0x74726B72_00000001
PEOPLE_LOCK = 0x74726B72_00000002


def lock_exclusively(conn: Connection, lock: int) -> None:
    """Wait for and hold `lock` until this transaction ends (PostgreSQL). A no-op on SQLite, where
    a writing transaction holds the whole database anyway."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:lock)"), {"lock": lock})


__all__ = [
    "KEPT_WHEN_ABSENT",
    "PEOPLE_LOCK",
    "RECORD_TABLES",
    "SCHEMA_LOCK",
    "UTCDateTime",
    "accounts",
    "lock_exclusively",
    "make_engine",
    "metadata",
    "people",
    "quarantine",
    "sqlite_utc_text",
    "sync_coverage",
    "sync_runs",
    "sync_state",
    "upsert",
    "upsert_records",
]
