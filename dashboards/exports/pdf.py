"""The PDF evidence report an HR partner files: the plan page in print form (UI.md "Exports").

Drawn with reportlab rather than printed by a browser: the report must be made on a machine
without Chromium (only the charts need one), lays out the same on every machine, and flows onto
A4 or Letter from the page's own width. The font is Bitstream Vera, shipped with reportlab, so
the minus signs and ≤ of the sentences print on any machine.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator, Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import reportlab
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, LETTER
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    Flowable,
    Image,
    KeepTogether,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from dashboards.exports.images import ChartImages
from dashboards.formatting import number, percent, status_word, target_text
from evaluate.sentences import flag_words, goal_title, outcome_word
from service.exports import PlanExport

__all__ = ["PAPER_SIZES", "plan_pdf"]

PAPER_SIZES = {"a4": A4, "letter": LETTER}
MARGIN = 18 * mm
GREY = colors.HexColor("#999999")
BLUE = colors.HexColor("#0072B2")  # Okabe–Ito: calm, colour-blind safe
Sentence = Callable[[Mapping[str, Any]], str]


@cache
def _styles() -> dict[str, ParagraphStyle]:
    fonts = Path(reportlab.__file__).parent / "fonts"
    pdfmetrics.registerFont(TTFont("Vera", fonts / "Vera.ttf"))
    pdfmetrics.registerFont(TTFont("Vera-Bold", fonts / "VeraBd.ttf"))
    base = getSampleStyleSheet()
    named = {"title": "Title", "h1": "Heading1", "h2": "Heading2", "body": "BodyText"}
    styles = {key: ParagraphStyle(key, parent=base[name], fontName="Vera-Bold"
                                  if key != "body" else "Vera") for key, name in named.items()}
    styles["h1"].spaceBefore = 18  # a section stands apart from the last one's bullets
    styles["sentence"] = ParagraphStyle("sentence", parent=styles["body"], fontSize=12,
                                        leading=16, spaceAfter=6)
    styles["small"] = ParagraphStyle("small", parent=styles["body"], fontSize=8, leading=10)
    styles["note"] = ParagraphStyle("note", parent=styles["body"], textColor=GREY,
                                    borderColor=GREY, borderWidth=0.5, borderPadding=8,
                                    spaceBefore=6, spaceAfter=12)
    return styles


def _p(text: str, style: str = "body") -> Paragraph:
    """User text is escaped: a `<` in a ticket title is text, never markup."""
    return Paragraph(escape(text), _styles()[style])


def _table(rows: Sequence[Sequence[str]], widths: Sequence[float]) -> Table:
    cells = [[_p(cell, "small") for cell in row] for row in rows]
    table = Table(cells, colWidths=widths, repeatRows=1)
    table.setStyle(TableStyle([
        ("LINEBELOW", (0, 0), (-1, 0), 0.8, BLUE),
        ("LINEBELOW", (0, 1), (-1, -1), 0.25, GREY),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]))
    return table


def _cover(export: PlanExport, width: float) -> Iterator[Flowable]:
    plan, payload, decision = export.plan, export.current.payload, export.decision
    employee = export.people.get(plan.employee)
    decided = (f"{outcome_word(decision.outcome)}, by {export.name(decision.by)} on "
               f"{decision.at:%Y-%m-%d} (plan version {decision.version})" if decision
               else "No decision recorded yet")
    yield _p("Performance-improvement plan: evidence report", "title")
    facts = [
        ("Person", export.name(plan.employee)
         + (f" ({employee.role}, team {employee.team})" if employee else "")),
        ("Period", f"{plan.start:%d %b %Y} to {plan.end:%d %b %Y}"),
        ("Manager", export.name(plan.manager)),
        ("HR partner", export.name(plan.hr_partner)),
        ("Plan", f"{plan.id}, version {export.version}"),
        ("Evaluated as of", f"{export.current.as_of:%d %b %Y} (dates in {export.timezone})"),
        ("Outcome recommended", f"{outcome_word(payload['outcome'])} — recommended; a person "
                                "decides"),
        ("Outcome decided", decided),
    ]
    rows = [[_p(name, "h2"), _p(value)] for name, value in facts]
    yield Table(rows, colWidths=[width * 0.3, width * 0.7],
                style=[("VALIGN", (0, 0), (-1, -1), "TOP")])
    if decision:
        yield _p(f"Reason given: {decision.reason}")


def _goals_table(goals: Sequence[Mapping[str, Any]], width: float) -> Table:
    header = ["Goal", "Baseline (n)", "Current (n)", "Change [95% interval]", "Target",
              "Weeks met", "Team", "Status"]
    rows = [header]
    for g in goals:
        interval = g["change"].get("interval") or [None, None]
        rows.append([
            f"{_title(g)} ({g['unit']})",
            f"{number(g['baseline']['value'])} ({g['baseline']['n']})",
            f"{number(g['current']['value'])} ({g['current']['n']})",
            f"{number(g['change']['absolute'])} [{number(interval[0])}, {number(interval[1])}]",
            target_text(g["target"], g["unit"]),
            f"{g['sustained']['weeks_met']} of {g['sustained']['weeks']}",
            percent(g["team"].get("change_relative")),
            status_word(g["status"]),
        ])
    shares = (0.2, 0.11, 0.11, 0.15, 0.13, 0.09, 0.08, 0.13)
    return _table(rows, [width * share for share in shares])


def _title(goal: Mapping[str, Any]) -> str:
    return goal_title(goal["metric"], goal["statistic"])


def _goal(goal: Mapping[str, Any], sentence: str, chart: bytes | str, width: float
          ) -> Flowable:
    parts: list[Flowable] = [_p(f"{_title(goal)} — {status_word(goal['status'])}", "h2"),
                             _p(sentence, "sentence")]
    if isinstance(chart, bytes):
        parts.append(Image(io.BytesIO(chart), width=width, height=width * 380 / 900))
    else:
        parts.append(_p(chart, "note"))
    return KeepTogether(parts)


def _bullets(title: str, lines: Sequence[str], empty: str) -> Iterator[Flowable]:
    yield _p(title, "h2")
    for line in lines or [empty]:
        yield _p(f"• {line}")


def _context(export: PlanExport) -> Iterator[Flowable]:
    plan, goals = export.plan, export.current.payload["goals"]
    yield _p("Context", "h1")
    exclusions = [f"{e.from_} to {e.to}: {e.reason}" if e.record is None
                  else f"{e.record}: {e.reason}" for e in plan.exclusions]
    yield from _bullets("Exclusions", exclusions, "None.")
    shifts = [f"{_title(g)}: {flag_words('team_wide_shift')}" for g in goals
              if g["team"].get("team_wide_shift")]
    yield from _bullets("Team shifts", shifts, "None detected.")
    yield from _bullets("Barriers", plan.barriers, "None recorded.")
    yield from _bullets("Support given", plan.support, "None recorded.")
    yield from _bullets("Notes", plan.notes, "None.")


def _decisions(export: PlanExport) -> Iterator[Flowable]:
    yield _p("Acknowledgements and decisions", "h1")
    yield from _bullets("Acknowledgements", [
        f"{a.at:%Y-%m-%d}: plan version {a.version} acknowledged by "
        f"{export.name(a.person_id or a.user_name)}" + (f". Comment: {a.comment}" if a.comment
                                                          else "")
        for a in export.acknowledgements
    ], "None recorded.")
    yield from _bullets("Decisions", [
        f"{d.at:%Y-%m-%d}: {outcome_word(d.outcome)} by {export.name(d.by)} on plan version "
        f"{d.version} (recommended then: {outcome_word(d.recommended)}). Reason: {d.reason}"
        for d in export.decisions
    ], "No decision recorded yet.")


def _definitions(export: PlanExport, width: float) -> Iterator[Flowable]:
    yield _p("Metric definitions", "h1")
    rows = [["Metric", "Event", "Owner", "Value per event", "Statistic", "Better", "Unit"]]
    rows += [[d.metric, d.event, d.owner, d.value, d.statistic, d.better, d.unit]
             for d in export.definitions]
    yield _table(rows, [width * s for s in (0.18, 0.16, 0.14, 0.22, 0.1, 0.08, 0.12)])


def _caveats(export: PlanExport) -> Iterator[Flowable]:
    goals = export.current.payload["goals"]
    lines = [f"{_title(g)}: {flag_words(flag)}" for g in goals for flag in g["flags"]]
    lines += [f"{_title(g)}: not enough data for a verdict yet" for g in goals
              if g["status"] == "insufficient_data" and "insufficient_data" not in g["flags"]]
    yield from _bullets("Data-quality caveats", lines,
                        "None: every goal has enough data and every window is covered.")


def _provenance(export: PlanExport) -> Iterator[Flowable]:
    yield _p("Provenance", "h1")
    snapshot = export.latest_snapshot
    if snapshot is not None:
        yield _p(f"Made from the snapshot as of {snapshot.as_of:%Y-%m-%d}, taken "
                 f"{snapshot.made_at:%Y-%m-%d %H:%M} UTC, hash {snapshot.hash}. Verify with "
                 "`trackrecord snapshots verify`.")
    yield _p(f"Made from the stored evaluation as of {export.current.as_of:%Y-%m-%d}, computed "
             f"{export.current.made_at:%Y-%m-%d %H:%M} UTC"
             + ("." if snapshot else "; no snapshot of this plan exists yet, so there is no "
                "hash to verify (`trackrecord snapshots verify` checks those that exist)."))


def _footer(plan_id: str) -> Callable[[Canvas, Any], None]:
    def draw(canvas: Canvas, document: Any) -> None:
        canvas.saveState()
        canvas.setFont("Vera", 8)
        canvas.setFillColor(GREY)
        canvas.drawString(MARGIN, MARGIN / 2, f"{plan_id} — evidence report")
        canvas.drawRightString(document.pagesize[0] - MARGIN, MARGIN / 2,
                               f"page {document.page}")
        canvas.restoreState()
    return draw


def plan_pdf(export: PlanExport, sentence: Sentence, charts: ChartImages, *,
             paper: str = "a4") -> bytes:
    """The report; `charts` holds a PNG per goal (plan order), or the reason none was drawn."""
    buffer = io.BytesIO()
    document = SimpleDocTemplate(buffer, pagesize=PAPER_SIZES[paper], leftMargin=MARGIN,
                                 rightMargin=MARGIN, topMargin=MARGIN, bottomMargin=MARGIN,
                                 title=f"Evidence report {export.plan.id}",
                                 author="trackrecord")
    width = document.width
    goals = export.current.payload["goals"]
    images: Sequence[bytes | str] = charts if isinstance(charts, list) else [charts] * len(goals)
    story: list[Flowable] = [*_cover(export, width), Spacer(1, 8 * mm), _p("Goals", "h1"),
                             _goals_table(goals, width), PageBreak()]
    story += [_goal(g, sentence(g), image, width) for g, image in zip(goals, images, strict=True)]
    story += [PageBreak(), *_context(export), *_decisions(export), *_definitions(export, width),
              *_caveats(export), *_provenance(export)]
    footer = _footer(export.plan.id)
    document.build(story, onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()
