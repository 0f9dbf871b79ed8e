"""The evaluation core never reaches the database, the network or the clock (DESIGN §1): importing
any of its modules loads no database driver, ORM, HTTP client, plotly graph objects or ingest
module but the record types, and no module reads the time, so every rule stays a unit test."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CORE = sorted(p.stem for p in (ROOT / "evaluate").glob("*.py"))
FORBIDDEN = (
    "sqlalchemy", "alembic", "psycopg", "sqlite3", "requests", "urllib3", "http.client",
    "jira", "github", "ingest", "service",
    "plotly.graph_objects",  # building graph objects costs ~45 ms a goal: charts are plain dicts
)
ALLOWED = ("ingest", "ingest.records")  # the package itself, for the record types
CLOCK = {("datetime", "now"), ("datetime", "utcnow"), ("date", "today"), ("time", "time"),
         ("pd.Timestamp", "now"), ("Timestamp", "now")}


def test_the_evaluation_core_imports_no_database_or_http_layer() -> None:
    assert {"metrics", "windows", "compare", "outcome", "evaluation", "failures", "frames"} <= set(
        CORE
    )
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
        m for m in loaded
        if m not in ALLOWED and any(m == f or m.startswith(f + ".") for f in FORBIDDEN)
    ]
    assert leaks == []
    assert "evaluate.metrics" in loaded  # the check really imported the core


def _calls(tree: ast.AST) -> set[tuple[str, str]]:
    return {
        (ast.unparse(node.func.value), node.func.attr)
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
    }


def test_the_evaluation_core_never_reads_the_clock() -> None:
    reads = {
        name: sorted(_calls(ast.parse((ROOT / "evaluate" / f"{name}.py").read_text())) & CLOCK)
        for name in CORE
    }
    assert {name: found for name, found in reads.items() if found} == {}
