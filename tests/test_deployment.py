"""docs/deployment.md's compose.yaml and the app factory its web workers start (Docker itself
cannot run here): the file parses, every trackrecord service runs a real entry point, and the
factory serves the workspace the environment names."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient

from config import EXAMPLES_DIR

ROOT = Path(__file__).resolve().parents[1]


def test_compose_runs_the_app_the_scheduler_and_postgresql() -> None:
    services = yaml.safe_load((ROOT / "compose.yaml").read_text())["services"]
    assert set(services) == {"app", "scheduler", "db"}
    for name in ("app", "scheduler"):
        environment = services[name]["environment"]
        assert environment["TRACKRECORD_DATABASE_URL"].startswith("postgresql+psycopg://")
        assert "TRACKRECORD_SECRET_KEY" in environment
        assert services[name]["depends_on"]["db"]["condition"] == "service_healthy"
    assert services["scheduler"]["command"] == ["trackrecord", "scheduler"]
    command = services["app"]["command"]
    module, function = command[command.index("--factory") + 1].split(":")
    assert callable(getattr(importlib.import_module(module), function))
    assert (ROOT / services["app"]["build"] / "Dockerfile").exists()


def test_the_worker_factory_serves_the_configured_workspace(
    tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dashboards.app import from_environment

    monkeypatch.setenv("TRACKRECORD_DATABASE_URL", database_url)
    monkeypatch.setenv("TRACKRECORD_CONFIG_DIR", str(EXAMPLES_DIR))
    monkeypatch.setenv("TRACKRECORD_SECRET_KEY", "a-shared-key-for-every-worker")
    with TestClient(from_environment()) as client:
        assert client.get("/healthz").status_code == 200
        assert client.get("/plans", follow_redirects=False).status_code in (302, 303, 307)
