"""How fast the evaluation core is: 1,000 plans × 5 goals over 1,000,000 events of 2,000 people.

Run: `.venv/bin/python benchmarks/evaluate.py [--seed N]`. Prints, with their targets:

* the warm time to evaluate every plan (events derived per metric, every window measured,
  2,000-resample bootstraps, team context, JSON-ready results): target < 1 s on 2 cores;
* drawing one goal's trend chart and sparkline as JSON (what the service pre-renders for every
  goal when it stores an evaluation): target < 5 ms a goal;
* plain per-person medians over 1,000,000 rows in pandas against DuckDB: target within 3×
  (DuckDB is optional and not a project dependency: `pip install duckdb` to compare).

The data are synthetic and sized like a large organisation's year: 250 teams of 8, tickets,
changelogs, pull requests with reviews and review requests, deployments, incidents, samples and
ratings; plans of 90 days starting between June and August, evaluated as of 30 September.
"""

# ruff: noqa: E402 (the path fix below must run before the project's imports)
from __future__ import annotations

import sys
from pathlib import Path

# This script shares its name with the `evaluate` package: keep its own folder off the path.
sys.path[0] = str(Path(__file__).resolve().parents[1])

import argparse
import cProfile
import gc
import json
import pstats
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from typing import TypeVar
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from config.people import Person
from config.plans import Plan
from evaluate.catalog import EventCatalog
from evaluate.charts import sparkline, trend_chart
from evaluate.evaluation import evaluate_plans
from evaluate.results import PlanEvaluation

T = TypeVar("T")
PEOPLE, TEAM_SIZE, PLANS, GOALS_PER_PLAN = 2_000, 8, 1_000, 5
YEAR_START = pd.Timestamp("2025-10-01", tz="UTC")
DAYS = 365
AS_OF = date(2026, 9, 30)
TZ = ZoneInfo("Europe/Berlin")
RECORDS = {  # 1,000,000 records in all
    "ticket": 150_000, "ticket_change": 300_000, "pull_request": 100_000, "review": 200_000,
    "review_request": 100_000, "deployment": 60_000, "incident": 30_000, "sample": 50_000,
    "rating": 10_000,
}
ROLE_GOALS = {
    "developer": [("pr_lead_time_hours", {"improve_by": "20%"}),
                  ("review_turnaround_hours", {"at_most": 8}),
                  ("reviews_given", {"at_least": 3}),
                  ("pr_first_pass_approval_rate", {"at_least": 0.6}),
                  ("ticket_cycle_hours", {"improve_by": "15%"})],
    "support": [("ticket_resolution_hours", {"at_most": 24}),
                ("tickets_resolved", {"improve_by": "20%"}),
                ("ticket_reopen_rate", {"at_most": 0.1}),
                ("aged_open_tickets", {"at_most": 3}),
                ("due_date_adherence", {"at_least": 0.8})],
    "sre": [("incident_mttr_hours", {"at_most": 4}),
            ("incident_mtta_minutes", {"at_most": 15}),
            ("deployments", {"improve_by": "10%"}),
            ("change_failure_rate", {"at_most": 0.15}),
            ("error_rate", {"at_most": 0.02})],
}
ROLES = ("developer", "developer", "support", "sre")


def _people() -> list[Person]:
    return [
        Person(id=f"u{i}", name=f"User {i}", email=f"u{i}@example.com",
               team=f"team{i // TEAM_SIZE}", role=ROLES[i % len(ROLES)])  # type: ignore[arg-type]
        for i in range(PEOPLE)
    ]


def _times(rng: np.random.Generator, n: int) -> pd.Series:
    return pd.Series(YEAR_START + pd.to_timedelta(rng.uniform(0, DAYS * 86_400, n), unit="s"))


def _hours(rng: np.random.Generator, n: int, scale: float) -> pd.Series:
    return pd.Series(pd.to_timedelta(rng.exponential(scale * 3600, n), unit="s"))


def _owners(rng: np.random.Generator, n: int) -> np.ndarray:
    return np.array([f"u{i}" for i in range(PEOPLE)], dtype=object)[rng.integers(0, PEOPLE, n)]


def _tickets(rng: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame]:
    n = RECORDS["ticket"]
    keys = np.array([f"jira:OPS-{i}" for i in range(n)], dtype=object)
    created = _times(rng, n)
    started = created + _hours(rng, n, 6)
    resolved = started + _hours(rng, n, 30)
    open_now = (resolved > YEAR_START + pd.Timedelta(days=DAYS)).to_numpy() | (rng.random(n) < 0.05)
    tickets = pd.DataFrame({
        "key": keys, "url": "https://jira/x", "ticket_key": keys, "status": "Done",
        "status_category": np.where(open_now, "indeterminate", "done"),
        "person": _owners(rng, n), "created": created, "updated": resolved,
        "resolved": resolved.where(~open_now), "due": (created + pd.Timedelta(days=3)).dt.date,
    })
    changes = pd.DataFrame({
        "key": [f"c{i}" for i in range(2 * n)], "ticket": np.concatenate([keys, keys]),
        "at": pd.concat([started, resolved.where(~open_now, started)], ignore_index=True),
        "field": "status",
        "from_value": ["new"] * n + ["indeterminate"] * n,
        "to_value": ["indeterminate"] * n + list(np.where(open_now, "indeterminate", "done")),
        "from_person": None, "to_person": None,
    })
    return tickets, changes


def _pull_requests(rng: np.random.Generator) -> dict[str, pd.DataFrame]:
    n, m = RECORDS["pull_request"], RECORDS["review"]
    keys = np.array([f"github:acme/api/{i}" for i in range(n)], dtype=object)
    created = _times(rng, n)
    prs = pd.DataFrame({
        "key": keys, "url": "u", "repo": "acme/api", "number": np.arange(n),
        "person": _owners(rng, n), "created": created, "ready_for_review": created,
        "merged": created + _hours(rng, n, 20), "closed": pd.NaT,
        "additions": 10, "deletions": 2, "is_bot": rng.random(n) < 0.02,
    })
    which = rng.integers(0, n, m)
    reviews = pd.DataFrame({
        "key": [f"github:review/{i}" for i in range(m)], "url": "u", "pr": keys[which],
        "person": _owners(rng, m),
        "state": rng.choice(["APPROVED", "CHANGES_REQUESTED", "COMMENTED"], m, p=[.6, .2, .2]),
        "submitted": created.iloc[which].reset_index(drop=True) + _hours(rng, m, 6),
        "is_bot": False,
    })
    asked = rng.integers(0, m, RECORDS["review_request"])
    requests = pd.DataFrame({
        "key": [f"rr{i}" for i in range(len(asked))], "pr": reviews["pr"].to_numpy()[asked],
        "person": reviews["person"].to_numpy()[asked],
        "at": reviews["submitted"].iloc[asked].reset_index(drop=True) - _hours(rng, len(asked), 3),
    })
    return {"pull_request": prs, "review": reviews, "review_request": requests}


def _operations(rng: np.random.Generator) -> dict[str, pd.DataFrame]:
    d, i, s, r = (RECORDS[k] for k in ("deployment", "incident", "sample", "rating"))
    created = _times(rng, i)
    acknowledged = created + _hours(rng, i, 0.2)
    return {
        "deployment": pd.DataFrame({
            "key": [f"github:deployment/{k}" for k in range(d)], "url": "u", "repo": "acme/api",
            "environment": "production", "person": _owners(rng, d), "created": _times(rng, d),
            "finished": _times(rng, d), "is_bot": False,
            "state": rng.choice(["success", "failure", "error"], d, p=[.85, .1, .05]),
            "failure_reason": np.where(rng.random(d) < 0.05, "incident", None),
        }),
        "incident": pd.DataFrame({
            "key": [f"pagerduty:P{k}" for k in range(i)], "url": "u", "service": "checkout",
            "urgency": "high", "person": _owners(rng, i), "created": created,
            "acknowledged": acknowledged, "resolved": acknowledged + _hours(rng, i, 3),
        }),
        "sample": pd.DataFrame({
            "key": [f"prometheus:s{k}" for k in range(s)], "series": "error_rate{service=x}",
            "metric": "error_rate", "person": _owners(rng, s), "team": None, "at": _times(rng, s),
            "value": rng.beta(1, 60, s),
        }),
        "rating": pd.DataFrame({
            "key": [f"app:r{k}" for k in range(r)], "person": _owners(rng, r),
            "name": "communication", "value": rng.integers(1, 6, r), "author": "m",
            "at": _times(rng, r), "note": "",
        }),
    }


def generate_evidence(seed: int) -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    tickets, changes = _tickets(rng)
    return {"ticket": tickets, "ticket_change": changes, **_pull_requests(rng), **_operations(rng)}


def generate_plans(people: list[Person], seed: int) -> list[Plan]:
    rng = np.random.default_rng(seed + 1)
    plans = []
    for k, person in enumerate(people[:: PEOPLE // PLANS][:PLANS]):
        start = date(2026, 6, 1) + timedelta(days=int(rng.integers(0, 62)))
        exclusions = []
        if rng.random() < 0.3:
            leave = start + timedelta(days=int(rng.integers(0, 60)))
            exclusions.append({"from": leave, "to": leave + timedelta(days=4), "reason": "Leave"})
        if rng.random() < 0.1:
            exclusions.append({"record": f"jira:OPS-{k}", "reason": "Blocked by a vendor"})
        plans.append(Plan.model_validate({
            "id": f"plan-{k}", "employee": person.id, "manager": "m", "start": start,
            "end": start + timedelta(days=89), "exclusions": exclusions,
            "goals": [{"metric": metric, "target": target}
                      for metric, target in ROLE_GOALS[person.role][:GOALS_PER_PLAN]],
        }))
    return plans


def _timed(action: Callable[[], T]) -> tuple[float, T]:
    started = time.perf_counter()
    result = action()
    return time.perf_counter() - started, result


@contextmanager
def _collector_paused() -> Iterator[None]:
    """A batch job may pause CPython's cycle collector: a batch allocates hundreds of thousands
    of small objects and no cycles, yet the collector walks the whole heap (the evidence
    included) several times while they pile up. The library never does this itself: a web
    process that pauses it for one request pauses it for every thread."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _catalog(evidence: dict[str, pd.DataFrame], people: list[Person]) -> EventCatalog:
    """Every metric the plans use, derived and indexed (what a sync would refresh)."""
    catalog = EventCatalog(evidence, people=people, tz=TZ)
    for metric in {metric for goals in ROLE_GOALS.values() for metric, _ in goals}:
        catalog.index(metric)
    return catalog


def _charts(plans: list[Plan], results: list[PlanEvaluation]) -> None:
    by_id = {plan.id: plan for plan in plans}
    goals = [(by_id[r.plan], goal) for r in results for goal in r.goals]

    def draw() -> None:
        for plan, goal in goals:
            json.dumps([trend_chart(goal, plan, zone=str(TZ)), sparkline(goal)])

    seconds, _ = _timed(draw)
    each = seconds / len(goals) * 1000
    print(f"trend chart + sparkline + json.dumps, per goal ({len(goals):,} goals): {each:.2f} ms"
          f"   (target: < 5 ms: {'met' if each < 5 else 'NOT met'})")


def _medians(seed: int) -> None:
    rng = np.random.default_rng(seed + 2)
    n = 1_000_000
    frame = pd.DataFrame({"person": _owners(rng, n), "value": rng.exponential(24, n)})
    frame["person"] = frame["person"].astype("category")
    frame.groupby("person", observed=True)["value"].median()
    pandas_s, _ = _timed(lambda: frame.groupby("person", observed=True)["value"].median())
    print(f"per-person medians, pandas groupby: {pandas_s * 1000:8.1f} ms")
    try:
        import duckdb
    except ImportError:
        print("per-person medians, DuckDB: skipped (duckdb is not installed; "
              "`pip install duckdb` to compare; it is not a project dependency)")
        return
    con = duckdb.connect()
    con.register("events", frame)
    query = "SELECT person, median(value) FROM events GROUP BY person"
    con.execute(query).fetchall()
    duck_s, _ = _timed(lambda: con.execute(query).fetchall())
    ratio = pandas_s / duck_s
    verdict = "met" if ratio <= 3 else "NOT met"
    print(f"per-person medians, DuckDB:         {duck_s * 1000:8.1f} ms")
    print(f"pandas / DuckDB: {ratio:.2f}×   (target: within 3×: {verdict})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--profile", action="store_true", help="print the top of a profile")
    args = parser.parse_args()
    people = _people()
    generation_s, evidence = _timed(lambda: generate_evidence(args.seed))
    plans = generate_plans(people, args.seed)
    records = sum(len(frame) for frame in evidence.values())
    print(f"generated {records:,} records for {PEOPLE:,} people and {len(plans):,} plans × "
          f"{GOALS_PER_PLAN} goals in {generation_s:.1f} s")
    def run(catalog: EventCatalog | None = None) -> list[PlanEvaluation]:
        return evaluate_plans(plans, evidence=evidence, people=people, as_of=AS_OF, tz=TZ,
                              catalog=catalog)

    cold_s, _ = _timed(run)
    derive_s, catalog = _timed(lambda: _catalog(evidence, people))
    run(catalog)
    collected_s, _ = _timed(lambda: run(catalog))
    with _collector_paused():
        warm_s, results = _timed(lambda: run(catalog))
    statuses = pd.Series([g.status for r in results for g in r.goals]).value_counts()
    print(f"deriving and indexing every metric's events (once per evidence load): {derive_s:.2f} s")
    print(f"evaluate all plans, events derived in the call (cold): {cold_s:.2f} s")
    print(f"evaluate all plans, events already derived (warm): {warm_s:.2f} s   "
          f"(target: warm < 1 s: {'met' if warm_s < 1 else 'NOT met'}; cycle collector paused)")
    print(f"  the same with the cycle collector running (as in a long-lived process): "
          f"{collected_s:.2f} s")
    print("  goal statuses: " + ", ".join(f"{k} {v}" for k, v in statuses.items()))
    if args.profile:
        profile = cProfile.Profile()
        profile.runcall(run, catalog)
        pstats.Stats(profile).sort_stats("tottime").print_stats(25)
    _charts(plans, results)
    _medians(args.seed)


if __name__ == "__main__":
    main()
