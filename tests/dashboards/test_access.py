"""Who sees what, route by route (DESIGN §8): every route × every role × in and out of scope,
against the real app over a synced database, on SQLite and PostgreSQL. Out of scope answers the
same 404 as something that does not exist; signed out, every page leads to the sign-in form."""

from __future__ import annotations

import gc
import re

from fastapi.testclient import TestClient

import service
from dashboards import create_app
from dashboards.security import HEADERS
from tests.dashboards.site import DEVELOPER_PLAN, PASSWORD, SUPPORT_PLAN, USERS, Site

PAGES = [
    "/plans", f"/plans/{SUPPORT_PLAN}", f"/plans/{DEVELOPER_PLAN}", "/plans/no-such-plan",
    "/people/tbrandt", "/people/nharlow", "/people/rnoor", "/people/nobody", "/sync",
]
OK, MISSING = 200, 404
EVERYTHING = {page: OK for page in PAGES} | {"/plans/no-such-plan": MISSING,
                                            "/people/nobody": MISSING}
# What each account may open: everything else in PAGES answers 404.
EXPECTED: dict[str, dict[str, int]] = {
    "ada": EVERYTHING,
    "lena": EVERYTHING,
    "rania": {"/plans": OK, f"/plans/{SUPPORT_PLAN}": OK, "/people/tbrandt": OK,
              "/people/rnoor": OK},
    "dario": {"/plans": OK, f"/plans/{DEVELOPER_PLAN}": OK, "/people/nharlow": OK},
    "tomas": {"/plans": OK, f"/plans/{SUPPORT_PLAN}": OK, "/people/tbrandt": OK},
    "nico": {"/plans": OK, f"/plans/{DEVELOPER_PLAN}": OK, "/people/nharlow": OK},
}
# The plans each account's overview lists.
LISTED = {"ada": {SUPPORT_PLAN, DEVELOPER_PLAN}, "lena": {SUPPORT_PLAN, DEVELOPER_PLAN},
          "rania": {SUPPORT_PLAN}, "dario": {DEVELOPER_PLAN}, "tomas": {SUPPORT_PLAN},
          "nico": {DEVELOPER_PLAN}}
LANDING = {"ada": "/plans", "lena": "/plans", "rania": "/plans", "dario": "/plans",
           "tomas": f"/plans/{SUPPORT_PLAN}", "nico": f"/plans/{DEVELOPER_PLAN}"}


def csrf(client: TestClient, path: str = "/login") -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).text)
    assert match, "the form carries a CSRF token"
    return match.group(1)


def sign_in(client: TestClient, name: str, password: str = PASSWORD) -> str:
    answer = client.post("/login", data={"username": name, "password": password,
                                         "csrf_token": csrf(client)})
    assert answer.status_code == 303, answer.text
    return answer.headers["location"]


def listed_plans(html: str) -> set[str]:
    return set(re.findall(r'<a href="/plans/([^"]+)">', html))


def test_every_route_for_every_role_in_and_out_of_scope(client: TestClient) -> None:
    for page in PAGES:  # signed out: every page leads to sign-in, coming back afterwards
        answer = client.get(page)
        assert (answer.status_code, answer.headers["location"]) == (303, f"/login?next={page}")
    wrong = []
    for name in USERS:
        client.cookies.clear()
        assert sign_in(client, name) == LANDING[name]
        nothing_here = client.get("/plans/no-such-plan").text
        for page in PAGES:
            answer = client.get(page)
            expected = EXPECTED[name].get(page, MISSING)
            if answer.status_code != expected:
                wrong.append(f"{name} {page}: {answer.status_code}, expected {expected}")
            elif expected == MISSING and answer.text != nothing_here:
                wrong.append(f"{name} {page}: a 404 that differs from a missing plan's")
        if (listed := listed_plans(client.get("/plans").text)) != LISTED[name]:
            wrong.append(f"{name} overview lists {sorted(listed)}")
    assert wrong == []
    assert "Nothing here" in nothing_here and 'href="/"' in nothing_here


def test_forms_without_the_session_token_are_refused(client: TestClient) -> None:
    login = {"username": "ada", "password": PASSWORD}
    assert client.post("/login", data=login).status_code == 403
    assert client.post("/login", data=login | {"csrf_token": "forged"}).status_code == 403
    assert client.get("/plans").status_code == 303  # not signed in by either
    sign_in(client, "ada")
    assert client.post("/logout").status_code == 403
    assert client.post("/logout", data={"csrf_token": "forged"}).status_code == 403
    assert client.get("/plans").status_code == 200
    answer = client.post("/logout", data={"csrf_token": csrf(client, "/plans")})
    assert (answer.status_code, answer.headers["location"]) == (303, "/login")
    assert client.get("/plans").status_code == 303


def test_sign_in_never_says_whether_an_account_exists(client: TestClient) -> None:
    answers = [
        client.post("/login", data={"username": name, "password": "not the password",
                                    "csrf_token": csrf(client)})
        for name in ("ada", "nobody-at-all")
    ]
    assert [a.status_code for a in answers] == [401, 401]
    assert answers[0].text.replace("ada", "nobody-at-all") == answers[1].text


def test_repeated_failures_lock_the_name_for_a_while(client: TestClient) -> None:
    for _ in range(5):
        client.post("/login", data={"username": "ada", "password": "wrong password",
                                    "csrf_token": csrf(client)})
    answer = client.post("/login", data={"username": "ada", "password": PASSWORD,
                                         "csrf_token": csrf(client)})
    assert answer.status_code == 429 and "Too many attempts" in answer.text


def test_the_limit_holds_across_web_workers_and_restarts(site: Site) -> None:
    """Several workers (or a restarted one) share the count: it is read from the audit log,
    so three guesses at one worker and two at another use up the name's five."""
    def guess(worker: TestClient, password: str = "wrong password") -> int:
        return worker.post("/login", data={"username": "ada", "password": password,
                                           "csrf_token": csrf(worker)}).status_code

    first = TestClient(create_app(site.workspace), follow_redirects=False)
    second = TestClient(create_app(site.workspace), follow_redirects=False,
                        client=("10.9.9.9", 5000))  # another address: only the name counts
    with first, second:
        assert [guess(first) for _ in range(3)] + [guess(second) for _ in range(2)] == [401] * 5
        assert guess(second, PASSWORD) == 429
        with TestClient(create_app(site.workspace), follow_redirects=False,
                        client=("10.8.8.8", 5000)) as restarted:
            assert guess(restarted, PASSWORD) == 429


def test_a_successful_sign_in_resets_the_name_count(site: Site) -> None:
    with TestClient(create_app(site.workspace), follow_redirects=False) as worker:
        def guess(password: str) -> int:
            return worker.post("/login", data={"username": "ada", "password": password,
                                               "csrf_token": csrf(worker)}).status_code

        assert [guess("wrong password") for _ in range(4)] == [401] * 4
        assert guess(PASSWORD) == 303
        worker.cookies.clear()
        with TestClient(create_app(site.workspace), follow_redirects=False,
                        client=("10.7.7.7", 5000)) as elsewhere:
            codes = [elsewhere.post("/login", data={"username": "ada", "password": "wrong",
                                                     "csrf_token": csrf(elsewhere)}).status_code
                     for _ in range(4)]
        assert codes == [401] * 4  # counted afresh after the success, not 4 + 4


def test_a_password_change_or_removal_ends_open_sessions(site: Site, client: TestClient
                                                         ) -> None:
    sign_in(client, "rania")
    assert client.get("/plans").status_code == 200
    service.set_password(site.workspace, "rania", "another long password")
    assert client.get("/plans").status_code == 303
    sign_in(client, "rania", "another long password")
    assert client.get("/plans").status_code == 200
    service.remove_user(site.workspace, "rania")
    assert client.get("/plans").status_code == 303
    assert client.post("/login", data={"username": "rania", "password": "another long password",
                                       "csrf_token": csrf(client)}).status_code == 401


def test_session_cookie_and_security_headers(client: TestClient) -> None:
    answer = client.get("/login")
    cookie = answer.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "max-age=28800" in cookie
    for path in ("/login", "/healthz", "/plans", "/static/style.css", "/nowhere"):
        headers = client.get(path).headers
        assert {name: headers.get(name) for name in HEADERS} == HEADERS, path
    assert "script-src 'self'" in HEADERS["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in HEADERS["Content-Security-Policy"]
    assert client.get("/healthz").json() == {"status": "ok"}


def test_sign_in_returns_to_the_page_asked_for_but_never_to_another_site(
    client: TestClient,
) -> None:
    def sign_in_to(next_path: str) -> str:
        client.cookies.clear()
        answer = client.post("/login", data={"username": "ada", "password": PASSWORD,
                                             "next": next_path, "csrf_token": csrf(client)})
        return str(answer.headers["location"])

    assert sign_in_to(f"/plans/{SUPPORT_PLAN}") == f"/plans/{SUPPORT_PLAN}"
    assert sign_in_to("//evil.example/") == "/plans"
    assert sign_in_to("https://evil.example/") == "/plans"


def test_what_lives_while_serving_is_kept_out_of_the_cycle_collector(site: Site) -> None:
    """Frozen while the app serves (full collections over it were the slow requests), given
    back when it stops."""
    before = gc.get_freeze_count()
    with TestClient(create_app(site.workspace), follow_redirects=False) as client:
        assert client.get("/healthz").status_code == 200
        assert gc.get_freeze_count() > before
    assert gc.get_freeze_count() == 0
