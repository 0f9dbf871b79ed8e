"""Stored evaluations: a sync that brings records refreshes them, and reading one is what a
live evaluation as of the same day gives."""

from __future__ import annotations

from pathlib import Path

import service
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
