"""Builders for tiny evidence frames in the loader's shape (see evaluate.metrics)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from config.people import Person
from config.plans import Plan

UTC = ZoneInfo("UTC")
BERLIN = ZoneInfo("Europe/Berlin")


def at(text: str | None) -> pd.Timestamp:
    """A UTC instant from ISO text (NaT for None)."""
    return pd.NaT if text is None else pd.Timestamp(text, tz="UTC")


def frame(rows: Iterable[dict[str, Any]]) -> pd.DataFrame:
    """A frame whose datetime columns are tz-aware UTC, as the loader gives them."""
    out = pd.DataFrame(list(rows))
    for column in ("created", "resolved", "at", "merged", "submitted", "ready_for_review",
                   "finished", "acknowledged", "updated"):
        if column in out:
            out[column] = pd.to_datetime(out[column], utc=True)
    return out


def ticket(key: str, person: str | None, created: str, resolved: str | None = None, *,
           category: str | None = None, due: date | None = None) -> dict[str, Any]:
    return {
        "key": f"jira:{key}", "url": f"https://jira/{key}", "ticket_key": key, "status": "x",
        "status_category": category or ("done" if resolved else "indeterminate"),
        "person": person, "created": at(created), "updated": at(created),
        "resolved": at(resolved), "due": due,
    }


def status(key: str, when: str, old: str, new: str) -> dict[str, Any]:
    return {"key": f"jira:{key}/{when}/s", "ticket": f"jira:{key}", "at": at(when),
            "field": "status", "from_value": old, "to_value": new, "from_person": None,
            "to_person": None}


def assign(key: str, when: str, old: str | None, new: str | None) -> dict[str, Any]:
    return {"key": f"jira:{key}/{when}/a", "ticket": f"jira:{key}", "at": at(when),
            "field": "assignee", "from_value": old, "to_value": new, "from_person": old,
            "to_person": new}


def pull(number: int, person: str, created: str, merged: str | None = None, *,
         ready: str | None = None, bot: bool = False) -> dict[str, Any]:
    return {"key": f"github:acme/api/{number}", "url": "u", "repo": "acme/api",
            "number": number, "person": person, "created": at(created),
            "ready_for_review": at(ready), "merged": at(merged), "closed": at(merged),
            "additions": 1, "deletions": 1, "is_bot": bot}


def review(rid: str, number: int, person: str, state: str, submitted: str, *,
           bot: bool = False) -> dict[str, Any]:
    return {"key": f"github:review/{rid}", "url": "u", "pr": f"github:acme/api/{number}",
            "person": person, "state": state, "submitted": at(submitted), "is_bot": bot}


def sample(series: str, metric: str, when: str, value: object, *, person: str | None = "ann",
           team: str | None = None) -> dict[str, Any]:
    """A stored sample as the loader gives it: its key names source, series and instant."""
    stamp = int(pd.Timestamp(when, tz="UTC").timestamp())
    return {"key": f"prometheus:{series}/{stamp}", "source": "prometheus", "series": series,
            "metric": metric, "person": person, "team": team, "at": when, "value": value}


def person(pid: str, team: str = "desk") -> Person:
    return Person(id=pid, name=pid.title(), email=f"{pid}@example.com", team=team,
                  role="support")


def plan(**overrides: Any) -> Plan:
    base: dict[str, Any] = {
        "id": "ann-q4", "employee": "ann", "manager": "max", "start": "2026-09-07",
        "end": "2026-10-04", "baseline": {"start": "2026-08-03", "end": "2026-08-30"},
        "goals": [{"metric": "ticket_resolution_hours", "target": {"at_most": 10},
                   "min_samples": 2, "min_weeks": 2}],
    }
    return Plan.model_validate({**base, **overrides})


@pytest.fixture
def people() -> list[Person]:
    return [person("ann"), person("bob"), person("cat"), person("dan", team="other")]
