"""Sync use cases: run every stream of the configured sources (or one), and read the run log."""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select

from config.errors import ConfigError
from config.secrets import read_secret
from config.sources import AnySource
from ingest.http import UNREACHABLE
from ingest.sources import streams_for
from ingest.store import quarantine
from ingest.store import sync_runs as sync_runs_table
from ingest.sync import Held, RunSummary, Stream, held_records, try_stream
from service.stored import refresh_changed
from service.workspace import Workspace

__all__ = [
    "SyncRun", "last_synced", "quarantined", "quarantined_count", "reach_back", "streams", "sync",
    "sync_runs",
]

OnPage = Callable[[RunSummary], None]


SECRET_FIELDS = ("email_env", "token_env", "user_env", "password_env")


def _sources(ws: Workspace, source: str | None) -> list[AnySource]:
    """Every source, or the one named; LookupError names the others."""
    sources = [s for s in ws.config.sources.sources if source in (None, s.name)]
    if source is not None and not sources:
        names = ", ".join(s.name for s in ws.config.sources.sources) or "none"
        raise LookupError(f"no source named {source!r} in sources.yaml (the sources: {names})")
    return sources


def _streams_of(ws: Workspace, source: AnySource) -> list[Stream]:
    settings = ws.settings
    return streams_for(
        source,
        lookback=timedelta(minutes=settings.lookback_minutes),
        config_dir=settings.config_dir,
        people=ws.config.people.people,
        reach_back=reach_back(ws),
        timeout=(settings.connect_timeout, settings.read_timeout),
    )


def streams(ws: Workspace, source: str | None = None) -> list[Stream]:
    """The runnable streams of every source, or of the one named; LookupError names the others."""
    return [stream for s in _sources(ws, source) for stream in _streams_of(ws, s)]


def reach_back(ws: Workspace) -> datetime | None:
    """The earliest baseline start of any plan: a first sync reads back at least that far, so
    no plan's baseline starts before the evidence does (DESIGN §5.11)."""
    starts = [plan.baseline_window().start for plan in ws.config.plans.values()]
    if not starts:
        return None
    return datetime.combine(min(starts), time(), ws.settings.zone).astimezone(UTC)


def sync(ws: Workspace, source: str | None = None, *, on_page: OnPage | None = None
         ) -> list[RunSummary]:
    """Run each stream in turn; a stream that fails is reported in its summary (the run log
    keeps the details) and the others still run. A source whose secret is not set is skipped,
    saying which variable to set; a source found unreachable is not tried again for its other
    streams. When records arrived, the stored evaluations whose evidence they changed are
    refreshed, so pages show them without computing; an idle sync recomputes nothing."""
    summaries = [
        summary for s in _sources(ws, source) for summary in _sync_source(ws, s, on_page)
    ]
    if any(summary.records for summary in summaries):
        refresh_changed(ws)
    return summaries


def _sync_source(ws: Workspace, source: AnySource, on_page: OnPage | None) -> list[RunSummary]:
    if missing := _missing_secret(source):
        return [RunSummary(source.name, "", run_id=0, skipped=missing)]
    summaries: list[RunSummary] = []
    for stream in _streams_of(ws, source):
        summaries.append(try_stream(ws.engine, stream, on_page=on_page or (lambda _s: None)))
        if summaries[-1].error and _unreachable(summaries[-1]):
            break  # its other streams would wait for the same host in vain
    return summaries


def _missing_secret(source: AnySource) -> str | None:
    """Why the source cannot run (a secret not set, or unreadable), naming the variable."""
    for name in filter(None, (getattr(source, field, None) for field in SECRET_FIELDS)):
        try:
            read_secret(name)
        except ConfigError as exc:
            return str(exc)
    return None


def _unreachable(summary: RunSummary) -> bool:
    return (summary.error or "").startswith(UNREACHABLE)


def quarantined(ws: Workspace, source: str | None = None) -> list[Held]:
    """Records a source sent that could not be read, once each, with how often they were held."""
    with ws.engine.connect() as conn:
        return held_records(conn, source=source)


@dataclass(frozen=True)
class SyncRun:
    source: str
    stream: str
    started: datetime
    finished: datetime | None
    records: int
    quarantined: int
    error: str | None


def sync_runs(ws: Workspace, *, failed_limit: int = 20) -> tuple[list[SyncRun], list[SyncRun]]:
    """The latest run of every source and stream, then the most recent failed runs."""
    with ws.engine.connect() as conn:
        newest = (
            select(sync_runs_table.c.source, sync_runs_table.c.stream,
                   func.max(sync_runs_table.c.id).label("id"))
            .group_by(sync_runs_table.c.source, sync_runs_table.c.stream)
            .subquery()
        )
        latest = conn.execute(
            select(sync_runs_table).join(newest, sync_runs_table.c.id == newest.c.id)
            .order_by(sync_runs_table.c.source, sync_runs_table.c.stream)
        )
        last = [_run_row(row) for row in latest]
        failed = conn.execute(
            select(sync_runs_table).where(sync_runs_table.c.error.is_not(None))
            .order_by(sync_runs_table.c.id.desc()).limit(failed_limit)
        )
        return last, [_run_row(row) for row in failed]


def _run_row(row: Any) -> SyncRun:
    return SyncRun(row.source, row.stream, row.started, row.finished, row.records,
                   row.quarantined, row.error)


def last_synced(ws: Workspace) -> dict[str, datetime | None]:
    """Each configured source's last run that finished without an error (None: never)."""
    runs = sync_runs_table
    query = (select(runs.c.source, func.max(runs.c.finished).label("finished"))
             .where(runs.c.error.is_(None), runs.c.finished.is_not(None)).group_by(runs.c.source))
    with ws.engine.connect() as conn:
        finished = {row.source: row.finished for row in conn.execute(query)}
    return {source.name: finished.get(source.name) for source in ws.config.sources.sources}


def quarantined_count(ws: Workspace, sources: Collection[str] | None = None) -> int:
    """Records held in quarantine (from these sources), each once however often a sync held it
    again."""
    held = select(quarantine.c.source, quarantine.c.stream, quarantine.c.record_key).distinct()
    if sources is not None:
        held = held.where(quarantine.c.source.in_(list(sources)))
    with ws.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(held.subquery())).scalar_one())
