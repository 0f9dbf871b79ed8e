"""HR exports: one function per download, each returning (filename, media type, bytes), for the
command line and the web app alike. The service gathers what is stored; the renderers here
(csv, xlsx, pdf: pure functions of typed values) draw it.

These live in `dashboards`, not `service`, because rendering is the outer layer's job and the
service may not import it (tests/test_layers.py).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import service
from config.plans import Plan
from dashboards.exports import csv, pdf, xlsx
from dashboards.exports.images import chart_images, find_chromium
from dashboards.exports.words import goal_summary
from service import PlanExport, Workspace

__all__ = ["FORMATS", "ORG_FORMATS", "PROVIDERS", "Download", "Providers", "org_download",
           "plan_download"]

FORMATS = ("csv", "xlsx", "pdf")
ORG_FORMATS = ("csv", "xlsx")
TABLES = ("goals", "evidence")
MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}


@dataclass(frozen=True)
class Download:
    filename: str
    media_type: str
    content: bytes


@dataclass(frozen=True)
class Providers:
    """Where a goal's sentence and trend chart come from (each a pure function of the goal's
    JSON object in the stored evaluation); `chart` None leaves a note in the PDF instead."""

    sentence: Callable[[Mapping[str, Any]], str]
    chart: Callable[[Mapping[str, Any], Plan], Mapping[str, Any]] | None = None


def stored_sentence(goal: Mapping[str, Any]) -> str:
    """The sentence stored with the goal; a snapshot taken before sentences were stored has
    none, and gets its numbers in one line instead."""
    return str(goal.get("sentence") or goal_summary(goal))


# By default the sentence and the trend chart stored with the evaluation (no chart drawn here).
PROVIDERS = Providers(sentence=stored_sentence)


def plan_download(ws: Workspace, plan_id: str, fmt: str, *, table: str = "goals",
                  paper: str = "a4", providers: Providers = PROVIDERS) -> Download:
    """The plan's export in `fmt` (csv: the `table` goals or evidence; pdf: on `paper`);
    LookupError for an unknown plan, ValueError for an unknown format, table or paper."""
    _check(fmt, FORMATS, "format")
    _check(table, TABLES, "table")
    _check(paper, tuple(pdf.PAPER_SIZES), "paper")
    export = service.plan_export(ws, plan_id)
    stem = f"{plan_id}-{export.current.as_of.isoformat()}"
    if fmt == "csv":
        render = csv.goals_csv if table == "goals" else csv.evidence_csv
        return Download(f"{stem}-{table}.csv", MEDIA_TYPES[fmt], render(export))
    if fmt == "xlsx":
        return Download(f"{stem}.xlsx", MEDIA_TYPES[fmt], xlsx.plan_xlsx(export,
                                                                        providers.sentence))
    content = pdf.plan_pdf(export, providers.sentence, _charts(export, providers), paper=paper)
    return Download(f"{stem}.pdf", MEDIA_TYPES[fmt], content)


def _charts(export: PlanExport, providers: Providers) -> list[bytes] | str:
    goals = export.current.payload["goals"]
    figures = ([providers.chart(goal, export.plan) for goal in goals] if providers.chart
               else list(export.charts))
    if not figures:
        return "Chart not drawn: the stored evaluation has no charts yet (the next sync adds them)."
    return chart_images(figures, browser=find_chromium())


def org_download(ws: Workspace, fmt: str) -> Download:
    """Every active plan, for HR; ValueError for a format other than csv or xlsx."""
    _check(fmt, ORG_FORMATS, "format")
    rows = service.org_summary(ws)
    render = csv.org_csv if fmt == "csv" else xlsx.org_xlsx
    return Download(f"active-plans-{service.today(ws).isoformat()}.{fmt}", MEDIA_TYPES[fmt],
                    render(rows))


def _check(value: str, allowed: tuple[str, ...], what: str) -> None:
    if value not in allowed:
        raise ValueError(f"unknown {what} {value!r}; one of: {', '.join(allowed)}")
