"""The imperative shell's gather step, shared by the command line, the scheduler and the web app.

Opening a workspace reads the settings, creates or upgrades the schema, loads and cross-checks the
YAML files and mirrors people.yaml into the database, so every entry point starts from the same,
validated state.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
from sqlalchemy import Engine

from config.files import Config, load_config
from config.settings import Settings, get_settings
from config.sources import GithubSource
from evaluate.metrics import metric_rules
from evaluate.plans import record_version
from ingest.evidence import load_evidence
from ingest.identities import store_people
from ingest.schema import migrate
from ingest.sources import streams_for
from ingest.store import make_engine
from ingest.sync import Stream


@dataclass(frozen=True)
class Workspace:
    settings: Settings
    engine: Engine
    config: Config
    versions: dict[str, int]  # plan id → the stored version matching its file

    @property
    def source_kinds(self) -> dict[str, str]:
        return {source.name: source.kind for source in self.config.sources.sources}

    def evidence(self, kinds: Collection[str] | None = None) -> dict[str, pd.DataFrame]:
        """The stored records of these kinds (default all), people attached."""
        return load_evidence(
            self.engine,
            kinds=kinds,
            persons=self.config.people.people,
            source_kinds=self.source_kinds,
            bots={s.name: s.is_bot for s in self._github_sources},
            services={
                repo: service for s in self._github_sources for repo, service in s.services.items()
            },
            failure_window=timedelta(hours=self.config.sources.incident_window_hours),
        )

    @property
    def _github_sources(self) -> list[GithubSource]:
        return [s for s in self.config.sources.sources if isinstance(s, GithubSource)]

    def streams(self, source_name: str | None = None) -> list[Stream]:
        sources = [s for s in self.config.sources.sources if source_name in (None, s.name)]
        if source_name is not None and not sources:
            names = ", ".join(s.name for s in self.config.sources.sources)
            raise LookupError(f"no source named {source_name!r} in sources.yaml (have: {names})")
        lookback = timedelta(minutes=self.settings.lookback_minutes)
        return [
            stream
            for s in sources
            for stream in streams_for(s, lookback=lookback, config_dir=self.settings.config_dir)
        ]


def open_workspace(config_dir: Path | None = None, *, database_url: str | None = None) -> Workspace:
    """Settings → schema → validated config → people and plan versions stored.

    Raises ConfigError on bad files. A plan file that changed since the last command becomes a
    new stored version here, so every evaluation names the version it judged.
    """
    overrides = {"config_dir": config_dir, "database_url": database_url}
    settings = get_settings(**{name: value for name, value in overrides.items() if value})
    config = load_config(settings.config_dir, known_metrics=metric_rules())
    engine = make_engine(settings.database_url)
    migrate(engine)
    now = datetime.now(UTC)
    with engine.begin() as conn:
        store_people(conn, config.people.people)
        versions = {pid: record_version(conn, plan, now=now) for pid, plan in config.plans.items()}
    return Workspace(settings=settings, engine=engine, config=config, versions=versions)


__all__ = ["Workspace", "open_workspace"]
