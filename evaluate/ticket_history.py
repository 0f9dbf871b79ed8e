"""A ticket's past, rebuilt from its changelog: when it was resolved, who held it, when it was open.

A ticket row only tells where the ticket is now. Metrics need where it was: the assignee at
resolution, the first time work started, whether it came back after being done, and whether it
was open and aged at a window's end. Status changes carry Jira's status category keys
(new | indeterminate | done), never status names, which are localized and renamed.

Tickets get an integer code (their row in `tickets`) so the changelog joins are numpy searches,
not string merges: on a million records that is the difference between seconds and tenths.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from evaluate.evidence import EvidenceReader, utc_nanos

__all__ = ["DONE", "IN_PROGRESS", "TicketHistory", "last_at_or_before"]

DONE = "done"
IN_PROGRESS = "indeterminate"
_NO_TIME = np.iinfo(np.int64).min

TICKET_COLUMNS = ("key", "url", "person", "status_category", "created", "resolved", "due")
CHANGE_COLUMNS = ("ticket", "at", "field", "from_value", "to_value", "from_person", "to_person")


def last_at_or_before(change_code: np.ndarray, change_at: np.ndarray, query_code: np.ndarray,
                      query_at: np.ndarray) -> np.ndarray:
    """For each query, the index of the last change of the same ticket at or before it
    (-1 if none). Changes and queries are sorted together by ticket and time — doubled, plus one
    for queries, so a change sorts first at the same instant — and the last change seen so far
    is carried forward."""
    changes = len(change_code)
    code = np.r_[change_code, query_code]
    order = np.lexsort((np.r_[change_at * 2, query_at * 2 + 1], code))
    is_change = order < changes
    seen = np.maximum.accumulate(np.where(is_change, np.arange(len(order)), -1))
    last = np.where(seen >= 0, order[np.maximum(seen, 0)], -1)
    same = (last >= 0) & (change_code[np.maximum(last, 0)] == code[order]) if changes else False
    found = np.where(same, last, -1)
    out = np.empty(len(query_code), dtype=np.int64)
    out[order[~is_change] - changes] = found[~is_change]
    return out


@dataclass(frozen=True)
class _Changes:
    """One field's changes, sorted by ticket code then time."""

    code: np.ndarray
    at: np.ndarray
    old: np.ndarray
    new: np.ndarray

    @classmethod
    def of(cls, frame: pd.DataFrame, old: str, new: str) -> _Changes:
        order = np.lexsort((utc_nanos(frame["at"]), frame["code"].to_numpy()))
        rows = frame.iloc[order]
        return cls(rows["code"].to_numpy(), utc_nanos(rows["at"]),
                   rows[old].to_numpy(dtype=object), rows[new].to_numpy(dtype=object))

    def first_of(self, codes: np.ndarray) -> np.ndarray:
        """Index of each ticket's first change (-1 if it has none)."""
        if len(self.code) == 0:
            return np.full(len(codes), -1)
        first = np.searchsorted(self.code, codes, side="left")
        hit = self.code[np.minimum(first, len(self.code) - 1)] == codes
        return np.where(hit, first, -1)

    def value_at(self, codes: np.ndarray, at: np.ndarray, current: np.ndarray) -> np.ndarray:
        """The field at each instant: the last change's new value; before the first change,
        its old value; with no change at all, the ticket's current value."""
        last = last_at_or_before(self.code, self.at, codes, at)
        first = self.first_of(codes)
        nothing = np.array(None, dtype=object)
        before = np.where(first >= 0, self.old[np.maximum(first, 0)] if len(self.old) else nothing,
                          current)
        return np.where(last >= 0, self.new[np.maximum(last, 0)] if len(self.new) else nothing,
                        before)


@dataclass(frozen=True)
class TicketHistory:
    """Tickets (row = code) with their status and assignee changes."""

    tickets: pd.DataFrame
    status: _Changes
    assignee: _Changes

    @classmethod
    def read(cls, reader: EvidenceReader) -> TicketHistory:
        tickets = reader.frame("ticket", TICKET_COLUMNS)
        tickets = tickets.assign(key=tickets["key"].astype(str)).drop_duplicates("key", keep="last")
        tickets = tickets.reset_index(drop=True)
        changes = reader.frame("ticket_change", CHANGE_COLUMNS)
        code = pd.Index(tickets["key"]).get_indexer(changes["ticket"].astype(str))
        changes = changes.assign(code=code)[(code >= 0) & changes["at"].notna().to_numpy()]
        status = changes[changes["field"].eq("status")]
        assignee = changes[changes["field"].eq("assignee")]
        return cls(tickets, _Changes.of(status, "from_value", "to_value"),
                   _Changes.of(assignee, "from_person", "to_person"))

    @property
    def codes(self) -> np.ndarray:
        return np.arange(len(self.tickets))

    def _per_ticket(self, mask: np.ndarray, reduce: str) -> np.ndarray:
        """Earliest or latest status change time per ticket among `mask` (NO_TIME if none)."""
        out = np.full(len(self.tickets), _NO_TIME)
        codes, at = self.status.code[mask], self.status.at[mask]
        if reduce == "max":
            np.maximum.at(out, codes, at)
        else:
            out[:] = np.iinfo(np.int64).max
            np.minimum.at(out, codes, at)
            out[out == np.iinfo(np.int64).max] = _NO_TIME
        return out

    def last_done_entry(self) -> np.ndarray:
        return self._per_ticket(self.status.new == DONE, "max")

    def resolution_times(self, *, reopened_open: bool = False) -> pd.Series:
        """The `resolved` column; when it is empty but the ticket sits in done, the last entry
        into done. With `reopened_open`, a ticket that was done and is open again also gets its
        last entry into done, so a reopen not yet re-resolved still counts (reopen rate)."""
        entered = _stamps(self.last_done_entry())
        in_done = self.tickets["status_category"].eq(DONE).to_numpy()
        fallback = entered if reopened_open else entered.where(in_done)
        return self.tickets["resolved"].fillna(fallback)

    def reopened(self) -> np.ndarray:
        """Left the done category at some point after entering it."""
        left_done = (self.status.old == DONE) & (self.status.new != DONE)
        out = np.zeros(len(self.tickets), dtype=bool)
        out[self.status.code[left_done]] = True
        return out

    def first_progress_entry(self) -> pd.Series:
        """First entry into an In Progress-category status; a ticket whose first recorded
        change leaves that category was created in progress: its work started at creation."""
        started = _stamps(self._per_ticket(self.status.new == IN_PROGRESS, "min"))
        first = self.status.first_of(self.codes)
        from_progress = (first >= 0) & (
            self.status.old[np.maximum(first, 0)] == IN_PROGRESS if len(self.status.old) else False
        )
        return started.mask(from_progress, self.tickets["created"])

    def assignee_at(self, codes: np.ndarray, at: pd.Series) -> np.ndarray:
        """Who held each ticket at each instant (person ids; None when unassigned/unmatched)."""
        current = self.tickets["person"].to_numpy(dtype=object)[codes]
        return self.assignee.value_at(codes, utc_nanos(at), current)

    def open_assigned_spells(self, min_age: pd.Timedelta) -> pd.DataFrame:
        """Intervals [at, until) in which a ticket was open, older than `min_age` and held by
        `person`; `until` is NaT while it still is. Counting the spells that contain an instant
        gives a person's aged open tickets at that instant. `created` is kept so a plan's
        excluded time can be taken off a ticket's age (`EventIndex` does, per plan)."""
        status = self._status_with_resolution()
        created = utc_nanos(self.tickets["created"])
        aged = created + min_age.value
        known = self.tickets["created"].notna().to_numpy()
        points = _breakpoints(self.codes[known], [created[known], aged[known]], status,
                              self.assignee)
        code, at = points
        category = self.tickets["status_category"].to_numpy(dtype=object)[code]
        state = status.value_at(code, at, category)
        holder = self.tickets["person"].to_numpy(dtype=object)[code]
        person = self.assignee.value_at(code, at, holder)
        until = np.where(np.r_[code[1:] == code[:-1], False], np.r_[at[1:], 0], _NO_TIME)
        keep = (state != DONE) & (at >= aged[code]) & pd.notna(person) & (
            (until == _NO_TIME) | (until > at)
        )
        return pd.DataFrame({
            "key": self.tickets["key"].to_numpy()[code[keep]],
            "person": person[keep],
            "at": _stamps(at[keep]),
            "until": _stamps(until[keep]),
            "created": _stamps(created[code[keep]]),
        })

    def _status_with_resolution(self) -> _Changes:
        """Tickets resolved without any status history get one synthetic move into done at
        their resolution, so they read as open until then."""
        has_history = np.zeros(len(self.tickets), dtype=bool)
        has_history[self.status.code] = True
        bare = (~has_history & self.tickets["status_category"].eq(DONE).to_numpy()
                & self.tickets["resolved"].notna().to_numpy())
        code = np.r_[self.status.code, self.codes[bare]]
        at = np.r_[self.status.at, utc_nanos(self.tickets["resolved"])[bare]]
        order = np.lexsort((at, code))
        old = np.r_[self.status.old, np.full(bare.sum(), IN_PROGRESS, dtype=object)]
        new = np.r_[self.status.new, np.full(bare.sum(), DONE, dtype=object)]
        return _Changes(code[order], at[order], old[order], new[order])


def _stamps(nanos: np.ndarray) -> pd.Series:
    """UTC timestamps from nanoseconds; NO_TIME becomes NaT."""
    return pd.Series(pd.to_datetime(nanos, utc=True)).where(nanos != _NO_TIME)


def _breakpoints(codes: np.ndarray, instants: list[np.ndarray], *changes: _Changes
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Every instant at which a ticket's openness, holder or age class can change, sorted by
    ticket then time, without repeats."""
    code = np.concatenate([codes] * len(instants) + [c.code for c in changes])
    at = np.concatenate(instants + [c.at for c in changes])
    order = np.lexsort((at, code))
    code, at = code[order], at[order]
    fresh = np.r_[True, (code[1:] != code[:-1]) | (at[1:] != at[:-1])][:len(code)]  # none: none
    return code[fresh], at[fresh]
