"""Runs one stream of a source incrementally: cursor, batches, quarantine and the run log.

A source yields `Page`s; each page's records, its rejects and its cursor are committed in one
transaction, so a crash resumes from the last committed page and re-reads overlap harmlessly
(upserts on natural keys). A source whose API does not return records in cursor order yields
`cursor=None` until its last page.
"""

from __future__ import annotations

import dataclasses
import logging
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, bindparam, insert, select, update
from sqlalchemy.exc import DataError, IntegrityError

from config.secrets import redact
from ingest.http import describe_failure
from ingest.records import MAX_TEXT, Record
from ingest.store import quarantine, sync_coverage, sync_runs, sync_state, upsert, upsert_records

log = logging.getLogger(__name__)


# What the database (or its driver: sqlite3 raises a bare OverflowError for an integer over 64
# bits) raises on a value it cannot hold: the record is quarantined, the stream goes on.
REFUSALS = (DataError, IntegrityError, OverflowError)

# What a parser raises on a record it cannot read: each source quarantines the record on these
# and lets anything else (a bug, a network failure) end the run. OverflowError: a timestamp no
# datetime can hold.
PARSE_ERRORS = (LookupError, TypeError, ValueError, AttributeError, OverflowError)


@dataclass(frozen=True)
class Reject:
    """A raw API record that failed to parse: kept whole, with why, never silently dropped."""

    payload: dict[str, Any]
    error: str
    record_key: str | None = None


@dataclass(frozen=True)
class Page:
    records: list[Record]
    rejects: list[Reject] = field(default_factory=list)
    cursor: str | None = None  # None: do not move the cursor with this page


Item = TypeVar("Item")
Parsed = TypeVar("Parsed")


def describe(exc: BaseException) -> str:
    """A parse error as a reject states it: its type says which check failed."""
    return f"{type(exc).__name__}: {exc}"


def _raw_reject(item: Any, exc: Exception) -> Reject:
    return Reject(item, describe(exc))


def parse_or_quarantine(
    items: Iterable[Item],
    parse: Callable[[Item], Iterable[Parsed]],
    *,
    reject: Callable[[Item, Exception], Reject] = _raw_reject,
    errors: tuple[type[Exception], ...] = PARSE_ERRORS,
) -> tuple[list[Parsed], list[Reject]]:
    """Every source's page loop: what each raw item parses into, in order, and a reject for each
    item that raises one of `errors` (by default the raw item itself, with the error), so one bad
    item never costs its page. Anything else raised (a bug, a network failure) ends the run."""
    parsed: list[Parsed] = []
    rejects: list[Reject] = []
    for item in items:
        try:
            found = list(parse(item))  # whole, or not at all
        except errors as exc:
            rejects.append(reject(item, exc))
        else:
            parsed.extend(found)
    return parsed, rejects


@dataclass
class RunSummary:
    source: str
    stream: str
    run_id: int
    records: int = 0
    quarantined: int = 0
    requests: int = 0
    pages: int = 0
    cursor: str | None = None
    error: str | None = None
    skipped: str | None = None  # why the source did not run at all

    def line(self) -> str:
        """One line per stream; a failed one still says what it committed before failing."""
        outcome = f"error: {self.error}" if self.error else "ok"
        if self.skipped:
            return f"{self.source}: skipped: {self.skipped}"
        return (
            f"{self.source}/{self.stream}: {self.records} records, {self.quarantined} quarantined, "
            f"{self.requests} requests, {self.pages} pages ({outcome})"
        )


Fetch = Callable[[str | None], Iterable[Page]]
# Writes records in the page's transaction; returns how many. A connector whose records replace
# others under another key (Jira's moved issues) supplies its own, else the plain upsert.
Store = Callable[[Connection, Sequence[Record]], int]


def _whole_history() -> datetime | None:
    return None


@dataclass(frozen=True)
class Stream:
    """One stream of one configured source, ready to run: what `trackrecord sync` iterates.
    `kinds` are the record kinds it writes; `reads_from` says how far back a first sync reads
    (None: the source's whole history), asked when a first sync starts."""

    source: str
    name: str
    fetch: Fetch
    requests_issued: Callable[[], int]
    store: Store = upsert_records
    kinds: tuple[str, ...] = ()
    reads_from: Callable[[], datetime | None] = _whole_history


def read_cursor(conn: Connection, *, source: str, stream: str) -> str | None:
    row = conn.execute(
        select(sync_state.c.cursor).where(
            sync_state.c.source == source, sync_state.c.stream == stream
        )
    ).first()
    return None if row is None else row.cursor


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Held:
    """A quarantined record as an operator reviews it: the latest error and payload, and how
    many syncs held it (an overlapping re-read holds a bad record again)."""

    source: str
    stream: str
    record_key: str | None
    error: str
    payload: dict[str, Any]
    last_held: datetime
    times: int


def held_records(conn: Connection, *, source: str | None = None) -> list[Held]:
    """Every quarantined record once, the most recently held first."""
    query = select(quarantine).order_by(quarantine.c.at.desc(), quarantine.c.id.desc())
    if source is not None:
        query = query.where(quarantine.c.source == source)
    latest: dict[tuple[str, str, str], Held] = {}
    for row in conn.execute(query):
        # A reject without a key cannot be matched to another read: it stands alone.
        identity = (row.source, row.stream, row.record_key or f"#{row.id}")
        seen = latest.get(identity)
        if seen is None:
            latest[identity] = Held(
                row.source, row.stream, row.record_key, row.error, row.payload, row.at, 1
            )
        else:
            latest[identity] = dataclasses.replace(seen, times=seen.times + 1)
    return list(latest.values())


def _start_run(engine: Engine, stream: Stream, *, first: bool) -> int:
    """A new run, after marking the stream's unfinished runs abandoned (a process killed mid-run
    never wrote its end, and one stream runs once at a time); a first sync (no cursor yet) also
    records where its reading begins, replacing what an earlier, unfinished first sync
    recorded."""
    with engine.begin() as conn:
        conn.execute(
            update(sync_runs)
            .where(sync_runs.c.source == stream.source, sync_runs.c.stream == stream.name,
                   sync_runs.c.finished.is_(None))
            .values(finished=_now(), error=ABANDONED)
        )
        if first:
            upsert(conn, sync_coverage, [{
                "source": stream.source, "stream": stream.name, "kinds": list(stream.kinds),
                "covered_from": stream.reads_from(), "recorded": _now(),
            }])
        result = conn.execute(
            insert(sync_runs).values(source=stream.source, stream=stream.name, started=_now())
        )
        key = result.inserted_primary_key
        if key is None:  # every supported database returns the new row's id
            raise RuntimeError("the database returned no id for the new sync run")
        return int(key[0])


def coverage(conn: Connection) -> dict[str, dict[str, datetime]]:
    """Record kind → source → the first instant synced for it: of a source's streams writing
    that kind, the one that began latest (what the evaluation can count on). Streams that read
    their source's whole history, and syncs from before coverage was kept, limit nothing."""
    found: dict[str, dict[str, datetime]] = {}
    for row in conn.execute(select(sync_coverage).where(sync_coverage.c.covered_from.is_not(None))):
        for kind in row.kinds:
            sources = found.setdefault(kind, {})
            sources[row.source] = max(row.covered_from, sources.get(row.source, row.covered_from))
    return found


def _store_page(engine: Engine, stream: Stream, summary: RunSummary, page: Page) -> RunSummary:
    """Commit a page with its cursor; the summary as it stands once the page is in. If the
    database refuses the page (a value it cannot hold), store it again record by record and
    quarantine what it refuses: one bad value must not hold the cursor back for ever."""
    try:
        with engine.begin() as conn:
            return _commit_page(conn, summary, page, stream.store(conn, page.records), [])
    except REFUSALS as exc:
        log.warning(
            "%s/%s: the database refused a page (%s); storing it record by record",
            summary.source,
            summary.stream,
            _refusal(exc),
        )
    with engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            # pysqlite opens its transaction only before a write, and a savepoint opened outside
            # one commits when released: open it first, so the page stays one transaction.
            conn.exec_driver_sql("BEGIN")
        stored, refused = _store_one_by_one(conn, stream.store, page.records)
        return _commit_page(conn, summary, page, stored, refused)


def _store_one_by_one(
    conn: Connection, store: Store, records: list[Record]
) -> tuple[int, list[Reject]]:
    """Each record in a savepoint of its own: how many were stored, and the refused ones."""
    stored, refused = 0, []
    for record in records:
        try:
            with conn.begin_nested():
                store(conn, [record])
        except REFUSALS as exc:
            refused.append(Reject(_payload(record), _refusal(exc), record.key))
        else:
            stored += 1
    return stored, refused


def _refusal(exc: Exception) -> str:
    """The database's own message (without the statement and its parameters)."""
    return describe(getattr(exc, "orig", None) or exc)


def _payload(record: Record) -> dict[str, Any]:
    """A refused record's row as JSON can hold it (dates as text; `_storable` does the rest)."""
    return {
        name: value.isoformat() if isinstance(value, date) else value  # datetime included
        for name, value in record.row().items()
    }


def _storable(payload: Any) -> Any:
    """A payload every database's JSON holds: PostgreSQL refuses NaN and infinities, which a
    CSV row carries for an empty cell (NaN) or a cell reading "inf"; an oversized text is cut."""
    if isinstance(payload, float) and not math.isfinite(payload):
        return None if math.isnan(payload) else str(payload)
    if isinstance(payload, str) and len(payload) > MAX_TEXT:  # held for review, never whole
        return payload[:MAX_TEXT] + f"… [{len(payload) - MAX_TEXT:,} more characters not kept]"
    if isinstance(payload, dict):
        return {key: _storable(value) for key, value in payload.items()}
    if isinstance(payload, list | tuple):
        return [_storable(value) for value in payload]
    return payload


def _without_nul(text: str | None) -> str | None:
    # PostgreSQL text cannot hold NUL; a reject's key and error must always be storable.
    return None if text is None else text.replace("\x00", "")


def _commit_page(
    conn: Connection, summary: RunSummary, page: Page, written: int, refused: list[Reject]
) -> RunSummary:
    rejects = [*page.rejects, *refused]
    if rejects:
        conn.execute(
            insert(quarantine),
            [
                {
                    "run_id": summary.run_id,
                    "source": summary.source,
                    "stream": summary.stream,
                    "record_key": _without_nul(r.record_key),
                    "error": _without_nul(r.error),
                    "payload": _storable(r.payload),
                    "at": _now(),
                }
                for r in rejects
            ],
        )
    if page.cursor is not None:
        upsert(
            conn,
            sync_state,
            [
                {
                    "source": summary.source,
                    "stream": summary.stream,
                    "cursor": page.cursor,
                    "updated_at": _now(),
                }
            ],
        )
    progressed = dataclasses.replace(
        summary,
        records=summary.records + written,
        quarantined=summary.quarantined + len(rejects),
        pages=summary.pages + 1,
        cursor=summary.cursor if page.cursor is None else page.cursor,
    )
    _log_run(conn, progressed, finished=False)
    return progressed


# Built once: executed after every page, a statement built per call cost more than the UPDATE.
_RUN_PROGRESS = (
    update(sync_runs)
    .where(sync_runs.c.id == bindparam("run_id"))
    .values(
        records=bindparam("records"),
        quarantined=bindparam("quarantined"),
        requests=bindparam("requests"),
        error=bindparam("error"),
        finished=bindparam("finished"),
    )
)


def _log_run(conn: Connection, summary: RunSummary, *, finished: bool) -> None:
    conn.execute(
        _RUN_PROGRESS,
        {
            "run_id": summary.run_id,
            "records": summary.records,
            "quarantined": summary.quarantined,
            "requests": summary.requests,
            "error": summary.error,
            "finished": _now() if finished else None,
        },
    )


INTERRUPTED = "interrupted; the next sync resumes from the last committed page"
ABANDONED = "abandoned: the process ended before the run finished"


def run_stream(
    engine: Engine,
    stream: Stream,
    *,
    on_page: Callable[[RunSummary], None] = lambda _summary: None,
) -> RunSummary:
    """Fetch from the stored cursor and commit page by page; the run log records any error, then
    the error is raised."""
    summary, failure = _attempt(engine, stream, on_page)
    if failure is not None:
        raise failure
    return summary


def try_stream(
    engine: Engine,
    stream: Stream,
    *,
    on_page: Callable[[RunSummary], None] = lambda _summary: None,
) -> RunSummary:
    """`run_stream` for a sync of many streams: a failure is the summary's `error`, beside the
    records, requests and pages committed before it, and the next stream still runs. An
    interruption (Ctrl-C, SIGTERM) is logged as such and raised."""
    return _attempt(engine, stream, on_page)[0]


def _attempt(
    engine: Engine, stream: Stream, on_page: Callable[[RunSummary], None]
) -> tuple[RunSummary, Exception | None]:
    with engine.connect() as conn:
        cursor = read_cursor(conn, source=stream.source, stream=stream.name)
    run_id = _start_run(engine, stream, first=cursor is None)
    summary = RunSummary(source=stream.source, stream=stream.name, run_id=run_id, cursor=cursor)
    first_request_count = stream.requests_issued()
    failure: Exception | None = None
    try:
        for page in stream.fetch(cursor):
            summary.requests = stream.requests_issued() - first_request_count
            summary = _store_page(engine, stream, summary, page)
            on_page(summary)
    except Exception as exc:
        failure = exc
        summary.error = redact(describe_failure(exc))
        log.error("sync %s/%s failed: %s", stream.source, stream.name, summary.error,
                  exc_info=True)
    except KeyboardInterrupt:
        summary.error = INTERRUPTED
        raise
    finally:
        summary.requests = stream.requests_issued() - first_request_count
        with engine.begin() as conn:
            _log_run(conn, summary, finished=True)
    return summary, failure


__all__ = [
    "ABANDONED",
    "INTERRUPTED",
    "PARSE_ERRORS",
    "Fetch",
    "Held",
    "Page",
    "Reject",
    "RunSummary",
    "Store",
    "Stream",
    "coverage",
    "describe",
    "held_records",
    "parse_or_quarantine",
    "read_cursor",
    "run_stream",
    "try_stream",
]
