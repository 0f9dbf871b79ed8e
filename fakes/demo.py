"""The demo organisation: the example people and plans, more teammates and a fourth plan, with
generated history behind local fakes.

`demo_org` starts a fake Jira, GitHub and PagerDuty on 127.0.0.1, and a real Prometheus
backfilled with the demo's monitoring series where `prometheus` and `promtool` are installed
(else the look-alike serving the same values), writes a configuration folder whose sources point
at them (the example people, with teammates added so that each team is ten or so strong, and the
example plans plus the demo's own), and sets the demo's secrets in the environment, so the real
connectors sync it exactly as they would a production system.

Three teams (a service desk, platform developers, SRE) and an HR partner, 30 people, 9 months of
history: tickets, pull requests, deployments and incidents arrive more on weekdays and in office
hours, little on public holidays and less in a summer lull, with busier and quieter weeks, and
everyone works at a pace of their own. Four active plans tell four stories (`STORIES`):
tbrandt improves and keeps it up; nharlow meets his lead-time target but slips back in the last
weeks; ilund gets slower; and more of pmarlow's deployments fail, as do her whole team's when a
new CI pipeline comes in: a team-wide shift.

The plans are written for one day, `STORY_DAY`. The demo tells their story as of the latest day
not after its anchor (today by default) that is a whole number of weeks from it, and moves the
plans' dates, the holidays and the generated history by the same weeks: the verdicts do not
drift with the calendar. The history runs on to the real clock (at most a week past the story
day), each day drawn on its own, so an evaluation as of today reads the same story continued.
"""

from __future__ import annotations

import dataclasses
import os
import random
import re
import shutil
import textwrap
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import yaml

from config import EXAMPLES_DIR
from config.files import load_people, load_plans
from config.people import Person
from config.plans import Plan
from config.sources import duration_seconds
from fakes import prometheus_server
from fakes.arrivals import AROUND_THE_CLOCK, Rhythm
from fakes.github import (
    FakeGithub,
    FakePullRequest,
    FakeReview,
    generate_deployments,
    generate_pull_requests,
)
from fakes.jira import FakeJira, generate_issues
from fakes.pagerduty import PagerDutyFake, generate_incidents
from fakes.prometheus import FakeSeries, PrometheusFake, error_ratio, up
from fakes.server import Handler, serving

SECRETS = {
    "JIRA_EMAIL": "demo@example.com",
    "JIRA_TOKEN": "demo-jira-token",
    "GITHUB_TOKEN": "demo-github-token",
    "PAGERDUTY_TOKEN": "demo-pagerduty-token",
}
HISTORY_DAYS = 270
STORY_DAY = date(2026, 11, 20)  # the as-of day the plans' dates are written for
_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")

# The plans and what each should come to as of the story day (the tests hold the demo to it).
STORIES = {
    "tbrandt-2026q4": "successful_completion",  # met every goal and kept it up
    "nharlow-2026q4": "partial_improvement",  # met lead time, then slipped back: not sustained
    "ilund-2026q4": "insufficient_improvement",  # got slower
    "pmarlow-2026q4": "insufficient_improvement",  # worse with the whole team: team-wide shift
}
UNACKNOWLEDGED = "pmarlow-2026q4"  # the one plan whose employee has not acknowledged it yet

# Monitoring. A real Prometheus evaluates PromQL, and the examples' error-rate query is a rate over
# request counters; the demo has no counters but backfills the ratio as the recording rule for
# that query would store it, and queries the rule's name. Hourly samples (the examples: 5 min)
# give the same daily means for the hourly `up` and the same verdicts, at a twelfth of the data.
RECORDING_RULE = "service:http_errors:ratio_rate5m"
QUERIES = {"error_rate": RECORDING_RULE, "availability": 'up{job="payments-api"}'}
PROMETHEUS_STEP = "1h"
REAL_PROMETHEUS = ("a real Prometheus (prometheus and promtool are installed), backfilled with "
                   "the demo's series")
LOOK_ALIKE = ("the Prometheus look-alike in fakes/prometheus.py (install prometheus and promtool "
              "for a real one)")

# The demo's own plan, beside the examples (dates in story time, moved like theirs).
DEMO_PLANS = {
    "pmarlow-2026q4": """\
# A performance-improvement plan for a developer, added by the demo. More of her deployments
# failed during the plan, but so did everyone's on the platform team: the new CI pipeline.

id: pmarlow-2026q4
employee: pmarlow
manager: dferro
hr_partner: lvoss
start: 2026-09-21
end: 2026-12-18
checkpoints: [2026-10-30, 2026-12-04]

goals:
  - metric: deployment_success_rate   # deployments she started that succeeded
    target: {at_least: "90%"}

  - metric: pr_lead_time_hours        # merged − created, for pull requests she authored
    target: {at_most: 48}

support:
  - Weekly pairing with a senior developer on the payments-api refactoring
barriers:
  - The platform team moved to a new CI pipeline on 2026-09-21; its deploy step is unreliable
""",
}

# The story's calendar, in story dates (moved with the plans): public holidays with next to
# nothing, and a summer lull when many are away.
_HOLIDAYS = (date(2026, 4, 3), date(2026, 4, 6), date(2026, 5, 1), date(2026, 5, 25),
             date(2026, 8, 31))
_SUMMER_LULL = (date(2026, 7, 27), date(2026, 8, 14))

# Teammates the demo adds to the example's people, by team: (their tools, their names). With
# nine or ten in a team, team context (DESIGN §5.6) compares a person with a real team.
TEAMMATES = {
    "service-desk": (("jira",), ("Jonas Berg", "Maya Castillo", "Oskar Lindqvist",
                                 "Priya Raman", "Sofia Marin", "Kwame Mensah", "Hana Sato")),
    "platform": (("github",), ("Leo Fischer", "Aisha Khan", "Mateo Ruiz", "Freya Olsen",
                               "Daniel Weber", "Yara Haddad", "Sam Okoro")),
    "sre": (("github", "pagerduty"), ("Nadia Petrova", "Lucas Moreau", "Ingrid Dahl",
                                      "Ravi Menon", "Chloe Martin", "Tariq Aziz")),
}

# Volumes, per day of weight 1 (a usual weekday): enough for every plan's windows and weeks.
TICKETS_PER_DAY = 15.0
PULL_REQUESTS_PER_DAY = 10.0
DEPLOYMENTS_PER_DAY = 6.0
INCIDENTS_PER_DAY = 2.2
REPOS = ("acme/payments-api", "acme/storefront")
# PagerDuty services: the first two run the repositories above (change failures count there).
SERVICES = (("PK3ZQ7A", "checkout"), ("PW81XRT", "storefront"), ("PQ4N2LB", "identity"),
            ("PZ6M1TC", "search"), ("PD9H3RV", "data-pipeline"), ("PM2B7KS", "messaging"),
            ("PV5C8NW", "billing-batch"))
# The example plans exclude records by key; the fakes hold them, so every exclusion matches a
# stored record (one that matches none is reported as unmatched, DESIGN §5.11). Jira tickets are
# in the SUP project, pull requests numbered from 1001, and the outage ilund's plan leaves out is
# her first incident during the plan, with a PagerDuty-like id.
JIRA_PROJECT = "SUP"
FIRST_PULL_REQUEST = 1001
# A contractor who left before the plans began: their GitHub login is in no one's accounts, so
# the sync page and the developer plans' data-quality lines name it, as they would in a real
# organisation (DESIGN §2: listed, never guessed). Their pull requests are their own, numbered
# apart, and touch no one else's metrics.
FORMER_CONTRACTOR = "jdoe-contractor"
OUTAGE_INCIDENT = "Q1RZ7UXN4KD2PA"

# The demo's web sign-ins, one per role and one per plan's employee, all with one password the
# demo prints: it guards only invented people on this machine.
DEMO_PASSWORD = "trackrecord-demo"


@dataclasses.dataclass(frozen=True)
class DemoUser:
    name: str
    role: str
    person: str | None
    sees: str  # what the account shows, in the demo's closing words


DEMO_USERS = (
    DemoUser("dario", "manager", "dferro",
             "the plans of Nico Harlow and Pia Marlow, who report to him"),
    DemoUser("lena", "hr", "lvoss", "every plan"),
    DemoUser("tomas", "employee", "tbrandt", "his own plan"),
    DemoUser("nico", "employee", "nharlow", "his own plan"),
    DemoUser("ines", "employee", "ilund", "her own plan"),
    DemoUser("pia", "employee", "pmarlow", "her own plan, still to acknowledge"),
    DemoUser("admin", "admin", None, "every plan and the sync status"),
)


@dataclasses.dataclass(frozen=True)
class DemoOrg:
    config_dir: Path
    database_url: str
    now: datetime  # the story day's first moment
    prometheus: str  # which Prometheus serves the monitoring series, in words


@dataclasses.dataclass(frozen=True)
class Story:
    """How fast each person works, as a factor on their times (1: usual), and what slows the
    platform team: everyone has a pace of their own, and the plans' people change as their
    stories say, from their plans' dates."""

    plans: dict[str, Plan]
    teams: dict[str, str]  # person id → team
    day: date  # the story day

    def pace(self, person: str) -> float:
        return random.Random(f"pace:{person}").uniform(0.8, 1.25)

    def resolving(self, person: str, created: datetime) -> float:
        """Tickets: tbrandt, slow before his plan, fast during it."""
        if person == "tbrandt":
            return 0.2 if created.date() >= self.plans[person].start else 2.5
        return self.pace(person)

    def authoring(self, person: str, created: datetime) -> float:
        """Pull requests: nharlow, slow before his plan, fast during it, slipping back in its
        last three weeks; pmarlow slower than most, throughout."""
        if person == "nharlow":
            day = created.date()
            if day < self.plans[person].start:
                return 2.5
            return 0.2 if day < self.day - timedelta(weeks=3) else 1.6
        return 1.3 if person == "pmarlow" else self.pace(person)

    def reviewing(self, person: str, at: datetime) -> float:
        """Reviews: nharlow answers faster during his plan (code-review office hours)."""
        started = person == "nharlow" and at.date() >= self.plans[person].start
        return 0.15 if started else 1.0

    def failing(self, person: str, created: datetime) -> float:
        """Deployments: the chance one fails on top of the usual. The platform team's new CI
        pipeline, from pmarlow's plan start, fails a third of every developer's deployments;
        ilund's own deployments fail more during her plan."""
        day = created.date()
        if self.teams.get(person) == "platform" and day >= self.plans["pmarlow"].start:
            return 0.35
        return 0.25 if person == "ilund" and day >= self.plans[person].start else 0.0

    def responding(self, person: str, created: datetime) -> float:
        """Incidents: ilund gets slower during her plan."""
        slower = person == "ilund" and created.date() >= self.plans[person].start
        return self.pace(person) * (1.6 if slower else 1.0)

    def pull_request(self, pr: FakePullRequest, person_of: Mapping[str, str]
                     ) -> FakePullRequest:
        """The author's pace stretches everything after creation but each reviewer's first
        review, which comes after their own wait from the request (their pace): a slow author
        draws out the rounds, not the reviewers' answers. The merge follows the last review."""
        factor = self.authoring(person_of[pr.author or ""], pr.created)

        def scale(moment: datetime) -> datetime:
            return pr.created + (moment - pr.created) * factor

        asked = dict(pr.review_requests)
        requested = {who: scale(at) for who, at in asked.items()}
        earliest: dict[str, datetime] = {}
        for review in pr.reviews:
            if review.author in asked and review.submitted is not None:
                earliest[review.author] = min(review.submitted,
                                              earliest.get(review.author, review.submitted))
        first = {who: requested[who] + (at - asked[who])
                 * self.reviewing(person_of.get(who, ""), requested[who])
                 for who, at in earliest.items()}

        def reviewed(review: FakeReview) -> FakeReview:
            who, submitted = review.author, review.submitted
            if who not in first or submitted is None:
                at = None if submitted is None else scale(submitted)
            else:
                at = first[who] if submitted == earliest[who] else max(scale(submitted),
                                                                       first[who])
            return dataclasses.replace(review, submitted=at)

        reviews = [reviewed(review) for review in pr.reviews]
        last = max((r.submitted for r in reviews if r.submitted), default=pr.created)

        def finish(moment: datetime | None) -> datetime | None:
            return None if moment is None else max(scale(moment), last + timedelta(minutes=10))

        merged, closed = finish(pr.merged), finish(pr.closed)
        return dataclasses.replace(
            pr,
            merged=merged,
            closed=closed,
            updated=max(scale(pr.updated), last, closed or last),
            reviews=reviews,
            review_requests=list(requested.items()),
            ready_for_review=[scale(at) for at in pr.ready_for_review],
        )


def _office(shift: timedelta) -> Rhythm:
    """Office work: weekdays, office hours, the story's holidays and summer lull."""
    quiet = {day + shift: 0.1 for day in _HOLIDAYS}
    lull_start, lull_end = _SUMMER_LULL
    for offset in range((lull_end - lull_start).days + 1):
        quiet.setdefault(lull_start + timedelta(days=offset) + shift, 0.6)
    return Rhythm(quiet=quiet)


def _round_the_clock(office: Rhythm) -> Rhythm:
    """Incidents: any hour, weekends too, a little fewer when less changes (holidays)."""
    return dataclasses.replace(office, weekdays=(1.0, 1.05, 1.05, 1.0, 0.95, 0.75, 0.7),
                               hours=AROUND_THE_CLOCK,
                               quiet={day: 0.6 for day in office.quiet})


def _accounts(people: Sequence[Person], tool: str) -> dict[str, str]:
    return {p.accounts[tool]: p.id for p in people if tool in p.accounts}


def _jira(people: Sequence[Person], story: Story, office: Rhythm, start: datetime,
          end: datetime) -> FakeJira:
    owner = _accounts(people, "jira")
    times = office.arrivals(TICKETS_PER_DAY, start, end, seed=7)
    issues = generate_issues(
        len(times),
        accounts=sorted(owner),
        start=start,
        end=end,
        seed=7,
        resolution_factor=lambda account, created: story.resolving(owner[account], created),
        # The service desk takes the tickets; the developers listed in Jira, a few.
        account_weights={p.accounts["jira"]: 1.0 if p.role == "support" else 0.15
                         for p in people if "jira" in p.accounts},
        project=JIRA_PROJECT,
        created=times,
        reopen_rate=0.1,
    )
    return FakeJira(issues=issues, deployment="cloud", base_url="https://acme.atlassian.net")


def _github(people: Sequence[Person], story: Story, office: Rhythm, start: datetime,
            end: datetime) -> FakeGithub:
    owner = _accounts(people, "github")
    developer = {p.accounts["github"]: p.role == "developer" for p in people
                 if "github" in p.accounts}
    fake = FakeGithub(clock=lambda: end)
    times = office.arrivals(PULL_REQUESTS_PER_DAY, start, end, seed=11)
    prs = generate_pull_requests(
        len(times), logins=sorted(owner), repos=REPOS, start=start, end=end, seed=11,
        first_number=FIRST_PULL_REQUEST, created=times,
        weights={login: 1.0 if dev else 0.2 for login, dev in developer.items()},
    )
    fake.add_pull_requests(story.pull_request(pr, owner) for pr in prs)
    fake.add_pull_requests(generate_pull_requests(
        6, logins=[FORMER_CONTRACTOR], repos=REPOS, start=start, end=start + timedelta(days=45),
        seed=19, first_number=FIRST_PULL_REQUEST + 8000))
    times = office.arrivals(DEPLOYMENTS_PER_DAY, start, end, seed=13)
    for repo, deployment, statuses in generate_deployments(
        len(times), logins=sorted(owner), repos=REPOS, start=start, end=end, seed=13,
        created=times, weights={login: 0.8 if dev else 1.0 for login, dev in developer.items()},
    ):
        fake.add_deployment(repo, deployment, _failed(story, owner, deployment, statuses))
    return fake


def _failed(story: Story, owner: dict[str, str], deployment: dict[str, Any],
            statuses: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The statuses, newest first, the final one a failure when the story says so."""
    person = owner[deployment["creator"]["login"]]
    created = datetime.fromisoformat(deployment["created_at"])
    chance = story.failing(person, created)
    if random.Random(f"deploy:{deployment['id']}").random() >= chance:
        return statuses
    final, *earlier = statuses
    return [final | {"state": "failure"}, *earlier]


def _pagerduty(people: Sequence[Person], story: Story, rhythm: Rhythm, start: datetime,
               end: datetime) -> PagerDutyFake:
    owner = _accounts(people, "pagerduty")
    times = rhythm.arrivals(INCIDENTS_PER_DAY, start, end, seed=17)

    def incidents(ids: dict[int, str]) -> list[dict[str, Any]]:
        return generate_incidents(
            len(times), start=start, users=sorted(owner), seed=17, services=SERVICES,
            slowdown=lambda user, created: story.responding(owner[user], created), ids=ids,
            created=times,
        )

    generated = incidents({})
    ilund = next(account for account, person in owner.items() if person == "ilund")
    outage = next(
        raw["incident_number"] for raw in generated
        if raw["status"] == "resolved" and raw["log_entries"][-1]["agent"]["id"] == ilund
        and raw["created_at"][:10] >= story.plans["ilund"].start.isoformat()
    )
    return PagerDutyFake(incidents({outage: OUTAGE_INCIDENT}), token=SECRETS["PAGERDUTY_TOKEN"])


def _monitoring(story: Story) -> dict[str, list[FakeSeries]]:
    """The demo's monitoring series by the query that reads them (`QUERIES`): checkout, which
    ilund owns, gets worse during her plan; errors run higher at weekends, when less traffic
    meets the same batch jobs."""
    worse_from = datetime.combine(story.plans["ilund"].start, time(), UTC).timestamp()

    def rhythm(t: int, level: float) -> float:
        weekend = datetime.fromtimestamp(t, UTC).weekday() >= 5
        return level * (1.2 if weekend else 1.0)

    return {
        QUERIES["error_rate"]: [
            error_ratio("checkout", name=RECORDING_RULE,
                        base=lambda t: rhythm(t, 0.008 if t < worse_from else 0.013)),
            error_ratio("storefront", name=RECORDING_RULE, base=lambda t: rhythm(t, 0.02)),
        ],
        QUERIES["availability"]: [
            up("payments-api-1:9100", job="payments-api", down_fraction=0.02),
            up("payments-api-2:9100", job="payments-api", down_fraction=0.05),
        ],
    }


@contextmanager
def _prometheus(workdir: Path, queries: dict[str, list[FakeSeries]], since: datetime,
                until: datetime) -> Iterator[tuple[str, str]]:
    """Its URL and which one it is: a real Prometheus in `workdir` (fresh each time) holding the
    series' values at every step from `since` to `until`, where the binaries are installed; else
    the look-alike, computing the same values as they are asked for."""
    shutil.rmtree(workdir, ignore_errors=True)
    if not prometheus_server.installed():
        with serving(PrometheusFake(queries)) as server:
            yield server.url, LOOK_ALIKE
        return
    workdir.mkdir(parents=True)
    step = duration_seconds(PROMETHEUS_STEP)
    first = int(since.timestamp()) // step * step  # the connector's instants: multiples of it
    instants = range(first, int(until.timestamp()) + 1, step)
    series = [one for listed in queries.values() for one in listed]
    with prometheus_server.running(prometheus_server.series_samples(series, instants),
                                   workdir) as url:
        yield url, REAL_PROMETHEUS


def demo_day(anchor: date) -> date:
    """The latest day not after `anchor` a whole number of weeks from `STORY_DAY`: weeks keep
    every weekday in the generated history where the story put it."""
    return STORY_DAY + timedelta(weeks=(anchor - STORY_DAY).days // 7)


def _teammates() -> list[dict[str, Any]]:
    """The demo's teammates as people.yaml entries: ids, addresses and accounts from names."""
    managers = {"service-desk": "rnoor", "platform": "dferro", "sre": "eholt"}
    roles = {"service-desk": "support", "platform": "developer", "sre": "sre"}
    entries: list[dict[str, Any]] = []
    for team, (tools, names) in TEAMMATES.items():
        for name in names:
            first, last = name.lower().split()
            person = first[0] + last
            number = 310 + len(entries)
            accounts = {"jira": f"63a1f0c2d4e5b60071a2c{number}", "github": person,
                        "pagerduty": f"P{number}{last[:3].upper()}"}
            entries.append({
                "id": person, "name": name, "email": f"{first}.{last}@example.com",
                "team": team, "role": roles[team], "manager": managers[team],
                "accounts": {tool: accounts[tool] for tool in tools},
            })
    return entries


def _write_config(root: Path, shift: timedelta) -> Path:
    """The example configuration with the demo's teammates and plan added, every date in the
    plans moved by `shift` (comments too)."""
    config_dir = root / "config"
    shutil.rmtree(config_dir, ignore_errors=True)
    shutil.copytree(EXAMPLES_DIR, config_dir)
    people = config_dir / "people.yaml"
    added = yaml.safe_dump(_teammates(), sort_keys=False, default_flow_style=None, width=100)
    people.write_text(people.read_text() + "\n  # Added by the demo: the rest of each team\n"
                      + textwrap.indent(added, "  "))
    for plan_id, text in DEMO_PLANS.items():
        (config_dir / "plans" / f"{plan_id}.yaml").write_text(text)
    for plan in (config_dir / "plans").glob("*.yaml"):
        moved = _DATE.sub(lambda m: (date.fromisoformat(m[0]) + shift).isoformat(),
                          plan.read_text())
        plan.write_text(moved)
    return config_dir


def _write_sources(config_dir: Path, urls: dict[str, str], start: datetime) -> None:
    """sources.yaml pointing at the local servers; a first sync reads back (from the real clock,
    as the connectors do) to the history's start. Prometheus is asked for the demo's series."""
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
        if source["kind"] == "prometheus":
            source["step"] = PROMETHEUS_STEP
            for series in source["series"]:
                series["query"] = QUERIES[series["metric"]]
        if source["kind"] == "pagerduty":
            source.pop("services", None)
    header = (f"# Written by the demo: its sources, on this machine. Prometheus is asked hourly "
              f"for\n# {RECORDING_RULE}, the recording rule a production server would have "
              f"for the\n# examples' rate over request counters: the demo stores that ratio, "
              f"not the counters.\n")
    path.write_text(header + yaml.safe_dump(sources, sort_keys=False))


@contextmanager
def demo_org(root: Path, *, anchor: date | None = None) -> Iterator[DemoOrg]:
    """Fakes running, configuration written, secrets set; a fresh database file each time. The
    story is told as of `demo_day(anchor)` (`now`: that day's first moment, never ahead of the
    real clock the connectors read); the history runs on to the real clock, for at most a
    week after it."""
    root.mkdir(parents=True, exist_ok=True)
    database = root / "trackrecord.db"
    for stale in root.glob("trackrecord.db*"):
        stale.unlink()
    day = demo_day(anchor or datetime.now(UTC).date())
    now = datetime.combine(day, time(), UTC)
    start = now - timedelta(days=HISTORY_DAYS)
    end = min(datetime.now(UTC), now + timedelta(weeks=1)).replace(microsecond=0)
    config_dir = _write_config(root, day - STORY_DAY)
    people = load_people(config_dir).people
    story = Story({plan.employee: plan for plan in load_plans(config_dir).values()},
                  {person.id: person.team for person in people}, day)
    office = _office(day - STORY_DAY)
    with ExitStack() as stack:
        handlers: dict[str, Handler] = {
            "jira": _jira(people, story, office, start, end),
            "github": _github(people, story, office, start, end),
            "pagerduty": _pagerduty(people, story, _round_the_clock(office), start, end),
        }
        servers = {kind: stack.enter_context(serving(h)) for kind, h in handlers.items()}
        urls = {kind: server.url for kind, server in servers.items()}
        # From a day before the start (where the first sync's backfill may begin) to a day past
        # the real clock, so a served demo's scheduled syncs still find new samples.
        urls["prometheus"], prometheus = stack.enter_context(_prometheus(
            root / "prometheus", _monitoring(story), start - timedelta(days=1),
            datetime.now(UTC) + timedelta(days=1)))
        _write_sources(config_dir, urls, start)
        stack.enter_context(_environment(SECRETS))
        yield DemoOrg(config_dir=config_dir, database_url=f"sqlite:///{database}", now=now,
                      prometheus=prometheus)


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


__all__ = ["DEMO_PASSWORD", "DEMO_USERS", "FORMER_CONTRACTOR", "SECRETS", "STORIES", "STORY_DAY",
           "UNACKNOWLEDGED", "DemoOrg", "DemoUser", "demo_day", "demo_org"]
