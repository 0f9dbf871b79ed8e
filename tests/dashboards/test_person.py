"""The person page: every metric over recent weeks as a chart, and for a manager preparing a
plan the goals `trackrecord plans suggest` gives, its YAML block exactly as the command prints
it; on SQLite and PostgreSQL."""

from __future__ import annotations

import html
import json
import re
from datetime import date

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

import service.views
from tests.dashboards.site import AS_OF, Site
from tests.dashboards.test_access import sign_in
from trackrecord import app

START = date(2026, 11, 23)  # the Monday after AS_OF


@pytest.fixture(autouse=True)
def on_the_sites_last_day(monkeypatch: pytest.MonkeyPatch) -> None:
    """The page's weeks end today: pinned to the last day the fake Jira has issues on."""
    monkeypatch.setattr(service.views, "today", lambda ws: AS_OF)


def figures(page: str) -> list[dict]:
    return [json.loads(html.unescape(found))
            for found in re.findall(r'data-figure="([^"]+)"', page)]


def yaml_block(page: str) -> str:
    found = re.search(r'<pre class="yaml"><code>(.*?)</code></pre>', page, re.S)
    assert found, "the page shows a goals block"
    return html.unescape(found.group(1))


def test_a_manager_sees_each_metric_over_time_and_the_suggested_goals(
    client: TestClient, site: Site, database_url: str, monkeypatch: pytest.MonkeyPatch,
) -> None:
    sign_in(client, "rania")  # tbrandt's manager
    page = client.get("/people/tbrandt").text

    titles = [f["layout"]["title"]["text"] for f in figures(page)]
    assert titles == ["Median ticket resolution time", "Median ticket cycle time",
                      "Tickets resolved per week", "Ticket reopen rate",
                      "Due-date adherence"]  # support's ticket metrics: Jira is the one source
    resolution = figures(page)[0]
    assert resolution["layout"]["xaxis"]["range"] == ["2026-05-23", "2026-11-21"]  # 26 weeks
    assert [t["name"] for t in resolution["data"]] == ["Team (rest of the team)", "Weekly value"]
    assert "n = " in resolution["data"][1]["hovertext"][-1]
    assert ("No records in these weeks for: Aged open tickets, Median incident resolution "
            "time") in page

    monkeypatch.setenv("TRACKRECORD_DATABASE_URL", database_url)
    printed = CliRunner().invoke(app, [
        "plans", "suggest", "tbrandt", "--start", START.isoformat(), "--as-of",
        AS_OF.isoformat(), "--config", str(site.workspace.settings.config_dir)])
    assert printed.exit_code == 0, printed.output
    block = yaml_block(page)
    assert block.startswith("# Suggested for tbrandt from the baseline 2026-08-25 to 2026-11-20")
    assert "\ngoals:\n  - metric: ticket_resolution_hours\n" in block
    assert printed.output.endswith(block)  # the command's table, then exactly this block
    assert f"trackrecord plans suggest tbrandt --start {START}" in page
    assert "Own baseline" in page or "Team level" in page or "Hold the baseline" in page


def test_the_plan_start_is_chosen_on_the_page(client: TestClient) -> None:
    sign_in(client, "rania")
    page = client.get("/people/tbrandt", params={"start": "2026-10-01"}).text
    assert yaml_block(page).startswith(
        "# Suggested for tbrandt from the baseline 2026-07-03 to 2026-09-30")
    assert 'name="start" value="2026-10-01"' in page

    unreadable = client.get("/people/tbrandt", params={"start": "next week"}).text
    assert "“next week” is not a date" in unreadable
    assert f"--start {START}" in unreadable  # the default day instead

    too_late = client.get("/people/tbrandt", params={"start": "2027-06-01"}).text
    assert "No suggestion: a plan starting 2027-06-01 has its baseline from" in too_late


def test_the_employee_sees_their_metrics_but_no_plan_being_prepared(client: TestClient) -> None:
    sign_in(client, "tomas")
    page = client.get("/people/tbrandt").text
    assert len(figures(page)) == 5
    assert "Preparing a plan" not in page and "plans suggest" not in page
    assert client.get("/people/aokafor").status_code == 404  # a teammate: out of scope


def test_someone_without_records_is_told_what_to_do(client: TestClient) -> None:
    sign_in(client, "ada")
    page = client.get("/people/nharlow").text  # no Jira account in people.yaml
    assert not figures(page)
    assert "No records are attributed to" in page
    assert "people.yaml" in page and "trackrecord sync" in page
