"""The one shape of a source connector, and the registry that finds it by `kind`.

A connector turns a configured source into runnable streams. The registry names modules, not
functions, so looking a kind up imports only that source's module and its client library (the
`jira` package for Jira, PyGithub for GitHub, pandas for CSV), never the others'.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Generic, Protocol, TypeVar

from config.people import Person
from ingest.http import DEFAULT_TIMEOUT
from ingest.sync import Stream

SourceConfig = TypeVar("SourceConfig")

# kind (sources.yaml) → the module whose `connector` serves it.
CONNECTORS: dict[str, str] = {
    "jira": "ingest.sources.jira",
    "github": "ingest.sources.github",
    "prometheus": "ingest.sources.prometheus",
    "pagerduty": "ingest.sources.pagerduty",
    "csv": "ingest.sources.csv",
}


@dataclass(frozen=True)
class SyncContext(Generic[SourceConfig]):
    """What a connector is given: its sources.yaml entry, how far behind the stored cursor each
    run reads again, where relative paths in the configuration start (None: the settings'
    config folder), the people of people.yaml (what imported ratings are checked against;
    None: not known), how far back a first sync must read at least (None: the source's
    own `backfill_days`), and the seconds to connect and to wait for each answer."""

    source: SourceConfig
    lookback: timedelta
    config_dir: Path | None = None
    people: Sequence[Person] | None = None
    reach_back: datetime | None = None
    timeout: tuple[float, float] = DEFAULT_TIMEOUT


def first_sync_start(backfilled: datetime, reach_back: datetime | None) -> datetime:
    """Where a first sync starts: its backfill, or earlier where a plan's baseline needs it
    (DESIGN §5.11), so no window is left without the evidence that a longer read would give."""
    return backfilled if reach_back is None else min(backfilled, reach_back)


class Connector(Protocol):
    def __call__(self, context: SyncContext[Any], /) -> list[Stream]: ...


class UnknownSourceKind(ValueError):
    """A `kind` no connector serves; the message lists the kinds there are."""


def connector_for(kind: str) -> Connector:
    if kind not in CONNECTORS:
        known = ", ".join(sorted(CONNECTORS))
        raise UnknownSourceKind(f"no connector for kind {kind!r}; the kinds are: {known}")
    connector: Connector = importlib.import_module(CONNECTORS[kind]).connector
    return connector


def streams_for(
    source: Any,
    *,
    lookback: timedelta,
    config_dir: Path | None = None,
    people: Sequence[Person] | None = None,
    reach_back: datetime | None = None,
    timeout: tuple[float, float] = DEFAULT_TIMEOUT,
) -> list[Stream]:
    """The streams of one sources.yaml entry, by its `kind`."""
    try:
        connector = connector_for(source.kind)
    except UnknownSourceKind as exc:
        raise UnknownSourceKind(f"source {source.name!r}: {exc}") from None
    return connector(SyncContext(source, lookback, config_dir, people, reach_back, timeout))


__all__ = [
    "CONNECTORS",
    "Connector",
    "SyncContext",
    "UnknownSourceKind",
    "connector_for",
    "first_sync_start",
    "streams_for",
]
