"""The evaluation core never reaches the database or the network (DESIGN §1): importing it
loads no database driver, ORM, HTTP client or ingest module, so every rule stays a unit test."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# Every module of evaluate/ but the two that persist plans and open the workspace.
PERSISTENCE = {"__init__", "plans", "workspace"}
CORE = sorted(p.stem for p in (ROOT / "evaluate").glob("*.py") if p.stem not in PERSISTENCE)
FORBIDDEN = (
    "sqlalchemy", "alembic", "psycopg", "sqlite3", "requests", "urllib3", "http.client",
    "jira", "github", "ingest",
)
# The record types (and their package) are the one part of ingest the core may read (DESIGN §1).
ALLOWED = frozenset({"ingest", "ingest.records"})


def test_the_evaluation_core_imports_no_database_or_http_layer() -> None:
    assert {"metrics", "windows", "compare", "outcome", "evaluation"} <= set(CORE)
    script = (
        "import importlib, json, sys\n"
        f"for name in {CORE!r}: importlib.import_module('evaluate.' + name)\n"
        "print(json.dumps(sorted(sys.modules)))"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True
    )
    loaded = json.loads(done.stdout)
    leaks = [
        m
        for m in loaded
        if m not in ALLOWED and any(m == f or m.startswith(f + ".") for f in FORBIDDEN)
    ]
    assert leaks == []
    assert "evaluate.metrics" in loaded  # the check really imported the core
