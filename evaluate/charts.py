"""Trend charts, sparklines and a person's metrics over time (UI.md "The trend chart"): results
in, a plotly figure out, as the plain JSON-ready dict plotly.js takes (`{"data": [...],
"layout": {...}}`, what `go.Figure.to_plotly_json()` gave). Building plotly's graph objects
validated every property and cost ~45 ms a goal; the service pre-renders every goal's charts
when it stores an evaluation, so the figures are written as dicts and only the PDF export wraps
them in `go.Figure`. Pure: no clock; the one file read is plotly's own template, once per process.

Every element reads without colour: the weekly values are filled circles joined by a line
(hollow and labelled "too few" where a week rests on too little), the target is a dashed,
labelled line, the baseline a labelled band, the team a thin unlabelled-marker line named in
the legend, checkpoints dotted rules with their dates. Colours come from the Okabe–Ito
palette, which stays distinct for the common colour-vision deficiencies.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from functools import cache
from importlib import resources
from typing import Any

from config.plans import Exclusion, Plan
from evaluate.compare import target_value
from evaluate.history import MetricHistory
from evaluate.metrics import Quantity, quantity
from evaluate.outcome import GoalStatus
from evaluate.results import GoalEvaluation, WeekPoint
from evaluate.sentences import day_range, status_word

__all__ = [
    "BLUE",
    "GREEN",
    "GREY",
    "ORANGE",
    "STATUS_COLOURS",
    "STATUS_SYMBOLS",
    "VERMILLION",
    "Figure",
    "history_chart",
    "sparkline",
    "trend_chart",
]

BLUE, ORANGE, GREEN, VERMILLION, GREY = "#0072B2", "#E69F00", "#009E73", "#D55E00", "#999999"
INK = "#333333"
STATUS_COLOURS: dict[GoalStatus, str] = {
    "met": GREEN, "partially_met": ORANGE, "not_met": VERMILLION, "insufficient_data": GREY,
}
# A shape per status, so the sparkline's last point reads without its colour.
STATUS_SYMBOLS: dict[GoalStatus, str] = {
    "met": "circle", "partially_met": "diamond", "not_met": "x", "insufficient_data":
    "circle-open",
}
SPARKLINE_SIZE = (120, 32)
TOO_FEW = "too few"
_DAY = timedelta(days=1)

Figure = dict[str, Any]  # {"data": [trace, ...], "layout": {...}}, ready for json.dumps
Trace = dict[str, Any]  # one scatter trace, "type" included


def trend_chart(goal: GoalEvaluation, plan: Plan, *, zone: str | None = None,
                baseline_interval: tuple[float, float] | None = None) -> Figure:
    """One goal's weeks across the baseline and the plan so far, against its baseline and
    target. `zone` names the configured time zone on the x axis; `baseline_interval` (in
    the metric's unit) draws the baseline as a band rather than a line."""
    words = quantity(goal.metric, goal.statistic)
    target = target_value(goal.goal.target, goal.baseline.value, goal.better)
    plan_end = plan.end + _DAY
    values = [v for w in goal.weekly for v in (w.value, w.team_value) if v is not None]
    y_range = _y_range([*values, *(baseline_interval or ()), goal.baseline.value, target])
    data = [*(_excluded(first, last, reason, y_range)
              for first, last, reason in _ranges(plan.exclusions)),
            *_baseline(goal, words, plan, baseline_interval),
            *([] if target is None else [_target(target, words, plan.start, plan_end)]),
            _team(goal.weekly, words), _weekly(goal.weekly, words)]
    return {"data": data, "layout": {
        **_layout(words, goal.better, y_range, title=words.title,
                  subtitle=status_word(goal.status), zone=zone,
                  days=(goal.baseline_span.start, plan_end)),
        "shapes": _rules(plan), "annotations": _rule_labels(plan),
    }}


def history_chart(history: MetricHistory, *, zone: str | None = None) -> Figure:
    """A person's weekly values over recent weeks beside the rest of their team's, drawn as a
    trend chart draws them (n in the hover, thin weeks hollow and labelled "too few"); no plan
    yet, so no baseline, target or rules."""
    spec, weeks = history.spec, history.weekly
    words = quantity(spec.name, spec.statistic)
    y_range = _y_range([v for w in weeks for v in (w.value, w.team_value)])
    counted = "" if spec.point_in_time else f": {words.count(history.events)} {words.event}"
    layout = _layout(words, spec.better, y_range, title=words.title,
                     subtitle=f"Last {len(weeks)} weeks{counted}", zone=zone,
                     days=(weeks[0].start, weeks[-1].end + _DAY) if weeks else None)
    # Drawn smaller than a trend chart, side by side: the legend goes lower to clear the
    # x axis's title.
    layout["legend"]["y"], layout["margin"]["b"] = -0.4, 100
    return {"data": [_team(weeks, words), _weekly(weeks, words)], "layout": layout}


def _layout(words: Quantity, better: str | None, y_range: tuple[float, float], *, title: str,
            subtitle: str, zone: str | None, days: tuple[date, date] | None) -> dict[str, Any]:
    """What a trend chart and a person's history share: title, axes, template, legend."""
    yaxis = {"title": {"text": _axis_title(words, better)}, "range": list(y_range),
             "zeroline": False, **({"tickformat": ".0%"} if words.percent else {})}
    xaxis = {"title": {"text": f"Week ({zone})" if zone else "Week"}, "type": "date",
             **({"range": [_iso(day) for day in days]} if days else {})}
    return {
        "title": {"text": title, "subtitle": {"text": subtitle}},
        "xaxis": xaxis, "yaxis": yaxis,
        "template": _template("simple_white"), "hovermode": "closest",
        "legend": {"orientation": "h", "y": -0.25},
        "margin": {"t": 70, "r": 20, "b": 90, "l": 60},
    }


def sparkline(goal: GoalEvaluation) -> Figure:
    """The plan's weekly values and the target only, with no axes, 120 × 32 px; the last
    point takes the goal's status colour and shape."""
    words = quantity(goal.metric, goal.statistic)
    plan_weeks = [w for w in goal.weekly if w.start >= goal.current_span.start]
    shown = [w for w in plan_weeks if w.value is not None]
    target = target_value(goal.goal.target, goal.baseline.value, goal.better)
    data: list[Trace] = []
    if target is not None and plan_weeks:
        data.append(_scatter(
            x=[_iso(plan_weeks[0].start), _iso(plan_weeks[-1].end + _DAY)], y=[target, target],
            mode="lines", name="Target", line={"color": INK, "width": 1, "dash": "dash"}))
    data.append(_scatter(
        x=[_middle(w) for w in shown], y=[w.value for w in shown], mode="lines",
        name=words.title, line={"color": BLUE, "width": 1.5}))
    if shown:
        data.append(_scatter(
            x=[_middle(shown[-1])], y=[shown[-1].value], mode="markers", name="Latest week",
            marker={"color": STATUS_COLOURS[goal.status], "size": 6,
                    "symbol": STATUS_SYMBOLS[goal.status]}))
    width, height = SPARKLINE_SIZE
    return {"data": data, "layout": {
        "width": width, "height": height, "margin": {"t": 2, "r": 4, "b": 2, "l": 2},
        "showlegend": False, "hovermode": False, "xaxis": _hidden_axis(),
        "yaxis": _hidden_axis(), "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        # No template: a sparkline sets every colour itself, and the overview draws fifty rows
        # of them, where plotly's default template would be 7 kB each.
    }}


def _scatter(**properties: Any) -> Trace:
    return {"type": "scatter", **properties}


def _hidden_axis() -> dict[str, Any]:
    return {"visible": False, "fixedrange": True}


def _template(name: str) -> dict[str, Any]:
    """plotly.js knows no template names: the figure carries the template itself, a fresh copy
    each time so a caller may change one figure without touching the next."""
    template: dict[str, Any] = json.loads(_template_text(name))
    return template


@cache
def _template_text(name: str) -> str:
    """The template as plotly ships it: the same one `template="simple_white"` expanded to."""
    path = resources.files("plotly") / "package_data" / "templates" / f"{name}.json"
    return path.read_text(encoding="utf-8")


def _iso(day: date) -> str:
    return day.isoformat()


def _middle(week: WeekPoint) -> str:
    """The week's centre as a time, so each point sits in the middle of the days it covers."""
    start = datetime(week.start.year, week.start.month, week.start.day)
    return (start + (week.end + _DAY - week.start) / 2).isoformat()


def _y_range(values: Sequence[float | None]) -> tuple[float, float]:
    """From zero (or the lowest value, if below) to a little above the highest, so shaded
    exclusions can span it and every line fits."""
    known = [v for v in values if v is not None]
    low, high = min([0.0, *known]), max([0.0, *known])
    pad = (high - low) * 0.1 or 1.0
    return low - (pad if low < 0 else 0.0), high + pad


def _axis_title(words: Quantity, better: str | None) -> str:
    """The unit and the direction; a metric without one is context only (incidents owned)."""
    return f"{words.unit} ({better} is better)" if better else f"{words.unit} (context only)"


def _week_hover(week: WeekPoint, words: Quantity) -> str:
    value = "excluded" if week.excluded else (
        "no events" if week.value is None else words.format(week.value))
    note = f" ({TOO_FEW})" if not week.enough and not week.excluded else ""
    return f"{day_range(week.start, week.end)}<br>{value}<br>n = {words.count(week.n)}{note}"


def _weekly(weeks: Sequence[WeekPoint], words: Quantity) -> Trace:
    """Filled circles for measured weeks, hollow ones labelled "too few" for thin weeks."""
    return _scatter(
        x=[_middle(w) for w in weeks], y=[w.value for w in weeks], name="Weekly value",
        mode="lines+markers+text", connectgaps=False,
        text=[TOO_FEW if not w.enough and w.value is not None else "" for w in weeks],
        textposition="top center", textfont={"size": 10, "color": INK},
        hovertext=[_week_hover(w, words) for w in weeks], hoverinfo="text",
        line={"color": BLUE, "width": 2},
        marker={"color": BLUE, "size": 8, "line": {"color": BLUE, "width": 1.5},
                "symbol": ["circle" if w.enough else "circle-open" for w in weeks]},
    )


def _team(weeks: Sequence[WeekPoint], words: Quantity) -> Trace:
    return _scatter(
        x=[_middle(w) for w in weeks], y=[w.team_value for w in weeks],
        name="Team (rest of the team)", mode="lines", connectgaps=False,
        line={"color": GREY, "width": 1},
        hovertext=[f"{day_range(w.start, w.end)}<br>Team: "
                   f"{'no value' if w.team_value is None else words.format(w.team_value)}"
                   for w in weeks], hoverinfo="text",
    )


def _baseline(goal: GoalEvaluation, words: Quantity, plan: Plan,
              interval: tuple[float, float] | None) -> list[Trace]:
    """The band (or line) over the baseline weeks, and faintly over the plan for comparison."""
    value = goal.baseline.value
    if value is None:
        return []
    label = f"Baseline {words.format(value)} ({words.count(goal.baseline.n)})"
    base = (goal.baseline_span.start, goal.baseline_span.end + _DAY)
    later = (plan.start, plan.end + _DAY)
    return [_level(label, value, interval, base, opacity=1.0, legend=True),
            _level(label, value, interval, later, opacity=0.35, legend=False)]


def _level(label: str, value: float, interval: tuple[float, float] | None,
           days: tuple[date, date], *, opacity: float, legend: bool) -> Trace:
    first, last = (_iso(day) for day in days)
    common: dict[str, Any] = {
        "name": label, "legendgroup": "baseline", "showlegend": legend, "opacity": opacity,
        "hoverinfo": "text", "hovertext": label,
    }
    if interval is None:
        return _scatter(x=[first, last], y=[value, value], mode="lines",
                        line={"color": ORANGE, "width": 3}, **common)
    lower, upper = interval
    return _scatter(x=[first, last, last, first, first], y=[lower, lower, upper, upper, lower],
                    mode="lines", fill="toself", fillcolor="rgba(230,159,0,0.3)",
                    line={"color": ORANGE, "width": 1}, hoveron="fills+points", **common)


def _target(value: float, words: Quantity, start: date, end: date) -> Trace:
    label = f"Target {words.format(value, compact=True)}"
    return _scatter(
        x=[_iso(start), _iso(end)], y=[value, value], name=label, mode="lines+text",
        line={"color": INK, "width": 1.5, "dash": "dash"},
        text=["", label], textposition="top left", textfont={"color": INK},
        hoverinfo="text", hovertext=label,
    )


def _ranges(exclusions: Sequence[Exclusion]) -> list[tuple[date, date, str]]:
    return [(e.from_, e.to, e.reason) for e in exclusions
            if e.from_ is not None and e.to is not None]


def _excluded(first: date, last: date, reason: str, y_range: tuple[float, float]
              ) -> Trace:
    """A shaded range whose fill answers hover with the reason (shapes cannot hover)."""
    left, right = _iso(first), _iso(last + _DAY)
    low, high = y_range
    label = f"Excluded: {reason} ({day_range(first, last)})"
    return _scatter(
        x=[left, right, right, left, left], y=[low, low, high, high, low], mode="lines",
        fill="toself", fillcolor="rgba(153,153,153,0.25)", line={"width": 0},
        name=label, hoveron="fills", hoverinfo="text", text=label, showlegend=True,
    )


def _rules(plan: Plan) -> list[dict[str, Any]]:
    """A solid rule at the plan's start, dotted ones at its checkpoints."""
    def rule(day: date, dash: str) -> dict[str, Any]:
        return {"type": "line", "xref": "x", "yref": "paper", "x0": _iso(day), "x1": _iso(day),
                "y0": 0, "y1": 1, "line": {"color": INK, "width": 1, "dash": dash}}

    return [rule(plan.start, "solid"), *(rule(day, "dot") for day in plan.checkpoints)]


def _rule_labels(plan: Plan) -> list[dict[str, Any]]:
    def label(day: date, text: str) -> dict[str, Any]:
        return {"x": _iso(day), "xref": "x", "y": 1, "yref": "paper", "text": text,
                "showarrow": False, "xanchor": "left", "yanchor": "bottom",
                "font": {"size": 10, "color": INK}}

    return [label(plan.start, "Plan start"),
            *(label(day, f"Checkpoint {day.day} {day:%b}") for day in plan.checkpoints)]
