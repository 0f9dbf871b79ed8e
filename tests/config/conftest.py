"""Fixtures for the config tests; the sample files live in samples.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.config.samples import PEOPLE, PLAN, SOURCES, write


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    """A valid configuration folder: one source, three people, one plan."""
    folder = tmp_path / "config"
    write(folder / "sources.yaml", SOURCES)
    write(folder / "people.yaml", PEOPLE)
    write(folder / "plans" / "ana-2026q4.yaml", PLAN)
    return folder
