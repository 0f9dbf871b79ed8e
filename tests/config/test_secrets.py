from __future__ import annotations

from pathlib import Path

import pytest

from config.errors import ConfigError
from config.secrets import read_secret, redact


def test_from_the_variable() -> None:
    secret = read_secret("JIRA_TOKEN", environ={"JIRA_TOKEN": "abc123"})

    assert secret.get_secret_value() == "abc123"
    assert "abc123" not in repr(secret)


def test_from_the_real_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TR_TEST_TOKEN", "abc123")

    assert read_secret("TR_TEST_TOKEN").get_secret_value() == "abc123"


def test_from_a_file_stripped(tmp_path: Path) -> None:
    path = tmp_path / "token"
    path.write_text("  abc123\n")

    secret = read_secret("JIRA_TOKEN", environ={"JIRA_TOKEN_FILE": str(path)})

    assert secret.get_secret_value() == "abc123"


def test_the_variable_wins_over_the_file(tmp_path: Path) -> None:
    path = tmp_path / "token"
    path.write_text("from-file")
    environ = {"JIRA_TOKEN": "from-env", "JIRA_TOKEN_FILE": str(path)}

    assert read_secret("JIRA_TOKEN", environ=environ).get_secret_value() == "from-env"


def test_an_empty_variable_counts_as_unset(tmp_path: Path) -> None:
    path = tmp_path / "token"
    path.write_text("from-file")
    environ = {"JIRA_TOKEN": "", "JIRA_TOKEN_FILE": str(path)}

    assert read_secret("JIRA_TOKEN", environ=environ).get_secret_value() == "from-file"


def test_missing_secret_names_both_variables() -> None:
    with pytest.raises(ConfigError) as caught:
        read_secret("JIRA_TOKEN", environ={})

    assert caught.value.field == "JIRA_TOKEN"
    assert str(caught.value) == (
        "JIRA_TOKEN: the secret is not set: set JIRA_TOKEN, or JIRA_TOKEN_FILE to a file holding it"
    )


def test_missing_secret_file_names_the_file_and_the_variable(tmp_path: Path) -> None:
    path = tmp_path / "nope"

    with pytest.raises(ConfigError) as caught:
        read_secret("JIRA_TOKEN", environ={"JIRA_TOKEN_FILE": str(path)})

    assert caught.value.file == path
    assert caught.value.field == "JIRA_TOKEN_FILE"
    assert "No such file" in caught.value.problem


def test_empty_secret_file(tmp_path: Path) -> None:
    path = tmp_path / "token"
    path.write_text("\n")

    with pytest.raises(ConfigError, match="the secret file is empty"):
        read_secret("JIRA_TOKEN", environ={"JIRA_TOKEN_FILE": str(path)})


def test_surrounding_whitespace_is_dropped_from_a_variable() -> None:
    secret = read_secret("GITHUB_TOKEN", environ={"GITHUB_TOKEN": " ghp_abc123\n"})
    assert secret.get_secret_value() == "ghp_abc123"


@pytest.mark.parametrize("value", ["first\nsecond", "first\r\nsecond"])
def test_a_line_break_inside_is_refused_naming_the_variable(value: str) -> None:
    with pytest.raises(ConfigError) as caught:
        read_secret("PAGERDUTY_TOKEN", environ={"PAGERDUTY_TOKEN": value})
    assert caught.value.field == "PAGERDUTY_TOKEN" and "line break" in str(caught.value)
    assert "first" not in str(caught.value)


def test_every_secret_read_is_redacted_from_text(tmp_path: Path) -> None:
    path = tmp_path / "token"
    path.write_text("from-a-file-77\n")
    read_secret("JIRA_TOKEN", environ={"JIRA_TOKEN_FILE": str(path)})
    read_secret("GITHUB_TOKEN", environ={"GITHUB_TOKEN": "from-the-env-88"})
    text = "auth from-a-file-77 and Bearer from-the-env-88 failed"
    assert redact(text) == "auth [secret] and Bearer [secret] failed"
