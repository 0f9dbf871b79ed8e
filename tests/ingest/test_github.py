"""The GitHub connector through the real PyGithub client, against recorded and fake GitHub.

REST: PyGithub's own recorded api.github.com exchanges (deployments and statuses, workflow runs
over Link-paginated pages, 403 rate limits, 502 then success, a 304) are replayed in the order a
sync asks for them; a request without a recorded answer, or a recorded answer never asked for,
fails the test. GraphQL: the 49 real pull requests and 30 reviews of panjf2000/ants (DevLake's
recordings) are served by the fake; every query the connector sends is validated against GitHub's
published schema and, where the test is not about volume, executed there by graphql-core over the
same data: the fake's hand-written answer must equal the schema's, field for field.
"""

from __future__ import annotations

import ast
import csv
import json
import re
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from github import GithubException
from graphql import GraphQLSchema, build_schema, graphql_sync, parse, validate

from config.people import Person
from config.sources import GithubSource
from fakes.github import (
    FakeGithub,
    FakePullRequest,
    FakeReview,
    connection,
    deployment_node_id,
    generate_deployments,
    generate_pull_requests,
    generate_workflow_runs,
    iso,
    newest_first,
    run_json,
    timeline_nodes,
)
from fakes.server import Fault, LocalServer, Request, Response, serving
from ingest.evidence import load_evidence
from ingest.records import Deployment, PullRequest, Record, Review, ReviewRequest
from ingest.sources import github, github_deployments, streams_for
from ingest.sources.github_graphql import (
    PULL_REQUESTS_QUERY,
    REVIEWS_QUERY,
    TIMELINE_QUERY,
    parse_pull_request,
    rate_limit_wait,
)
from ingest.store import RECORD_TABLES, sync_runs
from ingest.sync import Page, Reject, Stream, run_stream
from tests.conftest import fixtures_dir

ANTS = "panjf2000/ants"
NOW = datetime(2026, 6, 1, tzinfo=UTC)
LOGINS = ("ann", "bob", "cy", "dee", "dependabot[bot]")
LOOKBACK = timedelta(hours=1)


# Fixtures and helpers -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def schema() -> GraphQLSchema:
    sdl = (fixtures_dir("github", "graphql-schema") / "schema.graphql").read_text()
    built = build_schema(sdl, assume_valid_sdl=True)
    built._validation_errors = []  # GitHub's SDL breaks deprecation rules graphql-core checks
    return built


@pytest.fixture(autouse=True)
def token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", "test-token")


@dataclass
class Clock:
    """A clock that only moves when the code under test sleeps."""

    now: datetime = NOW
    sleeps: list[float] = field(default_factory=list)

    def __call__(self) -> datetime:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += timedelta(seconds=seconds)


def source(url: str, repos: list[str], **settings: Any) -> GithubSource:
    return GithubSource(
        name="gh", kind="github", url=url, token_env="GITHUB_TOKEN", repos=repos, **settings
    )


def make_streams(config: GithubSource, clock: Clock) -> dict[str, Stream]:
    found = github.streams(
        config, lookback=LOOKBACK, clock=clock, sleep=clock.sleep, seconds_between_requests=0
    )
    return {stream.name: stream for stream in found}


@dataclass
class Collected:
    records: list[Record]
    rejects: list[Reject]
    cursor: str | None
    requests: int

    def of(self, kind: type[Record]) -> list[Any]:
        return [r for r in self.records if isinstance(r, kind)]


def collect(stream: Stream, cursor: str | None = None) -> Collected:
    """Run a stream without a database: its records, rejects, final cursor and requests."""
    before = stream.requests_issued()
    pages: list[Page] = list(stream.fetch(cursor))
    final = next((p.cursor for p in reversed(pages) if p.cursor is not None), cursor)
    records = [r for p in pages for r in p.records]
    rejects = [r for p in pages for r in p.rejects]
    return Collected(records, rejects, final, stream.requests_issued() - before)


@contextmanager
def served(handler: Callable[[Request], Response | None]) -> Iterator[LocalServer]:
    """A local server that fails the test on any request nothing answered."""
    with serving(handler) as server:
        yield server
        assert server.unanswered == [], [(r.method, r.path, r.query) for r in server.unanswered]


def rows(engine: sa.Engine, table: str) -> list[sa.Row[Any]]:
    with engine.connect() as conn:
        return list(conn.execute(sa.select(RECORD_TABLES[table])))


# GraphQL through the schema -------------------------------------------------------------------


def assert_valid(schema: GraphQLSchema, query: str) -> None:
    errors = validate(schema, parse(query))
    assert errors == [], [error.message for error in errors]


def pull_request_graph(pr: FakePullRequest) -> dict[str, Any]:
    """More than any query asks (id, isDraft, state, ...): execution keeps what is selected."""
    author: dict[str, Any] | None = None
    if pr.author is not None:
        bot = pr.author.endswith("[bot]")
        login = pr.author.removesuffix("[bot]")
        author = {"__typename": "Bot" if bot else "User", "login": login, "id": f"A_{login}",
                  "email": pr.author_email, "url": f"https://github.com/{login}"}
    commits = [] if pr.commit_email is None and pr.commit_login is None else [{"commit": {
        "oid": "0" * 40, "message": "change",
        "author": {"email": pr.commit_email, "name": "Someone",
                   "user": None if pr.commit_login is None else {"login": pr.commit_login}},
    }}]
    review_graph = [
        {"id": r.id, "url": r.url, "state": r.state, "submittedAt": iso(r.submitted),
         "body": "", "author": None if r.author is None else {
             "__typename": "Bot" if r.author.endswith("[bot]") else "User",
             "login": r.author.removesuffix("[bot]"), "email": "hidden@example.com"}}
        for r in pr.reviews
    ]
    return {
        "id": f"PR_{pr.repo}#{pr.number}", "isDraft": False, "state": "OPEN", "number": pr.number,
        "title": pr.title, "url": pr.url, "createdAt": iso(pr.created),
        "updatedAt": iso(pr.updated), "mergedAt": iso(pr.merged), "closedAt": iso(pr.closed),
        "additions": pr.additions, "deletions": pr.deletions, "baseRefName": pr.base,
        "author": author,
        "commits": lambda _info, first, **_: {"totalCount": 1, "nodes": commits[:first]},
        "timelineItems": lambda _info, first, after=None, itemTypes=(), **_: connection(
            [n for n in timeline_nodes(pr) if _item_type(n) in itemTypes], first, after
        ),
        "reviews": lambda _info, first, after=None, **_: connection(review_graph, first, after),
    }


def _item_type(node: dict[str, Any]) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", node["__typename"]).upper()


def graph_root(fake: FakeGithub, rate_limit: dict[str, Any]) -> dict[str, Any]:
    def repository(_info: Any, owner: str, name: str, **_: Any) -> dict[str, Any] | None:
        repo = f"{owner}/{name}"
        if repo not in fake.repos:
            return None

        def pull_requests(_info: Any, first: int, after: str | None = None, orderBy: Any = None,
                          **_: Any) -> dict[str, Any]:
            assert orderBy == {"field": "UPDATED_AT", "direction": "DESC"}
            prs = newest_first(fake.pull_requests.get(repo, []))
            return connection(prs, first, after, pull_request_graph)

        def pull_request(_info: Any, number: int, **_: Any) -> dict[str, Any]:
            return pull_request_graph(fake.pull_request(repo, number))

        def deployments(_info: Any, first: int, after: str | None = None, orderBy: Any = None,
                        environments: Any = None, **_: Any) -> dict[str, Any]:
            assert orderBy == {"field": "CREATED_AT", "direction": "DESC"}
            found = [d for d in fake.deployments.get(repo, [])
                     if not environments or d["environment"] in environments]
            ordered = sorted(found, key=lambda d: (d["created_at"], d["id"]), reverse=True)
            return connection(ordered, first, after, deployment_graph)

        return {"nameWithOwner": repo, "pullRequests": pull_requests, "pullRequest": pull_request,
                "deployments": deployments}

    def deployment_graph(deployment: dict[str, Any]) -> dict[str, Any]:
        node = fake.deployment_node(deployment)
        creator = node["creator"] and {**node["creator"], "__typename": "User"}
        return {**node, "__typename": "Deployment", "creator": creator}

    def nodes(_info: Any, ids: list[str]) -> list[dict[str, Any] | None]:
        by_id = {deployment_node_id(d["id"]): d for ds in fake.deployments.values() for d in ds}
        return [deployment_graph(by_id[i]) if i in by_id else None for i in ids]

    return {"rateLimit": rate_limit, "repository": repository, "nodes": nodes}


@dataclass
class SchemaChecked:
    """The fake, with every GraphQL request validated against GitHub's published schema and (with
    `execute`, ~0.3 s a page) its answer compared with graphql-core executing the same query over
    the same data."""

    fake: FakeGithub
    schema: GraphQLSchema
    execute: bool = True
    checked: int = 0

    def __call__(self, request: Request) -> Response | None:
        answer = self.fake(request)
        if request.method != "POST" or answer is None or "data" not in answer.body:
            return answer
        try:
            self._check(request.json(), answer.body["data"])
        except Exception as exc:  # answered, so the failure reaches the test, not a server log
            return Response(400, {"message": f"{type(exc).__name__}: {exc}"})
        return answer

    def _check(self, payload: dict[str, Any], data: dict[str, Any]) -> None:
        assert_valid(self.schema, payload["query"])
        self.checked += 1
        if not self.execute:
            return
        executed = graphql_sync(
            self.schema, payload["query"], graph_root(self.fake, data["rateLimit"]),
            variable_values=payload["variables"],
        )
        assert executed.errors is None, executed.errors
        assert executed.data == data, _first_difference(executed.data, data)


def _first_difference(expected: Any, actual: Any, path: str = "") -> str:
    if isinstance(expected, dict) and isinstance(actual, dict):
        for key in sorted(set(expected) | set(actual)):
            if expected.get(key, "<missing>") != actual.get(key, "<missing>"):
                return _first_difference(expected.get(key, "<missing>"),
                                         actual.get(key, "<missing>"), f"{path}.{key}")
    if isinstance(expected, list) and isinstance(actual, list) and len(expected) == len(actual):
        for index, (left, right) in enumerate(zip(expected, actual, strict=True)):
            if left != right:
                return _first_difference(left, right, f"{path}[{index}]")
    return f"{path}: schema {expected!r} != fake {actual!r}"


def test_every_query_of_the_connector_is_valid_against_the_schema(schema: GraphQLSchema) -> None:
    for query in (PULL_REQUESTS_QUERY, REVIEWS_QUERY, TIMELINE_QUERY,
                  github_deployments.DEPLOYMENTS_QUERY, github_deployments.DEPLOYMENT_NODES_QUERY):
        assert_valid(schema, query)


# The recorded panjf2000/ants pull requests ----------------------------------------------------


def _replay_bodies(folder: Path, pattern: str) -> dict[str, Any]:
    index = json.loads((folder / "INDEX.json").read_text())
    return {
        found.group(1) if found.groups() else entry["path"]: json.loads(
            (folder / entry["file"]).read_text()
        )
        for entry in index
        if (found := re.fullmatch(pattern, entry["path"]))
    }


def ants_pull_requests() -> list[FakePullRequest]:
    """DevLake's recorded REST answers for panjf2000/ants as the fake's pull requests."""
    replay = fixtures_dir("devlake", "replay")
    pulls = _replay_bodies(replay, rf"/repos/{ANTS}/pulls")[f"/repos/{ANTS}/pulls"]
    reviews = _replay_bodies(replay, rf"/repos/{ANTS}/pulls/(\d+)/reviews")
    commits = _replay_bodies(replay, rf"/repos/{ANTS}/pulls/(\d+)/commits")
    events = _replay_bodies(replay, rf"/repos/{ANTS}/issues/events")[f"/repos/{ANTS}/issues/events"]
    ready_at = {e["issue"]["number"]: e["created_at"] for e in events
                if e["event"] == "ready_for_review"}
    prs = []
    for pull in pulls:
        number = pull["number"]
        first_commit = (commits.get(str(number)) or [None])[0]
        prs.append(FakePullRequest(
            repo=ANTS, number=number, title=pull["title"], author=pull["user"]["login"],
            created=_time(pull["created_at"]), updated=_time(pull["updated_at"]),
            merged=_time(pull["merged_at"]), closed=_time(pull["closed_at"]),
            additions=pull.get("additions", 0), deletions=pull.get("deletions", 0),
            base=pull["base"]["ref"],
            commit_email=first_commit["commit"]["author"]["email"] if first_commit else None,
            commit_login=((first_commit or {}).get("author") or {}).get("login"),
            reviews=[
                FakeReview(r["node_id"], (r["user"] or {}).get("login"), r["state"],
                           _time(r["submitted_at"]), r["html_url"])
                for r in reviews.get(str(number), [])
            ],
            ready_for_review=[_time(ready_at[number])] if number in ready_at else [],
        ))
    return prs


def _time(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def test_ants_replay_matches_devlakes_raw_tables() -> None:
    raw = fixtures_dir("devlake", "raw", "github", "e2e", "raw_tables")
    csv.field_size_limit(10**8)

    def numbers(name: str, key: str) -> set[Any]:
        with (raw / name).open() as file:
            return {json.loads(row["data"])[key] for row in csv.DictReader(file)}

    prs = ants_pull_requests()
    assert numbers("_raw_github_api_pull_requests.csv", "number") == {pr.number for pr in prs}
    review_ids = numbers("_raw_github_api_pull_request_reviews.csv", "node_id")
    assert review_ids == {r.id for pr in prs for r in pr.reviews}
    assert (len(prs), len(review_ids)) == (49, 30)


def test_ants_pull_requests_and_reviews_in_one_query(
    engine: sa.Engine, schema: GraphQLSchema
) -> None:
    fake = FakeGithub(clock=Clock())
    fake.add_pull_requests(ants_pull_requests())
    checked = SchemaChecked(fake, schema)
    with served(checked) as server:
        streams = make_streams(source(server.url, [ANTS], deployments={"environments": []}),
                               Clock())
        assert list(streams) == ["pull_requests"]
        first = run_stream(engine, streams["pull_requests"])
        again = run_stream(engine, streams["pull_requests"])
    assert (first.requests, again.requests, checked.checked) == (1, 1, 2)
    prs = {r.number: r for r in rows(engine, "pull_requests")}
    reviews = rows(engine, "reviews")
    assert (len(prs), len(reviews)) == (49, 30)
    assert sum(pr.merged is not None for pr in prs.values()) == 26
    assert sorted(n for n, pr in prs.items() if pr.closed is None) == [158, 167, 176, 211]
    assert prs[211].ready_for_review == datetime(2022, 2, 7, 21, 31, 56, tzinfo=UTC)
    assert Counter(r.state for r in reviews) == {"COMMENTED": 27, "CHANGES_REQUESTED": 3}
    # A GitHub trap: an author's replies on their own pull request are COMMENTED reviews.
    own = [r for r in reviews if r.reviewer_account == prs[r.number].author_account]
    assert len(own) == 16
    # The profiles hide their e-mail: it comes from the author's own first commit, if theirs.
    replay = fixtures_dir("devlake", "replay")
    commits = _replay_bodies(replay, rf"/repos/{ANTS}/pulls/(\d+)/commits")
    assert prs[48].author_email == commits["48"][0]["commit"]["author"]["email"]
    assert prs[11].author_email is None  # its first commit is someone else's
    assert sum(pr.author_email is not None for pr in prs.values()) == 36
    review = next(r for r in reviews if r.url.endswith("#pullrequestreview-277027723"))
    assert (review.number, review.reviewer_account, review.submitted) == (
        41, "choleraehyq", datetime(2019, 8, 20, 9, 5, 2, tzinfo=UTC))
    with engine.connect() as conn:
        cursor = conn.execute(sa.text("select cursor from sync_state")).scalar_one()
        logged = conn.execute(sa.select(sync_runs.c.records, sync_runs.c.requests)).all()
    assert json.loads(cursor)["repos"][ANTS]["since"] == "2022-04-14T17:31:43+00:00"
    assert [tuple(r) for r in logged] == [(49 + 30, 1), (1, 1)]  # the lookback re-read PR 211


# Pull requests: paging, timeouts, budget, incremental -----------------------------------------


def generated(n: int, repos: list[str], seed: int = 1) -> list[FakePullRequest]:
    return generate_pull_requests(n, logins=LOGINS, repos=repos, start=NOW - timedelta(days=90),
                                  end=NOW - timedelta(days=1), seed=seed)


def pr_streams(server: LocalServer, repos: list[str], clock: Clock) -> Stream:
    config = source(server.url, repos, deployments={"environments": []})
    return make_streams(config, clock)["pull_requests"]


def test_a_timed_out_query_is_asked_again_for_fewer_pull_requests(schema: GraphQLSchema) -> None:
    fake = FakeGithub(clock=Clock())
    fake.add_pull_requests(generated(130, ["acme/api"]))
    with served(SchemaChecked(fake, schema)) as server:
        server.inject(Fault("/graphql", 502, times=2, body={"message": "Bad gateway"}))
        result = collect(pr_streams(server, ["acme/api"], Clock()))
    sizes = [body["variables"]["first"] for body in fake.graphql_log]
    assert sizes == [25, 25, 25, 25, 25, 25]  # 100 and 50 timed out (not logged by the fake)
    assert server.count("/graphql") == 8 and result.requests == 8
    assert len(result.of(PullRequest)) == 130


def test_a_pull_request_with_more_than_100_reviews_pages_on(schema: GraphQLSchema) -> None:
    pr = generated(1, ["acme/api"])[0]
    start = pr.created + timedelta(hours=1)
    pr.reviews = [FakeReview(f"PRR_{i}", LOGINS[i % 4], "COMMENTED", start + timedelta(minutes=i),
                             f"{pr.url}#pullrequestreview-{i}") for i in range(230)]
    pr.review_requests = [("bob", start - timedelta(minutes=i)) for i in range(120)]
    pr.updated = start + timedelta(days=1)
    fake = FakeGithub(clock=Clock())
    fake.add_pull_requests([pr])
    with served(SchemaChecked(fake, schema)) as server:
        result = collect(pr_streams(server, ["acme/api"], Clock()))
    operations = Counter(re.search(r"query (\w+)", b["query"]).group(1) for b in fake.graphql_log)
    assert operations == {"PullRequests": 1, "PullRequestReviews": 2, "PullRequestTimeline": 1}
    assert len(result.of(Review)) == 230 and len(result.of(ReviewRequest)) == 120
    assert result.requests == 4


@pytest.mark.parametrize("remaining", [1, 0])
def test_the_budget_is_never_overdrawn(schema: GraphQLSchema, remaining: int) -> None:
    """With 1 point left the second query waits for the reset; with none (spent by another
    client on the same token) GitHub answers RATE_LIMITED, and the query is asked again after."""
    clock = Clock()
    fake = FakeGithub(clock=clock)
    fake.add_pull_requests(generated(250, ["acme/api"]))
    fake.graphql_remaining = remaining
    with served(SchemaChecked(fake, schema, execute=False)) as server:
        result = collect(pr_streams(server, ["acme/api"], clock))
    assert len(result.of(PullRequest)) == 250 and result.requests == 3 + (remaining == 0)
    assert clock.sleeps == [3600 + 1]  # until the window resets, plus a second


def test_an_incremental_run_stops_at_the_cursor_and_sees_updates(schema: GraphQLSchema) -> None:
    fake = FakeGithub(clock=Clock())
    fake.add_pull_requests(generated(250, ["acme/api"]))
    with served(SchemaChecked(fake, schema, execute=False)) as server:
        stream = pr_streams(server, ["acme/api"], Clock())
        first = collect(stream)
        oldest = min(fake.pull_requests["acme/api"], key=lambda pr: pr.updated)
        reviewed = max(pr.updated for pr in fake.pull_requests["acme/api"]) + timedelta(hours=2)
        oldest.reviews.append(FakeReview("PRR_new", "dee", "APPROVED", reviewed, oldest.url))
        oldest.updated = reviewed
        second = collect(stream, first.cursor)
    assert (first.requests, second.requests) == (3, 1)
    assert next(pr.number for pr in second.of(PullRequest)) == oldest.number
    assert "PRR_new" in {r.review_id for r in second.of(Review)}
    assert json.loads(second.cursor)["repos"]["acme/api"]["since"] == reviewed.isoformat()


def test_a_pull_request_that_cannot_be_read_is_quarantined(engine: sa.Engine) -> None:
    fake = FakeGithub(clock=Clock())
    prs = generated(3, ["acme/api"])
    fake.add_pull_requests(prs)
    original = fake._pull_requests_data

    def broken(repo: str, variables: dict[str, Any]) -> dict[str, Any]:
        data = original(repo, variables)
        data["pullRequests"]["nodes"][1]["createdAt"] = "yesterday"
        return data

    fake._pull_requests_data = broken  # type: ignore[method-assign]
    with served(fake) as server:
        summary = run_stream(engine, pr_streams(server, ["acme/api"], Clock()))
    bad = newest_first(prs)[1]
    with engine.connect() as conn:
        (quarantined,) = conn.execute(sa.text("select record_key, error, payload from quarantine"))
    assert summary.quarantined == 1
    assert sorted(r.number for r in rows(engine, "pull_requests")) == sorted(
        pr.number for pr in prs if pr is not bad)
    assert bad.number not in {r.number for r in rows(engine, "reviews")}
    assert quarantined.record_key == f"gh:acme/api/{bad.number}"
    assert "yesterday" in quarantined.error
    payload = quarantined.payload if isinstance(quarantined.payload, dict) else json.loads(
        quarantined.payload)
    assert payload["number"] == bad.number  # the raw node is kept whole


def test_parsing_keeps_rest_spellings_and_skips_pending_reviews() -> None:
    node = {
        "number": 7, "title": "Bump", "url": "https://github.com/acme/api/pull/7",
        "createdAt": "2026-05-01T10:00:00Z", "updatedAt": "2026-05-02T10:00:00Z",
        "mergedAt": None, "closedAt": None, "additions": 1, "deletions": 1, "baseRefName": "main",
        "author": {"__typename": "Bot", "login": "dependabot"},
        "commits": {"nodes": []},
        "timelineItems": {"pageInfo": {"hasNextPage": False}, "nodes": [
            {"__typename": "ReviewRequestedEvent", "createdAt": "2026-05-01T11:00:00Z",
             "requestedReviewer": {"__typename": "Team", "slug": "platform"}},
            {"__typename": "ReviewRequestedEvent", "createdAt": "2026-05-01T11:00:00Z",
             "requestedReviewer": None},
        ]},
        "reviews": {"pageInfo": {"hasNextPage": False}, "nodes": [
            {"id": "R1", "url": "u", "state": "PENDING", "submittedAt": None, "author": None},
            {"id": "R2", "url": "u", "state": "APPROVED", "submittedAt": "2026-05-01T12:00:00Z",
             "author": None},
        ]},
    }
    pr, requests, reviews = parse_pull_request(node, source="gh", repo="acme/api")
    assert (pr.author_account, pr.author_email, pr.ready_for_review) == ("dependabot[bot]", None,
                                                                         None)
    assert [r.reviewer_account for r in requests] == ["team:platform"]
    assert [(r.review_id, r.reviewer_account) for r in reviews] == [("R2", None)]


# REST replayed from PyGithub's recordings -----------------------------------------------------


@dataclass(frozen=True)
class Exchange:
    """One recorded exchange of PyGithub's ReplayData (10 lines + a blank one)."""

    verb: str
    path: str
    status: int
    headers: tuple[tuple[str, str], ...]
    body: str


def exchanges(name: str) -> list[Exchange]:
    lines = (fixtures_dir("github", "pygithub-replay", "ReplayData") / name).read_text().split("\n")
    found, index = [], 0
    while index + 9 < len(lines):
        if not lines[index].strip():
            index += 1
            continue
        chunk = lines[index : index + 10]
        headers = tuple((k.lower(), v) for k, v in ast.literal_eval(chunk[8]))
        found.append(Exchange(chunk[1], chunk[4], int(chunk[7]), headers, chunk[9]))
        index += 11
    return found


_HOP_BY_HOP = {"content-encoding", "transfer-encoding", "content-length", "connection", "status"}


@dataclass
class Route:
    """Answer a request for this method, path and query (any order) with a recorded exchange."""

    method: str
    path: str
    query: dict[str, str]
    exchange: Exchange
    expect: dict[str, str] = field(default_factory=dict)  # request headers it must carry
    headers: dict[str, str | None] = field(default_factory=dict)  # header edits (None: drop)

    def answer(self, request: Request) -> Response:
        for name, value in self.expect.items():
            assert request.headers.get(name) == value, (name, request.headers)
        local = f"http://{request.headers['host']}"
        headers = {k: v.replace("https://api.github.com", local)
                   for k, v in self.exchange.headers if k not in _HOP_BY_HOP}
        for name, value in self.headers.items():
            headers.pop(name, None)
            if value is not None:
                headers[name] = value
        return Response(self.exchange.status, self.exchange.body.encode(), headers)


@dataclass
class Replay:
    """Routes answer once each, in order; equal routes are separate answers (a retried URL)."""

    routes: list[Route]
    used: set[int] = field(default_factory=set)  # indexes into `routes`

    def __call__(self, request: Request) -> Response | None:
        assert request.headers.get("authorization") in ("token test-token", "Bearer test-token")
        query = {name: values[-1] for name, values in request.query.items()}
        for index, route in enumerate(self.routes):
            if index not in self.used and (route.method, route.path, route.query) == (
                request.method, request.path, query
            ):
                self.used.add(index)
                return route.answer(request)
        return None

    def unused(self) -> list[Route]:
        return [route for index, route in enumerate(self.routes) if index not in self.used]


def recorded(name: str, index: int = 0) -> Exchange:
    return exchanges(name)[index]


def rest_streams(server: LocalServer, repos: list[str], clock: Clock, **deployments: Any
                 ) -> dict[str, Stream]:
    config = source(server.url, repos, deployments=deployments)
    return make_streams(config, clock)


def test_deployments_come_with_their_statuses_in_one_query_and_unfinished_ones_are_reread(
    engine: sa.Engine, schema: GraphQLSchema
) -> None:
    """Each GraphQL page carries its deployments' statuses: no request per deployment. One still
    in progress is read again by node id on the next run, in one query for the repository."""
    clock = Clock()
    fake = FakeGithub(clock=clock)
    made = generate_deployments(150, logins=LOGINS[:4], repos=["acme/api"],
                                start=NOW - timedelta(days=30), end=NOW - timedelta(days=1))
    for repo, deployment, statuses in made:
        fake.add_deployment(repo, deployment, statuses)
    earlier = NOW - timedelta(hours=3)  # before the newest, less the lookback: not listed again
    running = {**made[0][1], "id": 1, "created_at": iso(earlier), "updated_at": iso(earlier)}
    fake.add_deployment("acme/api", running, [{**made[0][2][-1], "state": "in_progress"}])
    newest = {**made[0][1], "id": 3, "created_at": iso(NOW), "updated_at": iso(NOW)}
    fake.add_deployment("acme/api", newest, made[0][2])
    fake.add_deployment("acme/api", {**running, "id": 2, "environment": "staging"})
    with served(SchemaChecked(fake, schema)) as server:
        stream = rest_streams(server, ["acme/api"], clock, environments=["production"])
        first = run_stream(engine, stream["deployments"])
        fake.statuses[1].insert(0, {**made[0][2][0], "state": "success",
                                    "created_at": iso(NOW + timedelta(minutes=5)),
                                    "updated_at": iso(NOW + timedelta(minutes=5))})
        second = run_stream(engine, stream["deployments"])
    assert (first.requests, second.requests) == (2, 2)  # 152 in two pages; a page and the rest
    assert [p["query"].split("(")[0].split()[-1] for p in fake.graphql_log] == [
        "Deployments", "Deployments", "Deployments", "DeploymentNodes"]
    stored = {r.deployment_id: r for r in rows(engine, "deployments")}
    assert len(stored) == 152 and "deployment/2" not in stored  # staging is not configured
    assert (stored["deployment/1"].state, stored["deployment/1"].finished) == (
        "success", NOW + timedelta(minutes=5))
    some = made[5][1]
    parsed = stored[f"deployment/{some['id']}"]
    assert parsed.state == made[5][2][0]["state"] and parsed.creator_account == some["creator"][
        "login"] and parsed.url == made[5][2][0]["log_url"]
    with engine.connect() as conn:
        cursor = json.loads(conn.execute(sa.text("select cursor from sync_state")).scalar_one())
    assert cursor["repos"]["acme/api"]["pending"] == {}


def test_a_deleted_unfinished_deployment_is_dropped_from_the_cursor(
    schema: GraphQLSchema,
) -> None:
    clock = Clock()
    fake = FakeGithub(clock=clock)
    fake.add_repo("acme/api")
    pending = {"DE_404": iso(NOW - timedelta(hours=2)), "900001": iso(NOW)}  # REST-era: dropped
    cursor = json.dumps({"repos": {"acme/api": {"since": iso(NOW), "etag": None,
                                                "pending": pending}}})
    with served(SchemaChecked(fake, schema)) as server:
        stream = rest_streams(server, ["acme/api"], clock, environments=["production"])
        result = collect(stream["deployments"], cursor)
    assert result.requests == 2 and result.records == []
    assert json.loads(result.cursor or "")["repos"]["acme/api"]["pending"] == {}
    assert fake.graphql_log[-1]["variables"] == {"ids": ["DE_404"]}


def test_rate_limit_waits_are_the_ones_github_asks_for() -> None:
    """PyGithub's recorded refusals on a REST listing (the workflow runs): until
    X-RateLimit-Reset, Retry-After, else a minute, then urllib3's backoff for a 502."""
    clock = Clock()
    repo = "ReDASers/PhishBench"
    listing = f"/repos/{repo}/actions/runs"
    query = {"per_page": "100"}
    reset = str(int((clock.now + timedelta(seconds=120)).timestamp()))
    abuse = recorded("SpecificExceptions.testAuthenticatedRateLimitExceeded.txt", 1)
    replay = Replay([
        Route("GET", listing, query, recorded("SpecificExceptions.testRateLimitExceeded.txt", 1),
              headers={"x-ratelimit-reset": reset}),
        Route("GET", listing, query, abuse),
        Route("GET", listing, query, abuse, headers={"retry-after": None}),
        Route("GET", listing, query, recorded("Retry.testReturnsRepoAfter3Retries.txt", 0)),
        Route("GET", listing, query, recorded("PullRequest2408.test_get_workflow_runs.txt", 1)),
        Route("GET", f"/repos/{repo}/actions/workflows", query,
              recorded("Repository.testGetWorkflows.txt", 1)),
    ])
    with served(replay) as server:
        streams = rest_streams(server, [repo], clock, environments=[], workflows=["no-match"])
        result = collect(streams["workflow_runs"])
    assert replay.unused() == []
    primary, retry_after, secondary, backoff = clock.sleeps
    assert primary == 121  # until X-RateLimit-Reset on the injected clock, plus a second
    assert (retry_after, secondary) == (60, 60)  # Retry-After, else a minute
    assert 0 < backoff <= 60
    assert result.of(Deployment) == [] and result.requests == 6


def test_workflow_runs_replayed_over_link_paginated_pages() -> None:
    """The newest runs (30 of 593, with a Link to more) do not reach back to the start, so the
    gap is read per matching workflow, following the recorded Link to the next page."""
    repo = "ReDASers/PhishBench"
    runs_page = recorded("PullRequest2408.test_get_workflow_runs.txt", 1)
    next_query = {"exclude_pull_requests": "1", "page": "2"}
    window = {"per_page": "100", "created": "2019-01-01T00:00:00Z..2022-08-05T08:48:55Z"}
    replay = Replay([
        Route("GET", f"/repos/{repo}/actions/runs", {"per_page": "100"}, runs_page),
        Route("GET", f"/repos/{repo}/actions/workflows", {"per_page": "100"},
              recorded("Repository.testGetWorkflows.txt", 1)),
        Route("GET", f"/repos/{repo}/actions/workflows/1026390/runs", window, runs_page),
        Route("GET", "/repositories/146139403/actions/runs", next_query,
              recorded("Workflow.testGetRunsWithCreated.txt")),
    ])
    with served(replay) as server:
        streams = rest_streams(server, [repo], Clock(), environments=[],
                               workflows=["*Integration Test", "check"])
        assert list(streams) == ["pull_requests", "workflow_runs"]
        result = collect(streams["workflow_runs"])
    assert replay.unused() == []
    runs = {run.deployment_id: run for run in result.of(Deployment)}
    page = json.loads(runs_page.body)["workflow_runs"]
    assert any(r["name"].endswith("Integration Test") for r in page)
    assert set(runs) == {f"run/{r['id']}" for r in page} | {"run/3770390952"}
    assert result.requests == 4
    run = runs["run/3770390952"]  # the second page's run
    assert (run.environment, run.creator_account, run.state, run.sha[:7]) == (
        "CI", "cclauss", "success", "84e26cf")
    assert run.finished == run.updated and run.url.endswith("/actions/runs/3770390952")


# Workflow runs against the fake ---------------------------------------------------------------


def test_a_filtered_runs_listing_over_1000_is_split_into_windows() -> None:
    fake = FakeGithub(clock=Clock())
    made = generate_workflow_runs(2500, logins=LOGINS, repos=["acme/api"],
                                  start=NOW - timedelta(days=365), end=NOW, seed=3)
    fake.add_runs("acme/api", [run for _, run in made])
    fake.add_runs("acme/api", [run_json(
        1, repo="acme/api", workflow_id=1, name="CI", path=".github/workflows/ci.yml",
        actor="ann", created=NOW, updated=NOW, status="completed", conclusion="success")])
    with served(fake) as server:
        streams = rest_streams(server, ["acme/api"], Clock(), environments=[],
                               workflows=["deploy.yml"])
        result = collect(streams["workflow_runs"])
    windows = [r for r in server.requests if r.arg("created")]
    assert all(int(r.arg("page") or 1) <= 10 for r in windows)
    assert len({d.deployment_id for d in result.of(Deployment)}) == 2500  # not the CI run
    states = Counter(d.state for d in result.of(Deployment))
    assert set(states) == {"success", "failure", "cancelled"}


def test_a_deploy_re_run_hours_later_is_read_again_from_the_same_page() -> None:
    """A re-run keeps its `created_at` and its place in the listing; `updated_at` moves."""
    clock = Clock()
    fake = FakeGithub(clock=clock)
    made = generate_workflow_runs(5, logins=LOGINS, repos=["acme/api"],
                                  start=NOW - timedelta(days=5), end=NOW - timedelta(days=1))
    fake.add_runs("acme/api", [run for _, run in made])
    with served(fake) as server:
        [stream] = [s for name, s in rest_streams(server, ["acme/api"], clock, environments=[],
                                                  workflows=["Deploy"]).items()
                    if name == "workflow_runs"]
        first = collect(stream)
        oldest = min((run for _, run in made), key=lambda run: run["created_at"])
        clock.now = NOW + timedelta(hours=6)
        oldest.update(status="completed", conclusion="failure", run_attempt=2,
                      updated_at=iso(NOW + timedelta(hours=5)))
        second = collect(stream, first.cursor)

    assert len(first.of(Deployment)) == 5
    rerun = [d for d in second.of(Deployment) if d.deployment_id == f"run/{oldest['id']}"]
    assert [(d.state, d.updated) for d in rerun] == [("failure", NOW + timedelta(hours=5))]
    assert second.requests == 1  # the same one listing page: no extra request


def test_parse_run_maps_conclusions_and_unfinished_runs() -> None:
    base = run_json(9, repo="acme/api", workflow_id=1, name="Deploy", path="x/deploy.yml",
                    actor="ann", created=NOW, updated=NOW + timedelta(minutes=9),
                    status="completed", conclusion="timed_out")
    timed_out = github_deployments.parse_run(base, source="gh", repo="acme/api")
    running = github_deployments.parse_run({**base, "status": "in_progress", "conclusion": None},
                               source="gh", repo="acme/api")
    assert (timed_out.state, timed_out.finished) == ("error", NOW + timedelta(minutes=9))
    assert (running.state, running.finished) == ("in_progress", None)


def test_a_later_inactive_status_does_not_hide_the_success() -> None:
    deployment, statuses = generate_deployments(1, logins=LOGINS, repos=["acme/api"],
                                                start=NOW, end=NOW)[0][1:]
    success = next(s for s in statuses if s["state"] == "success") if any(
        s["state"] == "success" for s in statuses) else {**statuses[0], "state": "success"}
    inactive = {**success, "id": 1, "state": "inactive",
                "created_at": iso(NOW + timedelta(days=1)),
                "updated_at": iso(NOW + timedelta(days=1))}
    parsed = github_deployments.parse_deployment(deployment, [inactive, success], source="gh",
                                     repo="acme/api")
    assert (parsed.state, parsed.finished) == ("success", _time(success["created_at"]))
    assert parsed.updated == NOW + timedelta(days=1)


# Incremental, Enterprise, evidence ------------------------------------------------------------


def populated_fake(
    clock: Clock, repos: list[str], *, prs: int = 320, deployments: int = 40, runs: int = 260
) -> FakeGithub:
    fake = FakeGithub(clock=clock)
    fake.add_pull_requests(generated(prs, repos))
    window = {"logins": LOGINS[:4], "repos": repos, "start": NOW - timedelta(days=60),
              "end": NOW - timedelta(days=1)}
    for repo, deployment, statuses in generate_deployments(deployments, **window):
        fake.add_deployment(repo, deployment, statuses)
    for repo, run in generate_workflow_runs(runs, **window):
        fake.add_runs(repo, [run])
    return fake


def test_an_idle_sync_makes_one_request_per_stream_and_repository(
    engine: sa.Engine, schema: GraphQLSchema
) -> None:
    clock, repos = Clock(), ["acme/api", "acme/web"]
    fake = populated_fake(clock, repos, prs=220, deployments=10, runs=220)
    with served(SchemaChecked(fake, schema, execute=False)) as server:
        streams = rest_streams(server, repos, clock, workflows=["Deploy*"])
        first = {name: run_stream(engine, s).requests for name, s in streams.items()}
        before = len(server.requests)
        idle = {name: run_stream(engine, s).requests for name, s in streams.items()}
        statuses = Counter(r.path.rsplit("/", 1)[-1] for r in server.requests[before:])
    # Deployments with their statuses: one query per page of 100, none per deployment.
    assert first == {"pull_requests": 4, "deployments": 2, "workflow_runs": 2 + 2 + 2}
    assert idle == {"pull_requests": 2, "deployments": 2, "workflow_runs": 2}
    assert statuses == {"graphql": 4, "runs": 2}
    assert fake.rest_remaining == 5000 - first["workflow_runs"]
    assert len(rows(engine, "pull_requests")) == 220
    assert len(rows(engine, "deployments")) == 10 + 220


def test_429_then_success_and_an_empty_repository(schema: GraphQLSchema) -> None:
    """Every stream waits as long as Retry-After says, and a repository with nothing in it
    costs one request per stream and still gets a cursor."""
    clock = Clock()
    fake = populated_fake(clock, ["acme/api"], prs=5, deployments=2, runs=3)
    fake.add_repo("acme/empty")
    with served(SchemaChecked(fake, schema)) as server:
        for path in ("/graphql", "/repos/acme/api/actions/runs"):
            server.inject(Fault(path, 429, headers={"Retry-After": "7"}))
        streams = rest_streams(server, ["acme/api", "acme/empty"], clock, workflows=["Deploy"])
        results = {name: collect(stream) for name, stream in streams.items()}
    assert clock.sleeps == [7, 7]
    assert {name: len(r.records) for name, r in results.items()} == {
        "pull_requests": 5 + sum(len(p.reviews) + len(p.review_requests)
                                 for p in fake.pull_requests["acme/api"]),
        "deployments": 2, "workflow_runs": 3}
    assert {name: r.requests for name, r in results.items()} == {
        "pull_requests": 2 + 1, "deployments": 2, "workflow_runs": 2 + 1}
    for name, result in results.items():
        assert json.loads(result.cursor)["repos"]["acme/empty"] == {
            "etag": ANY_ETAG if name == "workflow_runs" else None, "since": None, "pending": {}}


SECONDARY = {"message": "You have exceeded a secondary rate limit. Please wait a few minutes "
                        "before you try again.",
             "documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"}


@pytest.mark.parametrize("stream, path", [
    ("pull_requests", "/graphql"), ("workflow_runs", "/repos/acme/api/actions/runs")])
@pytest.mark.parametrize("status, headers, reset_in, body, wait", [
    pytest.param(429, {}, None, None, 60, id="429"),
    pytest.param(429, {"X-RateLimit-Remaining": "7"}, 30, None, 60, id="429-budget-left"),
    pytest.param(429, {"X-RateLimit-Remaining": "0"}, 30, None, 31, id="429-none-left"),
    pytest.param(403, {}, None, SECONDARY, 60, id="403-secondary"),
    pytest.param(403, {"X-RateLimit-Remaining": "0"}, 300, SECONDARY, 301, id="403-none-left"),
    pytest.param(403, {"Retry-After": "5", "X-RateLimit-Remaining": "0"}, 300, SECONDARY, 5,
                 id="403-retry-after"),
])
def test_a_rate_limit_without_retry_after_waits_as_github_asks(
    stream: str, path: str, status: int, headers: dict[str, str], reset_in: int | None,
    body: Any, wait: int,
) -> None:
    """A refusal for rate limits is never retried at once, on REST or GraphQL: Retry-After;
    else until X-RateLimit-Reset (plus a second) when none is left; else a minute."""
    clock = Clock()
    fake = populated_fake(clock, ["acme/api"], prs=3, deployments=0, runs=2)
    if reset_in is not None:
        headers = {**headers, "X-RateLimit-Reset": str(int(clock.now.timestamp()) + reset_in)}
    with served(fake) as server:
        server.inject(Fault(path, status, headers=headers, body=body))
        streams = rest_streams(server, ["acme/api"], clock, environments=[], workflows=["Deploy"])
        result = collect(streams[stream])
    assert clock.sleeps == [wait]
    assert result.records and not server.faults  # refused once, then answered


def test_rate_limit_wait_reads_githubs_headers() -> None:
    now = NOW
    reset = str(int(now.timestamp()) + 90)
    assert rate_limit_wait({}, now) == 60
    assert rate_limit_wait({}, now, at_least=64) == 64  # the retries' own backoff, once larger
    assert rate_limit_wait({"retry-after": "0"}, now) == 0
    assert rate_limit_wait({"retry-after": "Mon, 01 Jun 2026 00:02:00 GMT"}, now) == 120
    assert rate_limit_wait({"x-ratelimit-remaining": "0", "x-ratelimit-reset": reset}, now) == 91
    assert rate_limit_wait({"x-ratelimit-remaining": "1", "x-ratelimit-reset": reset}, now) == 60
    past = str(int(now.timestamp()) - 5)  # clock skew: the reset is no guide
    assert rate_limit_wait({"x-ratelimit-remaining": "0", "x-ratelimit-reset": past}, now) == 60


class _AnyEtag:
    def __eq__(self, other: object) -> bool:
        return isinstance(other, str) and other.startswith('W/"')


ANY_ETAG = _AnyEtag()


def test_a_failed_run_resumes_after_the_last_finished_repository(
    engine: sa.Engine, schema: GraphQLSchema
) -> None:
    clock, repos = Clock(), ["acme/api", "acme/web"]
    fake = populated_fake(clock, repos, prs=300, deployments=0, runs=0)
    with served(SchemaChecked(fake, schema, execute=False)) as server:
        stream = pr_streams(server, repos, clock)

        def fail_the_next_query(summary: Any) -> None:
            if summary.cursor is not None and not server.faults:  # acme/api is done
                server.inject(Fault("/graphql", 401, body={"message": "Bad credentials"}))

        with pytest.raises(GithubException):
            run_stream(engine, stream, on_page=fail_the_next_query)
        resumed = run_stream(engine, stream)
    assert resumed.requests == 1 + 2  # acme/api from its cursor, acme/web from the start
    assert len(rows(engine, "pull_requests")) == 300
    with engine.connect() as conn:
        runs = conn.execute(sa.select(sync_runs.c.error).order_by(sync_runs.c.id)).all()
    assert [r.error is not None for r in runs] == [True, False]
    assert "Bad credentials" in runs[0].error


def test_enterprise_server_paths_and_an_organization(schema: GraphQLSchema) -> None:
    clock = Clock()
    fake = FakeGithub(clock=clock)
    for repo in ("acme/api", "acme/web"):
        fake.add_repo(repo, org="acme")
    fake.add_pull_requests(generated(20, ["acme/api", "acme/web"]))
    with served(SchemaChecked(fake, schema)) as server:
        config = GithubSource(name="ghe", kind="github", url=f"{server.url}/api/v3",
                              token_env="GITHUB_TOKEN", org="acme")
        streams = {s.name: s for s in streams_for(config, lookback=LOOKBACK)}
        result = collect(streams["pull_requests"])
    assert sorted({r.path for r in server.requests}) == ["/api/graphql", "/api/v3/orgs/acme/repos"]
    assert len(result.of(PullRequest)) == 20 and result.requests == 3


def test_evidence_marks_bots_from_the_source_list(
    engine: sa.Engine, schema: GraphQLSchema
) -> None:
    clock = Clock()
    fake = populated_fake(clock, ["acme/api"], prs=60, deployments=5, runs=0)
    renovate = generated(1, ["acme/api"], seed=9)[0]
    renovate.number, renovate.author = 999, "renovate"  # listed in sources.yaml, no suffix
    fake.add_pull_requests([renovate])
    with served(SchemaChecked(fake, schema)) as server:
        for stream in rest_streams(server, ["acme/api"], clock, workflows=[]).values():
            run_stream(engine, stream)
    people = [Person(id="ann", name="Ann", email="ann@example.com", team="t", role="developer",
                     accounts={"github": "ann"})]
    config = source("https://api.github.com", ["acme/api"], bots=["renovate"])
    frames = load_evidence(engine, persons=people, source_kinds={"gh": "github"},
                           bots={"gh": config.is_bot})
    prs = frames["pull_request"]
    by_author = prs.groupby("author_account")["is_bot"].all().to_dict()
    assert by_author["dependabot[bot]"] and by_author["renovate"] and not by_author["ann"]
    assert frames["review"]["is_bot"].dtype == bool
    assert not frames["deployment"]["is_bot"].any()

