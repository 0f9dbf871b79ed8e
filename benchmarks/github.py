"""How many requests a GitHub sync costs: N generated pull requests from the fake GitHub.

Run: `.venv/bin/python benchmarks/github.py [N]` (default 10,000). The fake runs in a child
process holding N pull requests with 0–12 reviews each over REPOS repositories, plus deployments
and deploy workflow runs; the sync is the real one (PyGithub requester, GraphQL and REST,
`run_stream` into a temporary SQLite file). Prints, with their targets:

* a full sync's requests per stream: pull requests ⌈N/100⌉ + repositories at most (fetching
  reviews per pull request over REST would need N + ⌈N/100⌉ per repository, ≈ 10,100);
  deployments with their statuses ⌈D/100⌉ + repositories at most (REST needed one more
  request per deployment for its statuses: D + repositories);
* an idle incremental sync's requests: at most one per stream and repository.
"""

# ruff: noqa: E402 (the path fix below must run before the project's imports)
from __future__ import annotations

import sys
from pathlib import Path

sys.path[0] = str(Path(__file__).resolve().parents[1])

import math
import multiprocessing
import os
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from multiprocessing.connection import Connection

from config.sources import GithubSource
from fakes.github import (
    FakeGithub,
    generate_deployments,
    generate_pull_requests,
    generate_workflow_runs,
)
from fakes.server import LocalServer
from ingest.schema import migrate
from ingest.sources.github import streams
from ingest.store import make_engine
from ingest.sync import RunSummary, run_stream

REPOS = ("acme/api", "acme/web", "acme/worker", "acme/infra")
LOGINS = (*(f"dev{n:02d}" for n in range(40)), "dependabot[bot]")
START, END = datetime(2025, 1, 1, tzinfo=UTC), datetime(2026, 6, 1, tzinfo=UTC)
DEPLOYMENTS = 500  # over 100 per repository: pages of deployments, statuses in each page
RUNS = 2000  # over 100 per repository, so the first sync also reads runs in `created` windows


def serve_fake(n: int, pipe: Connection) -> None:
    """Child process: serve the generated data until told to stop, then report what it saw."""
    fake = FakeGithub(clock=lambda: END)
    data = {"logins": LOGINS, "repos": REPOS, "start": START, "end": END, "seed": 42}
    fake.add_pull_requests(generate_pull_requests(n, **data))
    for repo, deployment, statuses in generate_deployments(DEPLOYMENTS, **data):
        fake.add_deployment(repo, deployment, statuses)
    for repo, run in generate_workflow_runs(RUNS, **data):
        fake.add_runs(repo, [run])
    reviews = sum(len(pr.reviews) for prs in fake.pull_requests.values() for pr in prs)
    server = LocalServer(fake).start()
    pipe.send((server.url, reviews))
    pipe.recv()
    pipe.send((len(server.unanswered), Counter(_stream_of(r.path) for r in server.requests)))
    server.stop()


def _stream_of(path: str) -> str:
    """GraphQL serves pull requests and deployments; REST the workflow runs (and nothing else)."""
    return "graphql" if path.endswith("/graphql") else "rest"


def sync_all(engine: object, config: GithubSource) -> dict[str, tuple[RunSummary, float]]:
    results = {}
    for stream in streams(config, lookback=timedelta(hours=1), clock=lambda: END,
                          seconds_between_requests=0):
        started = time.perf_counter()
        summary = run_stream(engine, stream)  # type: ignore[arg-type]
        results[stream.name] = (summary, time.perf_counter() - started)
    return results


def report(title: str, results: dict[str, tuple[RunSummary, float]],
           targets: dict[str, str]) -> None:
    print(f"\n{title}")
    print(f"  {'stream':<15}{'records':>9}{'requests':>10}  {'target':<22}{'seconds':>8}")
    for name, (summary, seconds) in results.items():
        print(f"  {name:<15}{summary.records:>9}{summary.requests:>10}  {targets[name]:<22}"
              f"{seconds:>8.1f}")


def main(n: int) -> None:
    os.environ.setdefault("GITHUB_TOKEN", "benchmark-token")
    parent, child = multiprocessing.Pipe()
    process = multiprocessing.get_context("fork").Process(target=serve_fake, args=(n, child))
    process.start()
    url, reviews = parent.recv()
    config = GithubSource(
        name="github", kind="github", url=url, token_env="GITHUB_TOKEN", repos=list(REPOS),
        deployments={"environments": ["production"], "workflows": ["Deploy*"]},
    )
    repos = len(REPOS)
    per_repo = [math.ceil(n / repos) for _ in REPOS]
    print(f"{n} pull requests with {reviews} reviews over {repos} repositories; "
          f"{DEPLOYMENTS} deployments, {RUNS} workflow runs")
    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(f"sqlite:///{folder}/github.db")
        migrate(engine)
        full = sync_all(engine, config)
        idle = sync_all(engine, config)
    parent.send("stop")
    unanswered, seen = parent.recv()
    process.join()
    rest_per_pr = n + sum(math.ceil(count / 100) for count in per_repo)
    report("full sync", full, {
        "pull_requests": f"≤ {math.ceil(n / 100) + repos} (REST: ≈{rest_per_pr})",
        "deployments": f"≤ {math.ceil(DEPLOYMENTS / 100) + repos} (REST: {DEPLOYMENTS + repos})",
        "workflow_runs": "few per repository",
    })
    report("idle incremental sync", idle, dict.fromkeys(full, f"≤ {repos}"))
    print(f"\nthe fake saw {dict(seen)} requests in all (both syncs); unanswered: {unanswered}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000)
