"""The demo organisation end to end through the command line: every connector syncs its local
server (a real Prometheus where installed, as in CI), the developer and SRE example plans
evaluate from GitHub, PagerDuty and Prometheus evidence, on SQLite and PostgreSQL, and the four
plans tell their four stories."""

from __future__ import annotations

import contextlib
import json
import logging
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests
import yaml

import service
from fakes import prometheus_server
from fakes.demo import (
    DEMO_PASSWORD,
    DEMO_USERS,
    FORMER_CONTRACTOR,
    LOOK_ALIKE,
    REAL_PROMETHEUS,
    SECRETS,
    STORIES,
    STORY_DAY,
    UNACKNOWLEDGED,
    demo_day,
    demo_org,
)
from service.process import unacknowledged
from tests.conftest import need
from tests.test_cli import invoke


def test_developer_and_sre_plans_evaluate_from_synced_sources(
    tmp_path: Path,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setenv("TRACKRECORD_DATABASE_URL", database_url)
    caplog.set_level(logging.DEBUG)  # every client library's request logging included
    with demo_org(tmp_path) as org:
        monkeypatch.setenv("TRACKRECORD_CONFIG_DIR", str(org.config_dir))
        code, output = invoke("sync")
        assert code == 0, output
    for stream in (
        "github/pull_requests",
        "github/deployments",
        "pagerduty/incidents",
        "prometheus/samples:error_rate",
        "prometheus/samples:availability",
    ):
        assert f"{stream}:" in output
    assert output.count("0 quarantined") == output.count("(ok)") == 7

    for secret in SECRETS.values():  # secrets are used, never logged or printed
        assert secret not in caplog.text and secret not in output
    assert "GET" in caplog.text  # the request logging really was captured

    as_of = org.now.date().isoformat()
    sources = {
        "nharlow-2026q4": {
            "pr_lead_time_hours": "github:",
            "review_turnaround_hours": "github:",
            "pr_first_pass_approval_rate": "github:",
        },
        "ilund-2026q4": {
            "incident_mttr_hours": "pagerduty:",
            "change_failure_rate": "github:",
            "error_rate": "prometheus:",
        },
    }
    for plan, goals in sources.items():
        code, output = invoke("evaluate", plan, "--as-of", as_of, "--json")
        assert code == 0, output
        result = json.loads(output)
        assert {g["metric"] for g in result["goals"]} == set(goals)
        for goal in result["goals"]:
            assert goal["status"] != "insufficient_data", goal["metric"]
            assert goal["baseline"]["n"] > 0 and goal["current"]["n"] > 0
            assert all(key.startswith(goals[goal["metric"]]) for key in goal["evidence"])
            assert goal["change"]["interval"] is not None
        assert result["outcome"] != "undetermined"

    # The example plans' record exclusions all name records the demo stores (DESIGN §5.11).
    for plan in (*sources, "tbrandt-2026q4"):
        code, output = invoke("evaluate", plan, "--as-of", as_of, "--json")
        assert code == 0 and json.loads(output)["unmatched_exclusions"] == [], output[-500:]
        assert "window_not_covered" not in output


def _prometheus_url(config_dir: Path) -> str:
    sources = yaml.safe_load((config_dir / "sources.yaml").read_text())["sources"]
    return str(next(s["url"] for s in sources if s["kind"] == "prometheus"))


def _processes_storing_in(folder: Path) -> list[str]:
    """Process ids whose command line names `folder`: a Prometheus keeping its data there."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if str(folder).encode() in cmdline.read_bytes():
                found.append(cmdline.parent.name)
        except OSError:
            continue  # ended while we looked
    return found


def test_the_demo_runs_a_real_prometheus_and_stops_it(tmp_path: Path) -> None:
    """With the binaries installed (always in CI) the demo's Prometheus source is a real server:
    it answers its own build-info endpoint, which the look-alike does not serve. Leaving the
    demo, normally or by Ctrl-C, stops it; a second demo in the same folder starts afresh."""
    need(prometheus_server.installed(), "prometheus/promtool not installed (apt-get install "
         "prometheus)")
    data = tmp_path / "prometheus"
    for interrupted in (False, True):
        with contextlib.suppress(KeyboardInterrupt), demo_org(tmp_path) as org:
            url = _prometheus_url(org.config_dir)
            assert org.prometheus == REAL_PROMETHEUS
            info = requests.get(f"{url}/api/v1/status/buildinfo", timeout=5).json()
            assert info["status"] == "success" and info["data"]["version"], info
            assert len(_processes_storing_in(data)) == 1
            if interrupted:
                raise KeyboardInterrupt
        assert _processes_storing_in(data) == []
        with pytest.raises(requests.ConnectionError):
            requests.get(f"{url}/-/ready", timeout=5)


def test_the_demo_tells_the_same_story_from_any_anchor(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """History and plan dates come from one anchor: two anchors weeks and days apart give the
    four intended verdicts, as of each one's story day."""
    today = datetime.now(UTC).date()
    for anchor in (today, today - timedelta(weeks=10, days=3)):
        root = tmp_path / anchor.isoformat()
        with demo_org(root, anchor=anchor) as org:
            monkeypatch.setenv("TRACKRECORD_CONFIG_DIR", str(org.config_dir))
            monkeypatch.setenv("TRACKRECORD_DATABASE_URL", org.database_url)
            code, output = invoke("sync")
            assert code == 0, output
        day = org.now.date()
        assert day == demo_day(anchor) and (day - STORY_DAY).days % 7 == 0 and day <= anchor
        plan = (org.config_dir / "plans" / "tbrandt-2026q4.yaml").read_text()
        assert f"start: {STORY_DAY - timedelta(days=80) + (day - STORY_DAY)}" in plan
        outcomes = {
            plan: json.loads(invoke("evaluate", plan, "--as-of", day.isoformat(), "--json")[1])
            ["outcome"]
            for plan in STORIES
        }
        assert outcomes == STORIES, anchor


def test_the_demo_command_sets_up_plans_snapshots_and_sign_ins(tmp_path: Path) -> None:
    """`trackrecord demo --no-serve`: everything `make demo` serves, stored in a fresh database,
    twice in a row: four plans with their four stories as of today, each as the stored
    evaluations the pages read."""
    for _ in range(2):
        code, output = invoke("demo", "--directory", str(tmp_path), "--no-serve")
        assert code == 0, output
    workspace = service.open_workspace(
        tmp_path / "config", database_url=f"sqlite:///{tmp_path / 'trackrecord.db'}")
    people = workspace.config.people.people
    assert len(people) == 30
    # The former contractor's login matches no one: named for the pull requests plans read.
    assert [a.account for a in service.stored_unmatched(workspace, {"pull_request"})] == [
        FORMER_CONTRACTOR]
    assert service.stored_unmatched(workspace, {"ticket"}) == []
    assert {p.team for p in people} == {"service-desk", "platform", "sre", "people-ops"}
    stored = {s.plan_id: s.payload for s in service.stored_evaluations(workspace)}
    assert {plan: payload["outcome"] for plan, payload in stored.items()} == STORIES
    for plan in STORIES:
        assert f"{plan}: recommended {STORIES[plan].replace('_', ' ')}" in output
    real = prometheus_server.installed()
    assert f"monitoring: {REAL_PROMETHEUS if real else LOOK_ALIKE}\n" in output

    # Only the fourth plan's regression is the whole team's: its goal carries the flag.
    shifted = {(plan, goal["metric"]) for plan, payload in stored.items()
               for goal in payload["goals"] if "team_wide_shift" in goal["flags"]}
    assert shifted == {("pmarlow-2026q4", "deployment_success_rate")}
    regression = next(g for g in stored["pmarlow-2026q4"]["goals"]
                      if g["metric"] == "deployment_success_rate")
    assert regression["status"] == "not_met" and regression["change"]["absolute"] < 0
    assert regression["team"]["team_wide_shift"] and regression["team"]["change_absolute"] < 0
    assert "the whole team moved alike" in output

    # The partial improvement: a target met but not sustained, no other kind of partial.
    partial = [g for g in stored["nharlow-2026q4"]["goals"] if g["status"] == "partially_met"]
    assert [g["metric"] for g in partial] == ["pr_lead_time_hours"]
    assert partial[0]["target_met"] and not partial[0]["sustained"]["held"]
    assert all(g["status"] == "met" for g in stored["tbrandt-2026q4"]["goals"])

    # Leave: a plan excludes a week of it, and its evaluation says so.
    support = workspace.plan("tbrandt-2026q4")
    leave = [e for e in support.exclusions if e.from_ and "leave" in e.reason.lower()]
    assert leave and support.start <= leave[0].from_ <= support.end
    assert any("leave" in e.get("reason", "").lower()
               for e in stored["tbrandt-2026q4"]["exclusions"])

    for plan in STORIES:
        kinds = [s.kind for s in service.snapshots(workspace, plan)]
        assert kinds.count("manual") == 1, (plan, kinds)
    checkpoints = [s.as_of for s in service.snapshots(workspace, support.id)
                   if s.kind == "checkpoint"]
    assert checkpoints == list(support.checkpoints)  # both passed, each with its snapshot
    assert service.verify_snapshots(workspace).broken is None

    # Every employee acknowledged their plan but one, whom the overview shows as pending.
    assert unacknowledged(workspace, list(STORIES)) == {UNACKNOWLEDGED}
    assert f"{UNACKNOWLEDGED}: recommended" in output and "not yet acknowledged" in output

    assert f"password {DEMO_PASSWORD}" in output
    for user in DEMO_USERS:
        signed_in = service.authenticate(workspace, user.name, DEMO_PASSWORD)
        assert signed_in is not None and signed_in.role == user.role
        assert re.search(rf"^\s+{user.name}\s+{user.role}\s+sees", output, re.MULTILINE)
    assert {u.role for u in DEMO_USERS} == set(service.ROLES)
