"""Reads stored records into the DataFrames the evaluation core takes, one frame per kind.

This is the boundary between the database and the pure evaluation: every frame gets its record
`key` (`source:natural-key`) and the people behind its accounts, mapped here once with people.yaml
(the listed account first, then the e-mail), so nothing downstream knows about tools or accounts.
Timestamps come out tz-aware UTC.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Engine, Text, select, type_coerce

from config.people import Person
from config.sources import DEFAULT_BOTS
from ingest.identities import AccountIndex
from ingest.records import KINDS
from ingest.store import RECORD_TABLES, UTCDateTime


@dataclass(frozen=True)
class PersonColumn:
    """Which account (and optional e-mail) column names the person a row is attributed to."""

    target: str
    account: str
    email: str | None = None


@dataclass(frozen=True)
class RecordLink:
    """A column holding the key of another record, e.g. a review's pull request."""

    target: str
    parts: tuple[str, ...]


PEOPLE_COLUMNS: dict[str, tuple[PersonColumn, ...]] = {
    "ticket": (PersonColumn("person", "assignee_account", "assignee_email"),),
    "ticket_change": (
        PersonColumn("from_person", "from_value"),
        PersonColumn("to_person", "to_value"),
    ),
    "pull_request": (PersonColumn("person", "author_account", "author_email"),),
    "review": (PersonColumn("person", "reviewer_account"),),
    "review_request": (PersonColumn("person", "reviewer_account"),),
    "deployment": (PersonColumn("person", "creator_account"),),
    "incident": (PersonColumn("person", "assignee_account"),),
}

LINKS: dict[str, RecordLink] = {
    "ticket_change": RecordLink("ticket", ("ticket_key",)),
    "review": RecordLink("pr", ("repo", "number")),
    "review_request": RecordLink("pr", ("repo", "number")),
}


# The account whose bot-ness marks a row `is_bot` (the evaluation leaves bots out by default).
BOT_ACCOUNTS: dict[str, str] = {
    "pull_request": "author_account",
    "review": "reviewer_account",
    "deployment": "creator_account",
}
BotRule = Callable[[str], bool]


def default_is_bot(account: str) -> bool:
    """For a source without its own list: GitHub App logins end in "[bot]", plus the usual."""
    folded = account.casefold()
    return folded.endswith("[bot]") or folded in {bot.casefold() for bot in DEFAULT_BOTS}


def _is_bot(frame: pd.DataFrame, account: str, bots: Mapping[str, BotRule]) -> pd.Series:
    flags = [
        isinstance(login, str) and bool(login) and bots.get(source, default_is_bot)(login)
        for source, login in zip(frame["source"], frame[account], strict=True)
    ]
    return pd.Series(flags, index=frame.index, dtype=bool)


_EPOCH = pd.Timestamp(0, tz="UTC")
_SECOND = pd.Timedelta(seconds=1)


def _key_part(column: pd.Series) -> pd.Series:
    """The same text `ingest.records.key_part` gives: datetimes as whole Unix seconds, truncated
    toward zero like `int(value.timestamp())`, whatever unit the column holds (pandas 3 reads
    microseconds, older pandas nanoseconds), so no unit-dependent integer view is taken."""
    if isinstance(column.dtype, pd.DatetimeTZDtype):
        since_epoch = column - _EPOCH
        seconds = since_epoch // _SECOND
        whole = since_epoch.dt.floor("s") == since_epoch
        seconds += (seconds < 0) & ~whole
        return seconds.astype(str)
    return column.astype(str)


def record_keys(frame: pd.DataFrame, parts: Sequence[str]) -> pd.Series:
    joined = _key_part(frame[parts[0]])
    for part in parts[1:]:
        joined = joined + "/" + _key_part(frame[part])
    return frame["source"].astype(str) + ":" + joined


def _people_for(
    frame: pd.DataFrame, column: PersonColumn, index: AccountIndex, tools: pd.Series
) -> pd.Series:
    """people.yaml may list an account under the source's kind (github) or its name."""
    by_account = {
        f"{tool}\t{account}": person for (tool, account), person in index.by_account.items()
    }
    account = "\t" + frame[column.account].astype(str).str.casefold()
    person = (tools + account).map(by_account).fillna((frame["source"] + account).map(by_account))
    if column.email is not None:
        by_email = frame[column.email].str.casefold().map(index.by_email)
        person = person.fillna(by_email)
    return person.astype(object).where(person.notna(), None)


def _read_kind(engine: Engine, kind: str) -> pd.DataFrame:
    """Times are read as the driver gives them (SQLite's text, PostgreSQL's naive UTC) and
    converted a column at a time: turning each of 300,000 samples into an aware datetime
    row by row took seconds. Both are naive UTC, as `UTCDateTime` stores them."""
    table = RECORD_TABLES[KINDS[kind].table]
    times = [name for name, c in table.columns.items() if isinstance(c.type, UTCDateTime)]
    columns = [type_coerce(c, Text) if name in times else c for name, c in table.columns.items()]
    with engine.connect() as conn:
        frame = pd.read_sql(select(*columns), conn)
    for name in times:
        frame[name] = pd.to_datetime(frame[name], utc=True, format="ISO8601")
    return frame


def _frame(
    engine: Engine,
    kind: str,
    index: AccountIndex,
    tools: Mapping[str, str],
    bots: Mapping[str, BotRule],
) -> pd.DataFrame:
    frame = _read_kind(engine, kind)
    record = KINDS[kind]
    frame.insert(0, "key", record_keys(frame, record.natural_key[1:]) if len(frame) else [])
    if kind in LINKS:
        link = LINKS[kind]
        frame[link.target] = record_keys(frame, link.parts) if len(frame) else []
    tool = frame["source"].map(tools).fillna(frame["source"])
    for column in PEOPLE_COLUMNS.get(kind, ()):
        frame[column.target] = _people_for(frame, column, index, tool) if len(frame) else []
    if kind == "ticket_change":
        is_status = frame["field"] != "assignee"
        frame.loc[is_status, ["from_person", "to_person"]] = None
    if kind == "sample":
        is_team = frame["owner"].str.startswith("team:")
        frame["person"] = frame["owner"].where(~is_team, None)
        frame["team"] = frame["owner"].str.removeprefix("team:").where(is_team, None)
    if kind in BOT_ACCOUNTS:
        frame["is_bot"] = _is_bot(frame, BOT_ACCOUNTS[kind], bots)
    return frame


def load_evidence(
    engine: Engine,
    *,
    persons: Sequence[Person],
    source_kinds: Mapping[str, str],
    kinds: Collection[str] | None = None,
    bots: Mapping[str, BotRule] | None = None,
) -> dict[str, pd.DataFrame]:
    """Every stored record of the asked kinds (default all), with keys and people attached.

    `bots` maps a source name to its rule (a GitHub source's `is_bot`); sources without one use
    `default_is_bot`.
    """
    index = AccountIndex.build(persons)
    rules = dict(bots or {})
    return {kind: _frame(engine, kind, index, source_kinds, rules) for kind in kinds or KINDS}


@dataclass(frozen=True)
class UnmatchedAccount:
    source: str
    account: str
    email: str | None
    records: int


def unmatched_accounts(frames: Mapping[str, pd.DataFrame]) -> list[UnmatchedAccount]:
    """Accounts on stored records that people.yaml does not place: listed, never guessed."""
    found: dict[tuple[str, str], UnmatchedAccount] = {}
    for kind, columns in PEOPLE_COLUMNS.items():
        frame = frames.get(kind)
        if frame is None or frame.empty:
            continue
        for column in columns:
            rows = frame[frame[column.account].notna() & frame[column.target].isna()]
            if kind == "ticket_change":
                rows = rows[rows["field"] == "assignee"]
            for row in rows.itertuples(index=False):
                source, account = str(row.source), str(getattr(row, column.account))
                email = getattr(row, column.email) if column.email else None
                seen = found.get((source, account))
                found[(source, account)] = UnmatchedAccount(
                    source=source,
                    account=account,
                    email=email or (seen.email if seen else None),
                    records=(seen.records if seen else 0) + 1,
                )
    return sorted(found.values(), key=lambda a: (a.source, -a.records, a.account))


__all__ = [
    "BOT_ACCOUNTS",
    "LINKS",
    "PEOPLE_COLUMNS",
    "UnmatchedAccount",
    "default_is_bot",
    "load_evidence",
    "record_keys",
    "unmatched_accounts",
]
