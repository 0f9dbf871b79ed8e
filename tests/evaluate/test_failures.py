"""The change-failure join: which deployments failed, and the reason a reviewer reads."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd

from evaluate.failures import mark_change_failures

T0 = datetime(2026, 9, 1, 10, tzinfo=UTC)
SERVICES = {"acme/api": "checkout", "acme/web": "storefront"}


def deployments(*rows: tuple[str, str, str, timedelta]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "key": f"gh:{ident}",
                "deployment_id": ident,
                "repo": repo,
                "state": state,
                "created": T0 + offset,
                "finished": T0 + offset + timedelta(minutes=5),
            }
            for ident, repo, state, offset in rows
        ]
    )


def incidents(*rows: tuple[str, str, timedelta]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"key": f"pagerduty:{ident}", "service": service, "created": T0 + offset}
            for ident, service, offset in rows
        ]
    )


def reasons(frame: pd.DataFrame) -> dict[str, str | None]:
    return dict(zip(frame["deployment_id"], frame["failure_reason"], strict=True))


def test_an_incident_within_24_hours_fails_the_deployment_and_says_which() -> None:
    marked = mark_change_failures(
        deployments(
            ("d1", "acme/api", "success", timedelta(0)),
            ("d2", "acme/api", "success", timedelta(days=3)),
        ),
        incidents(
            ("Q1ABC", "Checkout", timedelta(hours=3, minutes=12)),
            ("Q2DEF", "checkout", timedelta(days=3, hours=25)),
        ),
        services=SERVICES,
    )
    assert reasons(marked) == {
        "d1": "incident pagerduty:Q1ABC on Checkout 3.2 h after",
        "d2": None,  # 25 h after: outside the window
    }


def test_failed_and_rolled_back_states_count_without_any_incident() -> None:
    marked = mark_change_failures(
        deployments(
            ("d1", "acme/api", "failure", timedelta(0)),
            ("d2", "acme/api", "error", timedelta(hours=1)),
            ("d3", "acme/web", "rolled_back", timedelta(hours=2)),
            ("d4", "acme/web", "success", timedelta(hours=3)),
        ),
        None,
        services=SERVICES,
    )
    assert reasons(marked) == {
        "d1": "state: failure",
        "d2": "state: error",
        "d3": "state: rolled_back",
        "d4": None,
    }


def test_only_the_latest_deployment_before_the_incident_on_that_service_is_blamed() -> None:
    marked = mark_change_failures(
        deployments(
            ("early", "acme/api", "success", timedelta(0)),
            ("late", "acme/api", "failure", timedelta(hours=1)),
            ("web", "acme/web", "success", timedelta(hours=1, minutes=30)),
            ("unmapped", "acme/tools", "success", timedelta(hours=1, minutes=45)),
        ),
        incidents(
            ("Q1", "checkout", timedelta(hours=2)),
            ("Q0", "checkout", timedelta(hours=-1)),  # before any deployment
            ("Q3", "search", timedelta(hours=2)),
        ),  # a service no repo runs
        services=SERVICES,
    )
    assert reasons(marked) == {
        "early": None,
        "late": "state: failure; incident pagerduty:Q1 on checkout 1.0 h after",
        "web": None,
        "unmapped": None,
    }


def test_the_window_is_configurable_and_inputs_are_not_mutated() -> None:
    given = deployments(("d1", "acme/api", "success", timedelta(0)))
    seen = incidents(("Q1", "checkout", timedelta(hours=3)))
    before = (given.copy(), seen.copy())

    marked = mark_change_failures(given, seen, services=SERVICES, window=timedelta(hours=2))

    assert reasons(marked) == {"d1": None}
    pd.testing.assert_frame_equal(given, before[0])
    pd.testing.assert_frame_equal(seen, before[1])


def test_incident_keys_are_built_when_the_frame_has_none() -> None:
    seen = incidents(("Q1", "checkout", timedelta(minutes=30))).drop(columns="key")
    seen = seen.assign(source="pd", incident_id="Q1")
    marked = mark_change_failures(
        deployments(("d1", "acme/api", "success", timedelta(0))), seen, services=SERVICES
    )
    assert reasons(marked) == {"d1": "incident pd:Q1 on checkout 0.5 h after"}


def test_no_deployments_gives_an_empty_frame_with_the_column() -> None:
    empty = pd.DataFrame(columns=["deployment_id", "repo", "state", "created"])
    marked = mark_change_failures(empty, incidents(), services=SERVICES)
    assert marked.empty and "failure_reason" in marked
