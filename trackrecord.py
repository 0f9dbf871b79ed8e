"""trackrecord: evidence from your team's tools (Jira, GitHub, PagerDuty, Prometheus, CSV) for
performance-improvement plans, judged against each plan's goals."""

from __future__ import annotations

import dataclasses
import getpass
import importlib
import inspect
import json
import logging
import math
import os
import shutil
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
import typer.core
import typer.exceptions
import typer.main
from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text


class _Lazy:
    """A module imported on its first use."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attribute: str) -> Any:
        return getattr(importlib.import_module(self._name), attribute)


if TYPE_CHECKING:  # the heavy modules load when a command needs them: --help answers at once
    import service
    from evaluate.compare import TeamContext
    from evaluate.results import GoalEvaluation, PlanEvaluation
    from evaluate.suggest import Suggestions
    from service import PlanReport, RunSummary, Workspace
else:
    service = _Lazy("service")


class _Handled(typer.core.TyperGroup):
    """The one place a failure becomes words: any error is one line saying what failed, where
    and what to do, and a non-zero exit; --debug (or TRACKRECORD_DEBUG=1) shows the traceback."""

    def invoke(self, ctx: Any) -> Any:
        _show_warnings()
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort, typer.exceptions.TyperException):
            raise
        except KeyboardInterrupt:
            err.print("interrupted", highlight=False)
            raise typer.Exit(130) from None
        except Exception as exc:
            if _debug():
                raise
            from service.errors import explain

            explained = explain(exc)
            err.print(Text.assemble(("error: ", "red"), str(explained)))
            raise typer.Exit(explained.exit_code) from None


app = typer.Typer(
    cls=_Handled, no_args_is_help=True, add_completion=False, help=__doc__,
    pretty_exceptions_show_locals=False,
)
evidence_app = typer.Typer(no_args_is_help=True, help="The stored source records.")
people_app = typer.Typer(no_args_is_help=True, help="People and their tool accounts.")
app.add_typer(evidence_app, name="evidence")
app.add_typer(people_app, name="people")
plans_app = typer.Typer(no_args_is_help=True, help="Plans: versions and goal suggestions.")
app.add_typer(plans_app, name="plans")
snapshots_app = typer.Typer(no_args_is_help=True, help="The hash-chained snapshots of plans.")
app.add_typer(snapshots_app, name="snapshots")
users_app = typer.Typer(no_args_is_help=True, help="Web app accounts.")
app.add_typer(users_app, name="users")
audit_app = typer.Typer(no_args_is_help=True, help="The hash-chained audit log.")
app.add_typer(audit_app, name="audit")

# Captured or piped output has no terminal width to fit: lay tables out for a wide page.
out = Console(width=None if sys.stdout.isatty() else 132)
err = Console(stderr=True, soft_wrap=True)  # an error line is never folded mid-path

_options = {"debug": False}


@app.callback()
def _global(
    debug: Annotated[
        bool, typer.Option("--debug", help="On an error, show the full traceback too.")
    ] = False,
) -> None:
    _options["debug"] = debug


def _debug() -> bool:
    return _options["debug"] or os.environ.get("TRACKRECORD_DEBUG", "") not in ("", "0")


class _WarningLines(logging.Handler):
    """Warnings from any part (a retry, a wait for a rate limit) as one redacted line each. A
    record carrying a traceback is a failure the command reports in its own words, so its
    traceback is shown only with --debug."""

    def emit(self, record: logging.LogRecord) -> None:
        from config.secrets import redact

        text = redact(record.getMessage())
        if record.exc_info and _debug():
            text += "\n" + logging.Formatter().formatException(record.exc_info)
        if record.exc_info is None or _debug():
            label = "warning: " if record.levelno == logging.WARNING else "error: "
            err.print(Text.assemble((label, "yellow"), text))


_WARNINGS = _WarningLines(logging.WARNING)


def _show_warnings() -> None:
    root = logging.getLogger()
    if _WARNINGS not in root.handlers:
        root.addHandler(_WARNINGS)


ConfigDir = Annotated[
    Path | None,
    typer.Option(
        "--config",
        metavar="DIR",
        help="Configuration folder (default: $TRACKRECORD_CONFIG_DIR or ./config).",
    ),
]


def _open(config_dir: Path | None, *, database_url: str | None = None) -> Workspace:
    """The workspace, with what the user should know about it (a deprecated setting, a new
    database) said first."""
    workspace = service.open_workspace(config_dir, database_url=database_url)
    for notice in workspace.config.notices:
        err.print(Text.assemble(("warning: ", "yellow"), notice))
    for notice in workspace.notices:
        err.print(Text.assemble(("note: ", "yellow"), notice))
    return workspace


def _day_option(help: str, *flags: str) -> Any:
    """A YYYY-MM-DD option (typer hands it over as a datetime at midnight)."""
    return typer.Option(*flags, formats=["%Y-%m-%d"], metavar="DATE", help=help)


def _day(option: datetime | None, workspace: Workspace) -> date:
    """The option's day, or today in the configured zone."""
    return option.date() if option else service.today(workspace)


def _fail(message: str, *, code: int = 2) -> NoReturn:
    """A user mistake (exit 2 unless told): one clear line and a non-zero exit, never a
    traceback."""
    err.print(Text.assemble(("error: ", "red"), message))
    raise typer.Exit(code)


def _cell(value: object) -> Text:
    """A table cell holding data as it is: never read as markup (a login like `app[bot]`), and a
    missing value (None, or pandas' NaN) as a dash."""
    missing = value is None or (isinstance(value, float) and math.isnan(value))
    return Text("—" if missing else str(value))


NEXT_STEPS = """next:
  1. edit {dir}/people.yaml (who is who in each tool) and {dir}/sources.yaml (where to read);
     set the variables each source names (e.g. export JIRA_TOKEN=...)
  2. trackrecord sync --config {dir}        (the CSV sample in {dir}/imports/ works as it is)
  3. trackrecord evaluate PLAN --config {dir}   (PLAN: a file name under {dir}/plans/)"""


@app.command()
def init(
    directory: Annotated[Path, typer.Argument(help="Where to write the example set.")] = Path(
        "config"
    ),
    force: Annotated[bool, typer.Option(help="Overwrite files that already exist.")] = False,
) -> None:
    """Write a commented example configuration (sources, people, plans, a CSV import) to
    DIRECTORY, and say what to do next."""
    from config import EXAMPLES_DIR

    if (directory / "__init__.py").exists():
        _fail(f"{directory} holds trackrecord's source code; choose another folder")
    targets = [
        (p, directory / p.relative_to(EXAMPLES_DIR))
        for p in sorted(EXAMPLES_DIR.rglob("*")) if p.is_file() and p.suffix in (".yaml", ".csv")
    ]
    existing = [str(t) for _, t in targets if t.exists()]
    if existing and not force:
        _fail(f"{', '.join(existing)} already exist(s); use --force to overwrite")
    for source, target in targets:
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
    out.print(f"wrote {len(targets)} files to {directory}/", highlight=False)
    out.print(NEXT_STEPS.format(dir=directory), highlight=False, markup=False)


@app.command()
def sync(
    source: Annotated[
        str | None, typer.Option(metavar="NAME", help="Only this source (its name).")
    ] = None,
    config: ConfigDir = None,
) -> None:
    """Fetch new and changed records from every configured source (or one), incrementally.

    A source whose secret is not set is skipped, saying which variable to set. Ctrl-C (or
    SIGTERM) keeps every page already committed, and the next sync goes on from there."""
    workspace = _open(config)
    if not workspace.config.sources.sources:
        out.print("nothing to sync: sources.yaml lists no sources (`trackrecord init` writes "
                  "an example of each kind)")
        return
    summaries = _sync(workspace, source)
    if held := sum(s.quarantined for s in summaries):
        out.print(f"{held} records quarantined: `trackrecord quarantine` shows why")
    if any(s.error or s.skipped for s in summaries):
        raise typer.Exit(1)


def _interrupt(_signal: int, _frame: object) -> None:
    raise KeyboardInterrupt  # SIGTERM ends a sync as Ctrl-C does: the run log says so


def _sync(workspace: Workspace, source: str | None = None) -> list[RunSummary]:
    """Sync with a pulsing bar per stream (sources do not announce their size), then one line
    per stream."""
    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    columns = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn())
    with Progress(*columns, console=err, transient=True, disable=not err.is_terminal) as progress:
        tasks: dict[tuple[str, str], Any] = {}

        def show(summary: RunSummary) -> None:
            name = (summary.source, summary.stream)
            task = tasks.get(name) or tasks.setdefault(name, progress.add_task(""))
            progress.update(task, description=f"{summary.source}/{summary.stream}: "
                            f"{summary.records} records, {summary.requests} requests")

        previous = signal.signal(signal.SIGTERM, _interrupt)
        try:
            summaries = service.sync(workspace, source, on_page=show)
        except KeyboardInterrupt:
            err.print("interrupted: what was committed is kept, and the next sync resumes from "
                      "the last committed page", highlight=False)
            raise typer.Exit(130) from None
        finally:
            signal.signal(signal.SIGTERM, previous)
    for summary in summaries:
        failed = summary.error or summary.skipped
        out.print(_cell(summary.line()), style="red" if failed else None, soft_wrap=True)
    return summaries


@app.command()
def quarantine(
    source: Annotated[
        str | None, typer.Option(metavar="NAME", help="Only this source (its name).")
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print a JSON array, raw payloads included.")
    ] = False,
    config: ConfigDir = None,
) -> None:
    """List records a source sent that could not be read: held with the error, never dropped.

    Fix the record at its source (or report a connector bug); the next sync stores it."""
    held = service.quarantined(_open(config), source)
    if as_json:
        _print_json([dataclasses.asdict(h) for h in held])
        return
    if not held:
        out.print("no quarantined records")
        return
    table = Table(title="Quarantined records", box=box.SIMPLE_HEAD)
    for column in ("last held", "source/stream", "record", "times", "error"):
        table.add_column(column, overflow="fold")
    for h in held:
        table.add_row(*map(_cell, (
            f"{h.last_held:%Y-%m-%d %H:%M}", f"{h.source}/{h.stream}", h.record_key, h.times,
            h.error,
        )))
    out.print(table)


@app.command()
def evaluate(
    plan: Annotated[str, typer.Argument(help="Plan id (its file name under plans/).")],
    as_of: Annotated[datetime | None, _day_option("Default: today.")] = None,
    checkpoints: Annotated[
        bool, typer.Option("--checkpoints", help="Also evaluate as of each checkpoint passed.")
    ] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the evaluation as JSON, for scripts.")
    ] = False,
    evidence: Annotated[
        str | None,
        typer.Option(metavar="METRIC", help="List the records behind one goal (its metric name)."),
    ] = None,
    config: ConfigDir = None,
) -> None:
    """Evaluate a plan's goals: the person's baseline against now, each target, whether it held
    week after week, and how the rest of the team changed over the same time.

    With --checkpoints the JSON is a list: one object per checkpoint, then the as-of date."""
    workspace = _open(config)
    workspace.plan(plan)  # an unknown plan is the first thing to say
    if not as_json and not service.has_evidence(workspace):
        _nothing_synced()  # a script reading the JSON sees the statuses say so
    report = service.evaluate(workspace, plan, _day(as_of, workspace), checkpoints=checkpoints)
    if evidence is not None:
        _print_goal_evidence(report, evidence, as_json)
    elif as_json:
        _print_json(report.all_json() if checkpoints else report.to_json())
    else:
        for evaluation in report.checkpoints:
            _print_evaluation(report, evaluation)
        _print_evaluation(report)


def _nothing_synced() -> NoReturn:
    _fail("nothing synced yet: the database holds no records; run `trackrecord sync` first",
          code=1)


def _fmt(value: float | int | None) -> str:
    from evaluate.results import json_number

    if isinstance(value, float):
        value = json_number(value)  # the JSON's precision, so table and JSON never disagree
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.3g}" if abs(value) < 1000 else f"{value:,.0f}"
    return str(value)


TARGET_SIGNS = {"at_most": "≤ ", "at_least": "≥ ", "improve_by": "improve "}


def _target(target: dict[str, Any]) -> str:
    name, value = next(iter(target.items()))
    shown = f"{value:.0%}" if name == "improve_by" else _fmt(value)
    return TARGET_SIGNS.get(name, f"{name} ") + shown


def _team(team: TeamContext | None) -> str:
    from evaluate.results import json_number

    relative = json_number(team.change.relative) if team else None
    if team is None or relative is None:
        return "—"
    return f"{relative:+.0%}" + (" shift" if team.team_wide_shift else "")


def _goal_row(goal: GoalEvaluation) -> tuple[str, ...]:
    from evaluate.sentences import status_word

    interval = goal.change.interval
    return (
        f"{goal.metric}\n({goal.statistic})",
        f"{_fmt(goal.baseline.value)}\nn={goal.baseline.n}",
        f"{_fmt(goal.current.value)}\nn={goal.current.n}",
        _fmt(goal.change.absolute)
        + (f"\n[{_fmt(interval[0])}, {_fmt(interval[1])}]" if interval else ""),
        _target(goal.goal.target.model_dump(exclude_none=True)),
        f"{goal.sustained.weeks_met}/{goal.sustained.weeks}",
        _team(goal.team),
        status_word(goal.status).lower() + ("\n(see below)" if goal.flags else ""),
    )


def _print_evaluation(report: PlanReport, checkpoint: PlanEvaluation | None = None) -> None:
    """The goals table (`change` is signed so that + means better), each goal's sentence and
    flags in words, what the plan records beyond its goals, then the recommendation; the
    decision under the as-of day's table only."""
    result = checkpoint or report.evaluation
    title = f"{result.plan} (version {result.version}) as of {result.as_of.isoformat()}"
    caption = ("change: + means better, − worse, with its 95% interval; weeks: weeks the target "
               "held; team: how the rest of the team changed")
    table = Table(title=title, caption=caption, box=box.SIMPLE_HEAD)
    columns = ("goal", "baseline", "current", "change (+ better)", "target", "weeks", "team",
               "status")
    for column in columns:
        table.add_column(column, no_wrap=column in ("goal", "status"))
    for goal in result.goals:
        table.add_row(*map(_cell, _goal_row(goal)))
    out.print(table)
    from evaluate.sentences import flag_words

    for goal, sentence in zip(result.goals, report.sentences(result), strict=True):
        out.print(_cell(f"{goal.metric}: {sentence}"))
        for flag in goal.flags:
            out.print(_cell(f"  {flag_words(flag)}"))
    _print_plan_record(result)
    outcome = result.outcome.replace("_", " ")
    out.print(f"Recommended outcome: [bold]{outcome}[/bold] (a person decides)")
    if checkpoint is None and (d := report.decision):
        made_on = (f" (made on version {d.version}; the plan has changed since)"
                   if report.decision_predates_version else "")
        out.print(_cell(f"Decision: {d.outcome} by {d.by} on {d.at:%Y-%m-%d}{made_on}: "
                        f"{d.reason}"))


def _print_plan_record(result: PlanEvaluation) -> None:
    """What the plan says beyond its goals (the support given, the barriers, notes and
    exclusions belong in the record), and a warning for each exclusion that matches nothing."""
    for label, lines in (("Support", result.support), ("Barriers", result.barriers),
                         ("Notes", result.notes)):
        for line in lines:
            out.print(_cell(f"{label}: {line}"))
    for exclusion in result.exclusions:
        what = exclusion.record or f"{exclusion.from_} to {exclusion.to}"
        out.print(_cell(f"Excluded: {what} ({exclusion.reason})"))
    for key in result.unmatched_exclusions:
        err.print(Text.assemble(("warning: ", "yellow"), f"{result.plan}: the exclusion of {key} "
                                "matches no stored record the plan's goals read (a typo, or not "
                                "synced yet?)"))


def _print_goal_evidence(report: PlanReport, metric: str, as_json: bool) -> None:
    """Each record behind a goal's numbers: its window, key and link back to the source."""
    rows = service.goal_evidence(report, metric)
    if as_json:
        _print_json([dataclasses.asdict(row) for row in rows])
        return
    for row in rows:
        out.print(_cell(f"{row.window}\t{row.key}\t{row.url or ''}"), soft_wrap=True)
    out.print(f"{len(rows)} records" if rows else "no records")


@evidence_app.command("list")
def evidence_list(
    kind: Annotated[
        str | None, typer.Option(metavar="KIND", help="ticket, pull_request, review, ...")
    ] = None,
    person: Annotated[
        str | None, typer.Option(metavar="PERSON", help="Only records attributed to this person.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON array.")] = False,
    config: ConfigDir = None,
) -> None:
    """Print stored records with their key, person, times, url and the fields metrics use."""
    rows = service.evidence_records(_open(config), kind=kind, person=person)
    if as_json:
        _print_json(rows)
        return
    for row in rows:
        out.print(_cell(f"{row['key']}\t{row.get('person') or '—'}\t{row.get('url', '')}"))


def _print_json(value: Any) -> None:
    """Plain JSON for scripts, indented for people; not rich's highlighter, which takes seconds
    on the tens of thousands of evidence keys an evaluation can carry."""
    sys.stdout.write(json.dumps(value, indent=2, default=_json_default, ensure_ascii=False) + "\n")


def _json_default(value: Any) -> Any:
    if hasattr(value, "isoformat"):  # dates, datetimes and pandas timestamps
        return value.isoformat()
    if hasattr(value, "tolist"):
        return value.tolist()
    return str(value)


@people_app.command("check")
def people_check(config: ConfigDir = None) -> None:
    """List tool accounts seen in records that match nobody in people.yaml."""
    unmatched = service.unmatched(_open(config))
    if not unmatched:
        out.print("every account in the stored records belongs to a person in people.yaml")
        return
    table = Table(title="Accounts that match nobody (add them to people.yaml)")
    for column in ("source", "account", "e-mail", "records"):
        table.add_column(column)
    for account in unmatched:
        table.add_row(*map(_cell, (account.source, account.account, account.email or None,
                                   account.records)))
    out.print(table)
    raise typer.Exit(1)


@plans_app.command("history")
def plans_history(
    plan: Annotated[str, typer.Argument(help="Plan id.")], config: ConfigDir = None
) -> None:
    """Every stored version of a plan and what changed in each."""
    versions = service.plan_history(_open(config), plan)
    previous: dict[str, Any] = {}
    for version in versions:
        out.print(f"[bold]version {version.version}[/bold]  {version.created:%Y-%m-%d %H:%M} UTC")
        for line in service.changes(previous, version.content) if previous else ["first version"]:
            out.print(_cell(f"  {line}"), highlight=False)
        previous = version.content


SUGGEST_HELP = """Propose plan goals from the role's metrics and the person's own baseline.

Each target is 20% better than the person's baseline, but never stricter than the rest of
the team over the same window; someone already at the team's level is asked to hold their
baseline. Too little data gives "no suggestion", never an invented target. Under the table:
a `goals:` block to paste into plans/<id>.yaml (absolute at_most / at_least targets).

With --json: {"person", "role", "team", "start", "as_of", "baseline": {"start", "end"},
"suggestions": [{"metric", "statistic", "better", "unit", "baseline": {"value", "n",
"active_weeks"}, "team": {"value", "n", "members", "sufficient"}, "target" (null when none),
"basis" (own_baseline, team_level, hold, zero_baseline or insufficient_data), "why"}],
"yaml": the goals block as text}."""


def _reflowed(text: str) -> str:
    """Typer keeps the single line breaks of a help text's later paragraphs, and a narrow
    terminal then folds each line again: join every paragraph into one line."""
    return "\n\n".join(" ".join(paragraph.split()) for paragraph in text.split("\n\n"))


@plans_app.command("suggest", help=_reflowed(SUGGEST_HELP))
def plans_suggest(
    person: Annotated[str, typer.Argument(help="Person id from people.yaml.")],
    role: Annotated[
        str | None,
        typer.Option(
            metavar="ROLE", help="developer, support, sre or security. Default: the person's role."
        ),
    ] = None,
    as_of: Annotated[
        datetime | None, _day_option("Use no evidence after this day. Default: today.")
    ] = None,
    start: Annotated[
        datetime | None,
        _day_option("The plan's first day; the baseline is the 90 days before it. Default: as-of."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    config: ConfigDir = None,
) -> None:
    """Propose plan goals from the role's metrics and the person's own baseline."""
    workspace = _open(config)
    if not service.has_evidence(workspace):
        _fail("nothing to suggest from: the database holds no records yet; run "
              "`trackrecord sync` first")
    day = _day(as_of, workspace)
    suggestions = service.suggest(
        workspace, person, as_of=day, start=start.date() if start else None, role=role
    )
    if as_json:
        _print_json(suggestions.to_json())
    else:
        _print_suggestions(suggestions)


def _print_suggestions(suggestions: Suggestions) -> None:
    """The suggestions table, then the goals block exactly as it should be pasted."""
    from evaluate.suggest import IMPROVEMENT

    window = suggestions.window
    title = (
        f"Suggested goals for {suggestions.person} ({suggestions.role}, team {suggestions.team})"
    )
    caption = (
        f"baseline {window.start} to {window.end}; target: {IMPROVEMENT:.0%} better than the "
        "baseline, never stricter than the rest of the team"
    )
    table = Table(title=title, caption=caption, box=box.SIMPLE_HEAD, pad_edge=False)
    for column in ("metric", "statistic", "baseline (n)", "team", "target", "why"):
        table.add_column(column, no_wrap=column != "why")
    for goal in suggestions.goals:
        table.add_row(*map(_cell, (
            goal.spec.name,
            goal.spec.statistic,
            f"{_fmt(goal.baseline.value)} ({goal.baseline.n})",
            _fmt(goal.team.value) if goal.team_sufficient else None,
            _target(goal.goal.target.model_dump(exclude_none=True)) if goal.goal else None,
            goal.why,
        )))
    out.print(table)
    out.print(suggestions.goals_yaml(), markup=False, highlight=False, soft_wrap=True, end="")


@app.command()
def decide(
    plan: Annotated[str, typer.Argument(help="Plan id.")],
    outcome: Annotated[
        str,
        typer.Option(
            metavar="OUTCOME",
            help="successful_completion, partial_improvement, insufficient_improvement or "
            "extended.",
        ),
    ],
    by: Annotated[str, typer.Option(metavar="PERSON", help="Who decides (a person id).")],
    reason: Annotated[str, typer.Option(metavar="TEXT", help="Why: kept with the decision.")],
    config: ConfigDir = None,
) -> None:
    """Record the human decision beside the recommended outcome."""
    decision = service.decide(_open(config), plan, outcome=outcome, by=by, reason=reason)
    out.print(f"recorded: {plan} → {outcome} by {by} (recommended: {decision.recommended})")


@app.command()
def rate(
    person: Annotated[str, typer.Argument(help="Who is rated (a person id).")],
    name: Annotated[str, typer.Argument(help="The behaviour, e.g. communication.")],
    value: Annotated[int, typer.Argument(help="1 to 5.")],
    by: Annotated[str, typer.Option(metavar="PERSON", help="Who rates (a person id).")],
    note: Annotated[str, typer.Option(metavar="TEXT", help="What was observed.")] = "",
    on: Annotated[
        datetime | None, _day_option("When it was observed; default today.", "--date")
    ] = None,
    config: ConfigDir = None,
) -> None:
    """Enter a behavioural rating; plans evaluate it as the metric rating:NAME.

    Ratings observed before the plan (--date) give the goal its baseline."""
    rating = service.rate(_open(config), person, name, value, by=by, note=note,
                          on=on.date() if on else None)
    out.print(f"recorded {rating.key}: {person} {name} = {value} by {by} on {rating.at:%Y-%m-%d}")


@app.command()
def snapshot(
    plan: Annotated[
        str | None, typer.Argument(help="Plan id. Default: every plan active on the day.")
    ] = None,
    as_of: Annotated[datetime | None, _day_option("Default: today.")] = None,
    config: ConfigDir = None,
) -> None:
    """Store the evaluation as a snapshot, hash-chained to the plan's previous one.

    A checkpoint passed without a snapshot gets its own first, as of the checkpoint."""
    workspace = _open(config)
    try:
        taken = service.snapshot(workspace, plan, _day(as_of, workspace))
    except LookupError as exc:
        _fail(str(exc))
    for shot in taken:
        out.print(f"{shot.plan_id} #{shot.seq} ({shot.kind}) as of {shot.as_of}: "
                  f"{shot.evaluation['outcome']}  sha256 {shot.hash}", highlight=False)
    if not taken:
        out.print("no active plans to snapshot")


@snapshots_app.command("list")
def snapshots_list(
    plan: Annotated[str, typer.Argument(help="Plan id.")],
    as_json: Annotated[
        bool, typer.Option("--json", help="Print a JSON array, each stored evaluation included.")
    ] = False,
    config: ConfigDir = None,
) -> None:
    """A plan's snapshots, oldest first: as of, kind, outcome and hash."""
    try:
        shots = service.snapshots(_open(config), plan)
    except LookupError as exc:
        _fail(str(exc))
    if as_json:
        _print_json([shot.to_json() for shot in shots])
        return
    table = Table(title=f"Snapshots of {plan}", box=box.SIMPLE_HEAD)
    for column in ("#", "as of", "kind", "taken", "version", "outcome", "sha256"):
        table.add_column(column, no_wrap=True)
    for shot in shots:
        table.add_row(str(shot.seq), str(shot.as_of), shot.kind, f"{shot.taken_at:%Y-%m-%d %H:%M}",
                      str(shot.content["plan_version"]), shot.evaluation["outcome"], shot.hash)
    out.print(table)


@snapshots_app.command("verify")
def snapshots_verify(config: ConfigDir = None) -> None:
    """Check every plan's hash chain; exit 1 naming the first broken link."""
    check = service.verify_snapshots(_open(config))
    _chain_verdict(check.broken.line() if check.broken else None,
                   f"{check.snapshots} snapshots of {check.plans} plans: every chain holds")


def _chain_verdict(broken: str | None, holds: str) -> None:
    """A hash chain checked: the first broken link and exit 1, else that the chain holds."""
    if broken is not None:
        err.print(f"[red]broken:[/red] {broken}", highlight=False)
        raise typer.Exit(1)
    out.print(holds)


@app.command()
def scheduler(config: ConfigDir = None) -> None:
    """Run each source's `schedule`, the weekly snapshots and the checkpoint snapshots until
    SIGTERM or Ctrl-C; any number of replicas may run against one PostgreSQL."""
    workspace = _open(config)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    handle = service.start_background_scheduler(workspace)
    for job, next_run in handle.jobs():
        out.print(f"{job}: next run {next_run:%Y-%m-%d %H:%M %Z}" if next_run else job)
    out.print("scheduler running (SIGTERM or Ctrl-C stops it)")
    while not stop.wait(1):
        pass
    handle.stop()
    out.print("scheduler stopped")


@app.command()
def export(
    plan: Annotated[str | None, typer.Argument(help="Plan id (omit with --org).")] = None,
    fmt: Annotated[
        str, typer.Option("--format", metavar="FORMAT", help="csv, xlsx or pdf (--org: csv, xlsx).")
    ] = "pdf",
    org: Annotated[bool, typer.Option("--org", help="Every active plan, for HR.")] = False,
    table: Annotated[
        str, typer.Option(metavar="TABLE", help="CSV only: goals or evidence.")
    ] = "goals",
    paper: Annotated[str, typer.Option(metavar="PAPER", help="PDF only: a4 or letter.")] = "a4",
    output: Annotated[
        Path | None, typer.Option(metavar="FILE", help="Default: named after the plan and day.")
    ] = None,
    config: ConfigDir = None,
) -> None:
    """Write a plan's export from its stored evaluation, or the summary of active plans.

    CSV and XLSX cells that a spreadsheet would run as a formula are written as text."""
    if org == (plan is not None):
        _fail("name a plan, or use --org (not both)")
    from dashboards import exports

    workspace = _open(config)
    download = (exports.org_download(workspace, fmt) if org else
                exports.plan_download(workspace, str(plan), fmt, table=table, paper=paper))
    target = output or Path(download.filename)
    target.write_bytes(download.content)
    service.audit(workspace, actor=_cli_actor(), action="export", plan=plan,
                  person=workspace.config.plans[plan].employee if plan else None,
                  detail={"format": fmt, "org": org})
    out.print(f"wrote {target} ({len(download.content):,} bytes)")


@app.command()
def forget(
    person: Annotated[str, typer.Argument(help="Person id from people.yaml.")],
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
    config: ConfigDir = None,
) -> None:
    """Erase a person: their records, plans, evaluations, decisions, ratings and accounts.

    Mentions in other people's records are redacted; the erasure is logged without personal
    data. Run it while the person is still in people.yaml, then remove them from the files."""
    workspace = _open(config)
    if not yes and not typer.confirm(f"Erase everything held about {person}?"):
        raise typer.Exit(1)
    try:
        erasure = service.forget(workspace, person)
    except LookupError as exc:
        _fail(str(exc))
    for table, rows in sorted(erasure.rows.items()):
        out.print(f"{table}: {rows} rows erased or redacted")
    out.print("Now remove, or the next command stores them again: " + "; ".join(erasure.files))


@app.command("export-person")
def export_person(
    person: Annotated[str, typer.Argument(help="Person id from people.yaml.")],
    config: ConfigDir = None,
) -> None:
    """Print everything held about a person as JSON (what `forget` would erase)."""
    try:
        _print_json(service.person_data(_open(config), person))
    except LookupError as exc:
        _fail(str(exc))


@app.command()
def demo(
    directory: Annotated[
        Path, typer.Option(metavar="DIR", help="Where the demo keeps its files.")
    ] = Path("var/demo"),
    host: Annotated[str, typer.Option(help="Address the web app listens on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port the web app listens on.")] = 8000,
    serve_app: Annotated[
        bool, typer.Option("--serve/--no-serve", help="Serve the web app when set up (until "
                           "Ctrl-C), or stop there.")
    ] = True,
) -> None:
    """Generate a demo organisation behind local look-alike APIs and a real Prometheus where
    one is installed (a fresh database each time), sync it through the real connectors, evaluate
    and snapshot its plans, add a demo sign-in per role and per plan's employee, then serve the
    web app with the scheduler; Ctrl-C stops all of it."""
    from fakes.demo import DEMO_PASSWORD, DEMO_USERS, UNACKNOWLEDGED, demo_org

    with demo_org(directory) as org:
        out.print(f"monitoring: {org.prometheus}", highlight=False)
        workspace = _open(org.config_dir, database_url=org.database_url)
        _sync(workspace)  # stores every plan's evaluation as of today
        taken = service.snapshot(workspace)
        accounts = {user.person: service.add_user(workspace, user.name, role=user.role,
                                                  person=user.person, password=DEMO_PASSWORD)
                    for user in DEMO_USERS}
        for plan in workspace.config.plans.values():
            if plan.id != UNACKNOWLEDGED:  # one plan's employee has yet to acknowledge it
                service.acknowledge(workspace, accounts[plan.employee], plan.id,
                                    "Discussed with my manager at the kickoff.")
        for stored in service.stored_evaluations(workspace):
            out.print(_demo_story(stored.plan_id, stored.payload, UNACKNOWLEDGED),
                      highlight=False, soft_wrap=True)
        out.print(f"{len(taken)} snapshots taken ({sum(s.kind == 'checkpoint' for s in taken)} "
                  f"for passed checkpoints)\nconfiguration: {org.config_dir}   database: "
                  f"{org.database_url}")
        url = f"http://{host}:{port}"
        out.print(f"\nSign in at {url} (password {DEMO_PASSWORD}) as:", highlight=False)
        for user in DEMO_USERS:
            out.print(f"  {user.name:<6} {user.role:<8} sees {user.sees}", highlight=False)
        if serve_app:
            _serve_with_scheduler(workspace, host, port)
    if serve_app:
        out.print("demo stopped: web app, scheduler and fake APIs", highlight=False)


def _demo_story(plan_id: str, payload: dict[str, Any], unacknowledged: str) -> str:
    """One line per demo plan: its recommended outcome, what each goal came to, and whether its
    employee still has to acknowledge it."""
    from evaluate.sentences import goal_title, outcome_word

    def goal(result: dict[str, Any]) -> str:
        status = result["status"]
        said = {"met": "met", "not_met": "not met", "insufficient_data": "too little data"}.get(
            status) or ("target met, not sustained" if result["target_met"]
                        else "improved, target not met")
        shift = ", the whole team moved alike" if "team_wide_shift" in result["flags"] else ""
        return f"{goal_title(result['metric'], result['statistic']).lower()} {said}{shift}"

    pending = "; not yet acknowledged" if plan_id == unacknowledged else ""
    return (f"{plan_id}: recommended {outcome_word(str(payload['outcome'])).lower()} ("
            + "; ".join(goal(result) for result in payload["goals"]) + f"){pending}")


def _serve_with_scheduler(workspace: Workspace, host: str, port: int) -> None:
    """uvicorn in this thread (it turns Ctrl-C and SIGTERM into a graceful stop), the scheduler
    in background threads until then. A Ctrl-C while either starts stops the demo just as
    cleanly."""
    import uvicorn

    from dashboards import create_app

    server = uvicorn.Server(uvicorn.Config(create_app(workspace), host=host, port=port,
                                           log_level="warning", proxy_headers=False))
    handle = None
    try:
        handle = service.start_background_scheduler(workspace)
        out.print("Serving, with the scheduler; Ctrl-C stops the demo.", highlight=False)
        server.run()
    except KeyboardInterrupt:
        pass  # uvicorn stopped gracefully, then raised again the Ctrl-C it had held back
    finally:
        if handle is not None:
            handle.stop()


NEW_PASSWORD = "TRACKRECORD_NEW_PASSWORD"


def _cli_actor() -> str:
    """Who the audit log names for a command: the operating-system account that ran it."""
    return f"cli:{getpass.getuser()}"


def _new_password() -> str:
    """From the environment (scripts), else asked twice without echo."""
    given = os.environ.get(NEW_PASSWORD)
    return given if given else str(typer.prompt("Password", hide_input=True,
                                                confirmation_prompt=True))


@users_app.command("add")
def users_add(
    name: Annotated[str, typer.Argument(help="The sign-in name.")],
    role: Annotated[str, typer.Option(metavar="ROLE", help="admin, hr, manager or employee.")],
    person: Annotated[
        str | None, typer.Option(metavar="ID", help="The person (people.yaml) a manager or "
                                 "employee account stands for.")
    ] = None,
    config: ConfigDir = None,
) -> None:
    """Add a web app account; the password comes from $TRACKRECORD_NEW_PASSWORD or a prompt.

    admin and hr see every plan, a manager the plans of everyone below them in people.yaml,
    an employee their own."""
    workspace = _open(config)
    try:
        user = service.add_user(workspace, name, role=role, person=person,
                                password=_new_password(), actor=_cli_actor())
    except ValueError as exc:
        _fail(str(exc))
    out.print(f"added {user.name} ({user.role}{f', {user.person}' if user.person else ''})")


@users_app.command("password")
def users_password(
    name: Annotated[str, typer.Argument(help="The sign-in name.")], config: ConfigDir = None
) -> None:
    """Set a new password ($TRACKRECORD_NEW_PASSWORD or a prompt); open sessions end."""
    workspace = _open(config)
    try:
        service.set_password(workspace, name, _new_password(), actor=_cli_actor())
    except (LookupError, ValueError) as exc:
        _fail(str(exc))
    out.print(f"password changed for {name}; its sessions have ended")


@users_app.command("remove")
def users_remove(
    name: Annotated[str, typer.Argument(help="The sign-in name.")], config: ConfigDir = None
) -> None:
    """Remove an account: it cannot sign in again and its open sessions end."""
    try:
        service.remove_user(_open(config), name, actor=_cli_actor())
    except LookupError as exc:
        _fail(str(exc))
    out.print(f"removed {name}")


@users_app.command("token")
def users_token(
    name: Annotated[str, typer.Argument(help="The sign-in name.")],
    revoke: Annotated[bool, typer.Option("--revoke", help="Revoke every token of the account "
                                         "instead.")] = False,
    config: ConfigDir = None,
) -> None:
    """Print a new API bearer token for the account (shown once, stored hashed); it sees what
    the account sees. --revoke ends every token the account has."""
    workspace = _open(config)
    if revoke:
        out.print(f"revoked {service.revoke_tokens(workspace, name, actor=_cli_actor())} "
                  f"token(s) of {name}")
        return
    try:
        token = service.issue_token(workspace, name, actor=_cli_actor())
    except LookupError as exc:
        _fail(str(exc))
    sys.stdout.write(token + "\n")


@audit_app.command("verify")
def audit_verify(config: ConfigDir = None) -> None:
    """Check the audit log's hash chain; exit 1 naming the first broken entry."""
    check = service.verify_audit(_open(config))
    _chain_verdict(check.broken, f"{check.entries} audit entries: the chain holds")


@audit_app.command("list")
def audit_list(
    plan: Annotated[str | None, typer.Option(metavar="PLAN", help="Only this plan.")] = None,
    person: Annotated[
        str | None, typer.Option(metavar="ID", help="Only about (or by) this person.")
    ] = None,
    limit: Annotated[int, typer.Option(metavar="N", help="The newest N entries.")] = 50,
    config: ConfigDir = None,
) -> None:
    """The newest audit entries: when, who, what, about which plan and person."""
    for entry in service.audit_entries(_open(config), plan=plan, person=person, limit=limit):
        out.print(f"{entry.seq}\t{entry.at:%Y-%m-%d %H:%M:%S}\t{entry.actor}\t{entry.action}\t"
                  f"{entry.plan_id or '—'}\t{entry.person_id or '—'}\t"
                  f"{json.dumps(entry.detail, sort_keys=True)}", highlight=False, soft_wrap=True)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    config: ConfigDir = None,
) -> None:
    """Serve the web app (plans, evidence, sync status) with uvicorn; /healthz answers 200."""
    import uvicorn

    from dashboards import create_app

    web = create_app(_open(config))  # a configuration problem reaches the one handler
    uvicorn.run(web, host=host, port=port, log_level="info", proxy_headers=False)


def cli_reference() -> str:
    """Markdown for every command, read off the commands themselves so it cannot drift."""
    lines: list[str] = []
    for path, command in _commands(typer.main.get_command(app), ("trackrecord",)):
        arguments = [p for p in command.params if p.param_type_name == "argument"]
        usage = " ".join([*path, *(_metavar(p) for p in arguments), "[OPTIONS]"])
        lines += [f"#### `{usage}`", "", _reflowed(inspect.cleandoc(command.help or "")), ""]
        rows = [(_metavar(p), getattr(p, "help", None) or "") for p in arguments]
        rows += [(_option(p), _option_help(p)) for p in command.params if p not in arguments]
        if rows:
            lines += ["| | |", "|---|---|", *(f"| `{k}` | {v} |" for k, v in rows), ""]
    return "\n".join(lines)


def _commands(command: Any, path: tuple[str, ...]) -> Iterator[tuple[tuple[str, ...], Any]]:
    subcommands = getattr(command, "commands", None)
    if subcommands is None:
        yield path, command
        return
    for name, sub in subcommands.items():
        if not sub.hidden:
            yield from _commands(sub, (*path, name))


def _metavar(argument: Any) -> str:
    name = argument.name.upper()
    return name if argument.required else f"[{name}]"


def _option(option: Any) -> str:
    value = "" if option.is_flag else f" {option.metavar or option.name.upper()}"
    return " / ".join(option.opts) + value


def _option_help(option: Any) -> str:
    shown = option.default not in (None, False, "") and not option.is_flag
    return (option.help or "") + (f" (default: {option.default})" if shown else "")


def _config_reference() -> str:
    from config.reference import config_reference

    return config_reference()


def _csv_columns_reference() -> str:
    from service import csv_columns_reference

    return csv_columns_reference()


def _export_columns_reference() -> str:
    from dashboards.exports.csv import column_reference

    return column_reference()


README_SECTIONS: dict[str, Callable[[], str]] = {
    "cli": cli_reference,
    "config": _config_reference,
    "csv-columns": _csv_columns_reference,
    "export-columns": _export_columns_reference,
}


def render_readme(text: str) -> str:
    """The README with each generated section (between its BEGIN/END markers) made anew."""
    for name, make in README_SECTIONS.items():
        begin, end = f"<!-- BEGIN generated:{name} -->", f"<!-- END generated:{name} -->"
        head, found, rest = text.partition(begin)
        _, closed, tail = rest.partition(end)
        if not (found and closed):
            raise ValueError(f"README lacks the markers {begin} … {end}")
        text = f"{head}{begin}\n{make().strip()}\n{end}{tail}"
    return text


@app.command(hidden=True)
def readme(
    path: Annotated[Path, typer.Argument()] = Path("README.md"),
    check: Annotated[bool, typer.Option(help="Only say whether it is current.")] = False,
) -> None:
    """Regenerate the README's reference sections (`make docs`); --check fails when stale."""
    current = path.read_text()
    fresh = render_readme(current)
    if check and fresh != current:
        _fail(f"{path} is stale: run `make docs`")
    if not check:
        path.write_text(fresh)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
