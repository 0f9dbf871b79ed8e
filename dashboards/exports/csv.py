"""Tidy CSV: one row per goal and assessment (each snapshot, then the current stored
evaluation), one row per evidence record, one row per active plan. Each column is declared once
with its meaning, and the README's column reference is generated from these declarations.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from dashboards.exports.cells import neutralize
from service.exports import Assessment, EvidenceItem, OrgRow, PlanExport

__all__ = [
    "EVIDENCE_COLUMNS",
    "GOAL_COLUMNS",
    "ORG_COLUMNS",
    "column_reference",
    "evidence_csv",
    "goals_csv",
    "org_csv",
    "write_csv",
]

Row = TypeVar("Row")


@dataclass(frozen=True)
class CsvColumn(Generic[Row]):
    name: str
    meaning: str
    value: Callable[[Row], Any]


GoalRow = tuple[PlanExport, Assessment, Mapping[str, Any]]


def _goal(*path: str) -> Callable[[GoalRow], Any]:
    """The value at `path` in the goal's JSON (None where any step is missing)."""
    def read(row: GoalRow) -> Any:
        value: Any = row[2]
        for step in path:
            value = value.get(step) if isinstance(value, Mapping) else None
        return value
    return read


def _interval(bound: int) -> Callable[[GoalRow], Any]:
    return lambda row: (row[2]["change"].get("interval") or [None, None])[bound]


def _target(part: int) -> Callable[[GoalRow], Any]:
    return lambda row: next(iter(row[2]["target"].items()))[part]


GOAL_COLUMNS: tuple[CsvColumn[GoalRow], ...] = (
    CsvColumn("plan", "Plan id.", lambda r: r[0].plan.id),
    CsvColumn("person", "The employee's person id.", lambda r: r[0].plan.employee),
    CsvColumn("plan_version", "Plan version the assessment judged.",
              lambda r: r[1].payload.get("version")),
    CsvColumn("assessment", "`snapshot` (hash-chained, kept) or `stored` (the latest evaluation).",
              lambda r: r[1].kind),
    CsvColumn("as_of", "Day the assessment judges (YYYY-MM-DD).", lambda r: r[1].as_of),
    CsvColumn("made_at", "When it was computed (UTC, ISO 8601).", lambda r: r[1].made_at),
    CsvColumn("snapshot_hash", "The snapshot's chain hash (empty for `stored`).",
              lambda r: r[1].hash),
    CsvColumn("outcome", "Recommended plan outcome at that assessment (a person decides).",
              lambda r: r[1].payload.get("outcome")),
    CsvColumn("metric", "Catalog metric of the goal.", _goal("metric")),
    CsvColumn("statistic", "median, mean, rate, per_week or count.", _goal("statistic")),
    CsvColumn("better", "lower or higher.", _goal("better")),
    CsvColumn("unit", "Unit of every value in the row.", _goal("unit")),
    CsvColumn("baseline_start", "First day of the baseline window.", _goal("baseline", "start")),
    CsvColumn("baseline_end", "Last day of the baseline window.", _goal("baseline", "end")),
    CsvColumn("baseline_value", "The statistic over the baseline window.",
              _goal("baseline", "value")),
    CsvColumn("baseline_n", "Events in the baseline window.", _goal("baseline", "n")),
    CsvColumn("current_start", "First day of the plan period.", _goal("current", "start")),
    CsvColumn("current_end", "Last day judged (the as-of day).", _goal("current", "end")),
    CsvColumn("current_value", "The statistic over the plan period so far.",
              _goal("current", "value")),
    CsvColumn("current_n", "Events in the plan period so far.", _goal("current", "n")),
    CsvColumn("change_absolute", "current − baseline, signed so that positive is better.",
              _goal("change", "absolute")),
    CsvColumn("change_relative", "The change relative to the baseline (0.25 = 25% better).",
              _goal("change", "relative")),
    CsvColumn("change_low", "Lower end of the change's 95% interval.", _interval(0)),
    CsvColumn("change_high", "Upper end of the change's 95% interval.", _interval(1)),
    CsvColumn("target_kind", "at_most, at_least or improve_by.", _target(0)),
    CsvColumn("target_value", "The target (improve_by: a share, 0.2 = 20%).", _target(1)),
    CsvColumn("target_met", "Whether the current value meets the target.", _goal("target_met")),
    CsvColumn("weeks_met", "Recent weekly windows in which the target held.",
              _goal("sustained", "weeks_met")),
    CsvColumn("weeks", "Weekly windows the sustain rule looks at.", _goal("sustained", "weeks")),
    CsvColumn("sustained", "Whether the sustain rule held.", _goal("sustained", "held")),
    CsvColumn("team_change_relative", "The rest of the team's relative change, same windows.",
              _goal("team", "change_relative")),
    CsvColumn("team_wide_shift", "The whole team moved alike: the change may not be the "
              "person's own.", _goal("team", "team_wide_shift")),
    CsvColumn("status", "met, partially_met, not_met or insufficient_data.", _goal("status")),
    CsvColumn("flags", "Data-quality flags, separated by `;`.",
              lambda r: ";".join(r[2].get("flags", []))),
)

EvidenceRow = tuple[PlanExport, EvidenceItem]

EVIDENCE_COLUMNS: tuple[CsvColumn[EvidenceRow], ...] = (
    CsvColumn("plan", "Plan id.", lambda r: r[0].plan.id),
    CsvColumn("as_of", "Day of the stored evaluation that used the record.",
              lambda r: r[0].current.as_of),
    CsvColumn("metric", "The goal's metric.", lambda r: r[1].metric),
    CsvColumn("window", "baseline or current.", lambda r: r[1].window),
    CsvColumn("key", "Record key, `source:natural-key`.", lambda r: r[1].key),
    CsvColumn("title", "The record's title at its source (tickets, pull requests, incidents).",
              lambda r: r[1].title),
    CsvColumn("url", "Link back to the record at its source.", lambda r: r[1].url),
)

ORG_COLUMNS: tuple[CsvColumn[OrgRow], ...] = (
    CsvColumn("plan", "Plan id.", lambda r: r.plan),
    CsvColumn("person", "The employee's person id.", lambda r: r.person),
    CsvColumn("person_name", "The employee's name.", lambda r: r.person_name),
    CsvColumn("team", "The employee's team.", lambda r: r.team),
    CsvColumn("manager", "The manager's name.", lambda r: r.manager_name),
    CsvColumn("hr_partner", "The HR partner's person id.", lambda r: r.hr_partner),
    CsvColumn("start", "First day of the plan.", lambda r: r.start),
    CsvColumn("end", "Last day of the plan.", lambda r: r.end),
    CsvColumn("as_of", "Day of the stored evaluation (empty: not evaluated yet).",
              lambda r: r.as_of),
    CsvColumn("outcome", "Recommended outcome so far (a person decides).", lambda r: r.outcome),
    CsvColumn("goals_met", "Goals met so far.", lambda r: r.goals_met),
    CsvColumn("goals", "Goals in the plan.", lambda r: r.goals),
    CsvColumn("next_checkpoint", "Next checkpoint, else the plan's end (empty once ended).",
              lambda r: r.next_checkpoint),
    CsvColumn("last_acknowledgement", "When the employee last acknowledged the plan.",
              lambda r: r.last_acknowledgement),
    CsvColumn("decision", "The latest decision, if any (`extended` keeps a plan active).",
              lambda r: r.decision),
)


def _text(value: Any) -> Any:
    """CSV has no types: dates as ISO text, booleans as true/false, None as empty."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return "" if value is None else neutralize(value)


def write_csv(columns: Sequence[CsvColumn[Row]], rows: Iterable[Row]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([c.name for c in columns])
    writer.writerows([_text(c.value(row)) for c in columns] for row in rows)
    return buffer.getvalue().encode("utf-8")


def goals_csv(export: PlanExport) -> bytes:
    return write_csv(GOAL_COLUMNS, ((export, a, g) for a in export.assessments
                                    for g in a.payload["goals"]))


def evidence_csv(export: PlanExport) -> bytes:
    return write_csv(EVIDENCE_COLUMNS, ((export, item) for item in export.evidence))


def org_csv(rows: Sequence[OrgRow]) -> bytes:
    return write_csv(ORG_COLUMNS, rows)


def column_reference() -> str:
    """Markdown for the README: every column of every CSV export, read off the declarations."""
    tables = (
        ("`trackrecord export PLAN --format csv`: one row per goal and assessment",
         GOAL_COLUMNS),
        ("`trackrecord export PLAN --format csv --table evidence`: one row per record",
         EVIDENCE_COLUMNS),
        ("`trackrecord export --org --format csv`: one row per active plan", ORG_COLUMNS),
    )
    lines: list[str] = []
    for title, columns in tables:
        lines += [f"##### {title}", "", "| column | meaning |", "|---|---|"]
        lines += [f"| `{c.name}` | {c.meaning} |" for c in columns]
        lines.append("")
    return "\n".join(lines)
