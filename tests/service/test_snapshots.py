"""Snapshots through the real store and the command line, on SQLite and PostgreSQL: checkpoints
get their own, the chain verifies, tampering is named, and a verdict survives source changes."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import sqlalchemy as sa

import service
from ingest.store import RECORD_TABLES
from service.tables import snapshots as snapshot_table
from tests.test_cli import PLAN, config_dir, invoke, jira_server  # noqa: F401 (fixtures)


def test_a_snapshot_takes_each_passed_checkpoint_first_and_the_chain_verifies(
    config_dir: Path,  # noqa: F811
) -> None:
    assert invoke("sync")[0] == 0
    code, output = invoke("snapshot", PLAN, "--as-of", "2026-11-20")
    assert code == 0, output
    ws = service.open_workspace(config_dir)
    shots = service.snapshots(ws, PLAN)
    assert [(s.seq, s.kind, s.as_of) for s in shots] == [
        (1, "checkpoint", date(2026, 9, 30)),
        (2, "checkpoint", date(2026, 10, 31)),
        (3, "manual", date(2026, 11, 20)),
    ]
    live = service.evaluate(ws, PLAN, date(2026, 11, 20)).to_json()
    assert shots[2].evaluation == json.loads(json.dumps(live))
    assert shots[2].content["plan_content"]["id"] == PLAN
    assert shots[2].content["plan_version"] == 1 and shots[2].content["definitions_version"]
    assert shots[1].hash == shots[2].previous_hash

    assert [s.seq for s in service.snapshot(ws, PLAN, date(2026, 11, 21))] == [4]  # none due
    code, output = invoke("snapshots", "verify")
    assert code == 0 and "4 snapshots of 1 plans" in output
    code, output = invoke("snapshots", "list", PLAN, "--json")
    listed = json.loads(output)
    assert code == 0 and [s["seq"] for s in listed] == [1, 2, 3, 4]
    assert listed[2]["outcome"] == live["outcome"] and listed[2]["hash"] == shots[2].hash


def _tamper(ws: service.Workspace, at_seq: int, **values: object) -> None:
    with ws.engine.begin() as conn:
        conn.execute(sa.update(snapshot_table).where(snapshot_table.c.seq == at_seq)
                     .values(values))


def test_a_changed_payload_hash_or_order_is_named_by_verify(config_dir: Path) -> None:  # noqa: F811
    ws = service.open_workspace(config_dir)
    for day in (date(2026, 9, 10), date(2026, 9, 17), date(2026, 9, 24)):
        service.snapshot(ws, PLAN, day)
    assert service.verify_snapshots(ws).broken is None
    [second] = [s for s in service.snapshots(ws, PLAN) if s.seq == 2]
    with ws.engine.connect() as conn:
        payload = conn.execute(sa.select(snapshot_table.c.payload)
                               .where(snapshot_table.c.seq == 2)).scalar_one()

    _tamper(ws, 2, payload=payload.replace('"outcome":"', '"outcome":"x'))
    code, output = invoke("snapshots", "verify")
    assert code == 1 and f"plan {PLAN}, snapshot 2" in output and "stored byte" in output
    _tamper(ws, 2, payload=payload, hash="0" * 64)
    broken = service.verify_snapshots(ws).broken
    assert broken is not None and broken.seq == 2 and "hash does not match" in broken.problem
    _tamper(ws, 2, hash=second.hash)
    assert service.verify_snapshots(ws).broken is None  # every byte back: it holds again
    _tamper(ws, 3, seq=30)
    _tamper(ws, 2, seq=3)
    broken = service.verify_snapshots(ws).broken
    assert broken is not None and broken.plan_id == PLAN and "out of order" in broken.problem


def test_a_source_record_changed_after_a_snapshot_leaves_its_verdict(
    config_dir: Path,  # noqa: F811
) -> None:
    assert invoke("sync")[0] == 0
    ws = service.open_workspace(config_dir)
    [shot] = [s for s in service.snapshot(ws, PLAN, date(2026, 11, 20)) if s.kind == "manual"]
    tickets = RECORD_TABLES["tickets"]
    with ws.engine.begin() as conn:  # every ticket of tbrandt's is reopened at the source
        conn.execute(sa.update(tickets).where(tickets.c.assignee_account == "sdesk-1")
                     .values(resolved=None, status="In Progress",
                             status_category="indeterminate"))
    live = service.evaluate(ws, PLAN, date(2026, 11, 20)).to_json()
    assert live["goals"] != shot.evaluation["goals"]
    [again] = [s for s in service.snapshots(ws, PLAN) if s.seq == shot.seq]
    assert again.evaluation == shot.evaluation and again.hash == shot.hash
    assert service.verify_snapshots(ws).broken is None
