"""CSV / JSON import: good rows stored, bad rows quarantined by file, row and column, and
re-importing the same files a no-op."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from config.sources import CsvSource
from ingest.records import Deployment, Incident
from ingest.sources import csv, streams_for
from ingest.store import RECORD_TABLES, quarantine, sync_state
from ingest.sync import RunSummary, run_stream

BERLIN = ZoneInfo("Europe/Berlin")

INCIDENTS = """\
number,incident_id,title,service,urgency,assignee_account,created,acknowledged,resolved,assignees
1,INC001,Outage,checkout,high,jdoe,2026-09-01 09:00,2026-09-01 09:05,2026-09-01 11:00,jdoe;asmith
2,INC002,Search slow,search,low,,2026-09-02T10:00:00Z,,,
3,INC003,Bad time,search,low,,yesterday,,,
4,INC004,No service,,low,,2026-09-03T10:00:00Z,,,
"""
DEPLOYMENTS = [
    {
        "deployment_id": "d-1",
        "repo": "acme/api",
        "environment": "production",
        "sha": "abc",
        "creator_account": "jdoe",
        "created": "2026-09-01T08:00:00Z",
        "finished": "2026-09-01T08:10:00Z",
        "state": "success",
    },
    {
        "deployment_id": "d-2",
        "repo": "acme/api",
        "created": "2026-09-02T08:00:00Z",
        "state": "rolled_back",
        "url": "https://ci.example/d-2",
    },
]


def write_imports(folder: Path) -> Path:
    imports = folder / "imports"
    (imports / "q3").mkdir(parents=True)
    (imports / "incidents-servicenow.csv").write_text(INCIDENTS)
    (imports / "q3" / "deployments.json").write_text(json.dumps(DEPLOYMENTS))
    mixed = [
        {
            "kind": "incident",
            "incident_id": "OG-1",
            "service": "checkout",
            "created": "2026-09-04T07:00:00Z",
        },
        {"kind": "weather", "incident_id": "OG-2"},
    ]
    (imports / "opsgenie.jsonl").write_text("\n".join(json.dumps(row) for row in mixed))
    (imports / "notes.txt").write_text("not an import")
    return imports


def sync(engine: sa.Engine, config_dir: Path) -> RunSummary:
    source = CsvSource(name="sheets", kind="csv", path=Path("imports"))
    [stream] = csv.streams(source, config_dir=config_dir, zone=BERLIN)
    return run_stream(engine, stream)


def rows(engine: sa.Engine, table: sa.Table) -> list[sa.Row[Any]]:
    with engine.connect() as conn:
        return list(conn.execute(sa.select(table)))


def test_good_rows_are_stored_and_bad_rows_quarantined_by_file_row_and_column(
    engine: sa.Engine, tmp_path: Path
) -> None:
    write_imports(tmp_path)

    run = sync(engine, tmp_path)

    incidents = {r.incident_id: r for r in rows(engine, RECORD_TABLES["incidents"])}
    assert sorted(incidents) == ["INC001", "INC002", "OG-1"]
    first = incidents["INC001"]
    assert first.created == datetime(2026, 9, 1, 7, tzinfo=UTC), "no zone: read in Berlin time"
    assert first.assignees == ["jdoe", "asmith"] and first.updated == first.resolved
    assert (incidents["INC002"].acknowledged, incidents["INC002"].url) == (None, "")
    deployments = {r.deployment_id: r for r in rows(engine, RECORD_TABLES["deployments"])}
    assert deployments["d-2"].state == "rolled_back" and deployments["d-2"].finished is None
    assert deployments["d-2"].source == "sheets" and deployments["d-1"].sha == "abc"
    errors = sorted(r.error for r in rows(engine, quarantine))
    assert errors[:2] == [
        "incidents-servicenow.csv row 4, column created: 'yesterday' is not an ISO 8601 time, "
        "e.g. 2026-09-01T09:30:00Z",
        "incidents-servicenow.csv row 5, column service: required, but empty or missing",
    ]
    assert errors[2].startswith(
        "opsgenie.jsonl row 2, column kind: 'weather' is not one of ticket, ticket_change, "
    )
    bad = next(r for r in rows(engine, quarantine) if "row 4" in r.error)
    assert bad.payload["values"]["created"] == "yesterday" and bad.payload["row"] == 4
    assert (run.records, run.quarantined) == (5, 3)


def test_reimporting_the_same_files_changes_nothing_and_writes_nothing(
    engine: sa.Engine, tmp_path: Path
) -> None:
    write_imports(tmp_path)
    sync(engine, tmp_path)
    with engine.connect() as conn:
        state_before = conn.execute(sa.select(sync_state)).all()
    quarantined_before = len(rows(engine, quarantine))

    again = sync(engine, tmp_path)

    assert (again.records, again.quarantined, again.pages) == (0, 0, 0)
    with engine.connect() as conn:
        assert conn.execute(sa.select(sync_state)).all() == state_before
    assert len(rows(engine, quarantine)) == quarantined_before


def test_a_changed_file_is_read_again_and_updates_in_place(
    engine: sa.Engine, tmp_path: Path
) -> None:
    imports = write_imports(tmp_path)
    sync(engine, tmp_path)
    fixed = INCIDENTS.replace("yesterday", "2026-09-02T12:00:00Z")
    (imports / "incidents-servicenow.csv").write_text(fixed.replace("Outage", "Checkout down"))

    run = sync(engine, tmp_path)

    assert (run.records, run.quarantined, run.pages) == (3, 1, 1), "only the changed file"
    incidents = {r.incident_id: r for r in rows(engine, RECORD_TABLES["incidents"])}
    assert incidents["INC001"].title == "Checkout down" and "INC003" in incidents
    assert len(incidents) == 4


def test_a_file_pandas_cannot_read_is_quarantined_whole(engine: sa.Engine, tmp_path: Path) -> None:
    (tmp_path / "imports").mkdir()
    (tmp_path / "imports" / "incidents.json").write_text("[{not json")

    run = sync(engine, tmp_path)

    [reject] = rows(engine, quarantine)
    assert reject.error.startswith("incidents.json: cannot be read:") and run.quarantined == 1
    assert sync(engine, tmp_path).quarantined == 0, "the same broken file is not reported twice"


def test_a_key_repeated_in_a_file_keeps_the_later_row(engine: sa.Engine, tmp_path: Path) -> None:
    (tmp_path / "imports").mkdir()
    twice = [{**DEPLOYMENTS[1], "state": "failure"}, DEPLOYMENTS[1]]
    (tmp_path / "imports" / "deployments.json").write_text(json.dumps(twice))

    sync(engine, tmp_path)

    [stored] = rows(engine, RECORD_TABLES["deployments"])
    assert stored.state == "rolled_back"
    [reject] = rows(engine, quarantine)
    assert reject.error == "deployments.json row 1: the same record as row 2, which is kept"


def test_a_missing_or_empty_column_takes_the_record_fields_default(
    engine: sa.Engine, tmp_path: Path
) -> None:
    folder = tmp_path / "imports"
    folder.mkdir()
    (folder / "incidents.csv").write_text(
        "incident_id,service,created,assignee_account\nINC9,checkout,2026-09-01T09:00:00Z,\n"
    )

    sync(engine, tmp_path)

    [stored] = rows(engine, RECORD_TABLES["incidents"])
    assert (stored.assignees, stored.assignee_account, stored.title) == ([], None, "")
    row = {"incident_id": "INC9", "service": "checkout", "created": "2026-09-01T09:00:00Z"}
    parsed = csv.parse_row(row, Incident, source="sheets", zone=UTC)
    assert isinstance(parsed, Incident) and parsed.assignees == ()


def test_kind_comes_from_the_longest_file_name_prefix() -> None:
    assert csv.kind_of_file(Path("review_requests-2026.csv")) == "review_request"
    assert csv.kind_of_file(Path("Reviews.csv")) == "review"
    assert csv.kind_of_file(Path("incidents.jsonl")) == "incident"
    assert csv.kind_of_file(Path("incidentsfoo.csv")) is None
    assert csv.kind_of_file(Path("notes.csv")) is None


def test_the_column_reference_follows_the_records() -> None:
    reference = csv.column_reference()
    assert (
        "| incident | incident_id*, url, title, service*, urgency, assignee_account, " in reference
    )
    fields = {f.name for f in dataclasses.fields(Deployment)} - {"source"}
    assert {c.name for c in csv.columns(Deployment)} == fields
    required = {c.name for c in csv.columns(Incident) if c.required}
    assert required == {"incident_id", "service", "created"}


def test_streams_for_dispatches_csv_with_the_config_folder(
    engine: sa.Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_imports(tmp_path)
    monkeypatch.setenv("TRACKRECORD_TIMEZONE", "Europe/Berlin")
    source = CsvSource(name="sheets", kind="csv", path=Path("imports"))
    [stream] = streams_for(source, lookback=timedelta(hours=1), config_dir=tmp_path)
    assert (stream.source, stream.name) == ("sheets", "files")
    assert run_stream(engine, stream).records == 5
