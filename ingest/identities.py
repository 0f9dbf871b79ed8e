"""Maps tool accounts to people: the listed account first, then the e-mail, never a guess.

people.yaml lists accounts by tool (a source *kind*: jira, github, pagerduty); records carry the
source *name*, so callers pass the name → kind map from sources.yaml.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, delete, insert

from config.people import Person
from ingest.store import PEOPLE_LOCK, accounts, lock_exclusively, people


@dataclass(frozen=True)
class AccountIndex:
    """The listed account wins, then the e-mail; both compare case-insensitively (GitHub logins
    are case-insensitive, and ids from the other tools never differ only by case)."""

    by_account: Mapping[tuple[str, str], str]
    by_email: Mapping[str, str]

    @classmethod
    def build(cls, persons: Sequence[Person]) -> AccountIndex:
        return cls(
            by_account={
                (tool, acct.casefold()): p.id for p in persons for tool, acct in p.accounts.items()
            },
            by_email={p.email.casefold(): p.id for p in persons},
        )


def store_people(conn: Connection, persons: Sequence[Person]) -> None:
    """Mirror people.yaml into the database (the file is the source of truth). Commands starting
    together take turns: otherwise the second one's inserts collide with the first one's rows."""
    lock_exclusively(conn, PEOPLE_LOCK)
    conn.execute(delete(accounts))
    conn.execute(delete(people))
    if not persons:
        return
    conn.execute(
        insert(people),
        [
            {
                "id": p.id,
                "name": p.name,
                "email": p.email,
                "team": p.team,
                "role": p.role or "",  # no role: someone never measured
                "manager": p.manager,
            }
            for p in persons
        ],
    )
    rows = [
        {"tool": t, "account": a, "person_id": p.id} for p in persons for t, a in p.accounts.items()
    ]
    if rows:
        conn.execute(insert(accounts), rows)


__all__ = ["AccountIndex", "store_people"]
