"""Sync use cases: run every stream of the configured sources (or one), and read the run log."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from config.errors import ConfigError
from config.secrets import read_secret
from config.sources import AnySource
from ingest.http import UNREACHABLE
from ingest.sources import streams_for
from ingest.sync import Held, RunSummary, Stream, held_records, try_stream
from service.stored import refresh_evaluations
from service.workspace import Workspace

__all__ = ["quarantined", "streams", "sync"]

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
        timeout=(settings.connect_timeout, settings.read_timeout),
    )


def streams(ws: Workspace, source: str | None = None) -> list[Stream]:
    """The runnable streams of every source, or of the one named; LookupError names the others."""
    return [stream for s in _sources(ws, source) for stream in _streams_of(ws, s)]


def sync(ws: Workspace, source: str | None = None, *, on_page: OnPage | None = None
         ) -> list[RunSummary]:
    """Run each stream in turn; a stream that fails is reported in its summary (the run log
    keeps the details) and the others still run. A source whose secret is not set is skipped,
    saying which variable to set; a source found unreachable is not tried again for its other
    streams. When records arrived, the stored evaluations are refreshed, so pages show them
    without computing."""
    summaries = [
        summary for s in _sources(ws, source) for summary in _sync_source(ws, s, on_page)
    ]
    if any(summary.records for summary in summaries):
        refresh_evaluations(ws)
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
