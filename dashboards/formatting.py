"""Words and numbers as the pages show them: status words beside colours, values in the metric's
unit, dates and times in the configured zone. Registered as Jinja filters by `dashboards.app`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any, cast
from zoneinfo import ZoneInfo

from jinja2 import Environment

from evaluate.outcome import GoalStatus
from evaluate.sentences import MINUS, STATUS_WORDS, flag_words, goal_title, outcome_word

__all__ = ["BADGES", "register", "status_word", "target_text"]

# status or outcome → (icon, CSS class); the class picks an Okabe–Ito colour, the word (from
# `evaluate.sentences`, as the sentences, the CLI and the exports say it) carries the meaning.
BADGES: dict[str, tuple[str, str]] = {
    "met": ("✓", "met"),
    "partially_met": ("◐", "partly"),
    "not_met": ("○", "not-met"),
    "insufficient_data": ("…", "unknown"),
    "successful_completion": ("✓", "met"),
    "partial_improvement": ("◐", "partly"),
    "insufficient_improvement": ("○", "not-met"),
    "undetermined": ("…", "unknown"),
    "extended": ("↻", "info"),
    "not_evaluated": ("…", "unknown"),
}
PAGE_WORDS = {"not_evaluated": "Not evaluated yet"}  # a state only pages show

KIND_WORDS = {
    "ticket": "tickets", "ticket_change": "ticket changes", "pull_request": "pull requests",
    "review_request": "review requests", "review": "reviews", "deployment": "deployments",
    "incident": "incidents", "sample": "samples", "rating": "ratings",
}

# An audit entry's detail in words: a flag that is set says what it marks, a value is named.
DETAIL_FLAGS = {"api": "through the API", "comment": "with a comment", "org": "org summary"}
DETAIL_NAMES = {"sha256": "content hash", "why": "reason", "key": "record", "user": "account",
                "address": "from address", "by": "rated by", "rows": "rows"}

TARGET_WORDS = {"at_most": "at most", "at_least": "at least", "improve_by": "improve by"}


def status_word(status: str) -> str:
    """A goal status, a plan outcome or a page's own state, in the one set of words."""
    if status in STATUS_WORDS:
        return STATUS_WORDS[cast(GoalStatus, status)]
    return PAGE_WORDS.get(status) or outcome_word(status)


def status_icon(status: str) -> str:
    return BADGES.get(status, ("•", ""))[0]


def status_class(status: str) -> str:
    return BADGES.get(status, ("", "unknown"))[1]


def number(value: float | int | None) -> str:
    """A typographic minus, as the sentences write it: "−8.2" reads as a number."""
    if value is None:
        return "—"
    if isinstance(value, int) or abs(value) >= 1000:
        return f"{value:,.0f}".replace("-", MINUS)
    return f"{value:.3g}".replace("-", MINUS)


def in_unit(value: float | None, unit: str) -> str:
    """41.5 h, 12 min, 8.5%, 3.2 tickets per active week."""
    if value is None:
        return "—"
    if unit.startswith(("share", "error ratio")):  # the catalog's units of 0–1 values
        return f"{value:.1%}".replace(".0%", "%").replace("-", MINUS)
    short = {"hours": "h", "minutes": "min"}.get(unit)
    return f"{number(value)} {short or unit}"


def percent(value: float | None, *, signed: bool = True) -> str:
    if value is None:
        return "—"
    shown = f"{value:+.0%}" if signed else f"{value:.0%}"
    return shown.replace("-", MINUS)


def target_text(target: dict[str, Any], unit: str) -> str:
    name, value = next(iter(target.items()))
    shown = percent(value, signed=False) if name == "improve_by" else in_unit(value, unit)
    return f"{TARGET_WORDS.get(name, name)} {shown}"


def detail_words(detail: dict[str, Any]) -> str:
    """{"format": "csv", "api": True} → "format csv; through the API"."""
    parts = [DETAIL_FLAGS.get(name, name.replace("_", " ")) if value is True
             else f"{DETAIL_NAMES.get(name, name.replace('_', ' '))} {value}"
             for name, value in detail.items() if value is not None and value is not False]
    return "; ".join(parts)


def kind_words(kind: str) -> str:
    return KIND_WORDS.get(kind, "records")


def day(value: date | str | None) -> str:
    if value is None:
        return "—"
    parsed = date.fromisoformat(value) if isinstance(value, str) else value
    return f"{parsed.day} {parsed:%b %Y}"


def _moment(zone: ZoneInfo) -> Callable[[datetime | str | None], str]:
    def moment(value: datetime | str | None) -> str:
        if value is None:
            return "—"
        parsed = datetime.fromisoformat(value) if isinstance(value, str) else value
        local = parsed.astimezone(zone)
        return f"{local.day} {local:%b %Y %H:%M}"

    return moment


def register(env: Environment, zone: ZoneInfo) -> None:
    env.filters.update(
        status_word=status_word, status_icon=status_icon, status_class=status_class,
        number=number, in_unit=in_unit, percent=percent, target_text=target_text,
        kind_words=kind_words, flag_words=flag_words, detail_words=detail_words,
        goal_title=goal_title, day=day,
        moment=_moment(zone),
    )
    env.globals["zone"] = zone.key
