"""Sessions and CSRF: who is signed in, and that a form came from one of our pages.

The session lives in a signed, HttpOnly, SameSite=Lax cookie (Starlette's SessionMiddleware). It
holds the user name, the account's epoch and when the sign-in happened; every request checks the
account still exists with that epoch and that the sign-in is younger than the session length, so
a removal, a password change or the clock ends it.

Behind a single sign-on proxy (TRACKRECORD_TRUSTED_USER_HEADER), the header names the account,
but only on requests from TRACKRECORD_TRUSTED_PROXIES: anyone else could send it too.
"""

from __future__ import annotations

import secrets
import time
from ipaddress import ip_address
from typing import Any

from fastapi import HTTPException, Request

import service
from service import User, Workspace

__all__ = ["SignInRequired", "check_csrf", "client_address", "csrf_token", "current_user",
           "sign_in", "signed_in", "workspace"]


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


def client_address(request: Request) -> str:
    return request.client.host if request.client else ""


def sign_in(request: Request, user: User, *, via: str = "password") -> None:
    """A fresh session (and CSRF token) for the account, so nothing carries over from before;
    the audit log notes it."""
    request.session.clear()
    request.session.update(
        user=user.name, epoch=user.epoch, since=time.time(), csrf=secrets.token_urlsafe(32)
    )
    service.audit(workspace(request), actor=user.name, action="sign_in", person=user.person,
                  detail={"via": via, "address": client_address(request)})


def _from_trusted_proxy(request: Request) -> bool:
    networks = workspace(request).settings.proxy_networks
    try:
        address = ip_address(client_address(request))
    except ValueError:  # no address at all (a test transport): never trusted
        return False
    return any(address in network for network in networks)


def _proxy_name(request: Request) -> str | None:
    """The account name the trusted proxy's header gives; None when there is none to believe."""
    header = workspace(request).settings.trusted_user_header
    name = request.headers.get(header) if header else None
    return name if name and _from_trusted_proxy(request) else None


def _proxy_user(request: Request, name: str) -> User | None:
    """The header decides: its account, signed in on first sight, or (an unknown name) nobody."""
    user = service.find_user(workspace(request), name)
    session = request.session
    if user is None:
        session.clear()
    elif (session.get("user"), session.get("epoch")) != (user.name, user.epoch):
        sign_in(request, user, via="proxy")
    return user


def current_user(request: Request) -> User | None:
    proxied = _proxy_name(request)
    if proxied is not None:
        return _proxy_user(request, proxied)
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
