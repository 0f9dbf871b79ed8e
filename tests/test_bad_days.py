"""The command line on bad days: broken files, bad database URLs, unreachable hosts, wrong
answers, secrets with stray whitespace. Every failure is one line a user can act on, with a
non-zero exit, and never a traceback or a secret."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml

from fakes.pagerduty import PagerDutyFake
from fakes.server import LocalServer, Request, Response, free_port
from ingest.sync import INTERRUPTED
from service.errors import UserError
from tests.test_cli import invoke

TOKEN = "tr-secret-9f8e7d6c5b4a"
REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The example set as `init` writes it, on a SQLite file of its own, with no secrets set."""
    folder = tmp_path / "config"
    assert invoke("init", str(folder))[0] == 0
    for name in ("JIRA_EMAIL", "JIRA_TOKEN", "GITHUB_TOKEN", "PAGERDUTY_TOKEN"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(f"{name}_FILE", raising=False)
    monkeypatch.setenv("TRACKRECORD_CONFIG_DIR", str(folder))
    monkeypatch.setenv("TRACKRECORD_DATABASE_URL", f"sqlite:///{tmp_path / 'tr.db'}")
    return folder


def write_sources(folder: Path, *sources: dict[str, object]) -> None:
    (folder / "sources.yaml").write_text(yaml.safe_dump({"sources": list(sources)}))


COMMANDS = [
    ("sync",),
    ("quarantine",),
    ("evaluate", "tbrandt-2026q4"),
    ("evaluate", "tbrandt-2026q4", "--json"),
    ("evidence", "list"),
    ("people", "check"),
    ("plans", "history", "tbrandt-2026q4"),
    ("plans", "suggest", "tbrandt"),
    ("decide", "tbrandt-2026q4", "--outcome", "extended", "--by", "rnoor", "--reason", "x"),
    ("rate", "tbrandt", "communication", "4", "--by", "rnoor"),
]


@pytest.mark.parametrize("trouble", ["broken config", "unreachable source", "bad database"])
def test_no_command_prints_a_traceback(
    config: Path, trouble: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = free_port()
    if trouble == "broken config":
        (config / "sources.yaml").write_text("sources: [\n  - name: jira\n    kind: [")
    elif trouble == "unreachable source":
        monkeypatch.setenv("PAGERDUTY_TOKEN", TOKEN)
        write_sources(config, {"name": "pd", "kind": "pagerduty",
                               "url": f"http://127.0.0.1:{port}", "token_env": "PAGERDUTY_TOKEN"})
    else:
        monkeypatch.setenv("TRACKRECORD_DATABASE_URL", f"postgresql+psycopg://u@127.0.0.1:{port}/x")
    for command in COMMANDS:
        code, output = invoke(*command)
        assert "Traceback" not in output and TOKEN not in output, (command, output)
        if trouble != "unreachable source" or command == ("sync",):
            assert code != 0 and "error" in output, (command, output)


def test_debug_shows_the_traceback(config: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRACKRECORD_DATABASE_URL", "not a url")
    code, output = invoke("people", "check")
    assert code == 78 and "is not a URL" in output and "TRACKRECORD_DATABASE_URL" in output
    with pytest.raises(UserError) as raised:
        invoke("--debug", "people", "check")
    assert isinstance(raised.value.__cause__, sa.exc.ArgumentError)  # the whole chain
    monkeypatch.setenv("TRACKRECORD_DEBUG", "1")
    with pytest.raises(UserError):
        invoke("people", "check")


@pytest.mark.parametrize(
    ("url", "said"),
    [
        ("mysql://u@db.example/x", "database kind 'mysql' is not supported"),
        ("nosuch://u@db.example/x", "database kind 'nosuch' is not supported"),
        ("postgresql+psycopg://u:pw-hidden@127.0.0.1:{port}/x", "cannot open the database"),
    ],
)
def test_database_urls_that_cannot_work_say_why(
    config: Path, monkeypatch: pytest.MonkeyPatch, url: str, said: str
) -> None:
    monkeypatch.setenv("TRACKRECORD_DATABASE_URL", url.format(port=free_port()))
    code, output = invoke("people", "check")
    assert code != 0 and said in output and "pw-hidden" not in output, output


def test_a_damaged_sqlite_file_and_an_unknown_revision(
    config: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    damaged = tmp_path / "damaged.db"
    damaged.write_bytes(b"this is not a database, just some bytes" * 100)
    monkeypatch.setenv("TRACKRECORD_DATABASE_URL", f"sqlite:///{damaged}")
    code, output = invoke("people", "check")
    assert code == 1 and f"{damaged} is not a trackrecord SQLite database" in output, output

    newer = tmp_path / "newer.db"
    monkeypatch.setenv("TRACKRECORD_DATABASE_URL", f"sqlite:///{newer}")
    code, output = invoke("people", "check")
    assert code == 0 and f"created a new, empty database at sqlite:///{newer}" in output
    assert "created" not in invoke("people", "check")[1]  # said once, when it happens
    engine = sa.create_engine(f"sqlite:///{newer}")
    with engine.begin() as conn:
        conn.execute(sa.text("update alembic_version set version_num = '9999_future'"))
    engine.dispose()
    code, output = invoke("people", "check")
    assert code == 1 and "schema revision this trackrecord does not know" in output, output


def test_init_into_a_folder_that_cannot_be_made(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    code, output = invoke("init", str(blocker / "config"))
    assert code != 0 and "a-file" in output and "Traceback" not in output, output


def test_first_run_guides(config: Path) -> None:
    """init's set syncs what it can (the CSV sample), names the variable each other source needs
    and does not try those sources; an unreachable example host fails fast with its name."""
    assert (config / "imports" / "incidents.csv").exists()
    code, output = invoke("evaluate", "tbrandt-2026q4")
    assert code == 1 and "nothing synced yet" in output and "not enough data" not in output
    code, output = invoke("plans", "suggest", "tbrandt")
    assert code == 2 and "nothing to suggest from" in output
    sources = yaml.safe_load((config / "sources.yaml").read_text())
    sources["sources"] = [s for s in sources["sources"] if s["kind"] != "prometheus"]
    (config / "sources.yaml").write_text(yaml.safe_dump(sources))
    code, output = invoke("sync")
    assert code == 1, output
    assert "jira: skipped: JIRA_EMAIL" in output and "set JIRA_EMAIL" in output
    assert "github: skipped: GITHUB_TOKEN" in output and "pagerduty: skipped" in output
    assert "spreadsheets/files: 3 records" in output and "(ok)" in output


def test_init_prints_the_next_steps(tmp_path: Path) -> None:
    code, output = invoke("init", str(tmp_path / "cfg"))
    assert code == 0 and "1. edit" in output and "2. trackrecord sync" in output
    assert "3. trackrecord evaluate" in output


def test_nothing_to_sync(config: Path) -> None:
    (config / "sources.yaml").write_text("sources: []\n")
    code, output = invoke("sync")
    assert code == 0 and "nothing to sync" in output


def test_unknown_source_names_the_others(config: Path) -> None:
    code, output = invoke("sync", "--source", "nope")
    assert code == 2 and "no source named 'nope'" in output and "spreadsheets" in output


def test_unreachable_sources_fail_fast_each_named(
    config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    for name in ("JIRA_EMAIL", "JIRA_TOKEN", "GITHUB_TOKEN", "PAGERDUTY_TOKEN"):
        monkeypatch.setenv(name, TOKEN)
    write_sources(
        config,
        {"name": "jira", "kind": "jira", "url": url, "email_env": "JIRA_EMAIL",
         "token_env": "JIRA_TOKEN"},
        {"name": "github", "kind": "github", "url": url, "token_env": "GITHUB_TOKEN",
         "repos": ["acme/api"], "request_interval": 0,
         "deployments": {"workflows": ["deploy*"]}},
        {"name": "pd", "kind": "pagerduty", "url": url, "token_env": "PAGERDUTY_TOKEN"},
        {"name": "prom", "kind": "prometheus", "url": url,
         "series": [{"metric": "error_rate", "query": "up", "owner_label": "job",
                     "owners": {"api": "ilund"}}]},
    )
    started = time.monotonic()
    code, output = invoke("sync")
    took = time.monotonic() - started
    assert code == 1 and took < 60, (took, output)
    for source in ("jira/tickets", "github/pull_requests", "pd/incidents", "prom/samples"):
        assert f"{source}" in output and f"cannot reach 127.0.0.1:{port}" in output, output
    assert "github/deployments" not in output  # the source's other streams are not tried
    assert "Traceback" not in output and TOKEN not in output


@pytest.mark.parametrize("kind", ["pagerduty", "github", "jira"])
def test_html_where_json_is_expected(
    config: Path, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    """A login page or a web UI where the API was meant, through each client path."""
    login_page = "<html><body>Please sign in</body></html>"
    server = LocalServer(
        lambda _r: Response(200, login_page, {"Content-Type": "text/html; charset=utf-8"})
    ).start()
    extra = {"github": {"repos": ["acme/api"], "request_interval": 0}}.get(kind, {})
    try:
        monkeypatch.setenv("THE_TOKEN", TOKEN)
        write_sources(config, {"name": "src", "kind": kind, "url": server.url,
                               "token_env": "THE_TOKEN", **extra})
        code, output = invoke("sync")
    finally:
        server.stop()
    assert code == 1 and f"HTML from {server.url}/" in output and "status 200" in output


def test_secrets_are_stripped_and_never_shown_or_stored(
    config: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A token with a trailing newline is used stripped; an error that quotes the request's
    headers reaches neither the output nor the run log."""
    seen: list[str] = []

    def echo(request: Request) -> Response:
        seen.append(request.headers.get("authorization", ""))
        return Response(401, f"denied: {request.headers.get('authorization')}", {})

    server = LocalServer(echo).start()
    try:
        monkeypatch.setenv("PROM_TOKEN", TOKEN + "\n")
        write_sources(config, {"name": "prom", "kind": "prometheus", "url": server.url,
                               "token_env": "PROM_TOKEN",
                               "series": [{"metric": "error_rate", "query": "up",
                                           "owner_label": "job", "owners": {"api": "ilund"}}]})
        code, output = invoke("sync")
    finally:
        server.stop()
    assert seen and seen[0] == f"Bearer {TOKEN}"  # stripped before use
    assert code == 1 and "answered 401" in output and TOKEN not in output, output
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'tr.db'}")
    with engine.connect() as conn:
        errors = [row.error for row in conn.execute(sa.text("select error from sync_runs"))]
    engine.dispose()
    assert errors and all(TOKEN not in e and "[secret]" in e for e in errors), errors


def test_a_secret_with_a_line_break_inside_is_refused(
    config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PAGERDUTY_TOKEN", "first-half\nsecond-half")
    write_sources(config, {"name": "pd", "kind": "pagerduty", "url": "http://127.0.0.1:9",
                           "token_env": "PAGERDUTY_TOKEN"})
    code, output = invoke("sync")
    assert code == 1 and "pd: skipped: PAGERDUTY_TOKEN: the secret holds a line break" in output
    assert "first-half" not in output


def test_people_check_shows_accounts_as_they_are(
    config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An account with no e-mail (NaN from the frame) and a login that looks like markup."""
    (config / "imports" / "tickets.csv").write_text(
        "ticket_key,status,status_category,assignee_account,created\n"
        "OPS-1,Done,done,robot[bot],2026-05-01T10:00:00Z\n"
        "OPS-2,Done,done,[red]x[/red],2026-05-02T10:00:00Z\n"
    )
    write_sources(config, {"name": "spreadsheets", "kind": "csv", "path": "imports/"})
    assert invoke("sync")[0] == 0
    code, output = invoke("people", "check")
    assert code == 1 and "robot[bot]" in output and "[red]x[/red]" in output, output


def test_the_table_speaks_words(config: Path) -> None:
    write_sources(config, {"name": "spreadsheets", "kind": "csv", "path": "imports/"})
    assert invoke("sync")[0] == 0
    code, output = invoke("evaluate", "ilund-2026q4", "--as-of", "2026-11-20")
    assert code == 0, output
    assert "not enough data" in output and "insufficient_data" not in output
    assert "+ means better" in output
    assert "too few events in the baseline window" in output.lower()  # a flag, in words


def test_help_speaks_to_users_and_answers_at_once() -> None:
    for command in ([], *([c[0]] for c in COMMANDS), ["plans", "suggest"], ["people", "check"]):
        output = invoke(*command, "--help")[1]
        assert "DESIGN" not in output and "§" not in output and "core" not in output, command
    # What keeps --help quick (timed in the closing note, not here): no heavy module loads.
    loaded = subprocess.run(
        [sys.executable, "-c", "import sys, trackrecord; from typer.testing import CliRunner; "
         "CliRunner().invoke(trackrecord.app, ['--help']); print(sorted(sys.modules))"],
        check=True, capture_output=True, text=True, cwd=REPO,
    ).stdout
    for heavy in ("pandas", "sqlalchemy", "service", "evaluate", "jira", "github", "numpy"):
        assert f"'{heavy}'" not in loaded, heavy


def test_the_read_timeout_setting_reaches_every_request(
    config: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The first answer comes after a second: with TRACKRECORD_READ_TIMEOUT=0.2 the request
    gives up, says so, and the retry succeeds."""
    fake = PagerDutyFake([], token=TOKEN)
    slow = [True]

    def handler(request: Request) -> Response | None:
        if slow.pop() if slow else False:
            time.sleep(1.0)
        return fake(request)

    server = LocalServer(handler).start()
    try:
        monkeypatch.setenv("PAGERDUTY_TOKEN", TOKEN)
        monkeypatch.setenv("TRACKRECORD_READ_TIMEOUT", "0.2")
        write_sources(config, {"name": "pd", "kind": "pagerduty", "url": server.url,
                               "token_env": "PAGERDUTY_TOKEN"})
        caplog.set_level(logging.DEBUG, logger="ingest.http")
        code, output = invoke("sync")
    finally:
        server.stop()
    assert code == 0 and "pd/incidents:" in output, output
    assert "no answer in time" in caplog.text


def test_sigterm_mid_sync_is_logged_as_interrupted(config: Path, tmp_path: Path) -> None:
    """A real process stopped while it waits on a source: the run log says interrupted, the
    output says where the next sync goes on from, the exit status is 130."""
    asked, released = threading.Event(), threading.Event()

    def stall(_request: Request) -> Response:
        asked.set()
        released.wait(20)
        return Response(500, {})

    server = LocalServer(stall).start()
    write_sources(config, {"name": "pd", "kind": "pagerduty", "url": server.url,
                           "token_env": "PAGERDUTY_TOKEN"})
    env = {**os.environ, "PAGERDUTY_TOKEN": TOKEN}
    process = subprocess.Popen([sys.executable, str(REPO / "trackrecord.py"), "sync"], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert asked.wait(30)
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=30)
    finally:
        process.kill()
        released.set()
        server.stop()
    assert process.returncode == 130 and "Traceback" not in output, output
    assert "interrupted" in output and "next sync resumes" in output
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'tr.db'}")
    with engine.connect() as conn:
        (error,) = conn.execute(sa.text("select error from sync_runs")).one()
    engine.dispose()
    assert error == INTERRUPTED
