"""The PagerDuty connector against the fake REST API: recorded and generated incidents."""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests
import sqlalchemy as sa

from config.sources import PagerDutySource
from fakes.pagerduty import OFFSET_ERROR, PagerDutyFake, generate_incidents
from fakes.server import Fault, LocalServer, serving
from ingest.http import HttpSession
from ingest.sources import pagerduty, streams_for
from ingest.store import RECORD_TABLES, quarantine, sync_state
from ingest.sync import RunSummary, run_stream
from tests.conftest import fixtures_dir

TOKEN = "pd-token"
RECORDED = "api_pagerduty_com_incidents__service_ids_5B_5D_PIKL83L_limit_100_offset_0.json"
START = datetime(2026, 3, 1, tzinfo=UTC)


@pytest.fixture(autouse=True)
def token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAGERDUTY_TOKEN", TOKEN)


def recorded_incidents() -> list[dict[str, Any]]:
    body = json.loads(fixtures_dir("devlake", "replay", RECORDED).read_text())
    return list(body["incidents"])


class Harness:
    """One fake server, the source pointing at it, and the sleeps the session would have made."""

    def __init__(self, server: LocalServer, fake: PagerDutyFake) -> None:
        self.server, self.fake, self.sleeps = server, fake, list[float]()

    def sync(
        self,
        engine: sa.Engine,
        clock: datetime,
        *,
        services: Sequence[str] = (),
        backfill: timedelta = timedelta(days=30),
    ) -> RunSummary:
        source = PagerDutySource(
            name="pd",
            kind="pagerduty",
            url=self.server.url,
            token_env="PAGERDUTY_TOKEN",
            services=list(services),
        )
        session = HttpSession(sleep=self.sleeps.append)
        [stream] = pagerduty.streams(
            source,
            lookback=timedelta(hours=1),
            backfill=backfill,
            clock=lambda: clock,
            session=session,
        )
        return run_stream(engine, stream)

    def paths(self) -> list[str]:
        return [request.path for request in self.server.requests]


@pytest.fixture
def serve() -> Iterator[Callable[[list[dict[str, Any]]], Harness]]:
    with ExitStack() as stack:

        def start(incidents: list[dict[str, Any]]) -> Harness:
            fake = PagerDutyFake(incidents, token=TOKEN)
            return Harness(stack.enter_context(serving(fake)), fake)

        yield start


def incidents(engine: sa.Engine) -> dict[str, sa.Row[Any]]:
    table = RECORD_TABLES["incidents"]
    with engine.connect() as conn:
        return {row.incident_id: row for row in conn.execute(sa.select(table))}


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_recorded_incidents_get_acknowledge_times_from_wherever_pagerduty_keeps_them(
    engine: sa.Engine, serve: Any
) -> None:
    pd = serve(recorded_incidents())

    clock = datetime(2022, 11, 4, tzinfo=UTC)
    run = pd.sync(engine, clock, services=["PIKL83L"], backfill=timedelta(days=365))

    rows = incidents(engine)
    acknowledged = rows["Q3CZAU7Q4008QD"]  # acknowledged: its `acknowledgements` say when
    assert (acknowledged.acknowledged, acknowledged.resolved) == (at("2022-11-03T06:44:37"), None)
    resolved = rows["Q1OHFWFP3GPXOG"]  # resolved: the listing forgot the acknowledgement
    assert resolved.acknowledged == at("2022-11-03T06:45:46")
    assert resolved.resolved == at("2022-11-03T06:51:44")
    assert resolved.assignee_account == "PQYACO3", "whoever acknowledged it"
    retriggered = rows["Q3YON8WNWTZMRQ"]  # acknowledged at once, then timed out to triggered
    assert (retriggered.acknowledged, retriggered.resolved) == (at("2022-11-03T06:23:07"), None)
    assert set(retriggered.assignees) >= {"PQYACO3", "P25K520"}
    assert (resolved.service, resolved.urgency, resolved.title) == (
        "DevService",
        "low",
        "Spamming logs",
    )
    assert resolved.url == "https://keon-test.pagerduty.com/incidents/Q1OHFWFP3GPXOG"
    # three 180-day windows up to the clock, then one log listing for the two that need it
    assert pd.paths() == ["/incidents"] * 3 + ["/log_entries"]
    assert (run.records, run.quarantined, run.requests) == (3, 0, 4)
    first = pd.server.requests[0]
    assert first.query["service_ids[]"] == ["PIKL83L"] and first.arg("time_zone") == "UTC"
    assert first.headers["accept"] == "application/vnd.pagerduty+json;version=2"
    assert not pd.server.unanswered and not pd.fake.refused


def test_one_incident_needing_its_log_costs_one_request_and_never_acknowledged_stays_empty(
    engine: sa.Engine, serve: Any
) -> None:
    [never] = generate_incidents(1, start=START, statuses={"triggered": 1.0})
    acked = generate_incidents(2, start=START, statuses={"acknowledged": 1.0}, first_number=7)
    pd = serve([never, *acked])

    pd.sync(engine, START + timedelta(days=1))

    rows = incidents(engine)
    assert rows[never["id"]].acknowledged is None and rows[never["id"]].resolved is None
    assert rows[never["id"]].assignee_account == never["assignments"][0]["assignee"]["id"]
    assert all(rows[raw["id"]].acknowledged is not None for raw in acked)
    log_requests = [path for path in pd.paths() if path.endswith("log_entries")]
    assert log_requests == [f"/incidents/{never['id']}/log_entries"]


def test_pages_then_resume_rereads_open_incidents_to_catch_their_resolution(
    engine: sa.Engine, serve: Any
) -> None:
    generated = generate_incidents(250, start=START, every=timedelta(hours=1), seed=3)
    pd = serve(generated)
    first_clock = START + timedelta(days=11)

    first = pd.sync(engine, first_clock)

    assert first.records == 250 and first.pages == 3
    log_listings = pd.paths().count("/log_entries")
    assert log_listings >= 3 and not any(
        p.endswith("/log_entries") and p != "/log_entries" for p in pd.paths()
    ), "listing beats 80 calls per page"
    still_open = next(raw for raw in generated if raw["status"] == "acknowledged")
    resolved = {
        **still_open,
        "status": "resolved",
        "assignments": [],
        "acknowledgements": [],
        "last_status_change_at": "2026-03-12T09:00:00Z",
    }
    pd.fake.add(resolved)
    pd.server.requests.clear()

    pd.sync(engine, first_clock + timedelta(hours=2))

    row = incidents(engine)[still_open["id"]]
    assert row.resolved == at("2026-03-12T09:00:00")
    assert row.acknowledged == at(still_open["acknowledgements"][0]["at"][:-1])
    with engine.connect() as conn:
        cursor = json.loads(conn.execute(sa.select(sync_state.c.cursor)).scalar_one())
    open_now = [
        raw["created_at"]
        for raw in generated
        if raw["status"] != "resolved" and raw["id"] != still_open["id"]
    ]
    assert cursor == {
        "until": "2026-03-12T02:00:00+00:00",
        "open_since": min(open_now).replace("Z", "+00:00"),
    }


@pytest.fixture(scope="module")
def many() -> list[dict[str, Any]]:
    """More incidents in one window than offset paging can reach (generated once: it is slow)."""
    return generate_incidents(
        10_050, start=START, every=timedelta(minutes=1), statuses={"acknowledged": 1.0}
    )


def test_a_window_over_the_offset_cap_is_split_in_halves(
    engine: sa.Engine, serve: Any, many: list[dict[str, Any]]
) -> None:
    pd = serve(many)
    capped = requests.get(
        f"{pd.server.url}/incidents",
        timeout=10,
        params={
            "since": "2026-03-01T00:00:00Z",
            "until": "2026-03-09T00:00:00Z",
            "offset": 9_950,
            "limit": 100,
        },
        headers={"Authorization": f"Token token={TOKEN}"},
    )
    assert (capped.status_code, capped.json()) == (400, OFFSET_ERROR), "the fake refuses as PD does"
    pd.server.requests.clear()
    pd.fake.refused.clear()

    run = pd.sync(engine, START + timedelta(days=8), backfill=timedelta(days=8))

    assert run.records == len(incidents(engine)) == 10_050
    assert not pd.fake.refused
    starts = [r.arg("since") for r in pd.server.requests if r.arg("offset") == "0"]
    middle = "2026-03-05T00:00:00+00:00"
    assert starts == [START.isoformat(), START.isoformat(), middle], "whole window, then halves"
    before = sum(raw["created_at"] < "2026-03-05" for raw in many)
    assert run.requests == 1 + math.ceil(before / 100) + math.ceil((10_050 - before) / 100)


def test_rate_limit_is_waited_out_as_retry_after_says(engine: sa.Engine, serve: Any) -> None:
    pd = serve(generate_incidents(5, start=START, statuses={"acknowledged": 1.0}))
    pd.server.inject(Fault("/incidents", 429, headers={"Retry-After": "7"}))

    run = pd.sync(engine, START + timedelta(days=1))

    assert run.records == 5 and pd.sleeps == [7.0]
    assert run.requests == 2


def test_a_malformed_incident_is_quarantined_and_the_rest_stored(
    engine: sa.Engine, serve: Any
) -> None:
    good, bad = generate_incidents(2, start=START, statuses={"acknowledged": 1.0})
    pd = serve([good, {**bad, "service": None}])

    run = pd.sync(engine, START + timedelta(days=1))

    assert (run.records, run.quarantined) == (1, 1)
    with engine.connect() as conn:
        row = conn.execute(sa.select(quarantine)).one()
    assert row.record_key == f"pd:{bad['id']}" and "TypeError" in row.error
    assert row.payload["id"] == bad["id"]


def test_a_wrong_token_fails_the_run_with_pagerduty_words(
    engine: sa.Engine, serve: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    pd = serve([])
    monkeypatch.setenv("PAGERDUTY_TOKEN", "wrong")
    with pytest.raises(pagerduty.PagerDutyError, match="answered 401: Unauthorized"):
        pd.sync(engine, START)


def test_windows_are_at_most_six_months_and_cover_the_range() -> None:
    cuts = pagerduty.windows(START - timedelta(days=400), START)
    assert cuts[0][0] == START - timedelta(days=400) and cuts[-1][1] == START
    assert all(b - a <= timedelta(days=180) for a, b in cuts) and len(cuts) == 3


def test_streams_for_dispatches_pagerduty() -> None:
    source = PagerDutySource(name="pd", kind="pagerduty", token_env="PAGERDUTY_TOKEN")
    [stream] = streams_for(source, lookback=timedelta(hours=1))
    assert (stream.source, stream.name, stream.requests_issued()) == ("pd", "incidents", 0)


def test_a_first_sync_reads_back_to_the_earliest_baseline_when_that_is_further() -> None:
    source = PagerDutySource(name="pd", kind="pagerduty", token_env="PAGERDUTY_TOKEN",
                             backfill_days=30)
    baseline = START - timedelta(days=200)
    [plain] = pagerduty.streams(source, lookback=timedelta(hours=1), clock=lambda: START)
    [reaching] = streams_for(source, lookback=timedelta(hours=1), reach_back=baseline)
    [short] = pagerduty.streams(source, lookback=timedelta(hours=1), clock=lambda: START,
                                reach_back=START - timedelta(days=5))
    assert plain.reads_from() == START - timedelta(days=30)
    assert reaching.reads_from() == baseline
    assert short.reads_from() == START - timedelta(days=30), "never less than backfill_days"
    assert plain.kinds == ("incident",)
