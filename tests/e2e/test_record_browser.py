"""The plan's record in a real headless Chromium: the employee acknowledges their plan with a
comment, the manager sees it and records a decision, HR reads the audit trail and sees it hold."""

from __future__ import annotations

from typing import Any

from tests.dashboards.site import SUPPORT_PLAN, Site
from tests.e2e.test_browser import base_url, page, sign_in, site  # noqa: F401

__all__: list[str] = []


def test_employee_acknowledges_manager_decides_hr_reads_the_trail(page: Any,  # noqa: F811
                                                                   base_url: str,  # noqa: F811
                                                                   site: Site  # noqa: F811
                                                                   ) -> None:
    sign_in(page, base_url, "tomas")
    assert "not yet acknowledged" in page.inner_text("header.plan-head")
    page.fill("form.acknowledge textarea[name=comment]", "Read; I want more pairing time")
    page.click("form.acknowledge button[type=submit]")
    page.wait_for_load_state()
    assert "acknowledged by tomas" in page.inner_text("header.plan-head")
    assert "I want more pairing time" in page.inner_text("section.record")
    assert page.locator("form.acknowledge").count() == 0

    page.context.clear_cookies()
    sign_in(page, base_url, "rania")
    assert "acknowledgement pending" not in page.inner_text("table.plans")
    page.goto(f"{base_url}/plans/{SUPPORT_PLAN}")
    decision = page.locator("form[action$='/decision']")
    decision.locator("select[name=outcome]").select_option("extended")
    decision.locator("textarea[name=reason]").fill("Four more weeks with a mentor")
    decision.locator("button[type=submit]").click()
    page.wait_for_load_state()
    shown = page.inner_text("p.decision")
    assert "Extended" in shown and "rnoor" in shown and "Four more weeks with a mentor" in shown
    assert "plan version 1" in shown and "on the evaluation as of" in shown

    page.context.clear_cookies()
    sign_in(page, base_url, "lena")
    page.goto(f"{base_url}/audit?plan={SUPPORT_PLAN}")
    assert "the hash chain holds" in page.inner_text("main")
    rows = page.inner_text("table.audit")
    assert "acknowledge" in rows and "decision" in rows and "rania" in rows and "tomas" in rows
