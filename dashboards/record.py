"""The plan's record in the app (DESIGN §8): the employee's acknowledgement, notes, checkpoint
outcomes, ratings and the decision, attributed to the signed-in user through the same service
functions the command line calls; downloads; the org summary and the audit log for HR.

Anything out of scope is the same 404 as something missing; in scope but not one's to write
(an employee's note, a manager's acknowledgement) is 403. Every write and download is audited.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

import service
from config.plans import Plan
from dashboards import exports
from dashboards.auth import check_csrf, signed_in, workspace
from dashboards.rendering import render
from service import User

__all__ = ["router"]

router = APIRouter()
SignedIn = Annotated[User, Depends(signed_in)]
Field = Annotated[str, Form()]


def _plan(request: Request, user: User, plan_id: str) -> Plan:
    plan = service.plan_in_scope(workspace(request), user, plan_id)
    if plan is None:
        raise HTTPException(404)
    return plan


def _write(request: Request, user: User, plan_id: str, token: str,
           action: Callable[[Plan], object]) -> Response:
    """CSRF, scope, then the service call; its refusals become 403 or 400 with the reason."""
    check_csrf(request, token)
    plan = _plan(request, user, plan_id)
    try:
        action(plan)
    except PermissionError as exc:
        raise HTTPException(403, str(exc)) from None
    except (LookupError, ValueError) as exc:
        raise HTTPException(400, str(exc)) from None
    return RedirectResponse(f"/plans/{plan_id}#record", 303)


def _recorder(request: Request, user: User, plan: Plan) -> str:
    """Who a rating or decision is by: the user's person, else the account (admin)."""
    if not service.may_record(workspace(request), user, plan):
        raise PermissionError("only the plan's manager, HR or an admin records this")
    return user.person or user.name


@router.post("/plans/{plan_id}/acknowledge")
def acknowledge(request: Request, plan_id: str, user: SignedIn, csrf_token: Field = "",
                comment: Field = "") -> Response:
    return _write(request, user, plan_id, csrf_token, lambda plan: service.acknowledge(
        workspace(request), user, plan.id, comment))


@router.post("/plans/{plan_id}/notes")
def note(request: Request, plan_id: str, user: SignedIn, csrf_token: Field = "",
         text: Field = "", checkpoint: Field = "", outcome: Field = "") -> Response:
    def add(plan: Plan) -> object:
        try:
            day = date.fromisoformat(checkpoint) if checkpoint else None
        except ValueError:
            raise ValueError(f"{checkpoint!r} is not a date (YYYY-MM-DD)") from None
        return service.add_note(workspace(request), user, plan.id, text, checkpoint=day,
                                outcome=outcome or None)

    return _write(request, user, plan_id, csrf_token, add)


@router.post("/plans/{plan_id}/ratings")
def rating(request: Request, plan_id: str, user: SignedIn, csrf_token: Field = "",
           name: Field = "", value: Annotated[int, Form()] = 0, note: Field = "") -> Response:
    return _write(request, user, plan_id, csrf_token, lambda plan: service.rate(
        workspace(request), plan.employee, name.strip(), value,
        by=_recorder(request, user, plan), note=note.strip(), actor=user.name))


@router.post("/plans/{plan_id}/decision")
def decision(request: Request, plan_id: str, user: SignedIn, csrf_token: Field = "",
             outcome: Field = "", reason: Field = "") -> Response:
    return _write(request, user, plan_id, csrf_token, lambda plan: service.decide(
        workspace(request), plan.id, outcome=outcome, by=_recorder(request, user, plan),
        reason=reason, actor=user.name, admin=user.role == "admin"))


def _download(download: exports.Download) -> Response:
    return Response(download.content, media_type=download.media_type, headers={
        "Content-Disposition": f'attachment; filename="{download.filename}"'})


@router.get("/plans/{plan_id}/export/{fmt}")
def plan_export(request: Request, plan_id: str, fmt: str, user: SignedIn, table: str = "goals"
                ) -> Response:
    plan = _plan(request, user, plan_id)
    try:
        made = exports.plan_download(workspace(request), plan.id, fmt, table=table)
    except (LookupError, ValueError) as exc:
        raise HTTPException(404 if fmt not in exports.FORMATS else 400, str(exc)) from None
    service.audit(workspace(request), actor=user.name, action="export", plan=plan.id,
                  person=plan.employee, detail={"format": fmt, "table": table})
    return _download(made)


def _hr(user: User) -> None:
    if user.role not in ("admin", "hr"):
        raise HTTPException(404)


@router.get("/org", response_class=HTMLResponse)
def org(request: Request, user: SignedIn) -> Response:
    _hr(user)
    return render(request, "org.html", rows=service.org_summary(workspace(request)),
                  formats=exports.ORG_FORMATS)


@router.get("/org/export/{fmt}")
def org_export(request: Request, fmt: str, user: SignedIn) -> Response:
    _hr(user)
    try:
        made = exports.org_download(workspace(request), fmt)
    except ValueError:
        raise HTTPException(404) from None
    service.audit(workspace(request), actor=user.name, action="export",
                  detail={"format": fmt, "org": True})
    return _download(made)


@router.get("/audit", response_class=HTMLResponse)
def audit_log(request: Request, user: SignedIn, plan: str = "", person: str = "") -> Response:
    _hr(user)
    ws = workspace(request)
    return render(request, "audit.html", entries=service.audit_entries(
        ws, plan=plan or None, person=person or None), check=service.verify_audit(ws),
        chosen={"plan": plan, "person": person}, plans=sorted(ws.config.plans),
        people=sorted(ws.config.people.people, key=lambda p: p.name))
