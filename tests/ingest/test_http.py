"""The shared HTTP session: Retry-After in both forms, connection failures retried and counted,
a timeout on every request."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import pytest
import requests
from requests.adapters import HTTPAdapter

from fakes.server import Fault, LocalServer, Request, Response, free_port
from ingest.http import HttpSession, NotJson, Unreachable, retry_after_seconds


def test_retry_after_reads_seconds_and_http_dates() -> None:
    now = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
    assert retry_after_seconds("7", now) == 7.0
    assert retry_after_seconds("-3", now) == 0.0
    later = format_datetime(now + timedelta(seconds=120), usegmt=True)
    assert retry_after_seconds(later, now) == 120.0
    assert retry_after_seconds("Mon, 30 Nov 2026 12:02:00 -0000", now) == 120.0  # no zone: GMT
    assert retry_after_seconds(None, now) is None
    assert retry_after_seconds("soon", now) is None
    assert retry_after_seconds("", now) is None


def test_a_refused_connection_is_retried_counted_then_raised() -> None:
    port = free_port()
    waits: list[float] = []
    session = HttpSession(max_retries=2, backoff=0.01, sleep=waits.append)
    with pytest.raises(requests.ConnectionError):
        session.get(f"http://127.0.0.1:{port}/")
    assert session.requests_issued == 3 and len(waits) == 2


def test_every_request_gets_the_default_timeout() -> None:
    seen: list[object] = []

    class Recording(HTTPAdapter):
        def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
            seen.append(kwargs["timeout"])
            return super().send(request, **kwargs)

    server = LocalServer(lambda _request: Response(200, {"ok": True})).start()
    try:
        session = HttpSession(timeout=(1.0, 2.0))
        session.mount("http://", Recording())
        assert session.get(server.url).json() == {"ok": True}
        session.get(server.url, timeout=5)
    finally:
        server.stop()
    assert seen == [(1.0, 2.0), 5]


def test_a_503_with_retry_after_waits_as_told() -> None:
    waits: list[float] = []

    def handler(_request: Request) -> Response:
        return Response(200, {"ok": True})

    server = LocalServer(handler).start()
    server.inject(Fault("/", 503, times=1, headers={"Retry-After": "3"}))
    try:
        session = HttpSession(sleep=waits.append)
        assert session.get(server.url).status_code == 200
    finally:
        server.stop()
    assert waits == [3.0] and session.requests_issued == 2


def test_a_refused_connection_gives_up_in_seconds_naming_the_host() -> None:
    """Retrying a closed port for minutes only delays the same answer: two quick retries."""
    port = free_port()
    waits: list[float] = []
    session = HttpSession(sleep=waits.append)  # the defaults: 5 retries for anything else
    with pytest.raises(Unreachable, match=f"cannot reach 127.0.0.1:{port}: connection refused"):
        session.get(f"http://127.0.0.1:{port}/api")
    assert session.requests_issued == 3 and sum(waits) <= 4


def test_an_html_page_where_json_is_expected_says_where_it_came_from() -> None:
    page = Response(502, "<html>Bad gateway</html>", {"Content-Type": "text/html"})
    server = LocalServer(lambda _r: page).start()
    try:
        with pytest.raises(NotJson, match=f"HTML from {server.url}/api/x, status 502"):
            HttpSession(sleep=lambda _s: None).get(server.url + "/api/x?token=1")
    finally:
        server.stop()


def test_a_long_wait_says_what_it_waits_for_and_until_when(
    caplog: pytest.LogCaptureFixture,
) -> None:
    server = LocalServer(lambda _r: Response(200, {"ok": True})).start()
    server.inject(Fault("/", 429, times=1, headers={"Retry-After": "120"}))
    try:
        HttpSession(sleep=lambda _s: None).get(server.url + "/limited")
    finally:
        server.stop()
    (record,) = [r for r in caplog.records if r.levelname == "WARNING"]
    assert "GET /limited answered 429" in record.message and "waiting 120s, until" in record.message
