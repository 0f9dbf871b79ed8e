"""Web app accounts: argon2 hashes, no hint whether a name exists, roles that name their person,
scope down the manager chain, and the session key kept beside a SQLite database."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

import service
from config import EXAMPLES_DIR
from config.errors import ConfigError
from config.people import Person
from service.tables import users
from service.users import below
from trackrecord import app


@pytest.fixture
def workspace(tmp_path: Path, database_url: str) -> service.Workspace:
    shutil.copytree(EXAMPLES_DIR, tmp_path / "config")
    return service.open_workspace(tmp_path / "config", database_url=database_url)


def test_accounts_keep_only_a_hash_and_check_passwords(workspace: service.Workspace) -> None:
    service.add_user(workspace, "rania", role="manager", person="rnoor",
                     password="a long enough password")
    with workspace.engine.connect() as conn:
        stored = conn.execute(sa.select(users.c.password_hash)).scalar_one()
    assert stored.startswith("$argon2id$") and "a long enough password" not in stored
    assert service.authenticate(workspace, "rania", "a long enough password") == service.User(
        "rania", "manager", "rnoor", 0)
    assert service.authenticate(workspace, "rania", "wrong password") is None
    assert service.authenticate(workspace, "nobody", "a long enough password") is None


@pytest.mark.parametrize(("name", "role", "person", "problem"), [
    ("x", "boss", None, "role must be one of"),
    ("x", "manager", None, "names its person"),
    ("x", "employee", "ghost", "not in people.yaml"),
    ("has space", "admin", None, "user name"),
])
def test_bad_accounts_are_refused(workspace: service.Workspace, name: str, role: str,
                                  person: str | None, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        service.add_user(workspace, name, role=role, person=person, password="long password!")


def test_short_passwords_and_taken_names_are_refused(workspace: service.Workspace) -> None:
    with pytest.raises(ValueError, match="at least 10"):
        service.add_user(workspace, "ada", role="admin", password="short")
    service.add_user(workspace, "ada", role="admin", password="long password!")
    with pytest.raises(ValueError, match="exists already"):
        service.add_user(workspace, "ada", role="hr", password="long password!")


def test_scope_reaches_down_the_manager_chain_and_survives_a_cycle() -> None:
    def person(pid: str, manager: str | None) -> Person:
        return Person(id=pid, name=pid, email=f"{pid}@example.com", team="t", role="support",
                      manager=manager)

    people = [person("ceo", "cto"), person("cto", "ceo"), person("lead", "cto"),
              person("dev", "lead"), person("other", None)]
    assert below(people, "lead") == {"dev"}
    assert below(people, "cto") == {"ceo", "lead", "dev"}
    assert below(people, "dev") == set()


def test_the_session_key_is_generated_once_beside_a_sqlite_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copytree(EXAMPLES_DIR, tmp_path / "config")
    monkeypatch.delenv("TRACKRECORD_SECRET_KEY", raising=False)
    ws = service.open_workspace(tmp_path / "config",
                                database_url=f"sqlite:///{tmp_path / 'var' / 'db.sqlite'}")
    key = service.session_secret(ws)
    assert len(key) > 40 and (tmp_path / "var" / "secret_key").read_text() == key
    assert (tmp_path / "var" / "secret_key").stat().st_mode & 0o077 == 0
    assert service.session_secret(ws) == key
    monkeypatch.setenv("TRACKRECORD_SECRET_KEY", "from the environment")
    ws = service.open_workspace(tmp_path / "config", database_url=str(ws.engine.url))
    assert service.session_secret(ws) == "from the environment"


def test_a_server_database_needs_the_session_key(workspace: service.Workspace,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Workers that each generated a key would refuse one another's cookies."""
    monkeypatch.delenv("TRACKRECORD_SECRET_KEY", raising=False)
    server = sa.create_engine("postgresql+psycopg://app@db.internal/trackrecord")  # no connect
    with pytest.raises(ConfigError, match="TRACKRECORD_SECRET_KEY"):
        service.session_secret(dataclasses.replace(workspace, engine=server))


def test_users_add_reads_the_password_from_the_environment(
    tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copytree(EXAMPLES_DIR, tmp_path / "config")
    monkeypatch.setenv("TRACKRECORD_DATABASE_URL", database_url)
    monkeypatch.setenv("TRACKRECORD_NEW_PASSWORD", "from the environment")
    runner = CliRunner()
    config = ["--config", str(tmp_path / "config")]
    result = runner.invoke(app, ["users", "add", "tomas", "--role", "employee", *config])
    assert result.exit_code == 2 and "names its person" in result.output
    result = runner.invoke(app, ["users", "add", "tomas", "--role", "employee",
                                 "--person", "tbrandt", *config])
    assert result.exit_code == 0 and "added tomas (employee, tbrandt)" in result.output
    ws = service.open_workspace(tmp_path / "config", database_url=database_url)
    assert service.authenticate(ws, "tomas", "from the environment") is not None
    monkeypatch.delenv("TRACKRECORD_NEW_PASSWORD")
    result = runner.invoke(app, ["users", "password", "tomas", *config],
                           input="a new password\na new password\n")
    assert result.exit_code == 0, result.output
    assert service.authenticate(ws, "tomas", "a new password") is not None
    assert runner.invoke(app, ["users", "remove", "tomas", *config]).exit_code == 0
    assert service.authenticate(ws, "tomas", "a new password") is None
