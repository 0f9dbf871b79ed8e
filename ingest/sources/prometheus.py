"""Prometheus: samples of configured PromQL series, attributed to people through a label map.

Each configured series is one stream (`samples:<metric>`) read with `/api/v1/query_range`
(POST form, so long PromQL never breaks a proxy's URL limit). Choices, and why:

- Prometheus refuses a range query over 11,000 points per series, so ranges are cut into chunks
  of at most `MAX_POINTS` instants ((end - start) / step + 1 ≤ 11,000).
- Query instants are aligned to multiples of the step since the Unix epoch: a re-read evaluates
  the same instants, so its samples upsert onto the same (series, at) keys instead of adding
  copies shifted by a few seconds.
- The cursor is the last instant queried (ISO 8601, UTC), committed with that chunk's samples. A
  run re-reads `lookback` behind it (late scrapes, recording rules catching up); the first run
  starts `backfill_days` (default 90) before now. A series with a gap does not make every run
  re-scan the gap.
- NaN and ±Inf carry no value (an error ratio with no traffic is 0/0): skipped and counted in the
  log. A value that does not parse as a number is quarantined with its series and timestamp.
- A series whose `owner_label` value is not in `owners` is skipped, not stored: `Sample.owner`
  is required and a sample nobody owns is evidence about no one. Each run logs, per stream, the
  unmapped label values and how many samples they had, so the owner map can be completed.
- `Sample.series` is the catalog metric plus the sorted labels without `__name__`, e.g.
  `availability{instance="api-1:9100",job="api"}`. When several queries feed one metric, each
  series also names its query by a short hash (`availability:1a2b3c4d{...}`, as the stream name
  does), so two queries giving the same labels do not overwrite each other's samples. A query
  whose results differ only by metric name would collide there, so the later duplicates are
  quarantined, values and all, instead of overwriting.
"""

from __future__ import annotations

import hashlib
import logging
import math
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from config.secrets import read_secret
from config.sources import PrometheusSeries, PrometheusSource
from ingest.http import HttpSession
from ingest.records import Record, Sample
from ingest.sources.connector import SyncContext, first_sync_start
from ingest.sync import Page, Reject, Stream, parse_or_quarantine

log = logging.getLogger(__name__)

QUERY_RANGE = "/api/v1/query_range"
MAX_POINTS = 11_000
SAMPLE_ERRORS = (TypeError, ValueError, OverflowError)  # not [time, "number"], or no time

Clock = Callable[[], datetime]


class PrometheusError(RuntimeError):
    """Prometheus refused a query or answered something that is not a range-query result."""


def _now() -> datetime:
    return datetime.now(UTC)


def align(moment: datetime, step: int) -> int:
    """Unix seconds of the last step boundary at or before `moment`."""
    seconds = math.floor(moment.timestamp())
    return seconds - seconds % step


def chunks(
    start: int, end: int, step: int, *, max_points: int = MAX_POINTS
) -> list[tuple[int, int]]:
    """Consecutive [start, end] ranges (inclusive, on the step grid), each ≤ `max_points`."""
    span = (max_points - 1) * step
    ranges: list[tuple[int, int]] = []
    first = start
    while first <= end:
        last = min(end, first + span)
        ranges.append((first, last))
        first = last + step
    return ranges


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def series_name(metric: str, labels: Mapping[str, str], query_tag: str | None = None) -> str:
    """`metric{a="1",b="2"}`, or `metric:<query tag>{...}` when several queries feed the metric:
    stable whatever order Prometheus lists the labels in."""
    body = ",".join(
        f'{name}="{_escape(value)}"' for name, value in sorted(labels.items()) if name != "__name__"
    )
    tagged = metric if query_tag is None else f"{metric}:{query_tag}"
    return f"{tagged}{{{body}}}"


def query_tags(series: Sequence[PrometheusSeries]) -> list[str | None]:
    """A short hash of each query feeding a metric that several queries feed; None otherwise, so
    the common one-query metric keeps plain series names and keys."""
    counts = Counter(s.metric for s in series)
    return [
        hashlib.sha256(s.query.encode()).hexdigest()[:8] if counts[s.metric] > 1 else None
        for s in series
    ]


@dataclass
class ChunkResult:
    """What one range query gave: samples to store, rejects, and what was left out."""

    samples: list[Sample] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)
    no_value: int = 0  # NaN / ±Inf samples skipped
    unowned: Counter[str] = field(default_factory=Counter)  # owner label value → samples


def _parse_pair(pair: Any) -> tuple[datetime, float]:
    instant, text = pair
    return datetime.fromtimestamp(float(instant), UTC), float(text)


def _parse_series(
    item: Mapping[str, Any],
    *,
    source: str,
    series: PrometheusSeries,
    query_tag: str | None,
    result: ChunkResult,
) -> str | None:
    """Adds one result series' samples to `result`; returns its name, or None if unowned."""
    labels: Mapping[str, str] = item.get("metric") or {}
    values: Sequence[Any] = item.get("values") or ()  # native histograms: not supported
    label_value = labels.get(series.owner_label, "")
    owner = series.owners.get(label_value)
    if owner is None:
        result.unowned[label_value or f"(no {series.owner_label} label)"] += len(values)
        return None
    name = series_name(series.metric, labels, query_tag)

    def parse(pair: Any) -> list[Sample]:
        at, value = _parse_pair(pair)
        if not math.isfinite(value):
            result.no_value += 1
            return []
        return [
            Sample(
                source=source, series=name, metric=series.metric, owner=owner, at=at, value=value
            )
        ]

    def reject(pair: Any, exc: Exception) -> Reject:
        payload = {"series": name, "metric": dict(labels), "value": pair}
        return Reject(payload, f"unparseable sample {pair!r}: {exc}")

    samples, rejects = parse_or_quarantine(values, parse, reject=reject, errors=SAMPLE_ERRORS)
    result.samples += samples
    result.rejects += rejects
    return name


def parse_matrix(
    matrix: Sequence[Mapping[str, Any]],
    *,
    source: str,
    series: PrometheusSeries,
    query_tag: str | None = None,
) -> ChunkResult:
    """Turns a query_range `result` array into samples: the boundary past which all is typed.
    `query_tag` (see `query_tags`) goes into the series names."""
    result = ChunkResult()
    seen: set[str] = set()
    for item in matrix:
        before = len(result.samples)
        name = _parse_series(item, source=source, series=series, query_tag=query_tag, result=result)
        if name is None:
            continue
        if name in seen:
            del result.samples[before:]
            error = f"series {name} returned twice (the query yields several metric names)"
            payload = {
                "series": name,
                "metric": dict(item.get("metric") or {}),
                "values": list(item.get("values") or ()),  # as Prometheus gave them
            }
            result.rejects.append(Reject(payload, error))
        seen.add(name)
    return result


def _error_text(response: Any) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200]
    if isinstance(body, dict) and body.get("status") == "error":
        return f"{body.get('errorType')}: {body.get('error')}"
    return str(body)[:200]


def query_range(
    session: HttpSession, url: str, query: str, start: int, end: int, step: int
) -> list[dict[str, Any]]:
    """One range query; any refusal is fatal and says what Prometheus said."""
    form = {"query": query, "start": str(start), "end": str(end), "step": str(step)}
    response = session.post(url + QUERY_RANGE, data=form)
    if response.status_code != 200:
        raise PrometheusError(
            f"{url}{QUERY_RANGE} answered {response.status_code} for {query!r}: "
            f"{_error_text(response)}"
        )
    body = response.json()
    data = body.get("data") or {}
    if body.get("status") != "success" or data.get("resultType") != "matrix":
        raise PrometheusError(f"{url}{QUERY_RANGE}: not a range-query result: {str(body)[:200]}")
    for warning in body.get("warnings") or ():
        log.warning("prometheus warns about %r: %s", query, warning)
    return list(data.get("result") or [])


def authorize(source: PrometheusSource, session: HttpSession) -> None:
    """Bearer token or basic credentials, read when a run starts: a missing secret is an error
    in that run's log, not at start-up."""
    if source.token_env:
        token = read_secret(source.token_env).get_secret_value()
        session.headers["Authorization"] = f"Bearer {token}"
    elif source.user_env and source.password_env:
        user = read_secret(source.user_env).get_secret_value()
        session.auth = (user, read_secret(source.password_env).get_secret_value())


@dataclass(frozen=True)
class SeriesReader:
    """Everything one stream needs to read its series from a cursor up to now."""

    source: PrometheusSource
    series: PrometheusSeries
    query_tag: str | None
    session: HttpSession
    lookback: timedelta
    backfill: timedelta
    clock: Clock
    reach_back: datetime | None = None  # a first sync reads back at least this far

    def start(self, cursor: str | None) -> int:
        step = self.source.step_seconds
        if cursor is None:
            return align(first_sync_start(self.clock() - self.backfill, self.reach_back), step)
        return align(datetime.fromisoformat(cursor) - self.lookback, step)

    def reads_from(self) -> datetime:
        return datetime.fromtimestamp(self.start(None), UTC)

    def pages(self, cursor: str | None) -> Iterator[Page]:
        authorize(self.source, self.session)
        step = self.source.step_seconds
        no_value, unowned = 0, Counter[str]()
        for first, last in chunks(self.start(cursor), align(self.clock(), step), step):
            matrix = query_range(
                self.session, self.source.url, self.series.query, first, last, step
            )
            result = parse_matrix(
                matrix, source=self.source.name, series=self.series, query_tag=self.query_tag
            )
            no_value, unowned = no_value + result.no_value, unowned + result.unowned
            stamp = datetime.fromtimestamp(last, UTC).isoformat()
            records: list[Record] = list(result.samples)
            yield Page(records, result.rejects, cursor=stamp)
        self._report(no_value, unowned)

    def _report(self, no_value: int, unowned: Counter[str]) -> None:
        where = f"{self.source.name}/{self.series.metric}"
        if no_value:
            log.info("%s: skipped %d NaN/Inf samples (no value)", where, no_value)
        if unowned:
            listed = ", ".join(f"{value} ({n} samples)" for value, n in unowned.most_common())
            log.warning(
                "%s: skipped series whose %s is not in owners: %s",
                where,
                self.series.owner_label,
                listed,
            )


def stream_names(series: Sequence[PrometheusSeries]) -> list[str]:
    """`samples:<metric>`; a metric fed by several queries gets a short hash of each query."""
    return [
        f"samples:{s.metric}" if tag is None else f"samples:{s.metric}:{tag}"
        for s, tag in zip(series, query_tags(series), strict=True)
    ]


def streams(
    source: PrometheusSource,
    *,
    lookback: timedelta,
    backfill: timedelta | None = None,
    clock: Clock = _now,
    session: HttpSession | None = None,
    reach_back: datetime | None = None,
) -> list[Stream]:
    """One stream per configured series, sharing one session (and its request counter). A first
    sync reads `backfill` (default: the source's `backfill_days`) back, or to `reach_back`."""
    http = session if session is not None else HttpSession()
    backfill = backfill or timedelta(days=source.backfill_days)
    readers = [
        SeriesReader(source, series, tag, http, lookback, backfill, clock, reach_back)
        for series, tag in zip(source.series, query_tags(source.series), strict=True)
    ]
    return [
        Stream(source.name, name, reader.pages, lambda: http.requests_issued, kinds=("sample",),
               reads_from=reader.reads_from)
        for name, reader in zip(stream_names(source.series), readers, strict=True)
    ]


def connector(context: SyncContext[PrometheusSource]) -> list[Stream]:
    session = HttpSession(timeout=context.timeout)
    return streams(context.source, lookback=context.lookback, reach_back=context.reach_back,
                   session=session)


__all__ = [
    "MAX_POINTS",
    "ChunkResult",
    "PrometheusError",
    "align",
    "authorize",
    "chunks",
    "connector",
    "parse_matrix",
    "query_range",
    "query_tags",
    "series_name",
    "stream_names",
    "streams",
]
