"""`make demo` as a new user meets it: `trackrecord demo` sets everything up, prints its sign-ins
and serves; a browser signs in with a printed login; Ctrl-C stops the web app and the fakes."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import yaml

from fakes.server import free_port

TRACKRECORD = Path(sys.executable).with_name("trackrecord")
SIGN_IN = re.compile(r"^\s+(\S+)\s+(admin|hr|manager|employee)\s+sees ", re.MULTILINE)


def _read_until(process: subprocess.Popen[str], marker: str) -> str:
    """The demo's output up to the line that says it serves (a sync takes half a minute)."""
    assert process.stdout is not None
    lines: list[str] = []
    while not lines or marker not in lines[-1]:
        line = process.stdout.readline()
        assert line, "the demo ended early:\n" + "".join(lines)
        lines.append(line)
    return "".join(lines)


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def test_the_served_demo_signs_in_with_a_printed_login(tmp_path: Path, browser: Any) -> None:
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(
        [str(TRACKRECORD), "demo", "--directory", str(tmp_path), "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        printed = _read_until(process, "Ctrl-C stops the demo")
        password = re.search(r"\(password (\S+)\)", printed)
        assert password is not None and f"Sign in at {base_url}" in printed, printed
        logins = {role: name for name, role in SIGN_IN.findall(printed)}
        assert set(logins) == {"admin", "hr", "manager", "employee"}
        deadline = time.monotonic() + 20
        while not _answers(f"{base_url}/healthz"):
            assert time.monotonic() < deadline, "the demo does not serve"
            time.sleep(0.2)

        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        for role, rows in (("hr", 4), ("manager", 2)):
            page.goto(f"{base_url}/login")
            page.fill("#username", logins[role])
            page.fill("#password", password[1])
            page.click("button[type=submit]")
            page.wait_for_load_state()
            assert page.url == f"{base_url}/plans", role
            assert page.locator("table.plans tbody tr").count() == rows, role
            page.context.clear_cookies()
        context.close()
    finally:
        process.send_signal(signal.SIGINT)
        rest, _ = process.communicate(timeout=60)
    assert process.returncode == 0, rest
    assert "demo stopped" in rest
    fakes = yaml.safe_load((tmp_path / "config" / "sources.yaml").read_text())["sources"]
    for url in (f"{base_url}/healthz", *(source["url"] for source in fakes)):
        assert not _reachable(url), url


def test_ctrl_c_as_soon_as_the_demo_says_it_serves_still_stops_it_cleanly(tmp_path: Path) -> None:
    """A Ctrl-C that lands while the web app and the scheduler are still starting is the same
    clean stop as a later one, not an "interrupted" exit."""
    process = subprocess.Popen(
        [str(TRACKRECORD), "demo", "--directory", str(tmp_path), "--port", str(free_port())],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        _read_until(process, "Ctrl-C stops the demo")
    finally:
        process.send_signal(signal.SIGINT)
        rest, _ = process.communicate(timeout=60)
    assert process.returncode == 0 and "demo stopped" in rest, rest


def _reachable(url: str) -> bool:
    """Anything listening, whatever it answers."""
    try:
        urllib.request.urlopen(url, timeout=2).close()
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False
    return True
