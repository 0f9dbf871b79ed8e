"""A fake GitHub (REST and GraphQL, on github.com or Enterprise Server paths) over in-memory data.

It answers the trackrecord connector the way GitHub does where a sync depends on it: listings come
newest first with Link pagination (`per_page` capped at 100); a filtered workflow-runs listing
stops at 1,000 results; every REST answer has an ETag, and a matching If-None-Match gets a 304
that costs no quota; X-RateLimit headers count down; the GraphQL budget resets hourly on the
fake's clock and an exhausted one answers RATE_LIMITED. The connector's three GraphQL queries are
recognised by operation name and answered in GitHub's response shape by hand-written resolvers
(no schema needed at run time; the tests compare them with graphql-core executing the published
schema). `generate_*` make realistic data for the demo and the benchmark.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import math
import random
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from fakes.server import Request, Response

API = "https://api.github.com"  # in bodies only; Link headers name the host actually asked
WEB = "https://github.com"
PAGE_MAX = 100
FILTERED_RUNS_MAX = 1000
RATE_LIMIT = 5000
RUN_FILTERS = ("actor", "branch", "check_suite_id", "created", "event", "head_sha", "status")

Json = dict[str, Any]


@dataclass
class FakeReview:
    id: str
    author: str | None  # REST spelling: a bot's login ends in "[bot]"
    state: str
    submitted: datetime | None  # None: pending, seen only by its author
    url: str


@dataclass
class FakePullRequest:
    repo: str
    number: int
    title: str
    author: str | None
    created: datetime
    updated: datetime
    merged: datetime | None = None
    closed: datetime | None = None
    additions: int = 0
    deletions: int = 0
    base: str = "main"
    author_email: str = ""  # the public profile e-mail; GitHub gives "" when hidden
    commit_email: str | None = None  # the first commit's author e-mail
    commit_login: str | None = None  # the account that first commit belongs to
    reviews: list[FakeReview] = field(default_factory=list)
    review_requests: list[tuple[str, datetime]] = field(default_factory=list)  # "team:x" = team
    ready_for_review: list[datetime] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"{WEB}/{self.repo}/pull/{self.number}"


# GraphQL response shapes ---------------------------------------------------------------------


def iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def page_cursor(index: int) -> str:
    return base64.b64encode(f"cursor:v2:{index}".encode()).decode()


def _cursor_index(cursor: str | None) -> int:
    return -1 if cursor is None else int(base64.b64decode(cursor).decode().rsplit(":", 1)[1])


def connection(
    items: Sequence[Any], first: int, after: str | None, render: Callable[[Any], Json] = dict
) -> Json:
    """A GraphQL connection page: `first` items after the cursor, and where the next starts."""
    start = _cursor_index(after) + 1
    chosen = items[start : start + first]
    end = start + len(chosen) - 1
    return {
        "pageInfo": {
            "hasNextPage": end + 1 < len(items),
            "endCursor": page_cursor(end) if chosen else None,
        },
        "nodes": [render(item) for item in chosen],
    }


def actor(login: str | None) -> Json | None:
    """`{__typename login}` as GraphQL names the account: a bot without its "[bot]" suffix."""
    if login is None:
        return None
    if login.endswith("[bot]"):
        return {"__typename": "Bot", "login": login.removesuffix("[bot]")}
    return {"__typename": "User", "login": login}


def timeline_nodes(pr: FakePullRequest) -> list[Json]:
    events: list[tuple[datetime, Json]] = [
        (at, {"__typename": "ReadyForReviewEvent", "createdAt": iso(at)})
        for at in pr.ready_for_review
    ]
    for reviewer, at in pr.review_requests:
        requested = (
            {"__typename": "Team", "slug": reviewer.removeprefix("team:")}
            if reviewer.startswith("team:")
            else actor(reviewer)
        )
        node = {"__typename": "ReviewRequestedEvent", "createdAt": iso(at)}
        events.append((at, {**node, "requestedReviewer": requested}))
    return [node for _, node in sorted(events, key=lambda pair: pair[0])]


def review_node(review: FakeReview) -> Json:
    return {
        "id": review.id,
        "url": review.url,
        "state": review.state,
        "submittedAt": iso(review.submitted),
        "author": actor(review.author),
    }


def pull_request_node(pr: FakePullRequest) -> Json:
    author = actor(pr.author)
    if author is not None and author["__typename"] == "User":
        author["email"] = pr.author_email
    commits = []
    if pr.commit_email is not None or pr.commit_login is not None:
        user = None if pr.commit_login is None else {"login": pr.commit_login}
        commits.append({"commit": {"author": {"email": pr.commit_email, "user": user}}})
    return {
        "number": pr.number,
        "title": pr.title,
        "url": pr.url,
        "createdAt": iso(pr.created),
        "updatedAt": iso(pr.updated),
        "mergedAt": iso(pr.merged),
        "closedAt": iso(pr.closed),
        "additions": pr.additions,
        "deletions": pr.deletions,
        "baseRefName": pr.base,
        "author": author,
        "commits": {"nodes": commits},
        "timelineItems": connection(timeline_nodes(pr), PAGE_MAX, None),
        "reviews": connection(pr.reviews, PAGE_MAX, None, review_node),
    }


def newest_first(prs: Iterable[FakePullRequest]) -> list[FakePullRequest]:
    return sorted(prs, key=lambda pr: (pr.updated, pr.number), reverse=True)


# The fake ------------------------------------------------------------------------------------

_REPO = r"/repos/(?P<repo>[^/]+/[^/]+)"
_ROUTES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern + "$"), name)
    for pattern, name in (
        (_REPO + r"/deployments", "_deployments"),
        (_REPO + r"/deployments/(?P<id>\d+)", "_deployment"),
        (_REPO + r"/deployments/(?P<id>\d+)/statuses", "_statuses"),
        (_REPO + r"/actions/runs", "_runs"),
        (_REPO + r"/actions/runs/(?P<id>\d+)", "_run"),
        (_REPO + r"/actions/workflows", "_workflows"),
        (_REPO + r"/actions/workflows/(?P<id>[^/]+)/runs", "_workflow_runs"),
        (r"/orgs/(?P<org>[^/]+)/repos", "_org_repos"),
    )
)


class FakeGithub:
    """The handler for `fakes.server.serving`; tests add data and read `graphql_log`."""

    def __init__(self, *, clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.clock = clock
        self.repos: set[str] = set()
        self.orgs: dict[str, list[str]] = {}
        self.pull_requests: dict[str, list[FakePullRequest]] = {}
        self.deployments: dict[str, list[Json]] = {}
        self.statuses: dict[int, list[Json]] = {}
        self.runs: dict[str, list[Json]] = {}
        self.workflows: dict[str, dict[int, Json]] = {}
        self.rest_remaining = RATE_LIMIT
        self.graphql_remaining = RATE_LIMIT
        self.reset_at = clock().replace(microsecond=0) + timedelta(hours=1)
        self.graphql_log: list[Json] = []  # every GraphQL request body, in order

    # Data ------------------------------------------------------------------------------------

    def add_repo(self, repo: str, *, org: str | None = None) -> None:
        self.repos.add(repo)
        if org is not None:
            self.orgs.setdefault(org, []).append(repo)

    def add_pull_requests(self, prs: Iterable[FakePullRequest]) -> None:
        for pr in prs:
            self.add_repo(pr.repo)
            self.pull_requests.setdefault(pr.repo, []).append(pr)

    def pull_request(self, repo: str, number: int) -> FakePullRequest:
        return next(pr for pr in self.pull_requests.get(repo, []) if pr.number == number)

    def add_deployment(self, repo: str, deployment: Json, statuses: Sequence[Json] = ()) -> None:
        self.add_repo(repo)
        self.deployments.setdefault(repo, []).append(deployment)
        self.statuses.setdefault(int(deployment["id"]), []).extend(statuses)

    def add_runs(self, repo: str, runs: Iterable[Json]) -> None:
        self.add_repo(repo)
        for run in runs:
            self.runs.setdefault(repo, []).append(run)
            workflow = {"id": run["workflow_id"], "name": run["name"], "path": run["path"]}
            self.workflows.setdefault(repo, {})[run["workflow_id"]] = workflow | {"state": "active"}

    # Serving ---------------------------------------------------------------------------------

    def __call__(self, request: Request) -> Response | None:
        path = request.path.removeprefix("/api/v3")
        if request.method == "POST" and request.path in ("/graphql", "/api/graphql"):
            return self._graphql(request)
        if request.method != "GET":
            return None
        for pattern, name in _ROUTES:
            found = pattern.match(path)
            if found:
                handler: Callable[..., Response | None] = getattr(self, name)
                return handler(request, **found.groupdict())
        return None

    def _rate_headers(self, resource: str, remaining: int) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(RATE_LIMIT),
            "X-RateLimit-Remaining": str(max(0, remaining)),
            "X-RateLimit-Used": str(RATE_LIMIT - max(0, remaining)),
            "X-RateLimit-Reset": str(int(self.reset_at.timestamp())),
            "X-RateLimit-Resource": resource,
        }

    def _rest(
        self, request: Request, body: Any, links: Mapping[str, str] | None = None
    ) -> Response:
        """200 with an ETag, or 304 (no quota spent) when the client already has this body."""
        digest = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:40]
        etag = f'W/"{digest}"'
        if request.headers.get("if-none-match") != etag:
            self.rest_remaining -= 1
        headers = {"ETag": etag} | self._rate_headers("core", self.rest_remaining)
        if request.headers.get("if-none-match") == etag:
            return Response(304, b"", headers)
        if links:
            headers["Link"] = ", ".join(f'<{url}>; rel="{rel}"' for rel, url in links.items())
        return Response(200, body, headers)

    def _not_found(self) -> Response:
        return Response(
            404, {"message": "Not Found", "documentation_url": "https://docs.github.com"}
        )

    def _listing(
        self,
        request: Request,
        items: Sequence[Json],
        *,
        key: str | None = None,
        cap: int | None = None,
    ) -> Response:
        per_page = min(int(request.arg("per_page") or 30), PAGE_MAX)
        page = max(1, int(request.arg("page") or 1))
        reachable = items if cap is None else items[:cap]
        chunk = list(reachable[(page - 1) * per_page : page * per_page])
        pages = max(1, math.ceil(len(reachable) / per_page))
        body: Any = chunk if key is None else {"total_count": len(items), key: chunk}
        return self._rest(request, body, self._links(request, page, pages))

    def _links(self, request: Request, page: int, pages: int) -> dict[str, str]:
        def url(number: int) -> str:
            query = {k: v[-1] for k, v in request.query.items()} | {"page": str(number)}
            return f"http://{request.headers.get('host')}{request.path}?{urlencode(query)}"

        links = {"prev": url(page - 1), "first": url(1)} if page > 1 else {}
        if page < pages:
            links |= {"next": url(page + 1), "last": url(pages)}
        return links

    # REST routes -----------------------------------------------------------------------------

    def _deployments(self, request: Request, repo: str) -> Response:
        if repo not in self.repos:
            return self._not_found()
        wanted = request.arg("environment")
        found = [d for d in self.deployments.get(repo, []) if wanted in (None, d["environment"])]
        return self._listing(request, _newest(found))

    def _deployment(self, request: Request, repo: str, id: str) -> Response:
        found = [d for d in self.deployments.get(repo, []) if str(d["id"]) == id]
        return self._rest(request, found[0]) if found else self._not_found()

    def _statuses(self, request: Request, repo: str, id: str) -> Response:
        if not any(str(d["id"]) == id for d in self.deployments.get(repo, [])):
            return self._not_found()
        return self._listing(request, _newest(self.statuses.get(int(id), [])))

    def _runs(self, request: Request, repo: str, workflow: int | None = None) -> Response:
        if repo not in self.repos:
            return self._not_found()
        runs = [r for r in self.runs.get(repo, []) if workflow in (None, r["workflow_id"])]
        created = request.arg("created")
        if created:
            runs = [r for r in runs if _created_matches(created, r["created_at"])]
        filtered = any(request.arg(name) for name in RUN_FILTERS)
        cap = FILTERED_RUNS_MAX if filtered else None
        return self._listing(request, _newest(runs), key="workflow_runs", cap=cap)

    def _run(self, request: Request, repo: str, id: str) -> Response:
        found = [r for r in self.runs.get(repo, []) if str(r["id"]) == id]
        return self._rest(request, found[0]) if found else self._not_found()

    def _workflows(self, request: Request, repo: str) -> Response:
        if repo not in self.repos:
            return self._not_found()
        workflows = sorted(self.workflows.get(repo, {}).values(), key=lambda w: w["id"])
        return self._listing(request, workflows, key="workflows")

    def _workflow_runs(self, request: Request, repo: str, id: str) -> Response:
        workflows = self.workflows.get(repo, {}).values()
        found = [w for w in workflows if id in (str(w["id"]), w["path"].rsplit("/", 1)[-1])]
        return self._runs(request, repo, found[0]["id"]) if found else self._not_found()

    def _org_repos(self, request: Request, org: str) -> Response:
        if org not in self.orgs:
            return self._not_found()
        repos = [
            {"full_name": r, "name": r.split("/")[1], "fork": False, "archived": False}
            for r in sorted(self.orgs[org])
        ]
        return self._listing(request, repos)

    # GraphQL ---------------------------------------------------------------------------------

    def _graphql(self, request: Request) -> Response | None:
        payload = request.json()
        self.graphql_log.append(payload)
        operation = re.search(r"\bquery\s+(\w+)", payload.get("query", ""))
        name = operation.group(1) if operation else ""
        resolver = {
            "PullRequests": self._pull_requests_data,
            "PullRequestReviews": self._reviews_data,
            "PullRequestTimeline": self._timeline_data,
            "Deployments": self._deployments_data,
        }.get(name)
        if resolver is None and name != "DeploymentNodes":
            return None
        variables = payload.get("variables") or {}
        if not self._spend(1):
            error = {"type": "RATE_LIMITED", "message": "API rate limit exceeded for user ID 1."}
            return Response(200, {"errors": [error]}, self._rate_headers("graphql", 0))
        rate = {"cost": 1, "remaining": self.graphql_remaining, "resetAt": iso(self.reset_at)}
        headers = self._rate_headers("graphql", self.graphql_remaining)
        if resolver is None:  # nodes by id: not under a repository
            return Response(200, self._deployment_nodes(variables["ids"], rate), headers)
        repo = f"{variables.get('owner')}/{variables.get('name')}"
        if repo not in self.repos:
            message = f"Could not resolve to a Repository with the name '{repo}'."
            missing = {"type": "NOT_FOUND", "path": ["repository"], "message": message}
            return Response(
                200, {"data": {"rateLimit": rate, "repository": None}, "errors": [missing]}, headers
            )
        return Response(
            200, {"data": {"rateLimit": rate, "repository": resolver(repo, variables)}}, headers
        )

    def _spend(self, cost: int) -> bool:
        """The hourly GraphQL budget, on the fake's clock."""
        while self.clock() >= self.reset_at:
            self.graphql_remaining = RATE_LIMIT
            self.reset_at += timedelta(hours=1)
        if self.graphql_remaining < cost:
            return False
        self.graphql_remaining -= cost
        return True

    def _pull_requests_data(self, repo: str, variables: Mapping[str, Any]) -> Json:
        prs = newest_first(self.pull_requests.get(repo, []))
        page = connection(prs, int(variables["first"]), variables.get("after"), pull_request_node)
        return {"pullRequests": page}

    def _deployments_data(self, repo: str, variables: Mapping[str, Any]) -> Json:
        wanted = variables.get("environments")
        found = [d for d in self.deployments.get(repo, [])
                 if not wanted or d["environment"] in wanted]
        render = self.deployment_node
        return {"deployments": connection(_newest(found), int(variables["first"]),
                                          variables.get("after"), render)}

    def _deployment_nodes(self, ids: Sequence[str], rate: Json) -> Json:
        """GitHub answers an id it cannot resolve with null and a NOT_FOUND error."""
        by_id = {deployment_node_id(d["id"]): d for ds in self.deployments.values() for d in ds}
        nodes = [self.deployment_node(by_id[i]) if i in by_id else None for i in ids]
        errors = [{"type": "NOT_FOUND", "path": ["nodes", n], "message": f"no node {i!r}"}
                  for n, i in enumerate(ids) if i not in by_id]
        answer: Json = {"data": {"rateLimit": rate, "nodes": nodes}}
        return answer | {"errors": errors} if errors else answer

    def deployment_node(self, deployment: Json) -> Json:
        """A deployment as the Deployments query asks for it, statuses included."""
        statuses = self.statuses.get(int(deployment["id"]), [])
        return {
            "id": deployment_node_id(deployment["id"]),
            "databaseId": deployment["id"],
            "environment": deployment["environment"],
            "commitOid": deployment["sha"],
            "createdAt": deployment["created_at"],
            "updatedAt": deployment["updated_at"],
            "creator": {"login": deployment["creator"]["login"]} if deployment.get("creator")
            else None,
            "statuses": {"nodes": [
                {"state": status["state"].upper(), "createdAt": status["created_at"],
                 "updatedAt": status["updated_at"], "logUrl": status.get("log_url"),
                 "environmentUrl": status.get("environment_url")}
                for status in _newest(statuses)
            ]},
        }

    def _reviews_data(self, repo: str, variables: Mapping[str, Any]) -> Json:
        pr = self.pull_request(repo, int(variables["number"]))
        page = connection(pr.reviews, PAGE_MAX, variables.get("after"), review_node)
        return {"pullRequest": {"reviews": page}}

    def _timeline_data(self, repo: str, variables: Mapping[str, Any]) -> Json:
        pr = self.pull_request(repo, int(variables["number"]))
        page = connection(timeline_nodes(pr), PAGE_MAX, variables.get("after"))
        return {"pullRequest": {"timelineItems": page}}


def deployment_node_id(deployment_id: int | str) -> str:
    """A deployment's GraphQL node id (opaque on GitHub; readable here)."""
    return f"DE_{deployment_id}"


def _newest(items: Iterable[Json]) -> list[Json]:
    return sorted(items, key=lambda item: (item["created_at"], item["id"]), reverse=True)


def _search_time(text: str, *, end: bool) -> datetime:
    """A search-syntax date or time; a bare date bound covers its whole day."""
    if "T" in text:
        return datetime.fromisoformat(text)
    day = datetime.fromisoformat(text).replace(tzinfo=UTC)
    return day + timedelta(days=1, microseconds=-1) if end else day


def _created_matches(condition: str, created_at: str) -> bool:
    created = datetime.fromisoformat(created_at)
    if ".." in condition:
        start, end = condition.split("..", 1)
        return (start in ("", "*") or created >= _search_time(start, end=False)) and (
            end in ("", "*") or created <= _search_time(end, end=True)
        )
    for prefix, test in ((">=", "ge"), ("<=", "le"), (">", "gt"), ("<", "lt")):
        if condition.startswith(prefix):
            bound = _search_time(condition[len(prefix) :], end=test in ("le", "gt"))
            return bool(getattr(created, f"__{test}__")(bound))
    return _search_time(condition, end=False) <= created <= _search_time(condition, end=True)


# Generated data ------------------------------------------------------------------------------

_REVIEW_STATES = ("COMMENTED", "APPROVED", "CHANGES_REQUESTED")
_REVIEW_WEIGHTS = (0.4, 0.45, 0.15)


def user_json(login: str) -> Json:
    kind = "Bot" if login.endswith("[bot]") else "User"
    return {
        "login": login,
        "id": int(hashlib.sha1(login.encode()).hexdigest()[:8], 16),
        "type": kind,
        "html_url": f"{WEB}/{login}",
    }


def _between(rng: random.Random, start: datetime, end: datetime) -> datetime:
    return (start + (end - start) * rng.random()).replace(microsecond=0)


def _hours(rng: random.Random, mean: float) -> timedelta:
    return timedelta(seconds=int(rng.expovariate(1 / mean) * 3600) + 60)


def generate_pull_requests(
    n: int,
    *,
    logins: Sequence[str],
    repos: Sequence[str],
    start: datetime,
    end: datetime,
    seed: int = 0,
    first_number: int = 1,
    created: Sequence[datetime] | None = None,
    weights: Mapping[str, float] | None = None,
) -> list[FakePullRequest]:
    """`n` pull requests spread over `repos`, each with 0–12 reviews after review requests (a few
    by the author, as GitHub files replies); about 15% start as drafts, 70% are merged, 15% closed
    unmerged. Each repository numbers its own from `first_number`. Deterministic for a seed.

    `created`: each one's creation time (`n` of them) instead of a uniform spread over
    [start, end); `weights`: how many each login authors, relatively (default: alike)."""
    rng = random.Random(seed)
    times = _creation_times(n, created)
    pick = _picker(logins, weights)
    numbers = dict.fromkeys(repos, first_number - 1)
    prs = []
    for index in range(n):
        repo = repos[index % len(repos)]
        numbers[repo] += 1
        author = pick(rng)
        at = times[index] if times else _between(rng, start, end)
        prs.append(_pull_request(rng, repo, numbers[repo], logins, author, at))
    return prs


def _creation_times(n: int, created: Sequence[datetime] | None) -> Sequence[datetime]:
    if created is not None and len(created) != n:
        raise ValueError(f"{len(created)} creation times for {n} items")
    return created or ()


def _picker(logins: Sequence[str], weights: Mapping[str, float] | None
            ) -> Callable[[random.Random], str]:
    """Who makes the next item: uniformly, or in proportion to `weights` (default 1)."""
    if weights is None:
        return lambda rng: rng.choice(logins)
    cumulative = list(itertools.accumulate(weights.get(login, 1.0) for login in logins))
    return lambda rng: rng.choices(logins, cum_weights=cumulative)[0]


def _pull_request(
    rng: random.Random,
    repo: str,
    number: int,
    logins: Sequence[str],
    author: str,
    created: datetime,
) -> FakePullRequest:
    ready = [created + _hours(rng, 20)] if rng.random() < 0.15 else []
    open_at = ready[0] if ready else created
    others = [login for login in logins if login != author] or list(logins)
    reviewers = rng.sample(others, k=min(len(others), rng.randint(1, 3)))
    requests = [(r, open_at + timedelta(minutes=rng.randint(1, 90))) for r in reviewers]
    reviews = []
    for index in range(rng.randint(0, 12)):
        reviewer, asked = rng.choice(requests)
        if rng.random() < 0.08:  # GitHub files an author's reply as their own COMMENTED review
            reviewer = author
        submitted = asked + _hours(rng, 10) * (index + 1)
        state = rng.choices(_REVIEW_STATES, _REVIEW_WEIGHTS)[0]
        review_id = base64.b64encode(f"PRR:{repo}#{number}/{index}".encode()).decode()
        url = f"{WEB}/{repo}/pull/{number}#pullrequestreview-{number * 100 + index}"
        reviews.append(FakeReview(review_id, reviewer, state, submitted, url))
    last = max([open_at, *(r.submitted for r in reviews if r.submitted)])
    outcome = rng.random()
    finished = last + _hours(rng, 6)
    merged = finished if outcome < 0.7 else None
    closed = finished if outcome < 0.85 else None
    human = not author.endswith("[bot]")
    return FakePullRequest(
        repo=repo,
        number=number,
        title=f"Change {number} in {repo.split('/')[1]}",
        author=author,
        created=created,
        updated=max(filter(None, [last, closed])),
        merged=merged,
        closed=closed,
        additions=rng.randint(1, 800),
        deletions=rng.randint(0, 400),
        base="main",
        commit_email=f"{author}@example.com" if human else None,
        commit_login=author if human else None,
        reviews=reviews,
        review_requests=requests,
        ready_for_review=ready,
    )


def generate_deployments(
    n: int,
    *,
    logins: Sequence[str],
    repos: Sequence[str],
    start: datetime,
    end: datetime,
    environment: str = "production",
    seed: int = 0,
    created: Sequence[datetime] | None = None,
    weights: Mapping[str, float] | None = None,
) -> list[tuple[str, Json, list[Json]]]:
    """(repo, deployment, statuses newest first): 85% succeed, the rest fail or error.
    `created` and `weights` as for `generate_pull_requests`."""
    rng = random.Random(seed)
    times = _creation_times(n, created)
    pick = _picker(logins, weights)
    made = []
    for index in range(n):
        repo = repos[index % len(repos)]
        at = times[index] if times else _between(rng, start, end)
        creator = user_json(pick(rng))
        deployment_id = 900_000 + index
        url = f"{API}/repos/{repo}/deployments/{deployment_id}"
        deployment = {
            "id": deployment_id,
            "url": url,
            "sha": hashlib.sha1(url.encode()).hexdigest(),
            "ref": "main",
            "task": "deploy",
            "environment": environment,
            "creator": creator,
            "created_at": iso(at),
            "updated_at": iso(at),
            "statuses_url": f"{url}/statuses",
            "repository_url": f"{API}/repos/{repo}",
        }
        final = rng.choices(("success", "failure", "error"), (0.85, 0.1, 0.05))[0]
        statuses = [
            _status(
                deployment_id * 10 + step,
                state,
                at + timedelta(minutes=5 * step),
                creator,
                environment,
            )
            for step, state in enumerate(("in_progress", final), start=1)
        ]
        made.append((repo, deployment, statuses[::-1]))
    return made


def _status(status_id: int, state: str, at: datetime, creator: Json, environment: str) -> Json:
    return {
        "id": status_id,
        "state": state,
        "creator": creator,
        "environment": environment,
        "created_at": iso(at),
        "updated_at": iso(at),
        "log_url": f"https://ci.example.com/deploy/{status_id}",
        "target_url": "",
    }


def generate_workflow_runs(
    n: int,
    *,
    logins: Sequence[str],
    repos: Sequence[str],
    start: datetime,
    end: datetime,
    workflow: str = "Deploy",
    path: str = ".github/workflows/deploy.yml",
    seed: int = 0,
) -> list[tuple[str, Json]]:
    """(repo, run) of one workflow per repository, all completed: 90% succeed."""
    rng = random.Random(seed)
    made = []
    for index in range(n):
        repo, created = repos[index % len(repos)], _between(rng, start, end)
        run_id = 5_000_000 + index
        conclusion = rng.choices(("success", "failure", "cancelled"), (0.9, 0.07, 0.03))[0]
        made.append(
            (
                repo,
                run_json(
                    run_id,
                    repo=repo,
                    workflow_id=70_000 + repos.index(repo),
                    name=workflow,
                    path=path,
                    actor=rng.choice(logins),
                    created=created,
                    updated=created + _hours(rng, 0.2),
                    status="completed",
                    conclusion=conclusion,
                ),
            )
        )
    return made


def run_json(
    run_id: int,
    *,
    repo: str,
    workflow_id: int,
    name: str,
    path: str,
    actor: str,
    created: datetime,
    updated: datetime,
    status: str,
    conclusion: str | None,
) -> Json:
    return {
        "id": run_id,
        "name": name,
        "path": path,
        "workflow_id": workflow_id,
        "head_branch": "main",
        "head_sha": hashlib.sha1(str(run_id).encode()).hexdigest(),
        "event": "push",
        "status": status,
        "conclusion": conclusion,
        "html_url": f"{WEB}/{repo}/actions/runs/{run_id}",
        "url": f"{API}/repos/{repo}/actions/runs/{run_id}",
        "created_at": iso(created),
        "updated_at": iso(updated),
        "run_started_at": iso(created),
        "actor": user_json(actor),
        "triggering_actor": user_json(actor),
    }


__all__ = [
    "FILTERED_RUNS_MAX",
    "FakeGithub",
    "FakePullRequest",
    "FakeReview",
    "actor",
    "connection",
    "deployment_node_id",
    "generate_deployments",
    "generate_pull_requests",
    "generate_workflow_runs",
    "iso",
    "newest_first",
    "page_cursor",
    "pull_request_node",
    "review_node",
    "run_json",
    "timeline_nodes",
    "user_json",
]
