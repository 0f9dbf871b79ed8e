"""Deployments (GraphQL) and deploy workflow runs (REST), as `Deployment` records.

Both listings come newest first, down to the cursor − lookback, so an idle run is one request
per repository. Deployments: one GraphQL query per page of 100 carries each deployment with its
statuses, so a full sync costs ⌈N/100⌉ queries per repository (REST needs one more request per
deployment for its statuses: it has no batched call for them). Runs: the repository's newest 100
(one request, polled with its ETag: a 304 costs no rate limit) cover an ordinary poll; a longer
gap is read per deploy workflow in `created` windows, halved while a window holds more than the
1,000 results a filtered listing returns. Items not finished yet stay in the cursor and are
re-read by id (deployments: all of a repository's in one query), since a new status need not
change the first page.
"""

from __future__ import annotations

import posixpath
from collections.abc import Generator, Iterator, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from github import GithubException

from ingest.records import (
    FINISHED_DEPLOYMENT_STATES,
    SUPERSEDED_DEPLOYMENT_STATE,
    Deployment,
    Record,
    as_utc,
)
from ingest.sources.github_graphql import PAGE_SIZES, GraphqlClient, parse_time, repository_page
from ingest.sources.github_types import GithubSourceConfig, RepoContext, RepoCursor, RestApi
from ingest.sync import PARSE_ERRORS, Page, parse_or_quarantine

PER_PAGE = 100
RUNS_CAP = 1000  # a filtered workflow-runs listing stops here: split the `created` window
ACTIONS_EPOCH = datetime(2019, 1, 1, tzinfo=UTC)  # no workflow run is older
PENDING_FOR = timedelta(days=3)  # re-read an unfinished deployment or run this long at most
# A status that decides a deployment's outcome: a later `inactive` only means it was replaced.
DECIDING_STATES = FINISHED_DEPLOYMENT_STATES - {SUPERSEDED_DEPLOYMENT_STATE}
# A run's conclusion as a deployment state; cancelled, skipped, neutral... are kept as they are.
RUN_CONCLUSIONS = {"timed_out": "error", "startup_failure": "error"}


_DEPLOYMENT_FIELDS = """
fragment DeploymentFields on Deployment {
  id databaseId environment commitOid createdAt updatedAt
  creator { login }
  statuses(first: 100) { nodes { state createdAt updatedAt logUrl environmentUrl } }
}
"""

DEPLOYMENTS_QUERY = f"""
query Deployments($owner: String!, $name: String!, $environments: [String!], $first: Int!,
                  $after: String) {{
  rateLimit {{ cost remaining resetAt }}
  repository(owner: $owner, name: $name) {{
    deployments(first: $first, after: $after, environments: $environments,
                orderBy: {{field: CREATED_AT, direction: DESC}}) {{
      pageInfo {{ hasNextPage endCursor }}
      nodes {{ ...DeploymentFields }}
    }}
  }}
}}
{_DEPLOYMENT_FIELDS}"""

DEPLOYMENT_NODES_QUERY = f"""
query DeploymentNodes($ids: [ID!]!) {{
  rateLimit {{ cost remaining resetAt }}
  nodes(ids: $ids) {{ ... on Deployment {{ ...DeploymentFields }} }}
}}
{_DEPLOYMENT_FIELDS}"""


class DeploymentApi(Protocol):
    """What the deployment stream calls (`github.GithubApi`)."""

    @property
    def graphql(self) -> GraphqlClient: ...


def deployment_repo(
    context: RepoContext, api: DeploymentApi, repo: str, cursor: RepoCursor
) -> Generator[Page, None, RepoCursor]:
    """Newest first, down to the cursor − lookback, in the configured environments (filtered by
    GitHub); unfinished ones from earlier runs are then read again by id, in one query."""
    floor, state = context.floor(cursor), replace(cursor, etag=None, pending={})
    seen: set[str] = set()
    for nodes in _deployment_listing(api.graphql, repo, context.source.deployments.environments):
        listed = [n for n in nodes if floor is None or _node_created(n, floor) >= floor]
        seen.update(str(n.get("id")) for n in listed)
        yield _deployment_page(context, repo, listed, state)
        state.since = _later(state.since, *(_node_created(n, None) for n in listed))
        if len(listed) < len(nodes):
            break
    # A REST-era cursor named deployments by number: those are not node ids, and are dropped.
    rereads = [i for i in cursor.pending if i not in seen and not i.isdigit()
               and _recent(cursor.pending[i], context)]
    if rereads:
        data = api.graphql.query(DEPLOYMENT_NODES_QUERY, {"ids": rereads}, missing_ok=True)
        found = [node for node in data["nodes"] if node]  # deleted: nothing left to finish
        yield _deployment_page(context, repo, found, state)
    return state


def _deployment_listing(
    client: GraphqlClient, repo: str, environments: Sequence[str]
) -> Iterator[list[dict[str, Any]]]:
    owner, name = repo.split("/", 1)
    variables: dict[str, Any] = {"owner": owner, "name": name, "after": None,
                                 "environments": list(environments)}
    sizes = list(PAGE_SIZES)
    while True:
        connection = repository_page(client, DEPLOYMENTS_QUERY, "deployments", variables, sizes)
        yield connection["nodes"]
        if not connection["pageInfo"]["hasNextPage"]:
            return
        variables["after"] = connection["pageInfo"]["endCursor"]


def _deployment_page(
    context: RepoContext, repo: str, nodes: Sequence[dict[str, Any]], state: RepoCursor
) -> Page:
    def parse(node: dict[str, Any]) -> list[Record]:
        raw, statuses = rest_shape(node, api_url=context.source.url, repo=repo)
        deployment = parse_deployment(raw, statuses, source=context.source.name, repo=repo)
        _track(context, state, str(node["id"]), deployment)
        return [deployment]

    return Page(*parse_or_quarantine(nodes, parse))


def rest_shape(
    node: Mapping[str, Any], *, api_url: str, repo: str
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A GraphQL deployment node as REST spells it (the deployment, its statuses), so one parser
    reads both: state names in lower case, the deployment's API URL as REST gives it."""
    number = node["databaseId"]
    raw = {
        "id": number,
        "url": f"{api_url.rstrip('/')}/repos/{repo}/deployments/{number}",
        "environment": node["environment"],
        "sha": node["commitOid"],
        "creator": node.get("creator"),
        "created_at": node["createdAt"],
        "updated_at": node["updatedAt"],
    }
    statuses = [
        {"state": str(status["state"]).lower(), "created_at": status["createdAt"],
         "updated_at": status["updatedAt"], "log_url": status.get("logUrl"),
         "target_url": status.get("environmentUrl")}
        for status in node["statuses"]["nodes"]
    ]
    return raw, statuses


def parse_deployment(
    raw: Mapping[str, Any], statuses: Sequence[Mapping[str, Any]], *, source: str, repo: str
) -> Deployment:
    """State and finish time from the newest final status (success, failure, error), else the
    newest status: a later `inactive` only means a newer deployment replaced this one."""
    ordered = sorted(statuses, key=lambda s: parse_time(s["created_at"]), reverse=True)
    final = next((s for s in ordered if s["state"] in DECIDING_STATES), None)
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


def run_repo(
    context: RepoContext, api: RestApi, repo: str, cursor: RepoCursor
) -> Generator[Page, None, RepoCursor]:
    """The repository's newest 100 runs (one request, ETag-polled), kept when updated since the
    cursor − lookback: a re-run keeps its place (and `created_at`) in the listing. When they were
    not all created before it, the gap is read per deploy workflow in `created` windows."""
    floor, state = context.floor(cursor), replace(cursor, pending={})
    seen: set[str] = set()
    probe = api.get(f"/repos/{repo}/actions/runs", {"per_page": PER_PAGE}, etag=cursor.etag)
    if not probe.not_modified:
        state.etag = probe.etag
        runs = probe.body["workflow_runs"]
        listed = [r for r in runs if floor is None or _updated(r, floor) >= floor]
        deploys = [r for r in listed if _is_deploy_run(context.source, r)]
        yield _run_page(context, repo, deploys, state, seen)
        state.since = _later(state.since, *(_created(r, None) for r in listed))
        reaches_floor = floor is not None and any(_created(r, floor) < floor for r in runs)
        if runs and not reaches_floor and probe.next_url:
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
    api: RestApi, url: str, start: datetime, end: datetime
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


def _deploy_workflows(source: GithubSourceConfig, api: RestApi, repo: str) -> list[dict[str, Any]]:
    listing = api.pages(f"/repos/{repo}/actions/workflows", {"per_page": PER_PAGE})
    return [w for a in listing for w in a.body["workflows"] if _is_deploy_run(source, w)]


def _is_deploy_run(source: GithubSourceConfig, run_or_workflow: Mapping[str, Any]) -> bool:
    """By workflow name or file name (`deploy.yml`), as `deployments.workflows` globs say."""
    names = (run_or_workflow.get("name"), posixpath.basename(run_or_workflow.get("path") or ""))
    return any(name and source.counts_as_deployment(name) for name in names)


def _run_by_id(api: RestApi, repo: str, run_id: str) -> dict[str, Any] | None:
    try:
        return api.get(f"/repos/{repo}/actions/runs/{run_id}").body
    except GithubException as exc:
        if exc.status != 404:
            raise
        return None


def _run_page(
    context: RepoContext,
    repo: str,
    runs: Sequence[dict[str, Any]],
    state: RepoCursor,
    seen: set[str],
    workflow: str | None = None,
) -> Page:
    seen.update(str(raw.get("id")) for raw in runs)

    def parse(raw: dict[str, Any]) -> list[Record]:
        run = parse_run(raw, source=context.source.name, repo=repo, workflow=workflow)
        _track(context, state, str(raw["id"]), run)
        return [run]

    return Page(*parse_or_quarantine(runs, parse))


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


def _track(context: RepoContext, state: RepoCursor, item_id: str, deployment: Deployment) -> None:
    """Unfinished items are re-read by id on later runs, for PENDING_FOR after their creation."""
    created = as_utc(deployment.created).isoformat()
    if deployment.finished is None and _recent(created, context):
        state.pending[item_id] = created
    else:
        state.pending.pop(item_id, None)


def _recent(created: str, context: RepoContext) -> bool:
    return context.clock() - parse_time(created) <= PENDING_FOR


def _node_created(node: Mapping[str, Any], default: datetime | None) -> Any:
    return _created({"created_at": node.get("createdAt")}, default)


def _created(raw: Mapping[str, Any], default: datetime | None) -> Any:
    """`created_at`, or `default` when unreadable (the parser then quarantines the item)."""
    try:
        return parse_time(raw["created_at"])
    except PARSE_ERRORS:
        return default


def _updated(raw: Mapping[str, Any], default: datetime | None) -> Any:
    """`updated_at` (a re-run moves it, not `created_at`), else as `_created`."""
    try:
        return parse_time(raw["updated_at"])
    except PARSE_ERRORS:
        return _created(raw, default)


def _created_bound(moment: datetime) -> str:
    return as_utc(moment).strftime("%Y-%m-%dT%H:%M:%SZ")


def _later(current: datetime | None, *candidates: datetime | None) -> datetime | None:
    return max((c for c in (current, *candidates) if c is not None), default=None)


__all__ = [
    "ACTIONS_EPOCH",
    "DEPLOYMENTS_QUERY",
    "DEPLOYMENT_NODES_QUERY",
    "PENDING_FOR",
    "RUNS_CAP",
    "DeploymentApi",
    "deployment_repo",
    "parse_deployment",
    "parse_run",
    "rest_shape",
    "run_repo",
    "windowed_runs",
]
