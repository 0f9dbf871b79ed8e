"""people.yaml mirrored into the database, also by two commands starting at once."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from threading import Event

import sqlalchemy as sa

from config.people import Person
from ingest.identities import store_people
from ingest.store import accounts, people
from tests.ingest.test_schema import blocked_by, wait_until

PEOPLE = [
    Person(id="ann", name="Ann", email="ann@example.com", team="ops", role="support",
           accounts={"jira": "acc-1", "github": "ann"}),
    Person(id="bob", name="Bob", email="bob@example.com", team="ops", role="sre"),
]  # fmt: skip


def test_two_commands_storing_people_at_once_take_turns(engine: sa.Engine) -> None:
    first_done = Event()

    def first() -> None:
        with engine.begin() as conn:
            store_people(conn, PEOPLE)
            first_done.set()
            if engine.dialect.name == "postgresql":  # commit only once the second one waits
                wait_until(lambda: blocked_by(engine, conn))
            else:
                time.sleep(0.2)

    def second() -> None:
        first_done.wait(timeout=10)
        with engine.begin() as conn:
            store_people(conn, PEOPLE)

    with ThreadPoolExecutor(max_workers=2) as pool:
        runs = [pool.submit(first), pool.submit(second)]
    for run in runs:
        run.result()  # re-raises what the thread raised (a UniqueViolation without the lock)
    with engine.connect() as conn:
        assert sorted(conn.execute(sa.select(people.c.id)).scalars()) == ["ann", "bob"]
        assert conn.execute(sa.select(sa.func.count()).select_from(accounts)).scalar_one() == 2
