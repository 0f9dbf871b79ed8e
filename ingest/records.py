"""Typed, normalized evidence records: what every source produces and the store keeps.

A record is frozen once parsed at a source's boundary, so nothing past the parser handles raw API
JSON. Each kind names its table and natural key; `key` (``source:natural-key``) is the provenance
handle the evaluation, snapshots and dashboards refer to.
"""

from __future__ import annotations

import dataclasses
import math
import typing
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, tzinfo
from typing import Any, ClassVar

# The instants a record may carry. A source's placeholder (Jira's due date 9999-12-31, a
# `created` of year 1) is no time at all, and pandas cannot even hold it (nanoseconds since
# 1970 overflow near 2262): such a record is quarantined when it is built, never stored.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)  # excluded


class FieldError(ValueError):
    """A record refused for one field's value: a parse error (the record is quarantined)
    that names the field, so a CSV import can name the column."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field, self.problem = field, problem


@dataclass(frozen=True)
class Record:
    """Base of every kind: where it came from and when the source last changed it."""

    table: ClassVar[str]
    natural_key: ClassVar[tuple[str, ...]]

    source: str

    def __post_init__(self) -> None:
        """Every time within `EARLIEST`–`LATEST` (a year-1 or 9999 date is a placeholder), and
        no text longer than `MAX_TEXT` (no title or status, but a page or a dump sent by
        mistake): refused here, a parse error that quarantines the record, for every source."""
        for name in _time_fields(type(self)):
            check_time(name, getattr(self, name))
        for name in _text_fields(type(self)):
            value = getattr(self, name)
            if isinstance(value, str) and len(value) > MAX_TEXT:
                raise ValueError(f"{name} holds {len(value):,} characters, more than the "
                                 f"{MAX_TEXT:,} a record's text may hold")

    def row(self) -> dict[str, Any]:
        # Shallow on purpose: every field is immutable, and `asdict` deep-copies each value
        # (most of the store's time on a large sync).
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}

    @property
    def key(self) -> str:
        """`source:part/part`; a datetime part is written as Unix seconds, so keys stay short."""
        parts = (key_part(getattr(self, name)) for name in self.natural_key[1:])
        return f"{self.source}:" + "/".join(parts)


_TIME_FIELDS: dict[type[Record], tuple[str, ...]] = {}


def _time_fields(kind: type[Record]) -> tuple[str, ...]:
    """The kind's time and date fields, worked out once: every record built asks."""
    if kind not in _TIME_FIELDS:
        hints = typing.get_type_hints(kind)
        _TIME_FIELDS[kind] = tuple(
            f.name for f in dataclasses.fields(kind)
            if {datetime, date} & {hints[f.name], *typing.get_args(hints[f.name])}
        )
    return _TIME_FIELDS[kind]


def check_time(name: str, value: date | None) -> None:
    """The one range rule for every time and date a record holds (see `EARLIEST`)."""
    if value is None:
        return
    if isinstance(value, datetime):  # a naive one is the store's to refuse: read it as UTC
        inside = EARLIEST <= (value if value.tzinfo else value.replace(tzinfo=UTC)) < LATEST
    else:
        inside = EARLIEST.date() <= value < LATEST.date()
    if not inside:
        raise FieldError(
            name, f"{value.isoformat()} is outside {EARLIEST.year}–{LATEST.year - 1}: "
            "a placeholder, not a time",
        )


MAX_TEXT = 64 * 1024


_TEXT_FIELDS: dict[type[Record], tuple[str, ...]] = {}


def _text_fields(kind: type[Record]) -> tuple[str, ...]:
    if kind not in _TEXT_FIELDS:
        _TEXT_FIELDS[kind] = tuple(f.name for f in dataclasses.fields(kind) if "str" in str(f.type))
    return _TEXT_FIELDS[kind]


def aware_time(value: object, api: str) -> datetime:
    """An API's ISO 8601 time, which must carry its zone: guessing one would shift every
    duration computed from it. Raises ValueError (a parse error: the record is quarantined)."""
    if not isinstance(value, str):
        raise ValueError(f"not a {api} time: {value!r}")
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise ValueError(f"{api} time without a zone: {value!r}")
    return parsed


def as_utc(moment: datetime, *, naive: tzinfo | None = None) -> datetime:
    """The same instant in UTC: the one zone cursors, API bounds and the store write. A naive
    time is read in `naive` where its format fixes the zone (HTTP dates are GMT; the store keeps
    naive UTC), else refused: guessing a zone would shift every duration computed from it."""
    if moment.tzinfo is None:
        if naive is None:
            raise ValueError(f"naive datetime {moment!r}: times must carry a zone")
        moment = moment.replace(tzinfo=naive)
    return moment.astimezone(UTC)


def key_part(value: object) -> str:
    return str(int(value.timestamp())) if isinstance(value, datetime) else str(value)


@dataclass(frozen=True)
class Ticket(Record):
    table: ClassVar[str] = "tickets"
    natural_key: ClassVar[tuple[str, ...]] = ("source", "ticket_key")

    ticket_key: str
    url: str
    project: str
    issue_type: str
    summary: str
    status: str
    status_category: str  # new | indeterminate | done (Jira's status category keys)
    assignee_account: str | None
    assignee_email: str | None
    reporter_account: str | None
    created: datetime
    updated: datetime
    resolved: datetime | None
    due: date | None
    priority: str | None
    # Jira's issue id: unlike the key it survives a move to another project (OPS-1 → SUP-5), so
    # the store can drop the row under the old key. None where a source has no such id (CSV).
    issue_id: str | None = None


@dataclass(frozen=True)
class TicketChange(Record):
    """One field change from a ticket's changelog: status (by category) or assignee."""

    table: ClassVar[str] = "ticket_changes"
    natural_key: ClassVar[tuple[str, ...]] = ("source", "ticket_key", "change_id")

    ticket_key: str
    change_id: str  # "<history id>.<item index>": stable across re-reads
    at: datetime
    field: str  # status | assignee
    from_value: str | None  # status: category key; assignee: account id
    to_value: str | None
    from_name: str | None  # status name or assignee display name, for people reading evidence
    to_name: str | None
    author_account: str | None


@dataclass(frozen=True)
class PullRequest(Record):
    table: ClassVar[str] = "pull_requests"
    natural_key: ClassVar[tuple[str, ...]] = ("source", "repo", "number")

    repo: str
    number: int
    url: str
    title: str
    author_account: str | None
    author_email: str | None
    created: datetime
    updated: datetime
    ready_for_review: datetime | None
    merged: datetime | None
    closed: datetime | None
    additions: int
    deletions: int
    base_branch: str


@dataclass(frozen=True)
class ReviewRequest(Record):
    table: ClassVar[str] = "review_requests"
    natural_key: ClassVar[tuple[str, ...]] = ("source", "repo", "number", "reviewer_account", "at")

    repo: str
    number: int
    reviewer_account: str
    at: datetime


@dataclass(frozen=True)
class Review(Record):
    table: ClassVar[str] = "reviews"
    natural_key: ClassVar[tuple[str, ...]] = ("source", "review_id")

    review_id: str
    repo: str
    number: int
    url: str
    reviewer_account: str | None
    state: str  # APPROVED | CHANGES_REQUESTED | COMMENTED | DISMISSED
    submitted: datetime


@dataclass(frozen=True)
class Deployment(Record):
    table: ClassVar[str] = "deployments"
    natural_key: ClassVar[tuple[str, ...]] = ("source", "deployment_id")

    deployment_id: str  # "deployment/<id>" or "run/<id>" for Actions workflow runs
    repo: str
    url: str
    environment: str
    sha: str
    creator_account: str | None
    created: datetime
    finished: datetime | None
    state: str  # success | failure | error | inactive | in_progress | ... (see below)
    updated: datetime


# A deployment's state, one vocabulary for every source and the evaluation. GitHub gives `inactive`
# only to a deployment that succeeded and was then replaced by a newer one; `rolled_back` comes
# from CSV imports (GitHub has no such state) and counts as failed (DESIGN §3). Other states
# (pending, in_progress, cancelled, ...) are not finished, so they count neither way.
SUPERSEDED_DEPLOYMENT_STATE = "inactive"
SUCCESSFUL_DEPLOYMENT_STATES = frozenset({"success", SUPERSEDED_DEPLOYMENT_STATE})
FAILED_DEPLOYMENT_STATES = frozenset({"failure", "error", "rolled_back"})
FINISHED_DEPLOYMENT_STATES = SUCCESSFUL_DEPLOYMENT_STATES | FAILED_DEPLOYMENT_STATES


@dataclass(frozen=True)
class Incident(Record):
    table: ClassVar[str] = "incidents"
    natural_key: ClassVar[tuple[str, ...]] = ("source", "incident_id")

    incident_id: str
    url: str
    title: str
    service: str
    urgency: str
    assignee_account: str | None
    created: datetime
    acknowledged: datetime | None
    resolved: datetime | None
    updated: datetime
    assignees: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class Sample(Record):
    """One Prometheus sample of a configured series, attributed through the owner map."""

    table: ClassVar[str] = "samples"
    natural_key: ClassVar[tuple[str, ...]] = ("source", "series", "at")

    series: str  # metric name + sorted labels, e.g. 'availability{instance="api-1:9100"}'
    metric: str  # the catalog metric these samples feed
    owner: str  # person id, or "team:<name>"
    at: datetime
    value: float

    def __post_init__(self) -> None:
        """NaN and ±inf are no measurement, and the databases disagree on them (SQLite stores
        NaN as NULL, so the row fails; PostgreSQL keeps it), so one rule holds on both: such a
        sample is refused here, a parse error that quarantines it, and never stored."""
        super().__post_init__()
        if not math.isfinite(self.value):
            raise FieldError("value", f"{self.value!r} is not a finite number")


@dataclass(frozen=True)
class Rating(Record):
    """Behavioural evidence: a manager's or peer's 1–5 rating, entered in trackrecord itself."""

    table: ClassVar[str] = "ratings"
    natural_key: ClassVar[tuple[str, ...]] = ("source", "rating_id")

    rating_id: str
    person: str  # the person rated (a people.yaml id, not a tool account)
    name: str  # the behaviour, e.g. "communication": feeds the metric rating:communication
    value: int
    author: str
    at: datetime
    note: str

    def __post_init__(self) -> None:
        """The rules `trackrecord rate` states, held by every way a rating arrives (the
        command, a CSV import), so an import cannot record what the command refuses."""
        super().__post_init__()
        if not 1 <= self.value <= 5:
            raise FieldError("value", f"a rating is from 1 to 5, not {self.value!r}")
        if self.author == self.person:
            raise FieldError("author", "a person cannot rate themselves")


KINDS: dict[str, type[Record]] = {
    "ticket": Ticket,
    "ticket_change": TicketChange,
    "pull_request": PullRequest,
    "review_request": ReviewRequest,
    "review": Review,
    "deployment": Deployment,
    "incident": Incident,
    "sample": Sample,
    "rating": Rating,
}

__all__ = [
    "EARLIEST",
    "FAILED_DEPLOYMENT_STATES",
    "FINISHED_DEPLOYMENT_STATES",
    "KINDS",
    "LATEST",
    "MAX_TEXT",
    "SUCCESSFUL_DEPLOYMENT_STATES",
    "SUPERSEDED_DEPLOYMENT_STATE",
    "Deployment",
    "FieldError",
    "Incident",
    "PullRequest",
    "Rating",
    "Record",
    "Review",
    "ReviewRequest",
    "Sample",
    "Ticket",
    "TicketChange",
    "as_utc",
    "aware_time",
    "check_time",
    "key_part",
]
