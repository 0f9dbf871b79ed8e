"""The evidence loader: record keys, people mapped from accounts, unmatched accounts listed."""

from __future__ import annotations

import dataclasses
import typing
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa

from config.people import Person
from ingest.evidence import load_evidence, unmatched_accounts
from ingest.records import KINDS as RECORD_KINDS
from ingest.records import Record, Review, TicketChange
from ingest.store import upsert_records
from tests.ingest.test_store import ticket

PEOPLE = [
    Person(
        id="jdoe",
        name="Jane Doe",
        email="Jane.Doe@example.com",
        team="desk",
        role="support",
        accounts={"jira": "acc-1", "github": "JaneD"},
    ),
    Person(id="asmith", name="Al Smith", email="al@example.com", team="desk", role="support"),
]
KINDS = {"jira": "jira", "gh": "github"}
AT = datetime(2026, 9, 2, 10, tzinfo=UTC)


def change(change_id: str, field: str, old: str | None, new: str | None) -> TicketChange:
    return TicketChange(
        source="jira",
        ticket_key="OPS-1",
        change_id=change_id,
        at=AT,
        field=field,
        from_value=old,
        to_value=new,
        from_name=old,
        to_name=new,
        author_account=None,
    )


def review(review_id: str, account: str) -> Review:
    return Review(
        source="gh",
        review_id=review_id,
        repo="acme/api",
        number=12,
        url="u",
        reviewer_account=account,
        state="APPROVED",
        submitted=AT,
    )


def test_people_come_from_listed_accounts_then_email(engine: sa.Engine) -> None:
    by_email = ticket("OPS-2")
    by_email = type(by_email)(
        **{**by_email.row(), "assignee_account": "acc-x", "assignee_email": "jane.doe@EXAMPLE.com"}
    )
    stranger = type(by_email)(
        **{
            **by_email.row(),
            "ticket_key": "OPS-3",
            "assignee_account": "acc-y",
            "assignee_email": None,
        }
    )
    with engine.begin() as conn:
        upsert_records(
            conn,
            [
                ticket("OPS-1"),
                by_email,
                stranger,
                review("r1", "janed"),
                change("10.0", "assignee", "acc-1", "acc-z"),
                change("10.1", "status", "new", "done"),
            ],
        )
    frames = load_evidence(engine, persons=PEOPLE, source_kinds=KINDS)

    tickets = frames["ticket"].set_index("key")
    assert tickets.loc["jira:OPS-1", "person"] == "jdoe"
    assert tickets.loc["jira:OPS-2", "person"] == "jdoe"
    assert tickets.loc["jira:OPS-3", "person"] is None
    assert frames["review"].iloc[0]["person"] == "jdoe"  # logins compare case-insensitively
    assert frames["review"].iloc[0]["pr"] == "gh:acme/api/12"
    changes = frames["ticket_change"].set_index("change_id")
    assert changes.loc["10.0", ["from_person", "to_person"]].tolist() == ["jdoe", None]
    assert changes.loc["10.1", ["from_person", "to_person"]].tolist() == [None, None]
    assert changes.loc["10.0", "ticket"] == "jira:OPS-1"
    assert str(tickets["created"].dtype).startswith("datetime64") and tickets["created"].dt.tz

    unmatched = unmatched_accounts(frames)
    assert [(a.source, a.account, a.records) for a in unmatched] == [
        ("jira", "acc-y", 1),
        ("jira", "acc-z", 1),
    ]


def test_empty_store_gives_empty_frames_with_columns(engine: sa.Engine) -> None:
    frames = load_evidence(engine, persons=PEOPLE, source_kinds=KINDS)
    assert frames["ticket"].empty and {"key", "person", "created"} <= set(frames["ticket"].columns)
    assert unmatched_accounts(frames) == []


def _value(name: str, hint: object, at: datetime) -> object:
    """A stand-in value for one record field; every time is `at`, every number 3
    (a valid rating)."""
    base = next((a for a in typing.get_args(hint) if a is not type(None)), hint)
    if base is datetime:
        return at
    if base is date:
        return at.date()
    if base in (int, float):
        return base(3)
    if base == tuple[str, ...]:
        return ("acc-1",)
    return {"owner": "team:desk"}.get(name, f"{name}-1")


def stand_in(kind: type[Record], at: datetime) -> Record:
    hints = typing.get_type_hints(kind)
    values = {f.name: _value(f.name, hints[f.name], at) for f in dataclasses.fields(kind)}
    return kind(**{**values, "source": "src"})


def test_every_kinds_frame_key_is_the_stored_records_key(engine: sa.Engine) -> None:
    # Two samples five minutes apart, one with a fraction of a second: keys are Unix seconds
    # whatever unit pandas reads the column in (microseconds in pandas 3).
    times = (AT + timedelta(microseconds=250_000), AT + timedelta(minutes=5))
    records = [stand_in(kind, at) for kind in RECORD_KINDS.values() for at in times]
    with engine.begin() as conn:
        upsert_records(conn, records)
    frames = load_evidence(engine, persons=PEOPLE, source_kinds=KINDS)

    for name, kind in RECORD_KINDS.items():
        expected = sorted({record.key for record in records if type(record) is kind})
        assert sorted(frames[name]["key"]) == expected, name
    assert len(frames["sample"]) == 2 and frames["sample"]["key"].is_unique
