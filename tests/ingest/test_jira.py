"""The Jira connector through the real `jira` client, against the fake Jira over real HTTP.

Every sync test runs on SQLite and PostgreSQL and fails on any request the fake had no answer
for. Waits are recorded instead of slept, so retry tests check the waits and stay fast.
"""

from __future__ import annotations

import base64
import csv
import itertools
import json
import random
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from jira import JIRAError

from config.errors import ConfigError
from config.sources import JiraSource
from fakes.jira import DONE, IN_PROGRESS, TO_DO, FakeJira, generate_issues
from fakes.server import Fault, LocalServer
from ingest.records import Ticket
from ingest.sources import jira, jira_issues
from ingest.sources.jira import JiraSession, build_jql, jql_time, strip_order_by
from ingest.sources.jira_issues import parse_issue
from ingest.store import RECORD_TABLES, quarantine, sync_runs, sync_state
from ingest.sync import RunSummary, run_stream
from tests.conftest import fixtures_dir

EMAIL, TOKEN = "sync@example.com", "t0ken"
BASIC = "Basic " + base64.b64encode(f"{EMAIL}:{TOKEN}".encode()).decode()
SEARCH_JQL = "/rest/api/3/search/jql"
START = datetime(2026, 1, 1, tzinfo=UTC)
END = datetime(2026, 7, 1, tzinfo=UTC)
STATUSES = {"10000": "new", "3": "indeterminate", "10001": "done"}
ACCOUNTS = ("alice", "bob", "carol")


@pytest.fixture(autouse=True)
def secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JIRA_EMAIL", EMAIL)
    monkeypatch.setenv("JIRA_TOKEN", TOKEN)


class Sync:
    """One configured Jira source against one fake, with the waits the session asked for."""

    def __init__(self, server: LocalServer, **config: Any) -> None:
        self.server = server
        self.waits: list[float] = []
        self.session = JiraSession(backoff=0.01, max_backoff=0.05, sleep=self.waits.append)
        settings = {"name": "jira", "kind": "jira", "url": server.url, "token_env": "JIRA_TOKEN"}
        settings |= {"email_env": "JIRA_EMAIL"} | config
        self.source = JiraSource(**settings)

    def run(
        self,
        engine: sa.Engine,
        *,
        lookback: timedelta = timedelta(0),
        on_page: Callable[[RunSummary], None] = lambda _summary: None,
    ) -> RunSummary:
        [stream] = jira.streams(self.source, lookback=lookback, session=self.session)
        return run_stream(engine, stream, on_page=on_page)


@pytest.fixture
def fake_jira() -> Iterator[Callable[..., Sync]]:
    """Starts fakes on demand; a test fails if any of them was asked something it cannot answer."""
    servers: list[LocalServer] = []

    def start(fake: FakeJira, **config: Any) -> Sync:
        server = LocalServer(fake).start()
        servers.append(server)
        return Sync(server, **config)

    yield start
    for server in servers:
        server.stop()
    assert [(r.method, r.path) for s in servers for r in s.unanswered] == []


def generated(n: int, **options: Any) -> list[dict[str, Any]]:
    return list(generate_issues(n, accounts=ACCOUNTS, start=START, end=END, seed=7, **options))


def rows(engine: sa.Engine, table: sa.Table) -> list[sa.Row[Any]]:
    with engine.connect() as conn:
        return list(conn.execute(sa.select(table)))


def tickets(engine: sa.Engine) -> dict[str, sa.Row[Any]]:
    return {row.ticket_key: row for row in rows(engine, RECORD_TABLES["tickets"])}


def changes(engine: sa.Engine) -> list[sa.Row[Any]]:
    return rows(engine, RECORD_TABLES["ticket_changes"])


def stored_cursor(engine: sa.Engine) -> str | None:
    with engine.connect() as conn:
        return conn.execute(sa.select(sync_state.c.cursor)).scalar_one_or_none()


def last_run(engine: sa.Engine) -> sa.Row[Any]:
    with engine.connect() as conn:
        return conn.execute(sa.select(sync_runs).order_by(sync_runs.c.id.desc())).first()


def expected_changes(issues: list[dict[str, Any]]) -> int:
    """Status and assignee items in the source's full changelogs."""
    return sum(
        item["field"] in ("status", "assignee") and item["fieldtype"] == "jira"
        for issue in issues
        for history in issue["changelog"]["histories"]
        for item in history["items"]
    )


def newest_updated(issues: list[dict[str, Any]]) -> str:
    newest = max(datetime.fromisoformat(issue["fields"]["updated"]) for issue in issues)
    return newest.astimezone(UTC).isoformat()


def by_updated(issues: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(issues, key=lambda issue: datetime.fromisoformat(issue["fields"]["updated"]))


def transition(number: int, old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    item = {"field": "status", "fieldtype": "jira", "fieldId": "status", "from": old["id"],
            "fromString": old["name"], "to": new["id"], "toString": new["name"]}  # fmt: skip
    at = datetime(2026, 3, 1, tzinfo=UTC) + timedelta(hours=number)
    author = {"accountId": "alice"}
    return {
        "id": str(900000 + number),
        "author": author,
        "created": at.isoformat(),
        "items": [item],
    }


def issue_with_transitions(key: str, count: int) -> dict[str, Any]:
    """An issue moved back and forth `count` times: more than the search's embedded 100."""
    states = [TO_DO] + [IN_PROGRESS, DONE] * (count // 2 + 1)
    moves = itertools.pairwise(states[: count + 1])
    histories = [transition(n, old, new) for n, (old, new) in enumerate(moves, start=1)]
    issue = generated(1)[0]
    issue["key"], issue["id"] = key, "99999"
    last = histories[-1]["created"]
    issue["fields"].update(status=states[count], updated=last, resolutiondate=last)
    issue["changelog"] = {"startAt": 0, "maxResults": count, "total": count, "histories": histories}
    return issue


# Paging ---------------------------------------------------------------------------------------


def test_cloud_pages_by_next_page_token(engine: sa.Engine, fake_jira: Callable[..., Sync]) -> None:
    issues = generated(250)
    fake = FakeJira(issues, authorization=BASIC)
    sync = fake_jira(fake, jql="project = OPS ORDER BY created DESC")

    summary = sync.run(engine)

    searches = [r for r in sync.server.requests if r.path == SEARCH_JQL]
    assert len(searches) == 3
    assert [r.arg("nextPageToken") is None for r in searches] == [True, False, False]
    assert searches[0].query["fields"] == list(jira.FIELDS)
    assert searches[0].arg("expand") == "changelog" and searches[0].arg("maxResults") == "100"
    assert (
        fake.queries[0] == '(project = OPS) AND updated >= "1970-01-01 00:00" ORDER BY updated ASC'
    )
    assert len(tickets(engine)) == 250
    assert len(changes(engine)) == expected_changes(issues) == summary.records - 250
    assert stored_cursor(engine) == newest_updated(issues)
    assert (summary.pages, summary.quarantined, summary.error) == (3, 0, None)
    assert summary.requests == sync.session.requests_issued == len(sync.server.requests)


def test_datacenter_pages_by_keyset_with_a_bearer_token(
    engine: sa.Engine, fake_jira: Callable[..., Sync]
) -> None:
    issues = generated(230)
    fake = FakeJira(issues, deployment="datacenter", authorization=f"Bearer {TOKEN}")
    sync = fake_jira(fake, email_env=None)

    summary = sync.run(engine)

    searches = [r for r in sync.server.requests if r.path == "/rest/api/2/search"]
    assert [r.arg("startAt") for r in searches] == ["0", "0", "0"]  # ⌈230 / 100⌉ requests
    ordered = by_updated(issues)
    for query, last_read in zip(fake.queries[1:], (ordered[99], ordered[198]), strict=True):
        since = datetime.fromisoformat(last_read["fields"]["updated"]).astimezone(UTC)
        assert query == f'updated >= "{since:%Y-%m-%d %H:%M}" ORDER BY updated ASC, key ASC'
    assert not any(r.path.startswith("/rest/api/3/") for r in sync.server.requests)
    assert sync.server.requests[0].path == "/rest/api/2/serverInfo"  # detected, not configured
    assert len(tickets(engine)) == 230 and summary.pages == 3
    assert len(changes(engine)) == expected_changes(issues)


def edit_on_pages(
    fake: FakeJira,
    edits: dict[int, list[dict[str, Any]]],
    at: datetime,
    step: timedelta = timedelta(0),
) -> Callable[[RunSummary], None]:
    """Edits the issues `edits[n]` once page n is stored, before the next search, the i-th at
    `at + i·step`: they move to the end."""

    def edit(summary: RunSummary) -> None:
        for number, edited in enumerate(edits.pop(summary.pages, [])):
            edited["fields"].update(summary="Edited", updated=(at + number * step).isoformat())
        fake.reindex()

    return edit


@pytest.mark.parametrize(("zone", "searches"), [("Europe/Berlin", 3), (None, 4)])
def test_datacenter_misses_no_issue_edited_between_pages(
    engine: sa.Engine, fake_jira: Callable[..., Sync], zone: str | None, searches: int
) -> None:
    """By startAt alone, the edited issue leaves the first page and the 101st is never read."""
    issues = generated(250)
    fake = FakeJira(issues, deployment="datacenter", time_zone=zone)
    sync = fake_jira(fake, email_env=None)
    edited = by_updated(issues)[10]
    later = datetime.fromisoformat(newest_updated(issues)) + timedelta(hours=1)

    sync.run(engine, on_page=edit_on_pages(fake, {1: [edited]}, later))

    stored = tickets(engine)
    assert set(stored) == {issue["key"] for issue in issues}
    assert stored[edited["key"]].summary == "Edited"
    assert len(changes(engine)) == expected_changes(issues)
    assert stored_cursor(engine) == later.isoformat()
    assert sync.server.count("/rest/api/2/search") == searches  # the edited issue read twice


def test_datacenter_pages_through_a_minute_of_ties_edited_between_pages(
    engine: sa.Engine, fake_jira: Callable[..., Sync]
) -> None:
    """250 issues with one `updated` (a bulk edit): keys order them, offsets step through them,
    and edits between pages show as a moved overlap issue, so the search starts again (two edits
    shift the offsets by more than the overlap)."""
    issues = generated(250)
    same = datetime(2026, 5, 1, 12, 0, 30, tzinfo=UTC).isoformat()
    for issue in issues:
        issue["fields"]["updated"] = same
    fake = FakeJira(issues, deployment="datacenter", time_zone="Europe/Berlin")
    sync = fake_jira(fake, email_env=None)
    in_key_order = sorted(issues, key=lambda issue: int(issue["key"].rpartition("-")[2]))
    edits = {page: in_key_order[page * 10 : page * 10 + 2] for page in (1, 2, 3)}
    later = datetime(2026, 5, 1, 13, tzinfo=UTC)

    sync.run(engine, on_page=edit_on_pages(fake, dict(edits), later))

    stored = tickets(engine)
    assert set(stored) == {issue["key"] for issue in issues}
    assert all(stored[i["key"]].summary == "Edited" for edited in edits.values() for i in edited)
    assert sync.server.count("/rest/api/2/search") <= 8  # 3 pages, the minute re-read, restarts


def spaced(count: int, first: datetime, gap: timedelta) -> list[dict[str, Any]]:
    """`count` issues updated `gap` apart from `first`, in key order."""
    issues = generated(count)
    for number, issue in enumerate(issues):
        issue["fields"]["updated"] = (first + number * gap).isoformat()
    return issues


def test_datacenter_restarts_when_the_overlap_issue_itself_was_edited(
    engine: sa.Engine, fake_jira: Callable[..., Sync]
) -> None:
    """The overlap issue (OPS-3) edited, then the two before it: it comes back first again, but
    with a new `updated`. Checked by key alone, OPS-4 and OPS-5 were never read."""
    issues = spaced(5, datetime(2026, 3, 1, 10, tzinfo=UTC), timedelta(minutes=5))
    fake = FakeJira(issues, deployment="datacenter", time_zone=None)
    sync = fake_jira(fake, email_env=None, page_size=3)
    edits = {1: [issues[2], issues[0], issues[1]]}

    sync.run(engine, on_page=edit_on_pages(fake, edits, END, timedelta(seconds=1)))

    stored = tickets(engine)
    assert set(stored) == {issue["key"] for issue in issues}
    assert [stored[f"OPS-{n}"].summary == "Edited" for n in range(1, 6)] == [True] * 3 + [False] * 2
    assert stored_cursor(engine) == (END + timedelta(seconds=2)).isoformat()


def test_datacenter_pages_of_one_still_overlap(
    engine: sa.Engine, fake_jira: Callable[..., Sync]
) -> None:
    """A page of one leaves no room for the overlap issue, so Data Center asks for two."""
    issues = spaced(4, datetime(2026, 3, 1, 10, tzinfo=UTC), timedelta(minutes=5))
    fake = FakeJira(issues, deployment="datacenter", time_zone=None)
    sync = fake_jira(fake, email_env=None, page_size=1)

    sync.run(engine, on_page=edit_on_pages(fake, {1: [issues[0]]}, END))

    assert set(tickets(engine)) == {issue["key"] for issue in issues}
    searches = [r for r in sync.server.requests if r.path == "/rest/api/2/search"]
    assert {r.arg("maxResults") for r in searches} == {"2"}


def editing_at_random(rng: random.Random, at: datetime, edits: int) -> Callable[[FakeJira], None]:
    """Before each search, edits random issues (one more at even odds), each 0–40 s after the
    edit before (so some share a minute, some a millisecond), until `edits` edits are spent."""
    clock, left = at, edits

    def edit(fake: FakeJira) -> None:
        nonlocal clock, left
        while left and rng.random() < 0.5:
            clock += timedelta(seconds=rng.randint(0, 40))
            rng.choice(fake.issues)["fields"]["updated"] = clock.isoformat()
            left -= 1
        fake.reindex()

    return edit


@pytest.mark.parametrize("zone", [None, "UTC"])
@pytest.mark.parametrize("page_size", [1, 2, 3, 4])
def test_datacenter_reads_every_issue_edited_at_random_while_paging(
    fake_jira: Callable[..., Sync], page_size: int, zone: str | None
) -> None:
    """Fuzz: six issues, some sharing a minute, edited at random between searches; every issue
    is read, whichever page size, whether the bound can move (zone known) or not."""
    sync = fake_jira(FakeJira([], deployment="datacenter"), email_env=None, page_size=page_size)
    for seed in range(100):
        rng = random.Random(seed)
        issues = generated(6)
        moment = datetime(2026, 3, 1, 10, tzinfo=UTC)
        for issue in rng.sample(issues, len(issues)):  # key order is not time order
            moment += timedelta(seconds=rng.randint(0, 90))
            issue["fields"]["updated"] = moment.isoformat()
        fake = FakeJira(issues, deployment="datacenter", time_zone=zone)
        fake.before_search = editing_at_random(rng, moment, edits=8)
        sync.server.handler = fake  # one server, a fresh fake per seed

        pages = jira.tickets(sync.source, sync.session, cursor=None, lookback=timedelta(0))
        read = {r.ticket_key for page in pages for r in page.records if isinstance(r, Ticket)}

        assert read == {issue["key"] for issue in issues}, f"seed {seed}"


def test_configured_deployment_skips_detection(
    engine: sa.Engine, fake_jira: Callable[..., Sync]
) -> None:
    sync = fake_jira(FakeJira(generated(5)), deployment="cloud")
    sync.run(engine)
    assert sync.server.count("/rest/api/2/serverInfo") == 0
    assert len(tickets(engine)) == 5


@pytest.mark.parametrize("deployment", ["cloud", "datacenter"])
def test_changelog_over_100_entries_is_stored_whole(
    engine: sa.Engine, fake_jira: Callable[..., Sync], deployment: str
) -> None:
    long = issue_with_transitions("OPS-900", 150)
    issues = [*generated(20), long]
    sync = fake_jira(FakeJira(issues, deployment=deployment))  # type: ignore[arg-type]

    sync.run(engine)

    stored = [c for c in changes(engine) if c.ticket_key == "OPS-900"]
    assert len(stored) == 150
    assert sorted(c.change_id for c in stored) == sorted(f"{900000 + n}.0" for n in range(1, 151))
    first = min(stored, key=lambda c: c.at)
    assert (first.from_value, first.to_value, first.to_name) == (
        "new",
        "indeterminate",
        "In Progress",
    )
    assert len(changes(engine)) == expected_changes(issues)
    full_fetches = sync.server.count("/rest/api/3/changelog/bulkfetch") + sync.server.count(
        "/rest/api/2/issue/99999"
    )
    assert full_fetches == 1  # only the issue over the cap, in one request


def test_an_issue_moved_to_another_project_is_stored_once(
    engine: sa.Engine, fake_jira: Callable[..., Sync]
) -> None:
    before = issue_with_transitions("OPS-1", 4)
    moved = json.loads(json.dumps(before))  # the same issue id, a new key and a later update
    moved["key"], moved["fields"]["project"] = "SUP-5", {"key": "SUP"}
    moved["fields"]["updated"] = "2026-04-01T00:00:00.000+0000"
    fake_jira(FakeJira([before])).run(engine)
    assert set(tickets(engine)) == {"OPS-1"}

    fake_jira(FakeJira([moved])).run(engine)

    assert set(tickets(engine)) == {"SUP-5"} and tickets(engine)["SUP-5"].issue_id == "99999"
    assert {c.ticket_key for c in changes(engine)} == {"SUP-5"} and len(changes(engine)) == 4


# Failures -------------------------------------------------------------------------------------


@pytest.mark.parametrize("retry_after", ["1", "0"])
def test_429_waits_as_retry_after_says(
    engine: sa.Engine, fake_jira: Callable[..., Sync], retry_after: str
) -> None:
    sync = fake_jira(FakeJira(generated(30)))
    sync.server.inject(Fault(SEARCH_JQL, 429, headers={"Retry-After": retry_after}))

    summary = sync.run(engine)

    assert sync.waits == [float(retry_after)]  # 0 is "now", not "pick a backoff"
    assert len(tickets(engine)) == 30 and summary.error is None
    assert last_run(engine).requests == sync.server.count() == 6  # 5 + the refused one


def test_500s_are_retried_with_backoff(engine: sa.Engine, fake_jira: Callable[..., Sync]) -> None:
    sync = fake_jira(FakeJira(generated(30)))
    sync.server.inject(Fault(SEARCH_JQL, 500, times=2))

    sync.run(engine)

    assert len(sync.waits) == 2 and all(0 < wait <= 0.05 for wait in sync.waits)
    assert len(tickets(engine)) == 30
    assert sync.server.count(SEARCH_JQL) == 3


def test_malformed_issues_are_quarantined_and_the_rest_stored(
    engine: sa.Engine, fake_jira: Callable[..., Sync]
) -> None:
    issues = generated(12)
    del issues[3]["fields"]["status"]
    issues[7]["fields"]["created"] = "yesterday"
    broken = {3: issues[3]["key"], 7: issues[7]["key"]}
    sync = fake_jira(FakeJira(issues))

    summary = sync.run(engine)

    assert set(tickets(engine)) == {i["key"] for i in issues} - set(broken.values())
    held = {row.record_key: row for row in rows(engine, quarantine)}
    assert set(held) == {f"jira:{key}" for key in broken.values()}
    assert "fields.status.name is missing" in held[f"jira:{broken[3]}"].error
    assert "yesterday" in held[f"jira:{broken[7]}"].error
    assert held[f"jira:{broken[3]}"].payload["key"] == broken[3]
    assert held[f"jira:{broken[7]}"].payload["fields"]["created"] == "yesterday"
    assert summary.quarantined == last_run(engine).quarantined == 2
    assert stored_cursor(engine) == newest_updated(issues)


def test_a_crash_after_page_two_resumes_without_duplicates(
    engine: sa.Engine, fake_jira: Callable[..., Sync]
) -> None:
    issues = generated(250)
    sync = fake_jira(FakeJira(issues))

    def fail_the_third_page(summary: RunSummary) -> None:
        if summary.pages == 2:
            sync.server.inject(Fault(SEARCH_JQL, 400, body={"errorMessages": ["boom"]}))

    with pytest.raises(JIRAError, match="boom"):
        sync.run(engine, on_page=fail_the_third_page)

    ordered = by_updated(issues)
    assert set(tickets(engine)) == {i["key"] for i in ordered[:200]}
    assert stored_cursor(engine) == newest_updated(ordered[:200])
    assert "boom" in last_run(engine).error

    summary = sync.run(engine, lookback=timedelta(hours=6))

    assert summary.error is None
    assert set(tickets(engine)) == {i["key"] for i in issues}
    assert len(changes(engine)) == expected_changes(issues)  # primary keys: no duplicates
    assert stored_cursor(engine) == newest_updated(issues)


def test_an_incremental_run_with_nothing_new_is_cheap(
    engine: sa.Engine, fake_jira: Callable[..., Sync]
) -> None:
    issues = generated(150)
    fake = FakeJira(issues, time_zone="America/Los_Angeles")
    sync = fake_jira(fake)
    sync.run(engine)
    before = (tickets(engine), changes(engine), stored_cursor(engine))

    summary = sync.run(engine, lookback=timedelta(minutes=30))

    assert summary.requests <= 5  # serverInfo, myself, status, field, one search
    assert (tickets(engine), changes(engine), stored_cursor(engine)) == before
    cursor = datetime.fromisoformat(before[2] or "")
    since = (cursor - timedelta(minutes=30)).astimezone(ZoneInfo("America/Los_Angeles"))
    assert fake.queries[-1] == f'updated >= "{since:%Y-%m-%d %H:%M}" ORDER BY updated ASC'


def test_an_incremental_run_reads_what_changed(
    engine: sa.Engine, fake_jira: Callable[..., Sync]
) -> None:
    issues = generated(40)
    fake = FakeJira(issues)
    sync = fake_jira(fake)
    sync.run(engine)
    later = datetime.fromisoformat(stored_cursor(engine) or "") + timedelta(hours=2)
    issues[0]["fields"].update(summary="Changed", updated=later.isoformat())
    fake.reindex()

    summary = sync.run(engine)

    assert tickets(engine)[issues[0]["key"]].summary == "Changed"
    assert stored_cursor(engine) == later.isoformat()
    assert summary.records < 10


@pytest.mark.parametrize("zone", ["Pacific/Kiritimati", "Pacific/Honolulu", "Asia/Kolkata", None])
def test_the_jql_bound_is_written_in_the_users_zone(
    engine: sa.Engine, fake_jira: Callable[..., Sync], zone: str | None
) -> None:
    """Formatted in UTC, the bound would skip the newest issue for a user west of UTC."""
    issues = generated(20)
    sync = fake_jira(FakeJira(issues, time_zone=zone))
    sync.run(engine)

    summary = sync.run(engine)  # no lookback: only the minute floor overlaps

    newest = by_updated(issues)[-1]["key"]
    assert summary.records >= 1 and newest in tickets(engine)
    assert stored_cursor(engine) == newest_updated(issues)


def test_a_missing_secret_is_a_logged_run_error(
    engine: sa.Engine, fake_jira: Callable[..., Sync], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("JIRA_TOKEN")
    sync = fake_jira(FakeJira([]))
    with pytest.raises(ConfigError):
        sync.run(engine)
    assert "JIRA_TOKEN" in last_run(engine).error
    assert sync.server.requests == []


# Recorded real data ---------------------------------------------------------------------------


def _devlake_rows() -> list[dict[str, str]]:
    tables = fixtures_dir("devlake", "raw", "jira", "e2e", "raw_tables")
    csv.field_size_limit(1 << 30)
    with (tables / "_raw_jira_api_issues.csv").open(newline="", encoding="utf-8") as file:
        return [row for row in csv.DictReader(file) if json.loads(row["params"])["BoardId"] == 8]


def _replay(name: str) -> Any:
    index = json.loads((fixtures_dir("devlake", "replay") / "INDEX.json").read_text())
    [entry] = [e for e in index if name in e["url"]]
    return json.loads((fixtures_dir("devlake", "replay") / entry["file"]).read_text())


def test_recorded_devlake_issues_store_with_their_transitions(
    engine: sa.Engine, fake_jira: Callable[..., Sync]
) -> None:
    issues = [json.loads(row["data"]) for row in _devlake_rows()]
    statuses = _replay("/rest/api/2/status")
    sync = fake_jira(FakeJira(issues, statuses=statuses, time_zone="Asia/Shanghai"))

    summary = sync.run(engine)

    stored = tickets(engine)
    assert len(stored) == 30 and summary.quarantined == 0
    ee1 = stored["EE-1"]
    assert (ee1.status, ee1.project, ee1.issue_type) == (
        "已完成",
        "EE",
        issues[0]["fields"]["issuetype"]["name"],
    )
    assert ee1.resolved == datetime(2020, 6, 19, 6, 31, 18, 495000, tzinfo=UTC)
    assert ee1.due == date(2025, 3, 9) and ee1.assignee_account == "5ecfbd0c730ec90c1999cadf"
    # DevLake edited five resolved issues to the `new` category; the record says what Jira said.
    assert sorted(k for k, t in stored.items() if t.status_category == "new") == [
        "EE-1", "EE-10", "EE-35", "EE-36", "EE-37",
    ]  # fmt: skip
    stored_changes = changes(engine)
    status = [c for c in stored_changes if c.field == "status"]
    assert len(status) == 165 and len(stored_changes) - len(status) == 41
    closed_to_done = next(c for c in status if c.change_id == "86412.0")
    assert (closed_to_done.from_name, closed_to_done.to_name) == ("Closed", "已完成")
    assert (closed_to_done.from_value, closed_to_done.to_value) == ("done", "done")
    # Statuses of retired workflows are not in /status: their category is unknown, names kept.
    retired = [c for c in status if c.to_name and c.to_value is None]
    assert retired and all(c.to_name for c in retired)
    assert all(c.to_value in ("new", "indeterminate", "done", None) for c in status)


def test_the_replayed_search_page_matches_the_raw_rows() -> None:
    page = _replay("/rest/api/2/search/jql")
    statuses = jira_issues.status_categories(_replay("/rest/api/2/status"))
    parse = lambda raw: parse_issue(raw, source="jira", statuses=statuses, base_url="https://x")  # noqa: E731
    from_rows = [parse(json.loads(row["data"])) for row in _devlake_rows()]
    assert [parse(raw) for raw in page["issues"]] == from_rows


def test_the_openapi_example_issue_is_quarantined_not_guessed(
    engine: sa.Engine, fake_jira: Callable[..., Sync]
) -> None:
    examples = fixtures_dir("jira", "openapi-examples")
    example = json.loads((examples / "search_jql_GET_200.json").read_text())["issues"][0]
    sync = fake_jira(FakeJira([example, *generated(3)]))

    summary = sync.run(engine)

    assert summary.quarantined == 1 and len(tickets(engine)) == 3
    [held] = rows(engine, quarantine)
    assert held.record_key == "jira:ED-1" and held.payload["id"] == "10002"
    assert "fields.issuetype.name is missing" in held.error


def test_openapi_examples_of_times_and_categories() -> None:
    examples = fixtures_dir("jira", "openapi-examples")
    bulk = json.loads((examples / "changelog_bulkfetch_POST_200.json").read_text())
    created = bulk["issueChangeLogs"][0]["changeHistories"][0]["created"]
    assert jira_issues.parse_time(created) == datetime(2017, 4, 13, 8, 0, 29, tzinfo=UTC)
    # The documented categories ("in-flight", "completed") are not Jira's: none is trusted.
    statuses = json.loads((examples / "status_GET_200.json").read_text())
    assert jira_issues.status_categories(statuses) == {}
    myself = json.loads((examples / "myself_GET_200.json").read_text())
    assert jira.user_zone(myself) == ZoneInfo("Australia/Sydney")


# parse_issue and JQL, pure --------------------------------------------------------------------


def raw_issue(**fields: Any) -> dict[str, Any]:
    base = {
        "summary": "VPN down",
        "status": {"id": "3", "name": "En cours", "statusCategory": {"key": "indeterminate"}},
        "issuetype": {"name": "Bug"},
        "project": {"key": "OPS"},
        "assignee": {"accountId": "acc-1", "emailAddress": ""},
        "reporter": {"accountId": "acc-2"},
        "created": "2026-03-29T01:30:00.000+0100",
        "updated": "2026-03-29T03:30:00.000+0200",
        "resolutiondate": None,
        "duedate": "2026-04-01",
        "priority": {"name": "High"},
    }
    return {"id": "1", "key": "OPS-1", "fields": base | fields, "changelog": {"histories": []}}


def parse(raw: dict[str, Any]) -> tuple[Any, list[Any]]:
    return parse_issue(raw, source="jira", statuses=STATUSES, base_url="https://jira.example/")


def test_parse_issue_reads_times_with_their_offsets() -> None:
    ticket, _ = parse(raw_issue(resolutiondate="2026-03-29T10:00:00.000-0700"))
    # Europe's spring-forward night: +0100 before, +0200 after, one hour apart in UTC.
    assert ticket.created == datetime(2026, 3, 29, 0, 30, tzinfo=UTC)
    assert ticket.updated == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    assert ticket.resolved == datetime(2026, 3, 29, 17, 0, tzinfo=UTC)
    assert ticket.due == date(2026, 4, 1)
    assert (ticket.url, ticket.status, ticket.status_category) == (
        "https://jira.example/browse/OPS-1", "En cours", "indeterminate",
    )  # fmt: skip


def test_parse_issue_refuses_a_time_without_a_zone() -> None:
    with pytest.raises(ValueError, match="without a zone"):
        parse(raw_issue(updated="2026-03-29T03:30:00.000"))


def test_parse_issue_keeps_the_issue_id_that_survives_a_move() -> None:
    ticket, _ = parse({**raw_issue(), "id": 10042})  # the id, as text whatever its JSON type
    assert (ticket.key, ticket.issue_id) == ("jira:OPS-1", "10042")


def test_parse_issue_keeps_an_email_only_when_jira_shows_it() -> None:
    hidden, _ = parse(raw_issue())
    shown, _ = parse(raw_issue(assignee={"accountId": "acc-1", "emailAddress": "a@example.com"}))
    unassigned, _ = parse(raw_issue(assignee=None))
    assert (hidden.assignee_email, shown.assignee_email) == (None, "a@example.com")
    assert (unassigned.assignee_account, unassigned.assignee_email) == (None, None)


def test_parse_issue_takes_data_center_user_keys() -> None:
    ticket, _ = parse(raw_issue(assignee={"key": "JIRAUSER10100", "name": "jdoe"}))
    assert ticket.assignee_account == "JIRAUSER10100"


def test_status_category_falls_back_to_the_status_list() -> None:
    ticket, _ = parse(raw_issue(status={"id": "10001", "name": "Erledigt"}))
    assert ticket.status_category == "done"
    with pytest.raises(ValueError, match="no known category"):
        parse(raw_issue(status={"id": "777", "name": "Limbo", "statusCategory": {"key": "odd"}}))


def test_parse_issue_keeps_status_and_assignee_changes_only() -> None:
    history = {
        "id": "501",
        "created": "2026-03-30T09:00:00.000+0900",
        "author": {"accountId": "acc-2"},
        "items": [
            {"field": "Rank", "fieldtype": "custom", "fieldId": "customfield_10019"},
            {"field": "status", "fieldtype": "jira", "from": "10000", "fromString": "A faire",
             "to": "6", "toString": "Closed"},
            {"field": "status", "fieldtype": "custom", "from": "x", "to": "y"},
            {"field": "assignee", "fieldtype": "jira", "fieldId": "assignee",
             "from": None, "to": "acc-3", "toString": "Carol"},
            {"field": "status", "fieldtype": "jira", "from": "10001", "fromString": "Done",
             "to": "12345", "toString": "Retired"},
        ],
    }  # fmt: skip
    _, found = parse(raw_issue() | {"changelog": {"histories": [history]}})
    assert [(c.change_id, c.field, c.from_value, c.to_value, c.to_name) for c in found] == [
        ("501.1", "status", "new", "done", "Closed"),  # 6 is a built-in status: Closed
        ("501.3", "assignee", None, "acc-3", "Carol"),
        ("501.4", "status", "done", None, "Retired"),  # not listed any more: unknown category
    ]
    assert {c.at for c in found} == {datetime(2026, 3, 30, 0, 0, tzinfo=UTC)}
    assert {c.author_account for c in found} == {"acc-2"}


def test_parse_issue_does_not_change_its_input() -> None:
    raw = raw_issue()
    snapshot = json.dumps(raw, sort_keys=True)
    parse(raw)
    assert json.dumps(raw, sort_keys=True) == snapshot


def test_order_by_is_stripped_outside_quotes_only() -> None:
    assert strip_order_by("project = OPS order by created DESC") == "project = OPS"
    assert strip_order_by('summary ~ "order by" ORDER BY rank') == 'summary ~ "order by"'
    assert strip_order_by("order by updated") == ""


def test_build_jql_bounds_every_query() -> None:
    assert build_jql("order by updated", None, None) == (
        'updated >= "1970-01-01 00:00" ORDER BY updated ASC'
    )
    since = datetime(2026, 10, 25, 0, 59, 59, tzinfo=UTC)  # 02:59 CEST, an hour before 02:59 CET
    assert build_jql("project = A OR project = B", since, ZoneInfo("Europe/Berlin")) == (
        '(project = A OR project = B) AND updated >= "2026-10-25 01:59" ORDER BY updated ASC'
    )


@pytest.mark.parametrize(
    ("zone", "literal"),
    [
        ("UTC", "2026-10-25 01:30"),
        ("Europe/Berlin", "2026-10-25 02:30"),  # the 2nd 02:30 of that night: either is before
        ("Asia/Kolkata", "2026-10-25 07:00"),
        ("Pacific/Kiritimati", "2026-10-25 15:30"),
        ("America/St_Johns", "2026-10-24 23:00"),
        (None, "2026-10-24 13:30"),  # zone unknown: early enough for any zone
    ],
)
def test_jql_time_is_the_users_wall_clock(zone: str | None, literal: str) -> None:
    instant = datetime(2026, 10, 25, 1, 30, 45, tzinfo=UTC)
    assert jql_time(instant, ZoneInfo(zone) if zone else None) == literal


@pytest.mark.parametrize(
    ("instant", "literal"),
    [
        (datetime(2026, 11, 1, 4, 59, tzinfo=UTC), "2026-11-01 00:59"),  # EDT, happens once
        (datetime(2026, 11, 1, 5, 30, tzinfo=UTC), "2026-11-01 00:30"),  # 1st 01:30: back an hour
        (datetime(2026, 11, 1, 6, 30, tzinfo=UTC), "2026-11-01 01:30"),  # 2nd 01:30: the 1st
        (datetime(2026, 11, 1, 7, 0, tzinfo=UTC), "2026-11-01 02:00"),  # EST, happens once
        (datetime(2026, 3, 8, 7, 0, tzinfo=UTC), "2026-03-08 03:00"),  # spring: 02:xx never is
    ],
)
def test_jql_time_at_the_autumn_clock_change_is_before_in_either_meaning(
    instant: datetime, literal: str
) -> None:
    """New York's 01:00–02:00 of 1 November 2026 happens twice (EDT, then EST); Jira may read
    it either way, so the literal is at or before `instant` in both."""
    zone = ZoneInfo("America/New_York")
    assert jql_time(instant, zone) == literal
    for fold in (0, 1):
        read = datetime.strptime(literal, jira.JQL_TIME).replace(tzinfo=zone, fold=fold)
        assert read <= instant


def test_datacenter_restart_bound_in_the_repeated_hour_skips_nothing(
    engine: sa.Engine, fake_jira: Callable[..., Sync]
) -> None:
    """Two pages end at 01:20 EDT; a Jira reading "01:20" as EST (an hour later) would skip the
    issues of that hour, so the restart bound says 00:20."""
    issues = spaced(10, datetime(2026, 11, 1, 5, 10, tzinfo=UTC), timedelta(minutes=10))
    fake = FakeJira(issues, deployment="datacenter", time_zone="America/New_York", later_fold=True)
    sync = fake_jira(fake, email_env=None, page_size=2)

    sync.run(engine)

    assert set(tickets(engine)) == {issue["key"] for issue in issues}
    assert fake.queries[1] == 'updated >= "2026-11-01 00:20" ORDER BY updated ASC, key ASC'
