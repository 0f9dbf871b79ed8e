"""How cheaply stored evaluations follow a sync: 1,000 plans, a sync that touched 1% of people.

Run: `.venv/bin/python benchmarks/refresh.py`. Builds a SQLite database with 2,000 people in
teams of 8, 80,000 tickets and 1,000 plans, stores every plan's evaluation, then writes one new
ticket for each of 20 people (1%) as a sync would and times `service.refresh_changed`: it
loads the evidence, digests each plan's (evaluate.digests) and recomputes only the plans whose
digest moved, the touched people's and their teammates' (team context reads the team). Prints
the time (target < 1 s) and how many plans were recomputed; the rest keep their stored rows.
"""

# ruff: noqa: E402 (the path fix below must run before the project's imports)
from __future__ import annotations

import sys
from pathlib import Path

sys.path[0] = str(Path(__file__).resolve().parents[1])

import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import numpy as np
import yaml
from sqlalchemy import select

import service
from ingest.records import Ticket
from ingest.store import make_engine, upsert_records
from service.tables import evaluations

PEOPLE, TEAM_SIZE, TICKETS, TOUCHED = 2_000, 8, 80_000, 20
START = datetime(2026, 3, 1, tzinfo=UTC)
GOALS = [{"metric": "ticket_resolution_hours", "target": {"at_most": 24}},
         {"metric": "tickets_resolved", "target": {"improve_by": "20%"}}]


def _write_config(folder: Path, database: str) -> None:
    (folder / "plans").mkdir(parents=True)
    people = [{"id": f"u{i}", "name": f"User {i}", "email": f"u{i}@example.com",
               "team": f"team{i // TEAM_SIZE}", "role": "support",
               "accounts": {"jira": f"acct{i}"}} for i in range(PEOPLE)]
    (folder / "people.yaml").write_text(yaml.safe_dump({"people": people}))
    sources = {"sources": [{"name": "jira", "kind": "jira", "url": "https://jira.example",
                            "email_env": "JIRA_EMAIL", "token_env": "JIRA_TOKEN"}]}
    (folder / "sources.yaml").write_text(yaml.safe_dump(sources))
    for i in range(0, PEOPLE, 2):  # every other person is on a plan
        plan = {"id": f"plan-u{i}", "employee": f"u{i}", "manager": f"u{i + 1}",
                "start": "2026-09-01", "end": "2026-11-30", "goals": GOALS}
        (folder / "plans" / f"plan-u{i}.yaml").write_text(yaml.safe_dump(plan))


def _ticket(n: int, person: int, created: datetime, hours: float) -> Ticket:
    resolved = created + timedelta(hours=hours)
    return Ticket(source="jira", ticket_key=f"OPS-{n}", url=f"https://jira.example/browse/OPS-{n}",
                  project="OPS", issue_type="Task", summary="s", status="Done",
                  status_category="done", assignee_account=f"acct{person}", assignee_email=None,
                  reporter_account=None, created=created, updated=resolved, resolved=resolved,
                  due=None, priority=None)


def _tickets(rng: np.random.Generator) -> list[Ticket]:
    people = rng.integers(0, PEOPLE, TICKETS)
    offsets = rng.uniform(0, 270 * 86_400, TICKETS)
    hours = rng.exponential(30, TICKETS)
    return [_ticket(n, int(p), START + timedelta(seconds=float(o)), float(h))
            for n, (p, o, h) in enumerate(zip(people, offsets, hours, strict=True))]


def _timed(action: Callable[[], object]) -> tuple[float, object]:
    started = time.perf_counter()
    result = action()
    return time.perf_counter() - started, result


def _computed(ws: service.Workspace) -> dict[str, datetime]:
    with ws.engine.connect() as conn:
        return dict(conn.execute(select(evaluations.c.plan_id, evaluations.c.computed_at)).all())


def main() -> None:
    folder = Path(tempfile.mkdtemp(prefix="trackrecord-refresh-"))
    database = f"sqlite:///{folder / 'bench.db'}"
    _write_config(folder / "config", database)
    rng = np.random.default_rng(7)
    engine = make_engine(database)
    ws = service.open_workspace(folder / "config", database_url=database)
    with engine.begin() as conn:
        upsert_records(conn, _tickets(rng))
    started = time.perf_counter()
    service.refresh_evaluations(ws)
    print(f"stored the first evaluation of {len(ws.config.plans):,} plans over {TICKETS:,} "
          f"tickets of {PEOPLE:,} people in {time.perf_counter() - started:.2f} s")

    started = time.perf_counter()
    idle = service.refresh_changed(ws)
    print(f"refresh after a sync that changed nothing: {time.perf_counter() - started:.2f} s, "
          f"{len(idle)} plans recomputed")

    before = _computed(ws)
    touched = [int(p) for p in rng.choice(PEOPLE, TOUCHED, replace=False)]
    with engine.begin() as conn:  # what a sync writes: one new resolved ticket each
        upsert_records(conn, [_ticket(TICKETS + k, p, datetime(2026, 11, 20, tzinfo=UTC), 5.0)
                              for k, p in enumerate(touched)])
    started = time.perf_counter()
    recomputed = service.refresh_changed(ws)
    elapsed = time.perf_counter() - started
    after = _computed(ws)
    teams = {p // TEAM_SIZE for p in touched}
    expected = {f"plan-u{i}" for i in range(0, PEOPLE, 2) if i // TEAM_SIZE in teams}
    changed = {plan for plan, at in after.items() if at != before[plan]}
    load, _ = _timed(lambda: ws.evidence(kinds={"ticket", "ticket_change"}))
    print(f"refresh after a sync that touched {TOUCHED} people (1%): {elapsed:.2f} s   "
          f"(target < 1 s: {'met' if elapsed < 1 else 'NOT met'}); of which loading the "
          f"evidence: {load:.2f} s, digests and recomputing: {elapsed - load:.2f} s")
    print(f"  plans recomputed: {len(recomputed)} of {len(after):,} (the touched people's teams: "
          f"{len(expected)}); stored rows rewritten: {len(changed)}; untouched plans kept: "
          f"{changed == expected == {r.plan_id for r in recomputed}}")


if __name__ == "__main__":
    main()
