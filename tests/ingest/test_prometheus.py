"""The Prometheus connector against a real `prometheus` server holding recorded and generated data.

The server is the Debian `prometheus` package (promtool builds TSDB blocks from OpenMetrics text),
started once per module on a free port with a long retention so the 2019 recordings stay. The
recorded `up` samples come from a production server (one target down 2504 of 8635 scrapes); the
generated `error_ratio` series have NaN gaps and one service nobody owns.
"""

from __future__ import annotations

import itertools
import json
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
import requests
import sqlalchemy as sa

from config.sources import PrometheusSource
from evaluate.metrics import metric_events
from fakes import prometheus as fake
from fakes import prometheus_server
from fakes.prometheus_server import Series
from fakes.server import Response, serving
from ingest.evidence import load_evidence
from ingest.http import HttpSession
from ingest.sources import prometheus, streams_for
from ingest.store import RECORD_TABLES, quarantine
from ingest.sync import RunSummary, run_stream
from tests.conftest import fixtures_dir, need

STEP = 20
CLOCK = datetime(2019, 7, 30, 12, tzinfo=UTC)
BACKFILL = timedelta(days=4)  # 17,281 instants at 20 s: two range queries per stream
GENERATED = (datetime(2019, 7, 29, tzinfo=UTC), datetime(2019, 7, 30, 10, tzinfo=UTC))
TEST_CORE = "metrics-exporter-thoth-test-core.cloud.paas.psi.redhat.com:80"
PROPHET_0 = "prometheus-anomaly-detector-prophet-0.cloud.paas.psi.redhat.com:80"


def generated_value(service: str, index: int) -> float:
    """Deterministic, with a NaN every 500th sample (no traffic → 0/0)."""
    return float("nan") if index % 500 == 0 else ((index * 37 + len(service)) % 100) / 1000


def generated_samples() -> dict[Series, list[tuple[float, str]]]:
    first, last = (int(moment.timestamp()) for moment in GENERATED)
    samples: dict[Series, list[tuple[float, str]]] = {}
    for service in ("checkout", "search", "legacy"):
        values = [generated_value(service, i) for i in range((last - first) // STEP + 1)]
        samples[("error_ratio", (("service", service),))] = [
            (first + i * STEP, fake.format_value(v)) for i, v in enumerate(values)
        ]
    return samples


def recorded_samples(folder: Path) -> dict[Series, list[tuple[float, str]]]:
    samples: dict[Series, dict[float, str]] = defaultdict(dict)
    for path in sorted(folder.glob("*.json")):
        for item in json.loads(path.read_text()):
            labels = tuple(sorted((k, v) for k, v in item["metric"].items() if k != "__name__"))
            samples[("up", labels)].update((float(t), v) for t, v in item["values"])
    return {series: sorted(values.items()) for series, values in samples.items()}


@pytest.fixture(scope="module")
def recorded() -> dict[Series, list[tuple[float, str]]]:
    return recorded_samples(fixtures_dir("prometheus", "recorded-up", "up"))


@pytest.fixture(scope="module")
def prometheus_url(
    tmp_path_factory: pytest.TempPathFactory, recorded: dict[Series, list[tuple[float, str]]]
) -> Iterator[str]:
    need(prometheus_server.installed(), "prometheus/promtool not installed (apt-get install "
         "prometheus)")
    samples = {**recorded, **generated_samples()}
    with prometheus_server.running(samples, tmp_path_factory.mktemp("prometheus")) as url:
        yield url


def source(url: str, **overrides: object) -> PrometheusSource:
    fields: dict[str, object] = {
        "name": "prom",
        "kind": "prometheus",
        "url": url,
        "step": f"{STEP}s",
        "series": [
            {
                # each 20 s window holds exactly one scrape: the raw samples, no lookback filling
                "metric": "availability",
                "query": f"last_over_time(up[{STEP}s])",
                "owner_label": "instance",
                "owners": {TEST_CORE: "jdoe", PROPHET_0: "team:platform"},
            },
            {
                "metric": "error_rate",
                "query": "error_ratio",
                "owner_label": "service",
                "owners": {"checkout": "jdoe", "search": "team:search"},
            },
        ],
    }
    return PrometheusSource.model_validate({**fields, **overrides})


def sync(engine: sa.Engine, url: str, clock: datetime) -> dict[str, RunSummary]:
    session = HttpSession(sleep=lambda _s: None)
    streams = prometheus.streams(
        source(url),
        lookback=timedelta(hours=1),
        backfill=BACKFILL,
        clock=lambda: clock,
        session=session,
    )
    return {stream.name: run_stream(engine, stream) for stream in streams}


def stored(engine: sa.Engine) -> list[sa.Row[tuple[object, ...]]]:
    samples = RECORD_TABLES["samples"]
    with engine.connect() as conn:
        return list(conn.execute(sa.select(samples).order_by(samples.c.series, samples.c.at)))


def by_series(
    rows: list[sa.Row[tuple[object, ...]]],
) -> dict[str, list[sa.Row[tuple[object, ...]]]]:
    grouped: dict[str, list[sa.Row[tuple[object, ...]]]] = defaultdict(list)
    for row in rows:
        grouped[row.series].append(row)
    return grouped


def test_first_sync_stores_owned_samples_nan_skipped_and_the_real_availability(
    engine: sa.Engine, prometheus_url: str
) -> None:
    runs = sync(engine, prometheus_url, CLOCK)

    assert {name: (run.requests, run.quarantined) for name, run in runs.items()} == {
        "samples:availability": (2, 0),
        "samples:error_rate": (2, 0),
    }
    series = by_series(stored(engine))
    test_core = next(rows for name, rows in series.items() if TEST_CORE in name)
    assert len(test_core) == 8635
    assert sum(row.value == 0 for row in test_core) == 2504
    assert {row.owner for row in test_core} == {"jdoe"}
    prophet = next(rows for name, rows in series.items() if PROPHET_0 in name)
    assert (len(prophet), {row.value for row in prophet}) == (2880, {0.0})
    assert {row.owner for row in prophet} == {"team:platform"}
    availability = [name for name in series if name.startswith("availability")]
    assert len(availability) == 2, "instances missing from the owner map are not stored"
    assert (
        f'availability{{instance="{TEST_CORE}",job="Thoth Metrics (test)",' in test_core[0].series
    )
    assert sorted(name for name in series if name.startswith("error_rate")) == [
        'error_rate{service="checkout"}',
        'error_rate{service="search"}',
    ]
    first, last = (int(moment.timestamp()) for moment in GENERATED)
    count = (last - first) // STEP + 1
    expected = {first + i * STEP: generated_value("checkout", i) for i in range(count) if i % 500}
    # a plain selector repeats the last sample for Prometheus' 5-minute lookback
    expected |= {last + t: generated_value("checkout", count - 1) for t in range(STEP, 301, STEP)}
    checkout = series['error_rate{service="checkout"}']
    assert {int(row.at.timestamp()): row.value for row in checkout} == expected
    assert checkout[0].metric == "error_rate" and checkout[0].at.tzinfo == UTC


def test_the_evaluation_reads_the_real_availability_from_the_stored_samples(
    engine: sa.Engine, prometheus_url: str
) -> None:
    """Stored `up` samples reach the availability metric unchanged, down 2504 of 8635, as one
    event a day (DESIGN §5.10): the day's share of its samples that were up."""
    sync(engine, prometheus_url, CLOCK)
    evidence = load_evidence(
        engine, persons=[], source_kinds={"prom": "prometheus"}, kinds=["sample"]
    )

    events = metric_events("availability", evidence)

    samples = evidence["sample"]
    up = samples[samples["metric"].eq("availability") & samples["person"].eq("jdoe")]
    is_up = pd.to_numeric(up["value"]).eq(1)
    assert (len(up), int((~is_up).sum())) == (8635, 2504)
    days = is_up.groupby(pd.to_datetime(up["at"], utc=True).dt.floor("D")).mean()
    owned = events[events["person"] == "jdoe"].sort_values("at")
    assert owned["at"].tolist() == days.index.tolist()
    assert owned["value"].tolist() == pytest.approx(days.tolist())
    assert set(events.loc[events["team"] == "platform", "value"]) == {0.0}


def test_resumed_sync_continues_from_the_cursor_without_duplicates(
    engine: sa.Engine, prometheus_url: str
) -> None:
    middle = datetime(2019, 7, 29, 0, 0, 10, tzinfo=UTC)
    first = sync(engine, prometheus_url, middle)
    assert first["samples:availability"].cursor == "2019-07-29T00:00:00+00:00"
    halfway = len(stored(engine))

    second = sync(engine, prometheus_url, CLOCK)

    assert {run.requests for run in second.values()} == {1}, "only the new range, in one query"
    assert second["samples:error_rate"].cursor == CLOCK.isoformat()
    rows = stored(engine)
    assert halfway < len(rows)
    test_core = next(rs for name, rs in by_series(rows).items() if TEST_CORE in name)
    assert len(test_core) == 8635


def test_the_server_refuses_more_than_the_chunks_ask_for(prometheus_url: str) -> None:
    """The limit the chunking obeys is real: one more interval than the server allows fails."""
    start, step = int(GENERATED[0].timestamp()), STEP

    def ask(intervals: int) -> requests.Response:
        form = {
            "query": "error_ratio",
            "start": start,
            "end": start + intervals * step,
            "step": step,
        }
        return requests.post(f"{prometheus_url}/api/v1/query_range", data=form, timeout=30)

    refused = ask(11_001)
    assert refused.status_code == 400 and "11,000 points" in refused.json()["error"]
    assert ask(prometheus.MAX_POINTS - 1).status_code == 200


@pytest.mark.parametrize(
    ("start", "end", "step"),
    [(0, 0, 60), (0, 60 * 10_999, 60), (0, 60 * 11_000, 60), (300, 300 * 40_000, 300)],
)
def test_chunks_cover_the_range_and_stay_under_the_limit(start: int, end: int, step: int) -> None:
    ranges = prometheus.chunks(start, end, step)
    assert ranges[0][0] == start and ranges[-1][1] == end
    assert all((last - first) / step + 1 <= prometheus.MAX_POINTS for first, last in ranges)
    assert all(b[0] == a[1] + step for a, b in itertools.pairwise(ranges))


def test_nan_is_skipped_and_unparseable_values_are_quarantined(engine: sa.Engine) -> None:
    def value(t: int) -> float:
        return float("nan") if t % 600 == 0 else 0.5

    handler = fake.PrometheusFake(
        {"error_ratio": [fake.FakeSeries({"service": "checkout"}, value)]}
    )
    broken = {
        "status": "success",
        "data": {
            "resultType": "matrix",
            "result": [{"metric": {"service": "checkout"}, "values": [[1, "0.1"], [2, "oops"]]}],
        },
    }
    series = [
        {
            "metric": "error_rate",
            "query": "error_ratio",
            "owner_label": "service",
            "owners": {"checkout": "jdoe"},
        }
    ]
    with serving(handler) as server:
        configured = source(server.url, step="5m", series=series)
        [stream] = prometheus.streams(
            configured,
            lookback=timedelta(0),
            backfill=timedelta(hours=1),
            clock=lambda: datetime(2026, 9, 1, 10, tzinfo=UTC),
        )
        run = run_stream(engine, stream)
    assert (run.records, run.quarantined) == (6, 0), "13 instants, 7 of them NaN"

    with serving(lambda _request: Response(200, broken)) as server:
        [stream] = prometheus.streams(
            source(server.url, name="broken", step="5m", series=series),
            lookback=timedelta(0),
            backfill=timedelta(hours=1),
            clock=lambda: datetime(2026, 9, 1, 10, tzinfo=UTC),
        )
        run = run_stream(engine, stream)
    assert (run.records, run.quarantined) == (1, 1)
    with engine.connect() as conn:
        reject = conn.execute(sa.select(quarantine)).one()
    assert reject.error.startswith("unparseable sample [2, 'oops']")
    assert reject.payload["series"] == 'error_rate{service="checkout"}'


def test_two_queries_for_one_metric_keep_their_own_series(engine: sa.Engine) -> None:
    """Hourly availability and raw `up` give the same labels: each keeps its own samples."""
    instance = {"instance": "api-1:9100"}
    handler = fake.PrometheusFake(
        {
            "up": [fake.FakeSeries(instance, lambda _t: 1.0)],
            "avg_over_time(up[1h])": [fake.FakeSeries(instance, lambda _t: 0.5)],
        }
    )
    queries = [
        {
            "metric": "availability",
            "query": query,
            "owner_label": "instance",
            "owners": {"api-1:9100": "jdoe"},
        }
        for query in handler.queries
    ]
    with serving(handler) as server:
        configured = source(server.url, step="5m", series=queries)
        for stream in prometheus.streams(
            configured,
            lookback=timedelta(0),
            backfill=timedelta(hours=1),
            clock=lambda: datetime(2026, 9, 1, 10, tzinfo=UTC),
        ):
            run_stream(engine, stream)

    values = {name: {row.value for row in rows} for name, rows in by_series(stored(engine)).items()}
    tags = prometheus.query_tags(configured.series)
    assert values == {
        f'availability:{tags[0]}{{instance="api-1:9100"}}': {1.0},
        f'availability:{tags[1]}{{instance="api-1:9100"}}': {0.5},
    }
    assert [len(rows) for rows in by_series(stored(engine)).values()] == [13, 13]
    assert prometheus.query_tags(configured.series[:1]) == [None]  # one query: names unchanged


def test_a_series_returned_twice_is_quarantined_with_its_values() -> None:
    configured = source("http://p.invalid").series[0]  # availability, owned through `instance`
    labels = {"instance": TEST_CORE}
    matrix = [
        {"metric": {"__name__": "up", **labels}, "values": [[60, "1"], [80, "1"]]},
        {"metric": {"__name__": "up_total", **labels}, "values": [[60, "7"], [80, "NaN"]]},
    ]

    result = prometheus.parse_matrix(matrix, source="prom", series=configured)

    assert [(s.at.timestamp(), s.value) for s in result.samples] == [(60, 1.0), (80, 1.0)]
    [reject] = result.rejects
    assert "returned twice" in reject.error
    assert reject.payload == {
        "series": f'availability{{instance="{TEST_CORE}"}}',
        "metric": matrix[1]["metric"],
        "values": [[60, "7"], [80, "NaN"]],
    }


AUTH = {
    "bearer": ({"token_env": "PROM_TOKEN"}, {"token": "s3cret"}),
    "basic": ({"user_env": "PROM_USER", "password_env": "PROM_PASSWORD"}, {"basic": ("me", "pw")}),
}


@pytest.mark.parametrize("auth", AUTH)
def test_bearer_token_or_basic_auth_is_sent(
    engine: sa.Engine, monkeypatch: pytest.MonkeyPatch, auth: str
) -> None:
    for variable, value in [("PROM_TOKEN", "s3cret"), ("PROM_USER", "me"), ("PROM_PASSWORD", "pw")]:
        monkeypatch.setenv(variable, value)
    fields, expected = AUTH[auth]
    series = [
        {
            "metric": "availability",
            "query": "up",
            "owner_label": "instance",
            "owners": {"api-1:9100": "jdoe"},
        }
    ]
    handler = fake.PrometheusFake({"up": [fake.up("api-1:9100")]}, **expected)
    with serving(handler) as server:
        configured = source(server.url, step="5m", series=series, **fields)
        [stream] = prometheus.streams(
            configured,
            lookback=timedelta(0),
            backfill=timedelta(hours=1),
            clock=lambda: datetime(2026, 9, 1, 10, tzinfo=UTC),
        )
        run = run_stream(engine, stream)
        assert run.records == 13 and not server.unanswered
        monkeypatch.setenv("PROM_TOKEN" if auth == "bearer" else "PROM_PASSWORD", "wrong")
        [refused] = prometheus.streams(configured, lookback=timedelta(0))
        with pytest.raises(prometheus.PrometheusError, match="answered 401"):
            run_stream(engine, refused)


def test_a_refused_query_is_fatal_and_says_what_prometheus_said() -> None:
    handler = fake.PrometheusFake({"up": [fake.up("api-1:9100")]})
    with serving(handler) as server, pytest.raises(prometheus.PrometheusError, match="11,000"):
        prometheus.query_range(HttpSession(), server.url, "up", 0, 11_001, 1)


def test_streams_for_dispatches_one_stream_per_series() -> None:
    availability, error_rate = (s.model_dump() for s in source("http://p.invalid").series)
    web = {**availability, "query": 'up{job="web"}'}
    configured = source("http://p.invalid", series=[availability, web, error_rate])
    names = [stream.name for stream in streams_for(configured, lookback=timedelta(hours=1))]
    assert names[2] == "samples:error_rate"
    assert names[0] != names[1] and all(n.startswith("samples:availability:") for n in names[:2])
