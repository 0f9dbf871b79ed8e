"""Deployment, incident, sample and rating metrics, and the catalog itself."""

from __future__ import annotations

import pandas as pd
import pytest

from config.plans import MetricRule
from evaluate.metrics import (
    METRICS,
    is_known_metric,
    metric_events,
    metric_names,
    metric_rules,
    metric_spec,
)
from tests.evaluate.conftest import BERLIN, at, frame, sample


def values(events: pd.DataFrame) -> dict[str, float]:
    return dict(zip(events["key"], events["value"], strict=True))


def deployment(n: int, state: str, finished: str | None = "2026-01-02", *,
               reason: str | None = None, bot: bool = False) -> dict:
    return {"key": f"github:deployment/{n}", "url": "u", "repo": "acme/api",
            "environment": "production", "person": "ann", "created": at("2026-01-01"),
            "finished": at(finished), "state": state, "failure_reason": reason, "is_bot": bot}


@pytest.fixture
def deployments() -> dict[str, pd.DataFrame]:
    return {"deployment": frame([
        deployment(1, "success"),
        deployment(2, "failure"),
        deployment(3, "error"),
        deployment(4, "inactive"),  # superseded after succeeding
        deployment(5, "success", reason="incident P1 on checkout within 24 h"),
        deployment(6, "in_progress", None),
        deployment(7, "success", bot=True),
        deployment(8, "queued"),
    ])}


def test_deployments_count_finished_human_deployments(deployments):
    events = metric_events("deployments", deployments)
    assert sorted(events["key"]) == [f"github:deployment/{n}" for n in (1, 2, 3, 4, 5)]
    assert set(events["at"]) == {at("2026-01-02")}


def test_success_and_change_failure_rates(deployments):
    assert values(metric_events("deployment_success_rate", deployments)) == {
        f"github:deployment/{n}": v for n, v in [(1, 1.0), (2, 0.0), (3, 0.0), (4, 1.0), (5, 1.0)]
    }
    assert values(metric_events("change_failure_rate", deployments)) == {
        f"github:deployment/{n}": v for n, v in [(1, 0.0), (2, 1.0), (3, 1.0), (4, 0.0), (5, 1.0)]
    }


def test_a_rolled_back_deployment_is_finished_and_failed():
    """CSV imports say `rolled_back`, and may leave `finished` empty: the start stands in."""
    evidence = {"deployment": frame([
        deployment(1, "success"),
        deployment(2, "rolled_back"),
        deployment(3, "ROLLED_BACK", None),
    ])}
    events = metric_events("deployments", evidence)
    assert dict(zip(events["key"], events["at"], strict=True)) == {
        "github:deployment/1": at("2026-01-02"),
        "github:deployment/2": at("2026-01-02"),
        "github:deployment/3": at("2026-01-01"),  # no finish: its start
    }
    assert values(metric_events("change_failure_rate", evidence)) == {
        "github:deployment/1": 0.0, "github:deployment/2": 1.0, "github:deployment/3": 1.0,
    }
    assert values(metric_events("deployment_success_rate", evidence))["github:deployment/2"] == 0


def test_incident_metrics():
    evidence = {"incident": frame([
        {"key": "pagerduty:P1", "url": "u", "service": "s", "urgency": "high", "person": "ann",
         "created": at("2026-01-01T00:00"), "acknowledged": at("2026-01-01T00:12"),
         "resolved": at("2026-01-01T03:00")},
        {"key": "pagerduty:P2", "url": "u", "service": "s", "urgency": "low", "person": "bob",
         "created": at("2026-01-02T00:00"), "acknowledged": None, "resolved": None},
        {"key": "pagerduty:P3", "url": "u", "service": "s", "urgency": "low", "person": "bob",
         "created": at("2026-01-03T00:00"), "acknowledged": at("2026-01-02T00:00"),
         "resolved": at("2026-01-02T00:00")},  # clocks out of order: a problem, not a value
    ])}
    mttr = metric_events("incident_mttr_hours", evidence)
    assert values(mttr.dropna(subset="value")) == {"pagerduty:P1": 3.0}
    assert mttr.set_index("key")["problem"].to_dict() == {
        "pagerduty:P1": None, "pagerduty:P3": "resolved before created"}
    mtta = metric_events("incident_mtta_minutes", evidence).dropna(subset="value")
    assert values(mtta) == {"pagerduty:P1": 12.0}  # never acknowledged: no time
    assert list(mtta["at"]) == [at("2026-01-01T00:12")]
    owned = metric_events("incidents_owned", evidence)
    assert values(owned) == {"pagerduty:P1": 1.0, "pagerduty:P2": 1.0, "pagerduty:P3": 1.0}
    assert METRICS["incidents_owned"].better is None


def test_samples_belong_to_a_person_or_a_team():
    evidence = {"sample": frame([
        sample("s", "error_rate", "2026-01-01T00:00", 0.02),
        sample("t", "error_rate", "2026-01-01T00:05", 0.04, person=None, team="team:platform"),
        sample("u", "availability", "2026-01-01T00:00", 1.0),
        sample("u", "availability", "2026-01-01T00:05", 0.0),
        sample("v", "availability", "2026-01-01T00:10", 1.0, person=None),  # owned by no one
    ])}
    errors = metric_events("error_rate", evidence)
    assert values(errors) == {"prometheus:s/2026-01-01": 0.02, "prometheus:t/2026-01-01": 0.04}
    assert list(errors["person"]) == ["ann", None]
    assert list(errors["team"]) == [None, "platform"]
    assert values(metric_events("availability", evidence)) == {"prometheus:u/2026-01-01": 0.5}


def test_a_day_of_samples_is_one_event():
    """DESIGN §5.10: five-minute samples are autocorrelated, so a series' day (in the
    configured zone) is the unit: its mean, or its share of up samples, keyed by the day."""
    evidence = {"sample": frame([
        sample("s", "error_rate", "2026-01-01T00:00", 0.01),
        sample("s", "error_rate", "2026-01-01T12:00", 0.03),
        sample("s", "error_rate", "2026-01-01T23:30", 0.08),  # 2 January in Berlin
        sample("s", "error_rate", "2026-01-02T10:00", 0.04),
        sample("t", "error_rate", "2026-01-01T10:00", 0.50),  # another series: its own day
        *(sample("u", "availability", f"2026-01-01T0{h}:00", float(h != 3)) for h in range(4)),
    ])}
    utc = metric_events("error_rate", evidence)
    assert values(utc) == pytest.approx({
        "prometheus:s/2026-01-01": 0.04, "prometheus:s/2026-01-02": 0.04,
        "prometheus:t/2026-01-01": 0.50})
    assert list(utc["at"]) == [at("2026-01-01"), at("2026-01-02"), at("2026-01-01")]
    berlin = metric_events("error_rate", evidence, tz=BERLIN)
    assert values(berlin) == pytest.approx({
        "prometheus:s/2026-01-01": 0.02, "prometheus:s/2026-01-02": 0.06,
        "prometheus:t/2026-01-01": 0.50})
    assert berlin["at"].iloc[1] == at("2026-01-01T23:00")  # Berlin's midnight, in UTC
    assert values(metric_events("availability", evidence)) == {"prometheus:u/2026-01-01": 0.75}


def test_no_samples_give_no_day_events():
    assert metric_events("error_rate", {}).empty
    assert metric_events("availability", {"sample": frame([
        sample("s", "error_rate", "2026-01-01", 0.01)])}).empty


def test_non_finite_sample_values_are_not_measurements():
    """Prometheus writes 0/0 and x/0 as NaN and +Inf; an infinite error rate would make the
    day's mean infinite, and an infinite availability sample would read as "down"."""
    def at_noon(metric: str, value: object) -> dict:
        return sample("s" if metric == "error_rate" else "u", metric, "2026-01-01T12:00", value)

    evidence = {"sample": frame([
        at_noon("error_rate", 0.02), at_noon("error_rate", float("inf")),
        at_noon("error_rate", "+Inf"), at_noon("error_rate", float("-inf")),
        at_noon("error_rate", "NaN"), at_noon("availability", 1.0),
        at_noon("availability", "+Inf"), at_noon("availability", float("inf")),
    ])}
    assert values(metric_events("error_rate", evidence)) == {"prometheus:s/2026-01-01": 0.02}
    assert values(metric_events("availability", evidence)) == {"prometheus:u/2026-01-01": 1.0}


def test_ratings_by_name():
    evidence = {"rating": frame([
        {"key": "app:r1", "person": "ann", "name": "communication", "value": 4, "author": "max",
         "at": "2026-01-01", "note": ""},
        {"key": "app:r2", "person": "ann", "name": "ownership", "value": 2, "author": "max",
         "at": "2026-01-01", "note": ""},
    ])}
    assert values(metric_events("rating:communication", evidence)) == {"app:r1": 4.0}
    spec = metric_spec("rating:communication")
    assert (spec.statistic, spec.better, spec.kinds) == ("mean", "higher", ("rating",))


def test_catalog():
    assert set(metric_names()) == set(METRICS) and len(METRICS) == 19
    assert is_known_metric("rating:code-quality") and not is_known_metric("rating:")
    assert not is_known_metric("lines_of_code")
    with pytest.raises(KeyError, match="unknown metric"):
        metric_spec("lines_of_code")
    assert METRICS["aged_open_tickets"].statistics == ("count",)
    assert METRICS["ticket_reopen_rate"].statistics == ("rate", "mean", "per_week")
    assert METRICS["ticket_resolution_hours"].statistics == ("median", "mean", "per_week")
    for spec in METRICS.values():
        assert spec.statistic in spec.statistics
        assert spec.unit and spec.roles and spec.kinds


def test_metric_rules_are_what_the_evaluation_accepts():
    """config checks plan goals with these; they must agree with the specs evaluation uses."""
    rules = metric_rules()
    assert set(rules) == {*METRICS, "rating:NAME"}
    for name, spec in METRICS.items():
        assert rules[name] == MetricRule(
            spec.statistics, spec.better is not None, better=spec.better,
            statistic=spec.statistic, share_statistics=spec.share_statistics, unit=spec.unit)
    assert not rules["incidents_owned"].has_direction
    assert rules["rating:NAME"].statistics == metric_spec("rating:x").statistics
