"""A fake PagerDuty REST API v2: incidents and log entries, with the real API's limits.

It enforces what the connector must cope with: offset + limit over 10,000 is refused with the
real 400 body, `limit` is capped at 100, `since`/`until` filter on creation time, resolved
incidents carry no acknowledgements or assignments (only their log entries remember them).
Incidents may embed their `log_entries` (as the DevLake recordings do, and `generate_incidents`
does); those are served from the log-entry endpoints, never inside an incident listing.
"""

from __future__ import annotations

import bisect
import random
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from fakes.server import Request, Response

MAX_RECORDS = 10_000
MAX_LIMIT = 100
OFFSET_ERROR = {
    "error": {
        "message": "Arguments Caused Error",
        "code": 2002,
        "errors": [
            "Offset+limit exceeds maximum allowed value of 10000. Please try to refine your "
            "search to reduce the returned set of records below this number, like adding a "
            "date range."
        ],
    }
}
NOT_OVERVIEW = frozenset({"notify_log_entry"})  # is_overview=true leaves out notifications
INCIDENT_LOG = re.compile(r"^/incidents/([^/]+)/log_entries$")

Raw = dict[str, Any]


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def _bad_request(message: str) -> Response:
    return Response(
        400, {"error": {"message": "Invalid Input Provided", "code": 2001, "errors": [message]}}
    )


class PagerDutyFake:
    """A handler for `fakes.server.serving` over a fixed set of incidents."""

    def __init__(self, incidents: Iterable[Raw], *, token: str = "pd-token") -> None:
        self.token = token
        self.refused: list[Request] = []  # requests answered 4xx, for tests to inspect
        self.by_id: dict[str, Raw] = {}
        self.entries: dict[str, list[Raw]] = {}
        for raw in incidents:
            self._keep(raw)
        self._index()

    def add(self, raw: Raw) -> None:
        """Add or replace an incident (e.g. resolve one between two syncs)."""
        self._keep(raw)
        self._index()

    def _keep(self, raw: Raw) -> None:
        self.by_id[raw["id"]] = {k: v for k, v in raw.items() if k != "log_entries"}
        if "log_entries" in raw:
            self.entries[raw["id"]] = sorted(
                raw["log_entries"], key=lambda e: _time(e["created_at"]), reverse=True
            )

    def _index(self) -> None:
        self.incidents = sorted(
            self.by_id.values(), key=lambda i: (_time(i["created_at"]), i["id"])
        )
        self._created = [_time(i["created_at"]) for i in self.incidents]
        every_entry = (e for es in self.entries.values() for e in es)
        self._all_entries = sorted(every_entry, key=lambda e: _time(e["created_at"]))

    def __call__(self, request: Request) -> Response | None:
        if request.headers.get("authorization") != f"Token token={self.token}":
            return self._refuse(
                request, Response(401, {"error": {"message": "Unauthorized", "code": 2006}})
            )
        if request.path == "/incidents":
            response = self._incidents(request)
        elif request.path == "/log_entries":
            response = self._log_entries(request)
        elif (match := INCIDENT_LOG.match(request.path)) and match.group(1) in self.by_id:
            entries = self._overview(request, self.entries.get(match.group(1), []))
            response = self._page(request, "log_entries", entries)
        else:
            return None
        return self._refuse(request, response) if response.status >= 400 else response

    def _refuse(self, request: Request, response: Response) -> Response:
        self.refused.append(request)
        return response

    def _incidents(self, request: Request) -> Response:
        window = _window(request)
        if isinstance(window, Response):
            return window
        since, until = window
        first, last = (bisect.bisect_left(self._created, moment) for moment in (since, until))
        chosen = self.incidents[first:last]
        services = set(request.query.get("service_ids[]", []))
        if services:
            chosen = [i for i in chosen if i["service"]["id"] in services]
        return self._page(request, "incidents", chosen)

    def _log_entries(self, request: Request) -> Response:
        window = _window(request)
        if isinstance(window, Response):
            return window
        since, until = window
        chosen = [e for e in self._all_entries if since <= _time(e["created_at"]) < until]
        return self._page(request, "log_entries", self._overview(request, chosen))

    @staticmethod
    def _overview(request: Request, entries: Sequence[Raw]) -> list[Raw]:
        if request.arg("is_overview") != "true":
            return list(entries)
        return [e for e in entries if e["type"] not in NOT_OVERVIEW]

    @staticmethod
    def _page(request: Request, key: str, items: Sequence[Raw]) -> Response:
        limit = min(int(request.arg("limit") or 25), MAX_LIMIT)
        offset = int(request.arg("offset") or 0)
        if offset + limit > MAX_RECORDS:
            return Response(400, OFFSET_ERROR)
        body = {
            key: list(items[offset : offset + limit]),
            "limit": limit,
            "offset": offset,
            "total": len(items) if request.arg("total") == "true" else None,
            "more": offset + limit < len(items),
        }
        return Response(200, body)


def _window(request: Request) -> tuple[datetime, datetime] | Response:
    try:
        return _time(request.arg("since") or ""), _time(request.arg("until") or "")
    except ValueError:
        return _bad_request("since and until must be ISO 8601 times")


def _reference(kind: str, ident: str, summary: str) -> Raw:
    return {
        "id": ident,
        "type": f"{kind}_reference",
        "summary": summary,
        "self": f"https://api.pagerduty.com/{kind}s/{ident}",
        "html_url": f"https://acme.pagerduty.com/{kind}s/{ident}",
    }


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _entry(kind: str, incident: Raw, at: datetime, agent: Raw) -> Raw:
    ident = f"R{incident['id'][1:]}{kind[:3].upper()}"
    return {
        "id": ident,
        "type": f"{kind}_log_entry",
        "summary": kind,
        "created_at": _stamp(at),
        "agent": agent,
        "incident": {"id": incident["id"], "type": "incident_reference"},
    }


def _incident(number: int, created: datetime, service: tuple[str, str], rng: random.Random,
              ident: str | None = None) -> Raw:
    ident = ident or f"Q{number:013d}"
    return {
        "id": ident,
        "type": "incident",
        "incident_number": number,
        "title": f"Generated incident {number}",
        "summary": f"[#{number}] Generated incident",
        "created_at": _stamp(created),
        "urgency": rng.choice(["high", "low"]),
        "service": _reference("service", *service),
        "html_url": f"https://acme.pagerduty.com/incidents/{ident}",
        "self": f"https://api.pagerduty.com/incidents/{ident}",
    }


def _lifecycle(
    raw: Raw, status: str, user: Raw, rng: random.Random, factor: float = 1.0
) -> Raw:
    """Status fields and log entries as PagerDuty keeps them for an incident in `status`."""
    created = _time(raw["created_at"])
    acked = created + timedelta(minutes=rng.randint(1, 30) * factor)
    resolved = acked + timedelta(minutes=rng.randint(10, 480) * factor)
    service = raw["service"]
    entries = [_entry("trigger", raw, created, service), _entry("assign", raw, created, service)]
    assignment = [{"at": raw["created_at"], "assignee": user}]
    fields: Raw = {
        "status": status,
        "assignments": assignment,
        "acknowledgements": [],
        "last_status_change_at": raw["created_at"],
        "last_status_change_by": service,
    }
    if status in ("acknowledged", "resolved"):
        entries.append(_entry("acknowledge", raw, acked, user))
        fields |= {
            "acknowledgements": [{"at": _stamp(acked), "acknowledger": user}],
            "last_status_change_at": _stamp(acked),
            "last_status_change_by": user,
        }
    if status == "resolved":
        entries.append(_entry("resolve", raw, resolved, user))
        fields |= {
            "assignments": [],
            "acknowledgements": [],
            "last_status_change_at": _stamp(resolved),
            "last_status_change_by": user,
        }
    return raw | fields | {"log_entries": entries}


def generate_incidents(
    count: int,
    *,
    start: datetime,
    every: timedelta = timedelta(hours=3),
    services: Sequence[tuple[str, str]] = (("PSVC001", "checkout"), ("PSVC002", "search")),
    users: Sequence[str] = ("PUSER01", "PUSER02", "PUSER03"),
    statuses: Mapping[str, float] | None = None,
    seed: int = 0,
    first_number: int = 1000,
    slowdown: Callable[[str, datetime], float] | None = None,
    ids: Mapping[int, str] | None = None,
    created: Sequence[datetime] | None = None,
) -> list[Raw]:
    """Incidents created `every` apart from `start` (or at the `count` times `created` gives),
    with realistic status fields and logs.

    `statuses` weighs resolved / acknowledged / triggered (default 8 : 1 : 1); a triggered one
    here was never acknowledged. `slowdown(user, created)` multiplies the times to acknowledge
    and resolve, for a responder who gets slower or faster. `ids` gives chosen incident
    numbers the id a plan refers to (others get `Q` and the zero-padded number).
    """
    if created is not None and len(created) != count:
        raise ValueError(f"{len(created)} creation times for {count} incidents")
    rng = random.Random(seed)
    weights = statuses or {"resolved": 0.8, "acknowledged": 0.1, "triggered": 0.1}
    generated = []
    for index in range(count):
        number = first_number + index
        at = created[index] if created is not None else start + index * every
        raw = _incident(number, at, rng.choice(list(services)), rng, (ids or {}).get(number))
        user_id = rng.choice(list(users))
        user = _reference("user", user_id, "Generated user")
        status = rng.choices(list(weights), weights=list(weights.values()))[0]
        factor = slowdown(user_id, _time(raw["created_at"])) if slowdown else 1.0
        generated.append(_lifecycle(raw, status, user, rng, factor))
    return generated


__all__ = ["MAX_RECORDS", "OFFSET_ERROR", "PagerDutyFake", "generate_incidents"]
