"""Dependencies point one way (DESIGN §1): `trackrecord.py, dashboards → service → evaluate →
ingest.records → config`, with the rest of `ingest` beside the core. Read off every import
statement of every module, nested ones included, so a lazy import cannot slip past."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OURS = {"config", "ingest", "ingest.records", "evaluate", "service", "dashboards", "trackrecord",
        "fakes"}
ALLOWED: dict[str, set[str]] = {
    "config": {"config"},
    "ingest.records": {"ingest.records"},
    "ingest": {"config", "ingest", "ingest.records"},
    "evaluate": {"config", "ingest.records", "evaluate"},
    "service": {"config", "ingest", "ingest.records", "evaluate", "service"},
    "dashboards": {"config", "evaluate", "service", "dashboards"},
    "trackrecord": {"config", "evaluate", "service", "dashboards", "fakes"},
    "fakes": {"config", "fakes"},
}


def _layer(module: str) -> str:
    if module == "ingest.records" or module.startswith("ingest.records."):
        return "ingest.records"
    return module.split(".")[0]


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            # `from ingest import records` names the module ingest.records: judge each name.
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return {name for name in found if _layer(name) in OURS}


def _modules() -> list[Path]:
    packages = [p for p in ALLOWED if "." not in p and (ROOT / p).is_dir()]
    return [ROOT / "trackrecord.py", *(f for p in packages for f in (ROOT / p).rglob("*.py"))]


def _layer_of(path: Path) -> str:
    return _layer(".".join(path.relative_to(ROOT).with_suffix("").parts))


def test_every_import_points_down_the_layers() -> None:
    modules = _modules()
    assert {_layer_of(m) for m in modules} >= {"config", "ingest", "evaluate", "service",
                                                "trackrecord", "ingest.records"}
    wrong = {
        f"{path.relative_to(ROOT)} imports {name}"
        for path in modules
        for name in _imports(path)
        if _layer(name) not in ALLOWED[_layer_of(path)]
    }
    assert sorted(wrong) == []


def test_a_wrong_import_is_caught(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("from ingest.store import metadata\ndef f():\n    import service\n")
    assert {_layer(name) for name in _imports(module)} == {"ingest", "service"}
