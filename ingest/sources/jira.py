"""Jira Cloud and Data Center: tickets and their status and assignee changes, in one stream.

Each run asks for `(<configured JQL>) AND updated >= "<cursor − lookback>" ORDER BY updated ASC`,
a page at a time at the largest page size, and each page carries the largest `updated` in it as
its cursor, so a crash resumes after the last committed page and re-reads overlap harmlessly.
Three traps shape the code: JQL date literals are read in the API user's time zone (GET /myself);
status names are localized and renamed, so statuses are stored by category (GET /status); and the
changelog embedded in search results stops at the latest 100 entries, so longer ones are fetched
whole (in bulk on Cloud).

Requests go through the `jira` client with its transport replaced by a `JiraSession`: our retry
policy and request count, and the client's own error type for what still fails. Turning an issue
into records is pure and lives in `jira_issues`.
"""

from __future__ import annotations

import logging
import re
import typing
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import requests
from jira import JIRA, JIRAError
from jira.client import TokenAuth
from jira.resilientsession import raise_on_error

from config.secrets import read_secret
from config.sources import JiraSource
from ingest.http import HttpSession
from ingest.records import Record, as_utc
from ingest.sources.connector import SyncContext
from ingest.sources.jira_issues import parse_issue, parse_time, status_categories
from ingest.sources.jira_store import store_tickets
from ingest.sync import PARSE_ERRORS, Page, Reject, Stream, describe, parse_or_quarantine

log = logging.getLogger(__name__)

# What the sync asks Jira for: endpoint details as data.
STREAM = "tickets"
FIELDS = (
    "summary", "status", "issuetype", "project", "assignee", "reporter",
    "created", "updated", "resolutiondate", "duedate", "priority",
)  # fmt: skip
EXPAND = "changelog"
METADATA_API = "2"  # serverInfo, myself, status: the same on both deployments
# Cloud searches /rest/api/3/search/jql (the old /search is gone there); DC /rest/api/2/search.
SEARCH_API = {"cloud": "3", "datacenter": "2"}
BULK_CHANGELOG = "/rest/api/3/changelog/bulkfetch"  # Cloud: whole changelogs of many issues
BULK_CHANGELOG_ISSUES = 1000  # issues per bulk request (the API's limit)
BULK_CHANGELOG_RESULTS = 10000  # change histories per bulk page (the API's limit)
JQL_TIME = "%Y-%m-%d %H:%M"
# Cloud pages by token; Data Center re-searches from the newest minute read (keyset), which needs
# ties in a set order: Jira leaves issues with equal `updated` in none.
SEARCH_ORDER = {"cloud": "updated ASC", "datacenter": "updated ASC, key ASC"}
DATACENTER_PAGE_MIN = 2  # an offset page repeats the issue before it, and needs one more to move
FIRST_SYNC_BOUND = "1970-01-01 00:00"  # Cloud's search/jql refuses a query without a restriction
WESTMOST_OFFSET = timedelta(hours=-12)  # no zone lags UTC more: the bound when /myself has no zone


# The headers the client would give its own session (typed `object` in its options).
CLIENT_HEADERS = typing.cast(Mapping[str, str], JIRA.DEFAULT_OPTIONS["headers"])


class JiraSession(HttpSession):
    """Our `HttpSession` as the `jira` client's transport.

    It replaces the client's `ResilientSession`, so retries happen once (ours, counted, with
    Retry-After honoured) and an answer still failing after them raises `JIRAError`, as the
    client's own session would.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.headers.update({"Accept": "application/json,*/*;q=0.9"})

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> Any:
        response: requests.Response = super().request(method, url, *args, **kwargs)
        raise_on_error(response)
        return response


@dataclass(frozen=True)
class Site:
    """One connected Jira, with what every page of a run needs."""

    client: JIRA
    session: JiraSession
    url: str
    cloud: bool
    zone: tzinfo | None
    statuses: Mapping[str, str]  # status id → category key


def streams(
    source: JiraSource, *, lookback: timedelta, session: JiraSession | None = None
) -> list[Stream]:
    """The one stream, "tickets"; nothing is read (not even the secrets) until it runs, so a
    missing secret is an error in the run log."""
    http = session if session is not None else JiraSession()

    def fetch(cursor: str | None) -> Iterator[Page]:
        return tickets(source, http, cursor=cursor, lookback=lookback)

    return [Stream(source.name, STREAM, fetch, lambda: http.requests_issued, store=store_tickets,
                   kinds=("ticket", "ticket_change"))]


def tickets(
    source: JiraSource, session: JiraSession, *, cursor: str | None, lookback: timedelta
) -> Iterator[Page]:
    """Pages of tickets and changes updated since `cursor − lookback`, oldest first."""
    site = connect(source, session)
    floor = datetime.fromisoformat(cursor) if cursor else None
    since = None if floor is None else floor - lookback
    if site.cloud:
        pages = _cloud_pages(site, build_jql(source.jql, since, site.zone), source.page_size)
    else:
        pages = _datacenter_pages(site, source.jql, since, source.page_size)
    for issues in pages:
        yield _page(_with_full_changelogs(site, issues), site, source=source.name, floor=floor)


def connect(source: JiraSource, session: JiraSession) -> Site:
    _authenticate(source, session)
    metadata = _client(source.url, session, METADATA_API)
    deployment = source.deployment or _detect_deployment(metadata)
    zone = user_zone(metadata.myself())
    statuses = status_categories([status.raw for status in metadata.statuses()])
    # The client takes its API version when built, and Cloud's enhanced search lives under v3.
    client = _client(source.url, session, SEARCH_API[deployment])
    client.deploymentType = "Cloud" if deployment == "cloud" else "Server"
    return Site(client, session, source.url, deployment == "cloud", zone, statuses)


def _authenticate(source: JiraSource, session: JiraSession) -> None:
    """What the client would set on its own session: Cloud's e-mail and API token, or a Data
    Center personal access token; and the client's default headers."""
    token = read_secret(source.token_env).get_secret_value()
    if source.email_env:
        session.auth = (read_secret(source.email_env).get_secret_value(), token)
    else:
        session.auth = TokenAuth(token)
    session.headers.update(CLIENT_HEADERS)


def _client(url: str, session: JiraSession, api_version: str) -> JIRA:
    """A `jira` client whose every request goes through `session` (its own retries off)."""
    options = {"rest_api_version": api_version, "check_update": False}
    client = JIRA(url, options=options, get_server_info=False, max_retries=0)
    client._session = session  # type: ignore[assignment]  # no public way to take a transport
    return client


def _detect_deployment(client: JIRA) -> str:
    info = client.server_info()
    return "cloud" if info.get("deploymentType") == "Cloud" else "datacenter"


def user_zone(myself: Mapping[str, Any]) -> tzinfo | None:
    """The zone Jira reads JQL date literals in (GET /myself), if it names a known one."""
    name = myself.get("timeZone")
    try:
        return ZoneInfo(name) if name else None
    except (ZoneInfoNotFoundError, ValueError):
        log.warning("Jira user time zone %r unknown; JQL bounds allow for any zone", name)
        return None


# JQL ------------------------------------------------------------------------------------------

_QUOTED = re.compile(r'"(?:\\.|[^"\\])*"|\'(?:\\.|[^\'\\])*\'')
_ORDER_BY = re.compile(r"\border\s+by\b", re.IGNORECASE)


def strip_order_by(jql: str) -> str:
    """The configured query without its ORDER BY (ours orders by updated), ignoring quotes."""
    masked = _QUOTED.sub(lambda match: "_" * len(match.group()), jql)
    found = _ORDER_BY.search(masked)
    return (jql[: found.start()] if found else jql).strip()


def jql_time(instant: datetime, zone: tzinfo | None) -> str:
    """A JQL date literal naming a minute at or before `instant` for a user in `zone`.

    Jira reads the literal in the user's zone; with no zone known, the UTC time less 12 hours is
    at or before `instant` whatever the zone. Seconds are dropped, which only widens the overlap.
    A local time that happens twice (the autumn clock change) may be read in either meaning, so
    it is written for the instant one clock shift earlier: both readings are then at or before.
    """
    if zone is None:
        return (as_utc(instant) + WESTMOST_OFFSET).strftime(JQL_TIME)
    local = instant.astimezone(zone)
    return (as_utc(instant) - _clock_shift(local)).astimezone(zone).strftime(JQL_TIME)


def _clock_shift(local: datetime) -> timedelta:
    """How far the clocks went back around `local` if its wall time happens twice, else 0."""
    earlier, later = local.replace(fold=0).utcoffset(), local.replace(fold=1).utcoffset()
    if earlier is None or later is None or earlier <= later:
        return timedelta(0)
    return earlier - later


def build_jql(
    configured: str, since: datetime | None, zone: tzinfo | None, *, order: str = "updated ASC"
) -> str:
    bound = FIRST_SYNC_BOUND if since is None else jql_time(since, zone)
    restriction = strip_order_by(configured)
    clause = f'updated >= "{bound}"'
    where = f"({restriction}) AND {clause}" if restriction else clause
    return f"{where} ORDER BY {order}"


# Paging ---------------------------------------------------------------------------------------


def _search_args(page_size: int) -> dict[str, Any]:
    # A fresh list each time: the client rewrites `fields` in place.
    return {"maxResults": page_size, "fields": list(FIELDS), "expand": EXPAND, "json_result": True}


def _cloud_pages(site: Site, jql: str, page_size: int) -> Iterator[list[dict[str, Any]]]:
    """Enhanced search (/rest/api/3/search/jql): a request per page, by nextPageToken."""
    token: str | None = None
    while True:
        result = site.client.enhanced_search_issues(
            jql, nextPageToken=token, **_search_args(page_size)
        )
        if result.get("issues"):
            yield result["issues"]
        token = result.get("nextPageToken")
        if not token:
            return


def _datacenter_pages(
    site: Site, configured: str, since: datetime | None, page_size: int
) -> Iterator[list[dict[str, Any]]]:
    """/rest/api/2/search by keyset: after each page, search again from the newest minute read
    (`updated >=` it, ordered by updated then key) and skip issues already read unchanged.

    Plain `startAt` offsets skip an issue for good when one before it is edited between pages
    (it moves to the end and the rest shift back). Offsets are used only within one bound, when
    it cannot move (a page all inside the overlap, or the user's zone unknown, when the bound lags
    by half a day); they then overlap by one issue, which must come back first with the same
    `updated` (an edited one may land at its old offset again), else something moved and the
    search starts again from the newest minute read. So a page holds at least two issues, even
    if `page_size` is 1: the overlap and one more.
    """
    read: dict[str, object] = {}  # issue key → its `updated` as read in this run
    newest = since
    size, order = max(page_size, DATACENTER_PAGE_MIN), SEARCH_ORDER["datacenter"]
    jql = build_jql(configured, since, site.zone, order=order)
    start, anchor = 0, None
    while True:
        result = site.client.search_issues(jql, startAt=start, **_search_args(size))
        issues = result.get("issues") or []
        if anchor is not None and (not issues or _version(issues[0]) != anchor):
            jql, start, anchor = build_jql(configured, newest, site.zone, order=order), 0, None
            continue
        fresh = [raw for raw in issues if _version(raw) not in read.items()]
        read.update(_version(raw) for raw in fresh)
        newest = _newest(newest, fresh)
        if fresh:
            yield fresh
        if not issues or start + len(issues) >= int(result.get("total") or 0):
            return
        following = build_jql(configured, newest, site.zone, order=order)
        if following != jql and site.zone is not None:
            jql, start, anchor = following, 0, None
        else:  # overlap by one issue, or none if the server caps pages at one (unchecked then)
            start += max(len(issues) - 1, 1)
            anchor = _version(issues[-1]) if len(issues) > 1 else None


def _version(raw: Mapping[str, Any]) -> tuple[Any, object]:
    """An issue as read: its key and `updated` (an edit changes the second)."""
    fields = raw.get("fields")
    return raw.get("key"), fields.get("updated") if isinstance(fields, Mapping) else None


def _newest(moment: datetime | None, issues: Sequence[Mapping[str, Any]]) -> datetime | None:
    """The latest of `moment` and the issues' readable `updated` times."""
    for raw in issues:
        updated = _updated_or_none(raw)
        if updated is not None and (moment is None or updated > moment):
            moment = updated
    return moment


# Changelogs beyond the embedded 100 -----------------------------------------------------------


def _is_cut(raw: Mapping[str, Any]) -> bool:
    changelog = raw.get("changelog")
    if not isinstance(changelog, Mapping):
        return False
    total = changelog.get("total")
    return isinstance(total, int) and total > len(changelog.get("histories") or ())


def _with_full_changelogs(site: Site, issues: list[dict[str, Any]]) -> list[dict[str, Any]]:
    cut = [str(raw["id"]) for raw in issues if _is_cut(raw) and raw.get("id") is not None]
    if not cut:
        return issues
    full = _bulk_changelogs(site, cut) if site.cloud else _datacenter_changelogs(site, cut)
    return [
        _replace_histories(raw, full[str(raw.get("id"))]) if str(raw.get("id")) in full else raw
        for raw in issues
    ]


def _replace_histories(raw: dict[str, Any], histories: list[Any]) -> dict[str, Any]:
    total = len(histories)
    changelog = {"startAt": 0, "maxResults": total, "total": total, "histories": histories}
    return {**raw, "changelog": changelog}


def _bulk_changelogs(site: Site, issue_ids: list[str]) -> dict[str, list[Any]]:
    """Cloud: every history of the given issues, a thousand issues per request (all fields, so
    item indexes, hence change ids, match the embedded changelog)."""
    histories: dict[str, list[Any]] = {}
    for start in range(0, len(issue_ids), BULK_CHANGELOG_ISSUES):
        body: dict[str, Any] = {
            "issueIdsOrKeys": issue_ids[start : start + BULK_CHANGELOG_ISSUES],
            "maxResults": BULK_CHANGELOG_RESULTS,
        }
        while True:
            result = site.session.post(site.url + BULK_CHANGELOG, json=body).json()
            for entry in result.get("issueChangeLogs") or []:
                found = histories.setdefault(str(entry["issueId"]), [])
                found.extend(entry.get("changeHistories") or [])
            if not result.get("nextPageToken"):
                break
            body = {**body, "nextPageToken": result["nextPageToken"]}
    return histories


def _datacenter_changelogs(site: Site, issue_ids: list[str]) -> dict[str, list[Any]]:
    """Data Center has no bulk changelog; its issue endpoint returns the whole one."""
    histories: dict[str, list[Any]] = {}
    for issue_id in issue_ids:
        try:
            issue = site.client.issue(issue_id, fields="updated", expand=EXPAND)
        except JIRAError as exc:
            if exc.status_code != 404:
                raise
            log.warning("Jira issue %s vanished during the sync; its changelog stays cut", issue_id)
            continue
        histories[issue_id] = list(issue.raw.get("changelog", {}).get("histories") or [])
    return histories


# Pages ----------------------------------------------------------------------------------------


def _page(
    issues: Sequence[dict[str, Any]], site: Site, *, source: str, floor: datetime | None
) -> Page:
    """Parsed records and rejects, with the newest `updated` seen as cursor (never moving back
    behind the run's starting cursor: a re-read overlap is older)."""

    def parse(raw: dict[str, Any]) -> list[Record]:
        ticket, changes = parse_issue(raw, source=source, statuses=site.statuses, base_url=site.url)
        return [ticket, *changes]

    def reject(raw: dict[str, Any], exc: Exception) -> Reject:
        return Reject(raw, describe(exc), _reject_key(raw, source))

    records, rejects = parse_or_quarantine(issues, parse, reject=reject)
    newest = _newest(floor, issues)
    return Page(records, rejects, None if newest is None else as_utc(newest).isoformat())


def _reject_key(raw: Mapping[str, Any], source: str) -> str | None:
    key = raw.get("key") if isinstance(raw, Mapping) else None
    return f"{source}:{key}" if isinstance(key, str) else None


def _updated_or_none(raw: Mapping[str, Any]) -> datetime | None:
    try:
        return parse_time(raw["fields"]["updated"])
    except PARSE_ERRORS:
        return None


def connector(context: SyncContext[JiraSource]) -> list[Stream]:
    session = JiraSession(timeout=context.timeout)
    return streams(context.source, lookback=context.lookback, session=session)


__all__ = [
    "FIELDS",
    "STREAM",
    "JiraSession",
    "build_jql",
    "connector",
    "jql_time",
    "streams",
    "strip_order_by",
    "tickets",
    "user_zone",
]
