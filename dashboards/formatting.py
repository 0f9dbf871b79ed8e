"""Words and numbers as the pages show them: status words beside colours, values in the metric's
unit, dates and times in the configured zone. Registered as Jinja filters by `dashboards.app`."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment

from evaluate.metrics import metric_spec, quantity

__all__ = ["STATUS", "register"]

# status → (word, icon, CSS class); the class picks an Okabe–Ito colour, the word carries meaning.
STATUS: dict[str, tuple[str, str, str]] = {
    "met": ("Met", "✓", "met"),
    "partially_met": ("Partly met", "◐", "partly"),
    "not_met": ("Not met", "○", "not-met"),
    "insufficient_data": ("Not enough data", "…", "unknown"),
    "successful_completion": ("Successful completion", "✓", "met"),
    "partial_improvement": ("Partial improvement", "◐", "partly"),
    "insufficient_improvement": ("Insufficient improvement", "○", "not-met"),
    "undetermined": ("Not yet determined", "…", "unknown"),
    "extended": ("Extended", "↻", "info"),
    "not_evaluated": ("Not evaluated yet", "…", "unknown"),
    "too_few": ("Too few", "…", "unknown"),
    "insufficient": ("Too few", "…", "unknown"),
}

FLAGS = {
    "baseline_insufficient": "Too few records before the plan for a fair comparison.",
    "current_insufficient": "Too few records in the plan period so far for a fair comparison.",
    "no_team_context": "No team comparison: the rest of the team has too little data.",
    "team_wide_shift": "The whole team moved the same way by a similar amount over the same "
    "weeks, so this change may not be the person's own.",
}

KIND_WORDS = {
    "ticket": "tickets", "ticket_change": "ticket changes", "pull_request": "pull requests",
    "review_request": "review requests", "review": "reviews", "deployment": "deployments",
    "incident": "incidents", "sample": "samples", "rating": "ratings",
}

TARGET_WORDS = {"at_most": "at most", "at_least": "at least", "improve_by": "improve by"}


def status_word(status: str) -> str:
    return STATUS.get(status, (status.replace("_", " ").capitalize(), "", ""))[0]


def status_icon(status: str) -> str:
    return STATUS.get(status, ("", "•", ""))[1]


def status_class(status: str) -> str:
    return STATUS.get(status, ("", "", "unknown"))[2]


def number(value: float | int | None) -> str:
    if value is None:
        return "—"
    if isinstance(value, int) or abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.3g}"


def in_unit(value: float | None, unit: str) -> str:
    """41.5 h, 12 min, 8.5%, 3.2 tickets per active week."""
    if value is None:
        return "—"
    if unit.startswith("share") or unit == "error ratio":
        return f"{value:.1%}".replace(".0%", "%")
    short = {"hours": "h", "minutes": "min"}.get(unit)
    return f"{number(value)} {short or unit}"


def percent(value: float | None, *, signed: bool = True) -> str:
    if value is None:
        return "—"
    shown = f"{value:+.0%}" if signed else f"{value:.0%}"
    return shown.replace("-", "−")


def target_text(target: dict[str, Any], unit: str) -> str:
    name, value = next(iter(target.items()))
    shown = percent(value, signed=False) if name == "improve_by" else in_unit(value, unit)
    return f"{TARGET_WORDS.get(name, name)} {shown}"


def kind_words(kind: str) -> str:
    return KIND_WORDS.get(kind, "records")


def flag_words(flag: str) -> str:
    return FLAGS.get(flag, flag.replace("_", " ").capitalize() + ".")


def day(value: date | str | None) -> str:
    if value is None:
        return "—"
    parsed = date.fromisoformat(value) if isinstance(value, str) else value
    return f"{parsed.day} {parsed:%b %Y}"


def _moment(zone: ZoneInfo) -> Any:
    def moment(value: datetime | str | None) -> str:
        if value is None:
            return "—"
        parsed = datetime.fromisoformat(value) if isinstance(value, str) else value
        local = parsed.astimezone(zone)
        return f"{local.day} {local:%b %Y %H:%M}"

    return moment


def metric_title(metric: str) -> str:
    """The metric in words, as its charts title it: "Median ticket resolution time"."""
    try:
        return quantity(metric, metric_spec(metric).statistic).title
    except KeyError:  # a metric the catalog no longer has
        return metric


def register(env: Environment, zone: ZoneInfo) -> None:
    env.filters.update(
        status_word=status_word, status_icon=status_icon, status_class=status_class,
        number=number, in_unit=in_unit, percent=percent, target_text=target_text,
        kind_words=kind_words, flag_words=flag_words, day=day, moment=_moment(zone),
        metric_title=metric_title,
    )
    env.globals["zone"] = zone.key
