"""Reading the stored evidence back for people: records by kind, person or key; unmatched
accounts; which sources hold records of which kinds."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pandas as pd
from sqlalchemy import BigInteger, Connection, delete, insert, literal, select

from evaluate.evidence import Evidence
from ingest.evidence import UnmatchedAccount, unmatched_accounts
from ingest.records import KINDS, key_part
from ingest.store import RECORD_TABLES, UTCDateTime
from service.tables import unmatched_accounts as unmatched_table
from service.workspace import Workspace

__all__ = [
    "RecordLink", "evidence_records", "has_evidence", "records_by_key", "sources_for",
    "store_unmatched", "stored_unmatched", "unmatched",
]


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


def sources_for(ws: Workspace, kinds: Collection[str]) -> set[str]:
    """The configured sources that provide records of these kinds: those whose streams write
    one, and those whose files decide (CSV) that hold one, found by one indexed look-up per
    table (a record table's key starts with its source), whatever the number of records."""
    wanted = set(kinds)
    tables = {RECORD_TABLES[KINDS[kind].table] for kind in wanted}
    sources = ws.config.sources.sources
    with ws.engine.connect() as conn:
        return {s.name for s in sources if s.record_kinds & wanted} | {
            s.name for s in sources
            if not s.record_kinds and any(
                conn.execute(select(literal(1)).select_from(table)
                             .where(table.c.source == s.name).limit(1)).first()
                for table in tables)
        }


def unmatched(ws: Workspace) -> list[UnmatchedAccount]:
    """Tool accounts on stored records that match nobody in people.yaml, read from every record
    (what the command line lists; pages read `stored_unmatched`)."""
    return unmatched_accounts(ws.evidence())


def store_unmatched(ws: Workspace, evidence: Evidence) -> None:
    """Replace the stored unmatched accounts of the loaded kinds with those on their records:
    each frame holds every record of its kind, so what it does not name is matched now."""
    rows = [
        {"kind": kind, **vars(account)}
        for kind, frame in evidence.items()
        for account in unmatched_accounts({kind: frame})
    ]
    with ws.engine.begin() as conn:
        conn.execute(delete(unmatched_table).where(unmatched_table.c.kind.in_(list(evidence))))
        if rows:
            conn.execute(insert(unmatched_table), rows)


def stored_unmatched(ws: Workspace, kinds: Collection[str] | None = None
                     ) -> list[UnmatchedAccount]:
    """The unmatched accounts the last refresh found on records of these kinds (default: any),
    each once with its records summed over the kinds, as `unmatched` orders them. Only kinds
    some plan reads are looked at: an account on records no plan counts weakens no verdict."""
    table = unmatched_table
    query = select(table.c.source, table.c.account, table.c.email, table.c.records)
    if kinds is not None:
        query = query.where(table.c.kind.in_(list(kinds)))
    found: dict[tuple[str, str], UnmatchedAccount] = {}
    with ws.engine.connect() as conn:
        for row in conn.execute(query):
            seen = found.get((row.source, row.account))
            found[(row.source, row.account)] = UnmatchedAccount(
                row.source, row.account, (seen.email if seen else None) or row.email,
                (seen.records if seen else 0) + row.records)
    return sorted(found.values(), key=lambda a: (a.source, -a.records, a.account))


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
