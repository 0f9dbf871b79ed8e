"""trackrecord: the command line. Each command gathers, calls the core, then persists or prints."""

from __future__ import annotations

import dataclasses
import inspect
import json
import shutil
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Annotated, Any, NoReturn

import pandas as pd
import typer
import typer.main
from rich import box
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from config import EXAMPLES_DIR
from config.errors import ConfigError
from config.plans import Plan
from config.reference import config_reference
from evaluate.catalog import EventCatalog
from evaluate.evaluation import evaluate_at_checkpoints, evaluate_plan
from evaluate.metrics import metric_spec
from evaluate.plans import (
    OUTCOMES,
    add_rating,
    changes,
    history,
    latest_decision,
    record_decision,
)
from evaluate.suggest import IMPROVEMENT, Suggestions, suggest_goals
from evaluate.workspace import Workspace, open_workspace
from ingest.evidence import unmatched_accounts
from ingest.sources.csv import column_reference
from ingest.sync import RunSummary, Stream, held_records, run_stream

app = typer.Typer(no_args_is_help=True, add_completion=False, help=__doc__)
evidence_app = typer.Typer(no_args_is_help=True, help="The stored source records.")
people_app = typer.Typer(no_args_is_help=True, help="People and their tool accounts.")
app.add_typer(evidence_app, name="evidence")
app.add_typer(people_app, name="people")
plans_app = typer.Typer(no_args_is_help=True, help="Plans: versions and goal suggestions.")
app.add_typer(plans_app, name="plans")

# Captured or piped output has no terminal width to fit: lay tables out for a wide page.
out = Console(width=None if sys.stdout.isatty() else 132)
err = Console(stderr=True, soft_wrap=True)  # an error line is never folded mid-path

ConfigDir = Annotated[
    Path | None,
    typer.Option(
        "--config",
        metavar="DIR",
        help="Configuration folder (default: $TRACKRECORD_CONFIG_DIR or ./config).",
    ),
]


def _open(config_dir: Path | None, *, database_url: str | None = None) -> Workspace:
    """The workspace, or the configuration's problems as clear lines and exit status 78."""
    try:
        return open_workspace(config_dir, database_url=database_url)
    except ConfigError as exc:
        err.print(f"[red]error:[/red] {exc}", highlight=False)
        raise typer.Exit(exc.exit_code) from None


def _day_option(help: str, *flags: str) -> Any:
    """A YYYY-MM-DD option (typer hands it over as a datetime at midnight)."""
    return typer.Option(*flags, formats=["%Y-%m-%d"], metavar="DATE", help=help)


def _day(option: datetime | None, workspace: Workspace) -> date:
    """The option's day, or today in the configured zone."""
    return option.date() if option else datetime.now(workspace.settings.zone).date()


def _fail(message: str) -> NoReturn:
    """A user mistake: one clear line and a non-zero exit, never a traceback."""
    err.print(f"[red]error:[/red] {message}", highlight=False)
    raise typer.Exit(2)


@app.command()
def init(
    directory: Annotated[Path, typer.Argument(help="Where to write the example set.")] = Path(
        "config"
    ),
    force: Annotated[bool, typer.Option(help="Overwrite files that already exist.")] = False,
) -> None:
    """Write the commented example configuration (sources, people, plans) to DIRECTORY."""
    if (directory / "__init__.py").exists():
        _fail(f"{directory} holds trackrecord's source code; choose another folder")
    targets = [
        (p, directory / p.relative_to(EXAMPLES_DIR)) for p in sorted(EXAMPLES_DIR.rglob("*.yaml"))
    ]
    existing = [str(t) for _, t in targets if t.exists()]
    if existing and not force:
        _fail(f"{', '.join(existing)} already exist(s); use --force to overwrite")
    for source, target in targets:
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
    out.print(f"wrote {len(targets)} files to {directory}/ — edit them, then `trackrecord sync`")


@app.command()
def sync(
    source: Annotated[
        str | None, typer.Option(metavar="NAME", help="Only this source (its name).")
    ] = None,
    config: ConfigDir = None,
) -> None:
    """Fetch new and changed records from every configured source (or one), incrementally."""
    workspace = _open(config)
    summaries = [_sync_stream(workspace, stream) for stream in workspace.streams(source)]
    for summary in summaries:
        out.print(summary.line(), style="red" if summary.error else None)
    if held := sum(s.quarantined for s in summaries):
        out.print(f"{held} records quarantined: `trackrecord quarantine` shows why")
    if any(s.error for s in summaries):
        raise typer.Exit(1)


def _sync_stream(workspace: Workspace, stream: Stream) -> RunSummary:
    # Sources do not announce their size, so the bar pulses while the counts grow.
    columns = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn())
    with Progress(*columns, console=err, transient=True, disable=not err.is_terminal) as progress:
        task = progress.add_task(f"{stream.source}/{stream.name}")

        def show(summary: RunSummary) -> None:
            progress.update(
                task,
                description=f"{stream.source}/{stream.name}: "
                f"{summary.records} records, {summary.requests} requests",
            )

        try:
            return run_stream(workspace.engine, stream, on_page=show)
        except Exception as exc:  # the run log holds the details; go on with other streams
            return RunSummary(
                source=stream.source,
                stream=stream.name,
                run_id=0,
                error=f"{type(exc).__name__}: {exc}",
            )


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
    workspace = _open(config)
    with workspace.engine.connect() as conn:
        held = held_records(conn, source=source)
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
        table.add_row(
            f"{h.last_held:%Y-%m-%d %H:%M}",
            f"{h.source}/{h.stream}",
            h.record_key or "—",
            str(h.times),
            h.error,
        )
    out.print(table)


@app.command()
def evaluate(
    plan: Annotated[str, typer.Argument(help="Plan id (its file name under plans/).")],
    as_of: Annotated[datetime | None, _day_option("Default: today.")] = None,
    checkpoints: Annotated[
        bool, typer.Option("--checkpoints", help="Also evaluate as of each checkpoint passed.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the JSON of DESIGN §10.")] = False,
    evidence: Annotated[
        str | None,
        typer.Option(metavar="METRIC", help="List the records behind one goal (its metric name)."),
    ] = None,
    config: ConfigDir = None,
) -> None:
    """Evaluate a plan's goals against baseline, target, sustained rule and team context.

    With --checkpoints the JSON is a list: one object per checkpoint, then the as-of date."""
    workspace = _open(config)
    chosen = _plan(workspace, plan)
    day = _day(as_of, workspace)
    frames = workspace.evidence(kinds=_plan_kinds(chosen))
    results = _evaluate(workspace, chosen, day, checkpoints=checkpoints, evidence=frames)
    if evidence is not None:
        _print_goal_evidence(results[-1], evidence, frames, as_json)
    elif as_json:
        _print_json(results if checkpoints else results[-1])
    else:
        for result in results:
            _print_evaluation(result)


def _evaluate(
    workspace: Workspace,
    plan: Plan,
    as_of: date,
    *,
    checkpoints: bool = False,
    evidence: dict[str, pd.DataFrame] | None = None,
) -> list[dict[str, Any]]:
    """The plan as of `as_of` (last), after its passed checkpoints when asked; the stored
    human decision rides on the last one."""
    inputs = {
        "evidence": workspace.evidence(kinds=_plan_kinds(plan)) if evidence is None else evidence,
        "people": workspace.config.people.people,
        "tz": workspace.settings.zone,
        "version": workspace.versions[plan.id],
    }
    catalog = EventCatalog(inputs["evidence"], people=inputs["people"], tz=inputs["tz"])
    earlier = (
        evaluate_at_checkpoints(plan, as_of=as_of, catalog=catalog, **inputs) if checkpoints else []
    )
    results = [r.to_json() for r in earlier if r.as_of != as_of]
    results.append(evaluate_plan(plan, as_of=as_of, catalog=catalog, **inputs).to_json())
    with workspace.engine.connect() as conn:
        results[-1]["decision"] = latest_decision(conn, plan.id)
    return results


def _fmt(value: Any) -> str:
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


def _team(team: dict[str, Any]) -> str:
    if team.get("change_relative") is None:
        return "—"
    shift = " shift" if team.get("team_wide_shift") else ""
    return f"{team['change_relative']:+.0%}{shift}"


def _print_evaluation(result: dict[str, Any]) -> None:
    """The goals table; `change` is signed so that positive means better, relative team change."""
    title = f"{result['plan']} (version {result['version']}) as of {result['as_of']}"
    caption = "change: + is better, with its 95% interval; team: the rest of the team's change"
    table = Table(title=title, caption=caption, box=box.SIMPLE_HEAD)
    for column in ("goal", "baseline", "current", "change", "target", "weeks", "team", "status"):
        table.add_column(column, no_wrap=column in ("goal", "status"))
    for goal in result["goals"]:
        change = goal.get("change") or {}
        interval = change.get("interval")
        sustained = goal.get("sustained") or {}
        table.add_row(
            f"{goal['metric']}\n({goal['statistic']})",
            f"{_fmt(goal['baseline']['value'])}\nn={goal['baseline']['n']}",
            f"{_fmt(goal['current']['value'])}\nn={goal['current']['n']}",
            _fmt(change.get("absolute"))
            + (f"\n[{_fmt(interval[0])}, {_fmt(interval[1])}]" if interval else ""),
            _target(goal["target"]),
            f"{sustained.get('weeks_met', '—')}/{sustained.get('weeks', '—')}",
            _team(goal.get("team") or {}),
            "\n".join([goal["status"], *goal.get("flags", [])]),
        )
    out.print(table)
    out.print(f"Recommended outcome: [bold]{result['outcome']}[/bold] (a person decides)")
    if result.get("decision"):
        d = result["decision"]
        out.print(f"Decision: {d['outcome']} by {d['by']} on {d['at'][:10]}: {d['reason']}")


def _print_goal_evidence(
    result: dict[str, Any], metric: str, frames: dict[str, pd.DataFrame], as_json: bool
) -> None:
    """Each record behind a goal's numbers: its window, key and link back to the source."""
    goals = [g for g in result["goals"] if g["metric"] == metric]
    if not goals:
        names = ", ".join(g["metric"] for g in result["goals"])
        _fail(f"plan {result['plan']} has no goal {metric!r} (goals: {names})")
    used = [
        (window, key)
        for goal in goals
        for window in ("baseline", "current")
        for key in goal[window]["evidence"]
    ]
    urls = _urls(frames, {key for _, key in used})
    rows = [{"window": window, "key": key, "url": urls.get(key)} for window, key in used]
    if as_json:
        _print_json(rows)
    else:
        for row in rows:
            out.print(f"{row['window']}\t{row['key']}\t{row['url'] or ''}", soft_wrap=True)
        out.print(f"{len(rows)} records" if rows else "no records")


def _urls(frames: dict[str, pd.DataFrame], keys: set[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for frame in frames.values():
        if "url" in frame:
            rows = frame[frame["key"].isin(keys) & frame["url"].notna()]
            found.update(zip(rows["key"], rows["url"], strict=True))
    return found


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
    workspace = _open(config)
    frames = workspace.evidence()
    if kind is not None and kind not in frames:
        _fail(f"unknown kind {kind!r}; kinds: {', '.join(frames)}")
    rows = [
        {"kind": name, **row}
        for name, frame in frames.items()
        if kind in (None, name)
        for row in _rows(frame, person)
    ]
    if as_json:
        _print_json(rows)
        return
    for row in rows:
        out.print(f"{row['key']}\t{row.get('person') or '—'}\t{row.get('url', '')}")


def _rows(frame: Any, person: str | None) -> list[dict[str, Any]]:
    if person is not None:
        frame = frame[frame["person"] == person] if "person" in frame else frame.iloc[0:0]
    return frame.astype(object).where(frame.notna(), None).to_dict(orient="records")


def _plan_kinds(plan: Plan) -> set[str]:
    """The record kinds a plan's metrics read: loading only those keeps a command quick."""
    return {kind for goal in plan.goals for kind in metric_spec(goal.metric).kinds}


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
    workspace = _open(config)
    unmatched = unmatched_accounts(workspace.evidence())
    if not unmatched:
        out.print("every account in the stored records belongs to a person in people.yaml")
        return
    table = Table(title="Accounts that match nobody (add them to people.yaml)")
    for column in ("source", "account", "e-mail", "records"):
        table.add_column(column)
    for account in unmatched:
        table.add_row(account.source, account.account, account.email or "—", str(account.records))
    out.print(table)
    raise typer.Exit(1)


def _plan(workspace: Workspace, plan_id: str) -> Plan:
    plan = workspace.config.plans.get(plan_id)
    if plan is None:
        _fail(f"no plan {plan_id!r}; plans: {', '.join(workspace.config.plans) or 'none'}")
    return plan


@plans_app.command("history")
def plans_history(
    plan: Annotated[str, typer.Argument(help="Plan id.")], config: ConfigDir = None
) -> None:
    """Every stored version of a plan and what changed in each."""
    workspace = _open(config)
    _plan(workspace, plan)
    with workspace.engine.connect() as conn:
        versions = history(conn, plan)
    previous: dict[str, Any] = {}
    for version in versions:
        out.print(f"[bold]version {version.version}[/bold]  {version.created:%Y-%m-%d %H:%M} UTC")
        for line in changes(previous, version.content) if previous else ["first version"]:
            out.print(f"  {line}", highlight=False)
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
    day = _day(as_of, workspace)
    try:
        suggestions = suggest_goals(
            person,
            evidence=workspace.evidence(),
            people=workspace.config.people.people,
            tz=workspace.settings.zone,
            start=start.date() if start else day,
            as_of=day,
            role=role,
        )
    except LookupError as exc:
        _fail(str(exc))
    if as_json:
        _print_json(suggestions.to_json())
    else:
        _print_suggestions(suggestions)


def _print_suggestions(suggestions: Suggestions) -> None:
    """The suggestions table, then the goals block exactly as it should be pasted."""
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
    for row in (s.to_json() for s in suggestions.goals):
        team = row["team"]
        table.add_row(
            row["metric"],
            row["statistic"],
            f"{_fmt(row['baseline']['value'])} ({row['baseline']['n']})",
            _fmt(team["value"]) if team["sufficient"] else "—",
            _target(row["target"]) if row["target"] else "—",
            row["why"],
        )
    out.print(table)
    out.print(suggestions.goals_yaml(), markup=False, highlight=False, soft_wrap=True, end="")


@app.command()
def decide(
    plan: Annotated[str, typer.Argument(help="Plan id.")],
    outcome: Annotated[
        str, typer.Option(metavar="OUTCOME", help=f"One of: {', '.join(OUTCOMES)}.")
    ],
    by: Annotated[str, typer.Option(metavar="PERSON", help="Who decides (a person id).")],
    reason: Annotated[str, typer.Option(metavar="TEXT", help="Why: kept with the decision.")],
    config: ConfigDir = None,
) -> None:
    """Record the human decision beside the recommended outcome."""
    workspace = _open(config)
    chosen = _plan(workspace, plan)
    recommended = _evaluate(workspace, chosen, _day(None, workspace))[-1]["outcome"]
    try:
        with workspace.engine.begin() as conn:
            record_decision(
                conn,
                plan_id=plan,
                version=workspace.versions[plan],
                recommended=recommended,
                outcome=outcome,
                decided_by=by,
                reason=reason,
                now=datetime.now(UTC),
            )
    except ValueError as exc:
        _fail(str(exc))
    out.print(f"recorded: {plan} → {outcome} by {by} (recommended: {recommended})")


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
    workspace = _open(config)
    known = {p.id for p in workspace.config.people.people}
    for who in (person, by):
        if who not in known:
            _fail(f"{who!r} is not in people.yaml")
    now = datetime.now(workspace.settings.zone)
    if on is not None and on.date() > now.date():
        _fail(f"{on:%Y-%m-%d} is in the future")
    # A past day is dated at its noon in the configured zone: that day whatever the offset or DST.
    at = (
        now
        if on is None or on.date() == now.date()
        else datetime.combine(on.date(), time(12), now.tzinfo)
    )
    try:
        with workspace.engine.begin() as conn:
            rating = add_rating(
                conn, person=person, name=name, value=value, author=by, note=note, at=at
            )
    except ValueError as exc:
        _fail(str(exc))
    out.print(f"recorded {rating.key}: {person} {name} = {value} by {by} on {at:%Y-%m-%d}")


@app.command()
def demo(
    directory: Annotated[
        Path, typer.Option(metavar="DIR", help="Where the demo keeps its files.")
    ] = Path("var/demo"),
) -> None:
    """Generate a demo organisation behind local fake APIs, sync it and evaluate its plans."""
    from fakes.demo import demo_org

    with demo_org(directory) as org:
        workspace = _open(org.config_dir, database_url=org.database_url)
        for stream in workspace.streams():
            summary = _sync_stream(workspace, stream)
            out.print(summary.line(), style="red" if summary.error else None)
    for plan in workspace.config.plans.values():
        _print_evaluation(_evaluate(workspace, plan, org.now.date())[-1])
    out.print(f"\nconfiguration: {org.config_dir}   database: {org.database_url}")
    out.print(
        f"try: trackrecord evaluate PLAN --config {org.config_dir} --json "
        f"(with TRACKRECORD_DATABASE_URL={org.database_url})"
    )


def cli_reference() -> str:
    """Markdown for every command, read off the commands themselves so it cannot drift."""
    lines: list[str] = []
    for path, command in _commands(typer.main.get_command(app), ("trackrecord",)):
        arguments = [p for p in command.params if p.param_type_name == "argument"]
        usage = " ".join([*path, *(_metavar(p) for p in arguments), "[OPTIONS]"])
        lines += [f"#### `{usage}`", "", _reflowed(inspect.cleandoc(command.help or "")), ""]
        rows = [(_metavar(p), p.help or "") for p in arguments]  # type: ignore[attr-defined]
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


README_SECTIONS: dict[str, Callable[[], str]] = {
    "cli": cli_reference,
    "config": config_reference,
    "csv-columns": column_reference,
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
