"""The command line end to end: init, sync through the real Jira connector, evaluate, evidence,
people check, plan versions, ratings and decisions, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from config import EXAMPLES_DIR
from fakes.jira import FakeJira, generate_issues
from fakes.server import LocalServer
from trackrecord import app

runner = CliRunner()
ACCOUNTS = {"sdesk-1": "tbrandt", "sdesk-2": "aokafor", "sdesk-3": "rnoor"}
PLAN = "tbrandt-2026q4"


@pytest.fixture
def jira_server() -> Iterator[LocalServer]:
    issues = generate_issues(
        900,
        accounts=[*ACCOUNTS, "stranger-9"],
        start=datetime(2026, 4, 1, tzinfo=UTC),
        end=datetime(2026, 11, 20, tzinfo=UTC),
        seed=3,
        resolution_factor=lambda account, created: (
            2.0 if account == "sdesk-1" and created < datetime(2026, 9, 1, tzinfo=UTC) else 0.6
        ),
    )
    server = LocalServer(FakeJira(issues=issues)).start()
    yield server
    server.stop()
    assert server.unanswered == []


@pytest.fixture
def config_dir(
    tmp_path: Path, jira_server: LocalServer, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """The example people and the support plan; one Jira source pointing at the fake."""
    folder = tmp_path / "config"
    write_config(folder, jira_server.url, plans=[PLAN])
    monkeypatch.setenv("JIRA_EMAIL", "sync@example.com")
    monkeypatch.setenv("JIRA_TOKEN", "token")
    monkeypatch.setenv("TRACKRECORD_DATABASE_URL", database_url)
    monkeypatch.setenv("TRACKRECORD_CONFIG_DIR", str(folder))
    return folder


def write_config(folder: Path, jira_url: str, *, plans: list[str]) -> None:
    """The example people with ACCOUNTS as their Jira logins, these example plans, and one Jira
    source at `jira_url`."""
    (folder / "plans").mkdir(parents=True)
    people = yaml.safe_load((EXAMPLES_DIR / "people.yaml").read_text())
    for person in people["people"]:
        account = next((a for a, p in ACCOUNTS.items() if p == person["id"]), None)
        person["accounts"] = {"jira": account} if account else {}
    (folder / "people.yaml").write_text(yaml.safe_dump(people))
    for plan in plans:
        shutil.copy(EXAMPLES_DIR / "plans" / f"{plan}.yaml", folder / "plans")
    source = {"name": "jira", "kind": "jira", "url": jira_url, "email_env": "JIRA_EMAIL",
              "token_env": "JIRA_TOKEN"}
    (folder / "sources.yaml").write_text(yaml.safe_dump({"sources": [source]}))


def invoke(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args), catch_exceptions=False)
    return result.exit_code, result.output


def test_init_writes_an_example_set_that_loads(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TRACKRECORD_DATABASE_URL", f"sqlite:///{tmp_path / 'db.sqlite'}")
    code, output = invoke("init", str(tmp_path / "cfg"))
    assert code == 0, output
    assert (tmp_path / "cfg" / "plans" / f"{PLAN}.yaml").exists()
    code, output = invoke("init", str(tmp_path / "cfg"))
    assert code == 2 and "already exist" in output
    code, output = invoke("people", "check", "--config", str(tmp_path / "cfg"))
    assert code == 0 and "every account" in output


def test_the_source_package_is_never_taken_for_a_configuration(tmp_path: Path) -> None:
    package = Path(__file__).resolve().parents[1] / "config"
    code, output = invoke("init", str(package))
    assert code == 2 and "source code" in output
    code, output = invoke("people", "check", "--config", str(package))
    assert code == 78 and "not a configuration folder" in output


def test_sync_then_evaluate_end_to_end(config_dir: Path, jira_server: LocalServer) -> None:
    code, output = invoke("sync")
    assert code == 0, output
    assert "jira/tickets:" in output and "0 quarantined" in output and "(ok)" in output

    code, output = invoke("evaluate", PLAN, "--as-of", "2026-11-20", "--json")
    assert code == 0, output
    result = json.loads(output)
    assert result["plan"] == PLAN and result["version"] == 1 and result["as_of"] == "2026-11-20"
    resolution = next(g for g in result["goals"] if g["metric"] == "ticket_resolution_hours")
    assert resolution["baseline"]["value"] > resolution["current"]["value"]
    assert resolution["change"]["absolute"] > 0  # lower is better: positive means improved
    assert resolution["baseline"]["n"] > 0 and resolution["evidence"]
    assert all(key.startswith("jira:OPS-") for key in resolution["evidence"])
    # The fake makes tbrandt resolve faster during the plan: resolution time improves clearly.
    assert resolution["change"]["interval"][0] > 0 and resolution["target_met"] is True
    # At most 24 h, held in 3 of the last 4 weeks with the last one met (25.4 h in the first
    # week, then 23.9, 12.6 and 20.2 h): met, not merely partially met. Every goal is.
    assert resolution["sustained"] | {"windows": None} == {
        "weeks_met": 3, "weeks": 4, "held": True, "required": 3, "windows": None}
    assert resolution["status"] == "met"
    assert [goal["status"] for goal in result["goals"]] == ["met"] * 4
    assert result["outcome"] == "successful_completion"

    # The whole plan is in the record; an exclusion naming no stored record is reported.
    assert result["support"][0].startswith("Weekly pairing session")
    assert result["barriers"] == ["The knowledge base for the new billing system is incomplete"]
    assert result["notes"] and result["exclusions"][0] == {
        "from": "2026-10-05", "to": "2026-10-09", "reason": "Annual leave"}
    assert result["unmatched_exclusions"] == ["jira:SUP-482"]  # the fake has OPS tickets only

    code, table = invoke("evaluate", PLAN, "--as-of", "2026-11-20")
    assert code == 0 and "ticket_resolution_hours" in table and "Recommended outcome" in table
    assert "Support: Weekly pairing session" in table and "Barriers: The knowledge base" in table
    assert "Excluded: 2026-10-05 to 2026-10-09 (Annual leave)" in table
    assert "warning: tbrandt-2026q4: the exclusion of jira:SUP-482 matches no stored" in table

    code, output = invoke(
        "evaluate", PLAN, "--as-of", "2026-11-20", "--evidence", "ticket_resolution_hours", "--json"
    )
    assert code == 0, output
    records = json.loads(output)
    assert [r["key"] for r in records] == [
        *resolution["baseline"]["evidence"],
        *resolution["current"]["evidence"],
    ]
    assert {r["window"] for r in records} == {"baseline", "current"}
    assert all(
        r["url"] == f"{jira_server.url}/browse/{r['key'].removeprefix('jira:')}" for r in records
    )

    code, output = invoke("evaluate", PLAN, "--as-of", "2026-11-20", "--checkpoints", "--json")
    assert code == 0, output
    assert [r["as_of"] for r in json.loads(output)] == ["2026-09-30", "2026-10-31", "2026-11-20"]
    assert json.loads(output)[-1]["goals"] == result["goals"]


def test_evidence_list_and_people_check(config_dir: Path) -> None:
    assert invoke("sync")[0] == 0
    code, output = invoke("evidence", "list", "--kind", "ticket", "--person", "tbrandt", "--json")
    assert code == 0
    rows = json.loads(output)
    assert rows and {r["person"] for r in rows} == {"tbrandt"}
    assert {"key", "url", "created", "resolved", "status_category"} <= rows[0].keys()

    code, output = invoke("people", "check")
    assert code == 1 and "stranger-9" in output


def test_plan_edits_become_versions_and_history_shows_them(config_dir: Path) -> None:
    plan_file = config_dir / "plans" / f"{PLAN}.yaml"
    assert invoke("plans", "history", PLAN)[0] == 0
    plan_file.write_text(plan_file.read_text().replace("at_most: 24", "at_most: 20"))
    code, output = invoke("plans", "history", PLAN)
    assert code == 0, output
    assert "version 2" in output and "goals[0].target.at_most: 24.0 → 20.0" in output
    code, output = invoke("evaluate", PLAN, "--as-of", "2026-11-20", "--json")
    assert json.loads(output)["version"] == 2


def test_ratings_and_decisions(config_dir: Path) -> None:
    code, output = invoke(
        "rate",
        "tbrandt",
        "communication",
        "4",
        "--by",
        "rnoor",
        "--note",
        "Clear updates to customers",
    )
    assert code == 0, output
    assert invoke("rate", "tbrandt", "communication", "9", "--by", "rnoor")[0] == 2
    assert invoke("rate", "tbrandt", "communication", "4", "--by", "tbrandt")[0] == 2
    code, output = invoke("evidence", "list", "--kind", "rating", "--json")
    assert [r["value"] for r in json.loads(output)] == [4]

    code, output = invoke(
        "decide",
        PLAN,
        "--outcome",
        "extended",
        "--by",
        "rnoor",
        "--reason",
        "Good progress; four more weeks agreed",
    )
    assert code == 0, output
    code, output = invoke("evaluate", PLAN, "--json")
    result = json.loads(output)
    decision = result["decision"]
    assert decision["outcome"] == "extended" and decision["by"] == "rnoor"
    assert decision["recommended"] == result["outcome"]  # what was recommended when deciding
    assert (decision["version"], decision["plan_changed_since"]) == (1, False)
    assert invoke("decide", PLAN, "--outcome", "fired", "--by", "rnoor", "--reason", "x")[0] == 2


def test_only_the_manager_the_hr_partner_or_hr_may_decide(config_dir: Path) -> None:
    def decide(by: str) -> tuple[int, str]:
        return invoke("decide", PLAN, "--outcome", "extended", "--by", by, "--reason", "agreed")

    for employee_peer_or_stranger in ("tbrandt", "aokafor", "ghost"):
        code, output = decide(employee_peer_or_stranger)
        assert code == 2 and f"{employee_peer_or_stranger!r}" in output, output
    assert "may not decide" in decide("aokafor")[1]
    assert "not a person in people.yaml" in decide("ghost")[1]
    assert decide("lvoss")[0] == 0  # the plan's HR partner (people.yaml role hr)
    assert decide("rnoor")[0] == 0  # its manager


def test_a_decision_shows_the_version_it_was_made_on_once_the_plan_changes(
    config_dir: Path,
) -> None:
    assert invoke("sync")[0] == 0  # the table needs evidence, or it says nothing was synced
    code, _ = invoke("decide", PLAN, "--outcome", "extended", "--by", "rnoor", "--reason", "ok")
    assert code == 0
    plan_file = config_dir / "plans" / f"{PLAN}.yaml"
    plan_file.write_text(plan_file.read_text().replace("at_most: 24", "at_most: 20"))

    result = json.loads(invoke("evaluate", PLAN, "--json")[1])
    assert result["version"] == 2
    assert (result["decision"]["version"], result["decision"]["plan_changed_since"]) == (1, True)
    code, output = invoke("evaluate", PLAN)
    assert code == 0 and "made on version 1; the plan has changed since" in output


def test_a_bad_plan_file_gives_one_clear_line(config_dir: Path) -> None:
    plan_file = config_dir / "plans" / f"{PLAN}.yaml"
    plan_file.write_text(plan_file.read_text().replace("at_most: 24", "at_mots: 24"))
    code, output = invoke("evaluate", PLAN)
    assert code == 78
    assert f"{PLAN}.yaml:" in output and "at_mots" in output and "Traceback" not in output


def test_a_broken_plan_stops_only_the_command_that_names_it(config_dir: Path) -> None:
    plan_file = config_dir / "plans" / f"{PLAN}.yaml"
    broken = plan_file.read_text().replace(f"id: {PLAN}", "id: rnoor-2026q4").replace(
        "employee: tbrandt", "employee: nobody")
    (config_dir / "plans" / "rnoor-2026q4.yaml").write_text(broken)

    code, output = invoke("sync")
    assert code == 0, output
    assert "warning: " in output and "rnoor-2026q4.yaml:8: employee" in output
    assert "(plan rnoor-2026q4 is skipped until this is fixed)" in output
    code, output = invoke("evaluate", PLAN, "--as-of", "2026-11-20", "--json")
    assert code == 0 and f'"plan": "{PLAN}"' in output  # the other plans still evaluate
    code, output = invoke("evaluate", "rnoor-2026q4")
    assert code == 78 and "error: " in output and "rnoor-2026q4.yaml:8: employee" in output


def test_unknown_plan_is_a_clear_error(config_dir: Path) -> None:
    code, output = invoke("evaluate", "nobody-2026")
    assert code == 2 and "no plan 'nobody-2026'" in output and PLAN in output


def test_plans_suggest_gives_ticket_targets_whose_goals_block_loads_as_a_plan(
    config_dir: Path,
) -> None:
    assert invoke("sync")[0] == 0
    code, output = invoke("plans", "suggest", "tbrandt", "--start", "2026-09-01", "--json")
    assert code == 0, output
    result = json.loads(output)
    assert (result["person"], result["role"], result["team"]) == (
        "tbrandt",
        "support",
        "service-desk",
    )
    assert result["baseline"] == {"start": "2026-06-03", "end": "2026-08-31"}
    goals = {s["metric"]: s for s in result["suggestions"]}
    assert "incidents_owned" not in goals  # context only: no direction to improve in
    resolution = goals["ticket_resolution_hours"]  # tbrandt was slow before September
    assert resolution["team"]["value"] < resolution["target"]["at_most"]
    assert resolution["target"]["at_most"] < resolution["baseline"]["value"]
    assert goals["tickets_resolved"]["target"]["at_least"] > 0
    assert goals["incident_mttr_hours"]["target"] is None  # no incident source at all
    assert goals["incident_mttr_hours"]["why"] == "no suggestion: only 0 events (needs 8)"

    # Pasted under a plan's header, the block loads through the real plan files and evaluates
    # on the same baseline (a 90-day plan's default baseline is the suggestion's window).
    header = "id: tbrandt-next\nemployee: tbrandt\nmanager: rnoor\n"
    dates = "start: 2026-09-01\nend: 2026-11-29\n"
    (config_dir / "plans" / "tbrandt-next.yaml").write_text(header + dates + result["yaml"])
    code, output = invoke("evaluate", "tbrandt-next", "--as-of", "2026-11-20", "--json")
    assert code == 0, output
    evaluated = {g["metric"]: g for g in json.loads(output)["goals"]}
    assert list(evaluated) == [s["metric"] for s in result["suggestions"] if s["target"]]
    for metric, goal in evaluated.items():
        assert goal["target"] == goals[metric]["target"]
        assert goal["baseline"]["value"] == goals[metric]["baseline"]["value"]

    code, table = invoke("plans", "suggest", "tbrandt", "--start", "2026-09-01")
    assert code == 0 and "ticket_resolution_hours" in table and "\ngoals:\n" in table
    assert invoke("plans", "suggest", "nobody")[0] == 2
    assert invoke("plans", "suggest", "tbrandt", "--role", "manager")[0] == 2


def test_a_rating_goal_is_evaluated_from_dated_ratings(config_dir: Path) -> None:
    plan = yaml.safe_load((config_dir / "plans" / f"{PLAN}.yaml").read_text())
    plan.update(
        id="tbrandt-behaviour",
        goals=[{"metric": "rating:communication", "target": {"at_least": 4}, "min_samples": 3}],
    )
    (config_dir / "plans" / "tbrandt-behaviour.yaml").write_text(yaml.safe_dump(plan))
    ratings = {"2026-06-15": 2, "2026-07-15": 2, "2026-08-15": 3}  # baseline: Jun–Aug
    ratings |= {"2026-09-10": 4, "2026-10-14": 4, "2026-11-10": 5}  # the plan so far
    for day, value in ratings.items():
        code, output = invoke(
            "rate", "tbrandt", "communication", str(value), "--by", "rnoor", "--date", day
        )
        assert code == 0 and f"on {day}" in output, output

    code, output = invoke("evaluate", "tbrandt-behaviour", "--as-of", "2026-11-20", "--json")
    assert code == 0, output
    [goal] = json.loads(output)["goals"]
    assert goal["baseline"]["n"] == goal["current"]["n"] == 3
    assert goal["baseline"]["value"] == pytest.approx(7 / 3, rel=1e-3)
    assert goal["current"]["value"] == pytest.approx(13 / 3, rel=1e-3)
    assert goal["change"]["absolute"] == pytest.approx(2.0, rel=1e-3) and goal["target_met"] is True
    assert goal["status"] != "insufficient_data" and len(goal["evidence"]) == 6

    today = datetime.now(UTC).date().isoformat()  # the suite runs with the default zone, UTC
    assert invoke("rate", "tbrandt", "communication", "5", "--by", "rnoor", "--date", today)[0] == 0
    future = invoke(
        "rate", "tbrandt", "communication", "4", "--by", "rnoor", "--date", "2099-01-01"
    )
    assert future[0] == 2 and "in the future" in future[1]
    bad_name = invoke("rate", "tbrandt", "team work", "4", "--by", "rnoor")
    assert bad_name[0] == 2 and "rating:NAME" in bad_name[1]


def test_quarantined_records_are_listed_once_with_why(config_dir: Path, tmp_path: Path) -> None:
    issues = list(
        generate_issues(
            5,
            accounts=list(ACCOUNTS),
            start=datetime(2026, 9, 1, tzinfo=UTC),
            end=datetime(2026, 11, 1, tzinfo=UTC),
            seed=4,
        )
    )
    issues[2]["fields"]["created"] = "yesterday"
    issues[2]["fields"]["updated"] = "2026-11-20T10:00:00.000+0000"  # the newest: re-read
    server = LocalServer(FakeJira(issues=issues)).start()
    try:
        sources = yaml.safe_load((config_dir / "sources.yaml").read_text())
        sources["sources"][0]["url"] = server.url
        (config_dir / "sources.yaml").write_text(yaml.safe_dump(sources))
        code, output = invoke("sync")
        assert code == 0 and "1 records quarantined" in output, output
        assert invoke("sync")[0] == 0  # the overlapping re-read holds it again
    finally:
        server.stop()

    code, output = invoke("quarantine", "--json")
    assert code == 0, output
    [held] = json.loads(output)
    assert held["record_key"] == f"jira:{issues[2]['key']}" and held["times"] == 2
    assert "yesterday" in held["error"] and held["payload"]["fields"]["created"] == "yesterday"
    code, output = invoke("quarantine")
    assert code == 0 and issues[2]["key"] in output and "yesterday" in output
    assert invoke("quarantine", "--source", "elsewhere")[1].strip() == "no quarantined records"
