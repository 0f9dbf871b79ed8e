"""One module per source kind; `streams_for` turns a configured source into runnable streams."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from ingest.sync import Stream


def streams_for(source: Any, *, lookback: timedelta) -> list[Stream]:
    """The streams of one sources.yaml entry, by its `kind` (imports stay lazy: each source
    pulls in its own client library)."""
    if source.kind == "jira":
        from ingest.sources import jira

        return jira.streams(source, lookback=lookback)
    if source.kind == "github":
        from ingest.sources import github

        return github.streams(source, lookback=lookback)
    raise ValueError(f"source {source.name!r}: no connector for kind {source.kind!r} yet")


__all__ = ["streams_for"]
