"""The connector registry, the one parse-or-quarantine page loop, and what the sources share:
the UTC conversion and the deployment states."""

from __future__ import annotations

import json
import subprocess
import sys
import typing
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from config import EXAMPLES_DIR
from config.files import load_sources
from config.sources import CsvSource, SourceKind
from evaluate import metrics
from ingest.records import (
    FAILED_DEPLOYMENT_STATES,
    FINISHED_DEPLOYMENT_STATES,
    SUCCESSFUL_DEPLOYMENT_STATES,
    as_utc,
)
from ingest.sources import SyncContext, connector_for, streams_for
from ingest.sources.connector import CONNECTORS, UnknownSourceKind
from ingest.sync import Reject, parse_or_quarantine

ROOT = Path(__file__).resolve().parents[2]


def loaded_modules(statement: str) -> set[str]:
    """The modules a fresh interpreter holds after running `statement`."""
    script = f"import json, sys\n{statement}\nprint(json.dumps(sorted(sys.modules)))"
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return set(json.loads(done.stdout))


# Registry --------------------------------------------------------------------------------------


def test_every_configurable_kind_has_a_connector() -> None:
    assert set(CONNECTORS) == set(typing.get_args(SourceKind))
    for kind in CONNECTORS:
        assert callable(connector_for(kind))


def test_an_unknown_kind_is_refused_naming_the_kinds_there_are() -> None:
    kinds = "csv, github, jira, pagerduty, prometheus"
    with pytest.raises(
        UnknownSourceKind, match=f"no connector for kind 'jiraa'; the kinds are: {kinds}$"
    ):
        connector_for("jiraa")


def test_streams_for_names_the_source_whose_kind_is_unknown() -> None:
    class Unconfigured:
        name, kind = "tickets-eu", "youtrack"

    with pytest.raises(ValueError, match=r"source 'tickets-eu': no connector for kind 'youtrack'"):
        streams_for(Unconfigured(), lookback=timedelta(hours=1))


def test_a_connector_gets_the_whole_sync_context(tmp_path: Path) -> None:
    source = CsvSource(name="sheet", kind="csv", path=Path("exports"))
    context = SyncContext(source, timedelta(hours=1), config_dir=tmp_path)
    [stream] = connector_for("csv")(context)
    (tmp_path / "exports").mkdir()
    (tmp_path / "exports" / "tickets.csv").write_text("ticket_key,status,status_category\n")
    assert (stream.source, stream.name) == ("sheet", "files")
    assert [page.cursor is not None for page in stream.fetch(None)] == [True]


def test_looking_up_a_kind_imports_only_its_own_client_library() -> None:
    loaded = loaded_modules("from ingest.sources import connector_for; connector_for('csv')")
    assert "ingest.sources.csv" in loaded
    assert not {"jira", "github", "ingest.sources.jira", "ingest.sources.github"} & loaded


def test_the_github_streams_import_their_shared_types_not_the_glue() -> None:
    for module in ("github_deployments", "github_graphql", "github_types"):
        loaded = loaded_modules(f"import ingest.sources.{module}")
        assert f"ingest.sources.{module}" in loaded
        assert "ingest.sources.github" not in loaded


# Parse or quarantine ---------------------------------------------------------------------------


def parse_number(raw: dict[str, Any]) -> list[int]:
    return [int(raw["n"])]


def test_a_bad_item_is_quarantined_and_the_good_ones_kept_in_order() -> None:
    items: list[dict[str, Any]] = [{"n": "1"}, {"n": "x"}, {}, {"n": "3"}]

    parsed, rejects = parse_or_quarantine(items, parse_number)

    assert parsed == [1, 3]
    assert rejects == [
        Reject({"n": "x"}, "ValueError: invalid literal for int() with base 10: 'x'"),
        Reject({}, "KeyError: 'n'"),
    ]


def test_an_item_yielding_several_records_is_kept_whole_or_not_at_all() -> None:
    def pair_then_fail(raw: dict[str, Any]) -> Any:
        yield raw["n"]
        yield int(raw["n"])

    parsed, rejects = parse_or_quarantine([{"n": "2"}, {"n": "y"}], pair_then_fail)

    assert parsed == ["2", 2]
    assert [reject.payload for reject in rejects] == [{"n": "y"}]


def test_rejects_may_carry_a_key_and_a_message_of_the_sources_own() -> None:
    def reject(raw: dict[str, Any], exc: Exception) -> Reject:
        return Reject({"row": raw}, f"row {raw.get('n')!r}: {exc}", f"sheet:{raw.get('n')}")

    _, rejects = parse_or_quarantine([{"n": "z"}], parse_number, reject=reject)

    error = "row 'z': invalid literal for int() with base 10: 'z'"
    assert rejects == [Reject({"row": {"n": "z"}}, error, "sheet:z")]


def test_only_the_named_errors_are_quarantined() -> None:
    with pytest.raises(ValueError, match="invalid literal"):
        parse_or_quarantine([{"n": "x"}], parse_number, errors=(KeyError,))


# UTC and deployment states ---------------------------------------------------------------------


def test_as_utc_keeps_the_instant_and_refuses_a_naive_time_unless_told_its_zone() -> None:
    berlin = datetime(2026, 9, 1, 11, 15, tzinfo=timezone(timedelta(hours=2)))
    assert as_utc(berlin) == berlin and as_utc(berlin).tzinfo is UTC
    assert as_utc(berlin).isoformat() == "2026-09-01T09:15:00+00:00"
    with pytest.raises(ValueError, match="must carry a zone"):
        as_utc(datetime(2026, 9, 1, 9, 15))
    assert as_utc(datetime(2026, 9, 1, 9, 15), naive=UTC) == datetime(2026, 9, 1, 9, 15, tzinfo=UTC)


def test_one_set_of_deployment_states_for_the_sources_and_the_metrics() -> None:
    assert SUCCESSFUL_DEPLOYMENT_STATES.isdisjoint(FAILED_DEPLOYMENT_STATES)
    assert FINISHED_DEPLOYMENT_STATES == SUCCESSFUL_DEPLOYMENT_STATES | FAILED_DEPLOYMENT_STATES
    assert metrics.FAILED_DEPLOYMENT_STATES is FAILED_DEPLOYMENT_STATES
    assert metrics.FINISHED_DEPLOYMENT_STATES is FINISHED_DEPLOYMENT_STATES


def test_each_source_declares_the_record_kinds_its_streams_write() -> None:
    """What a plan page names as the sources behind a plan's goals (`record_kinds`) is what
    the connectors write; a CSV source declares none: its files decide."""
    sources = load_sources(EXAMPLES_DIR, known_metrics=metrics.metric_rules()).sources
    assert {source.kind for source in sources} == set(typing.get_args(SourceKind))
    for source in sources:
        streams = streams_for(source, lookback=timedelta(hours=1), config_dir=EXAMPLES_DIR)
        written = {kind for stream in streams for kind in stream.kinds}
        assert written == source.record_kinds, source.name
