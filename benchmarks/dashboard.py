"""How fast the web app serves pages at scale: 1,000,000 stored records, 1,000 plans with stored
evaluations, the app under uvicorn in another process, timed with an HTTP client.

Run: `.venv/bin/python benchmarks/dashboard.py [--requests N]`. Prints p50 and p95 with their
targets: plan page (header, goals table, the records behind each goal read from the record
tables by key, versions) p95 < 150 ms; plans overview (1,000 plans, signed in as admin) p95 <
300 ms, as it comes (by person), sorted by outcome, and filtered to those needing attention
sorted by goals met; person page (every metric over 26 weeks beside the team, and the suggested
goals, from the team's records alone) p95 < 150 ms.

The records and plans come from benchmarks/evaluate.py's generator; the evaluations are computed
once by the core and stored as a sync would store them, so a request only reads.
"""

# ruff: noqa: E402 (the path fix below must run before the project's imports)
from __future__ import annotations

import sys
from pathlib import Path

sys.path[0] = str(Path(__file__).resolve().parents[1])

import argparse
import os
import random
import re
import statistics
import subprocess
import tempfile
import time

import httpx
import pandas as pd
import yaml
from sqlalchemy import BigInteger, Engine

from benchmarks import evaluate as generator  # as a package module: `evaluate` is the core's
from config.people import Person
from config.plans import Plan
from fakes.server import free_port
from ingest.records import KINDS
from ingest.schema import migrate
from ingest.store import RECORD_TABLES, UTCDateTime, make_engine

PASSWORD = "benchmark password"
PEOPLE = 2_000  # benchmarks/evaluate.py's u0 … u1999
OVERVIEWS = {"overview": "/plans", "sorted": "/plans?sort=outcome&order=desc",
             "attention": "/plans?attention=1&sort=goals_met"}


def _table_frame(kind: str, frame: pd.DataFrame) -> pd.DataFrame:
    """The generated frame as rows of the kind's table: the key split into its natural-key
    parts, columns the generator lacks filled with plain values, times naive UTC."""
    record = KINDS[kind]
    table = RECORD_TABLES[record.table]
    names = record.natural_key[1:]
    keys = frame["key"].astype(str)
    has_source = keys.str.contains(":")
    rows = pd.DataFrame(index=frame.index)
    rows["source"] = keys.str.split(":", n=1).str[0].where(has_source, "bench")
    rest = keys.str.split(":", n=1).str[-1]
    parts = rest.str.rsplit("/", n=len(names) - 1, expand=True) if len(names) > 1 else None
    whole = parts is None or parts.shape[1] != len(names) or parts.isna().any().any()
    for index, name in enumerate(names):
        rows[name] = rest if whole and index == 0 else (parts[index] if not whole else None)
    for name, column in table.columns.items():
        if name in rows and rows[name].notna().all():
            pass
        elif name in frame:
            rows[name] = frame[name]
        elif column.nullable:
            rows[name] = None
        elif isinstance(column.type, UTCDateTime):
            rows[name] = pd.Timestamp("2026-01-01", tz="UTC")
        else:
            rows[name] = 0 if isinstance(column.type, BigInteger) else ""
        if isinstance(column.type, UTCDateTime):
            rows[name] = pd.to_datetime(rows[name], utc=True).dt.tz_localize(None)
        elif isinstance(column.type, BigInteger):
            rows[name] = pd.to_numeric(rows[name])
    return rows[list(table.columns.keys())]


def _store_records(engine: Engine, evidence: dict[str, pd.DataFrame]) -> int:
    total = 0
    with engine.begin() as conn:
        for kind, frame in evidence.items():
            rows = _table_frame(kind, frame)
            rows.to_sql(KINDS[kind].table, conn, if_exists="append", index=False,
                        chunksize=50_000)
            total += len(rows)
    return total


def _write_config(folder: Path, people: list[Person], plans: list[Plan]) -> None:
    """people.yaml (one lead per team of eight, reporting to a director) and plan files."""
    (folder / "plans").mkdir(parents=True)
    (folder / "imports").mkdir()
    listed = [{"id": "director", "name": "Director", "email": "d@example.com", "team": "lead",
               "role": "developer"}]
    for person in people:
        row = person.model_dump()
        lead = f"u{int(row['id'][1:]) // 8 * 8}"
        row["manager"] = "director" if lead == row["id"] else lead
        listed.append(row)
    (folder / "people.yaml").write_text(yaml.safe_dump({"people": listed}))
    managers = {row["id"]: row.get("manager", "director") for row in listed}
    for plan in plans:
        content = plan.model_dump(mode="json", by_alias=True, exclude_none=True)
        content["manager"] = managers[content["employee"]]
        (folder / "plans" / f"{content['id']}.yaml").write_text(yaml.safe_dump(content))
    sources = {"sources": [{"name": "files", "kind": "csv", "path": "imports/"}]}
    (folder / "sources.yaml").write_text(yaml.safe_dump(sources))


def build(folder: Path, seed: int) -> list[str]:
    """The database and configuration; returns the plan ids."""
    people = generator._people()
    evidence = generator.generate_evidence(seed)
    plans = generator.generate_plans(people, seed)
    _write_config(folder / "config", people, plans)
    engine = make_engine(f"sqlite:///{folder / 'trackrecord.db'}")
    migrate(engine)
    started = time.perf_counter()
    stored = _store_records(engine, evidence)
    print(f"stored {stored:,} records in {time.perf_counter() - started:.0f} s")
    os.environ["TRACKRECORD_SECRET_KEY"] = "benchmark-secret"
    import service

    ws = service.open_workspace(folder / "config", database_url=str(engine.url))
    started = time.perf_counter()  # the real path: evaluations with their sentences and charts
    service.refresh_evaluations(ws, as_of=generator.AS_OF)
    print(f"stored {len(plans):,} evaluations with charts in {time.perf_counter() - started:.0f} s")
    service.add_user(ws, "bench", role="admin", password=PASSWORD)
    return [plan.id for plan in plans]


def serve(folder: Path, port: int) -> None:
    import uvicorn

    import service
    from dashboards import create_app

    os.environ["TRACKRECORD_SECRET_KEY"] = "benchmark-secret"
    ws = service.open_workspace(folder / "config",
                                database_url=f"sqlite:///{folder / 'trackrecord.db'}")
    uvicorn.run(create_app(ws), host="127.0.0.1", port=port, log_level="warning")


def _wait(client: httpx.Client, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert process.poll() is None, "the server stopped"
        try:
            if client.get("/healthz").status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.2)
    raise TimeoutError("the server did not start")


def _sign_in(client: httpx.Client) -> None:
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
    assert token
    answer = client.post("/login", data={"username": "bench", "password": PASSWORD,
                                         "csrf_token": token.group(1)})
    assert answer.status_code == 303, answer.text


def _timings(client: httpx.Client, paths: list[str]) -> list[float]:
    times = []
    for path in paths:
        started = time.perf_counter()
        answer = client.get(path)
        times.append((time.perf_counter() - started) * 1000)
        assert answer.status_code == 200, (path, answer.status_code)
    return times


def _report(name: str, times: list[float], target: float) -> None:
    p50 = statistics.median(times)
    p95 = statistics.quantiles(times, n=20)[-1]
    verdict = "met" if p95 < target else "NOT met"
    print(f"{name:<12} n={len(times):>4}  p50 {p50:7.1f} ms  p95 {p95:7.1f} ms  "
          f"(target p95 < {target:.0f} ms: {verdict})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--keep", type=Path, metavar="DIR",
                        help="build into DIR once and reuse it on later runs")
    parser.add_argument("--serve", nargs=2, metavar=("DIR", "PORT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(Path(args.serve[0]), int(args.serve[1]))
        return
    with tempfile.TemporaryDirectory() as directory:
        folder = args.keep or Path(directory)
        built = folder / "plans.txt"
        if not built.exists():
            folder.mkdir(parents=True, exist_ok=True)
            built.write_text("\n".join(build(folder, args.seed)))
        plan_ids = built.read_text().split()
        port = free_port()
        process = subprocess.Popen([sys.executable, __file__, "--serve", str(folder), str(port)])
        try:
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
                _wait(client, process)
                _sign_in(client)
                rng = random.Random(args.seed)
                plans = [f"/plans/{rng.choice(plan_ids)}" for _ in range(args.requests)]
                _timings(client, plans[:20] + ["/plans"] * 5)  # warm up
                _report("plan page", _timings(client, plans), 150)
                for name, path in OVERVIEWS.items():
                    _report(name, _timings(client, [path] * (args.requests // 3)), 300)
                people = [f"/people/u{rng.randrange(PEOPLE)}" for _ in range(args.requests // 3)]
                _timings(client, people[:5])  # warm up
                _report("person page", _timings(client, people), 150)
        finally:
            process.terminate()
            process.wait(timeout=30)


if __name__ == "__main__":
    main()
