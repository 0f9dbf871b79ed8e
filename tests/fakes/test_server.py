"""The local fake server fails a test on surprises, as STYLE §6 asks of every replay server."""

from __future__ import annotations

import pytest
import requests

from fakes.server import Fault, Response, serving


def test_a_request_without_an_answer_fails_the_block() -> None:
    with pytest.raises(AssertionError, match="no answer for GET /missing"):  # noqa: SIM117
        with serving(lambda r: Response(200, {}) if r.path == "/known" else None) as server:
            assert requests.get(f"{server.url}/known", timeout=5).status_code == 200
            assert requests.get(f"{server.url}/missing", timeout=5).status_code == 404


def test_an_injected_fault_nobody_reached_fails_the_block() -> None:
    with pytest.raises(AssertionError, match="fault never reached: 503 on /late"):  # noqa: SIM117
        with serving(lambda _r: Response(200, {})) as server:
            server.inject(Fault("/late", 503))


def test_a_clean_block_passes() -> None:
    with serving(lambda _r: Response(200, {"ok": True})) as server:
        server.inject(Fault("/", 429, headers={"Retry-After": "0"}))
        assert requests.get(server.url, timeout=5).status_code == 429
        assert requests.get(server.url, timeout=5).json() == {"ok": True}
