"""The case file: every version of a plan, the ratings people enter and the human decisions.

The YAML file is what managers edit; the database keeps every version they ever saved, so an
evaluation or a snapshot can always name (and show) the exact plan it judged.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Connection, insert, select

from config.plans import Plan
from evaluate.metrics import is_known_metric
from ingest.records import Rating
from ingest.store import upsert_records
from service.audit import append
from service.tables import decisions, plan_versions

# What a person may decide: the recommendation's outcomes, or more time.
OUTCOMES = ("successful_completion", "partial_improvement", "insufficient_improvement", "extended")
# Decisions that close a plan; more time keeps it open.
FINAL_OUTCOMES = tuple(outcome for outcome in OUTCOMES if outcome != "extended")


def _canonical(plan: Plan) -> dict[str, Any]:
    content: dict[str, Any] = json.loads(plan.model_dump_json(by_alias=True))
    return content


def _digest(content: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


@dataclass(frozen=True)
class PlanVersion:
    plan_id: str
    version: int
    content: dict[str, Any]
    created: datetime


def record_version(conn: Connection, plan: Plan, *, now: datetime) -> int:
    """The plan's current version number, storing a new version when its content changed."""
    content = _canonical(plan)
    latest = conn.execute(
        select(plan_versions.c.version, plan_versions.c.sha256)
        .where(plan_versions.c.plan_id == plan.id)
        .order_by(plan_versions.c.version.desc())
        .limit(1)
    ).first()
    if latest is not None and latest.sha256 == _digest(content):
        return int(latest.version)
    version = 1 if latest is None else int(latest.version) + 1
    conn.execute(
        insert(plan_versions).values(
            plan_id=plan.id, version=version, content=content, sha256=_digest(content), created=now
        )
    )
    append(conn, actor="config", action="plan_version", plan=plan.id, person=plan.employee,
           detail={"version": version, "sha256": _digest(content)})
    return version


def history(conn: Connection, plan_id: str) -> list[PlanVersion]:
    rows = conn.execute(
        select(plan_versions).where(plan_versions.c.plan_id == plan_id).order_by("version")
    )
    return [PlanVersion(r.plan_id, r.version, r.content, r.created) for r in rows]


def changes(old: Any, new: Any, prefix: str = "") -> list[str]:
    """Readable field changes between two versions, e.g. `goals[0].target.at_most: 24 → 20`."""
    if isinstance(old, dict) and isinstance(new, dict):
        return [
            line
            for k in sorted(old.keys() | new.keys(), key=str)
            for line in changes(old.get(k), new.get(k), f"{prefix}.{k}" if prefix else k)
        ]
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        return [
            line
            for i, (a, b) in enumerate(zip(old, new, strict=True))
            for line in changes(a, b, f"{prefix}[{i}]")
        ]
    return [] if old == new else [f"{prefix}: {json.dumps(old)} → {json.dumps(new)}"]


def record_decision(
    conn: Connection,
    *,
    plan_id: str,
    version: int,
    recommended: str,
    outcome: str,
    decided_by: str,
    reason: str,
    now: datetime,
    against: tuple[date, datetime] | None = None,
) -> None:
    """The human decision sits beside the recommendation; the tool never decides. `against`:
    the (as_of, computed_at) of the evaluation the person decided on."""
    if outcome not in OUTCOMES:
        raise ValueError(f"outcome must be one of {', '.join(OUTCOMES)}")
    if not reason.strip():
        raise ValueError("a decision needs a reason")
    conn.execute(
        insert(decisions).values(
            plan_id=plan_id,
            version=version,
            recommended=recommended,
            outcome=outcome,
            decided_by=decided_by,
            decided_at=now,
            reason=reason,
            evaluation_as_of=against[0] if against else None,
            evaluation_computed_at=against[1] if against else None,
        )
    )


@dataclass(frozen=True)
class Decision:
    outcome: str
    recommended: str
    by: str
    at: datetime
    reason: str
    version: int
    evaluation_as_of: date | None = None  # the evaluation decided on, when recorded
    evaluation_computed_at: datetime | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "outcome": self.outcome,
            "recommended": self.recommended,
            "by": self.by,
            "at": self.at.isoformat(),
            "reason": self.reason,
            "version": self.version,
            "evaluation": None if self.evaluation_as_of is None else {
                "as_of": self.evaluation_as_of.isoformat(),
                "computed_at": self.evaluation_computed_at.isoformat()
                if self.evaluation_computed_at else None,
            },
        }


def latest_decision(conn: Connection, plan_id: str) -> Decision | None:
    found = plan_decisions(conn, plan_id)
    return found[-1] if found else None


def plan_decisions(conn: Connection, plan_id: str) -> list[Decision]:
    """Every decision on the plan, oldest first: a report files them all, not only the last."""
    rows = conn.execute(
        select(decisions)
        .where(decisions.c.plan_id == plan_id)
        .order_by(decisions.c.decided_at, decisions.c.id)
    )
    return [
        Decision(outcome=row.outcome, recommended=row.recommended, by=row.decided_by,
                 at=row.decided_at, reason=row.reason, version=row.version,
                 evaluation_as_of=row.evaluation_as_of,
                 evaluation_computed_at=row.evaluation_computed_at)
        for row in rows
    ]


def add_rating(
    conn: Connection,
    *,
    person: str,
    name: str,
    value: int,
    author: str,
    note: str,
    at: datetime | None = None,
    source: str = "trackrecord",
) -> Rating:
    """A rating out of 1–5 or by the person rated is refused by `Rating` itself (ValueError)."""
    if not is_known_metric(f"rating:{name}"):
        raise ValueError(
            f"rating name {name!r}: use letters, digits, '_', '.' or '-' "
            f"(plans refer to it as the metric rating:NAME)"
        )
    rating = Rating(
        source=source,
        rating_id=uuid.uuid4().hex,
        person=person,
        name=name,
        value=value,
        author=author,
        at=at or datetime.now(UTC),
        note=note,
    )
    upsert_records(conn, [rating])
    return rating


__all__ = [
    "FINAL_OUTCOMES",
    "OUTCOMES",
    "Decision",
    "PlanVersion",
    "add_rating",
    "changes",
    "history",
    "latest_decision",
    "plan_decisions",
    "record_decision",
    "record_version",
]
