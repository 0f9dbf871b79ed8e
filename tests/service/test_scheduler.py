"""The scheduler with real parts: APScheduler on the project's database, the fake Jira, a real
SMTP server (aiosmtpd), `trackrecord scheduler` as a process, and two replicas on PostgreSQL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
import yaml
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

import service
from fakes.server import LocalServer, free_port
from ingest.store import sync_runs
from service.scheduler import (
    JobContext,
    build_scheduler,
    cron_trigger,
    install_jobs,
    job_triggers,
)
from service.tables import job_runs, snapshots
from tests.test_cli import PLAN, config_dir, invoke, jira_server  # noqa: F401 (fixtures)

ROOT = Path(__file__).resolve().parents[2]


def wait_for(condition: Callable[[], Any], seconds: float, what: str) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if found := condition():
            return found
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def runs(ws: service.Workspace, job: str) -> list[Any]:
    with ws.engine.connect() as conn:
        return conn.execute(sa.select(job_runs).where(job_runs.c.job == job)).all()


def test_cron_weekdays_are_read_as_cron_reads_them() -> None:
    zone = ZoneInfo("Europe/Berlin")
    sunday = datetime(2026, 12, 6, 4, tzinfo=zone)
    monday = cron_trigger("0 6 * * 1", zone).get_next_fire_time(None, sunday)
    assert monday == datetime(2026, 12, 7, 6, tzinfo=zone)
    weekdays = cron_trigger("30 8 * * 1-5", zone).get_next_fire_time(None, sunday)
    assert weekdays == datetime(2026, 12, 7, 8, 30, tzinfo=zone)
    assert cron_trigger("0 0 * * 0", zone).get_next_fire_time(None, sunday).weekday() == 6


class Inbox:
    """An aiosmtpd handler keeping what it receives."""

    def __init__(self) -> None:
        self.received: list[tuple[list[str], Message]] = []

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.content if isinstance(envelope.content, bytes) else b""
        self.received.append((list(envelope.rcpt_tos), message_from_bytes(content)))
        return "250 OK"


@pytest.fixture
def inbox(monkeypatch: pytest.MonkeyPatch) -> Iterator[Inbox]:
    handler = Inbox()
    # A free port: the controller's ready check cannot use 0.
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    monkeypatch.setenv("TRACKRECORD_SMTP_URL", f"smtp://127.0.0.1:{controller.port}")
    monkeypatch.setenv("TRACKRECORD_SMTP_FROM", "pips@example.com")
    yield handler
    controller.stop()


def _extend_plan(config_dir: Path) -> None:  # noqa: F811
    """The example plan ends on 30 November; keep it running through December."""
    plan_file = config_dir / "plans" / f"{PLAN}.yaml"
    plan_file.write_text(plan_file.read_text().replace("end: 2026-11-30", "end: 2026-12-31"))


def test_the_weekly_job_fires_on_its_trigger_snapshots_and_mails_the_plans_people(
    config_dir: Path, inbox: Inbox  # noqa: F811
) -> None:
    _extend_plan(config_dir)
    assert invoke("sync")[0] == 0
    ws = service.open_workspace(config_dir)
    handle = service.start_background_scheduler(ws)
    try:
        soon = datetime.now(UTC) + timedelta(seconds=1)
        handle.scheduler.reschedule_job("snapshots", trigger="date", run_date=soon)
        [run] = wait_for(lambda: [r for r in runs(ws, "snapshots") if r.finished], 60, "a run")
    finally:
        handle.stop()
    assert run.outcome == "ok" and run.error is None
    yesterday = soon.astimezone(ws.settings.zone).date() - timedelta(days=1)
    shots = service.snapshots(ws, PLAN)
    assert [(s.kind, s.as_of.isoformat()) for s in shots] == [
        ("checkpoint", "2026-09-30"), ("checkpoint", "2026-10-31"),
        ("scheduled", yesterday.isoformat()),
    ]
    assert service.verify_snapshots(ws).broken is None

    [(recipients, message)] = inbox.received
    assert sorted(recipients) == ["lena.voss@example.com", "rania.noor@example.com"]
    assert message["From"] == "pips@example.com" and PLAN in message["Subject"]
    text, html = (part.get_payload(decode=True).decode() for part in message.walk()
                  if part.get_content_type() in ("text/plain", "text/html"))
    outcome = shots[-1].evaluation["outcome"]
    assert f"Outcome so far (a person decides): {outcome}" in text
    goal_lines = [line for line in text.splitlines() if "(baseline " in line]
    assert len(goal_lines) == len(shots[-1].evaluation["goals"]) == 4
    assert "Next checkpoint: 2026-12-31" in text and shots[-1].hash in text
    assert "<li>" in html and "Since last week" in html


def test_a_missed_run_is_coalesced_into_one(config_dir: Path) -> None:  # noqa: F811
    sources = yaml.safe_load((config_dir / "sources.yaml").read_text())
    sources["sources"][0]["schedule"] = "* * * * *"
    (config_dir / "sources.yaml").write_text(yaml.safe_dump(sources))
    ws = service.open_workspace(config_dir)
    scheduler = build_scheduler(ws, JobContext(lambda: service.open_workspace(config_dir)))
    scheduler.start(paused=True)
    started = datetime.now(UTC)
    try:
        install_jobs(scheduler, job_triggers(ws))
        scheduler.modify_job("sync:jira", next_run_time=started - timedelta(minutes=5))
        scheduler.resume()  # five runs were missed, all within the grace time
        wait_for(lambda: [r for r in runs(ws, "sync:jira") if r.finished], 60, "a sync run")
    finally:
        scheduler.shutdown(wait=True)
    missed = [r for r in runs(ws, "sync:jira") if r.scheduled_for <= started]
    assert len(missed) == 1 and missed[0].outcome == "ok"
    assert started - timedelta(minutes=1) < missed[0].scheduled_for <= started
    with ws.engine.connect() as conn:
        synced = conn.execute(sa.select(sync_runs).where(sync_runs.c.started <= started
                                                         + timedelta(seconds=50))).all()
    assert len(synced) == len(service.streams(ws, "jira"))


def _scheduler_process(config_dir: Path, env: dict[str, str]) -> subprocess.Popen[str]:  # noqa: F811
    return subprocess.Popen(
        [sys.executable, str(ROOT / "trackrecord.py"), "scheduler", "--config", str(config_dir)],
        cwd=ROOT, env={**env, "PYTHONUNBUFFERED": "1"}, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True,
    )


def _until_running(process: subprocess.Popen[str]) -> str:
    lines = []
    assert process.stdout is not None
    for line in process.stdout:
        lines.append(line)
        if "scheduler running" in line:
            return "".join(lines)
    raise AssertionError("the scheduler exited: " + "".join(lines))


def test_sigterm_stops_the_scheduler_cleanly_while_it_waits(config_dir: Path) -> None:  # noqa: F811
    process = _scheduler_process(config_dir, dict(os.environ))
    try:
        started = _until_running(process)
        assert "snapshots: next run" in started and "checkpoints: next run" in started
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=20)
    finally:
        process.kill()
    assert process.returncode == 0, output
    assert "scheduler stopped" in output and "Traceback" not in output


@pytest.mark.parametrize("engine", ["postgresql"], indirect=True)
def test_two_replicas_on_postgresql_run_one_sync_per_trigger(
    config_dir: Path, jira_server: LocalServer, engine: sa.Engine  # noqa: F811
) -> None:
    sources = yaml.safe_load((config_dir / "sources.yaml").read_text())
    sources["sources"][0]["schedule"] = "* * * * *"
    (config_dir / "sources.yaml").write_text(yaml.safe_dump(sources))
    ws = service.open_workspace(config_dir)
    replicas = [_scheduler_process(config_dir, dict(os.environ)) for _ in range(2)]
    try:
        for replica in replicas:
            _until_running(replica)
        [first] = wait_for(lambda: [r for r in runs(ws, "sync:jira") if r.finished], 130,
                           "the first scheduled sync")
        time.sleep(5)  # time for a second replica to run it too, if it were going to
        for replica in replicas:
            replica.send_signal(signal.SIGTERM)
        outputs = [replica.communicate(timeout=30)[0] for replica in replicas]
    finally:
        for replica in replicas:
            replica.kill()
    assert [r.returncode for r in replicas] == [0, 0], outputs
    assert first.outcome == "ok", first.error
    with ws.engine.connect() as conn:
        synced = conn.execute(sa.select(sync_runs)).all()
        shots = conn.execute(sa.select(snapshots)).all()
    in_first = [r for r in runs(ws, "sync:jira") if r.scheduled_for == first.scheduled_for]
    assert len(in_first) == 1
    streams = len(service.streams(ws, "jira"))
    ran = [r for r in synced if r.started < first.scheduled_for + timedelta(seconds=55)]
    assert len(ran) == streams  # one sync, not two
    assert sum(r.requests for r in synced) == len(jira_server.requests)
    assert shots == []
