"""The web app in a real headless Chromium (Debian's, driven by Playwright): a manager signs in,
opens a plan, sees one drawn chart per goal and follows the evidence to its source, and prepares
a plan on a person's page; an employee
sees only their own plan; a manager of another team gets "Nothing here". Saves the screenshots
the README shows under docs/screenshots/."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn

import service.views
from dashboards import create_app
from fakes.server import free_port
from tests.dashboards.site import (
    AS_OF,
    DEVELOPER_PLAN,
    PASSWORD,
    SUPPORT_PLAN,
    Site,
    synced_site,
)

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    folder = tmp_path_factory.mktemp("site")
    with pytest.MonkeyPatch.context() as monkeypatch, synced_site(
        folder / "config", f"sqlite:///{folder / 'trackrecord.db'}", monkeypatch
    ) as made:
        yield made


@pytest.fixture(scope="module")
def base_url(site: Site) -> Iterator[str]:
    """The app under uvicorn on a free port, in a background thread."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(site.workspace),
                                           host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    opened = context.new_page()
    problems: list[str] = []
    opened.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    opened.on("pageerror", lambda e: problems.append(str(e)))
    yield opened
    context.close()
    # A refused inline script or a blocked plotly.js would show here (404 pages log their 404).
    assert [p for p in problems if "404" not in p] == []


def sign_in(page: Any, base_url: str, name: str) -> None:
    page.goto(f"{base_url}/login")
    page.fill("#username", name)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()


def test_manager_follows_a_plan_to_its_evidence(page: Any, base_url: str, site: Site) -> None:
    sign_in(page, base_url, "rania")
    assert page.url == f"{base_url}/plans"
    assert page.locator("table.plans tbody tr").count() == 1
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "overview.png"), full_page=True)

    page.click(f"a[href='/plans/{SUPPORT_PLAN}']")
    page.wait_for_load_state()
    goals = page.locator("section.goal")
    assert goals.count() == 4
    page.wait_for_function("document.querySelectorAll('.chart .main-svg').length >= 4")
    assert page.locator(".chart svg.main-svg").count() >= goals.count()
    assert "recommended — a person decides" in page.inner_text("header.plan-head")
    page.screenshot(path=str(SCREENSHOTS / "plan.png"), full_page=True)

    evidence = goals.first.locator("details.evidence")
    link = evidence.locator("tbody a").first
    assert not link.is_visible()
    evidence.locator("summary").click()
    assert link.is_visible()
    key = link.inner_text()
    assert key.startswith("jira:OPS-")
    assert link.get_attribute("href") == f"{site.jira_url}/browse/{key.removeprefix('jira:')}"


def test_manager_prepares_a_plan_on_the_person_page(page: Any, base_url: str,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(service.views, "today", lambda ws: AS_OF)  # the fake Jira's last day
    sign_in(page, base_url, "rania")
    page.goto(f"{base_url}/people/tbrandt")
    charts = page.locator(".metric-chart .chart")
    assert charts.count() == 5
    page.wait_for_function("document.querySelectorAll('.metric-chart .main-svg').length >= 5")
    for chart in charts.all():
        assert chart.locator("svg.main-svg").count() >= 1
    assert page.locator("pre.yaml").inner_text().startswith("# Suggested for tbrandt")
    page.screenshot(path=str(SCREENSHOTS / "person.png"), full_page=True)

    page.fill("input[name=start]", "2026-10-01")
    page.click("text=Suggest goals")
    page.wait_for_load_state()
    assert page.url == f"{base_url}/people/tbrandt?start=2026-10-01"
    assert "baseline 2026-07-03 to 2026-09-30" in page.locator("pre.yaml").inner_text()


def test_employee_sees_only_their_own_plan(page: Any, base_url: str) -> None:
    sign_in(page, base_url, "tomas")
    assert page.url == f"{base_url}/plans/{SUPPORT_PLAN}"
    page.goto(f"{base_url}/plans")
    assert page.locator("table.plans tbody tr").count() == 1
    answer = page.goto(f"{base_url}/plans/{DEVELOPER_PLAN}")
    assert answer.status == 404 and page.locator("h1").inner_text() == "Nothing here"


def test_a_manager_of_another_team_gets_nothing_here(page: Any, base_url: str) -> None:
    sign_in(page, base_url, "dario")
    answer = page.goto(f"{base_url}/plans/{SUPPORT_PLAN}")
    assert answer.status == 404 and page.locator("h1").inner_text() == "Nothing here"
    page.click("text=Go to the start page")
    page.wait_for_load_state()
    assert page.url == f"{base_url}/plans"


def test_keyboard_and_tablet_width(page: Any, base_url: str) -> None:
    sign_in(page, base_url, "ada")
    page.set_viewport_size({"width": 800, "height": 1000})
    page.goto(f"{base_url}/plans/{SUPPORT_PLAN}")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    summary = page.locator("details.evidence summary").first
    summary.focus()
    page.keyboard.press("Enter")
    assert page.locator("details.evidence").first.get_attribute("open") is not None
    assert page.evaluate("document.documentElement.scrollWidth") <= 800


def test_the_overview_sorts_from_the_keyboard_and_filtering_keeps_the_sort(
        page: Any, base_url: str) -> None:
    sign_in(page, base_url, "ada")
    page.goto(f"{base_url}/plans")
    sorted_by = page.locator("table.plans th[aria-sort]")
    assert sorted_by.inner_text().strip() == "Person ▲"
    for expected in ("ascending", "descending"):  # Enter on the header's link; again: reversed
        page.locator("table.plans thead a", has_text="Goals met").focus()
        page.keyboard.press("Enter")
        page.wait_for_load_state()
        assert sorted_by.get_attribute("aria-sort") == expected
        assert sorted_by.inner_text().startswith("Goals met")
    page.check("input[name=attention]")
    page.click("form.filters button[type=submit]")
    page.wait_for_load_state()
    assert page.url.endswith("/plans?team=&manager=&outcome=&attention=1&sort=goals_met&order=desc")
    assert sorted_by.get_attribute("aria-sort") == "descending"
    assert page.locator("table.plans tbody .attention").count() == 2  # neither acknowledged
