"""The web app (DESIGN §7, §8): sign-in, scoped pages over stored evaluations, static files.

`create_app` takes an opened workspace, so the command line, the tests and a benchmark serve the
same app; `trackrecord serve` runs it under uvicorn.
"""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import quote

import plotly
from fastapi import FastAPI, Request
from fastapi.exceptions import HTTPException as FastAPIHTTPException
from fastapi.responses import FileResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException
from starlette.middleware.sessions import SessionMiddleware

import service
from dashboards.api import create_api
from dashboards.auth import SignInRequired
from dashboards.pages import router
from dashboards.record import router as record_router
from dashboards.rendering import make_templates, render
from dashboards.security import SecurityHeaders
from service import Workspace

__all__ = ["PLOTLY_JS", "create_app", "from_environment"]

STATIC = Path(__file__).resolve().parent / "static"
PLOTLY_JS = Path(plotly.__file__).resolve().parent / "package_data" / "plotly.min.js"
SESSION_COOKIE = "trackrecord_session"


@asynccontextmanager
async def _settled(_app: FastAPI) -> AsyncIterator[None]:
    """What is alive when serving starts (modules, configuration, templates) lives as long as
    the process: frozen out of the cycle collector, whose full passes over it made a page's
    slowest requests several times its median (overview p95 277 → 84 ms at 1,000 plans)."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()  # a process serving apps one after another (the tests) frees them


def create_app(ws: Workspace, *, https_only: bool = False) -> FastAPI:
    """The app over this workspace; `https_only` marks the session cookie Secure."""
    app = FastAPI(title="trackrecord", docs_url=None, redoc_url=None, openapi_url=None,
                  lifespan=_settled)
    app.state.workspace = ws
    app.state.templates = make_templates(ws.settings.zone)
    app.include_router(router)
    app.include_router(record_router)
    app.mount("/api/v1", create_api(ws))
    app.add_api_route("/static/vendor/plotly.min.js", _plotly_js, include_in_schema=False)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.add_exception_handler(SignInRequired, _to_sign_in)
    app.add_exception_handler(HTTPException, _error_page)
    app.add_middleware(
        SessionMiddleware,
        secret_key=service.session_secret(ws),
        session_cookie=SESSION_COOKIE,
        max_age=int(ws.settings.session_hours * 3600),
        same_site="lax",
        https_only=https_only,
    )
    app.add_middleware(SecurityHeaders)
    return app


def from_environment() -> FastAPI:
    """The app for an ASGI server that starts its own workers (`uvicorn --factory
    dashboards.app:from_environment --workers N`): each worker opens the workspace the
    environment names (TRACKRECORD_DATABASE_URL, TRACKRECORD_CONFIG_DIR, ...)."""
    return create_app(service.open_workspace())


def _plotly_js() -> FileResponse:
    """plotly.js from the installed package: deployments are often offline, so no CDN."""
    return FileResponse(PLOTLY_JS, media_type="text/javascript",
                        headers={"Cache-Control": "public, max-age=86400"})


async def _to_sign_in(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, SignInRequired)
    return RedirectResponse(f"/login?next={quote(exc.path)}", 303)


async def _error_page(request: Request, exc: Exception) -> Response:
    """"Nothing here" for every 404 (missing and out of scope alike); a short page otherwise."""
    assert isinstance(exc, HTTPException | FastAPIHTTPException)
    return render(request, "error.html", status_code=exc.status_code,
                  detail=exc.detail if exc.status_code != 404 else None)
