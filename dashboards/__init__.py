"""The web app: FastAPI routes and Jinja templates over the service layer (DESIGN §7, §8)."""

from dashboards.app import GoalFigure, create_app

__all__ = ["GoalFigure", "create_app"]
