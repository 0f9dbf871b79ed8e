"""API bearer tokens (DESIGN §8, §10): `trackrecord users token NAME` prints one once; only its
sha256 is stored, so a copy of the database holds no usable token. A token acts as its account:
the same scope, and it stops working when the account is removed or the token revoked."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime

from sqlalchemy import insert, select, update

from service.audit import append
from service.tables import api_tokens
from service.users import User, find_user
from service.workspace import Workspace

__all__ = ["issue_token", "revoke_tokens", "token_user"]

PREFIX = "trk_"


def _digest(token: str) -> str:
    """sha256 suffices: a token is 256 random bits, nothing a dictionary could guess."""
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(ws: Workspace, name: str, *, actor: str = "system") -> str:
    """A new token for the account (shown once); LookupError for an unknown account."""
    if find_user(ws, name) is None:
        raise LookupError(f"no user {name!r}")
    token = PREFIX + secrets.token_urlsafe(32)
    with ws.engine.begin() as conn:
        conn.execute(insert(api_tokens).values(user_name=name, sha256=_digest(token),
                                               created=datetime.now(UTC), revoked=None))
        append(conn, actor=actor, action="token_issue", detail={"user": name})
    return token


def revoke_tokens(ws: Workspace, name: str, *, actor: str = "system") -> int:
    """Revoke every token of the account; how many were live."""
    with ws.engine.begin() as conn:
        done = conn.execute(update(api_tokens)
                            .where(api_tokens.c.user_name == name, api_tokens.c.revoked.is_(None))
                            .values(revoked=datetime.now(UTC)))
        append(conn, actor=actor, action="token_revoke", detail={"user": name,
                                                                  "tokens": done.rowcount})
    return int(done.rowcount)


def token_user(ws: Workspace, token: str) -> User | None:
    """The live account a token stands for, or None."""
    with ws.engine.connect() as conn:
        name = conn.execute(select(api_tokens.c.user_name).where(
            api_tokens.c.sha256 == _digest(token), api_tokens.c.revoked.is_(None))).scalar()
    return None if name is None else find_user(ws, name)
