"""Creates or upgrades the database schema, so no user ever runs a separate migration step."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from ingest.store import SCHEMA_LOCK, lock_exclusively

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def _alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def migrate(engine: Engine, *, to: str = "head") -> str | None:
    """Upgrade to the newest revision (or to `to`); a no-op (one cheap query) when already there.
    Two commands starting at once on a new database take turns: the second waits for the lock,
    then finds nothing left to do. Returns the revision found, None for a new, empty database."""
    config = _alembic_config()
    scripts = ScriptDirectory.from_config(config)
    target = scripts.get_revision(to).revision
    with engine.connect() as conn:
        found = MigrationContext.configure(conn).get_current_revision()
    if found == target:
        return found
    if found is not None:
        scripts.get_revision(found)  # an unknown revision (a newer trackrecord's) fails here
    with engine.begin() as conn:
        lock_exclusively(conn, SCHEMA_LOCK)
        config.attributes["connection"] = conn
        command.upgrade(config, to)
    return found


def revision(message: str, engine: Engine) -> None:
    """Autogenerate a migration from the tables in `ingest.store` (developers only)."""
    config = _alembic_config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.revision(config, message=message, autogenerate=True)


__all__ = ["migrate", "revision"]
