"""A time outside 1970–2100 (a source's placeholder) is refused when its record is built, so every
connector and the CSV import quarantine it at parse and the core never sees it (issue 9 item 11)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from config.people import Person
from config.sources import CsvSource
from fakes.pagerduty import generate_incidents
from ingest.records import FieldError, Ticket
from ingest.sources import csv, pagerduty, prometheus, streams_for
from ingest.sources.github_graphql import parse_pull_request
from ingest.sync import PARSE_ERRORS
from tests.ingest.test_jira import parse, raw_issue
from tests.ingest.test_prometheus import TEST_CORE
from tests.ingest.test_prometheus import source as prometheus_source


def test_a_record_refuses_a_time_or_date_outside_1970_to_2100() -> None:
    fields: dict[str, Any] = {
        "source": "jira", "ticket_key": "OPS-1", "url": "", "project": "OPS", "issue_type": "Bug",
        "summary": "", "status": "Open", "status_category": "new", "assignee_account": None,
        "assignee_email": None, "reporter_account": None, "resolved": None, "priority": None,
        "created": datetime(2026, 9, 1, tzinfo=UTC), "updated": datetime(2026, 9, 1, tzinfo=UTC),
        "due": date(2099, 12, 31),
    }
    Ticket(**fields)  # the last day of the range is inside it
    with pytest.raises(FieldError, match=r"due: 9999-12-31 is outside 1970–2099"):
        Ticket(**{**fields, "due": date(9999, 12, 31)})
    with pytest.raises(FieldError, match="created: 0001-01-01"):
        Ticket(**{**fields, "created": datetime(1, 1, 1, tzinfo=UTC)})


@pytest.mark.parametrize(
    "fields", [{"duedate": "9999-12-31"}, {"created": "0001-01-01T00:00:00.000+0000"}]
)
def test_jira_placeholder_dates_are_a_parse_error(fields: dict[str, str]) -> None:
    with pytest.raises(PARSE_ERRORS, match="outside 1970–2099"):
        parse(raw_issue(**fields))


def test_a_github_time_of_year_one_is_a_parse_error() -> None:
    node = {
        "number": 7, "title": "Bump", "url": "u", "createdAt": "0001-01-01T00:00:00Z",
        "updatedAt": "2026-05-02T10:00:00Z", "mergedAt": None, "closedAt": None, "additions": 1,
        "deletions": 1, "baseRefName": "main", "author": {"__typename": "User", "login": "jdoe"},
        "commits": {"nodes": []}, "timelineItems": {"nodes": []}, "reviews": {"nodes": []},
    }
    with pytest.raises(PARSE_ERRORS, match="created: 0001-01-01"):
        parse_pull_request(node, source="gh", repo="acme/api")


def test_a_pagerduty_incident_of_year_one_is_quarantined_and_the_rest_kept() -> None:
    good, bad = generate_incidents(2, start=datetime(2026, 3, 1, tzinfo=UTC))
    records, rejects = pagerduty.parse_page(
        [good, {**bad, "created_at": "0001-01-01T00:00:00Z"}], {}, source="pd"
    )
    assert [r.key for r in records] == [f"pd:{good['id']}"]
    [reject] = rejects
    assert "created: 0001-01-01" in reject.error and reject.record_key == f"pd:{bad['id']}"


def test_prometheus_samples_past_2100_or_beyond_any_datetime_are_quarantined() -> None:
    series = prometheus_source("http://p.invalid").series[0]
    values = [[60, "1"], [4102444800, "1"], [1e12, "1"], [1e20, "1"]]
    matrix = [{"metric": {"__name__": "up", "instance": TEST_CORE}, "values": values}]

    result = prometheus.parse_matrix(matrix, source="prom", series=series)

    assert [s.at.timestamp() for s in result.samples] == [60]
    assert [r.payload["value"] for r in result.rejects] == values[1:]


def test_a_csv_time_out_of_range_is_quarantined_with_file_row_and_column(tmp_path: Path) -> None:
    (tmp_path / "incidents.csv").write_text(
        "incident_id,service,created\nI-1,checkout,2026-09-01T09:00:00Z\n"
        "I-2,checkout,0001-01-01T00:00:00Z\n"
    )
    pages = list(csv.import_files(tmp_path, None, source="sheets", zone=UTC))
    assert [r.key for page in pages for r in page.records] == ["sheets:I-1"]
    [reject] = [r for page in pages for r in page.rejects]
    assert reject.error.startswith(
        "incidents.csv row 3, column created: 0001-01-01T00:00:00+00:00 is outside 1970–2099"
    )


RATINGS = """\
rating_id,person,name,value,author,at,note
r1,jdoe,communication,4,asmith,2026-09-01T12:00:00Z,clear
r2,jdoe,communication,7,asmith,2026-09-01T12:00:00Z,off the scale
r3,jdoe,communication,3,jdoe,2026-09-01T12:00:00Z,self
r4,ghost,communication,3,asmith,2026-09-01T12:00:00Z,unknown person
r5,jdoe,communication,3,nobody,2026-09-01T12:00:00Z,unknown author
"""


def test_csv_ratings_are_validated_as_the_rate_command_validates_them(tmp_path: Path) -> None:
    (tmp_path / "imports").mkdir()
    (tmp_path / "imports" / "ratings.csv").write_text(RATINGS)
    source = CsvSource(name="sheets", kind="csv", path=Path("imports"))
    people = [Person(id=who, name=who, email=f"{who}@example.com", team="desk")
              for who in ("jdoe", "asmith")]
    [stream] = streams_for(source, lookback=timedelta(0), config_dir=tmp_path, people=people)

    pages = list(stream.fetch(None))

    assert [r.key for page in pages for r in page.records] == ["sheets:r1"]
    assert sorted(r.error for page in pages for r in page.rejects) == [
        "ratings.csv row 3, column value: a rating is from 1 to 5, not 7",
        "ratings.csv row 4, column author: a person cannot rate themselves",
        "ratings.csv row 5, column person: 'ghost' is not a person in people.yaml",
        "ratings.csv row 6, column author: 'nobody' is not a person in people.yaml",
    ]
