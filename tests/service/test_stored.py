"""Stored evaluations: a sync that brings records refreshes them, and reading one is what a
live evaluation as of the same day gives."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import service
from fakes.jira import FakeJira
from fakes.server import LocalServer
from tests.test_cli import PLAN, config_dir, invoke, jira_server  # noqa: F401 (fixtures)


def test_a_sync_stores_each_plans_evaluation_as_a_live_one_would_give_it(
    config_dir: Path,  # noqa: F811
) -> None:
    ws = service.open_workspace(config_dir)
    assert service.stored_evaluation(ws, PLAN) is None and service.stored_evaluations(ws) == []

    assert invoke("sync")[0] == 0

    stored = service.stored_evaluation(ws, PLAN)
    assert stored is not None and stored.version == ws.versions[PLAN]
    live = service.evaluate(ws, PLAN, stored.as_of)
    assert stored.payload == live.to_json()
    assert [s.plan_id for s in service.stored_evaluations(ws)] == [PLAN]


def _new_ticket(issues: list[dict[str, Any]]) -> dict[str, Any]:
    """One more ticket for tbrandt (sdesk-1), resolved during the plan, updated after the
    first sync's cursor, so the next sync reads it."""
    issue = copy.deepcopy(issues[0])
    issue.update(id="90001", key="OPS-90001")
    issue["fields"].update(
        assignee={"accountId": "sdesk-1", "displayName": "T", "active": True},
        created="2026-11-24T09:00:00.000+0000", updated="2026-11-25T10:00:00.000+0000",
        resolutiondate="2026-11-25T10:00:00.000+0000", duedate=None,
    )
    issue["changelog"] = {"startAt": 0, "maxResults": 0, "total": 0, "histories": []}
    return issue


def test_an_idle_sync_recomputes_nothing_and_a_sync_with_new_evidence_recomputes_its_plan(
    config_dir: Path, jira_server: LocalServer  # noqa: F811
) -> None:
    assert invoke("sync")[0] == 0
    ws = service.open_workspace(config_dir)
    first = service.stored_evaluation(ws, PLAN)
    assert first is not None and first.evidence_digest

    service.sync(ws)  # the overlapping re-read writes the same records again
    assert service.stored_evaluation(ws, PLAN) == first

    fake = jira_server.handler
    assert isinstance(fake, FakeJira)
    fake.issues = [*fake.issues, _new_ticket(list(fake.issues))]
    fake.reindex()
    summaries = service.sync(ws)
    assert sum(s.records for s in summaries) >= 1
    refreshed = service.stored_evaluation(ws, PLAN)
    assert refreshed is not None and refreshed.computed_at > first.computed_at
    assert refreshed.evidence_digest != first.evidence_digest
    assert refreshed.payload == service.evaluate(ws, PLAN, refreshed.as_of).to_json()
    assert "jira:OPS-90001" in json.dumps(refreshed.payload)


def test_a_decision_and_a_changed_plan_file_refresh_the_stored_evaluation(
    config_dir: Path,  # noqa: F811
) -> None:
    assert invoke("sync")[0] == 0
    ws = service.open_workspace(config_dir)
    service.decide(ws, PLAN, outcome="extended", by="rnoor", reason="More time for billing")
    stored = service.stored_evaluation(ws, PLAN)
    assert stored is not None and stored.payload["decision"]["outcome"] == "extended"

    plan_file = config_dir / "plans" / f"{PLAN}.yaml"
    plan_file.write_text(plan_file.read_text().replace("at_most: 24", "at_most: 20"))
    ws = service.open_workspace(config_dir)
    stored = service.stored_evaluation(ws, PLAN)
    assert stored is not None and stored.version == 2 == ws.versions[PLAN]
    assert stored.payload["goals"][0]["target"] == {"at_most": 20.0}
