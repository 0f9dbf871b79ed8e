"""The plan's record (issue 13): acknowledgements, notes, ratings and decisions in the app, the
hash-chained audit log, the JSON API with bearer tokens, the trusted proxy header and the abuse
limits, against the real app over a synced database, on SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses
import time

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from typer.testing import CliRunner

import service
from dashboards import create_app
from service.tables import audit_log, decisions
from tests.dashboards.site import DEVELOPER_PLAN, PASSWORD, SUPPORT_PLAN, USERS, Site
from tests.dashboards.test_access import csrf, sign_in
from trackrecord import app as cli

PLANS = (SUPPORT_PLAN, DEVELOPER_PLAN, "no-such-plan")
# The plans each account sees (the same as its pages: test_access.LISTED).
SEES = {"ada": {SUPPORT_PLAN, DEVELOPER_PLAN}, "lena": {SUPPORT_PLAN, DEVELOPER_PLAN},
        "rania": {SUPPORT_PLAN}, "dario": {DEVELOPER_PLAN}, "tomas": {SUPPORT_PLAN},
        "nico": {DEVELOPER_PLAN}}


def actions(site: Site) -> list[tuple[str, str]]:
    return [(e.actor, e.action) for e in reversed(service.audit_entries(site.workspace))]


def test_api_scoping_matrix_every_role_token_against_every_plan(site: Site,
                                                                client: TestClient) -> None:
    wrong = []
    for name in USERS:
        headers = {"Authorization": f"Bearer {service.issue_token(site.workspace, name)}"}
        listed = {p["id"] for p in client.get("/api/v1/plans", headers=headers).json()}
        if listed != SEES[name]:
            wrong.append(f"{name} lists {sorted(listed)}")
        for plan in PLANS:
            for part in ("evaluation", "snapshots", "evidence"):
                answer = client.get(f"/api/v1/plans/{plan}/{part}", headers=headers)
                expected = 200 if plan in SEES[name] else 404
                if answer.status_code != expected:
                    wrong.append(f"{name} {plan}/{part}: {answer.status_code}, not {expected}")
    assert wrong == []


def test_api_serves_the_stored_evaluation_and_tokens_can_be_revoked(site: Site,
                                                                     client: TestClient) -> None:
    token = service.issue_token(site.workspace, "rania")
    headers = {"Authorization": f"Bearer {token}"}
    stored = service.stored_evaluation(site.workspace, SUPPORT_PLAN)
    assert stored is not None
    answer = client.get(f"/api/v1/plans/{SUPPORT_PLAN}/evaluation", headers=headers)
    assert answer.json() == stored.payload  # the object `evaluate --json` prints
    goals = client.get(f"/api/v1/plans/{SUPPORT_PLAN}/evidence", headers=headers).json()
    assert [g["metric"] for g in goals] == [g["metric"] for g in stored.payload["goals"]]
    first = stored.payload["goals"][0]
    assert len(goals[0]["records"]) == len(first["baseline"]["evidence"]) + len(
        first["current"]["evidence"])
    assert goals[0]["records"][0]["kind"] == "ticket"
    taken = service.snapshot(site.workspace, SUPPORT_PLAN)  # checkpoints passed, then today
    shots = client.get(f"/api/v1/plans/{SUPPORT_PLAN}/snapshots", headers=headers).json()
    assert [(s["seq"], s["hash"]) for s in shots] == [(t.seq, t.hash) for t in taken]

    schema = client.get("/api/v1/openapi.json").json()
    assert {"/plans", "/plans/{plan_id}/evaluation", "/plans/{plan_id}/snapshots",
            "/plans/{plan_id}/evidence"} <= schema["paths"].keys()
    assert {"PlanSummary", "Evaluation", "SnapshotOut", "GoalEvidence"} <= \
        schema["components"]["schemas"].keys()

    assert client.get("/api/v1/plans").status_code == 401
    assert client.get("/api/v1/plans", headers={"Authorization": "Bearer trk_forged"}
                      ).status_code == 401
    assert service.revoke_tokens(site.workspace, "rania") == 1
    assert client.get("/api/v1/plans", headers=headers).status_code == 401
    other = service.issue_token(site.workspace, "dario")
    service.remove_user(site.workspace, "dario")  # a removed account's tokens stop too
    assert client.get("/api/v1/plans", headers={"Authorization": f"Bearer {other}"}
                      ).status_code == 401


def post(client: TestClient, path: str, **data: str) -> int:
    return client.post(path, data={"csrf_token": csrf(client, "/plans"), **data}).status_code


def test_employee_acknowledges_each_version_and_may_not_record(site: Site,
                                                                client: TestClient) -> None:
    sign_in(client, "tomas")
    page = client.get(f"/plans/{SUPPORT_PLAN}").text
    assert "not yet acknowledged" in page
    assert f'action="/plans/{SUPPORT_PLAN}/acknowledge"' in page
    assert post(client, f"/plans/{SUPPORT_PLAN}/acknowledge", comment="Read it; the Q3 "
                "backlog matters") == 303
    page = client.get(f"/plans/{SUPPORT_PLAN}").text
    assert "acknowledged by tomas" in page and "the Q3 backlog matters" in page
    assert post(client, f"/plans/{SUPPORT_PLAN}/acknowledge") == 400  # once per version
    for path, data in (("notes", {"text": "x"}), ("ratings", {"name": "care", "value": "2"}),
                       ("decision", {"outcome": "extended", "reason": "x"})):
        assert post(client, f"/plans/{SUPPORT_PLAN}/{path}", **data) == 403, path
        assert post(client, f"/plans/{DEVELOPER_PLAN}/{path}", **data) == 404, path
    assert post(client, f"/plans/{DEVELOPER_PLAN}/acknowledge") == 404

    client.cookies.clear()
    sign_in(client, "rania")
    assert "acknowledgement pending" not in client.get("/plans").text
    assert post(client, f"/plans/{SUPPORT_PLAN}/acknowledge") == 403  # not the employee's
    plan_file = site.workspace.settings.config_dir / "plans" / f"{SUPPORT_PLAN}.yaml"
    plan_file.write_text(plan_file.read_text().replace("end: 2026-11-30", "end: 2026-12-15"))
    ws = service.open_workspace(site.workspace.settings.config_dir,
                                database_url=site.workspace.settings.database_url)
    with TestClient(create_app(ws), follow_redirects=False) as fresh:
        sign_in(fresh, "rania")
        assert "acknowledgement pending" in fresh.get("/plans").text  # version 2 asks again
    assert ("tomas", "acknowledge") in actions(site)
    assert ("config", "plan_version") in actions(site)


def test_manager_records_notes_ratings_and_a_decision_on_the_evaluation_seen(
    site: Site, client: TestClient,
) -> None:
    sign_in(client, "rania")
    assert post(client, f"/plans/{SUPPORT_PLAN}/notes", text="Held the first checkpoint",
                checkpoint="2026-09-30", outcome="some_progress") == 303
    assert post(client, f"/plans/{SUPPORT_PLAN}/notes", text="   ") == 400
    assert post(client, f"/plans/{SUPPORT_PLAN}/ratings", name="communication", value="4",
                note="Clear hand-overs") == 303
    assert "Communication 4 of 5: Clear hand-overs" in client.get(f"/plans/{SUPPORT_PLAN}").text
    seen = service.stored_evaluation(site.workspace, SUPPORT_PLAN)  # refreshed by the rating
    assert seen is not None
    assert post(client, f"/plans/{SUPPORT_PLAN}/decision", outcome="extended",
                reason="Four more weeks") == 303
    assert client.post(f"/plans/{SUPPORT_PLAN}/decision",
                       data={"outcome": "extended", "reason": "x"}).status_code == 403  # no CSRF
    page = client.get(f"/plans/{SUPPORT_PLAN}").text
    assert "Checkpoint 30 Sep 2026: Some progress." in page and "Clear hand-overs" in page
    decision = page[page.index("Decision:"):]
    shown = f"on the evaluation as of {seen.as_of.day} {seen.as_of:%b %Y}"
    assert "Four more weeks" in decision and shown in decision

    with site.workspace.engine.connect() as conn:
        row = conn.execute(sa.select(decisions)).one()
    assert (row.decided_by, row.version, row.evaluation_as_of) == ("rnoor", 1, seen.as_of)
    assert row.evaluation_computed_at == seen.computed_at
    recorded = actions(site)
    assert {("rania", "note"), ("rania", "rating"), ("rania", "decision"),
            ("rania", "sign_in"), ("rania", "view")} <= set(recorded)


def test_audit_page_filters_and_the_chain_detects_tampering(site: Site,
                                                            client: TestClient,
                                                            monkeypatch: pytest.MonkeyPatch
                                                            ) -> None:
    client.post("/login", data={"username": "lena", "password": "not it",
                                "csrf_token": csrf(client)})
    sign_in(client, "lena")
    client.get(f"/plans/{DEVELOPER_PLAN}")
    assert client.get(f"/plans/{SUPPORT_PLAN}/export/csv").status_code == 200
    assert client.get("/org/export/xlsx").status_code == 200
    page = client.get("/audit", params={"plan": SUPPORT_PLAN}).text
    assert "All" in page and "the hash chain holds" in page
    assert "export" in page and DEVELOPER_PLAN not in page.split("<tbody>")[1]
    assert "format csv" in page and "format: csv" not in page  # the detail in words
    failed = [e for e in service.audit_entries(site.workspace) if e.action == "sign_in_failed"]
    assert [e.detail["name"] for e in failed] == ["lena"]
    assert "not it" not in str([e.payload for e in service.audit_entries(site.workspace)])
    for name in ("rania", "tomas"):
        client.cookies.clear()
        sign_in(client, name)
        assert client.get("/audit").status_code == 404

    monkeypatch.setenv("TRACKRECORD_DATABASE_URL", site.workspace.settings.database_url)
    config = str(site.workspace.settings.config_dir)
    runner = CliRunner()
    held = runner.invoke(cli, ["audit", "verify", "--config", config])
    assert held.exit_code == 0 and "the chain holds" in held.output
    entries = service.audit_entries(site.workspace, limit=10_000)
    victim = entries[len(entries) // 2]
    with site.workspace.engine.begin() as conn:
        conn.execute(sa.update(audit_log).where(audit_log.c.id == victim.id)
                     .values(payload=victim.payload.replace(victim.action, "nothing")))
    broken = runner.invoke(cli, ["audit", "verify", "--config", config])
    assert broken.exit_code == 1
    assert f"entry {victim.seq} (id {victim.id}" in broken.output
    assert "a stored byte changed" in broken.output
    with site.workspace.engine.begin() as conn:  # restored, then an entry dropped
        conn.execute(sa.update(audit_log).where(audit_log.c.id == victim.id)
                     .values(payload=victim.payload))
        conn.execute(sa.delete(audit_log).where(audit_log.c.id == victim.id))
    check = service.verify_audit(site.workspace)
    assert check.broken is not None and check.broken.startswith(f"entry {victim.seq + 1} ")


def test_cli_decisions_ratings_and_user_changes_are_audited(site: Site) -> None:
    ws = site.workspace
    service.decide(ws, DEVELOPER_PLAN, outcome="extended", by="dferro", reason="More time")
    service.rate(ws, "nharlow", "care", 3, by="dferro")
    service.set_password(ws, "nico", "a new long password", actor="cli:root")
    service.remove_user(ws, "nico", actor="cli:root")
    assert actions(site)[-4:] == [("dferro", "decision"), ("dferro", "rating"),
                                  ("cli:root", "user_password"), ("cli:root", "user_remove")]
    assert service.verify_audit(ws).broken is None
    service.forget(ws, "nharlow")  # the erasure redacts the log and seals it again
    assert service.verify_audit(ws).broken is None
    assert "nharlow" not in str([e.payload for e in service.audit_entries(ws, limit=10_000)])


def test_proxy_header_is_honoured_only_from_a_trusted_address(site: Site) -> None:
    settings = site.workspace.settings.model_copy(update={
        "trusted_user_header": "X-Forwarded-User", "trusted_proxies": "10.0.0.0/8"})
    ws = dataclasses.replace(site.workspace, settings=settings)
    header = {"X-Forwarded-User": "ada"}
    with TestClient(create_app(ws), follow_redirects=False,
                    client=("192.0.2.7", 4000)) as stranger:
        assert stranger.get("/plans", headers=header).status_code == 303
    with TestClient(create_app(ws), follow_redirects=False, client=("10.1.2.3", 4000)) as proxy:
        answer = proxy.get("/plans", headers=header)
        assert answer.status_code == 200 and "ada (admin)" in answer.text
        assert proxy.get("/plans", headers={"X-Forwarded-User": "nobody"}).status_code == 303
    with TestClient(create_app(site.workspace), follow_redirects=False,
                    client=("10.1.2.3", 4000)) as off:  # off by default
        assert off.get("/plans", headers=header).status_code == 303
    assert ("ada", "sign_in") in actions(site)


def test_sign_in_is_limited_per_address_and_sessions_expire(site: Site) -> None:
    with TestClient(create_app(site.workspace), follow_redirects=False) as client:
        codes = [client.post("/login", data={"username": f"guess{n}", "password": "wrong",
                                             "csrf_token": csrf(client)}).status_code
                 for n in range(6)]
        assert codes == [401] * 5 + [429]  # five names, one address: the sixth waits
        answer = client.post("/login", data={"username": "ada", "password": PASSWORD,
                                             "csrf_token": csrf(client)})
        assert answer.status_code == 429
    short = site.workspace.settings.model_copy(update={"session_hours": 1 / 3600})
    with TestClient(create_app(dataclasses.replace(site.workspace, settings=short)),
                    follow_redirects=False, client=("10.6.6.6", 5000)) as client:  # not locked
        sign_in(client, "ada")
        assert client.get("/plans").status_code == 200
        time.sleep(1.2)
        assert client.get("/plans").status_code == 303
