"""Web app accounts and what each may see (DESIGN §8).

Passwords are kept as argon2id hashes only. Signing in costs the same whether or not the name
exists, so the answer never tells a stranger which accounts there are. Scope follows people.yaml:
admin and hr see every plan, a manager the plans of everyone below them (directly or further
down the `manager:` chain), an employee their own.
"""

from __future__ import annotations

import functools
import logging
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, cast

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import insert, select, update

from config.errors import ConfigError
from config.people import Person
from config.plans import Plan
from service.audit import append
from service.tables import users
from service.workspace import Workspace

__all__ = [
    "ROLES",
    "Role",
    "Scope",
    "User",
    "add_user",
    "authenticate",
    "find_user",
    "remove_user",
    "scope_of",
    "session_secret",
    "set_password",
]

log = logging.getLogger(__name__)

Role = Literal["admin", "hr", "manager", "employee"]
ROLES: tuple[Role, ...] = ("admin", "hr", "manager", "employee")
PERSON_ROLES: tuple[Role, ...] = ("manager", "employee")  # accounts that stand for one person
MIN_PASSWORD = 10
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]*$")

_hasher = PasswordHasher()


@functools.cache
def _stand_in_hash() -> str:
    """Verified against when the name is unknown, so both answers take one argon2 check."""
    return _hasher.hash("no account has this password")


@dataclass(frozen=True)
class User:
    name: str
    role: Role
    person: str | None
    epoch: int  # sessions opened in an older epoch are over


def _user(row: Any) -> User:
    return User(
        name=row.name,
        role=cast(Role, row.role),
        person=row.person_id,
        epoch=int(row.epoch),
    )


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise ValueError(f"a password needs at least {MIN_PASSWORD} characters")


def _check_account(ws: Workspace, name: str, role: str, person: str | None) -> None:
    if not NAME.fullmatch(name):
        raise ValueError(f"user name {name!r}: use letters, digits, '_', '.', '@' or '-'")
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    if role in PERSON_ROLES and person is None:
        raise ValueError(f"a {role} account names its person (--person ID from people.yaml)")
    if person is not None and person not in {p.id for p in ws.config.people.people}:
        raise ValueError(f"{person!r} is not in people.yaml")


def add_user(ws: Workspace, name: str, *, role: str, password: str, person: str | None = None,
             actor: str = "system") -> User:
    """A new account; ValueError for a taken name, an unknown role or person, a short password.
    `actor`: who the audit log names."""
    _check_account(ws, name, role, person)
    _check_password(password)
    with ws.engine.begin() as conn:
        if conn.execute(select(users.c.name).where(users.c.name == name)).first():
            raise ValueError(f"user {name!r} exists already")
        conn.execute(insert(users).values(
            name=name, role=role, person_id=person, password_hash=_hasher.hash(password),
            created=datetime.now(UTC), disabled=False, epoch=0,
        ))
        append(conn, actor=actor, action="user_add", person=person,
               detail={"user": name, "role": role})
    return User(name, cast(Role, role), person, 0)


def find_user(ws: Workspace, name: str) -> User | None:
    """The account if it exists and is not removed: every request checks it, so a removal or a
    password change ends sessions at once."""
    with ws.engine.connect() as conn:
        row = conn.execute(
            select(users).where(users.c.name == name, users.c.disabled.is_(False))
        ).first()
    return None if row is None else _user(row)


def authenticate(ws: Workspace, name: str, password: str) -> User | None:
    """The account when the password is right; None otherwise, in the same time either way."""
    with ws.engine.connect() as conn:
        row = conn.execute(
            select(users).where(users.c.name == name, users.c.disabled.is_(False))
        ).first()
    return _user(row) if _verifies(row.password_hash if row else _stand_in_hash(), password) \
        and row is not None else None


def _verifies(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _bump(ws: Workspace, name: str, action: str, actor: str, **values: object) -> None:
    with ws.engine.begin() as conn:
        done = conn.execute(
            update(users).where(users.c.name == name).values(epoch=users.c.epoch + 1, **values)
        )
        if done.rowcount == 0:
            raise LookupError(f"no user {name!r}")
        append(conn, actor=actor, action=action, detail={"user": name})


def set_password(ws: Workspace, name: str, password: str, *, actor: str = "system") -> None:
    """A new password ends every session opened with the old one; LookupError if unknown."""
    _check_password(password)
    _bump(ws, name, "user_password", actor, password_hash=_hasher.hash(password))


def remove_user(ws: Workspace, name: str, *, actor: str = "system") -> None:
    """The account can no longer sign in and its sessions end; the row stays for the record."""
    _bump(ws, name, "user_remove", actor, disabled=True)


@dataclass(frozen=True)
class Scope:
    """Whose plans and person pages a user may open; everything else answers 404."""

    everyone: bool
    people: frozenset[str] = frozenset()

    def sees_person(self, person: str) -> bool:
        return self.everyone or person in self.people

    def sees_plan(self, plan: Plan) -> bool:
        return self.sees_person(plan.employee)


def below(people: Iterable[Person], manager: str) -> set[str]:
    """Everyone whose `manager:` chain reaches `manager` (a cycle in the file stops the walk)."""
    reports: dict[str, list[str]] = {}
    for person in people:
        if person.manager is not None:
            reports.setdefault(person.manager, []).append(person.id)
    found: set[str] = set()
    waiting = list(reports.get(manager, ()))
    while waiting:
        report = waiting.pop()
        if report not in found and report != manager:
            found.add(report)
            waiting.extend(reports.get(report, ()))
    return found


def scope_of(ws: Workspace, user: User) -> Scope:
    """admin and hr: everyone; manager: themselves and everyone below them; employee: self."""
    if user.role in ("admin", "hr"):
        return Scope(everyone=True)
    own = {user.person} if user.person else set()
    if user.role == "manager" and user.person:
        own |= below(ws.config.people.people, user.person)
    return Scope(everyone=False, people=frozenset(own))


SECRET_FILE = "secret_key"


def session_secret(ws: Workspace) -> str:
    """TRACKRECORD_SECRET_KEY; unset, a key generated once and kept beside a SQLite database
    file, so the demo signs in without setup. A server database needs the variable: workers
    that each made their own key would refuse one another's cookies."""
    if ws.settings.secret_key is not None:
        return ws.settings.secret_key.get_secret_value()
    url = ws.engine.url
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        raise ConfigError(None, "set TRACKRECORD_SECRET_KEY: the web app signs sessions with it",
                          field="TRACKRECORD_SECRET_KEY")
    path = Path(url.database).resolve().parent / SECRET_FILE
    if not path.exists():
        log.warning("TRACKRECORD_SECRET_KEY is not set: generated one in %s", path)
        path.touch(mode=0o600)
        path.write_text(secrets.token_urlsafe(48))
    return path.read_text().strip()
