"""One module per source kind; `streams_for` turns a configured source into runnable streams."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from ingest.sync import Stream


def streams_for(
    source: Any, *, lookback: timedelta, config_dir: Path | None = None
) -> list[Stream]:
    """The streams of one sources.yaml entry, by its `kind` (imports stay lazy: each source
    pulls in its own client library). `config_dir` is where a csv source's relative path
    starts (default: the settings' config folder)."""
    if source.kind == "jira":
        from ingest.sources import jira

        return jira.streams(source, lookback=lookback)
    if source.kind == "github":
        from ingest.sources import github

        return github.streams(source, lookback=lookback)
    if source.kind == "prometheus":
        from ingest.sources import prometheus

        return prometheus.streams(source, lookback=lookback)
    if source.kind == "pagerduty":
        from ingest.sources import pagerduty

        return pagerduty.streams(source, lookback=lookback)
    if source.kind == "csv":
        from ingest.sources import csv

        return csv.streams(source, lookback=lookback, config_dir=config_dir)
    raise ValueError(f"source {source.name!r}: no connector for kind {source.kind!r} yet")


__all__ = ["streams_for"]
