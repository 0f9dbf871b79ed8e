"""Reading the stored evidence back for people: records by kind and person, unmatched accounts."""

from __future__ import annotations

from typing import Any

import pandas as pd
from sqlalchemy import literal, select

from ingest.evidence import UnmatchedAccount, unmatched_accounts
from ingest.store import RECORD_TABLES
from service.workspace import Workspace

__all__ = ["evidence_records", "has_evidence", "unmatched"]


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
