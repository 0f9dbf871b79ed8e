"""The XLSX workbook HR sorts and files: Summary (one row per goal, with its sentence), a sheet
of weekly values per goal, Evidence (keys linked to their source), Definitions. Numbers stay
numbers in the metric's unit, dates are dates, header rows are frozen, widths fit the text.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import Cell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from dashboards.exports.cells import neutralize
from dashboards.formatting import status_word, target_text
from evaluate.sentences import goal_title, outcome_word
from service.exports import OrgRow, PlanExport

__all__ = ["number_format", "org_xlsx", "plan_xlsx"]

Sentence = Callable[[Mapping[str, Any]], str]
DATE_FORMAT = "yyyy-mm-dd"
PERCENT = "0.0%"
MAX_WIDTH = 80
BOLD = Font(bold=True)


def number_format(unit: str, statistic: str) -> str:
    """An Excel format that shows the metric's unit while the cell stays a number."""
    if statistic == "rate" or unit.startswith("share of"):
        return PERCENT
    if unit.startswith("error ratio"):
        return "0.000%"
    return {"hours": '0.0 "h"', "minutes": '0 "min"', "open tickets": "0"}.get(unit, "0.00")


def _day(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


def _cell(sheet: Worksheet, row: int, column: int, value: Any, number: str | None = None) -> Cell:
    cell: Cell = sheet.cell(row=row, column=column, value=neutralize(value))
    if isinstance(value, date):
        cell.number_format = DATE_FORMAT
    elif number and (value is None or isinstance(value, int | float)) and not isinstance(
            value, bool):
        cell.number_format = number  # an empty week keeps the column's format
    return cell


def _table(sheet: Worksheet, top: int, header: Sequence[str],
           rows: Iterable[Sequence[tuple[Any, str | None]]]) -> int:
    """A header row at `top` (frozen), then rows of (value, number format); the next free row."""
    for column, name in enumerate(header, start=1):
        _cell(sheet, top, column, name).font = BOLD
    sheet.freeze_panes = sheet.cell(row=top + 1, column=1)
    row = top
    for row, values in enumerate(rows, start=top + 1):
        for column, (value, number) in enumerate(values, start=1):
            _cell(sheet, row, column, value, number)
    return row + 1


def _fit(sheet: Worksheet) -> None:
    """Column widths that fit their longest value (dates count as ten characters)."""
    widths: dict[int, int] = {}
    for row in sheet.iter_rows():
        for cell in row:
            if cell.value is not None:
                shown = 10 if isinstance(cell.value, date) else len(str(cell.value))
                widths[cell.column] = max(widths.get(cell.column, 0), shown)
    for column, width in widths.items():
        sheet.column_dimensions[get_column_letter(column)].width = min(width + 2, MAX_WIDTH)


def _summary(sheet: Worksheet, export: PlanExport, sentence: Sentence) -> None:
    plan, payload, decision = export.plan, export.current.payload, export.decision
    facts = [
        ("Plan", f"{plan.id} (version {export.version})"),
        ("Person", export.name(plan.employee)),
        ("Manager", export.name(plan.manager)),
        ("HR partner", export.name(plan.hr_partner)),
        ("Period start", plan.start), ("Period end", plan.end),
        ("Evaluated as of", export.current.as_of),
        ("Outcome recommended", f"{outcome_word(payload['outcome'])} (recommended — a person "
                                "decides)"),
        ("Outcome decided", f"{outcome_word(decision.outcome)} by {export.name(decision.by)} on "
                            f"{decision.at:%Y-%m-%d}: {decision.reason}" if decision else "—"),
    ]
    for row, (name, value) in enumerate(facts, start=1):
        _cell(sheet, row, 1, name).font = BOLD
        _cell(sheet, row, 2, value)
    header = ("Goal", "Metric", "Baseline", "Baseline n", "Current", "Current n",
              "Change", "Change (relative)", "Target", "Weeks met", "Team change", "Status",
              "Sentence")
    _table(sheet, len(facts) + 2, header, (_goal_row(goal, sentence) for goal in payload["goals"]))
    _fit(sheet)
    sheet.column_dimensions[get_column_letter(len(header))].width = MAX_WIDTH
    for row in sheet.iter_rows(min_row=len(facts) + 3, min_col=len(header)):
        row[0].alignment = Alignment(wrap_text=True, vertical="top")


def _goal_row(goal: Mapping[str, Any], sentence: Sentence) -> list[tuple[Any, str | None]]:
    number = number_format(goal["unit"], goal["statistic"])
    sustained = goal["sustained"]
    return [
        (goal_title(goal["metric"], goal["statistic"]), None), (goal["metric"], None),
        (goal["baseline"]["value"], number), (goal["baseline"]["n"], "0"),
        (goal["current"]["value"], number), (goal["current"]["n"], "0"),
        (goal["change"]["absolute"], number), (goal["change"]["relative"], "0%"),
        (target_text(goal["target"], goal["unit"]), None),
        (f"{sustained['weeks_met']} of {sustained['weeks']}", None),
        (goal["team"].get("change_relative"), "0%"),
        (status_word(goal["status"]), None),
        (sentence(goal), None),
    ]


def _sheet_name(metric: str, taken: set[str]) -> str:
    """Excel allows 31 characters and none of []:*?/\\ in a sheet name."""
    base = re.sub(r"[\[\]:*?/\\]", "-", metric)[:28]
    name, number = base, 2
    while name in taken:
        name, number = f"{base}-{number}", number + 1
    taken.add(name)
    return name


def _weekly_sheet(sheet: Worksheet, goal: Mapping[str, Any]) -> None:
    """The goal's weekly windows: the `weekly` series where the evaluation gives one, else the
    windows its sustain rule judged."""
    number = number_format(goal["unit"], goal["statistic"])
    target = goal["target"]
    absolute = next((v for k, v in target.items() if k != "improve_by"), None)
    weeks = goal.get("weekly") or goal["sustained"]["windows"]
    header = ("Week start", "Week end", f"Value ({goal['unit']})", "n", "Target", "Status")
    _table(sheet, 1, header, (
        [(_day(w["start"]), None), (_day(w["end"]), None), (w["value"], number),
         (w["n"], "0"), (absolute, number), (w.get("status"), None)]
        for w in weeks
    ))
    _fit(sheet)


def _evidence(sheet: Worksheet, export: PlanExport) -> None:
    header = ("Metric", "Window", "Key", "Title", "Link")
    _table(sheet, 1, header, (
        [(i.metric, None), (i.window, None), (i.key, None), (i.title, None), (i.url, None)]
        for i in export.evidence
    ))
    for row, item in enumerate(export.evidence, start=2):
        if item.url:
            key = sheet.cell(row=row, column=3)
            key.hyperlink, key.style = item.url, "Hyperlink"
    _fit(sheet)


def _definitions(sheet: Worksheet, export: PlanExport) -> None:
    header = ("Metric", "Event", "Owner", "Value per event", "Default statistic", "Better",
              "Unit")
    _table(sheet, 1, header, (
        [(d.metric, None), (d.event, None), (d.owner, None), (d.value, None),
         (d.statistic, None), (d.better, None), (d.unit, None)]
        for d in export.definitions
    ))
    _fit(sheet)


def _bytes(book: Workbook) -> bytes:
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def plan_xlsx(export: PlanExport, sentence: Sentence) -> bytes:
    book = Workbook()
    summary = book.active
    assert summary is not None
    summary.title = "Summary"
    _summary(summary, export, sentence)
    taken = {"Summary", "Evidence", "Definitions"}
    for goal in export.current.payload["goals"]:
        _weekly_sheet(book.create_sheet(_sheet_name(goal["metric"], taken)), goal)
    _evidence(book.create_sheet("Evidence"), export)
    _definitions(book.create_sheet("Definitions"), export)
    return _bytes(book)


def org_xlsx(rows: Sequence[OrgRow]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Active plans"
    header = ("Plan", "Person", "Team", "Manager", "HR partner", "Start", "End", "As of",
              "Outcome so far", "Goals met", "Goals", "Next checkpoint", "Last acknowledgement",
              "Decision")
    _table(sheet, 1, header, (
        [(r.plan, None), (r.person_name, None), (r.team, None), (r.manager_name, None),
         (r.hr_partner, None), (r.start, None), (r.end, None), (r.as_of, None),
         (outcome_word(r.outcome) if r.outcome else None, None), (r.goals_met, "0"),
         (r.goals, "0"), (r.next_checkpoint, None),
         (r.last_acknowledgement.date() if r.last_acknowledgement else None, None),
         (outcome_word(r.decision) if r.decision else None, None)]
        for r in rows
    ))
    _fit(sheet)
    return _bytes(book)
