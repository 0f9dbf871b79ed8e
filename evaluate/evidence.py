"""Reading the loader's evidence frames defensively, once, without touching them.

The loader hands one DataFrame per record kind (columns = the dataclass fields of
`ingest.records`, plus `key`, `url`, `person` and `is_bot`). A missing kind is an empty frame and
a missing optional column reads as empty, so every metric can be computed on partial evidence.
Frames are only ever read: each accessor builds new objects.

An `EvidenceReader` remembers what it has read and what metrics derived from it (a ticket
history, the peer reviews), so six ticket metrics rebuild one history, not six. It lives as long
as one batch of evaluations and holds no global state.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

__all__ = [
    "Evidence",
    "EvidenceReader",
    "evidence_frame",
    "hours_between",
    "is_set",
    "lookup",
    "names",
    "utc",
    "utc_nanos",
]

Evidence = Mapping[str, pd.DataFrame]
T = TypeVar("T")

_TIME_COLUMNS = frozenset(
    {"created", "updated", "resolved", "at", "ready_for_review", "merged", "closed", "submitted",
     "finished", "acknowledged"}
)
_FLAG_COLUMNS = frozenset({"is_bot"})


def utc(values: pd.Series) -> pd.Series:
    """Nanosecond UTC timestamps whatever the unit or zone the loader used (naive means UTC)."""
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        converted: pd.Series = values.dt.tz_convert("UTC").dt.as_unit("ns")
        return converted
    return pd.to_datetime(values, utc=True, errors="coerce").dt.as_unit("ns")


def utc_nanos(stamps: pd.Series) -> np.ndarray:
    """Nanoseconds since the epoch of zone-aware timestamps; NaT reads as the smallest int64."""
    naive = stamps.dt.tz_convert("UTC").dt.tz_localize(None).dt.as_unit("ns")
    nanos: np.ndarray = naive.to_numpy().view(np.int64)
    return nanos


def _empty_column(name: str, length: int, index: pd.Index) -> pd.Series:
    if name in _TIME_COLUMNS:
        return pd.Series(pd.NaT, index=index, dtype="datetime64[ns, UTC]")
    if name in _FLAG_COLUMNS:
        return pd.Series(np.zeros(length, dtype=bool), index=index)
    return pd.Series([None] * length, index=index, dtype=object)


def _column(source: pd.DataFrame, name: str, index: pd.Index) -> pd.Series:
    if name not in source.columns:
        return _empty_column(name, len(source), index)
    column = source[name].set_axis(index)
    if name in _TIME_COLUMNS:
        return utc(column)
    if name in _FLAG_COLUMNS:
        return column.fillna(False).astype(bool)
    return column


def evidence_frame(evidence: Evidence, kind: str, columns: Iterable[str]) -> pd.DataFrame:
    """A new frame holding `columns` of one kind, times in UTC, flags as booleans."""
    source = evidence.get(kind)
    if source is None:
        source = pd.DataFrame()
    index = pd.RangeIndex(len(source))
    return pd.DataFrame({name: _column(source, name, index) for name in columns}, index=index)


class EvidenceReader:
    """The evidence of one batch of evaluations, with what has been derived from it."""

    def __init__(self, evidence: Evidence, tz: ZoneInfo) -> None:
        self.evidence = evidence
        self.tz = tz
        self._memo: dict[Any, Any] = {}

    def frame(self, kind: str, columns: Iterable[str]) -> pd.DataFrame:
        """`evidence_frame`, read once per kind and columns; treat the result as read-only."""
        columns = tuple(columns)
        return self.derived(("frame", kind, columns), lambda: evidence_frame(self.evidence, kind,
                                                                            columns))

    def derived(self, name: Any, compute: Callable[[], T]) -> T:
        """`compute()` once per name; treat the result as read-only."""
        if name not in self._memo:
            self._memo[name] = compute()
        found: T = self._memo[name]
        return found


def names(values: pd.Series | np.ndarray) -> np.ndarray:
    """Values as stripped strings, None where missing or blank (the loader writes None or NaN
    for a missing person or reason). Work happens on the distinct values only: a million
    events name a few thousand people."""
    codes, uniques = pd.factorize(pd.Series(values, dtype=object), use_na_sentinel=True)
    cleaned = np.array([str(u).strip() or None for u in uniques] + [None], dtype=object)
    return cleaned[codes]  # code -1 (missing) picks the trailing None


def is_set(values: pd.Series) -> pd.Series:
    """Present and not blank."""
    return pd.Series(names(values) != None, index=values.index)  # noqa: E711 (elementwise)


def hours_between(start: pd.Series, end: pd.Series) -> pd.Series:
    return (end - start).dt.total_seconds() / 3600.0


def lookup(keys: pd.Series, table: pd.Series) -> pd.Series:
    """`table[key]` for each key (missing: NA), aligned with `keys`. Unlike `Series.map`, this
    keeps the table's dtype when the table is empty (pandas then casts it to float)."""
    if not table.index.is_unique:
        table = table[~table.index.duplicated(keep="last")]
    return table.reindex(keys.to_numpy()).set_axis(keys.index)
