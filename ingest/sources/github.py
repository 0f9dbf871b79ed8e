"""GitHub and GitHub Enterprise Server: pull requests with reviews, deployments, deploy runs.

Three streams, each one request per repository when nothing changed:

* `pull_requests` — GraphQL (`github_graphql`), newest update first, stopping at the cursor.
* `deployments` — REST deployments in the configured environments, each with its statuses.
* `workflow_runs` — REST runs of workflows matching the configured globs, as deployments.

Everything goes through PyGithub's requester: its `GithubRetry` waits out primary rate limits
(until X-RateLimit-Reset) and secondary ones (Retry-After, else 60 s) and retries 5xx; our
subclass counts every attempt and sleeps through an injectable function. Requests are sequential,
so at most one is in flight. REST listings come newest first and are polled with the first page's
ETag: a 304 costs no rate limit and means nothing new. Deployments and runs not finished yet stay
in the cursor and are re-read until they finish, since a status change need not alter the first
page. The cursor is JSON: per repository, the newest time seen, that ETag and the pending ids; it
moves only when a repository is done, because newest-first pages are not in cursor order.
"""

from __future__ import annotations

import json
import logging
import posixpath
import re
import time
from collections.abc import Callable, Generator, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from github import Auth, Github, GithubException, GithubRetry
from github.Requester import Requester

from config.secrets import read_secret
from ingest.records import Deployment, Record
from ingest.sources.github_graphql import (
    GraphqlClient,
    GraphqlTimeout,
    parse_time,
    pull_request_batches,
)
from ingest.sync import Page, Reject, Stream

log = logging.getLogger(__name__)

PULL_REQUESTS, DEPLOYMENTS, WORKFLOW_RUNS = "pull_requests", "deployments", "workflow_runs"
PER_PAGE = 100
RUNS_CAP = 1000  # a filtered workflow-runs listing stops here: split the `created` window
ACTIONS_EPOCH = datetime(2019, 1, 1, tzinfo=UTC)  # no workflow run is older
PENDING_FOR = timedelta(days=3)  # re-read an unfinished deployment or run this long at most
TIMEOUT = 30  # seconds; GitHub itself gives up on a GraphQL query after 10
RETRIES = 8
REST_RETRY_STATUSES = (429, 500, 502, 503, 504)
GRAPHQL_RETRY_STATUSES = (429, 500, 503)  # 502/504 mean "too big": ask for a smaller page
GRAPHQL_GAVE_UP = frozenset({502, 504})
FINAL_DEPLOYMENT_STATES = ("success", "failure", "error")
FINISHED_DEPLOYMENT_STATES = frozenset({*FINAL_DEPLOYMENT_STATES, "inactive"})
# A run's conclusion as a deployment state; cancelled, skipped, neutral... are kept as they are.
RUN_CONCLUSIONS = {"timed_out": "error", "startup_failure": "error"}
PARSE_ERRORS = (LookupError, TypeError, ValueError, AttributeError)

_LINK_NEXT = re.compile(r'<([^>]+)>;\s*rel="next"')


class DeploymentSettings(Protocol):
    environments: list[str]
    workflows: list[str]


class GithubSourceConfig(Protocol):
    """What the connector reads of a sources.yaml entry (`config.sources.GithubSource`)."""

    name: str
    url: str
    token_env: str
    repos: list[str]
    org: str | None
    deployments: DeploymentSettings

    def counts_as_deployment(self, workflow: str) -> bool: ...


@dataclass
class RequestCounter:
    issued: int = 0


class CountingRetry(GithubRetry):
    """`GithubRetry` whose retries are counted and whose waits go through `sleep`, so the run log
    reports every attempt and tests need not wait a real minute for a secondary rate limit."""

    def __init__(
        self,
        *,
        counter: RequestCounter,
        sleep: Callable[[float], None] = time.sleep,
        **kwargs: Any,
    ) -> None:
        self.counter = counter
        self.sleeper = sleep
        super().__init__(**kwargs)

    def new(self, **kw: Any) -> CountingRetry:
        kw.update(counter=self.counter, sleep=self.sleeper)
        return super().new(**kw)

    def increment(self, *args: Any, **kwargs: Any) -> CountingRetry:
        retry = super().increment(*args, **kwargs)  # raises when no retry follows
        self.counter.issued += 1
        return retry  # type: ignore[return-value]

    def sleep(self, response: Any = None) -> None:
        wait = self.get_retry_after(response) if response is not None else None
        wait = self.get_backoff_time() if wait is None else wait
        if wait > 0:
            self.sleeper(wait)


@dataclass(frozen=True)
class RestAnswer:
    status: int
    headers: Mapping[str, str]  # lower-case names
    body: Any

    @property
    def not_modified(self) -> bool:
        return self.status == 304

    @property
    def etag(self) -> str | None:
        return self.headers.get("etag")

    @property
    def next_url(self) -> str | None:
        found = _LINK_NEXT.search(self.headers.get("link", ""))
        return found.group(1) if found else None


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
    ) -> None:
        self.counter = counter

        def client(statuses: Sequence[int]) -> Requester:
            retry = CountingRetry(
                counter=counter,
                sleep=sleep,
                total=RETRIES,
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
                timeout=TIMEOUT,
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
    ) -> Iterator[RestAnswer]:
        """A listing page by page, following Link: rel="next"; stops at a 304."""
        answer = self.get(url, params, etag=etag)
        yield answer
        while not answer.not_modified and answer.next_url:
            answer = self.get(answer.next_url)
            yield answer

    def _post_graphql(self, query: str, variables: Mapping[str, Any]) -> dict[str, Any]:
        body = {"query": query, "variables": dict(variables)}
        try:
            answer = self._call(self._graphql, "POST", self._graphql.graphql_url, None, {}, body)
        except GithubException as exc:
            if exc.status in GRAPHQL_GAVE_UP:
                raise GraphqlTimeout(f"GitHub answered {exc.status}") from exc
            raise
        return answer.body

    def repositories(self, repos: Sequence[str], org: str | None) -> list[str]:
        """The configured repositories, or every repository of the organization but forks."""
        if not org:
            return list(repos)
        listing = self.pages(f"/orgs/{org}/repos", {"per_page": PER_PAGE, "type": "all"})
        return sorted(r["full_name"] for a in listing for r in a.body if not r.get("fork"))


# Cursor --------------------------------------------------------------------------------------


@dataclass
class RepoCursor:
    since: datetime | None = None  # newest updatedAt (pull requests) or created_at seen
    etag: str | None = None  # of the listing's first page
    pending: dict[str, str] = field(default_factory=dict)  # id → created_at, not finished yet


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
                    "since": state.since.astimezone(UTC).isoformat() if state.since else None,
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
class SyncContext:
    """A source's settings and clients, shared by its streams; the secret is read on first use,
    so a missing token is an error in the run log, not at start-up."""

    source: GithubSourceConfig
    lookback: timedelta
    clock: Callable[[], datetime]
    sleep: Callable[[float], None]
    seconds_between_requests: float
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
            )
        return self._api

    def floor(self, cursor: RepoCursor) -> datetime | None:
        return None if cursor.since is None else cursor.since - self.lookback


RepoSync = Callable[[SyncContext, GithubApi, str, RepoCursor], Generator[Page, None, RepoCursor]]


def _now() -> datetime:
    return datetime.now(UTC)


def streams(
    source: GithubSourceConfig,
    *,
    lookback: timedelta,
    clock: Callable[[], datetime] = _now,
    sleep: Callable[[float], None] = time.sleep,
    seconds_between_requests: float = 0.25,
) -> list[Stream]:
    """pull_requests always; deployments when environments are configured, workflow_runs when
    workflow globs are. The streams share one client pair and request counter."""
    context = SyncContext(source, lookback, clock, sleep, seconds_between_requests)
    chosen: list[tuple[str, RepoSync]] = [(PULL_REQUESTS, _pull_request_repo)]
    if source.deployments.environments:
        chosen.append((DEPLOYMENTS, _deployment_repo))
    if source.deployments.workflows:
        chosen.append((WORKFLOW_RUNS, _run_repo))
    return [_stream(name, context, sync) for name, sync in chosen]


def _stream(name: str, context: SyncContext, sync: RepoSync) -> Stream:
    def fetch(cursor: str | None) -> Iterator[Page]:
        api = context.api()
        state = load_cursor(cursor)
        for repo in api.repositories(context.source.repos, context.source.org):
            state[repo] = yield from sync(context, api, repo, state.get(repo, RepoCursor()))
            yield Page([], cursor=dump_cursor(state))

    return Stream(context.source.name, name, fetch, lambda: context.counter.issued)


def _pull_request_repo(
    context: SyncContext, api: GithubApi, repo: str, cursor: RepoCursor
) -> Generator[Page, None, RepoCursor]:
    newest = cursor.since
    batches = pull_request_batches(
        api.graphql, source=context.source.name, repo=repo, since=context.floor(cursor)
    )
    for batch in batches:
        yield Page(batch.records, batch.rejects)
        newest = _later(newest, batch.newest)
    return RepoCursor(since=newest)


# Deployments ---------------------------------------------------------------------------------


def _deployment_repo(
    context: SyncContext, api: GithubApi, repo: str, cursor: RepoCursor
) -> Generator[Page, None, RepoCursor]:
    """Newest first, down to the cursor − lookback; one environment is filtered by GitHub."""
    environments = context.source.deployments.environments
    params: dict[str, Any] = {"per_page": PER_PAGE}
    if len(environments) == 1:
        params["environment"] = environments[0]
    floor, state = context.floor(cursor), RepoCursor(cursor.since, cursor.etag)
    seen: set[str] = set()
    listing = api.pages(f"/repos/{repo}/deployments", params, etag=cursor.etag)
    for number, answer in enumerate(listing):
        if answer.not_modified:
            break
        state.etag = answer.etag if number == 0 else state.etag
        listed = [d for d in answer.body if floor is None or _created(d, floor) >= floor]
        wanted = [d for d in listed if d.get("environment") in environments]
        seen.update(str(d.get("id")) for d in wanted)
        yield _deployment_page(context, api, repo, wanted, state)
        state.since = _later(state.since, *(_created(d, None) for d in listed))
        if len(listed) < len(answer.body):
            break
    rereads = [i for i in cursor.pending if i not in seen and _recent(cursor.pending[i], context)]
    if rereads:
        found = [d for d in (_deployment_by_id(api, repo, i) for i in rereads) if d is not None]
        yield _deployment_page(context, api, repo, found, state)
    return state


def _deployment_by_id(api: GithubApi, repo: str, deployment_id: str) -> dict[str, Any] | None:
    try:
        return api.get(f"/repos/{repo}/deployments/{deployment_id}").body
    except GithubException as exc:
        if exc.status != 404:
            raise
        return None  # deleted: nothing left to finish


def _deployment_page(
    context: SyncContext,
    api: GithubApi,
    repo: str,
    raws: Sequence[dict[str, Any]],
    state: RepoCursor,
) -> Page:
    """Each deployment with its statuses (newest first): REST has no batched call for them."""
    records: list[Record] = []
    rejects: list[Reject] = []
    for raw in raws:
        statuses = api.get(
            f"/repos/{repo}/deployments/{raw.get('id')}/statuses", {"per_page": PER_PAGE}
        ).body
        try:
            deployment = parse_deployment(raw, statuses, source=context.source.name, repo=repo)
        except PARSE_ERRORS as exc:
            payload = {"deployment": raw, "statuses": statuses}
            rejects.append(Reject(payload, f"{type(exc).__name__}: {exc}"))
            continue
        records.append(deployment)
        _track(state, str(raw["id"]), deployment)
    return Page(records, rejects)


def parse_deployment(
    raw: Mapping[str, Any], statuses: Sequence[Mapping[str, Any]], *, source: str, repo: str
) -> Deployment:
    """State and finish time from the newest final status (success, failure, error), else the
    newest status: a later `inactive` only means a newer deployment replaced this one."""
    ordered = sorted(statuses, key=lambda s: parse_time(s["created_at"]), reverse=True)
    final = next((s for s in ordered if s["state"] in FINAL_DEPLOYMENT_STATES), None)
    deciding = final or (ordered[0] if ordered else None)
    state = deciding["state"] if deciding else "pending"
    updated = [parse_time(raw["updated_at"]), *(parse_time(s["updated_at"]) for s in ordered)]
    return Deployment(
        source=source,
        deployment_id=f"deployment/{raw['id']}",
        repo=repo,
        url=(deciding or {}).get("log_url") or (deciding or {}).get("target_url") or raw["url"],
        environment=raw["environment"],
        sha=raw["sha"],
        creator_account=(raw.get("creator") or {}).get("login"),
        created=parse_time(raw["created_at"]),
        finished=parse_time(deciding["created_at"])
        if deciding and state in FINISHED_DEPLOYMENT_STATES
        else None,
        state=state,
        updated=max(updated),
    )


# Workflow runs -------------------------------------------------------------------------------


def _run_repo(
    context: SyncContext, api: GithubApi, repo: str, cursor: RepoCursor
) -> Generator[Page, None, RepoCursor]:
    """The repository's newest 100 runs (one request, ETag-polled); when they do not reach back
    to the cursor − lookback, the gap is read per deploy workflow in `created` windows."""
    floor, state = context.floor(cursor), RepoCursor(cursor.since, cursor.etag)
    seen: set[str] = set()
    probe = api.get(f"/repos/{repo}/actions/runs", {"per_page": PER_PAGE}, etag=cursor.etag)
    if not probe.not_modified:
        state.etag = probe.etag
        runs = probe.body["workflow_runs"]
        listed = [r for r in runs if floor is None or _created(r, floor) >= floor]
        deploys = [r for r in listed if _is_deploy_run(context.source, r)]
        yield _run_page(context, repo, deploys, state, seen)
        state.since = _later(state.since, *(_created(r, None) for r in listed))
        if runs and len(listed) == len(runs) and probe.next_url:
            oldest = min(_created(r, ACTIONS_EPOCH) for r in runs)
            for workflow in _deploy_workflows(context.source, api, repo):
                url = f"/repos/{repo}/actions/workflows/{workflow['id']}/runs"
                for window in windowed_runs(api, url, floor or ACTIONS_EPOCH, oldest):
                    yield _run_page(context, repo, window, state, seen, workflow.get("name"))
    rereads = [i for i in cursor.pending if i not in seen and _recent(cursor.pending[i], context)]
    if rereads:
        found = [r for r in (_run_by_id(api, repo, i) for i in rereads) if r is not None]
        yield _run_page(context, repo, found, state, seen)
    return state


def windowed_runs(
    api: GithubApi, url: str, start: datetime, end: datetime
) -> Iterator[list[dict[str, Any]]]:
    """Runs created in [start, end], page by page; a window holding more than a filtered listing
    returns is halved until each half fits."""
    params = {"per_page": PER_PAGE, "created": f"{_created_bound(start)}..{_created_bound(end)}"}
    answers = api.pages(url, params)
    first = next(answers)
    if first.body["total_count"] > RUNS_CAP and end - start > timedelta(seconds=2):
        answers.close()
        middle = (start + (end - start) / 2).replace(microsecond=0)
        yield from windowed_runs(api, url, start, middle)
        yield from windowed_runs(api, url, middle + timedelta(seconds=1), end)
        return
    yield first.body["workflow_runs"]
    for answer in answers:
        yield answer.body["workflow_runs"]


def _deploy_workflows(
    source: GithubSourceConfig, api: GithubApi, repo: str
) -> list[dict[str, Any]]:
    listing = api.pages(f"/repos/{repo}/actions/workflows", {"per_page": PER_PAGE})
    return [w for a in listing for w in a.body["workflows"] if _is_deploy_run(source, w)]


def _is_deploy_run(source: GithubSourceConfig, run_or_workflow: Mapping[str, Any]) -> bool:
    """By workflow name or file name (`deploy.yml`), as `deployments.workflows` globs say."""
    names = (run_or_workflow.get("name"), posixpath.basename(run_or_workflow.get("path") or ""))
    return any(name and source.counts_as_deployment(name) for name in names)


def _run_by_id(api: GithubApi, repo: str, run_id: str) -> dict[str, Any] | None:
    try:
        return api.get(f"/repos/{repo}/actions/runs/{run_id}").body
    except GithubException as exc:
        if exc.status != 404:
            raise
        return None


def _run_page(
    context: SyncContext,
    repo: str,
    runs: Sequence[dict[str, Any]],
    state: RepoCursor,
    seen: set[str],
    workflow: str | None = None,
) -> Page:
    records: list[Record] = []
    rejects: list[Reject] = []
    for raw in runs:
        seen.add(str(raw.get("id")))
        try:
            run = parse_run(raw, source=context.source.name, repo=repo, workflow=workflow)
        except PARSE_ERRORS as exc:
            rejects.append(Reject(raw, f"{type(exc).__name__}: {exc}"))
            continue
        records.append(run)
        _track(state, str(raw["id"]), run)
    return Page(records, rejects)


def parse_run(
    raw: Mapping[str, Any], *, source: str, repo: str, workflow: str | None = None
) -> Deployment:
    """A workflow run as a deployment: its workflow name stands for the environment, the person
    who triggered it (a re-run's, else the original actor) for the creator."""
    completed = raw["status"] == "completed"
    conclusion = str(raw.get("conclusion") or raw["status"]).lower()
    actor = raw.get("triggering_actor") or raw.get("actor") or {}
    updated = parse_time(raw["updated_at"])
    return Deployment(
        source=source,
        deployment_id=f"run/{raw['id']}",
        repo=repo,
        url=raw["html_url"],
        environment=raw.get("name") or workflow or posixpath.basename(raw.get("path") or ""),
        sha=raw["head_sha"],
        creator_account=actor.get("login"),
        created=parse_time(raw["created_at"]),
        finished=updated if completed else None,
        state=RUN_CONCLUSIONS.get(conclusion, conclusion) if completed else raw["status"].lower(),
        updated=updated,
    )


# Helpers -------------------------------------------------------------------------------------


def _track(state: RepoCursor, item_id: str, deployment: Deployment) -> None:
    """Unfinished items are re-read by id on later runs (for PENDING_FOR at most)."""
    if deployment.finished is None:
        state.pending[item_id] = deployment.created.astimezone(UTC).isoformat()
    else:
        state.pending.pop(item_id, None)


def _recent(created: str, context: SyncContext) -> bool:
    return context.clock() - parse_time(created) <= PENDING_FOR


def _created(raw: Mapping[str, Any], default: datetime | None) -> Any:
    """`created_at`, or `default` when unreadable (the parser then quarantines the item)."""
    try:
        return parse_time(raw["created_at"])
    except PARSE_ERRORS:
        return default


def _created_bound(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _later(current: datetime | None, *candidates: datetime | None) -> datetime | None:
    return max((c for c in (current, *candidates) if c is not None), default=None)


def _optional_time(value: str | None) -> datetime | None:
    return None if value is None else parse_time(value)


__all__ = [
    "DEPLOYMENTS",
    "PULL_REQUESTS",
    "RUNS_CAP",
    "WORKFLOW_RUNS",
    "CountingRetry",
    "GithubApi",
    "GithubSourceConfig",
    "RepoCursor",
    "RequestCounter",
    "RestAnswer",
    "SyncContext",
    "dump_cursor",
    "load_cursor",
    "parse_deployment",
    "parse_run",
    "streams",
    "windowed_runs",
]
