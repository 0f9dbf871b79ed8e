"""Goal suggestions (issue 5, item 10): a plan's first draft drawn from the person's own
baseline, so a manager starts from data rather than from a number picked in a meeting.

Per metric of the role's template (DESIGN §3, the "role" column): ask for 20% better than the
person's own baseline, but never for more than the rest of the team delivers over the same
window — a plan should not demand what the team itself does not achieve. Someone already at or
beyond the team's level is asked to hold their baseline. A baseline too thin to judge (DESIGN
§5.4, the same `min_samples` / `min_weeks` a goal uses) gets no suggestion rather than an
invented one, and a metric without a better direction (incidents_owned) is no goal at all.

Targets come out absolute (`at_most` / `at_least`), never `improve_by`: a plan's own baseline
window defaults to the plan's length and may differ from the one a suggestion was drawn from,
and an absolute number keeps what the manager saw. They are rounded to three significant
digits in the lenient direction, so rounding never makes a target stricter than its rule.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Any, Literal, cast, get_args
from zoneinfo import ZoneInfo

import yaml

from config.people import Person, Role
from config.plans import Better, Goal, Target
from evaluate.catalog import EventCatalog
from evaluate.compare import is_sufficient
from evaluate.evidence import Evidence
from evaluate.measure import Measurement, Request
from evaluate.metrics import METRICS, MetricSpec, quantity
from evaluate.results import json_number
from evaluate.windows import NO_EXCLUSIONS, Span, span

__all__ = [
    "BASELINE_DAYS",
    "BASIS_WORDS",
    "IMPROVEMENT",
    "Basis",
    "GoalSuggestion",
    "Suggestions",
    "choose_target",
    "role_template",
    "suggest_goals",
    "suggestion_window",
]

BASELINE_DAYS = 90
IMPROVEMENT = 0.2
SIGNIFICANT_DIGITS = 3
DEFAULT_MIN_SAMPLES: int = Goal.model_fields["min_samples"].default
DEFAULT_MIN_WEEKS: int = Goal.model_fields["min_weeks"].default

Basis = Literal["own_baseline", "team_level", "hold", "zero_baseline", "insufficient_data"]
BASIS_WORDS: dict[Basis, str] = {
    "own_baseline": "Own baseline",
    "team_level": "Team level",
    "hold": "Hold the baseline",
    "zero_baseline": "No suggestion: a zero baseline",
    "insufficient_data": "Not enough data",
}


def role_template(role: str) -> tuple[MetricSpec, ...]:
    """The catalog metrics DESIGN §3 gives the role; one without a direction cannot improve."""
    return tuple(spec for spec in METRICS.values() if role in spec.roles and spec.better)


def suggestion_window(start: date, as_of: date) -> tuple[date, date]:
    """The `BASELINE_DAYS` before the plan's start, cut at the as-of date: evidence from after
    the day the suggestion is made must not shape it (a later re-run gives the same answer).
    ValueError when the window would begin after the as-of day: none of it has happened yet."""
    first = start - timedelta(days=BASELINE_DAYS)
    if first > as_of:
        raise ValueError(
            f"a plan starting {start} has its baseline from {first}, after the as-of day "
            f"{as_of}: nothing in it can have been recorded yet; give an earlier --start "
            "or a later --as-of"
        )
    return first, min(start - timedelta(days=1), as_of)


def choose_target(baseline: float, team: float | None, better: Better, *, rate: bool = False
                  ) -> tuple[float | None, Basis]:
    """The less strict of "`IMPROVEMENT` better than the baseline" and the team's value; the
    baseline itself when the person already matches the team, or is at the best value there is.
    A rate stays within [0, 1].
    From a zero baseline, "20% more" is still zero: no target (None, "zero_baseline")."""
    sign = 1 if better == "higher" else -1
    if team is not None and (baseline - team) * sign >= 0:
        return baseline, "hold"
    if better == "higher" and baseline <= 0:
        return None, "zero_baseline"
    own = max(baseline * (1 + sign * IMPROVEMENT), 0.0)
    own = min(own, 1.0) if rate else own
    if own == baseline:  # a rate already at 0 or 1, or a zero duration: nothing to gain
        return baseline, "hold"
    if team is None or (own - team) * sign <= 0:
        return own, "own_baseline"
    return team, "team_level"


def _lenient(value: float, better: Better) -> float:
    """Three significant digits, rounded towards the easier side of the target."""
    if value == 0:
        return 0.0
    exact = Decimal(f"{value:.12g}")  # drop binary noise first: 0.12000000000000001 is 0.12
    quantum = Decimal(1).scaleb(exact.adjusted() - SIGNIFICANT_DIGITS + 1)
    rounding = ROUND_CEILING if better == "lower" else ROUND_FLOOR
    return float(exact.quantize(quantum, rounding=rounding))


def _target(value: float, better: Better) -> Target:
    return Target(at_most=value) if better == "lower" else Target(at_least=value)


@dataclass(frozen=True)
class GoalSuggestion:
    """One metric's proposal; `goal` is None when the data do not support one (see `why`)."""

    spec: MetricSpec
    baseline: Measurement
    team: Measurement  # the rest of the team, same window
    team_sufficient: bool
    goal: Goal | None
    basis: Basis
    why: str

    def to_json(self) -> dict[str, Any]:
        team = {"value": json_number(self.team.value), "n": self.team.n,
                "members": self.team.members, "sufficient": self.team_sufficient}
        return {
            "metric": self.spec.name,
            "statistic": self.spec.statistic,
            "better": self.spec.better,
            "unit": self.spec.unit,
            "baseline": {"value": json_number(self.baseline.value), "n": self.baseline.n,
                         "active_weeks": json_number(self.baseline.active_weeks)},
            "team": team,
            "target": None if self.goal is None else self.goal.target.model_dump(
                exclude_none=True),
            "basis": self.basis,
            "why": self.why,
        }


class _IndentedDumper(yaml.SafeDumper):
    """Indents list items under their key, as the hand-written example plans do."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        return super().increase_indent(flow, False)


@dataclass(frozen=True)
class Suggestions:
    """Every suggestion for one person, and the window they were drawn from."""

    person: str
    role: str
    team: str
    start: date
    as_of: date
    window: Span
    goals: tuple[GoalSuggestion, ...]

    def plan_goals(self) -> list[dict[str, Any]]:
        """The suggested goals as plan YAML data: only what differs from a goal's defaults."""
        return [
            s.goal.model_dump(mode="json", exclude_defaults=True, exclude_none=True)
            for s in self.goals if s.goal is not None
        ]

    def goals_yaml(self) -> str:
        """A `goals:` block to paste into plans/<id>.yaml, with where its numbers came from."""
        body = yaml.dump({"goals": self.plan_goals()}, Dumper=_IndentedDumper,
                         sort_keys=False, default_flow_style=None, allow_unicode=True)
        skipped = [s.spec.name for s in self.goals if s.goal is None]
        head = (f"# Suggested for {self.person} from the baseline {self.window.start} to "
                f"{self.window.end}; review each target before use.\n")
        tail = f"# No suggestion: {', '.join(skipped)}\n" if skipped else ""
        return head + body + tail

    def to_json(self) -> dict[str, Any]:
        return {
            "person": self.person, "role": self.role, "team": self.team,
            "start": self.start.isoformat(), "as_of": self.as_of.isoformat(),
            "baseline": {"start": self.window.start.isoformat(),
                         "end": self.window.end.isoformat()},
            "suggestions": [s.to_json() for s in self.goals],
            "yaml": self.goals_yaml(),
        }


def suggest_goals(person: str, *, evidence: Evidence, people: Sequence[Person], tz: ZoneInfo,
                  start: date, as_of: date, role: str | None = None,
                  min_samples: int = DEFAULT_MIN_SAMPLES, min_weeks: int = DEFAULT_MIN_WEEKS,
                  catalog: EventCatalog | None = None) -> Suggestions:
    """Suggestions for each metric of `role` (default: the person's role in people.yaml),
    measured over `suggestion_window(start, as_of)` for the person and the rest of their team.
    `catalog`: one already built from these very inputs, to share the events it derived.
    Raises LookupError for a person not in `people` or an unknown role."""
    found = {p.id: p for p in people}.get(person)
    if found is None:
        raise LookupError(f"{person!r} is not in people.yaml")
    roles = ", ".join(get_args(Role))
    if role is not None and role not in get_args(Role):
        raise LookupError(f"unknown role {role!r}; roles: {roles}")
    chosen = role or found.role
    if chosen is None or chosen not in get_args(Role):
        what = f"role {found.role!r}" if found.role else "no role"
        raise LookupError(
            f"{person} has {what} in people.yaml, so there is no role template of goals (only "
            f"{roles} have one): pass --role to choose one"
        )
    if catalog is None or not catalog.matches(evidence, people, tz):
        catalog = EventCatalog(evidence, people=people, tz=tz)
    window = span(*suggestion_window(start, as_of), tz)
    goals = tuple(
        _suggest(catalog, found, spec, window, min_samples=min_samples, min_weeks=min_weeks)
        for spec in role_template(chosen)
    )
    return Suggestions(person, chosen, found.team, start, as_of, window, goals)


def _suggest(catalog: EventCatalog, person: Person, spec: MetricSpec, window: Span, *,
             min_samples: int, min_weeks: int) -> GoalSuggestion:
    """Measure the person and the rest of the team exactly as an evaluation would."""
    requests = [Request(person.id, window, NO_EXCLUSIONS),
                Request(person.id, window, NO_EXCLUSIONS, team=person.team)]
    own, team = catalog.index(spec.name).measure(requests, spec.statistic)
    # A goal with this metric's defaults: sufficiency is judged exactly as the plan would be.
    probe = Goal(metric=spec.name, statistic=spec.statistic,
                 target=Target(improve_by=IMPROVEMENT), min_samples=min_samples,
                 min_weeks=min_weeks)
    team_ok = is_sufficient(team, spec.statistic, probe)  # never for a team of one
    if not is_sufficient(own, spec.statistic, probe) or own.value is None:
        return GoalSuggestion(spec, own, team, team_ok, None, "insufficient_data",
                              _too_little(own, spec, probe))
    better = cast(Better, spec.better)  # role_template keeps only metrics with a direction
    team_value = team.value if team_ok else None
    value, basis = choose_target(own.value, team_value, better, rate=spec.statistic == "rate")
    target = None if value is None else _lenient(value, better)
    goal = None if target is None else probe.model_copy(update={"target": _target(target, better)})
    why = _why(basis, own.value, team_value, team, quantity(spec.name, spec.statistic).format)
    return GoalSuggestion(spec, own, team, team_ok, goal, basis, why)


def _too_little(own: Measurement, spec: MetricSpec, probe: Goal) -> str:
    if spec.statistic == "per_week":
        return (f"no suggestion: only {own.active_weeks:.3g} active weeks "
                f"(needs {probe.min_weeks})")
    if spec.statistic == "count":
        return "no suggestion: the baseline window has no active time"
    return f"no suggestion: only {own.n} events (needs {probe.min_samples})"


def _why(basis: Basis, baseline: float, team_value: float | None, team: Measurement,
         shown: Callable[[float], str]) -> str:
    """Values in the metric's unit ("9.7%", "16.5 h"), as the page and the plan show them."""
    percent = f"{IMPROVEMENT:.0%}"
    if basis == "zero_baseline":
        return f"no suggestion: the baseline is 0, and {percent} more is still 0"
    if basis == "hold" and team_value is None:
        return f"hold: the baseline {shown(baseline)} is the best value there is"
    if basis == "hold":
        return (f"hold: the baseline {shown(baseline)} is at or beyond the team's "
                f"{shown(cast(float, team_value))}")
    if basis == "team_level":
        return f"the team's level: {percent} better than {shown(baseline)} would pass it"
    return (f"{percent} better than the baseline {shown(baseline)}; "
            f"{_team_note(team_value, team, shown)}")


def _team_note(team_value: float | None, team: Measurement, shown: Callable[[float], str]
               ) -> str:
    if team_value is not None:
        return f"the team is at {shown(team_value)}"
    if team.members == 0:
        return "no teammates to compare with"
    return f"too few team events to compare with ({team.n})"
