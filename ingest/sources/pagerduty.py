"""PagerDuty: incidents from REST API v2, acknowledge times from log entries where needed.

One stream, `incidents`, read from `/incidents` in windows of creation time, oldest first.
The API's limits shape the reading, and the choices here follow from them:

- `since`/`until` may span at most 6 months: windows are at most `MAX_WINDOW` (180 days).
- Offset paging stops at offset + limit = 10,000 (400 "Offset+limit exceeds maximum allowed
  value of 10000"): a window whose `total` exceeds that is split in halves, recursively.
- `since`/`until` filter on *creation* time, but an incident is acknowledged and resolved later.
  The cursor is therefore JSON, `{"until": window end, "open_since": oldest incident still open
  when read}`, and a run re-reads from the earlier of `until - lookback` and `open_since`, so
  an incident created weeks ago and resolved today is read again. Windows go oldest first and each
  window's end is committed with its last page, so a crash resumes at the first unfinished window.
- A resolved incident has lost its `acknowledgements` (and a re-triggered one never shows them):
  for incidents without them the acknowledge time comes from log entries. Per page of incidents,
  whichever costs fewer requests: one `/incidents/{id}/log_entries` call per such incident, or
  one `/log_entries` listing over the time they span (its first page says how many pages it has;
  with ≤ 100 incidents per page that listing is chosen only when it stays under the offset cap).
- The person an incident is attributed to (`assignee_account`) is whoever first acknowledged it;
  failing that the first current assignee; failing that the user who resolved it. `assignees`
  keeps everyone seen, so a reader can check the attribution.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import requests

from config.secrets import read_secret
from config.sources import PagerDutySource
from ingest.http import HttpSession
from ingest.records import Incident, Record, as_utc, aware_time
from ingest.sources.connector import SyncContext, first_sync_start
from ingest.sync import PARSE_ERRORS, Page, Reject, Stream, describe, parse_or_quarantine

log = logging.getLogger(__name__)

ACCEPT = "application/vnd.pagerduty+json;version=2"
PAGE_LIMIT = 100
MAX_RECORDS = 10_000  # offset + limit may not exceed this
MAX_WINDOW = timedelta(days=180)
STREAM = "incidents"

Clock = Callable[[], datetime]
Raw = dict[str, Any]


class PagerDutyError(RuntimeError):
    """PagerDuty refused a request, or a window cannot be read within the API's limits."""


class _OffsetCapReached(Exception):
    """More pages remain than offset paging can reach (the listing did not say its total)."""


def _now() -> datetime:
    return datetime.now(UTC)


def stamp(moment: datetime) -> str:
    return as_utc(moment).isoformat(timespec="seconds")


def parse_time(text: str) -> datetime:
    return as_utc(aware_time(text, "PagerDuty"))


def _error_text(response: requests.Response) -> str:
    try:
        error = response.json().get("error") or {}
    except (ValueError, AttributeError):
        return response.text[:200]
    return "; ".join([str(error.get("message", "")), *map(str, error.get("errors") or ())])


@dataclass(frozen=True)
class Client:
    """The few PagerDuty calls the stream makes, over the shared counted session."""

    session: HttpSession
    url: str
    service_ids: tuple[str, ...] = ()

    def get(self, path: str, params: Mapping[str, Any]) -> Raw:
        response = self.session.get(self.url + path, params={**params, "time_zone": "UTC"})
        if response.status_code != 200:
            raise PagerDutyError(
                f"GET {path} answered {response.status_code}: {_error_text(response)}"
            )
        body: Raw = response.json()
        return body

    def incidents(self, since: datetime, until: datetime, offset: int) -> Raw:
        params: dict[str, Any] = {
            "since": stamp(since),
            "until": stamp(until),
            "sort_by": "created_at:asc",
            "limit": PAGE_LIMIT,
            "offset": offset,
            "total": "true",
        }
        if self.service_ids:
            params["service_ids[]"] = list(self.service_ids)
        return self.get("/incidents", params)

    def log_entries(self, since: datetime, until: datetime, offset: int) -> Raw:
        params = {"since": stamp(since), "until": stamp(until), "is_overview": "true"}
        paging = {"limit": PAGE_LIMIT, "offset": offset, "total": "true"}
        return self.get("/log_entries", {**params, **paging})

    def incident_log_entries(self, incident_id: str) -> list[Raw]:
        path = f"/incidents/{incident_id}/log_entries"

        def fetch(offset: int) -> Raw:
            return self.get(path, {"is_overview": "true", "limit": PAGE_LIMIT, "offset": offset})

        return [entry for body in offset_pages(fetch, fetch(0)) for entry in body["log_entries"]]


def offset_pages(fetch: Callable[[int], Raw], first: Raw) -> Iterator[Raw]:
    """`first`, then the following pages while the API says there are `more`."""
    body, offset = first, 0
    while True:
        yield body
        if not body.get("more"):
            return
        offset += PAGE_LIMIT
        if offset + PAGE_LIMIT > MAX_RECORDS:
            raise _OffsetCapReached
        body = fetch(offset)


def windows(
    since: datetime, until: datetime, size: timedelta = MAX_WINDOW
) -> list[tuple[datetime, datetime]]:
    """[since, until) cut into consecutive windows no longer than `size`, oldest first."""
    cuts: list[tuple[datetime, datetime]] = []
    start = since
    while start < until:
        cuts.append((start, min(until, start + size)))
        start = cuts[-1][1]
    return cuts


def _halves(client: Client, since: datetime, until: datetime) -> Iterator[list[Raw]]:
    middle = since + timedelta(seconds=(until - since).total_seconds() // 2)
    if middle <= since:
        raise PagerDutyError(f"more than {MAX_RECORDS} incidents created at {stamp(since)}")
    log.info("pagerduty: %s..%s holds too many incidents; splitting", stamp(since), stamp(until))
    yield from incidents_in(client, since, middle)
    yield from incidents_in(client, middle, until)


def incidents_in(client: Client, since: datetime, until: datetime) -> Iterator[list[Raw]]:
    """Pages of raw incidents created in [since, until), at least one (maybe empty)."""
    first = client.incidents(since, until, 0)
    total = first.get("total")
    if total is not None and total > MAX_RECORDS:
        yield from _halves(client, since, until)
        return

    def fetch(offset: int) -> Raw:
        return client.incidents(since, until, offset)

    try:
        for body in offset_pages(fetch, first):
            yield body["incidents"]
    except _OffsetCapReached:  # no total was given: re-read in halves (overlap is harmless)
        yield from _halves(client, since, until)


def _span(raw: Raw) -> tuple[datetime, datetime] | None:
    """From creation to the last status change: when its acknowledgements can have happened.
    None for an incident too malformed to tell (it is quarantined when parsed)."""
    try:
        created = parse_time(raw["created_at"])
        return created, parse_time(raw.get("last_status_change_at") or raw["created_at"])
    except PARSE_ERRORS:
        return None


def needs_log_entries(raw: Raw) -> bool:
    """No acknowledgements on the incident: resolved ones lose them, re-triggered ones too."""
    return not raw.get("acknowledgements") and isinstance(raw.get("id"), str) and bool(_span(raw))


def _listed_entries(
    client: Client, since: datetime, until: datetime, first: Raw, wanted: set[str]
) -> dict[str, list[Raw]]:
    def fetch(offset: int) -> Raw:
        return client.log_entries(since, until, offset)

    grouped: dict[str, list[Raw]] = {incident_id: [] for incident_id in wanted}
    for body in offset_pages(fetch, first):
        for entry in body["log_entries"]:
            incident_id = (entry.get("incident") or {}).get("id")
            if incident_id in grouped:
                grouped[incident_id].append(entry)
    return grouped


def log_entries_for(client: Client, incidents: Sequence[Raw]) -> dict[str, list[Raw]]:
    """Log entries of the incidents that need them, by the cheaper of the two ways."""
    needing = [raw for raw in incidents if needs_log_entries(raw)]
    wanted = {raw["id"] for raw in needing}
    if len(needing) > 1:
        spans = [span for raw in needing if (span := _span(raw))]
        since, until = min(s for s, _ in spans), max(e for _, e in spans) + timedelta(seconds=1)
        first = client.log_entries(since, until, 0) if until - since <= MAX_WINDOW else {}
        total = first.get("total")
        if total is not None and math.ceil(total / PAGE_LIMIT) <= len(needing):
            return _listed_entries(client, since, until, first, wanted)
    return {raw["id"]: client.incident_log_entries(raw["id"]) for raw in needing}


def _user(reference: Raw | None) -> str | None:
    if reference and reference.get("type", "user_reference").startswith("user"):
        return str(reference["id"])
    return None


def _acknowledgements(raw: Raw, entries: Sequence[Raw]) -> list[tuple[datetime, str | None]]:
    listed = [
        (parse_time(a["at"]), _user(a.get("acknowledger")))
        for a in raw.get("acknowledgements") or ()
    ]
    logged = [
        (parse_time(e["created_at"]), _user(e.get("agent")))
        for e in entries
        if e.get("type") == "acknowledge_log_entry"
    ]
    return sorted(listed or logged, key=lambda pair: pair[0])


def _assignees(raw: Raw) -> list[str]:
    assignments = sorted(raw.get("assignments") or (), key=lambda a: a.get("at") or "")
    return [user for a in assignments if (user := _user(a.get("assignee")))]


def _resolved(raw: Raw) -> datetime | None:
    if raw.get("status") != "resolved":
        return None
    return parse_time(raw.get("resolved_at") or raw["last_status_change_at"])


def parse_incident(raw: Raw, *, source: str, entries: Sequence[Raw] = ()) -> Incident:
    """A raw incident (and, if it needed them, its log entries) as a typed record."""
    acks = _acknowledgements(raw, entries)
    acknowledgers = [user for _, user in acks if user]
    resolver = _user(raw.get("last_status_change_by")) if raw.get("status") == "resolved" else None
    people = list(
        dict.fromkeys([*acknowledgers, *_assignees(raw), *([resolver] if resolver else [])])
    )
    created = parse_time(raw["created_at"])
    return Incident(
        source=source,
        incident_id=str(raw["id"]),
        url=raw.get("html_url") or "",
        title=raw.get("title") or raw.get("summary") or "",
        service=raw["service"]["summary"],
        urgency=raw.get("urgency") or "",
        assignee_account=people[0] if people else None,
        created=created,
        acknowledged=acks[0][0] if acks else None,
        resolved=_resolved(raw),
        updated=parse_time(
            raw.get("updated_at") or raw.get("last_status_change_at") or raw["created_at"]
        ),
        assignees=tuple(people),
    )


def parse_page(
    incidents: Sequence[Raw], entries: Mapping[str, Sequence[Raw]], *, source: str
) -> tuple[list[Record], list[Reject]]:
    def parse(raw: Raw) -> list[Record]:
        return [parse_incident(raw, source=source, entries=entries.get(str(raw.get("id")), ()))]

    def reject(raw: Raw, exc: Exception) -> Reject:
        return Reject(dict(raw), describe(exc), f"{source}:{raw.get('id')}")

    return parse_or_quarantine(incidents, parse, reject=reject)


def _oldest_open(incidents: Sequence[Raw], oldest: datetime | None) -> datetime | None:
    opened = [
        span[0] for raw in incidents if raw.get("status") != "resolved" and (span := _span(raw))
    ]
    return min([*opened, *([oldest] if oldest else [])], default=None)


@dataclass(frozen=True)
class IncidentReader:
    source: str
    client: Client
    lookback: timedelta
    backfill: timedelta
    clock: Clock
    reach_back: datetime | None = None  # a first sync reads back at least this far

    def since(self, cursor: str | None) -> datetime:
        if cursor is None:
            return first_sync_start(self.clock() - self.backfill, self.reach_back)
        state = json.loads(cursor)
        since = datetime.fromisoformat(state["until"]) - self.lookback
        if state.get("open_since"):
            since = min(since, datetime.fromisoformat(state["open_since"]))
        return since

    def pages(self, cursor: str | None) -> Iterator[Page]:
        start = self.since(cursor).replace(microsecond=0)
        oldest_open: datetime | None = None
        for since, until in windows(start, self.clock().replace(microsecond=0)):
            held: Page | None = None
            for incidents in incidents_in(self.client, since, until):
                if held is not None:
                    yield held
                entries = log_entries_for(self.client, incidents)
                held = Page(*parse_page(incidents, entries, source=self.source))
                oldest_open = _oldest_open(incidents, oldest_open)
            mark = {"until": stamp(until), "open_since": oldest_open and stamp(oldest_open)}
            yield replace(held or Page([]), cursor=json.dumps(mark))


def authorize(source: PagerDutySource, session: HttpSession) -> None:
    """The API key and the v2 media type, read when a run starts: a missing secret is an error
    in that run's log, not at start-up."""
    token = read_secret(source.token_env).get_secret_value()
    session.headers.update({"Authorization": f"Token token={token}", "Accept": ACCEPT})


def streams(
    source: PagerDutySource,
    *,
    lookback: timedelta,
    backfill: timedelta | None = None,
    clock: Clock = _now,
    session: HttpSession | None = None,
    reach_back: datetime | None = None,
) -> list[Stream]:
    """The one `incidents` stream; `session` lets tests count requests and skip real sleeps. A
    first sync reads `backfill` (default: the source's `backfill_days`) back, or to
    `reach_back`."""
    http = session if session is not None else HttpSession()
    client = Client(http, source.url, tuple(source.services))
    reader = IncidentReader(
        source.name, client, lookback, backfill or timedelta(days=source.backfill_days), clock,
        reach_back,
    )

    def fetch(cursor: str | None) -> Iterator[Page]:
        authorize(source, http)
        return reader.pages(cursor)

    return [Stream(source.name, STREAM, fetch, lambda: http.requests_issued, kinds=("incident",),
                   reads_from=lambda: reader.since(None))]


def connector(context: SyncContext[PagerDutySource]) -> list[Stream]:
    session = HttpSession(timeout=context.timeout)
    return streams(context.source, lookback=context.lookback, reach_back=context.reach_back,
                   session=session)


__all__ = [
    "MAX_RECORDS",
    "MAX_WINDOW",
    "Client",
    "PagerDutyError",
    "authorize",
    "connector",
    "incidents_in",
    "log_entries_for",
    "needs_log_entries",
    "parse_incident",
    "streams",
    "windows",
]
