"""The web app: FastAPI routes and Jinja templates over the service layer (DESIGN §7, §8)."""

from dashboards.app import create_app

__all__ = ["create_app"]
