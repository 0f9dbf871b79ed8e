"""How the Jira sync scales: N generated issues from the local fake Jira (Cloud) into SQLite.

Run: `.venv/bin/python benchmarks/ingest.py [N]` (default 200,000; e.g. 5000 for a quick run).
The fake runs in a child process, so its CPU and memory are not counted as the sync's; the sync
is the real one: `jira` client, JiraSession, parse, `run_stream` committing page by page. Prints,
with their targets:

* (a) requests issued ÷ the minimum ⌈N / page size⌉: target ≤ 1.05;
* (b) rows/s into SQLite: the time `run_stream` spends committing pages, against a raw sqlite3
  `executemany` UPSERT of the same rows, one transaction per page, in this process: target ≤ 2×
  the raw time (HTTP and parse time are printed apart);
* (c) the sync process's peak resident memory (ru_maxrss): target ≤ 400 MB.
"""

# ruff: noqa: E402 (the path fix below must run before the project's imports)
from __future__ import annotations

import sys
from pathlib import Path

# This script shares its name with the `ingest` package: keep its own folder off the path.
sys.path[0] = str(Path(__file__).resolve().parents[1])

import dataclasses
import math
import multiprocessing
import os
import resource
import sqlite3
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from multiprocessing.connection import Connection

from config.sources import JiraSource
from fakes.jira import FakeJira, generate_issues
from fakes.server import LocalServer
from ingest.schema import migrate
from ingest.sources.jira import streams
from ingest.store import RECORD_TABLES, make_engine
from ingest.sync import Fetch, Page, run_stream

PAGE_SIZE = 100
ACCOUNTS = tuple(f"agent-{n:03d}" for n in range(60))
START, END = datetime(2025, 1, 1, tzinfo=UTC), datetime(2026, 7, 1, tzinfo=UTC)
LONG_CHANGELOG_RATE = 0.0001  # about one issue in 10,000 has a changelog over 100 entries


def serve_fake(n: int, pipe: Connection) -> None:
    """Child process: serve N generated issues until told to stop."""
    issues = generate_issues(
        n, accounts=ACCOUNTS, start=START, end=END, seed=42, long_changelog_rate=LONG_CHANGELOG_RATE
    )
    server = LocalServer(FakeJira(issues)).start()
    pipe.send(server.url)
    pipe.recv()
    pipe.send(len(server.unanswered))
    server.stop()


class TimedFetch:
    """Wraps a stream's fetch: time producing pages (HTTP + parse) apart from the time the
    consumer, `run_stream`, spends between pages (committing them)."""

    def __init__(self, fetch: Fetch) -> None:
        self.fetch = fetch
        self.produce_seconds = 0.0
        self.store_seconds = 0.0

    def __call__(self, cursor: str | None) -> Iterator[Page]:
        pages = iter(self.fetch(cursor))
        while True:
            started = time.perf_counter()
            page = next(pages, None)
            self.produce_seconds += time.perf_counter() - started
            if page is None:
                return
            handed = time.perf_counter()
            yield page
            self.store_seconds += time.perf_counter() - handed


def sync(url: str, database: Path) -> tuple[int, float, TimedFetch, int]:
    os.environ.setdefault("BENCH_JIRA_EMAIL", "bench@example.com")
    os.environ.setdefault("BENCH_JIRA_TOKEN", "bench-token")
    source = JiraSource(
        name="jira",
        kind="jira",
        url=url,
        email_env="BENCH_JIRA_EMAIL",
        token_env="BENCH_JIRA_TOKEN",
        page_size=PAGE_SIZE,
    )
    engine = make_engine(f"sqlite:///{database}")
    migrate(engine)
    [stream] = streams(source, lookback=timedelta(minutes=10))
    timed = TimedFetch(stream.fetch)
    started = time.perf_counter()
    summary = run_stream(engine, dataclasses.replace(stream, fetch=timed))
    elapsed = time.perf_counter() - started
    engine.dispose()
    return summary.records, elapsed, timed, summary.requests


def raw_upsert_seconds(synced: Path, target: Path) -> float:
    """The same rows, read back page by page from the synced file (untimed), written with
    sqlite3 `executemany` UPSERTs into a fresh copy of the schema, a transaction per page."""
    engine = make_engine(f"sqlite:///{target}")
    migrate(engine)
    engine.dispose()
    source, sink = sqlite3.connect(synced), sqlite3.connect(target, isolation_level=None)
    sink.execute("PRAGMA journal_mode=WAL")
    sink.execute("PRAGMA synchronous=NORMAL")
    tickets, changes = (_upsert_sql(name) for name in ("tickets", "ticket_changes"))
    keys = source.execute("SELECT source, ticket_key FROM tickets ORDER BY updated").fetchall()
    seconds = 0.0
    for start in range(0, len(keys), PAGE_SIZE):
        page = keys[start : start + PAGE_SIZE]
        ticket_rows, change_rows = _page_rows(source, page)
        started = time.perf_counter()
        sink.execute("BEGIN")
        sink.executemany(tickets, ticket_rows)
        sink.executemany(changes, change_rows)
        sink.execute("COMMIT")
        seconds += time.perf_counter() - started
    source.close()
    sink.close()
    return seconds


def _page_rows(
    source: sqlite3.Connection, page: list[tuple[str, str]]
) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    """A page's stored ticket and change rows (by primary key prefix, so indexed)."""
    where = " OR ".join(["(source = ? AND ticket_key = ?)"] * len(page))
    keys = [part for key in page for part in key]
    tickets = source.execute(f"SELECT * FROM tickets WHERE {where}", keys).fetchall()
    changes = source.execute(f"SELECT * FROM ticket_changes WHERE {where}", keys).fetchall()
    return tickets, changes


def _upsert_sql(table_name: str) -> str:
    table = RECORD_TABLES[table_name]
    columns = [column.name for column in table.columns]
    key = [column.name for column in table.primary_key.columns]
    updates = ", ".join(f"{name} = excluded.{name}" for name in columns if name not in key)
    return (
        f"INSERT INTO {table_name} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))}) "
        f"ON CONFLICT ({', '.join(key)}) DO UPDATE SET {updates}"
    )


def count_rows(database: Path) -> tuple[int, int]:
    with sqlite3.connect(database) as conn:
        tickets = conn.execute("SELECT count(*) FROM tickets").fetchone()[0]
        changes = conn.execute("SELECT count(*) FROM ticket_changes").fetchone()[0]
    return tickets, changes


def verdict(ok: bool) -> str:
    return "OK" if ok else "MISSED"


def main(n: int) -> None:
    context = multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe()
    child = context.Process(target=serve_fake, args=(n, theirs), daemon=True)
    child.start()
    print(f"generating and indexing {n:,} issues in the fake Jira (child process) ...", flush=True)
    url = ours.recv()
    with tempfile.TemporaryDirectory(prefix="trackrecord-bench-") as folder:
        synced = Path(folder) / "synced.db"
        print("syncing ...", flush=True)
        records, elapsed, timed, requests = sync(url, synced)
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        ours.send("stop")
        unanswered = ours.recv()
        child.join(timeout=10)
        tickets, changes = count_rows(synced)
        print("raw sqlite3 UPSERT of the same rows ...", flush=True)
        raw = raw_upsert_seconds(synced, Path(folder) / "raw.db")
    report(n, records, tickets, changes, elapsed, timed, requests, raw, peak_mb, unanswered)


def report(
    n: int,
    records: int,
    tickets: int,
    changes: int,
    elapsed: float,
    timed: TimedFetch,
    requests: int,
    raw: float,
    peak_mb: float,
    unanswered: int,
) -> None:
    minimum = math.ceil(n / PAGE_SIZE)
    ratio = requests / minimum
    rows = tickets + changes
    store_ratio = timed.store_seconds / raw
    print()
    print(
        f"N = {n:,} Jira Cloud issues, page size {PAGE_SIZE}: {tickets:,} tickets and "
        f"{changes:,} changes = {rows:,} rows ({records:,} written); whole sync {elapsed:.1f} s "
        f"({rows / elapsed:,.0f} rows/s); unanswered requests: {unanswered}"
    )
    print(
        f"(a) requests issued: {requests:,} ÷ ⌈N/{PAGE_SIZE}⌉ = {minimum:,} → {ratio:.3f}"
        f"   target ≤ 1.05   {verdict(ratio <= 1.05)}"
    )
    print(
        f"(b) store (commits in run_stream): {timed.store_seconds:.1f} s = "
        f"{rows / timed.store_seconds:,.0f} rows/s; raw sqlite3 executemany UPSERT: {raw:.1f} s = "
        f"{rows / raw:,.0f} rows/s → {store_ratio:.2f}× the raw time   target ≤ 2×   "
        f"{verdict(store_ratio <= 2)}"
    )
    print(
        f"    HTTP + JSON + parse (producing pages): {timed.produce_seconds:.1f} s; "
        f"whole sync vs raw store: {elapsed / raw:.1f}×"
    )
    print(
        f"(c) peak memory of the sync process (ru_maxrss): {peak_mb:,.0f} MB   target ≤ 400 MB"
        f"   {verdict(peak_mb <= 400)}"
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200_000)
