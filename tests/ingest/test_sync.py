"""run_stream on both databases: a value the database refuses never blocks a stream."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from ingest import sync
from ingest.records import PullRequest, Ticket
from ingest.sources.jira_store import store_tickets
from ingest.store import RECORD_TABLES, quarantine, sync_runs
from ingest.sync import Page, Reject, Stream, read_cursor, run_stream

T0 = datetime(2026, 9, 1, 9, tzinfo=UTC)
LONG = "x" * 300  # over the VARCHAR(255) PostgreSQL once refused


def ticket(key: str, **changes: Any) -> Ticket:
    base = Ticket(
        source="jira", ticket_key=key, url=f"https://jira.example/browse/{key}", project="OPS",
        issue_type="Task", summary="VPN down", status="Done", status_category="done",
        assignee_account="acc-1", assignee_email=None, reporter_account=None, created=T0,
        updated=T0, resolved=T0 + timedelta(hours=5), due=date(2026, 9, 3), priority="High",
        issue_id=key.removeprefix("OPS-"),
    )  # fmt: skip
    return dataclasses.replace(base, **changes)


def stream_of(*pages: Page) -> Stream:
    def fetch(_cursor: str | None) -> Iterable[Page]:
        return pages

    return Stream(
        source="jira", name="tickets", fetch=fetch, requests_issued=lambda: 0, store=store_tickets
    )


def stored(engine: sa.Engine) -> dict[str, sa.Row[Any]]:
    with engine.connect() as conn:
        return {row.ticket_key: row for row in conn.execute(sa.select(RECORD_TABLES["tickets"]))}


def held(engine: sa.Engine) -> dict[str | None, sa.Row[Any]]:
    with engine.connect() as conn:
        return {row.record_key: row for row in conn.execute(sa.select(quarantine))}


def test_values_over_255_characters_are_stored_whole(engine: sa.Engine) -> None:
    long_key = f"jira:{LONG}"
    page = Page(
        [ticket("OPS-1", status=LONG, priority=LONG), ticket(LONG)],
        [Reject({"key": LONG}, "fields.status is missing", long_key)],
        cursor="c1",
    )

    summary = run_stream(engine, stream_of(page))

    assert (summary.records, summary.quarantined, summary.error) == (2, 1, None)
    assert stored(engine)["OPS-1"].status == LONG and set(stored(engine)) == {"OPS-1", LONG}
    assert list(held(engine)) == [long_key]
    with engine.connect() as conn:
        assert read_cursor(conn, source="jira", stream="tickets") == "c1"


def test_a_record_the_database_refuses_is_quarantined_and_the_stream_moves_on(
    engine: sa.Engine,
) -> None:
    refused = ticket("OPS-2", status=None)  # NOT NULL: the page as a whole fails on both
    pages = (
        Page([ticket("OPS-1"), refused, ticket("OPS-3")], cursor="c1"),
        Page([ticket("OPS-4")], cursor="c2"),
    )

    summary = run_stream(engine, stream_of(*pages))

    assert set(stored(engine)) == {"OPS-1", "OPS-3", "OPS-4"}
    [row] = held(engine).values()
    assert row.record_key == "jira:OPS-2" and "status" in row.error
    assert row.payload["status"] is None and row.payload["created"] == T0.isoformat()
    assert (summary.records, summary.quarantined, summary.pages) == (3, 1, 2)
    with engine.connect() as conn:
        assert read_cursor(conn, source="jira", stream="tickets") == "c2"
        run = conn.execute(sa.select(sync_runs)).one()
    assert (run.records, run.quarantined, run.error) == (3, 1, None)


def test_a_refused_record_leaves_nothing_half_done(engine: sa.Engine) -> None:
    run_stream(engine, stream_of(Page([ticket("OPS-1")], cursor="c1")))
    # The issue moved, but its new version is refused: the row under the old key must stay.
    moved = ticket("SUP-5", issue_id="1", status=None)

    summary = run_stream(engine, stream_of(Page([moved, ticket("OPS-2")], cursor="c2")))

    assert set(stored(engine)) == {"OPS-1", "OPS-2"} and list(held(engine)) == ["jira:SUP-5"]
    assert (summary.records, summary.quarantined) == (1, 1)


def test_a_page_stored_record_by_record_is_still_one_transaction(
    engine: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    log_run = sync._log_run

    def crash_before_the_page_commits(conn: sa.Connection, summary: Any, *, finished: bool) -> None:
        if not finished:
            raise RuntimeError("crash")
        log_run(conn, summary, finished=finished)

    monkeypatch.setattr(sync, "_log_run", crash_before_the_page_commits)
    page = Page([ticket("OPS-1"), ticket("OPS-2", status=None), ticket("OPS-3")], cursor="c1")

    with pytest.raises(RuntimeError, match="crash"):
        run_stream(engine, stream_of(page))

    assert stored(engine) == {} and held(engine) == {}


def test_an_integer_over_64_bits_is_quarantined_not_a_stuck_stream(engine: sa.Engine) -> None:
    def pull(number: int, additions: int) -> PullRequest:
        return PullRequest(
            source="github", repo="acme/api", number=number, url="u", title="t",
            author_account="ann", author_email=None, created=T0, updated=T0,
            ready_for_review=None, merged=None, closed=None, additions=additions, deletions=0,
            base_branch="main",
        )  # fmt: skip

    page = Page([pull(1, 10), pull(2, 2**70), pull(3, 30)], cursor="c1")

    summary = run_stream(engine, dataclasses.replace(stream_of(page), source="github"))

    assert (summary.records, summary.quarantined, summary.error) == (2, 1, None)
    assert list(held(engine)) == ["github:acme/api/2"]
    with engine.connect() as conn:
        assert read_cursor(conn, source="github", stream="tickets") == "c1"


def test_a_reject_payload_with_nan_or_infinity_is_stored(engine: sa.Engine) -> None:
    payload = {"value": float("nan"), "rows": [float("inf"), -float("inf"), 1.5]}
    page = Page([ticket("OPS-1")], [Reject(payload, "bad sample", "csv:s1")], cursor="c1")

    summary = run_stream(engine, stream_of(page))

    assert (summary.records, summary.quarantined, summary.error) == (1, 1, None)
    assert held(engine)["csv:s1"].payload == {"value": None, "rows": ["inf", "-inf", 1.5]}


def test_a_first_sync_records_where_its_reading_began_and_later_runs_keep_it(
    engine: sa.Engine,
) -> None:
    began = [T0 - timedelta(days=90), T0 - timedelta(days=30)]

    def incidents(source: str, name: str) -> Stream:
        return Stream(source=source, name=name, fetch=lambda _c: [Page([], cursor="c")],
                      requests_issued=lambda: 0, kinds=("incident",),
                      reads_from=lambda: began.pop(0))

    run_stream(engine, incidents("pd", "incidents"))
    run_stream(engine, incidents("pd", "incidents"))  # resumed: not a first sync
    run_stream(engine, incidents("pd", "other"))  # read less far back: it limits the source
    run_stream(engine, stream_of(Page([], cursor="c")))  # no kinds: limits nothing

    with engine.connect() as conn:
        assert sync.coverage(conn) == {"incident": {"pd": T0 - timedelta(days=30)}}


def _failing_after(*pages: Page, error: BaseException) -> Stream:
    """A stream that commits `pages`, counting a request for each, then fails with `error`."""
    issued = [0]

    def fetch(_cursor: str | None) -> Iterable[Page]:
        for page in pages:
            issued[0] += 1
            yield page
        issued[0] += 1
        raise error

    return dataclasses.replace(stream_of(), fetch=fetch, requests_issued=lambda: issued[0])


def _runs(engine: sa.Engine) -> list[sa.Row[Any]]:
    with engine.connect() as conn:
        return list(conn.execute(sa.select(sync_runs).order_by(sync_runs.c.id)))


def test_a_failed_stream_reports_what_it_committed_before_failing(engine: sa.Engine) -> None:
    stream = _failing_after(
        Page([ticket("OPS-1"), ticket("OPS-2")], cursor="c1"), Page([ticket("OPS-3")], cursor="c2"),
        error=RuntimeError("the server went away"),
    )
    summary = sync.try_stream(engine, stream)
    assert (summary.records, summary.pages, summary.requests) == (3, 2, 3)
    assert summary.error == "RuntimeError: the server went away"
    assert "3 records, 0 quarantined, 3 requests, 2 pages (error: RuntimeError" in summary.line()
    (run,) = _runs(engine)
    assert (run.records, run.requests, run.error) == (3, 3, summary.error)
    with engine.connect() as conn:
        assert read_cursor(conn, source="jira", stream="tickets") == "c2"


def test_an_interrupted_run_is_logged_as_such_and_the_next_resumes(engine: sa.Engine) -> None:
    stream = _failing_after(Page([ticket("OPS-1")], cursor="c1"), error=KeyboardInterrupt())
    with pytest.raises(KeyboardInterrupt):
        sync.try_stream(engine, stream)
    (run,) = _runs(engine)
    assert run.error == sync.INTERRUPTED and run.finished is not None and run.records == 1
    assert "next sync resumes" in sync.INTERRUPTED
    seen: list[str | None] = []

    def resume(cursor: str | None) -> Iterable[Page]:
        seen.append(cursor)
        return []

    sync.try_stream(engine, dataclasses.replace(stream_of(), fetch=resume))
    assert seen == ["c1"]


def test_a_run_left_unfinished_is_marked_abandoned_by_the_next(engine: sa.Engine) -> None:
    with engine.begin() as conn:  # what a killed process leaves: a start and no end
        conn.execute(sa.insert(sync_runs).values(source="jira", stream="tickets", started=T0))
        conn.execute(sa.insert(sync_runs).values(source="other", stream="tickets", started=T0))
    run_stream(engine, stream_of(Page([ticket("OPS-1")], cursor="c1")))
    killed, other, fresh = _runs(engine)
    assert killed.error == sync.ABANDONED and killed.finished is not None
    assert other.finished is None  # another stream's run is its own business
    assert fresh.error is None and fresh.finished is not None


def test_a_stored_run_error_holds_no_secret(engine: sa.Engine) -> None:
    from config.secrets import read_secret

    token = read_secret("TR_SYNC_TOKEN", environ={"TR_SYNC_TOKEN": "  tok-0a1b2c3d4e\n"})
    message = f"401 for header 'Bearer {token.get_secret_value()}'"
    summary = sync.try_stream(engine, _failing_after(error=RuntimeError(message)))
    (run,) = _runs(engine)
    assert "tok-0a1b2c3d4e" not in (summary.error or "") and "tok-0a1b2c3d4e" not in run.error
    assert "[secret]" in run.error


def test_an_oversized_text_is_quarantined_and_not_kept_whole(engine: sa.Engine) -> None:
    huge = "y" * (70 * 1024)
    with pytest.raises(ValueError, match="summary holds 71,680 characters"):
        ticket("OPS-9", summary=huge)
    parsed, rejects = sync.parse_or_quarantine(
        [{"key": "OPS-9", "summary": huge}, {"key": "OPS-1", "summary": "fine"}],
        lambda raw: [ticket(raw["key"], summary=raw["summary"])],
    )
    assert [t.ticket_key for t in parsed] == ["OPS-1"] and len(rejects) == 1
    run_stream(engine, stream_of(Page(parsed, rejects, cursor="c1")))
    (row,) = held(engine).values()
    assert "summary holds" in row.error and len(row.payload["summary"]) < 66 * 1024
    assert "more characters not kept" in row.payload["summary"]
