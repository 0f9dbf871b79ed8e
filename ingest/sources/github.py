"""GitHub and GitHub Enterprise Server: pull requests with reviews, deployments, deploy runs.

Three streams, each one request per repository when nothing changed:

* `pull_requests` — GraphQL (`github_graphql`), newest update first, stopping at the cursor.
* `deployments` — GraphQL deployments in the configured environments, each page with its
  deployments' statuses, and
* `workflow_runs` — REST runs of workflows matching the configured globs (`github_deployments`).

This module is the glue: the client, the cursor and the streams. Everything goes through
PyGithub's requester: its `GithubRetry` decides which 403s are rate limits and retries them, 429
and 5xx; our subclass counts every attempt and waits through an injectable sleep and clock. A 403
or 429 waits as GitHub asks (`rate_limit_wait`: Retry-After; else until X-RateLimit-Reset when
none is left; else at least 60 s) — `GithubRetry` alone would retry a bare 429 at once. Requests
are sequential, so one is in flight at most.
The cursor is JSON: per repository, the newest time seen, the first listing page's ETag and the
ids not finished yet. Pages come newest first, not in cursor order, so the cursor moves only when
a repository is done.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Generator, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from github import Auth, Github, GithubException, GithubRetry
from github.Requester import Requester
from urllib3 import Retry

from config.secrets import read_secret
from ingest.http import CONNECT_RETRIES, DEFAULT_TIMEOUT, refuse_html, wait_until
from ingest.records import as_utc
from ingest.sources.connector import SyncContext
from ingest.sources.github_deployments import deployment_repo, run_repo
from ingest.sources.github_graphql import (
    GraphqlClient,
    GraphqlTimeout,
    parse_time,
    pull_request_batches,
    rate_limit_wait,
)
from ingest.sources.github_types import (
    GithubSourceConfig,
    RepoCursor,
    RequestCounter,
    RestAnswer,
)
from ingest.sync import Page, Stream

log = logging.getLogger(__name__)

PULL_REQUESTS, DEPLOYMENTS, WORKFLOW_RUNS = "pull_requests", "deployments", "workflow_runs"
PER_PAGE = 100
RETRIES = 8
REST_RETRY_STATUSES = (429, 500, 502, 503, 504)
RATE_LIMIT_STATUSES = frozenset({403, 429})  # GithubRetry retries a 403 only for a rate limit
GRAPHQL_RETRY_STATUSES = (429, 500, 503)  # 502/504 mean "too big": ask for a smaller page
GRAPHQL_GAVE_UP = frozenset({502, 504})


class CountingRetry(GithubRetry):
    """`GithubRetry` whose retries are counted and whose waits go through `sleep` and `clock`, so
    the run log reports every attempt and tests need not wait a real minute for a rate limit."""

    def __init__(
        self,
        *,
        counter: RequestCounter,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], datetime] | None = None,
        **kwargs: Any,
    ) -> None:
        self.counter = counter
        self.sleeper = sleep
        self.clock = clock or _now
        super().__init__(**kwargs)

    def new(self, **kw: Any) -> CountingRetry:
        kw.update(counter=self.counter, sleep=self.sleeper, clock=self.clock)
        return super().new(**kw)

    def increment(self, *args: Any, **kwargs: Any) -> CountingRetry:
        retry = super().increment(*args, **kwargs)  # raises when no retry follows
        self.counter.issued += 1
        return retry  # type: ignore[return-value]

    def sleep(self, response: Any = None) -> None:
        # urllib3's own backoff: GithubRetry replaces it on a rate-limited 403 with one read off
        # the real clock, and has none for a 429 (0 s before the first retry).
        backoff = Retry.get_backoff_time(self)
        if response is not None and response.status in RATE_LIMIT_STATUSES:
            wait = rate_limit_wait(response.headers, self.clock(), at_least=backoff)
            what = f"GitHub answered {response.status} for its rate limit"
        else:
            retry_after = self.get_retry_after(response) if response is not None else None
            wait = backoff if retry_after is None else retry_after
            answered = f"answered {response.status}" if response is not None else "did not answer"
            what = f"GitHub {answered}"
        if wait > 0:
            wait_until(wait, what, now=self.clock())
            self.sleeper(wait)


class GithubApi:
    """PyGithub's requesters for REST and GraphQL, with one request counter between them."""

    def __init__(
        self,
        *,
        url: str,
        token: str,
        counter: RequestCounter,
        sleep: Callable[[float], None],
        clock: Callable[[], datetime],
        seconds_between_requests: float,
        timeout: tuple[float, float] = DEFAULT_TIMEOUT,
    ) -> None:
        self.counter = counter

        def client(statuses: Sequence[int]) -> Requester:
            retry = CountingRetry(
                counter=counter,
                sleep=sleep,
                clock=clock,
                total=RETRIES,
                connect=CONNECT_RETRIES,  # a host down or misnamed: seconds, not minutes
                backoff_factor=1.0,
                status_forcelist=list(statuses),
                raise_on_status=False,
            )
            return Github(
                base_url=url,
                auth=Auth.Token(token),
                per_page=PER_PAGE,
                retry=retry,
                pool_size=2,
                timeout=int(max(timeout)),  # PyGithub takes one number for both
                seconds_between_requests=seconds_between_requests or None,
                seconds_between_writes=None,
                lazy=True,
            ).requester

        self._rest = client(REST_RETRY_STATUSES)
        self._graphql = client(GRAPHQL_RETRY_STATUSES)
        self.graphql = GraphqlClient(self._post_graphql, sleep, clock)

    def _call(
        self,
        requester: Requester,
        verb: str,
        url: str,
        params: Mapping[str, Any] | None,
        headers: dict[str, str],
        body: Any = None,
    ) -> RestAnswer:
        self.counter.issued += 1
        status, response_headers, text = requester.requestJson(
            verb, url, dict(params or {}), headers, body
        )
        content_type = {k.lower(): v for k, v in response_headers.items()}.get("content-type")
        refuse_html(url if "://" in url else requester.base_url + url, status, content_type)
        data = json.loads(text) if text else None
        if status >= 400:
            output = data if isinstance(data, dict) else {"message": text[:500]}
            raise requester.createException(status, response_headers, output)
        return RestAnswer(status, response_headers, data)

    def get(
        self, url: str, params: Mapping[str, Any] | None = None, *, etag: str | None = None
    ) -> RestAnswer:
        return self._call(self._rest, "GET", url, params, {"If-None-Match": etag} if etag else {})

    def pages(
        self, url: str, params: Mapping[str, Any], *, etag: str | None = None
    ) -> Generator[RestAnswer, None, None]:
        """A listing page by page, following Link: rel="next"; stops at a 304."""
        answer = self.get(url, params, etag=etag)
        yield answer
        while not answer.not_modified and answer.next_url:
            answer = self.get(answer.next_url)
            yield answer

    def _post_graphql(
        self, query: str, variables: Mapping[str, Any]
    ) -> tuple[Mapping[str, str], dict[str, Any]]:
        body = {"query": query, "variables": dict(variables)}
        try:
            answer = self._call(self._graphql, "POST", self._graphql.graphql_url, None, {}, body)
        except GithubException as exc:
            if exc.status in GRAPHQL_GAVE_UP:
                raise GraphqlTimeout(f"GitHub answered {exc.status}") from exc
            raise
        return answer.headers, answer.body

    def repositories(self, repos: Sequence[str], org: str | None) -> list[str]:
        """The configured repositories, or every repository of the organization but forks."""
        if not org:
            return list(repos)
        listing = self.pages(f"/orgs/{org}/repos", {"per_page": PER_PAGE, "type": "all"})
        return sorted(r["full_name"] for a in listing for r in a.body if not r.get("fork"))


# Cursor --------------------------------------------------------------------------------------


def load_cursor(text: str | None) -> dict[str, RepoCursor]:
    repos = json.loads(text)["repos"] if text else {}
    return {
        repo: RepoCursor(
            _optional_time(state.get("since")), state.get("etag"), dict(state.get("pending", {}))
        )
        for repo, state in repos.items()
    }


def dump_cursor(repos: Mapping[str, RepoCursor]) -> str:
    return json.dumps(
        {
            "repos": {
                repo: {
                    "since": as_utc(state.since).isoformat() if state.since else None,
                    "etag": state.etag,
                    "pending": state.pending,
                }
                for repo, state in sorted(repos.items())
            }
        },
        sort_keys=True,
    )


# Streams -------------------------------------------------------------------------------------


@dataclass
class GithubContext:
    """A source's settings and clients, shared by its streams; the secret is read on first use,
    so a missing token is an error in the run log, not at start-up."""

    source: GithubSourceConfig
    lookback: timedelta
    clock: Callable[[], datetime]
    sleep: Callable[[float], None]
    seconds_between_requests: float
    timeout: tuple[float, float] = DEFAULT_TIMEOUT
    counter: RequestCounter = field(default_factory=RequestCounter)
    _api: GithubApi | None = None

    def api(self) -> GithubApi:
        if self._api is None:
            self._api = GithubApi(
                url=self.source.url,
                token=read_secret(self.source.token_env).get_secret_value(),
                counter=self.counter,
                sleep=self.sleep,
                clock=self.clock,
                seconds_between_requests=self.seconds_between_requests,
                timeout=self.timeout,
            )
        return self._api

    def floor(self, cursor: RepoCursor) -> datetime | None:
        return None if cursor.since is None else cursor.since - self.lookback


RepoSync = Callable[[GithubContext, GithubApi, str, RepoCursor], Generator[Page, None, RepoCursor]]


def _now() -> datetime:
    return datetime.now(UTC)


def streams(
    source: GithubSourceConfig,
    *,
    lookback: timedelta,
    clock: Callable[[], datetime] = _now,
    sleep: Callable[[float], None] = time.sleep,
    seconds_between_requests: float | None = None,
    timeout: tuple[float, float] = DEFAULT_TIMEOUT,
) -> list[Stream]:
    """pull_requests always; deployments when environments are configured, workflow_runs when
    workflow globs are. The streams share one client pair and request counter. The pacing is
    the source's `request_interval` unless given."""
    pacing = seconds_between_requests
    context = GithubContext(
        source, lookback, clock, sleep, source.request_interval if pacing is None else pacing,
        timeout,
    )
    chosen: list[tuple[str, RepoSync]] = [(PULL_REQUESTS, _pull_request_repo)]
    if source.deployments.environments:
        chosen.append((DEPLOYMENTS, deployment_repo))
    if source.deployments.workflows:
        chosen.append((WORKFLOW_RUNS, run_repo))
    return [_stream(name, context, sync) for name, sync in chosen]


def _stream(name: str, context: GithubContext, sync: RepoSync) -> Stream:
    def fetch(cursor: str | None) -> Iterator[Page]:
        api = context.api()
        state = load_cursor(cursor)
        for repo in api.repositories(context.source.repos, context.source.org):
            state[repo] = yield from sync(context, api, repo, state.get(repo, RepoCursor()))
            yield Page([], cursor=dump_cursor(state))

    return Stream(context.source.name, name, fetch, lambda: context.counter.issued,
                  kinds=STREAM_KINDS[name])


# What each stream writes; every one reads a repository's whole history on a first sync.
STREAM_KINDS: dict[str, tuple[str, ...]] = {
    PULL_REQUESTS: ("pull_request", "review_request", "review"),
    DEPLOYMENTS: ("deployment",),
    WORKFLOW_RUNS: ("deployment",),
}


def _pull_request_repo(
    context: GithubContext, api: GithubApi, repo: str, cursor: RepoCursor
) -> Generator[Page, None, RepoCursor]:
    newest = cursor.since
    batches = pull_request_batches(
        api.graphql, source=context.source.name, repo=repo, since=context.floor(cursor)
    )
    for batch in batches:
        yield Page(batch.records, batch.rejects)
        newest = max(filter(None, (newest, batch.newest)), default=None)
    return RepoCursor(since=newest)


# Helpers -------------------------------------------------------------------------------------


def _optional_time(value: str | None) -> datetime | None:
    return None if value is None else parse_time(value)


def connector(context: SyncContext[GithubSourceConfig]) -> list[Stream]:
    return streams(context.source, lookback=context.lookback, timeout=context.timeout)


__all__ = [
    "DEPLOYMENTS",
    "PULL_REQUESTS",
    "WORKFLOW_RUNS",
    "CountingRetry",
    "GithubApi",
    "GithubContext",
    "connector",
    "dump_cursor",
    "load_cursor",
    "streams",
]
