"""The metric catalog (DESIGN §3): each metric as data, and a pure function from evidence to events.

An event frame has one row per measured event: `key` (the event's record key, the provenance a
reviewer can open), `record` (the record an exclusion names: the pull request of a review, else
the key itself), `person` (the owner), `team` (only for samples a series map gives to a team),
`at` (the event time, UTC) and `value`. Point-in-time metrics (aged open tickets) give spells
instead: the row holds from `at` until `until` (NaT: still holds); an age-based spell also has
`since`, when its age started, and `min_age`, the age in seconds it needs net of excluded time.

A row may carry a `problem` (e.g. "resolved before created"): a record whose times contradict
each other. It is no measurement (its value is NaN) and is never counted, but it stays in the
frame so the evaluation lists it among a goal's excluded records with that reason, rather than
letting it vanish unexplained.

Sampled series (Prometheus) are autocorrelated, so their unit of evidence is the owner's day
in the configured zone (DESIGN §5.10): one event per series, owner and day, at the day's start,
keyed `source:series/YYYY-MM-DD`.

Bot accounts are left out everywhere: their work is not a person's evidence.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Literal, NamedTuple
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from config.plans import RATING_METRICS, Better, MetricRule
from evaluate.evidence import (
    Evidence,
    EvidenceReader,
    hours_between,
    is_set,
    lookup,
    names,
    utc,
)
from evaluate.ticket_history import TicketHistory
from ingest.records import (
    FAILED_DEPLOYMENT_STATES,
    FINISHED_DEPLOYMENT_STATES,
    SUCCESSFUL_DEPLOYMENT_STATES,
)

__all__ = [
    "METRICS",
    "MetricSpec",
    "Quantity",
    "Statistic",
    "Words",
    "is_known_metric",
    "metric_events",
    "metric_names",
    "metric_rules",
    "metric_spec",
    "quantity",
]

Statistic = Literal["median", "mean", "rate", "per_week", "count"]
Params = Mapping[str, Any]
EventFunction = Callable[[EvidenceReader, Params], pd.DataFrame]

DEFAULT_AGED_DAYS = 14


class Words(NamedTuple):
    """How a metric reads to a person: `label` names what is measured ("ticket resolution
    time"), `record` is one event's record ("ticket", plural with an "s"), `event` what
    happened to it ("resolved": "5 tickets were resolved"), and `symbol` follows a value
    ("h", "min", "%" for a ratio shown as a percentage, "" for a plain number)."""

    label: str
    record: str
    event: str
    symbol: str = ""


@dataclass(frozen=True)
class MetricSpec:
    """What a metric measures and how it is summarized by default."""

    name: str
    kinds: tuple[str, ...]
    statistic: Statistic
    better: Better | None
    unit: str
    roles: tuple[str, ...]
    words: Words
    events: EventFunction = field(repr=False, compare=False)
    binary: bool = False
    point_in_time: bool = False
    daily: bool = False

    @property
    def share_statistics(self) -> tuple[Statistic, ...]:
        """Statistics under which the values are shares from 0 to 1: the rate (or mean) of
        0/1 events, and a day's share or ratio (availability, error_rate)."""
        if self.daily:
            return ("mean", "median")
        return ("rate", "mean") if self.binary else ()

    @property
    def statistics(self) -> tuple[Statistic, ...]:
        """Statistics a goal may choose: `rate` needs 0/1 values, `count` needs spells. A daily
        value is a day's mean: counting days per week, or reading them as 0/1, means nothing."""
        if self.point_in_time:
            return ("count",)
        if self.daily:
            return ("mean", "median")
        return ("rate", "mean", "per_week") if self.binary else ("median", "mean", "per_week")


def _events(rows: pd.DataFrame, value: pd.Series | float, *, record: pd.Series | None = None
            ) -> pd.DataFrame:
    """The standard event frame (see the module docstring); text columns stay `object`, so a
    missing owner is None, not NaN."""
    keys = rows["key"].astype(str).to_numpy(dtype=object)
    values = value.to_numpy(dtype=float) if isinstance(value, pd.Series) else value
    team = names(rows["team"]) if "team" in rows else np.full(len(rows), None)
    text = {
        "key": keys,
        "record": keys if record is None else record.astype(str).to_numpy(dtype=object),
        "person": names(rows["person"]),
        "team": team,
    }
    return pd.DataFrame({
        **{name: pd.Series(column, dtype=object) for name, column in text.items()},
        "at": utc(rows["at"]).reset_index(drop=True),
        "value": np.broadcast_to(np.asarray(values, dtype=float), len(rows)).copy(),
    })


def _elapsed(rows: pd.DataFrame, since: pd.Series, *, backwards: str, per_hour: float = 1.0,
             record: pd.Series | None = None) -> pd.DataFrame:
    """Events valued by the time from `since` to the event, in hours (or `per_hour` units).
    A missing duration is no event (a ticket never started has no cycle time). A negative one
    is a data error, not a measurement: it is kept as a `problem` named by `backwards` (e.g.
    "resolved before created"), so the goal lists it as excluded instead of dropping it."""
    hours = hours_between(since.set_axis(rows.index), rows["at"]) * per_hour
    known = hours.notna()
    measured = hours[known]
    events = _events(rows[known], measured.mask(measured < 0),
                     record=None if record is None else record[known])
    problem = np.where((measured < 0).to_numpy(), backwards, np.array(None, dtype=object))
    return events.assign(problem=pd.Series(problem, index=events.index, dtype=object))


# Tickets ----------------------------------------------------------------------------------------


def _history(reader: EvidenceReader) -> TicketHistory:
    return reader.derived("ticket_history", lambda: TicketHistory.read(reader))


def _resolved_tickets(reader: EvidenceReader, *, reopened_open: bool = False) -> pd.DataFrame:
    """Resolved tickets with `at` = resolution and `person` = assignee at resolution, and
    `code`, the ticket's row in the history."""

    def compute() -> pd.DataFrame:
        history = _history(reader)
        resolved = history.resolution_times(reopened_open=reopened_open)
        done = history.tickets.assign(at=resolved, code=history.codes)[resolved.notna()]
        return done.assign(person=history.assignee_at(done["code"].to_numpy(), done["at"]))

    return reader.derived(("resolved_tickets", reopened_open), compute)


def ticket_resolution_hours(reader: EvidenceReader, params: Params) -> pd.DataFrame:
    done = _resolved_tickets(reader)
    return _elapsed(done, done["created"], backwards="resolved before created")


def ticket_cycle_hours(reader: EvidenceReader, params: Params) -> pd.DataFrame:
    """Tickets that never entered an In Progress-category status have no cycle time."""
    done = _resolved_tickets(reader)
    started = _history(reader).first_progress_entry().iloc[done["code"].to_numpy()]
    return _elapsed(done, started, backwards="resolved before work on it started")


def tickets_resolved(reader: EvidenceReader, params: Params) -> pd.DataFrame:
    return _events(_resolved_tickets(reader), 1.0)


def ticket_reopen_rate(reader: EvidenceReader, params: Params) -> pd.DataFrame:
    """A ticket reopened and still open counts at its last entry into done."""
    done = _resolved_tickets(reader, reopened_open=True)
    return _events(done, _history(reader).reopened()[done["code"].to_numpy()].astype(float))


def _local_midnight(days: pd.Series, tz: ZoneInfo) -> pd.Series:
    """The instant each naive calendar day begins in `tz`, in UTC; a midnight a DST change
    skips moves forward (as `evaluate.windows.day_start` does)."""
    midnight = days.dt.normalize().dt.as_unit("ns")
    local = midnight.dt.tz_localize(
        tz, ambiguous=np.ones(len(midnight), dtype=bool), nonexistent="shift_forward"
    )
    converted: pd.Series = local.dt.tz_convert("UTC")
    return converted


def _end_of_day(days: pd.Series, tz: ZoneInfo) -> pd.Series:
    """The instant a calendar day ends in `tz` (next midnight), in UTC."""
    stamps = pd.to_datetime(days, errors="coerce")
    if getattr(stamps.dt, "tz", None) is not None:
        stamps = stamps.dt.tz_localize(None)
    return _local_midnight(stamps + pd.Timedelta(days=1), tz)


def due_date_adherence(reader: EvidenceReader, params: Params) -> pd.DataFrame:
    """Resolved before the due date's end of day in the configured zone."""
    done = _resolved_tickets(reader)
    deadline = _end_of_day(done["due"], reader.tz)
    dated = deadline.notna()
    return _events(done[dated], (done["at"][dated] < deadline[dated]).astype(float))


def aged_open_tickets(reader: EvidenceReader, params: Params) -> pd.DataFrame:
    """Spells in which a ticket was open longer than `days` and held by `person`. The age
    counts from `since` (creation); `min_age` (seconds) lets a plan's measurement take its
    excluded time off that age: leave is no time in which a ticket could have been worked."""
    days = float(params.get("days", DEFAULT_AGED_DAYS))
    spells = _history(reader).open_assigned_spells(pd.Timedelta(days=days))
    return _events(spells, 1.0).assign(
        until=spells["until"].to_numpy(), since=spells["created"].to_numpy(),
        min_age=pd.Timedelta(days=days).total_seconds(),
    )


# Pull requests and reviews ----------------------------------------------------------------------

PR_COLUMNS = ("key", "url", "person", "created", "ready_for_review", "merged", "is_bot")
REVIEW_COLUMNS = ("key", "url", "pr", "person", "state", "submitted", "is_bot")


def _merged_prs(reader: EvidenceReader) -> pd.DataFrame:
    prs = reader.frame("pull_request", PR_COLUMNS)
    merged = prs[prs["merged"].notna() & ~prs["is_bot"]]
    return merged.assign(key=merged["key"].astype(str), at=merged["merged"])


def _peer_reviews(reader: EvidenceReader) -> pd.DataFrame:
    """Reviews by people other than the pull request's author, with the PR's times attached."""

    def compute() -> pd.DataFrame:
        reviews = reader.frame("review", REVIEW_COLUMNS)
        reviews = reviews[reviews["submitted"].notna() & ~reviews["is_bot"]]
        prs = reader.frame("pull_request", PR_COLUMNS)
        prs = prs.assign(pr=prs["key"].astype(str)).drop_duplicates("pr", keep="last")
        joined = reviews.assign(pr=reviews["pr"].astype(str)).merge(
            prs[["pr", "person", "created", "ready_for_review", "merged"]],
            on="pr", how="left", suffixes=("", "_author"),
        )
        own = joined["person"].notna() & joined["person"].eq(joined["person_author"])
        return joined[~own].reset_index(drop=True)

    return reader.derived("peer_reviews", compute)


def _review_states(reader: EvidenceReader, state: str) -> pd.Series:
    """Per pull request key, how many peer reviews before the merge had `state`."""
    reviews = _peer_reviews(reader)
    before_merge = reviews["merged"].notna() & (reviews["submitted"] <= reviews["merged"])
    return reviews[before_merge & reviews["state"].eq(state)].groupby("pr").size()


def pr_lead_time_hours(reader: EvidenceReader, params: Params) -> pd.DataFrame:
    prs = _merged_prs(reader)
    return _elapsed(prs, prs["created"], backwards="merged before created")


def pr_first_pass_approval_rate(reader: EvidenceReader, params: Params) -> pd.DataFrame:
    """Approved with no changes requested; a dismissed review is not a change request."""
    prs = _merged_prs(reader)
    approved = lookup(prs["key"], _review_states(reader, "APPROVED")).fillna(0) > 0
    changes = lookup(prs["key"], _review_states(reader, "CHANGES_REQUESTED")).fillna(0) > 0
    return _events(prs, (approved & ~changes).astype(float))


def pr_review_rounds(reader: EvidenceReader, params: Params) -> pd.DataFrame:
    prs = _merged_prs(reader)
    rounds = lookup(prs["key"], _review_states(reader, "CHANGES_REQUESTED")).fillna(0)
    return _events(prs, rounds)


def _first_reviews(reader: EvidenceReader) -> pd.DataFrame:
    """Each reviewer's first review of each pull request (attributed reviewers only)."""
    reviews = _peer_reviews(reader)
    reviews = reviews[reviews["person"].notna()]
    reviews = reviews.assign(person=reviews["person"].astype(str), at=reviews["submitted"])
    first = reviews.sort_values("at", kind="stable").drop_duplicates(["pr", "person"])
    return first.reset_index(drop=True)


def _latest_requests(first: pd.DataFrame, reader: EvidenceReader) -> pd.Series:
    """The latest review request for the same reviewer at or before their first review."""
    requests = reader.frame("review_request", ("pr", "person", "at"))
    requests = requests[requests["person"].notna() & requests["at"].notna()]
    requests = requests.assign(pr=requests["pr"].astype(str), person=requests["person"].astype(str))
    left = first[["pr", "person", "at"]].assign(_row=np.arange(len(first))).sort_values("at")
    right = requests.rename(columns={"at": "requested"}).sort_values("requested")
    matched = pd.merge_asof(
        left, right, left_on="at", right_on="requested", by=["pr", "person"], direction="backward"
    )
    return matched.sort_values("_row")["requested"].set_axis(first.index)


def review_turnaround_hours(reader: EvidenceReader, params: Params) -> pd.DataFrame:
    """From the latest request to that reviewer, else the PR being ready, else its creation."""
    first = _first_reviews(reader)
    ready = first["ready_for_review"].where(first["ready_for_review"] <= first["at"])
    since = _latest_requests(first, reader).fillna(ready).fillna(first["created"])
    return _elapsed(first, since, record=first["pr"],
                    backwards="reviewed before the pull request was created")


def reviews_given(reader: EvidenceReader, params: Params) -> pd.DataFrame:
    reviews = _peer_reviews(reader)
    reviews = reviews[reviews["person"].notna()]
    reviews = reviews.drop_duplicates(["pr", "person", "submitted"]).assign(at=reviews["submitted"])
    return _events(reviews, 1.0, record=reviews["pr"])


# Deployments and incidents ----------------------------------------------------------------------

DEPLOYMENT_COLUMNS = (
    "key", "url", "person", "created", "finished", "state", "failure_reason", "is_bot"
)
INCIDENT_COLUMNS = ("key", "url", "person", "created", "acknowledged", "resolved")


def _finished_deployments(reader: EvidenceReader) -> pd.DataFrame:
    """Deployments in a final state, at their finish. A CSV export may leave `finished` empty
    for a deployment whose state is final: its start is then the best time we have, and
    dropping it would hide a failure from change_failure_rate."""
    deployments = reader.frame("deployment", DEPLOYMENT_COLUMNS)
    state = deployments["state"].astype(str).str.lower()
    when = deployments["finished"].fillna(deployments["created"])
    finished = when.notna() & state.isin(FINISHED_DEPLOYMENT_STATES) & ~deployments["is_bot"]
    return deployments[finished].assign(at=when[finished], state=state)


def deployments(reader: EvidenceReader, params: Params) -> pd.DataFrame:
    return _events(_finished_deployments(reader), 1.0)


def deployment_success_rate(reader: EvidenceReader, params: Params) -> pd.DataFrame:
    finished = _finished_deployments(reader)
    return _events(finished, finished["state"].isin(SUCCESSFUL_DEPLOYMENT_STATES).astype(float))


def change_failure_rate(reader: EvidenceReader, params: Params) -> pd.DataFrame:
    """Failed, or followed by an incident (the loader sets `failure_reason` for those)."""
    finished = _finished_deployments(reader)
    failed = finished["state"].isin(FAILED_DEPLOYMENT_STATES) | is_set(finished["failure_reason"])
    return _events(finished, failed.astype(float))


def _incidents(reader: EvidenceReader, at: str) -> pd.DataFrame:
    incidents = reader.frame("incident", INCIDENT_COLUMNS)
    kept = incidents[at].notna() & incidents["created"].notna()
    return incidents[kept].assign(at=incidents[at])


def incident_mttr_hours(reader: EvidenceReader, params: Params) -> pd.DataFrame:
    resolved = _incidents(reader, "resolved")
    return _elapsed(resolved, resolved["created"], backwards="resolved before created")


def incident_mtta_minutes(reader: EvidenceReader, params: Params) -> pd.DataFrame:
    """Never-acknowledged incidents have no time to acknowledge."""
    acknowledged = _incidents(reader, "acknowledged")
    return _elapsed(acknowledged, acknowledged["created"], per_hour=60,
                    backwards="acknowledged before created")


def incidents_owned(reader: EvidenceReader, params: Params) -> pd.DataFrame:
    return _events(_incidents(reader, "created"), 1.0)


# Samples and ratings ----------------------------------------------------------------------------


def _team_name(owner: pd.Series) -> pd.Series:
    """Team owners may arrive as "platform" or "team:platform"."""
    codes, uniques = pd.factorize(pd.Series(names(owner), dtype=object))
    teams = np.array([name.removeprefix("team:") for name in uniques] + [None], dtype=object)
    return pd.Series(teams[codes], index=owner.index, dtype=object)


SAMPLE_COLUMNS = ("key", "source", "series", "person", "team", "metric", "at", "value")


def _samples(reader: EvidenceReader, metric: str) -> pd.DataFrame:
    """A series' samples with a finite value. Prometheus writes a division by zero as "+Inf"
    or "NaN": neither is a measurement, and an infinite one would make a mean infinite (or,
    for availability, read as "down"), so both are left out here, before any value is read."""
    samples = reader.frame("sample", SAMPLE_COLUMNS)
    samples = samples[samples["metric"].eq(metric) & samples["at"].notna()]
    values = pd.to_numeric(samples["value"], errors="coerce")
    samples = samples.assign(value=values, team=_team_name(samples["team"]))
    owned = is_set(samples["person"]) | samples["team"].notna()
    return samples[_finite(values) & owned]


def _finite(values: pd.Series) -> pd.Series:
    """True where a value is a real number: not missing, NaN or ±inf."""
    return pd.Series(np.isfinite(values.to_numpy(dtype=float)), index=values.index)


def _sample_days(samples: pd.DataFrame, value: pd.Series, tz: ZoneInfo) -> pd.DataFrame:
    """One event per series, owner and calendar day in `tz`, valued by the mean of the day's
    `value`s (DESIGN §5.10). Five-minute samples are not independent events: resampling them
    would give intervals far too narrow, and list hundreds of keys a day. The event sits at
    the day's first instant, so it falls in exactly the windows and exclusions (whole days
    in the same zone) that hold the day."""
    series = samples["source"].astype(str) + ":" + samples["series"].astype(str)
    local = samples["at"].dt.tz_convert(tz).dt.tz_localize(None).dt.normalize()
    days = pd.DataFrame({
        "series": series, "person": names(samples["person"]), "team": samples["team"],
        "day": local, "value": value.astype(float),
    }).groupby(["series", "person", "team", "day"], dropna=False, sort=True)["value"].mean()
    rows = days.reset_index()
    key = rows["series"] + "/" + rows["day"].dt.strftime("%Y-%m-%d")
    return _events(rows.assign(key=key, at=_local_midnight(rows["day"], tz)), rows["value"])


def error_rate(reader: EvidenceReader, params: Params) -> pd.DataFrame:
    """The day's mean error ratio."""
    samples = _samples(reader, "error_rate")
    return _sample_days(samples, samples["value"], reader.tz)


def availability(reader: EvidenceReader, params: Params) -> pd.DataFrame:
    """The day's share of samples that were up (an up-style series reads 1 when up)."""
    samples = _samples(reader, "availability")
    return _sample_days(samples, samples["value"].eq(1), reader.tz)


def rating_events(name: str, reader: EvidenceReader, params: Params) -> pd.DataFrame:
    ratings = reader.frame("rating", ("key", "person", "name", "value", "at"))
    values = pd.to_numeric(ratings["value"], errors="coerce")
    kept = ratings["name"].eq(name) & ratings["at"].notna() & _finite(values)
    return _events(ratings[kept], values[kept])


# The catalog ------------------------------------------------------------------------------------

_ALL = ("developer", "support", "sre", "security")
_TICKETS = ("ticket", "ticket_change")
_PRS = ("pull_request", "review")
_HOURS, _RATE = "h", "%"
_CATALOG = (
    MetricSpec("ticket_resolution_hours", _TICKETS, "median", "lower", "hours",
               ("support", "developer"),
               Words("ticket resolution time", "ticket", "resolved", _HOURS),
               ticket_resolution_hours),
    MetricSpec("ticket_cycle_hours", _TICKETS, "median", "lower", "hours", _ALL,
               Words("ticket cycle time", "ticket", "resolved", _HOURS), ticket_cycle_hours),
    MetricSpec("tickets_resolved", _TICKETS, "per_week", "higher", "tickets per active week", _ALL,
               Words("tickets resolved", "ticket", "resolved"), tickets_resolved),
    MetricSpec("ticket_reopen_rate", _TICKETS, "rate", "lower", "share of resolved tickets", _ALL,
               Words("ticket reopen rate", "ticket", "resolved", _RATE), ticket_reopen_rate,
               binary=True),
    MetricSpec("aged_open_tickets", _TICKETS, "count", "lower", "open tickets", ("support",),
               Words("aged open tickets", "ticket", "open"), aged_open_tickets,
               point_in_time=True),
    MetricSpec("due_date_adherence", _TICKETS, "rate", "higher", "share of tickets with a due date",
               _ALL, Words("due-date adherence", "ticket", "resolved with a due date", _RATE),
               due_date_adherence, binary=True),
    MetricSpec("pr_lead_time_hours", ("pull_request",), "median", "lower", "hours", ("developer",),
               Words("pull request lead time", "pull request", "merged", _HOURS),
               pr_lead_time_hours),
    MetricSpec("pr_first_pass_approval_rate", _PRS, "rate", "higher", "share of merged PRs",
               ("developer",), Words("first-pass approval rate", "pull request", "merged", _RATE),
               pr_first_pass_approval_rate, binary=True),
    MetricSpec("pr_review_rounds", _PRS, "mean", "lower", "changes-requested reviews per merged PR",
               ("developer",), Words("review rounds per pull request", "pull request", "merged"),
               pr_review_rounds),
    MetricSpec("review_turnaround_hours", (*_PRS, "review_request"), "median", "lower", "hours",
               ("developer",), Words("review turnaround time", "review", "submitted", _HOURS),
               review_turnaround_hours),
    MetricSpec("reviews_given", _PRS, "per_week", "higher", "reviews per active week",
               ("developer",), Words("reviews given", "review", "given"), reviews_given),
    MetricSpec("deployments", ("deployment",), "per_week", "higher", "deployments per active week",
               ("developer", "sre"), Words("deployments", "deployment", "finished"), deployments),
    MetricSpec("deployment_success_rate", ("deployment",), "rate", "higher", "share of deployments",
               ("developer", "sre"), Words("deployment success rate", "deployment", "finished",
                                           _RATE), deployment_success_rate, binary=True),
    # Incidents decide which deployments failed (evaluate.failures), so they are read too.
    MetricSpec("change_failure_rate", ("deployment", "incident"), "rate", "lower",
               "share of deployments", ("developer", "sre"),
               Words("change failure rate", "deployment", "finished", _RATE),
               change_failure_rate, binary=True),
    MetricSpec("incident_mttr_hours", ("incident",), "median", "lower", "hours", ("sre", "support"),
               Words("incident resolution time", "incident", "resolved", _HOURS),
               incident_mttr_hours),
    MetricSpec("incident_mtta_minutes", ("incident",), "median", "lower", "minutes",
               ("sre", "support"), Words("incident acknowledgement time", "incident",
                                         "acknowledged", "min"), incident_mtta_minutes),
    MetricSpec("incidents_owned", ("incident",), "per_week", None, "incidents per active week",
               ("sre", "support"), Words("incidents owned", "incident", "assigned"),
               incidents_owned),
    MetricSpec("error_rate", ("sample",), "mean", "lower", "error ratio (mean of daily means)",
               ("sre", "developer"), Words("error rate", "day", "sampled", _RATE), error_rate,
               daily=True),
    MetricSpec("availability", ("sample",), "mean", "higher",
               "share of samples up (mean over days)", ("sre",),
               Words("availability", "day", "sampled", _RATE), availability, daily=True),
)

METRICS: Mapping[str, MetricSpec] = {spec.name: spec for spec in _CATALOG}

_RATING_NAME = re.compile(r"rating:([A-Za-z0-9][A-Za-z0-9_.-]*)")


def metric_names() -> tuple[str, ...]:
    """The fixed catalog names; `rating:NAME` metrics are open-ended (see `is_known_metric`)."""
    return tuple(METRICS)


def metric_rules() -> dict[str, MetricRule]:
    """The catalog as config checks plan goals against it (config cannot import evaluate);
    every `rating:NAME` metric under the one key `RATING_METRICS`."""
    specs = [*METRICS.values(), metric_spec(RATING_METRICS)]
    return {spec.name: _rule(spec) for spec in specs}


def _rule(spec: MetricSpec) -> MetricRule:
    return MetricRule(spec.statistics, spec.better is not None, better=spec.better,
                      statistic=spec.statistic, share_statistics=spec.share_statistics,
                      unit=spec.unit)


def is_known_metric(name: str) -> bool:
    return name in METRICS or _RATING_NAME.fullmatch(name) is not None


def metric_spec(name: str) -> MetricSpec:
    """The catalog entry, or a generic one for `rating:NAME` (mean of those ratings)."""
    if name in METRICS:
        return METRICS[name]
    match = _RATING_NAME.fullmatch(name)
    if match is None:
        raise KeyError(f"unknown metric {name!r}; known: {', '.join(METRICS)}, rating:NAME")
    return MetricSpec(name, ("rating",), "mean", "higher", "rating (1–5)", _ALL,
                      Words(f"{match.group(1)} rating", "rating", "given"),
                      partial(rating_events, match.group(1)))


@dataclass(frozen=True)
class Quantity:
    """How one goal's values read: a metric in words depends on its statistic too (a
    resolution time counted per week is tickets per week, not hours)."""

    title: str  # the metric in words, e.g. "Median ticket resolution time"
    unit: str  # for an axis: "hours", "%", "tickets per week"
    symbol: str  # after a number: "h", "%", "per week", ""
    record: str  # "ticket"
    event: str  # "resolved"
    counted: bool = False  # whole counts (open tickets): no decimals when whole

    @property
    def records(self) -> str:
        return f"{self.record}s"

    @property
    def percent(self) -> bool:
        """Values are ratios (0–1) shown as percentages."""
        return self.symbol == "%"

    def number(self, value: float, *, compact: bool = False) -> str:
        """The value without its unit: one decimal ("22.0"); percentages whole from 10% ("47%",
        "2.5%"); whole counts and percentages without decimals; `compact` drops a ".0" too
        (a target of "24 h")."""
        shown = round(value * 100 if self.percent else value, 9)
        whole = shown == round(shown)
        if whole and (compact or self.counted or self.percent):
            return f"{shown:.0f}"
        if self.percent and abs(shown) >= 10:
            return f"{shown:.0f}"
        return f"{shown:.1f}"

    def format(self, value: float, *, compact: bool = False) -> str:
        """"41.5 h", "47%", "3.5 per week", "3.8"; `compact` as in `number`."""
        number = self.number(value, compact=compact)
        if not self.symbol:
            return number
        return f"{number}%" if self.percent else f"{number} {self.symbol}"

    def count(self, n: int) -> str:
        """"1 ticket", "37 tickets"."""
        return f"{n} {self.record if n == 1 else self.records}"


def quantity(metric: str, statistic: Statistic) -> Quantity:
    """The goal's metric in words and its unit (see `Quantity`)."""
    spec = metric_spec(metric)
    words = spec.words
    plural = f"{words.record}s"
    if statistic == "per_week":
        return Quantity(f"{plural} {words.event} per week".capitalize(), f"{plural} per week",
                        "per week", words.record, words.event)
    percent = spec.binary or words.symbol == "%"
    symbol = "%" if percent else words.symbol
    unit = "%" if percent else spec.unit
    if statistic in ("median", "mean") and not spec.binary:
        title = f"{statistic} {words.label}"
    else:
        title = words.label
    return Quantity(title[0].upper() + title[1:], unit, symbol, words.record, words.event,
                    counted=statistic == "count")


def metric_events(name: str, evidence: Evidence | EvidenceReader, *, tz: ZoneInfo | None = None,
                  params: Params | None = None) -> pd.DataFrame:
    """The metric's events for everyone in the evidence (see the module docstring). Pass an
    `EvidenceReader` to share what several metrics derive from the same evidence.

    An event without a time or a finite value is left out: an infinite value is no more a
    measurement than NaN, and one would turn a whole window's mean into ±inf (reported as
    null, yet judged as a number). A row with a `problem` stays, to be reported."""
    reader = evidence if isinstance(evidence, EvidenceReader) else EvidenceReader(
        evidence, tz or ZoneInfo("UTC")
    )
    events = metric_spec(name).events(reader, params or {})
    for spell_bound in ("until", "since"):
        if spell_bound in events:
            events = events.assign(**{spell_bound: utc(events[spell_bound])})
    problem = is_set(events["problem"]) if "problem" in events else False
    measured = events["at"].notna() & (_finite(events["value"]) | problem)
    return events[measured].reset_index(drop=True)
