"""A fake Jira, Cloud or Data Center, over an in-memory list of issues in the real API's shape.

It answers what the connector and the `jira` client ask, the way the real services do where it
matters for a sync: Cloud's enhanced search pages by `nextPageToken`, refuses an unbounded query
and no longer serves the old `/search`; Data Center pages by `startAt`; both read the JQL
`updated >= "..."` literal in the user's time zone (a local time the autumn clock change makes
happen twice in its earlier meaning, unless told otherwise), cap `maxResults`, honour `fields`, and
cut the embedded changelog to the latest 100 entries (the full one comes from the changelog
endpoints). A test can edit issues between the requests of a sync (`before_search`).
Other JQL clauses are not evaluated: every issue matches them, ordered by `updated`, then by key
(project, then number), as `ORDER BY updated, key` asks: without the key Jira sets no tie order.

`generate_issues` makes realistic issues for the demo and the benchmarks, lazily: issue `i` is
computed from the seed when asked for, so 200,000 of them cost no memory until served.
"""

from __future__ import annotations

import base64
import bisect
import itertools
import math
import random
import re
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cached_property
from typing import Any, Literal, NamedTuple, cast, overload
from zoneinfo import ZoneInfo

from fakes.server import Request, Response

Deployment = Literal["cloud", "datacenter"]
Issue = dict[str, Any]

EMBEDDED_CHANGELOG_MAX = 100
PAGE_MAX = 100
BULK_ISSUES_MAX = 1000
BULK_RESULTS_MAX = 10000

_CATEGORIES = {  # Jira's three status categories, as every instance has them
    key: {"id": number, "key": key, "name": name, "colorName": colour}
    for number, key, name, colour in (
        (2, "new", "To Do", "blue-gray"),
        (4, "indeterminate", "In Progress", "yellow"),
        (3, "done", "Done", "green"),
    )
}


def _status(status_id: str, name: str, category: str) -> dict[str, Any]:
    return {"id": status_id, "name": name, "statusCategory": _CATEGORIES[category]}


TO_DO = _status("10000", "To Do", "new")
IN_PROGRESS = _status("3", "In Progress", "indeterminate")
DONE = _status("10001", "Done", "done")
DEFAULT_STATUSES = (TO_DO, IN_PROGRESS, DONE)

_SYSTEM_FIELDS = {
    "summary": ["summary"],
    "status": ["status"],
    "issuetype": ["issuetype", "type"],
    "project": ["project"],
    "assignee": ["assignee"],
    "reporter": ["reporter"],
    "created": ["created", "createdDate"],
    "updated": ["updated", "updatedDate"],
    "resolutiondate": ["resolutiondate", "resolved"],
    "duedate": ["due", "duedate"],
    "priority": ["priority"],
}
_UPDATED_SINCE = re.compile(r"""\bupdated\s*>=\s*(["'])(?P<when>[^"']*)\1""", re.IGNORECASE)
_ORDER_BY = re.compile(r"\border\s+by\b", re.IGNORECASE)
_JQL_FORMATS = ("%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M", "%Y-%m-%d", "%Y/%m/%d")


class JqlError(ValueError):
    """What Jira answers 400 to."""


@dataclass
class FakeJira:
    """A `fakes.server` handler. `queries` lists the JQL received, for tests to check;
    `before_search` is called before each search is answered, so a test can edit `issues` there
    (then `reindex`) as people do while a sync pages."""

    issues: Sequence[Issue]
    deployment: Deployment = "cloud"
    time_zone: str | None = "UTC"  # the API user's zone (GET /myself); None: not given
    statuses: Sequence[Mapping[str, Any]] = DEFAULT_STATUSES
    authorization: str | None = None  # the exact Authorization header to require, if any
    base_url: str = "https://jira.example"
    later_fold: bool = False  # read a twice-happening local time in its later meaning
    before_search: Callable[[FakeJira], None] | None = None
    queries: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.reindex()

    def reindex(self) -> None:
        """Order by `updated` then key, in one pass (a generated issue is computed each time it
        is read); call again after changing `issues`."""
        keyed = []
        self._positions: dict[str, int] = {}
        for position, issue in enumerate(self.issues):
            keyed.append((_updated_ms(issue), _key_order(issue), position))
            for name in ("key", "id"):
                self._positions[str(issue.get(name))] = position
        keyed.sort()
        self._updated = [ms for ms, _, _ in keyed]
        self._order = [position for _, _, position in keyed]

    def __call__(self, request: Request) -> Response | None:
        if self.authorization and request.headers.get("authorization") != self.authorization:
            return _error(401, "Client must be authenticated to access this resource.")
        if self.deployment == "datacenter" and request.path.startswith("/rest/api/3/"):
            return None
        for methods, pattern, deployments, name in _ROUTES:
            match = pattern.fullmatch(request.path)
            if match and request.method in methods and self.deployment in deployments:
                try:
                    handler: Callable[..., Response | None] = getattr(self, name)
                    return handler(request, **match.groupdict())
                except JqlError as exc:
                    return _error(400, str(exc))
        return None

    # metadata ---------------------------------------------------------------------------------

    def server_info(self, request: Request) -> Response:
        cloud = self.deployment == "cloud"
        version = [1001, 0, 0] if cloud else [9, 12, 0]
        return Response(
            body={
                "baseUrl": self.base_url,
                "version": ".".join(map(str, version)),
                "versionNumbers": version,
                "deploymentType": "Cloud" if cloud else "Server",
                "serverTitle": "Fake Jira",
                "serverTime": _jira_time(datetime.now(UTC)),
            }
        )

    def myself(self, request: Request) -> Response:
        user: dict[str, Any] = {"displayName": "Sync", "active": True}
        if self.deployment == "cloud":
            user["accountId"] = "sync-account"
        else:
            user.update(name="sync", key="JIRAUSER10000")
        if self.time_zone is not None:
            user["timeZone"] = self.time_zone
        return Response(body=user)

    def status_list(self, request: Request) -> Response:
        return Response(body=list(self.statuses))

    def field_list(self, request: Request) -> Response:
        return Response(
            body=[
                {"id": name, "key": name, "name": name, "custom": False, "clauseNames": clauses}
                for name, clauses in _SYSTEM_FIELDS.items()
            ]
        )

    # search -----------------------------------------------------------------------------------

    def search_jql(self, request: Request) -> Response:
        """Cloud's enhanced search: no total, a `nextPageToken` while more remain."""
        params = _params(request)
        jql = str(params.get("jql") or "")
        first = self._first_match(jql, bounded=True)
        offset = _read_token(params.get("nextPageToken"), jql)
        size = _page_size(params.get("maxResults"), default=50)
        positions = self._order[first + offset : first + offset + size]
        issues = [self._render(p, _fields(params), _expand(params)) for p in positions]
        body: dict[str, Any] = {
            "issues": issues,
            "isLast": first + offset + size >= len(self._order),
        }
        if not body["isLast"]:
            body["nextPageToken"] = _token(offset + size, jql)
        return Response(body=body)

    def search_startat(self, request: Request) -> Response:
        """Data Center's search: `startAt` and `total`."""
        params = _params(request)
        first = self._first_match(str(params.get("jql") or ""), bounded=False)
        start = int(params.get("startAt") or 0)
        size = _page_size(params.get("maxResults"), default=50)
        positions = self._order[first + start : first + start + size]
        return Response(
            body={
                "expand": "schema,names",
                "startAt": start,
                "maxResults": size,
                "total": len(self._order) - first,
                "issues": [self._render(p, _fields(params), _expand(params)) for p in positions],
            }
        )

    def search_removed(self, request: Request) -> Response:
        return _error(
            410, "The requested API has been removed. Please migrate to /rest/api/3/search/jql."
        )

    def _first_match(self, jql: str, *, bounded: bool) -> int:
        """Index in `_order` of the first issue the JQL's `updated >=` bound lets through."""
        self.queries.append(jql)
        if self.before_search is not None:
            self.before_search(self)
        if len(_ORDER_BY.findall(jql)) > 1:
            raise JqlError("Error in the JQL Query: expecting end of query, got 'ORDER BY'")
        where = _ORDER_BY.split(jql)[0].strip()
        if bounded and not where:
            raise JqlError(
                "Unbounded JQL queries are not allowed here. Please add a search restriction."
            )
        found = _UPDATED_SINCE.search(where)
        if found is None:
            return 0
        zone = ZoneInfo(self.time_zone or "UTC")
        since = _read_jql_time(found["when"], zone).replace(fold=int(self.later_fold))
        return bisect.bisect_left(self._updated, int(since.timestamp() * 1000))

    # changelogs -------------------------------------------------------------------------------

    def issue(self, request: Request, issue: str) -> Response | None:
        position = self._positions.get(issue)
        if position is None:
            return _error(404, "Issue does not exist or you do not have permission to see it.")
        params = _params(request)
        full = self.deployment == "datacenter"  # Cloud cuts this one too
        return Response(body=self._render(position, _fields(params), _expand(params), full=full))

    def issue_changelog(self, request: Request, issue: str) -> Response:
        position = self._positions.get(issue)
        if position is None:
            return _error(404, "Issue does not exist or you do not have permission to see it.")
        histories = _chronological(_histories(self.issues[position]))
        start = int(request.arg("startAt") or 0)
        size = _page_size(request.arg("maxResults"), default=100)
        values = histories[start : start + size]
        return Response(
            body={
                "self": f"{self.base_url}{request.path}?startAt={start}&maxResults={size}",
                "startAt": start,
                "maxResults": size,
                "total": len(histories),
                "isLast": start + size >= len(histories),
                "values": values,
            }
        )

    def bulk_changelog(self, request: Request) -> Response:
        body = request.json() or {}
        wanted = [str(key) for key in body.get("issueIdsOrKeys") or []]
        if not wanted or len(wanted) > BULK_ISSUES_MAX:
            return _error(400, f"issueIdsOrKeys: between 1 and {BULK_ISSUES_MAX} issues")
        size = min(int(body.get("maxResults") or 1000), BULK_RESULTS_MAX)
        offset = _read_token(body.get("nextPageToken"), "bulk")
        field_ids = set(body.get("fieldIds") or ())
        found = [self.issues[self._positions[key]] for key in wanted if key in self._positions]
        flat = [
            (str(issue.get("id")), history)
            for issue in found
            for history in _chronological(_histories(issue))
            if not field_ids or _touches(history, field_ids)
        ]
        logs: list[dict[str, Any]] = []
        for issue_id, history in flat[offset : offset + size]:
            if not logs or logs[-1]["issueId"] != issue_id:
                logs.append({"issueId": issue_id, "changeHistories": []})
            logs[-1]["changeHistories"].append(_only_fields(history, field_ids))
        answer: dict[str, Any] = {"issueChangeLogs": logs}
        if offset + size < len(flat):
            answer["nextPageToken"] = _token(offset + size, "bulk")
        return Response(body=answer)

    def _render(
        self, position: int, fields: set[str] | None, expand: set[str], *, full: bool = False
    ) -> Issue:
        issue = self.issues[position]
        shown = {k: v for k, v in issue.items() if k not in ("fields", "changelog")}
        all_fields = issue.get("fields") or {}
        shown["fields"] = (
            dict(all_fields)
            if fields is None
            else {k: v for k, v in all_fields.items() if k in fields}
        )
        if "changelog" in expand:
            histories = _histories(issue)
            shown["changelog"] = _embedded_changelog(histories, full=full)
        return shown


_BOTH: tuple[Deployment, ...] = ("cloud", "datacenter")
_V = r"/rest/api/(?:2|3|latest)"
_Route = tuple[tuple[str, ...], str, tuple[Deployment, ...], str]
_ROUTES: tuple[tuple[tuple[str, ...], re.Pattern[str], tuple[Deployment, ...], str], ...] = tuple(
    (methods, re.compile(pattern), deployments, name)
    for methods, pattern, deployments, name in cast(tuple[_Route, ...], (
        (("GET",), rf"{_V}/serverInfo", _BOTH, "server_info"),
        (("GET",), rf"{_V}/myself", _BOTH, "myself"),
        (("GET",), rf"{_V}/status", _BOTH, "status_list"),
        (("GET",), rf"{_V}/field", _BOTH, "field_list"),
        (("GET", "POST"), r"/rest/api/(?:2|3)/search/jql", ("cloud",), "search_jql"),
        (("GET", "POST"), r"/rest/api/(?:2|latest)/search", ("datacenter",), "search_startat"),
        (("GET", "POST"), r"/rest/api/(?:2|3|latest)/search", ("cloud",), "search_removed"),
        (("POST",), r"/rest/api/3/changelog/bulkfetch", ("cloud",), "bulk_changelog"),
        (("GET",), rf"{_V}/issue/(?P<issue>[^/]+)/changelog", ("cloud",), "issue_changelog"),
        (("GET",), rf"{_V}/issue/(?P<issue>[^/]+)", _BOTH, "issue"),
    ))
)


def _error(status: int, message: str) -> Response:
    return Response(status, {"errorMessages": [message], "errors": {}})


def _params(request: Request) -> dict[str, Any]:
    """GET query (repeated `fields` kept whole) or POST body, as one dict."""
    if request.method == "POST":
        return dict(request.json() or {})
    params: dict[str, Any] = {name: values[-1] for name, values in request.query.items()}
    if "fields" in request.query:
        params["fields"] = request.query["fields"]
    return params


def _fields(params: Mapping[str, Any]) -> set[str] | None:
    """The `fields` asked for (comma-separated or repeated); None means all."""
    raw = params.get("fields")
    if raw is None:
        return None
    names = {
        name.strip()
        for part in ([raw] if isinstance(raw, str) else raw)
        for name in str(part).split(",")
        if name.strip()
    }
    return None if names & {"*all", "*navigable"} else names


def _expand(params: Mapping[str, Any]) -> set[str]:
    raw = params.get("expand") or ""
    parts = raw if isinstance(raw, list) else str(raw).split(",")
    return {part.strip() for part in parts}


def _page_size(raw: object, *, default: int) -> int:
    asked = default if raw is None or raw == "" else int(str(raw))
    return max(1, min(asked, PAGE_MAX))


def _token(offset: int, scope: str) -> str:
    """Opaque to clients, like Jira's; tied to the query it pages."""
    return base64.urlsafe_b64encode(f"{offset}:{zlib.crc32(scope.encode())}".encode()).decode()


def _read_token(token: object, scope: str) -> int:
    if not token:
        return 0
    try:
        offset, digest = base64.urlsafe_b64decode(str(token)).decode().split(":")
    except ValueError:
        raise JqlError("The provided next page token is invalid.") from None
    if int(digest) != zlib.crc32(scope.encode()):
        raise JqlError("The next page token belongs to another query.")
    return int(offset)


def _read_jql_time(text: str, zone: ZoneInfo) -> datetime:
    for layout in _JQL_FORMATS:
        try:
            return datetime.strptime(text, layout).replace(tzinfo=zone)
        except ValueError:
            continue
    raise JqlError(f"Date value '{text}' for field 'updated' is invalid.")


def _parse_time(value: object) -> datetime | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value / 1000 if value > 1e11 else value, UTC)
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _updated_ms(issue: Mapping[str, Any]) -> int:
    fields = issue.get("fields")
    updated = _parse_time(fields.get("updated")) if isinstance(fields, Mapping) else None
    if updated is None:  # a record too broken to say: it sorts first, and is always served
        return 0
    return int(updated.timestamp() * 1000)


def _key_order(issue: Mapping[str, Any]) -> tuple[str, int]:
    """Jira sorts keys by project, then number: OPS-9 before OPS-10."""
    project, _, number = str(issue.get("key")).rpartition("-")
    return (project, int(number)) if number.isdigit() else (str(issue.get("key")), 0)


def _histories(issue: Mapping[str, Any]) -> list[Any]:
    changelog = issue.get("changelog")
    return list(changelog.get("histories") or []) if isinstance(changelog, Mapping) else []


def _chronological(histories: list[Any]) -> list[Any]:
    def when(history: Any) -> tuple[float, str]:
        moment = _parse_time(history.get("created")) if isinstance(history, Mapping) else None
        return (moment.timestamp() if moment else 0.0, str(history.get("id", "")))

    return sorted(histories, key=when)


def _embedded_changelog(histories: list[Any], *, full: bool) -> dict[str, Any]:
    """What search gives: whole up to 100 entries, else only the latest 100, oldest first."""
    total = len(histories)
    if total > EMBEDDED_CHANGELOG_MAX and not full:
        histories = _chronological(histories)[-EMBEDDED_CHANGELOG_MAX:]
    return {"startAt": 0, "maxResults": len(histories), "total": total, "histories": histories}


def _touches(history: Mapping[str, Any], field_ids: set[str]) -> bool:
    return any((item.get("fieldId") or item.get("field")) in field_ids for item in history["items"])


def _only_fields(history: Mapping[str, Any], field_ids: set[str]) -> Mapping[str, Any]:
    if not field_ids:
        return history
    items = [i for i in history["items"] if (i.get("fieldId") or i.get("field")) in field_ids]
    return {**history, "items": items}


# Generated issues -----------------------------------------------------------------------------

ResolutionFactor = Callable[[str, datetime], float]

UNASSIGNED_RATE = 0.15  # created unassigned, then picked up from the queue
_PRIORITIES = [
    {"id": str(number), "name": name}
    for number, name in enumerate(("Highest", "High", "Medium", "Low", "Lowest"), start=1)
]
_PRIORITY_WEIGHTS = tuple(itertools.accumulate((2, 15, 60, 18, 5)))
_TYPES = [
    {"id": "10001", "name": "Task", "subtask": False},
    {"id": "10002", "name": "Bug", "subtask": False},
    {"id": "10003", "name": "Story", "subtask": False},
]
_TYPE_WEIGHTS = tuple(itertools.accumulate((50, 30, 20)))
_VERBS = ("Fix", "Investigate", "Update", "Document", "Review", "Migrate", "Automate", "Reset")
_NOUNS = (
    "login page", "VPN access", "invoice export", "printer queue", "nightly backup",
    "search index", "billing job", "mail relay", "laptop setup", "API timeout",
)  # fmt: skip
_NOISE_FIELDS = (
    ("labels", "labels"),
    ("description", "description"),
    ("Rank", "customfield_10019"),
)
_RESOLUTION_ITEM = {
    "field": "resolution", "fieldtype": "jira", "fieldId": "resolution",
    "from": None, "fromString": None, "to": "10000", "toString": "Done",
}  # fmt: skip


def _status_item(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "field": "status", "fieldtype": "jira", "fieldId": "status",
        "from": old["id"], "fromString": old["name"], "to": new["id"], "toString": new["name"],
    }  # fmt: skip


def _never_slower(_account: str, _created: datetime) -> float:
    return 1.0


class Event(NamedTuple):
    at: datetime
    kind: str  # "status", "assign", or a noise field id
    value: Any  # the new status, the new assignee, or a noise text
    author: str


@dataclass(frozen=True)
class GeneratedIssues(Sequence[Issue]):
    """`n` issues created evenly over [start, end) (or at the given `times`), each computed from
    (seed, index) when read: the same issue every time, and none held in memory."""

    n: int
    accounts: tuple[str, ...]
    start: datetime
    end: datetime
    seed: int = 0
    project: str = "OPS"
    factor: ResolutionFactor = _never_slower
    account_weights: tuple[float, ...] | None = None  # cumulative, as random.choices takes them
    emails: Mapping[str, str] = field(default_factory=dict)
    reopen_rate: float = 0.12
    reassign_rate: float = 0.10
    due_rate: float = 0.40
    long_changelog_rate: float = 0.0
    times: tuple[datetime, ...] = ()  # each issue's creation, oldest first, when given

    def __len__(self) -> int:
        return self.n

    @overload
    def __getitem__(self, index: int) -> Issue: ...
    @overload
    def __getitem__(self, index: slice) -> list[Issue]: ...
    def __getitem__(self, index: int | slice) -> Issue | list[Issue]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(self.n))]
        if not -self.n <= index < self.n:
            raise IndexError(index)
        return _generate(self, index % self.n)

    @cached_property
    def users(self) -> dict[str, dict[str, Any]]:
        """One user object per account, shared by every issue that names it."""
        return {account: _user(account, self.emails.get(account)) for account in self.accounts}

    def pick(self, rng: random.Random) -> str:
        return rng.choices(self.accounts, cum_weights=self.account_weights)[0]

    def pick_assignee(self, rng: random.Random, created: datetime) -> str:
        """Who gets a new ticket: someone working faster (a factor below 1) takes on more, in
        proportion to their speed, so an improving person's volume grows with them."""
        if self.factor is _never_slower:
            return self.pick(rng)
        shares = itertools.pairwise(
            (0.0, *(self.account_weights or range(1, len(self.accounts) + 1)))
        )
        weights = [
            (high - low) / self.factor(account, created)
            for account, (low, high) in zip(self.accounts, shares, strict=True)
        ]
        return rng.choices(self.accounts, weights=weights)[0]


def generate_issues(
    n: int,
    *,
    accounts: Sequence[str],
    start: datetime,
    end: datetime,
    seed: int = 0,
    resolution_factor: ResolutionFactor | Mapping[str, float] | None = None,
    account_weights: Mapping[str, float] | None = None,
    emails: Mapping[str, str] | None = None,
    created: Sequence[datetime] | None = None,
    **rates: Any,
) -> GeneratedIssues:
    """Realistic issues: To Do → In Progress → Done with some reopens and reassignments, due
    dates, and resolution times spread from hours to weeks (log-normal).

    `resolution_factor` multiplies the time to resolve per account (a mapping), or per account
    and creation time (a function), so a demo person can improve between a baseline and a
    current window; it also sets their share of new tickets and how often their work is
    reopened; `account_weights` sets who gets how many tickets; `emails` are shown where
    given (Cloud hides the rest); `created` gives each issue's creation time, oldest first,
    instead of spreading `n` evenly (`n` is then their number). Rates go by name:
    `reopen_rate`, `reassign_rate`, `due_rate`, `long_changelog_rate` (changelogs over 100
    entries).
    """
    factor = resolution_factor
    if isinstance(factor, Mapping):
        table = dict(factor)
        factor = lambda account, _created: table.get(account, 1.0)  # noqa: E731
    if created is not None and len(created) != n:
        raise ValueError(f"{len(created)} creation times for {n} issues")
    weights = None
    if account_weights is not None:
        weights = tuple(itertools.accumulate(account_weights.get(a, 1.0) for a in accounts))
    return GeneratedIssues(
        n=n,
        accounts=tuple(accounts),
        start=start.astimezone(UTC),
        end=end.astimezone(UTC),
        seed=seed,
        factor=factor or _never_slower,
        account_weights=weights,
        emails=dict(emails or {}),
        times=tuple(moment.astimezone(UTC) for moment in created or ()),
        **rates,
    )


def _jira_time(moment: datetime) -> str:
    """Jira's `2026-09-01T09:15:00.000+0000`."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")[:-6] + "+0000"


def _user(account: str, email: str | None) -> dict[str, Any]:
    user = {
        "accountId": account,
        "displayName": account.replace("-", " ").replace(".", " ").title(),
        "active": True,
        "accountType": "atlassian",
    }
    if email:
        user["emailAddress"] = email
    return user


def _generate(issues: GeneratedIssues, index: int) -> Issue:
    rng = random.Random(issues.seed * 1_000_003 + index)
    spread = issues.start + (issues.end - issues.start) * ((index + rng.random()) / issues.n)
    created = issues.times[index] if issues.times else spread
    assignee, reporter = issues.pick_assignee(rng, created), issues.pick(rng)
    initial = assignee if rng.random() >= UNASSIGNED_RATE else None
    events = [e for e in _timeline(issues, rng, created, assignee, initial) if e.at < issues.end]
    histories, status, current, resolved = _replay(issues, index, events, initial)
    due = created.date() + timedelta(days=rng.randint(1, 14))
    users = issues.users
    return {
        "id": str(10000 + index + 1),
        "key": f"{issues.project}-{index + 1}",
        "self": f"https://jira.example/rest/api/2/issue/{10000 + index + 1}",
        "fields": {
            "summary": f"{rng.choice(_VERBS)} {rng.choice(_NOUNS)}",
            "status": status,
            "issuetype": rng.choices(_TYPES, cum_weights=_TYPE_WEIGHTS)[0],
            "project": {"id": "10000", "key": issues.project, "name": issues.project.title()},
            "assignee": users[current] if current else None,
            "reporter": users[reporter],
            "created": _jira_time(created),
            "updated": _jira_time(events[-1].at if events else created),
            "resolutiondate": _jira_time(resolved) if resolved else None,
            "duedate": due.isoformat() if rng.random() < issues.due_rate else None,
            "priority": rng.choices(_PRIORITIES, cum_weights=_PRIORITY_WEIGHTS)[0],
        },
        "changelog": {
            "startAt": 0,
            "maxResults": len(histories),
            "total": len(histories),
            "histories": histories,
        },
    }


def _replay(
    issues: GeneratedIssues, index: int, events: list[Event], assignee: str | None
) -> tuple[list[dict[str, Any]], dict[str, Any], str | None, datetime | None]:
    """The changelog the events write, and the status, assignee and resolution they leave."""
    status: dict[str, Any] = TO_DO
    resolved = None
    histories = []
    for number, event in enumerate(events, start=1):
        if event.kind == "status":
            items = [_status_item(status, event.value)]
            if event.value is DONE:
                items.append(_RESOLUTION_ITEM)
            status, resolved = event.value, (event.at if event.value is DONE else None)
        elif event.kind == "assign":
            items = [_assignee_item(issues, assignee, event.value)]
            assignee = event.value
        else:
            items = [_noise_item(event.kind, event.value)]
        histories.append(
            {
                "id": str(index * 1000 + number),
                "author": issues.users[event.author],
                "created": _jira_time(event.at),
                "items": items,
            }
        )
    return histories, status, assignee, resolved


def _assignee_item(issues: GeneratedIssues, old: str | None, new: str) -> dict[str, Any]:
    old_name = issues.users[old]["displayName"] if old else None
    new_name = issues.users[new]["displayName"]
    return {
        "field": "assignee", "fieldtype": "jira", "fieldId": "assignee",
        "from": old, "fromString": old_name, "to": new, "toString": new_name,
    }  # fmt: skip


def _noise_item(field_id: str, text: str) -> dict[str, Any]:
    name = next(name for name, fid in _NOISE_FIELDS if fid == field_id)
    kind = "custom" if field_id.startswith("customfield_") else "jira"
    return {"field": name, "fieldtype": kind, "fieldId": field_id,
            "from": None, "fromString": "", "to": None, "toString": text}  # fmt: skip


def _timeline(
    issues: GeneratedIssues,
    rng: random.Random,
    created: datetime,
    assignee: str,
    initial: str | None,
) -> list[Event]:
    """Events oldest first: pick-up, work, maybe a hand-over and a reopen, and edits of other
    fields between them; times scale with the assignee's resolution factor."""
    factor = issues.factor(assignee, created)
    def hours(mean: float) -> timedelta:
        return timedelta(hours=rng.expovariate(1 / mean))

    events: list[Event] = []
    moment = created
    if initial is None:
        moment += hours(2 * factor)
        events.append(Event(moment, "assign", assignee, assignee))
    moment += hours(4 * factor)
    events.append(Event(moment, "status", IN_PROGRESS, assignee))
    if rng.random() < issues.reassign_rate and (other := issues.pick(rng)) != assignee:
        moment += hours(6 * factor)
        events.append(Event(moment, "assign", other, assignee))
        assignee = other
    moment += timedelta(hours=rng.lognormvariate(math.log(20 * factor), 0.9))
    events.append(Event(moment, "status", DONE, assignee))
    # Rushed work comes back more often: the reopen chance follows the factor (capped at 1.5×).
    if rng.random() < issues.reopen_rate * min(factor, 1.5):
        moment += hours(30)
        events.append(Event(moment, "status", IN_PROGRESS, assignee))
        moment += timedelta(hours=rng.lognormvariate(math.log(6 * factor), 0.7))
        events.append(Event(moment, "status", DONE, assignee))
    long = rng.random() < issues.long_changelog_rate
    for _ in range(rng.randint(110, 220) if long else rng.randint(0, 2)):
        noise_field = rng.choice(_NOISE_FIELDS)[1]
        at = created + (moment - created) * rng.random()
        events.append(Event(at, noise_field, rng.choice(_NOUNS), assignee))
    events.sort(key=lambda event: event.at)
    return events


__all__ = [
    "DEFAULT_STATUSES",
    "DONE",
    "IN_PROGRESS",
    "TO_DO",
    "FakeJira",
    "GeneratedIssues",
    "generate_issues",
]
