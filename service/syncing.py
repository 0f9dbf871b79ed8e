"""Sync use cases: run every stream of the configured sources (or one), and read the run log."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta

from ingest.sources import streams_for
from ingest.sync import Held, RunSummary, Stream, held_records, run_stream
from service.stored import refresh_evaluations
from service.workspace import Workspace

__all__ = ["quarantined", "reach_back", "streams", "sync"]

OnPage = Callable[[RunSummary], None]


def streams(ws: Workspace, source: str | None = None) -> list[Stream]:
    """The runnable streams of every source, or of the one named; LookupError names the others."""
    sources = [s for s in ws.config.sources.sources if source in (None, s.name)]
    if source is not None and not sources:
        names = ", ".join(s.name for s in ws.config.sources.sources)
        raise LookupError(f"no source named {source!r} in sources.yaml (have: {names})")
    lookback = timedelta(minutes=ws.settings.lookback_minutes)
    return [
        stream
        for s in sources
        for stream in streams_for(s, lookback=lookback, config_dir=ws.settings.config_dir,
                                  people=ws.config.people.people, reach_back=reach_back(ws))
    ]


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
    keeps the details) and the others still run. When records arrived, the stored evaluations
    are refreshed, so pages show them without computing."""
    summaries = [_run(ws, stream, on_page) for stream in streams(ws, source)]
    if any(summary.records for summary in summaries):
        refresh_evaluations(ws)
    return summaries


def _run(ws: Workspace, stream: Stream, on_page: OnPage | None) -> RunSummary:
    try:
        return run_stream(ws.engine, stream, on_page=on_page or (lambda _summary: None))
    except Exception as exc:
        return RunSummary(
            source=stream.source, stream=stream.name, run_id=0,
            error=f"{type(exc).__name__}: {exc}",
        )


def quarantined(ws: Workspace, source: str | None = None) -> list[Held]:
    """Records a source sent that could not be read, once each, with how often they were held."""
    with ws.engine.connect() as conn:
        return held_records(conn, source=source)
