"""The pages. Each route gathers its inputs, calls one service function and renders: scope is
the service's, and anything out of scope is the same 404 as something that does not exist."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

import service
from dashboards.auth import (
    check_csrf,
    client_address,
    current_user,
    sign_in,
    signed_in,
    workspace,
)
from dashboards.rendering import render
from evaluate.suggest import BASIS_WORDS
from service import User

__all__ = ["router"]

router = APIRouter()
SignedIn = Annotated[User, Depends(signed_in)]


def _nothing_here() -> HTTPException:
    return HTTPException(404)


@router.get("/healthz", include_in_schema=False)
def healthz() -> JSONResponse:
    return JSONResponse({"status": "ok"})


@router.get("/", include_in_schema=False)
def home(request: Request) -> Response:
    user = current_user(request)
    return RedirectResponse(service.landing(workspace(request), user) if user else "/login", 303)


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request) -> Response:
    return render(request, "login.html")


def _safe_next(path: str) -> str | None:
    """Only a path on this site: never another host (`//evil`, `/\\evil`)."""
    return path if path.startswith("/") and not path.startswith(("//", "/\\")) else None


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
    next_path: Annotated[str, Form(alias="next")] = "",
) -> Response:
    check_csrf(request, csrf_token)
    ws, address = workspace(request), client_address(request)
    if service.sign_in_refused(ws, name=username, address=address):
        service.failed_sign_in(ws, name=username, address=address, refused=True)
        return render(request, "login.html", status_code=429, error="Too many attempts. "
                      "Wait ten minutes, then try again.", username=username)
    user = service.authenticate(ws, username, password)
    if user is None:
        service.failed_sign_in(ws, name=username, address=address)
        return render(request, "login.html", status_code=401, username=username,
                      error="That name and password do not match an account.")
    sign_in(request, user)
    return RedirectResponse(_safe_next(next_path) or service.landing(ws, user), 303)


@router.post("/logout")
def logout(request: Request, csrf_token: Annotated[str, Form()] = "") -> Response:
    check_csrf(request, csrf_token)
    request.session.clear()
    return RedirectResponse("/login", 303)


@router.get("/plans", response_class=HTMLResponse)
def plans(request: Request, user: SignedIn, team: str = "", manager: str = "",
          outcome: str = "", attention: str = "", sort: str = "", order: str = "",
          page: int = 1) -> Response:
    view = service.plans_overview(workspace(request), user, team=team or None,
                                  manager=manager or None, outcome=outcome or None,
                                  attention=bool(attention), sort=sort or "person",
                                  descending=order == "desc", page=page)
    chosen = {"team": team, "manager": manager, "outcome": outcome,
              "attention": "1" if attention else "", "sort": sort if sort == view.sort else "",
              "order": "desc" if view.descending else ""}
    return render(request, "overview.html", view=view, chosen=chosen,
                  link=_overview_link(chosen))


def _overview_link(chosen: dict[str, str]) -> Callable[..., str]:
    """`link(page=2)`, `link(sort="outcome", order="desc")`: the overview with the filters and
    the sort chosen, changed as told; empty values are left out of the address."""
    def link(**changes: str | int) -> str:
        query = {name: value for name, value in {**chosen, **changes}.items() if value}
        return f"/plans?{urlencode(query)}" if query else "/plans"

    return link


@router.get("/plans/{plan_id}", response_class=HTMLResponse)
def plan(request: Request, plan_id: str, user: SignedIn) -> Response:
    page = service.plan_page(workspace(request), user, plan_id)
    if page is None:
        raise _nothing_here()
    service.audit(workspace(request), actor=user.name, action="view", plan=plan_id,
                  person=page.row.plan.employee, detail={"page": "plan"})
    return render(request, "plan.html", page=page, outcomes=service.OUTCOMES)


@router.get("/people/{person_id}", response_class=HTMLResponse)
def person(request: Request, person_id: str, user: SignedIn, start: str = "") -> Response:
    """`start`: the first day of the plan being prepared (YYYY-MM-DD); one that is not a date
    is named on the page, and the default day is used."""
    chosen = _iso_day(start)
    ws = workspace(request)
    page = service.person_page(ws, user, person_id, start=chosen)
    if page is None:
        raise _nothing_here()
    service.audit(ws, actor=user.name, action="view", person=person_id,
                  detail={"page": "person"})
    return render(request, "person.html", page=page, basis_words=BASIS_WORDS,
                  start_problem=start if start and chosen is None else None)


def _iso_day(text: str) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


@router.get("/sync", response_class=HTMLResponse)
def sync_status(request: Request, user: SignedIn) -> Response:
    if user.role not in ("admin", "hr"):
        raise _nothing_here()
    ws = workspace(request)
    last, failed = service.sync_runs(ws)
    return render(request, "sync.html", last=last, failed=failed,
                  held=service.quarantined(ws), unmatched=service.stored_unmatched(ws))
