"""The plans overview and a plan's data-quality line, against the real app over a synced
database on SQLite and PostgreSQL: every column sorts every plan in scope before paging and
with the filters; "needs attention" keeps exactly the plans short of data, reaching back before
their source's data or awaiting acknowledgement, saying why; the line names the plan's own
sources and the unmatched accounts a sync's refresh stored, which the sync page reads too."""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient
from sqlalchemy import delete, update

import service
from config import EXAMPLES_DIR
from dashboards import create_app
from ingest.store import sync_coverage, sync_runs, upsert
from service import Workspace
from service.tables import unmatched_accounts
from service.views import PlanRow
from tests.dashboards.site import AS_OF, DEVELOPER_PLAN, PASSWORD, SUPPORT_PLAN, Site
from tests.dashboards.test_access import sign_in

# Three more service-desk plans of two goals each, beside the site's two.
EXTRA: dict[str, dict[str, Any]] = {
    "aokafor-2026q4": {"employee": "aokafor"},
    "tbrandt-2026q2": {"start": "2026-05-01", "end": "2026-07-31", "checkpoints": ["2026-06-15"],
                       "baseline": {"start": "2026-02-01", "end": "2026-04-30"}},
    "aokafor-2027q1": {"employee": "aokafor", "start": "2026-10-01", "end": "2027-01-31",
                       "checkpoints": ["2026-12-15"],
                       "baseline": {"start": "2026-07-01", "end": "2026-09-30"}},
}
ALL = sorted({SUPPORT_PLAN, DEVELOPER_PLAN, *EXTRA})
JIRA_FROM = datetime(2026, 4, 1, tzinfo=UTC)  # where Jira's first sync began, as recorded
OUTCOMES_BEST_FIRST = ["successful_completion", "partial_improvement",
                       "insufficient_improvement", "undetermined"]


def _reopen(site: Site, database_url: str) -> Workspace:
    return service.open_workspace(site.workspace.settings.config_dir, database_url=database_url)


@pytest.fixture
def plans(site: Site, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    """Five plans, two to an overview page; one plan's baseline begins before Jira's data."""
    base = yaml.safe_load((EXAMPLES_DIR / "plans" / f"{SUPPORT_PLAN}.yaml").read_text())
    base = {**base, "goals": base["goals"][:2], "exclusions": []}
    folder = site.workspace.settings.config_dir / "plans"
    for plan_id, change in EXTRA.items():
        (folder / f"{plan_id}.yaml").write_text(yaml.safe_dump({**base, "id": plan_id, **change}))
    ws = _reopen(site, database_url)
    with ws.engine.begin() as conn:
        upsert(conn, sync_coverage, [{"source": "jira", "stream": "tickets",
                                      "kinds": ["ticket", "ticket_change"],
                                      "covered_from": JIRA_FROM, "recorded": JIRA_FROM}])
    service.refresh_evaluations(ws, as_of=AS_OF)
    service.add_user(ws, "amara", role="employee", person="aokafor", password=PASSWORD)
    monkeypatch.setattr(service.views, "PAGE_SIZE", 2)
    return ws


@pytest.fixture
def admin(plans: Workspace) -> Iterator[TestClient]:
    with TestClient(create_app(plans), follow_redirects=False) as made:
        sign_in(made, "ada")
        yield made


def _listed(client: TestClient, path: str) -> list[str]:
    """The plans listed, page after page, following each page's "Next" link."""
    found: list[str] = []
    while True:
        page = client.get(path)
        assert page.status_code == 200
        found += re.findall(r'<th scope="row"><a href="/plans/([^"]+)">', page.text)
        following = re.search(r'<a href="([^"]+)" rel="next">', page.text)
        if following is None:
            return found
        path = html.unescape(following.group(1))


def _rank(outcome: str) -> int | None:
    return OUTCOMES_BEST_FIRST.index(outcome) if outcome in OUTCOMES_BEST_FIRST else None


# The value each column sorts by, read off the full stored evaluation (the overview reads none).
VALUES: dict[str, Callable[[PlanRow], Any]] = {
    "person": lambda row: row.person.name,
    "manager": lambda row: row.manager.name if row.manager else row.plan.manager,
    "period": lambda row: (row.plan.start, row.plan.end),
    "days_left": lambda row: row.days_left,
    "next_checkpoint": lambda row: row.next_checkpoint,
    "goals_met": lambda row: row.goals_met,
    "outcome": lambda row: _rank(row.outcome),
}


def test_every_column_sorts_every_plan_in_scope_before_paging(plans: Workspace,
                                                              admin: TestClient) -> None:
    assert set(VALUES) == set(service.SORTS)
    ada = service.find_user(plans, "ada")
    assert ada is not None
    rows = {row.plan.id: row for row in service.plans_in_scope(plans, ada)}
    for sort, value in VALUES.items():
        for order in ("asc", "desc"):
            listed = _listed(admin, f"/plans?sort={sort}&order={order}")
            assert sorted(listed) == ALL, (sort, order)
            values = [value(rows[plan_id]) for plan_id in listed]
            known = [v for v in values if v is not None]
            assert values[:len(known)] == known, f"{sort}: rows without a value come last"
            assert known == sorted(known, reverse=order == "desc"), (sort, order, listed)

    # Ties keep the person order (Amara Okafor, Nico Harlow, Tomas Brandt; a person's plans
    # by start).
    assert _listed(admin, "/plans") == [
        "aokafor-2026q4", "aokafor-2027q1", DEVELOPER_PLAN, "tbrandt-2026q2", SUPPORT_PLAN]
    assert _listed(admin, "/plans?sort=goals_met&order=desc") == [
        SUPPORT_PLAN, "tbrandt-2026q2", "aokafor-2026q4", "aokafor-2027q1", DEVELOPER_PLAN]
    assert _listed(admin, "/plans?sort=outcome") == [  # partial improvement, then undetermined
        "aokafor-2026q4", "aokafor-2027q1", DEVELOPER_PLAN, "tbrandt-2026q2", SUPPORT_PLAN]
    assert _listed(admin, "/plans?sort=period") == [
        "tbrandt-2026q2", "aokafor-2026q4", SUPPORT_PLAN, DEVELOPER_PLAN, "aokafor-2027q1"]


def test_sorting_works_with_the_filters_across_pages(admin: TestClient) -> None:
    assert _listed(admin, "/plans?team=service-desk&sort=goals_met&order=desc") == [
        SUPPORT_PLAN, "tbrandt-2026q2", "aokafor-2026q4", "aokafor-2027q1"]
    assert _listed(admin, "/plans?manager=rnoor&outcome=undetermined&sort=period&order=desc"
                   ) == [SUPPORT_PLAN, "tbrandt-2026q2"]
    assert _listed(admin, "/plans?sort=nonsense") == _listed(admin, "/plans")  # by person


def _headers(page: str) -> dict[str, str]:
    """Each column header's cell, by its visible title."""
    cells = re.findall(r"<th scope=\"col\"[^>]*>.*?</th>", page, flags=re.S)
    return {re.sub(r"<[^>]+>|[▲▼]", "", cell).strip(): cell for cell in cells}


def test_headers_are_links_keeping_the_filters_and_the_sorted_one_says_so(
        admin: TestClient) -> None:
    page = admin.get("/plans?team=service-desk&attention=1&sort=goals_met&order=desc").text
    headers = _headers(page)
    sortable = ["Person", "Manager", "Period", "Days left", "Next checkpoint", "Goals met",
                "Outcome so far"]
    assert [name for name, cell in headers.items() if "<a href=" in cell] == sortable
    assert [name for name, cell in headers.items() if "aria-sort" in cell] == ["Goals met"]
    assert 'aria-sort="descending"' in headers["Goals met"]

    def target(name: str) -> str:
        found = re.search(r'<a href="([^"]+)"', headers[name])
        assert found
        return html.unescape(found.group(1))

    # The sorted column turns round; any other sorts ascending; both keep the filters.
    assert target("Goals met") == "/plans?team=service-desk&attention=1&sort=goals_met"
    assert target("Manager") == "/plans?team=service-desk&attention=1&sort=manager"
    # The filter form keeps the sort, and the pager the sort and the filters.
    assert '<input type="hidden" name="sort" value="goals_met">' in page
    assert '<input type="hidden" name="order" value="desc">' in page
    following = re.search(r'<a href="([^"]+)" rel="next">', page)
    assert following and html.unescape(following.group(1)) == (
        "/plans?team=service-desk&attention=1&sort=goals_met&order=desc&page=2")

    first = _headers(admin.get("/plans").text)  # unsorted: by person, ascending
    assert 'aria-sort="ascending"' in first["Person"]
    assert [name for name, cell in first.items() if "aria-sort" in cell] == ["Person"]


def _reasons(page: str) -> dict[str, str]:
    """Each listed plan's "needs attention" words ('' when none)."""
    rows = re.findall(r'<th scope="row"><a href="/plans/([^"]+)">(.*?)</th>', page, flags=re.S)
    return {plan_id: html.unescape(found.group(1)) if (found := re.search(
        r"Needs attention: ([^<]+)</span>", cell)) else "" for plan_id, cell in rows}


def test_needs_attention_keeps_exactly_the_plans_short_of_data_uncovered_or_unacknowledged(
        plans: Workspace, admin: TestClient) -> None:
    for name, plan_id in (("amara", "aokafor-2026q4"), ("tomas", SUPPORT_PLAN)):
        user = service.find_user(plans, name)
        assert user is not None
        service.acknowledge(plans, user, plan_id)

    assert sorted(_listed(admin, "/plans?attention=1")) == sorted(
        [DEVELOPER_PLAN, SUPPORT_PLAN, "tbrandt-2026q2", "aokafor-2027q1"])
    reasons = _reasons(admin.get("/plans?attention=1&sort=period").text)
    reasons |= _reasons(admin.get("/plans?attention=1&sort=period&page=2").text)
    assert reasons == {
        "tbrandt-2026q2": "not enough data for 1 goal; Jira not synced back to a window's "
                          "start; acknowledgement pending",
        SUPPORT_PLAN: "not enough data for 1 goal",
        DEVELOPER_PLAN: "not enough data for 3 goals; acknowledgement pending",
        "aokafor-2027q1": "acknowledgement pending",
    }
    assert _reasons(admin.get("/plans?team=service-desk&sort=period").text) == {
        "tbrandt-2026q2": reasons["tbrandt-2026q2"], "aokafor-2026q4": ""}
    assert _listed(admin, "/plans?attention=1&team=service-desk&sort=goals_met&order=desc") == [
        SUPPORT_PLAN, "tbrandt-2026q2", "aokafor-2027q1"]


def _line(client: TestClient, plan_id: str) -> str:
    page = client.get(f"/plans/{plan_id}").text
    found = re.search(r'<p class="data-quality[^"]*">(.*?)</p>', page, flags=re.S)
    assert found
    return html.unescape(re.sub(r"<[^>]+>", "", found.group(1))).removeprefix("⚠ ").strip()


def test_a_syncs_refresh_stores_the_unmatched_accounts_pages_read_without_the_evidence(
        site: Site, client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    ws = site.workspace
    with ws.engine.begin() as conn:
        conn.execute(delete(unmatched_accounts))
    service.sync(ws)  # the overlapping re-read brings records: the refresh runs

    stranger = service.stored_unmatched(ws)
    assert [(a.source, a.account) for a in stranger] == [("jira", "stranger-9")]
    assert stranger == service.unmatched(ws)  # what reading every record finds
    assert service.stored_unmatched(ws, ["pull_request"]) == []

    def no_evidence(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("a page loaded the evidence")

    monkeypatch.setattr(Workspace, "evidence", no_evidence)
    sign_in(client, "ada")
    assert "; 1 unmatched account (stranger-9); " in _line(client, SUPPORT_PLAN)
    sync_page = client.get("/sync")
    assert sync_page.status_code == 200
    assert "<td>jira</td><td>stranger-9</td>" in sync_page.text


def test_the_line_names_only_the_sources_and_accounts_the_plans_goals_draw_on(
        site: Site, database_url: str, tmp_path: Path) -> None:
    config = site.workspace.settings.config_dir
    sources = yaml.safe_load((config / "sources.yaml").read_text())
    (config / "imports").mkdir()
    (config / "imports" / "tickets.csv").write_text(
        "ticket_key,status,status_category,created\nCSV-1,Done,done,2026-10-01T09:00:00Z\n")
    sources["sources"] += [
        {"name": "github", "kind": "github", "token_env": "GITHUB_TOKEN", "repos": ["acme/pay"]},
        {"name": "files", "kind": "csv", "path": "imports"},
        {"name": "sheets", "kind": "csv", "path": "nothing-here"},  # holds no records
    ]
    (config / "sources.yaml").write_text(yaml.safe_dump(sources))
    ws = _reopen(site, database_url)
    assert [s.records for s in service.sync(ws, "files")] == [1]

    with TestClient(create_app(ws), follow_redirects=False) as client:
        sign_in(client, "ada")
        support, developer = _line(client, SUPPORT_PLAN), _line(client, DEVELOPER_PLAN)
    # Tickets: Jira and the CSV source that holds some; pull requests: GitHub, never synced.
    assert support.startswith("Data: Jira synced just now, files just now; 1 unmatched account "
                              "(stranger-9); 0 quarantined records;"), support
    assert developer.startswith("Data: GitHub never synced; no unmatched accounts; 0 "
                                "quarantined records; 3 goals short of data"), developer


def test_a_source_past_twice_its_schedule_is_stale_on_the_overview_and_the_plan_page(
        site: Site, database_url: str) -> None:
    """Jira runs every 30 minutes here; its last good sync three hours ago is past twice that,
    so the overview row and the plan's data-quality line both say so (UI.md)."""
    config = site.workspace.settings.config_dir
    sources = yaml.safe_load((config / "sources.yaml").read_text())
    sources["sources"][0]["schedule"] = "*/30 * * * *"
    (config / "sources.yaml").write_text(yaml.safe_dump(sources))
    ws = _reopen(site, database_url)
    assert service.scheduler.stale_after(ws) == {"jira": timedelta(hours=1)}

    def plan_row(client: TestClient) -> str:
        page = client.get("/plans").text
        row = re.search(rf'<tr>\s*<th scope="row"><a href="/plans/{SUPPORT_PLAN}">.*?</tr>',
                        page, flags=re.S)
        assert row
        return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row.group(0))))

    with TestClient(create_app(ws), follow_redirects=False) as client:
        sign_in(client, "ada")
        assert "just now" in plan_row(client) and "stale" not in plan_row(client)
        with ws.engine.begin() as conn:
            conn.execute(update(sync_runs).values(finished=datetime.now(UTC) - timedelta(hours=3)))
        assert "3 h ago ⚠ stale: Jira" in plan_row(client)
        assert "Jira synced 3 h ago (stale)" in _line(client, SUPPORT_PLAN)
        assert 'class="data-quality warning' in client.get(f"/plans/{SUPPORT_PLAN}").text


def test_a_weekday_schedule_is_not_stale_over_a_weekend(site: Site, database_url: str) -> None:
    config = site.workspace.settings.config_dir
    sources = yaml.safe_load((config / "sources.yaml").read_text())
    sources["sources"][0]["schedule"] = "0 9 * * 1-5"
    (config / "sources.yaml").write_text(yaml.safe_dump(sources))
    ws = _reopen(site, database_url)
    assert service.scheduler.stale_after(ws) == {"jira": timedelta(days=6)}
