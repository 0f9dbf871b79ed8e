"""HR exports end to end: real records through the Jira sync, the stored evaluation, then the
CSV, XLSX and PDF an HR partner files, the org summary, and erasure — on SQLite and PostgreSQL.
Every ticket title is a formula, so each export must show it neutralized."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import re
import shutil
import subprocess
from collections.abc import Iterator, Mapping
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

import service
from config.plans import Plan
from dashboards.exports import PROVIDERS, Providers, plan_download
from dashboards.exports import csv as csv_export
from dashboards.exports.cells import neutralize
from dashboards.exports.images import chart_images, find_chromium
from dashboards.exports.pdf import plan_pdf
from evaluate.charts import Figure
from evaluate.definitions import metric_definition
from evaluate.metrics import metric_names
from evaluate.sentences import goal_title
from fakes.jira import FakeJira, generate_issues
from fakes.server import LocalServer
from ingest.store import metadata
from service.process import Acknowledgement
from tests.conftest import need
from tests.test_cli import ACCOUNTS, PLAN, config_dir, invoke  # noqa: F401 (fixture)

FORMULA = '=HYPERLINK("x")'


@pytest.fixture
def jira_server() -> Iterator[LocalServer]:
    """The CLI tests' Jira, every ticket titled with a formula."""
    issues = [
        {**issue, "fields": {**issue["fields"], "summary": FORMULA}}
        for issue in generate_issues(
            600, accounts=[*ACCOUNTS], start=datetime(2026, 4, 1, tzinfo=UTC),
            end=datetime(2026, 11, 20, tzinfo=UTC), seed=3,
            resolution_factor=lambda account, created: (
                2.0 if account == "sdesk-1" and created < datetime(2026, 9, 1, tzinfo=UTC)
                else 0.6),
        )
    ]
    server = LocalServer(FakeJira(issues=issues)).start()
    yield server
    server.stop()


def _synced(config_dir: Path) -> service.Workspace:  # noqa: F811
    assert invoke("sync")[0] == 0
    ws = service.open_workspace(config_dir)
    service.refresh_evaluations(ws, as_of=date(2026, 11, 20))
    return ws


def _acknowledge(ws: service.Workspace, comment: str = "") -> Acknowledgement:
    """The employee acknowledges the plan's current version, as from the plan page."""
    employee = service.add_user(ws, "tomas", role="employee", person="tbrandt",
                                password="a long enough password")
    return service.acknowledge(ws, employee, PLAN, comment)


def _tool(name: str) -> str:
    path = shutil.which(name)
    need(path is not None, f"{name} (Debian poppler-utils) is not installed")
    assert path is not None
    return path


def _trend(goal: Mapping[str, Any], plan: Plan) -> Figure:
    """A test-only stand-in for evaluate.charts.trend_chart: the weekly values as a line, a
    plain dict as trend_chart gives."""
    weeks = goal["sustained"]["windows"]
    return {"data": [{"type": "scatter", "x": [w["end"] for w in weeks],
                      "y": [w["value"] for w in weeks]}],
            "layout": {"title": {"text": goal["metric"]}}}


def _words(text: str) -> str:
    return " ".join(text.split())


def test_csv_has_a_row_per_goal_and_neutralized_titles(config_dir: Path, tmp_path: Path,  # noqa: F811
                                                        ) -> None:
    ws = _synced(config_dir)
    goals = ws.plan(PLAN).goals
    target = tmp_path / "goals.csv"
    code, output = invoke("export", PLAN, "--format", "csv", "--output", str(target))
    assert code == 0, output
    rows = list(csv.DictReader(io.StringIO(target.read_text())))
    assert list(rows[0]) == [c.name for c in csv_export.GOAL_COLUMNS]
    assert [r["metric"] for r in rows] == [g.metric for g in goals]
    assert {r["assessment"] for r in rows} == {"stored"} and rows[0]["as_of"] == "2026-11-20"
    assert float(rows[0]["baseline_value"]) > float(rows[0]["current_value"])

    code, output = invoke("export", PLAN, "--format", "csv", "--table", "evidence",
                          "--output", str(target))
    assert code == 0, output
    evidence = list(csv.DictReader(io.StringIO(target.read_text())))
    assert evidence and {r["title"] for r in evidence} == {"'" + FORMULA}
    assert all(r["url"].endswith(r["key"].removeprefix("jira:")) for r in evidence)


def test_xlsx_sheets_formats_and_links(config_dir: Path, tmp_path: Path) -> None:  # noqa: F811
    _synced(config_dir)
    target = tmp_path / "plan.xlsx"
    code, output = invoke("export", PLAN, "--format", "xlsx", "--output", str(target))
    assert code == 0, output
    book = load_workbook(target)
    assert book.sheetnames == ["Summary", "ticket_resolution_hours", "tickets_resolved",
                               "ticket_reopen_rate", "due_date_adherence", "Evidence",
                               "Definitions"]
    summary = book["Summary"]
    header_row = next(r for r in summary.iter_rows() if r[0].value == "Goal")[0].row
    assert summary.freeze_panes == f"A{header_row + 1}"
    goal, metric = (summary.cell(row=header_row + 1, column=c).value for c in (1, 2))
    assert (goal, metric) == ("Median ticket resolution time", "ticket_resolution_hours")
    resolution = summary.cell(row=header_row + 1, column=3)
    assert isinstance(resolution.value, float) and resolution.number_format == '0.0 "h"'
    reopen = summary.cell(row=header_row + 3, column=3)
    assert reopen.number_format == "0.0%"
    sentence = summary.cell(row=header_row + 1, column=13).value
    assert sentence and sentence.startswith("Median ticket resolution time")  # the stored one

    weekly = book["ticket_resolution_hours"]
    assert weekly.freeze_panes == "A2" and isinstance(weekly["A2"].value, datetime)
    assert weekly["A2"].number_format == "yyyy-mm-dd" and weekly["C2"].number_format == '0.0 "h"'
    assert weekly.column_dimensions["C"].width >= len(weekly["C1"].value)

    links = book["Evidence"]
    assert links.freeze_panes == "A2"
    first = links["C2"]
    assert first.hyperlink is not None and first.hyperlink.target.endswith(
        first.value.removeprefix("jira:"))
    assert links["D2"].value == "'" + FORMULA and links["D2"].data_type == "s"

    definitions = [row for row in book["Definitions"].iter_rows(min_row=2, values_only=True)]
    assert definitions[0][:3] == ("ticket_resolution_hours", "ticket resolved",
                                  "assignee at resolution")


@pytest.mark.parametrize("paper", ["a4", "letter"])
def test_pdf_renders_every_sentence_and_chart(config_dir: Path, tmp_path: Path,  # noqa: F811
                                              paper: str) -> None:
    ws = _synced(config_dir)
    need(find_chromium() is not None, "Chromium (Debian chromium) is not installed")
    _acknowledge(ws, "Discussed with Rania")
    download = plan_download(ws, PLAN, "pdf", paper=paper,
                             providers=Providers(PROVIDERS.sentence, chart=_trend))
    assert download.media_type == "application/pdf"
    target = tmp_path / download.filename
    target.write_bytes(download.content)

    text = _words(subprocess.run([_tool("pdftotext"), str(target), "-"], check=True,
                                 capture_output=True, text=True).stdout)
    stored = service.stored_evaluation(ws, PLAN)
    assert stored is not None
    for goal in stored.payload["goals"]:
        assert _words(PROVIDERS.sentence(goal)) in text
        # Headings name the goal in words, as the page does; the id only in the definitions.
        heading = f"{goal_title(goal['metric'], goal['statistic'])} — "
        assert heading in text and heading != f"{goal['metric']} — ", heading
        assert f"{goal['metric']} — " not in text
    assert "Tomas Brandt" in text and "recommended; a person decides" in text
    assert "plan version 1 acknowledged by Tomas Brandt. Comment: Discussed with Rania" in text
    assert "no snapshot of this plan exists yet" in text

    images = subprocess.run([_tool("pdfimages"), "-list", str(target)], check=True,
                            capture_output=True, text=True).stdout
    kinds = [line.split()[2] for line in images.strip().splitlines()[2:]]
    assert kinds.count("image") == len(stored.payload["goals"])

    subprocess.run([_tool("pdftoppm"), "-r", "40", "-gray", "-f", "1", "-l", "1", str(target),
                    str(tmp_path / "page")], check=True)
    page = next(tmp_path.glob("page*.pgm")).read_bytes()
    pixels = page[len(b" ".join(page.split(maxsplit=4)[:4])) + 1:]
    dark = sum(1 for value in pixels if value < 128)
    assert 0.002 < dark / len(pixels) < 0.5, "page 1 is blank (or solid)"
    size = re.search(rb"P5\s+(\d+)\s+(\d+)", page)
    assert size is not None and int(size[1]) < int(size[2])  # portrait


def test_a_snapshot_and_a_machine_without_chromium(config_dir: Path, tmp_path: Path,  # noqa: F811
                                                    ) -> None:
    ws = _synced(config_dir)
    export = service.plan_export(ws, PLAN)
    snapshot = dataclasses.replace(export.current, kind="snapshot", hash="ab12" * 16)
    export = dataclasses.replace(export, snapshots=(snapshot,))
    note = chart_images([_trend(export.current.payload["goals"][0], export.plan)], browser=None)
    assert isinstance(note, str) and "no Chromium" in note
    target = tmp_path / "report.pdf"
    target.write_bytes(plan_pdf(export, PROVIDERS.sentence, note))
    text = _words(subprocess.run([_tool("pdftotext"), str(target), "-"], check=True,
                                 capture_output=True, text=True).stdout)
    assert "ab12" * 16 in text and "trackrecord snapshots verify" in text
    assert text.count("Chart not drawn: no Chromium") == len(export.plan.goals)
    rows = list(csv.DictReader(io.StringIO(csv_export.goals_csv(export).decode())))
    assert [r["assessment"] for r in rows] == ["snapshot"] * 4 + ["stored"] * 4
    assert rows[0]["snapshot_hash"] == "ab12" * 16


def test_org_summary_lists_active_plans(config_dir: Path, tmp_path: Path) -> None:  # noqa: F811
    _synced(config_dir)
    target = tmp_path / "org.csv"
    code, output = invoke("export", "--org", "--format", "csv", "--output", str(target))
    assert code == 0, output
    [row] = list(csv.DictReader(io.StringIO(target.read_text())))
    assert row["plan"] == PLAN and row["person_name"] == "Tomas Brandt"
    assert row["outcome"] and row["goals"] == "4" and row["last_acknowledgement"] == ""
    book = tmp_path / "org.xlsx"
    code, output = invoke("export", "--org", "--format", "xlsx", "--output", str(book))
    assert code == 0 and load_workbook(book).sheetnames == ["Active plans"]
    assert invoke("export", "--org", "--format", "pdf")[0] == 2
    assert invoke("export", PLAN, "--org")[0] == 2

    acknowledged = _acknowledge(service.open_workspace(config_dir))
    code, output = invoke("export", "--org", "--format", "csv", "--output", str(target))
    [row] = list(csv.DictReader(io.StringIO(target.read_text())))
    assert row["last_acknowledgement"] == acknowledged.at.isoformat()

    assert invoke("decide", PLAN, "--outcome", "partial_improvement", "--by", "rnoor",
                  "--reason", "Agreed in review")[0] == 0
    code, output = invoke("export", "--org", "--format", "csv", "--output", str(target))
    assert list(csv.DictReader(io.StringIO(target.read_text()))) == []


def test_forget_leaves_no_row_naming_the_person(config_dir: Path) -> None:  # noqa: F811
    ws = _synced(config_dir)
    assert invoke("rate", "tbrandt", "communication", "4", "--by", "rnoor")[0] == 0
    assert invoke("rate", "aokafor", "communication", "3", "--by", "tbrandt")[0] == 0
    assert invoke("decide", PLAN, "--outcome", "extended", "--by", "rnoor",
                  "--reason", "More time")[0] == 0
    code, output = invoke("export-person", "tbrandt")
    assert code == 0, output
    held = json.loads(output)["held"]
    assert {"tickets", "ticket_changes", "ratings", "plan_versions", "decisions",
            "evaluations", "accounts", "people"} <= held.keys()

    code, output = invoke("forget", "tbrandt", "--yes")
    assert code == 0, output
    assert "people.yaml" in output and f"plans/{PLAN}.yaml" in output
    names = ("tbrandt", "Tomas Brandt", "tomas.brandt@example.com", "sdesk-1")
    with ws.engine.connect() as conn:
        for table in metadata.sorted_tables:
            for row in conn.execute(sa.select(table)):
                text = json.dumps([str(v) for v in row], ensure_ascii=False)
                assert not any(n in text for n in names), (table.name, text)
        [erasure] = conn.execute(sa.select(metadata.tables["erasures"])).all()
    assert erasure.rows["tickets"] > 0 and erasure.rows["plan_versions"] == 1
    assert invoke("forget", "nobody", "--yes")[0] == 2


def test_neutralize_keeps_numbers_and_defuses_formulas() -> None:
    assert [neutralize(v) for v in ("=1+1", "+1", "-1", "@x", "\tx", "\rx")] == [
        "'=1+1", "'+1", "'-1", "'@x", "'\tx", "'\rx"]
    assert [neutralize(v) for v in (-1, 2.5, True, None, date(2026, 1, 1), "plain")] == [
        -1, 2.5, True, None, date(2026, 1, 1), "plain"]


def test_every_catalog_metric_has_a_definition_in_words() -> None:
    for name in (*metric_names(), "rating:communication"):
        definition = metric_definition(name)
        assert definition.event and definition.owner and definition.value
