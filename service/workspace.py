"""The gather step every shell shares: settings, schema, validated files, stored people and plan
versions, and the evidence frames handed to the core.

Opening a workspace reads the settings, creates or upgrades the schema, loads and cross-checks the
YAML files and mirrors people.yaml into the database, so the command line, the scheduler and the
web app all start from the same, validated state.
"""

from __future__ import annotations

from collections.abc import Collection
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, make_url
from sqlalchemy.exc import ArgumentError

from config.files import Config, load_config
from config.people import Person
from config.plans import Plan
from config.secrets import register_secret
from config.settings import Settings, get_settings
from config.sources import GithubSource
from evaluate.evidence import Evidence
from evaluate.failures import mark_change_failures
from evaluate.frames import check_frames
from evaluate.metrics import metric_rules, metric_spec
from ingest.evidence import PeopleScope, load_evidence
from ingest.identities import store_people
from ingest.schema import migrate
from ingest.store import make_engine
from service.casefile import record_version
from service.errors import database_error

__all__ = ["Workspace", "open_workspace", "plan_kinds"]


@dataclass(frozen=True)
class Workspace:
    settings: Settings
    engine: Engine
    config: Config
    versions: dict[str, int]  # plan id → the stored version matching its file
    notices: tuple[str, ...] = ()  # things the user should know, e.g. a new database made

    @property
    def source_kinds(self) -> dict[str, str]:
        return {source.name: source.kind for source in self.config.sources.sources}

    def person(self, person_id: str) -> Person:
        """The person with this id; LookupError when people.yaml does not list them."""
        found = next((p for p in self.config.people.people if p.id == person_id), None)
        if found is None:
            raise LookupError(f"{person_id!r} is not in people.yaml")
        return found

    def plan(self, plan_id: str) -> Plan:
        """The plan with this id; its file's ConfigError when that file did not validate (only
        the command naming a broken plan fails on it); LookupError lists the plans there are."""
        if plan_id in self.config.broken_plans:
            raise self.config.broken_plans[plan_id]
        plan = self.config.plans.get(plan_id)
        if plan is None:
            names = ", ".join(self.config.plans) or "none"
            raise LookupError(f"no plan {plan_id!r}; plans: {names}")
        return plan

    def evidence(self, kinds: Collection[str] | None = None, *,
                 people: Collection[str] | None = None) -> Evidence:
        """The stored records of these kinds (default all), people attached, change failures
        marked, every frame checked against the core's declared schema. With `people` (ids),
        only what measuring them needs (`PeopleScope`): a person's page reads their team's
        records, not the whole organisation's."""
        wanted = set(kinds) if kinds is not None else None
        chosen = None if people is None else PeopleScope.of(
            [p for p in self.config.people.people if p.id in people],
            self.config.sources.repo_services)
        loaded = set(wanted) | {"incident"} if wanted and "deployment" in wanted else wanted
        frames = load_evidence(
            self.engine,
            kinds=loaded,
            persons=self.config.people.people,
            source_kinds=self.source_kinds,
            bots={s.name: s.is_bot for s in self.config.sources.sources
                  if isinstance(s, GithubSource)},
            scope=chosen,
        )
        check_frames(frames)
        if "deployment" in frames:
            frames["deployment"] = mark_change_failures(
                frames["deployment"],
                frames["incident"],
                services=self.config.sources.repo_services,
                window=timedelta(hours=self.config.sources.failure_window_hours),
            )
        return {kind: frame for kind, frame in frames.items() if wanted is None or kind in wanted}


def plan_kinds(plan: Plan) -> set[str]:
    """The record kinds a plan's metrics read: loading only those keeps a command quick."""
    return {kind for goal in plan.goals for kind in metric_spec(goal.metric).kinds}


def open_workspace(config_dir: Path | None = None, *, database_url: str | None = None) -> Workspace:
    """Settings → schema → validated config → people and plan versions stored.

    Raises ConfigError on a bad sources.yaml or people.yaml; a bad plan file is set aside
    (`Config.broken_plans`) and reported in `Config.notices`. A plan file that changed since
    the last command becomes a new stored version here, so every evaluation names the version
    it judged.
    """
    overrides = {"config_dir": config_dir, "database_url": database_url}
    settings = get_settings(**{name: value for name, value in overrides.items() if value})
    config = load_config(settings.config_dir, known_metrics=metric_rules())
    engine, notices = _database(settings.database_url)
    now = datetime.now(UTC)
    with engine.begin() as conn:
        store_people(conn, config.people.people)
        versions = {pid: record_version(conn, plan, now=now) for pid, plan in config.plans.items()}
    workspace = Workspace(settings=settings, engine=engine, config=config, versions=versions,
                          notices=notices)
    from service.stored import refresh_new_versions  # it builds on this module

    refresh_new_versions(workspace)
    return workspace


def _database(url: str) -> tuple[Engine, tuple[str, ...]]:
    """The engine with its schema current; a new database is announced with where it is, and a
    database that cannot be opened is a UserError saying why."""
    with suppress(ArgumentError):  # not a URL: make_engine says so below
        register_secret(make_url(url).password)
    try:
        engine = make_engine(url)
        found = migrate(engine)
    except Exception as exc:
        if (explained := database_error(exc, url)) is None:
            raise
        raise explained from exc
    if found is not None:
        return engine, ()
    shown = engine.url.render_as_string(hide_password=True)
    return engine, (f"created a new, empty database at {shown}",)
