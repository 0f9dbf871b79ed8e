"""The synced site and a client of its app, shared by the route and record tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from dashboards import create_app
from tests.dashboards.site import Site, synced_site


@pytest.fixture
def site(tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Site]:
    with synced_site(tmp_path / "config", database_url, monkeypatch) as made:
        yield made


@pytest.fixture
def client(site: Site) -> Iterator[TestClient]:
    with TestClient(create_app(site.workspace), follow_redirects=False) as made:
        yield made
