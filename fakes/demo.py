"""The demo organisation: the example people and plans, with generated history behind local fakes.

`demo_org` starts a fake Jira, GitHub, PagerDuty and Prometheus on 127.0.0.1, writes a
configuration folder whose sources point at them (the example people and plans, unchanged), and
sets the demo's secrets in the environment, so the real connectors sync it exactly as they would
a production system. The people on plans start slower than their teammates before the plan and
improve during it, by different amounts, so the example plans reach different verdicts.

The example plans are written for one day, `STORY_DAY`. The demo tells their story as of the
latest day not after its anchor (today by default) that is a whole number of weeks from it, and
moves the plans' dates and the generated history by the same weeks: the verdicts do not drift
with the calendar.
"""

from __future__ import annotations

import dataclasses
import os
import random
import re
import shutil
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import yaml

from config import EXAMPLES_DIR
from config.files import load_people, load_plans
from config.plans import Plan
from fakes.github import FakeGithub, generate_deployments, generate_pull_requests
from fakes.jira import FakeJira, generate_issues
from fakes.pagerduty import PagerDutyFake, generate_incidents
from fakes.prometheus import PrometheusFake, error_ratio, up
from fakes.server import Handler, LocalServer, serving

SECRETS = {
    "JIRA_EMAIL": "demo@example.com",
    "JIRA_TOKEN": "demo-jira-token",
    "GITHUB_TOKEN": "demo-github-token",
    "PAGERDUTY_TOKEN": "demo-pagerduty-token",
}
HISTORY_DAYS = 270
STORY_DAY = date(2026, 11, 20)  # the as-of day the example plans' dates are written for
_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
# People on plans who get slower, not faster (a factor on their times): not every plan succeeds.
DECLINING = {"ilund": 1.6}
# The example plans exclude records by key; the fakes hold them, so every exclusion matches a
# stored record (one that matches none is reported as unmatched, DESIGN §5.11). Jira tickets are
# in the SUP project, pull requests numbered from 1001, and one incident has a PagerDuty-like id.
JIRA_PROJECT = "SUP"
FIRST_PULL_REQUEST = 1001
NAMED_INCIDENTS = {1100: "Q1RZ7UXN4KD2PA"}


# The demo's web sign-ins, one per role, all with one password the demo prints: it guards only
# invented people on this machine.
DEMO_PASSWORD = "trackrecord-demo"


@dataclasses.dataclass(frozen=True)
class DemoUser:
    name: str
    role: str
    person: str | None
    sees: str  # what the account shows, in the demo's closing words


DEMO_USERS = (
    DemoUser("rania", "manager", "rnoor", "the plan of Tomas Brandt, who reports to her"),
    DemoUser("lena", "hr", "lvoss", "every plan"),
    DemoUser("tomas", "employee", "tbrandt", "his own plan"),
    DemoUser("admin", "admin", None, "every plan and the sync status"),
)


@dataclasses.dataclass(frozen=True)
class DemoOrg:
    config_dir: Path
    database_url: str
    now: datetime


def _plans_by_employee(config_dir: Path) -> dict[str, Plan]:
    return {plan.employee: plan for plan in load_plans(config_dir).values()}


def _slowdown(plans: dict[str, Plan], improvement: dict[str, float]) -> Any:
    """Time-to-finish multiplier per account and moment: slow before the plan, better during."""

    def factor(person: str | None, moment: datetime) -> float:
        plan = plans.get(person or "")
        if plan is None:
            return 1.0
        started = moment.date() >= plan.start
        return improvement.get(person or "", 0.8) if started else 2.5

    return factor


def _jira(people: Any, plans: dict[str, Plan], start: datetime, end: datetime) -> FakeJira:
    owner = {p.accounts["jira"]: p.id for p in people if "jira" in p.accounts}
    factor = _slowdown(plans, {"tbrandt": 0.35})
    issues = generate_issues(
        2400,
        accounts=sorted(owner),
        start=start,
        end=end,
        seed=7,
        resolution_factor=lambda account, created: factor(owner.get(account), created),
        project=JIRA_PROJECT,
    )
    return FakeJira(issues=issues, deployment="cloud", base_url="https://acme.atlassian.net")


def _github(people: Any, plans: dict[str, Plan], start: datetime, end: datetime) -> FakeGithub:
    login_of = {p.accounts["github"]: p.id for p in people if "github" in p.accounts}
    repos = ["acme/payments-api", "acme/storefront"]
    fake = FakeGithub(clock=lambda: end)
    factor = _slowdown(plans, {"nharlow": 0.25})
    prs = generate_pull_requests(
        900, logins=sorted(login_of), repos=repos, start=start, end=end, seed=11,
        first_number=FIRST_PULL_REQUEST,
    )
    fake.add_pull_requests(
        _scaled_pr(pr, factor(login_of.get(pr.author or ""), pr.created)) for pr in prs
    )
    for repo, deployment, statuses in generate_deployments(
        200, logins=sorted(login_of), repos=repos, start=start, end=end, seed=13
    ):
        fake.add_deployment(repo, deployment, statuses)
    return fake


def _scaled_pr(pr: Any, factor: float) -> Any:
    """Stretch or shrink everything after creation, as a slower or faster author would."""

    def scale(moment: datetime | None) -> datetime | None:
        return None if moment is None else pr.created + (moment - pr.created) * factor

    return dataclasses.replace(
        pr,
        merged=scale(pr.merged),
        closed=scale(pr.closed),
        updated=scale(pr.updated),
        reviews=[dataclasses.replace(r, submitted=scale(r.submitted)) for r in pr.reviews],
        review_requests=[(who, scale(at)) for who, at in pr.review_requests],
        ready_for_review=[scale(at) for at in pr.ready_for_review],
    )


def _pagerduty(
    people: Any, plans: dict[str, Plan], start: datetime, end: datetime
) -> PagerDutyFake:
    owner = {p.accounts["pagerduty"]: p.id for p in people if "pagerduty" in p.accounts}
    hours = (end - start).total_seconds() / 3600

    def slowdown(user: str, created: datetime) -> float:
        person = owner.get(user, "")
        declining = person in DECLINING and created.date() >= plans[person].start
        return DECLINING[person] if declining else 1.0

    incidents = generate_incidents(
        int(hours // 30),
        start=start,
        every=timedelta(hours=30),
        users=sorted(owner),
        seed=17,
        services=(("PK3ZQ7A", "checkout"), ("PW81XRT", "storefront")),
        slowdown=slowdown,
        ids=NAMED_INCIDENTS,
    )
    return PagerDutyFake(incidents, token=SECRETS["PAGERDUTY_TOKEN"])


def _prometheus(sources: dict[str, Any], plans: dict[str, Plan]) -> PrometheusFake:
    prometheus = next(s for s in sources["sources"] if s["kind"] == "prometheus")
    error_query, up_query = (series["query"] for series in prometheus["series"])
    # checkout, which ilund owns, gets worse during the plan.
    worse_from = datetime.combine(plans["ilund"].start, datetime.min.time(), UTC).timestamp()
    return PrometheusFake(
        {
            error_query: [
                error_ratio("checkout", base=lambda t: 0.008 if t < worse_from else 0.013),
                error_ratio("storefront", base=0.02),
            ],
            up_query: [
                up("payments-api-1:9100", job="payments-api", down_fraction=0.02),
                up("payments-api-2:9100", job="payments-api", down_fraction=0.05),
            ],
        }
    )


def demo_day(anchor: date) -> date:
    """The latest day not after `anchor` a whole number of weeks from `STORY_DAY`: weeks keep
    every weekday in the generated history where the story put it."""
    return STORY_DAY + timedelta(weeks=(anchor - STORY_DAY).days // 7)


def _copy_examples(root: Path, shift: timedelta) -> Path:
    """The example configuration, every date in the plans moved by `shift` (comments too)."""
    config_dir = root / "config"
    shutil.rmtree(config_dir, ignore_errors=True)
    shutil.copytree(EXAMPLES_DIR, config_dir)
    for plan in (config_dir / "plans").glob("*.yaml"):
        moved = _DATE.sub(lambda m: (date.fromisoformat(m[0]) + shift).isoformat(),
                          plan.read_text())
        plan.write_text(moved)
    return config_dir


def _write_sources(config_dir: Path, urls: dict[str, str], start: datetime) -> dict[str, Any]:
    """sources.yaml pointing at the fakes; a first sync reads back (from the real clock, as the
    connectors do) to the history's start."""
    backfill = (datetime.now(UTC) - start).days + 1
    path = config_dir / "sources.yaml"
    sources: dict[str, Any] = yaml.safe_load(path.read_text())
    sources["sources"] = [s for s in sources["sources"] if s["kind"] in urls]
    for source in sources["sources"]:
        source["url"] = urls[source["kind"]]
        if source["kind"] in ("prometheus", "pagerduty"):
            source["backfill_days"] = backfill
        if source["kind"] == "github":
            source["request_interval"] = 0  # a local fake: no need to pace the calls
        source.pop("services", None) if source["kind"] == "pagerduty" else None
    path.write_text(yaml.safe_dump(sources, sort_keys=False))
    return sources


@contextmanager
def demo_org(root: Path, *, anchor: date | None = None) -> Iterator[DemoOrg]:
    """Fakes running, configuration written, secrets set; a fresh database file each time. The
    story is told as of `demo_day(anchor)` (`now`: that day's first moment, never ahead of the
    real clock the connectors read)."""
    root.mkdir(parents=True, exist_ok=True)
    database = root / "trackrecord.db"
    for stale in root.glob("trackrecord.db*"):
        stale.unlink()
    day = demo_day(anchor or datetime.now(UTC).date())
    now = datetime.combine(day, time(), UTC)
    start = now - timedelta(days=HISTORY_DAYS)
    config_dir = _copy_examples(root, day - STORY_DAY)
    people = load_people(config_dir).people
    plans = _plans_by_employee(config_dir)
    random.seed(5)
    with ExitStack() as stack:
        handlers: dict[str, Handler] = {
            "jira": _jira(people, plans, start, now),
            "github": _github(people, plans, start, now),
            "pagerduty": _pagerduty(people, plans, start, now),
        }
        servers = {kind: stack.enter_context(serving(h)) for kind, h in handlers.items()}
        urls = {kind: server.url for kind, server in servers.items()}
        prometheus_server = LocalServer(lambda _r: None).start()
        stack.callback(prometheus_server.stop)
        urls["prometheus"] = prometheus_server.url
        sources = _write_sources(config_dir, urls, start)
        prometheus_server.handler = _prometheus(sources, plans)
        stack.enter_context(_environment(SECRETS))
        yield DemoOrg(config_dir=config_dir, database_url=f"sqlite:///{database}", now=now)


@contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


__all__ = ["DEMO_PASSWORD", "DEMO_USERS", "SECRETS", "STORY_DAY", "DemoOrg", "DemoUser", "demo_day",
           "demo_org"]
