"""Pull requests with their reviews and review requests: one GraphQL query per page of 100.

REST would need one request per pull request for its reviews (≈ N + N/100 requests); a GraphQL
page carries 100 pull requests with up to 100 reviews and 100 timeline events each, so a full sync
costs ⌈N/100⌉ queries per repository, plus one per pull request with more than 100 of either.

Pages come newest `updatedAt` first, so the run stops at the first pull request older than the
cursor − lookback, and the caller moves the cursor only once the repository is done. GitHub
aborts a query after 10 s with a 502: the page then shrinks (100 → 50 → 25) for the rest of the
run. The query asks for its own `rateLimit`, and the next query waits for the window to reset when
the budget left is below what the last one cost. A refusal for rate limits waits as GitHub asks
(`rate_limit_wait`, shared with the REST retries).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from ingest.http import retry_after_seconds
from ingest.records import PullRequest, Record, Review, ReviewRequest, aware_time
from ingest.sync import PARSE_ERRORS, Reject, describe, parse_or_quarantine

log = logging.getLogger(__name__)

PAGE_SIZES = (100, 50, 25)
RATE_LIMIT_WAIT = 60.0  # seconds: GitHub's "at least a minute" when it names no time to wait

_REVIEW_PAGE = """
fragment ReviewPage on PullRequestReviewConnection {
  pageInfo { hasNextPage endCursor }
  nodes { id url state submittedAt author { __typename login } }
}
"""
_TIMELINE_PAGE = """
fragment TimelinePage on PullRequestTimelineItemsConnection {
  pageInfo { hasNextPage endCursor }
  nodes {
    __typename
    ... on ReviewRequestedEvent {
      createdAt
      requestedReviewer {
        __typename
        ... on User { login }
        ... on Bot { login }
        ... on Team { slug }
      }
    }
    ... on ReadyForReviewEvent { createdAt }
  }
}
"""
_TIMELINE_TYPES = "[REVIEW_REQUESTED_EVENT, READY_FOR_REVIEW_EVENT]"

PULL_REQUESTS_QUERY = f"""
query PullRequests($owner: String!, $name: String!, $first: Int!, $after: String) {{
  rateLimit {{ cost remaining resetAt }}
  repository(owner: $owner, name: $name) {{
    pullRequests(first: $first, after: $after, orderBy: {{field: UPDATED_AT, direction: DESC}}) {{
      pageInfo {{ hasNextPage endCursor }}
      nodes {{
        number title url createdAt updatedAt mergedAt closedAt additions deletions baseRefName
        author {{ __typename login ... on User {{ email }} }}
        commits(first: 1) {{ nodes {{ commit {{ author {{ email user {{ login }} }} }} }} }}
        timelineItems(first: 100, itemTypes: {_TIMELINE_TYPES}) {{ ...TimelinePage }}
        reviews(first: 100) {{ ...ReviewPage }}
      }}
    }}
  }}
}}
{_TIMELINE_PAGE}{_REVIEW_PAGE}"""

REVIEWS_QUERY = f"""
query PullRequestReviews($owner: String!, $name: String!, $number: Int!, $after: String) {{
  rateLimit {{ cost remaining resetAt }}
  repository(owner: $owner, name: $name) {{
    pullRequest(number: $number) {{ reviews(first: 100, after: $after) {{ ...ReviewPage }} }}
  }}
}}
{_REVIEW_PAGE}"""

TIMELINE_QUERY = f"""
query PullRequestTimeline($owner: String!, $name: String!, $number: Int!, $after: String) {{
  rateLimit {{ cost remaining resetAt }}
  repository(owner: $owner, name: $name) {{
    pullRequest(number: $number) {{
      timelineItems(first: 100, after: $after, itemTypes: {_TIMELINE_TYPES}) {{ ...TimelinePage }}
    }}
  }}
}}
{_TIMELINE_PAGE}"""

# The connections a pull request node carries, and the query that pages on through each.
_MORE = {"reviews": REVIEWS_QUERY, "timelineItems": TIMELINE_QUERY}


class GraphqlTimeout(RuntimeError):
    """GitHub gave up on the query (502/504, or a timeout error): ask for a smaller page."""


class GraphqlError(RuntimeError):
    """GitHub answered the query with errors; the message carries them."""


class GraphqlPost(Protocol):
    """Sends one query; returns the response headers (lower-case names) and body, raising
    GraphqlTimeout when GitHub gave up."""

    def __call__(
        self, query: str, variables: Mapping[str, Any]
    ) -> tuple[Mapping[str, str], dict[str, Any]]: ...


@dataclass
class GraphqlClient:
    """Turns errors into exceptions and spends the rate-limit budget without overdrawing it."""

    post: GraphqlPost
    sleep: Callable[[float], None]
    clock: Callable[[], datetime]
    budget: Mapping[str, Any] | None = None  # the last answer's rateLimit

    def query(self, text: str, variables: Mapping[str, Any], *, missing_ok: bool = False
              ) -> dict[str, Any]:
        """The answer's data; `missing_ok`: a node asked for by id that no longer exists is a
        null in the data, not an error (GitHub reports it as NOT_FOUND)."""
        self._wait_for_budget()
        headers, body = self.post(text, variables)
        if _error_types(body) & {"RATE_LIMITED"}:  # spent by someone else sharing the token
            self._pause(rate_limit_wait(headers, self.clock()))
            headers, body = self.post(text, variables)
        errors = [e for e in body.get("errors") or []
                  if not (missing_ok and e.get("type") == "NOT_FOUND")]
        if any("timeout" in str(error.get("message", "")).lower() for error in errors):
            raise GraphqlTimeout(str(errors))
        if errors or not isinstance(body.get("data"), dict):
            raise GraphqlError(f"GitHub GraphQL errors: {errors or body}")
        self.budget = body["data"].get("rateLimit")
        return body["data"]

    def _wait_for_budget(self) -> None:
        """A query GitHub cannot afford fails; waiting for the reset is cheaper than retrying."""
        budget = self.budget
        if budget and budget.get("remaining", 1) < max(1, budget.get("cost", 1)):
            self._pause((parse_time(budget["resetAt"]) - self.clock()).total_seconds() + 1)

    def _pause(self, wait: float) -> None:
        if wait > 0:
            log.warning("GitHub GraphQL budget spent; waiting %.0fs", wait)
            self.sleep(wait)


def rate_limit_wait(headers: Mapping[str, str], now: datetime, *, at_least: float = 0) -> float:
    """Seconds to wait after GitHub refused a request for its rate limits (403 or 429, or GraphQL's
    RATE_LIMITED), as GitHub's documentation asks: `Retry-After` when given; until
    `X-RateLimit-Reset` plus a second when `X-RateLimit-Remaining` is 0; otherwise at least a
    minute. `at_least` is the caller's own backoff, for a limit hit again and again. `headers`
    must find lower-case names (a plain dict of them, or a case-insensitive one)."""
    retry_after = retry_after_seconds(headers.get("retry-after"), now)
    if retry_after is not None:
        return retry_after
    reset = headers.get("x-ratelimit-reset", "").strip()
    if headers.get("x-ratelimit-remaining", "").strip() == "0" and reset.isdigit():
        until_reset = (datetime.fromtimestamp(int(reset), UTC) - now).total_seconds() + 1
        if until_reset > 0:  # a reset already past is clock skew: fall back to the minute
            return max(until_reset, at_least)
    return max(RATE_LIMIT_WAIT, at_least)


def _error_types(body: Mapping[str, Any]) -> set[str]:
    return {str(error.get("type")) for error in body.get("errors") or []}


@dataclass(frozen=True)
class PullRequestBatch:
    """One page of pull requests as records, and the newest `updatedAt` in it."""

    records: list[Record]
    rejects: list[Reject]
    newest: datetime | None


def pull_request_batches(
    client: GraphqlClient, *, source: str, repo: str, since: datetime | None
) -> Iterator[PullRequestBatch]:
    """Pages of pull requests updated at or after `since` (all of them when None)."""
    owner, name = repo.split("/", 1)
    variables: dict[str, Any] = {"owner": owner, "name": name, "after": None}
    sizes = list(PAGE_SIZES)
    while True:
        connection = _pull_request_page(client, variables, sizes)
        nodes = connection["nodes"]
        fresh = [node for node in nodes if since is None or _updated_at(node, since) >= since]
        yield _batch(client, fresh, source=source, repo=repo)
        if len(fresh) < len(nodes) or not connection["pageInfo"]["hasNextPage"]:
            return
        variables["after"] = connection["pageInfo"]["endCursor"]


def _pull_request_page(
    client: GraphqlClient, variables: dict[str, Any], sizes: list[int]
) -> dict[str, Any]:
    return repository_page(client, PULL_REQUESTS_QUERY, "pullRequests", variables, sizes)


def repository_page(
    client: GraphqlClient, query: str, name: str, variables: dict[str, Any], sizes: list[int]
) -> dict[str, Any]:
    """One page of the repository's connection `name` (`$first` is the page size). Shrinks
    `sizes` in place on a timeout, so the rest of the run asks for smaller pages."""
    while True:
        try:
            data = client.query(query, {**variables, "first": sizes[0]})
        except GraphqlTimeout:
            if len(sizes) == 1:
                raise
            log.warning("GitHub timed out on %d %s; asking for %d", sizes[0], name, sizes[1])
            sizes.pop(0)
            continue
        if data.get("repository") is None:
            raise GraphqlError(f"repository {variables['owner']}/{variables['name']} not found")
        connection: dict[str, Any] = data["repository"][name]
        return connection


def _updated_at(node: Mapping[str, Any], default: datetime) -> datetime:
    """A node whose time cannot be read counts as fresh: the parser will quarantine it."""
    try:
        return parse_time(node["updatedAt"])
    except PARSE_ERRORS:
        return default


def _complete(client: GraphqlClient, repo: str, node: dict[str, Any]) -> dict[str, Any]:
    """The node with every review and timeline event, paging on where 100 were not all."""
    owner, name = repo.split("/", 1)
    for connection_name, query in _MORE.items():
        connection = node.get(connection_name)
        if not isinstance(connection, dict) or not connection["pageInfo"]["hasNextPage"]:
            continue
        nodes = list(connection["nodes"])
        page_info = connection["pageInfo"]
        while page_info["hasNextPage"]:
            variables = {"owner": owner, "name": name, "number": node["number"]}
            data = client.query(query, {**variables, "after": page_info["endCursor"]})
            more = data["repository"]["pullRequest"][connection_name]
            nodes.extend(more["nodes"])
            page_info = more["pageInfo"]
        node = {**node, connection_name: {"pageInfo": page_info, "nodes": nodes}}
    return node


def _batch(
    client: GraphqlClient, nodes: Sequence[dict[str, Any]], *, source: str, repo: str
) -> PullRequestBatch:
    def parse(node: dict[str, Any]) -> list[Record]:
        pull_request, requests, reviews = parse_pull_request(
            _complete(client, repo, node), source=source, repo=repo
        )
        return [pull_request, *requests, *reviews]

    def reject(node: dict[str, Any], exc: Exception) -> Reject:
        return Reject(node, describe(exc), f"{source}:{repo}/{node.get('number')}")

    records, rejects = parse_or_quarantine(nodes, parse, reject=reject)
    updated = [record.updated for record in records if isinstance(record, PullRequest)]
    return PullRequestBatch(records, rejects, max(updated, default=None))


def parse_pull_request(
    node: Mapping[str, Any], *, source: str, repo: str
) -> tuple[PullRequest, list[ReviewRequest], list[Review]]:
    """A pull request node of PULL_REQUESTS_QUERY → typed records. Pure; raises on what it cannot
    read. Reviews still pending (never submitted) are not evidence and are left out."""
    number = int(node["number"])
    events = node["timelineItems"]["nodes"]
    ready = [parse_time(e["createdAt"]) for e in events if e["__typename"] == "ReadyForReviewEvent"]
    author = node.get("author") or {}
    pull_request = PullRequest(
        source=source,
        repo=repo,
        number=number,
        url=node["url"],
        title=node["title"],
        author_account=actor_login(author),
        author_email=author.get("email") or _commit_email(node, actor_login(author)),
        created=parse_time(node["createdAt"]),
        updated=parse_time(node["updatedAt"]),
        ready_for_review=min(ready, default=None),
        merged=_optional_time(node.get("mergedAt")),
        closed=_optional_time(node.get("closedAt")),
        additions=int(node["additions"]),
        deletions=int(node["deletions"]),
        base_branch=node["baseRefName"],
    )
    requests = [
        ReviewRequest(source, repo, number, reviewer, parse_time(event["createdAt"]))
        for event in events
        if event["__typename"] == "ReviewRequestedEvent"
        and (reviewer := _reviewer(event.get("requestedReviewer"))) is not None
    ]
    reviews = [
        _review(review, source=source, repo=repo, number=number)
        for review in node["reviews"]["nodes"]
        if review.get("submittedAt")
    ]
    return pull_request, requests, reviews


def _commit_email(node: Mapping[str, Any], login: str | None) -> str | None:
    """The first commit's author e-mail when that commit is the author's own: most profiles hide
    their e-mail, and people.yaml matches unlisted accounts by it."""
    commits = (node.get("commits") or {}).get("nodes") or []
    author = commits[0]["commit"]["author"] if commits else None
    if not author or login is None or (author.get("user") or {}).get("login") != login:
        return None
    return author.get("email") or None


def _review(raw: Mapping[str, Any], *, source: str, repo: str, number: int) -> Review:
    return Review(
        source=source,
        review_id=raw["id"],
        repo=repo,
        number=number,
        url=raw["url"],
        reviewer_account=actor_login(raw.get("author")),
        state=raw["state"],
        submitted=parse_time(raw["submittedAt"]),
    )


def actor_login(actor: Mapping[str, Any] | None) -> str | None:
    """The login as REST and people.yaml spell it: GraphQL drops a bot's "[bot]" suffix."""
    if not actor or not actor.get("login"):
        return None
    login = str(actor["login"])
    return f"{login}[bot]" if actor.get("__typename") == "Bot" else login


def _reviewer(requested: Mapping[str, Any] | None) -> str | None:
    """A requested user's login, or `team:<slug>`; None for a reviewer since deleted."""
    if not requested:
        return None
    if requested.get("__typename") == "Team":
        return f"team:{requested['slug']}" if requested.get("slug") else None
    return actor_login(requested)


def parse_time(value: object) -> datetime:
    """GitHub's `2026-09-01T09:15:00Z`."""
    return aware_time(value, "GitHub")


def _optional_time(value: object) -> datetime | None:
    return None if value is None else parse_time(value)


__all__ = [
    "PAGE_SIZES",
    "PULL_REQUESTS_QUERY",
    "REVIEWS_QUERY",
    "TIMELINE_QUERY",
    "GraphqlClient",
    "GraphqlError",
    "GraphqlPost",
    "GraphqlTimeout",
    "PullRequestBatch",
    "actor_login",
    "parse_pull_request",
    "parse_time",
    "pull_request_batches",
    "rate_limit_wait",
    "repository_page",
]
