"""Every failure as one line: what failed, where, what to do; a bug says it is one."""

from __future__ import annotations

import requests

from config.errors import ConfigError
from config.secrets import read_secret
from ingest.http import Unreachable
from service.errors import UserError, explain


def test_a_user_mistake_keeps_its_words_and_exit_status() -> None:
    assert (str(explain(LookupError("no plan 'x'"))), explain(LookupError("x")).exit_code) == (
        "no plan 'x'", 2)
    config = explain(ConfigError("people.yaml", "required field is missing", line=3))
    assert (str(config), config.exit_code) == ("people.yaml:3: required field is missing", 78)


def test_a_network_failure_names_the_host() -> None:
    refused = requests.ConnectionError(
        "HTTPConnectionPool(host='h', port=1): Max retries exceeded (Caused by "
        "NewConnectionError('<x>: Failed to establish a new connection: [Errno 111] "
        "Connection refused'))",
        request=requests.Request("GET", "http://h:1/api").prepare(),
    )
    assert str(explain(refused)) == "cannot reach h:1: connection refused: is the URL's host " \
        "and port right, and the service up?"
    assert str(explain(Unreachable("cannot reach h:1: host name not found"))) == (
        "cannot reach h:1: host name not found")


def test_a_bug_says_so_and_how_to_report_it() -> None:
    bug = explain(KeyError("status"))
    assert bug.exit_code == 70 and str(bug).startswith("unexpected KeyError: 'status'")
    assert "--debug" in str(bug)


def test_no_secret_survives_the_explanation() -> None:
    token = read_secret("TR_EXPLAIN_TOKEN", environ={"TR_EXPLAIN_TOKEN": "tok-55aa66bb"})
    explained = explain(UserError(f"denied for {token.get_secret_value()}"))
    assert str(explained) == "denied for [secret]"
