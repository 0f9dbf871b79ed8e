"""Reads stored records into the DataFrames the evaluation core takes, one frame per kind.

This is the boundary between the database and the pure evaluation: every frame gets its record
`key` (`source:natural-key`) and the people behind its accounts, mapped here once with people.yaml
(the listed account first, then the e-mail), so nothing downstream knows about tools or accounts.
Timestamps come out tz-aware UTC.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache, cached_property

import pandas as pd
from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    Table,
    Text,
    func,
    or_,
    select,
    tuple_,
    type_coerce,
)

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
_DEFAULT_BOTS = frozenset(bot.casefold() for bot in DEFAULT_BOTS)


def default_is_bot(account: str) -> bool:
    """For a source without its own list: GitHub App logins end in "[bot]", plus the usual."""
    folded = account.casefold()
    return folded.endswith("[bot]") or folded in _DEFAULT_BOTS


def _is_bot(frame: pd.DataFrame, account: str, bots: Mapping[str, BotRule]) -> pd.Series:
    """Each rule is asked once per login: a source has few logins and many rows."""

    @cache
    def verdict(source: str, login: str) -> bool:
        return bots.get(source, default_is_bot)(login)

    flags = [
        isinstance(login, str) and bool(login) and verdict(source, login)
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


def _folded(values: Iterable[str]) -> frozenset[str]:
    """Each value as SQL's `lower` and Python's `casefold` give it: the account index folds
    with casefold, and the database indexes hold `lower`."""
    return frozenset(form for value in values for form in (value.lower(), value.casefold()))


@dataclass(frozen=True)
class PeopleScope:
    """Whose records to read: some people (a person and their team), by the accounts and
    e-mails people.yaml gives them, by id where a record names its person (ratings) or owner
    (samples), and by team where a series belongs to a team.

    The rows read are a superset of theirs, never a subset: every row the account mapping
    could attribute to one of them, and every row their metrics join to (the changelog of a
    ticket they ever held, the pull request they reviewed and its other reviews). Rows of
    other people that come along count for no one here, as the core measures by person.
    With a repository → service map, the deployments of mapped repositories and the incidents
    of their services are read whole: any of them may decide whether a deployment failed.
    SQLite's `lower` folds ASCII letters only: an account stored with non-ASCII capitals that
    people.yaml lists in small letters is missed (tool accounts and ids are ASCII)."""

    ids: frozenset[str]
    teams: frozenset[str]
    accounts: frozenset[str]  # folded (`_folded`)
    emails: frozenset[str]  # folded
    repos: frozenset[str] = frozenset()  # repositories mapped to an incident service
    services: frozenset[str] = frozenset()  # their services, folded

    @classmethod
    def of(cls, persons: Sequence[Person], services: Mapping[str, str] | None = None
           ) -> PeopleScope:
        services = services or {}
        return cls(
            ids=frozenset(p.id for p in persons),
            teams=frozenset(p.team for p in persons),
            accounts=_folded(account for p in persons for account in p.accounts.values()),
            emails=_folded(p.email for p in persons),
            repos=frozenset(services),
            services=_folded(services.values()),
        )

    def clause(self, kind: str) -> ColumnElement[bool]:
        """The SQL condition choosing this scope's rows of one kind's table."""
        return self._clauses[kind]

    @cached_property
    def _clauses(self) -> dict[str, ColumnElement[bool]]:
        """Built once per scope, not once for each kind it reads."""
        tables = {name: RECORD_TABLES[KINDS[name].table] for name in KINDS}
        tickets, changes, prs, reviews = (tables[k] for k in (
            "ticket", "ticket_change", "pull_request", "review"))
        held = self._named(tickets, "assignee_account", "assignee_email") | tuple_(
            tickets.c.source, tickets.c.ticket_key).in_(
            select(changes.c.source, changes.c.ticket_key).where(
                changes.c.field == "assignee", self._named(changes, "from_value", "to_value")))
        authored = self._named(prs, "author_account", "author_email")
        reviewed = self._named(reviews, "reviewer_account")
        pr_of = ("source", "repo", "number")
        return {
            "ticket": held,
            "ticket_change": tuple_(changes.c.source, changes.c.ticket_key).in_(
                select(tickets.c.source, tickets.c.ticket_key).where(held)),
            "pull_request": authored | tuple_(*(prs.c[n] for n in pr_of)).in_(
                select(*(reviews.c[n] for n in pr_of)).where(reviewed)),
            "review": reviewed | tuple_(*(reviews.c[n] for n in pr_of)).in_(
                select(*(prs.c[n] for n in pr_of)).where(authored)),
            "review_request": self._named(tables["review_request"], "reviewer_account"),
            "deployment": self._named(tables["deployment"], "creator_account")
            | tables["deployment"].c.repo.in_(self.repos),
            "incident": self._named(tables["incident"], "assignee_account")
            | func.lower(tables["incident"].c.service).in_(self.services),
            "sample": tables["sample"].c.owner.in_(
                self.ids | {f"team:{team}" for team in self.teams}),
            "rating": tables["rating"].c.person.in_(self.ids),
        }

    def _named(self, table: Table, account: str, email: str | None = None
               ) -> ColumnElement[bool]:
        """Rows whose account (or e-mail) column names one of these people, in any case."""
        found = func.lower(table.c[account]).in_(self.accounts)
        return or_(found, func.lower(table.c[email]).in_(self.emails)) if email else found


def _read_kind(conn: Connection, kind: str, scope: PeopleScope | None) -> pd.DataFrame:
    """Times are read as the driver gives them (SQLite's text, PostgreSQL's naive UTC) and
    converted a column at a time: turning each of 300,000 samples into an aware datetime
    row by row took seconds. Both are naive UTC, as `UTCDateTime` stores them."""
    table = RECORD_TABLES[KINDS[kind].table]
    times = [name for name, c in table.columns.items() if isinstance(c.type, UTCDateTime)]
    columns = [type_coerce(c, Text) if name in times else c for name, c in table.columns.items()]
    query = select(*columns) if scope is None else select(*columns).where(scope.clause(kind))
    frame = pd.read_sql(query, conn)
    for name in times:
        frame[name] = pd.to_datetime(frame[name], utc=True, format="ISO8601")
    return frame


def _frame(
    conn: Connection,
    kind: str,
    index: AccountIndex,
    tools: Mapping[str, str],
    bots: Mapping[str, BotRule],
    scope: PeopleScope | None,
) -> pd.DataFrame:
    frame = _read_kind(conn, kind, scope)
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
    scope: PeopleScope | None = None,
) -> dict[str, pd.DataFrame]:
    """Every stored record of the asked kinds (default all), with keys and people attached;
    with `scope`, only the records of those people (see `PeopleScope`).

    `bots` maps a source name to its rule (a GitHub source's `is_bot`); sources without one use
    `default_is_bot`.
    """
    index = AccountIndex.build(persons)
    rules = dict(bots or {})
    with engine.connect() as conn:  # one connection for every kind, not one each
        return {kind: _frame(conn, kind, index, source_kinds, rules, scope)
                for kind in kinds or KINDS}


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
    "PeopleScope",
    "UnmatchedAccount",
    "default_is_bot",
    "load_evidence",
    "record_keys",
    "unmatched_accounts",
]
