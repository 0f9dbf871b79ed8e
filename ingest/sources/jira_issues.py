"""Jira issue JSON → typed records: a `Ticket` and its status and assignee `TicketChange`s.

Parsing is pure (STYLE §5): no session, no server, no clock, so it is tested on plain dicts. It
lives apart from the connector, `jira`, which connects to the site, pages through searches,
fetches cut changelogs and hands each issue here. Statuses are read by category, never by name:
names are localized and renamed, ids and categories are not.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any

from ingest.records import Ticket, TicketChange, aware_time

CHANGE_FIELDS = frozenset({"status", "assignee"})
STATUS_CATEGORIES = frozenset({"new", "indeterminate", "done", "undefined"})
# Jira's system statuses keep these ids everywhere; a changelog may name them after the workflow
# that used them is gone, when /status no longer lists them.
BUILTIN_STATUS_CATEGORIES = {"1": "new", "3": "indeterminate", "4": "new", "5": "done", "6": "done"}


class MalformedIssue(ValueError):
    """An issue that cannot become a Ticket; the message names the field."""


def status_categories(raw_statuses: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """Status id → category key, from GET /status: names are localized and renamed, ids and
    categories are not."""
    return {
        str(status["id"]): status["statusCategory"]["key"]
        for status in raw_statuses
        if (status.get("statusCategory") or {}).get("key") in STATUS_CATEGORIES
    }


def parse_issue(
    raw: Mapping[str, Any], *, source: str, statuses: Mapping[str, str], base_url: str
) -> tuple[Ticket, list[TicketChange]]:
    """An issue as search returns it (with `expand=changelog`) → a Ticket and its status and
    assignee changes. Pure: raises `MalformedIssue` naming what it cannot read, never guesses."""
    key = _text(raw, "key")
    fields = _at(raw, "fields")
    ticket = Ticket(
        source=source,
        ticket_key=key,
        url=f"{base_url.rstrip('/')}/browse/{key}",
        project=_text(raw, "fields.project.key"),
        issue_type=_text(raw, "fields.issuetype.name"),
        summary=_text(raw, "fields.summary"),
        status=_text(raw, "fields.status.name"),
        status_category=_issue_category(_at(raw, "fields.status"), statuses),
        assignee_account=account_of(fields.get("assignee")),
        assignee_email=_email(fields.get("assignee")),
        reporter_account=account_of(fields.get("reporter")),
        created=parse_time(_at(raw, "fields.created")),
        updated=parse_time(_at(raw, "fields.updated")),
        resolved=parse_time(fields["resolutiondate"]) if fields.get("resolutiondate") else None,
        due=date.fromisoformat(fields["duedate"]) if fields.get("duedate") else None,
        priority=(fields.get("priority") or {}).get("name"),
        issue_id=None if raw.get("id") is None else str(raw["id"]),  # survives a project move
    )
    return ticket, _changes(raw, key, source=source, statuses=statuses)


def _changes(
    raw: Mapping[str, Any], key: str, *, source: str, statuses: Mapping[str, str]
) -> list[TicketChange]:
    """Status and assignee items of every history. The item's index in its history makes the
    change id, so the embedded and the fully fetched changelogs give the same ids."""
    changes = []
    for history in (raw.get("changelog") or {}).get("histories") or ():
        for index, item in enumerate(history.get("items") or ()):
            field = item.get("fieldId") or item.get("field")
            if item.get("fieldtype", "jira") == "jira" and field in CHANGE_FIELDS:
                change = _change(history, index, item, field, statuses)
                changes.append(TicketChange(source=source, ticket_key=key, **change))
    return changes


def _change(
    history: Mapping[str, Any],
    index: int,
    item: Mapping[str, Any],
    field: str,
    statuses: Mapping[str, str],
) -> dict[str, Any]:
    from_value, to_value = item.get("from"), item.get("to")
    if field == "status":  # by category: names are localized and renamed
        from_value, to_value = category_of(from_value, statuses), category_of(to_value, statuses)
    return {
        "change_id": f"{_text(history, 'id')}.{index}",
        "at": parse_time(_at(history, "created")),
        "field": field,
        "from_value": from_value,
        "to_value": to_value,
        "from_name": _printable(item.get("fromString")),
        "to_name": _printable(item.get("toString")),
        "author_account": account_of(history.get("author")),
    }


def _issue_category(status: Mapping[str, Any], statuses: Mapping[str, str]) -> str:
    """The category embedded in the issue, else the one /status gives for its id."""
    embedded = (status.get("statusCategory") or {}).get("key")
    category = embedded if embedded in STATUS_CATEGORIES else None
    category = category or category_of(status.get("id"), statuses)
    if category is None:
        raise MalformedIssue(f"status {status.get('name')!r} has no known category ({embedded!r})")
    return category


def category_of(status_id: object, statuses: Mapping[str, str]) -> str | None:
    """A status id's category; None for a status Jira no longer lists (its name is kept)."""
    if status_id is None:
        return None
    return statuses.get(str(status_id)) or BUILTIN_STATUS_CATEGORIES.get(str(status_id))


def account_of(user: object) -> str | None:
    """Cloud's accountId; Data Center's user key (what its changelog names), else its name."""
    if not isinstance(user, Mapping):
        return None
    return user.get("accountId") or user.get("key") or user.get("name") or None


def _email(user: object) -> str | None:
    # Jira Cloud hides most addresses (absent or ""); store one only when it is there.
    return (user.get("emailAddress") or None) if isinstance(user, Mapping) else None


def parse_time(value: object) -> datetime:
    """Jira's `2026-09-01T09:15:00.000+0200` (or epoch seconds/milliseconds, as the bulk
    changelog may give) → an aware datetime; a time without a zone is refused."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value / 1000 if value > 1e11 else value, UTC)
    try:
        return aware_time(value, "Jira")
    except ValueError as exc:
        raise MalformedIssue(str(exc)) from None


def _at(container: Mapping[str, Any], path: str) -> Any:
    """The value at a dotted path; `MalformedIssue` naming the path when it is absent."""
    value: Any = container
    for name in path.split("."):
        value = value.get(name) if isinstance(value, Mapping) else None
        if value is None:
            raise MalformedIssue(f"{path} is missing")
    return value


def _text(container: Mapping[str, Any], path: str) -> str:
    value = _at(container, path)
    if not isinstance(value, str):
        raise MalformedIssue(f"{path} is not text: {value!r}")
    return _printable(value)


def _printable(value: Any) -> Any:
    # Real summaries carry NUL characters, which PostgreSQL text cannot hold.
    return value.replace("\x00", "") if isinstance(value, str) else value


__all__ = [
    "BUILTIN_STATUS_CATEGORIES",
    "CHANGE_FIELDS",
    "STATUS_CATEGORIES",
    "MalformedIssue",
    "account_of",
    "category_of",
    "parse_issue",
    "parse_time",
    "status_categories",
]
