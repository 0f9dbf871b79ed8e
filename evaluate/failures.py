"""Change failures: which deployments failed, and why, in words a reviewer can check.

A deployment is a change failure when its own state says so (failure, error, rolled back), or
when an incident on the service its repository runs (sources.yaml's top-level `services`) starts
within a window (`incident_window_hours`, 24 h by default) after the deployment started. The join
runs over every stored deployment, whichever source brought it (GitHub or a CSV import). Each
incident is laid at the door of the *latest* deployment before it on that service, never of
every deployment that day: two releases an hour apart do not both fail for one outage, which
matters when the count is someone's evidence (the same rule DevLake uses). The start (`created`)
is the deployment's time here, so an incident during a slow rollout belongs to that rollout, not
to the one before it.

Pure: frames in, a new frame out, nothing read or written elsewhere.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta

import pandas as pd

from evaluate.evidence import utc
from ingest.records import FAILED_DEPLOYMENT_STATES

DEFAULT_WINDOW = timedelta(hours=24)
REASON = "failure_reason"


def _state_reasons(deployments: pd.DataFrame) -> list[str | None]:
    states = deployments["state"].astype(str).str.lower()
    return [f"state: {state}" if state in FAILED_DEPLOYMENT_STATES else None for state in states]


def _incident_keys(incidents: pd.DataFrame) -> pd.Series:
    if "key" in incidents:
        return incidents["key"].astype(str)
    return incidents["source"].astype(str) + ":" + incidents["incident_id"].astype(str)


def _incident_reasons(
    deployments: pd.DataFrame,
    incidents: pd.DataFrame,
    services: Mapping[str, str],
    window: timedelta,
) -> list[str | None]:
    """Per deployment row, the first incident laid at its door, as text (else None)."""
    folded = {repo: service.casefold() for repo, service in services.items()}
    left = pd.DataFrame(
        {
            "service": incidents["service"].astype(str).str.casefold(),
            "shown": incidents["service"].astype(str),
            "incident": _incident_keys(incidents),
            "at": utc(incidents["created"]),
        }
    ).dropna(subset=["at"])
    right = pd.DataFrame(
        {
            "service": deployments["repo"].map(folded),
            "row": range(len(deployments)),
            "deployed": utc(deployments["created"]),
        }
    ).dropna(subset=["service", "deployed"])
    matched = pd.merge_asof(
        left[left["service"].isin(set(right["service"]))].sort_values("at"),
        right.astype({"service": str}).sort_values("deployed"),
        left_on="at",
        right_on="deployed",
        by="service",
        direction="backward",
        tolerance=pd.Timedelta(window),
    ).dropna(subset=["row"])
    first = matched.sort_values("at").drop_duplicates("row")
    hours = (first["at"] - first["deployed"]).dt.total_seconds() / 3600
    text = "incident " + first["incident"] + " on " + first["shown"] + " "
    text = text + hours.map(lambda h: f"{h:.1f} h after")
    reasons: list[str | None] = [None] * len(deployments)
    for row, reason in zip(first["row"].astype(int), text, strict=True):
        reasons[row] = reason
    return reasons


def mark_change_failures(
    deployments: pd.DataFrame,
    incidents: pd.DataFrame | None,
    *,
    services: Mapping[str, str],
    window: timedelta = DEFAULT_WINDOW,
) -> pd.DataFrame:
    """A copy of `deployments` with `failure_reason`: why it failed, or None.

    `deployments` needs repo, state and created; `incidents` service, created and either key or
    source + incident_id; `services` maps a repository (owner/name) to its incident service name
    (compared case-insensitively).
    """
    marked = deployments.copy()
    if marked.empty:
        marked[REASON] = pd.Series(dtype=object)
        return marked
    reasons = _state_reasons(marked)
    if incidents is not None and not incidents.empty and services:
        joined = _incident_reasons(marked, incidents, services, window)
        reasons = [
            "; ".join(filter(None, pair)) or None for pair in zip(reasons, joined, strict=True)
        ]
    marked[REASON] = pd.Series(reasons, index=marked.index, dtype=object)
    return marked


__all__ = ["DEFAULT_WINDOW", "mark_change_failures"]
