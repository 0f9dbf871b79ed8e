"""A small organisation behind a fake Jira, synced through the real connector into a real
database, with one account per role: what the route and browser tests serve."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

import service
from fakes.jira import FakeJira, generate_issues
from fakes.server import LocalServer
from service import Workspace
from tests.test_cli import ACCOUNTS, write_config

AS_OF = date(2026, 11, 20)
PASSWORD = "correct horse battery"
SUPPORT_PLAN = "tbrandt-2026q4"  # service desk: tbrandt, managed by rnoor
DEVELOPER_PLAN = "nharlow-2026q4"  # platform: nharlow, managed by dferro
# sign-in name → (role, person)
USERS: dict[str, tuple[str, str | None]] = {
    "ada": ("admin", None),
    "lena": ("hr", "lvoss"),
    "rania": ("manager", "rnoor"),
    "dario": ("manager", "dferro"),
    "tomas": ("employee", "tbrandt"),
    "nico": ("employee", "nharlow"),
}


@dataclass(frozen=True)
class Site:
    workspace: Workspace
    jira_url: str


@contextmanager
def synced_site(folder: Path, database_url: str, monkeypatch: pytest.MonkeyPatch
                ) -> Iterator[Site]:
    """Config written, Jira synced, evaluations stored as of AS_OF, one account per USERS."""
    issues = generate_issues(
        400, accounts=[*ACCOUNTS, "stranger-9"], start=datetime(2026, 4, 1, tzinfo=UTC),
        end=datetime(2026, 11, 20, tzinfo=UTC), seed=3,
        resolution_factor=lambda account, created: (
            2.0 if account == "sdesk-1" and created < datetime(2026, 9, 1, tzinfo=UTC) else 0.6
        ),
    )
    server = LocalServer(FakeJira(issues=issues)).start()
    try:
        write_config(folder, server.url, plans=[SUPPORT_PLAN, DEVELOPER_PLAN])
        monkeypatch.setenv("JIRA_EMAIL", "sync@example.com")
        monkeypatch.setenv("JIRA_TOKEN", "token")
        monkeypatch.setenv("TRACKRECORD_SECRET_KEY", "test-secret-key-for-signing-sessions")
        ws = service.open_workspace(folder, database_url=database_url)
        assert all(summary.error is None for summary in service.sync(ws))
        service.refresh_evaluations(ws, as_of=AS_OF)
        for name, (role, person) in USERS.items():
            service.add_user(ws, name, role=role, person=person, password=PASSWORD)
        yield Site(ws, server.url)
    finally:
        server.stop()
