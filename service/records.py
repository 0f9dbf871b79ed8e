"""Reading the stored evidence back for people: records by kind, person or key; unmatched
accounts."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pandas as pd
from sqlalchemy import BigInteger, Connection, literal, select

from ingest.evidence import UnmatchedAccount, unmatched_accounts
from ingest.records import KINDS, key_part
from ingest.store import RECORD_TABLES, UTCDateTime
from service.workspace import Workspace

__all__ = ["RecordLink", "evidence_records", "has_evidence", "records_by_key", "unmatched"]


def has_evidence(ws: Workspace) -> bool:
    """Whether any record is stored: with none, an evaluation could only say "not enough data"
    about every goal, where the truth is that nothing was synced yet."""
    with ws.engine.connect() as conn:
        return any(
            conn.execute(select(literal(1)).select_from(table).limit(1)).first()
            for table in RECORD_TABLES.values()
        )


def evidence_records(ws: Workspace, *, kind: str | None = None, person: str | None = None
                     ) -> list[dict[str, Any]]:
    """Stored records (of one kind, of one person) with their key, person, times and url, as
    plain values; LookupError names the kinds for an unknown one."""
    frames = ws.evidence()
    if kind is not None and kind not in frames:
        raise LookupError(f"unknown kind {kind!r}; kinds: {', '.join(frames)}")
    return [
        {"kind": name, **row}
        for name, frame in frames.items()
        if kind in (None, name)
        for row in _rows(frame, person)
    ]


def _rows(frame: pd.DataFrame, person: str | None) -> list[dict[str, Any]]:
    if person is not None:
        frame = frame[frame["person"] == person] if "person" in frame else frame.iloc[0:0]
    plain = frame.astype(object).where(frame.notna(), None)
    return [{str(name): value for name, value in row.items()} for row in plain.to_dict("records")]


def unmatched(ws: Workspace) -> list[UnmatchedAccount]:
    """Tool accounts on stored records that match nobody in people.yaml."""
    return unmatched_accounts(ws.evidence())


@dataclass(frozen=True)
class RecordLink:
    """A stored record as the evidence list shows it: where to open it and what it is."""

    key: str
    kind: str
    url: str | None
    title: str | None
    at: datetime | None


# Per kind: the column shown as the record's title and the time it is listed under.
_SHOWN: dict[str, tuple[str | None, tuple[str, ...]]] = {
    "ticket": ("summary", ("resolved", "created")),
    "ticket_change": ("ticket_key", ("at",)),
    "pull_request": ("title", ("merged", "created")),
    "review_request": ("repo", ("at",)),
    "review": ("state", ("submitted",)),
    "deployment": ("environment", ("created",)),
    "incident": ("title", ("created",)),
    "sample": ("series", ("at",)),
    "rating": ("name", ("at",)),
}
_CHUNK = 500


def records_by_key(ws: Workspace, keys: Collection[str], kinds: Collection[str]
                   ) -> dict[str, RecordLink]:
    """The stored records behind these keys (`source:natural-key`) among the given kinds, read
    by their natural key from the record tables, not from an evaluation: what a page links to.
    Keys no stored record has are left out."""
    found: dict[str, RecordLink] = {}
    wanted = set(keys)
    with ws.engine.connect() as conn:
        for kind in kinds:
            for source, rests in _by_source(wanted - found.keys()).items():
                for chunk in range(0, len(rests), _CHUNK):
                    rows = _rows_for(conn, kind, source, rests[chunk:chunk + _CHUNK])
                    found.update((link.key, link) for link in rows if link.key in wanted)
    return found


def _by_source(keys: Collection[str]) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for key in sorted(keys):
        source, _, rest = key.partition(":")
        grouped.setdefault(source, []).append(rest)
    return grouped


def _rows_for(conn: Connection, kind: str, source: str, rests: list[str]) -> list[RecordLink]:
    """Only the first natural-key part may hold a '/' (a repository, a series, a deployment
    id), so a key splits from the right; each part narrows the query, the key decides."""
    record = KINDS[kind]
    table = RECORD_TABLES[record.table]
    names = record.natural_key[1:]
    parts = [rest.rsplit("/", len(names) - 1) for rest in rests]
    conditions = [table.c.source == source]
    for index, name in enumerate(names):
        column = table.c[name]
        if isinstance(column.type, UTCDateTime):
            continue  # a key holds whole seconds: matched below, on the whole key
        values: set[str | int] = {p[index] for p in parts if len(p) == len(names)}
        if isinstance(column.type, BigInteger):
            values = {int(v) for v in values if str(v).lstrip("-").isdigit()}
        conditions.append(column.in_(values))
    title, times = _SHOWN[kind]
    return [
        RecordLink(
            key=f"{source}:" + "/".join(key_part(getattr(row, n)) for n in names),
            kind=kind,
            url=getattr(row, "url", None),
            title=str(getattr(row, title)) if title else None,
            at=next((t for t in (getattr(row, name) for name in times) if t is not None), None),
        )
        for row in conn.execute(select(table).where(*conditions))
    ]
