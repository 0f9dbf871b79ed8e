"""Jinja templates with the pages' filters, and the one render call every route makes."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.templating import Jinja2Templates
from starlette.responses import Response

from dashboards.auth import csrf_token
from dashboards.formatting import register

__all__ = ["TEMPLATES", "render"]

TEMPLATES = Path(__file__).resolve().parent / "templates"


def templates(request: Request) -> Jinja2Templates:
    found: Jinja2Templates = request.app.state.templates
    return found


def make_templates(zone: ZoneInfo) -> Jinja2Templates:
    made = Jinja2Templates(directory=TEMPLATES)
    register(made.env, zone)
    return made


def render(request: Request, name: str, *, status_code: int = 200, **context: Any) -> Response:
    """The page, with the signed-in user (if any) and the session's CSRF token for its forms."""
    context.update(user=getattr(request.state, "user", None), csrf=csrf_token(request))
    return templates(request).TemplateResponse(request, name, context, status_code=status_code)
