"""The JSON API under /api/v1 (DESIGN §10): plans in scope, a plan's stored evaluation, its
snapshots and the records behind its goals, for scripts with a bearer token from
`trackrecord users token NAME`.

A token acts as its account, with the pages' scope: a plan outside it answers the same 404 as a
plan that does not exist. FastAPI writes the OpenAPI schema from the typed response models, at
/api/v1/openapi.json.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict

import service
from config.plans import Plan
from dashboards.auth import workspace
from service import User, Workspace

__all__ = ["create_api"]

bearer = HTTPBearer(auto_error=False, description="A token from `trackrecord users token NAME`.")


def token_user(request: Request, credentials: Annotated[
        HTTPAuthorizationCredentials | None, Depends(bearer)]) -> User:
    user = service.token_user(workspace(request), credentials.credentials) \
        if credentials else None
    if user is None:
        raise HTTPException(401, "a valid bearer token is required",
                            headers={"WWW-Authenticate": "Bearer"})
    return user


TokenUser = Annotated[User, Depends(token_user)]


class PlanSummary(BaseModel):
    id: str
    employee: str
    manager: str
    hr_partner: str | None
    start: date
    end: date
    version: int
    outcome: str  # recommended so far; not_evaluated before the first evaluation
    as_of: date | None
    computed_at: datetime | None
    acknowledgement_pending: bool


class Evaluation(BaseModel):
    """The object `trackrecord evaluate --json` prints; fields beyond these pass through."""

    model_config = ConfigDict(extra="allow")
    plan: str
    version: int
    as_of: date
    outcome: str
    goals: list[dict[str, Any]]
    decision: dict[str, Any] | None = None


class SnapshotOut(BaseModel):
    id: int
    plan: str
    seq: int
    kind: str
    taken_at: datetime
    as_of: date
    outcome: str
    plan_version: int
    definitions_version: str
    previous_hash: str
    hash: str
    evaluation: dict[str, Any]


class EvidenceRecord(BaseModel):
    key: str
    window: str  # baseline | current
    kind: str | None  # None: no stored record has this key (any more)
    title: str | None
    url: str | None
    at: datetime | None


class GoalEvidence(BaseModel):
    metric: str
    status: str
    records: list[EvidenceRecord]


def _plan(ws: Workspace, user: User, plan_id: str) -> Plan:
    plan = service.plan_in_scope(ws, user, plan_id)
    if plan is None:
        raise HTTPException(404, "no such plan")
    service.audit(ws, actor=user.name, action="view", plan=plan.id, person=plan.employee,
                  detail={"api": True})
    return plan


def list_plans(request: Request, user: TokenUser) -> list[PlanSummary]:
    """Every plan the token's account may see, by id."""
    ws = workspace(request)
    return [
        PlanSummary(id=row.plan.id, employee=row.plan.employee, manager=row.plan.manager,
                    hr_partner=row.plan.hr_partner, start=row.plan.start, end=row.plan.end,
                    version=ws.versions[row.plan.id], outcome=row.outcome,
                    as_of=row.evaluation.as_of if row.evaluation else None,
                    computed_at=row.evaluation.computed_at if row.evaluation else None,
                    acknowledgement_pending=row.pending_acknowledgement)
        for row in service.plans_in_scope(ws, user)
    ]


def evaluation(request: Request, plan_id: str, user: TokenUser) -> Evaluation:
    """The plan's stored evaluation; 404 before the first one."""
    ws = workspace(request)
    stored = service.stored_evaluation(ws, _plan(ws, user, plan_id).id)
    if stored is None:
        raise HTTPException(404, "not evaluated yet")
    return Evaluation.model_validate(stored.payload)


def snapshots(request: Request, plan_id: str, user: TokenUser) -> list[SnapshotOut]:
    """The plan's hash-chained snapshots, oldest first."""
    ws = workspace(request)
    return [SnapshotOut.model_validate(shot.to_json())
            for shot in service.snapshots(ws, _plan(ws, user, plan_id).id)]


def evidence(request: Request, plan_id: str, user: TokenUser) -> list[GoalEvidence]:
    """Per goal, every record behind its baseline and current values."""
    ws = workspace(request)
    goals = service.plan_evidence(ws, user, _plan(ws, user, plan_id).id) or []
    return [
        GoalEvidence(metric=str(goal.result["metric"]), status=str(goal.result["status"]),
                     records=[EvidenceRecord(
                         key=item.key, window=item.window,
                         kind=item.record.kind if item.record else None,
                         title=item.record.title if item.record else None,
                         url=item.record.url if item.record else None,
                         at=item.record.at if item.record else None)
                         for item in goal.evidence])
        for goal in goals
    ]


def create_api(ws: Workspace) -> FastAPI:
    """The API app, mounted by `dashboards.create_app` at /api/v1."""
    api = FastAPI(title="trackrecord API", version="1", docs_url=None, redoc_url=None,
                  openapi_url="/openapi.json")
    api.state.workspace = ws
    api.add_api_route("/plans", list_plans, methods=["GET"])
    api.add_api_route("/plans/{plan_id}/evaluation", evaluation, methods=["GET"])
    api.add_api_route("/plans/{plan_id}/snapshots", snapshots, methods=["GET"])
    api.add_api_route("/plans/{plan_id}/evidence", evidence, methods=["GET"])
    return api
