"""Sessions and CSRF: who is signed in, and that a form came from one of our pages.

The session lives in a signed, HttpOnly, SameSite=Lax cookie (Starlette's SessionMiddleware). It
holds the user name, the account's epoch and when the sign-in happened; every request checks the
account still exists with that epoch and that the sign-in is younger than the session length, so
a removal, a password change or the clock ends it.
"""

from __future__ import annotations

import secrets
import time
from typing import Any

from fastapi import HTTPException, Request

import service
from service import User, Workspace

__all__ = ["SignInRequired", "check_csrf", "csrf_token", "current_user", "sign_in", "signed_in"]


class SignInRequired(Exception):
    """Raised by `signed_in`; the app answers with a redirect to the sign-in page."""

    def __init__(self, path: str) -> None:
        self.path = path


def workspace(request: Request) -> Workspace:
    ws: Workspace = request.app.state.workspace
    return ws


def csrf_token(request: Request) -> str:
    """The session's token, made on first use: every form carries it back."""
    session: dict[str, Any] = request.session
    token = session.get("csrf")
    if not isinstance(token, str):
        token = session["csrf"] = secrets.token_urlsafe(32)
    return token


def check_csrf(request: Request, token: str) -> None:
    """403 unless the form's token is the session's."""
    expected = request.session.get("csrf")
    if not (isinstance(expected, str) and secrets.compare_digest(expected, token)):
        raise HTTPException(403, "This form has expired or did not come from this site.")


def sign_in(request: Request, user: User) -> None:
    """A fresh session (and CSRF token) for the account, so nothing carries over from before."""
    request.session.clear()
    request.session.update(
        user=user.name, epoch=user.epoch, since=time.time(), csrf=secrets.token_urlsafe(32)
    )


def current_user(request: Request) -> User | None:
    session = request.session
    name, since = session.get("user"), session.get("since")
    if not isinstance(name, str) or not isinstance(since, int | float):
        return None
    ws = workspace(request)
    user = service.find_user(ws, name)
    expired = time.time() - since > ws.settings.session_hours * 3600
    if user is None or user.epoch != session.get("epoch") or expired:
        session.clear()
        return None
    return user


def signed_in(request: Request) -> User:
    """The route dependency: the signed-in user, or a redirect to sign in."""
    user = current_user(request)
    if user is None:
        raise SignInRequired(request.url.path)
    request.state.user = user
    return user
