"""Measuring many windows at once (DESIGN §5.1): one sorted pass per metric, not a scan per goal.

A metric's events are sorted once by owner and time, so the events of one person (or one team)
in one window are a contiguous run found by binary search. Every window a batch of plans asks
about — baseline, current, each week, the team's — becomes a `Request`; `EventIndex.measure`
answers all requests for one statistic with a handful of vectorized numpy calls, so a thousand
plans cost little more than one.

Times are whole UTC seconds: window bounds are midnights, so `floor(at) >= lo` exactly when
`at >= lo`; spell bounds are rounded up for the same reason.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import NamedTuple, TypeVar

import numpy as np
import pandas as pd

from config.people import Person
from evaluate.evidence import names, utc_nanos
from evaluate.windows import Exclusions, Span, Weeks, active_weeks, measurement_instant

__all__ = ["EventIndex", "Measurement", "Request", "SeriesRequest", "Weekly"]

_GROUP = np.int64(1 << 34)  # each owner's events occupy one block of the composite sort key
_OFFSET = np.int64(1 << 33)  # seconds since the epoch, shifted to be non-negative
_OPEN_ENDED = np.iinfo(np.int64).max
_NAT = np.iinfo(np.int64).min  # how `utc_nanos` reads NaT
_EMPTY = np.empty(0)
_Asked = TypeVar("_Asked", "Request", "SeriesRequest")
_Answer = TypeVar("_Answer")


@dataclass(frozen=True)
class Request:
    """One window to measure: the person's own events, or with `team`, the rest of that team
    (the person left out) plus the samples a series map gives to the team itself. The plan's
    exclusions apply either way, so both sides cover the same active time.
    `audit` keeps the record keys used and those excluded, with their reasons."""

    person: str
    span: Span
    exclusions: Exclusions
    team: str | None = None
    audit: bool = False


@dataclass(frozen=True)
class SeriesRequest:
    """Many consecutive windows of one owner (the weeks of a trend chart), measured in one
    look-up rather than one `Request` each: a chart has some twenty-six weeks per goal, which
    as requests would cost more than the rest of the evaluation. `weeks` are in time order and
    do not overlap; events between them count in none."""

    person: str
    weeks: Weeks
    exclusions: Exclusions
    team: str | None = None

    def covering(self) -> Request:
        """One request from the first week's start to the last week's end."""
        return Request(self.person, self.weeks.whole, self.exclusions, self.team)



class Weekly(NamedTuple):
    """Each week's value (NaN where undefined), event count and active weeks (0 to 1)."""

    value: np.ndarray
    n: np.ndarray
    active_weeks: np.ndarray

    def values(self, shown: np.ndarray | None = None) -> list[float | None]:
        """Plain numbers, None where undefined or not `shown`."""
        kept = self.value if shown is None else np.where(shown, self.value, np.nan)
        return [None if v != v else v for v in kept.tolist()]


@dataclass(frozen=True)
class Measurement:
    """A statistic over one window, with what it rests on (DESIGN §5.9)."""

    value: float | None
    n: int
    active_weeks: float
    members: int
    sample: np.ndarray = field(default_factory=lambda: _EMPTY, repr=False, compare=False)
    keys: tuple[str, ...] = ()
    excluded: tuple[tuple[str, str], ...] = ()


def _seconds(stamps: pd.Series, *, up: bool = False) -> np.ndarray:
    """UTC seconds (floor, or ceiling with `up`); NaT becomes open-ended."""
    nanos = utc_nanos(stamps)
    whole = -(-nanos // 1_000_000_000) if up else nanos // 1_000_000_000
    return np.where(nanos == _NAT, _OPEN_ENDED, np.clip(whole, -_OFFSET, _OFFSET - 1))


def _codes(values: np.ndarray) -> tuple[np.ndarray, dict[str, int]]:
    codes, names = pd.factorize(pd.Series(values, dtype=object))
    return codes, {str(name): i for i, name in enumerate(names)}


@dataclass(frozen=True)
class _Ordering:
    """Events sorted by (owner, time): `composite` is searchable, `rows` maps to event rows."""

    codes: dict[str, int]
    composite: np.ndarray
    rows: np.ndarray

    @classmethod
    def of(cls, codes: np.ndarray, names: dict[str, int], at: np.ndarray, ties: _TieBreak
           ) -> _Ordering:
        """`codes` and `names` as `_codes` gives them for the events' owners."""
        rows = np.lexsort((at, codes))
        composite = codes[rows].astype(np.int64) * _GROUP + at[rows] + _OFFSET
        ties.order(composite, rows)
        return cls(names, composite, rows)


@dataclass(frozen=True)
class _TieBreak:
    """Events of one owner in the same second follow their key, then their exact time, never
    the order they came in: that order would reach bootstrap samples and evidence lists.
    Only the runs of ties are sorted by key, far cheaper than sorting every event by its key."""

    keys: np.ndarray
    instants: np.ndarray  # exact times, as integers

    def order(self, composite: np.ndarray, rows: np.ndarray) -> None:
        """Reorder `rows` in place within each run of equal `composite` values."""
        tied = composite[1:] == composite[:-1]
        if not tied.any():
            return
        in_run = np.zeros(len(rows), dtype=bool)
        in_run[1:] |= tied
        in_run[:-1] |= tied
        where = np.flatnonzero(in_run)
        runs = rows[where]
        table = pd.DataFrame(
            {"run": composite[where], "key": self.keys[runs], "at": self.instants[runs]}
        )
        order = table.sort_values(["run", "key", "at"], kind="stable").index.to_numpy()
        rows[where] = runs[order]


@dataclass(frozen=True)
class _Candidates:
    """Each request's owner's events in its window (or, for spells, started by its instant),
    grouped by request: `rows[bounds[i-1]:bounds[i]]` belong to request i."""

    request_of: np.ndarray
    rows: np.ndarray
    bounds: np.ndarray
    instants: np.ndarray

    def of(self, i: int) -> slice:
        return slice(self.bounds[i - 1] if i else 0, self.bounds[i])


class EventIndex:
    """One metric's events (see `evaluate.metrics`), sorted for window look-ups."""

    def __init__(self, events: pd.DataFrame, people: Sequence[Person]) -> None:
        self.team_of = {person.id: person.team for person in people}
        self.team_sizes = pd.Series(self.team_of, dtype=object).value_counts().to_dict()
        owners = names(events["person"])
        own_team = pd.Series(owners, dtype=object).map(self.team_of).to_numpy(dtype=object)
        teams = np.where(pd.isna(own_team), np.array(None, dtype=object), own_team)
        series_teams = names(events["team"])
        teams = np.where(series_teams != None, series_teams, teams)  # noqa: E711
        self.spells = "until" in events
        self.at = _seconds(events["at"], up=self.spells)
        self.until = _seconds(events["until"], up=True) if self.spells else self.at
        aged = self.spells and "since" in events
        self.since = _seconds(events["since"]) if aged else None
        self.min_age = events["min_age"].to_numpy(dtype=float) if aged else None
        self.values = events["value"].to_numpy(dtype=float)
        self.by_value = np.argsort(self.values, kind="stable")
        self.rank = np.empty(len(self.values), dtype=np.int64)
        self.rank[self.by_value] = np.arange(len(self.values))
        self.keys = events["key"].to_numpy(dtype=object)
        self.records = events["record"].to_numpy(dtype=object)
        # Records whose times contradict each other (`evaluate.metrics`); None when there are
        # none, as for most metrics and evidence, so nothing is checked per event then.
        problems = names(events["problem"]) if "problem" in events else np.full(0, None)
        unmeasured: np.ndarray = problems != None  # noqa: E711 (elementwise)
        self.problems = problems if unmeasured.any() else None
        self.unmeasured = unmeasured if unmeasured.any() else None
        self.person_code, person_names = _codes(owners)
        # Input order must not matter: ties in time (and every list of keys) follow the key.
        ties = _TieBreak(self.keys, utc_nanos(events["at"]))
        self.by_person = _Ordering.of(self.person_code, person_names, self.at, ties)
        self.by_team = _Ordering.of(*_codes(teams), self.at, ties)

    def measure(self, requests: Sequence[Request], statistic: str) -> list[Measurement]:
        """Measure every request with one statistic (median, mean, rate, per_week, count)."""
        return _by_side(requests, lambda batch: self._measure(batch, statistic))

    def measure_weekly(self, requests: Sequence[SeriesRequest], statistic: str) -> list[Weekly]:
        """Each series' weeks, measured as a request of each week would be."""
        asked = [r for r in requests if r.weeks]
        answers = iter(_by_side(asked, lambda batch: self._weekly(batch, statistic)))
        empty = Weekly(_EMPTY, _EMPTY.astype(np.int64), _EMPTY)
        return [next(answers) if r.weeks else empty for r in requests]

    def _weekly(self, series: list[SeriesRequest], statistic: str) -> list[Weekly]:
        covering = [s.covering() for s in series]
        found = self._candidates(covering)
        grid = _WeekGrid.of(series)
        rows, week = (self._spells_by_week if self.spells else self._events_by_week)(
            covering, found, grid)
        values = self._grouped_values(week, rows, sort=statistic in ("median", "mean"))
        counts = np.bincount(week, minlength=grid.size)
        members = np.repeat([self._members(r) for r in covering], grid.sizes)
        summary = _summaries(statistic, values, week, counts, grid.active_weeks, members)
        return [Weekly(summary[part], counts[part], grid.active_weeks[part])
                for part in grid.parts()]

    def _events_by_week(self, covering: list[Request], found: _Candidates, grid: _WeekGrid
                        ) -> tuple[np.ndarray, np.ndarray]:
        """The kept events and the week each falls in, in week order."""
        kept = self._keep(covering, found)
        rows = found.rows[kept]
        week, inside = grid.week_of(found.request_of[kept], self.at[rows])
        return rows[inside], week[inside]

    def _spells_by_week(self, covering: list[Request], found: _Candidates, grid: _WeekGrid
                        ) -> tuple[np.ndarray, np.ndarray]:
        """Each spell with each week it holds at: the covering look-up found the spells
        started by the last week's instant; each is paired with every week of its series and
        kept where it had started and still held at that week's instant."""
        candidate = np.flatnonzero(self._owned_and_not_named(covering, found))
        series_of = found.request_of[candidate]
        weeks = grid.sizes[series_of]
        pair = np.repeat(candidate, weeks)
        week = np.repeat(grid.starts[series_of] - (np.cumsum(weeks) - weeks), weeks) + np.arange(
            weeks.sum())
        rows, instants = found.rows[pair], grid.instants[week]
        holds = (self.at[rows] <= instants) & self._holds(
            covering, found.request_of[pair], rows, instants)
        return rows[holds], week[holds]

    def _members(self, request: Request) -> int:
        if request.team is None:
            return 1
        size = self.team_sizes.get(request.team, 0)
        return size - int(self.team_of.get(request.person) == request.team)

    def _measure(self, requests: list[Request], statistic: str) -> list[Measurement]:
        found = self._candidates(requests)
        kept = self._keep(requests, found)
        request_kept = found.request_of[kept]
        values = self._grouped_values(request_kept, found.rows[kept], sort=statistic in (
            "median", "mean"))
        counts = np.bincount(request_kept, minlength=len(requests))
        weeks = _active_weeks(requests)
        members = np.array([self._members(r) for r in requests])
        summary = _summaries(statistic, values, request_kept, counts, weeks, members).tolist()
        ends = np.cumsum(counts).tolist()
        counts, weeks, members = counts.tolist(), weeks.tolist(), members.tolist()
        results = []
        for i, request in enumerate(requests):
            audit = self._audit(request, found, kept, i) if request.audit else ((), ())
            value = None if summary[i] != summary[i] else summary[i]  # NaN: undefined
            sample = values[ends[i] - counts[i]:ends[i]]
            results.append(Measurement(value, counts[i], weeks[i], members[i], sample, *audit))
        return results

    def _grouped_values(self, request_of: np.ndarray, rows: np.ndarray, *, sort: bool
                        ) -> np.ndarray:
        """Values grouped by request, sorted within each request when asked: one integer sort
        of (request, value rank) pairs, cheaper than a two-key float lexsort."""
        if not sort:
            chosen: np.ndarray = self.values[rows]
            return chosen
        composite = np.sort(request_of.astype(np.int64) * len(self.values) + self.rank[rows])
        grouped: np.ndarray = self.values[self.by_value[composite % max(len(self.values), 1)]]
        return grouped

    def _candidates(self, requests: list[Request]) -> _Candidates:
        ordering = self.by_person if requests[0].team is None else self.by_team
        owner = [r.team if r.team is not None else r.person for r in requests]
        codes = np.array([ordering.codes.get(o, -1) for o in owner], dtype=np.int64)
        if self.spells:
            instants = np.array([measurement_instant(r.span, r.exclusions) for r in requests])
            lo, hi = np.full(len(requests), -_OFFSET), instants + 1
        else:
            lo = np.array([r.span.lo_s for r in requests], dtype=np.int64)
            hi, instants = np.array([r.span.hi_s for r in requests], dtype=np.int64), lo
        base = codes * _GROUP + _OFFSET
        start = np.searchsorted(ordering.composite, base + lo, side="left")
        stop = np.searchsorted(ordering.composite, base + np.maximum(hi, lo), side="left")
        lengths = np.where(codes >= 0, stop - start, 0)
        request_of = np.repeat(np.arange(len(requests)), lengths)
        first = np.repeat(start - (np.cumsum(lengths) - lengths), lengths)
        rows = ordering.rows[first + np.arange(lengths.sum())]
        return _Candidates(request_of, rows, np.cumsum(lengths), instants)

    def _keep(self, requests: list[Request], found: _Candidates) -> np.ndarray:
        """Leave out the person from their team, ended spells, excluded events and records
        whose times contradict each other (see `evaluate.metrics`)."""
        keep = self._owned_and_not_named(requests, found)
        if self.spells:
            keep &= self._holds(requests, found.request_of, found.rows,
                                found.instants[found.request_of])
        else:
            keep &= ~_in_excluded_ranges(requests, found.request_of, self.at[found.rows])
        return keep

    def _owned_and_not_named(self, requests: list[Request], found: _Candidates) -> np.ndarray:
        """Leave out the person from their team's requests, events an exclusion names, and
        records with a problem."""
        keep = ~self._excluded_records(requests, found)
        if self.unmeasured is not None:
            keep &= ~self.unmeasured[found.rows]
        if requests[0].team is not None:
            left_out = np.array([self.by_person.codes.get(r.person, -2) for r in requests])
            keep &= self.person_code[found.rows] != left_out[found.request_of]
        return keep

    def _holds(self, requests: list[Request], request_of: np.ndarray, rows: np.ndarray,
               instants: np.ndarray) -> np.ndarray:
        """Whether each spell (started by then) still holds at its instant."""
        held: np.ndarray = (self.until[rows] > instants) & self._aged_net_of_exclusions(
            requests, request_of, rows, instants)
        return held

    def _aged_net_of_exclusions(self, requests: list[Request], request_of: np.ndarray,
                                rows: np.ndarray, instants: np.ndarray) -> np.ndarray:
        """Whether each spell's ticket is still old enough at its instant once its request's
        excluded time since its creation is taken off its age: a ticket does not age while
        its holder is on leave. Spells are already aged in calendar time, so only requests
        with excluded ranges can lose any."""
        if self.since is None or self.min_age is None or not any(
            r.exclusions.ranges for r in requests
        ):
            return np.ones(len(rows), dtype=bool)
        since = self.since[rows]
        excluded = _overlap_seconds(requests, request_of, since, instants)
        known = since != _OPEN_ENDED
        aged: np.ndarray = ~known | (instants - since - excluded >= self.min_age[rows])
        return aged

    def _excluded_records(self, requests: list[Request], found: _Candidates) -> np.ndarray:
        """Events whose own key, or underlying record (a review's pull request), an exclusion
        of their request names. Few plans name records, so only their requests' events are
        read, and all of them at once: each (request, named record) pair becomes one integer
        and each event's (request, key) one too, so a single `isin` answers them all."""
        excluded = np.zeros(len(found.rows), dtype=bool)
        named = [(i, name) for i, r in enumerate(requests) for name in r.exclusions.records]
        if not named:
            return excluded
        names = pd.Index(sorted({name for _, name in named}))
        pairs = (np.array([i for i, _ in named], dtype=np.int64) * len(names)
                 + names.get_indexer(pd.Index([name for _, name in named])))
        naming = np.zeros(len(requests), dtype=bool)
        naming[[i for i, _ in named]] = True
        mine = np.flatnonzero(naming[found.request_of])
        rows, request_of = found.rows[mine], found.request_of[mine].astype(np.int64)
        for column in (self.keys, self.records):
            code = names.get_indexer(column[rows])
            excluded[mine] |= (code >= 0) & np.isin(request_of * len(names) + code, pairs)
        return excluded

    def _audit(self, request: Request, found: _Candidates, kept: np.ndarray, i: int
               ) -> tuple[tuple[str, ...], tuple[tuple[str, str], ...]]:
        """Keys used, and keys left out with the exclusion's reason or the record's problem
        (DESIGN §5.9)."""
        mine = found.of(i)
        rows, used = found.rows[mine], kept[mine]
        keys = tuple(self.keys[rows[used]].tolist())
        excluding = bool(request.exclusions.ranges or request.exclusions.records)
        if not excluding and (self.problems is None or used.all()):
            return keys, ()
        dropped = []
        for row in rows[~used].tolist():
            reason = self._problem(row) or (
                _exclusion_reason(request, self.keys[row], self.records[row], self.at[row])
                if excluding else None
            )
            if reason is not None:
                dropped.append((str(self.keys[row]), reason))
        return keys, tuple(dropped)

    def _problem(self, row: int) -> str | None:
        return None if self.problems is None else self.problems[row]


def _by_side(requests: Sequence[_Asked], measure: Callable[[list[_Asked]], list[_Answer]]
             ) -> list[_Answer]:
    """Answers in the order asked: a person's own requests and team requests search
    different orderings, so each side is measured as one batch."""
    out: list[_Answer] = [None] * len(requests)  # type: ignore[list-item]
    for team_requests in (False, True):
        rows = [i for i, r in enumerate(requests) if (r.team is not None) == team_requests]
        if rows:
            for row, result in zip(rows, measure([requests[i] for i in rows]), strict=True):
                out[row] = result
    return out


@dataclass(frozen=True)
class _WeekGrid:
    """The weeks of many series laid end to end (series `i` owns rows `starts[i]` to
    `starts[i] + sizes[i] - 1`), so one `searchsorted` bins every event of every series."""

    series: Sequence[SeriesRequest]
    sizes: np.ndarray
    starts: np.ndarray
    keys: np.ndarray  # series * _GROUP + week start + _OFFSET, ascending
    hi: np.ndarray

    @classmethod
    def of(cls, series: Sequence[SeriesRequest]) -> _WeekGrid:
        sizes = np.array([len(s.weeks) for s in series], dtype=np.int64)
        series_of = np.repeat(np.arange(len(series), dtype=np.int64), sizes)
        lo = np.concatenate([s.weeks.lo_s for s in series])
        return cls(series, sizes, np.cumsum(sizes) - sizes, series_of * _GROUP + lo + _OFFSET,
                   np.concatenate([s.weeks.hi_s for s in series]))

    @property
    def size(self) -> int:
        return len(self.keys)

    @cached_property
    def active_weeks(self) -> np.ndarray:
        return self._per_week(Weeks.active_weeks)

    @cached_property
    def instants(self) -> np.ndarray:
        """When each week's point-in-time count is read (`measurement_instant`)."""
        return self._per_week(Weeks.instants)

    def _per_week(self, read: Callable[[Weeks, Exclusions], np.ndarray]) -> np.ndarray:
        """`read` for each series' weeks; series share weeks and exclusions (a goal's person
        and team), so each pair is read once, keyed by identity as in `_active_weeks`."""
        seen: dict[tuple[int, int], np.ndarray] = {}
        for s in self.series:
            if (id(s.weeks), id(s.exclusions)) not in seen:
                seen[id(s.weeks), id(s.exclusions)] = read(s.weeks, s.exclusions)
        return np.concatenate([seen[id(s.weeks), id(s.exclusions)] for s in self.series])

    def week_of(self, series_of: np.ndarray, at: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Each event's week row (the last week starting at or before it: events lie within
        their series' weeks), and whether the event is inside that week, not between two."""
        week = np.searchsorted(self.keys, series_of * _GROUP + at + _OFFSET, side="right") - 1
        return week, at < self.hi[week]

    def parts(self) -> Iterator[slice]:
        return (slice(start, start + size)
                for start, size in zip(self.starts.tolist(), self.sizes.tolist(), strict=True))


def _active_weeks(requests: list[Request]) -> np.ndarray:
    """Active weeks per request; requests share span and exclusion objects, so each pair is
    worked out once (keyed by identity: hashing a span's timestamps costs more than the sum)."""
    seen: dict[tuple[int, int], float] = {}
    out = np.empty(len(requests))
    for i, r in enumerate(requests):
        key = (id(r.span), id(r.exclusions))
        if key not in seen:
            seen[key] = active_weeks(r.span, r.exclusions)
        out[i] = seen[key]
    return out


def _exclusion_reason(request: Request, key: str, record: str, at: int) -> str | None:
    records = request.exclusions.records
    if key in records or record in records:
        return records.get(key) or records[record]
    return request.exclusions.range_reason(int(at))


def _ranges_of(bounds: Sequence[tuple[tuple[int, int], ...]], request_of: np.ndarray
               ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """The j-th excluded range [lo, hi) of each row's request, for j = 0, 1, ...: a request
    with fewer ranges gets the empty range [0, 0), which holds and overlaps nothing."""
    for j in range(max((len(b) for b in bounds), default=0)):
        lo = np.array([b[j][0] if j < len(b) else 0 for b in bounds], dtype=np.int64)
        hi = np.array([b[j][1] if j < len(b) else 0 for b in bounds], dtype=np.int64)
        yield lo[request_of], hi[request_of]


def _in_excluded_ranges(requests: list[Request], request_of: np.ndarray, at: np.ndarray
                        ) -> np.ndarray:
    """Whether each event falls in one of its own request's excluded date ranges."""
    inside = np.zeros(len(at), dtype=bool)
    for lo, hi in _ranges_of([r.exclusions.bounds for r in requests], request_of):
        inside |= (at >= lo) & (at < hi)
    return inside


def _overlap_seconds(requests: list[Request], request_of: np.ndarray, lo: np.ndarray,
                     hi: np.ndarray) -> np.ndarray:
    """Seconds of each [lo, hi) inside its own request's excluded ranges (each counted once)."""
    total = np.zeros(len(lo), dtype=np.int64)
    for start, end in _ranges_of([r.exclusions.merged_bounds for r in requests], request_of):
        total += np.maximum(np.minimum(end, hi) - np.maximum(start, lo), 0)
    return total


def _summaries(statistic: str, values: np.ndarray, request_of: np.ndarray, counts: np.ndarray,
               weeks: np.ndarray, members: np.ndarray) -> np.ndarray:
    """Each window's value in the metric's unit (NaN where undefined); `values` are grouped by
    request, and sorted within it for the median."""
    with np.errstate(divide="ignore", invalid="ignore"):
        if statistic == "count":
            return np.where(members > 0, counts / members, np.nan)
        if statistic == "per_week":
            return np.where(weeks > 0, counts / (weeks * np.maximum(members, 1)), np.nan)
        if statistic != "median":
            sums = np.bincount(request_of, weights=values, minlength=len(counts))
            return np.where(counts > 0, sums / counts, np.nan)
        if len(values) == 0:
            return np.full(len(counts), np.nan)
        starts = np.cumsum(counts) - counts
        lower = np.minimum(starts + np.maximum(counts - 1, 0) // 2, len(values) - 1)
        upper = np.minimum(starts + counts // 2, len(values) - 1)
        return np.where(counts > 0, (values[lower] + values[upper]) / 2, np.nan)
