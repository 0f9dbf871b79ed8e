"""sources.yaml: the shape of DESIGN §10, secrets only by name, clear messages."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from config.errors import ConfigError
from config.sources import GithubSource, PrometheusSource, SourcesFile, duration_seconds
from config.yamlfile import load_model
from tests.config.samples import SOURCES, write

GITHUB = """
sources:
  - name: github
    kind: github
    token_env: GITHUB_TOKEN
    repos: [acme/api, acme/web]
"""

PROMETHEUS = """
sources:
  - name: prometheus
    kind: prometheus
    url: http://prometheus.internal:9090/
    step: 5m
    series:
      - metric: error_rate
        query: rate(errors[5m])
        owner_label: service
        owners: {checkout: ana}
"""


def sources_error(tmp_path: Path, text: str) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        load_model(write(tmp_path / "sources.yaml", text), SourcesFile)
    return caught.value


def located(error: ConfigError) -> list[tuple[int | None, str | None]]:
    return [(each.line, each.field) for each in error.errors]


def test_defaults(tmp_path: Path) -> None:
    text = (
        SOURCES
        + GITHUB.replace("sources:\n", "")
        + "  - {name: pd, kind: pagerduty, token_env: PD}\n"
    )

    jira, github, pagerduty = load_model(write(tmp_path / "s.yaml", text), SourcesFile).sources

    assert (jira.jql, jira.deployment, jira.page_size) == ("order by updated", None, 100)
    assert github.url == "https://api.github.com"
    assert github.deployments.environments == ["production"]
    assert github.bots == ["dependabot[bot]", "renovate[bot]", "dependabot", "renovate"]
    assert pagerduty.url == "https://api.pagerduty.com"
    assert pagerduty.services == []


def test_inline_token_is_refused_without_echoing_it(tmp_path: Path) -> None:
    text = SOURCES.replace("token_env: JIRA_TOKEN", "token: s3cr3t-value")

    error = sources_error(tmp_path, text)

    assert located(error) == [(5, "sources[0].token")]
    assert error.problem.startswith(
        "secrets are named by environment variable (token_env), never inlined"
    )
    assert "s3cr3t-value" not in str(error)


def test_inline_password_names_password_env(tmp_path: Path) -> None:
    text = PROMETHEUS.replace("step: 5m", "step: 5m\n    password: hunter2")

    error = sources_error(tmp_path, text)

    assert located(error) == [(6, "sources[0].password")]
    assert "(password_env)" in error.problem
    assert "hunter2" not in str(error)


def test_a_token_pasted_into_token_env_is_refused_without_echoing_it(tmp_path: Path) -> None:
    error = sources_error(tmp_path, GITHUB.replace("GITHUB_TOKEN", "ghp_16C7e42F292c6912E7710c8"))

    assert located(error) == [(4, "sources[0].token_env")]
    assert "ghp_" not in str(error)


@pytest.mark.parametrize(
    ("schedule", "problem"),
    [
        ('"*/30 * *"', "a cron schedule has 5 fields"),
        ('"* * * * * *"', "a cron schedule has 5 fields"),
        ('"61 * * * *"', "cron minute field '61' is not valid (0-59)"),
        ('"0 6 * * funday"', "cron weekday field 'funday' is not valid"),
    ],
)
def test_bad_cron(tmp_path: Path, schedule: str, problem: str) -> None:
    error = sources_error(tmp_path, SOURCES + f"    schedule: {schedule}\n")

    assert located(error) == [(6, "sources[0].schedule")]
    assert error.problem.startswith(problem)


@pytest.mark.parametrize(
    "schedule", ["*/30 * * * *", "0 6 * * mon", "0 6 * * 1-5", "5,35 8-18/2 1 jan-dec 0"]
)
def test_good_cron(tmp_path: Path, schedule: str) -> None:
    loaded = load_model(
        write(tmp_path / "s.yaml", SOURCES + f'    schedule: "{schedule}"\n'), SourcesFile
    )

    assert loaded.sources[0].schedule == schedule


def test_unknown_kind(tmp_path: Path) -> None:
    error = sources_error(tmp_path, SOURCES.replace("kind: jira", "kind: jiraa"))

    assert located(error) == [(3, "sources[0].kind")]
    assert error.problem == (
        "unknown 'jiraa'; expected one of jira, github, prometheus, pagerduty, csv"
    )


def test_missing_kind(tmp_path: Path) -> None:
    error = sources_error(tmp_path, SOURCES.replace("    kind: jira\n", ""))

    assert located(error) == [(2, "sources[0].kind")]
    assert error.problem == "required field is missing"


def test_missing_field_of_one_kind(tmp_path: Path) -> None:
    error = sources_error(tmp_path, SOURCES.replace("    url: https://example.atlassian.net\n", ""))

    assert located(error) == [(2, "sources[0].url")]


def test_typo_in_a_kind_specific_field(tmp_path: Path) -> None:
    error = sources_error(tmp_path, SOURCES + "    jq: project = OPS\n")

    assert located(error) == [(6, "sources[0].jq")]
    assert error.problem == "unknown field 'jq'; did you mean 'jql'?"


def test_names_are_unique(tmp_path: Path) -> None:
    text = SOURCES + "  - {name: jira, kind: csv, path: imports/}\n"

    error = sources_error(tmp_path, text)

    assert located(error) == [(6, "sources[1].name")]
    assert error.problem == "source name 'jira' is used twice (first by sources[0])"


def test_name_cannot_hold_a_colon(tmp_path: Path) -> None:
    error = sources_error(tmp_path, SOURCES.replace("name: jira", "name: 'jira:cloud'"))

    assert located(error) == [(2, "sources[0].name")]


def test_url_must_be_http(tmp_path: Path) -> None:
    error = sources_error(tmp_path, SOURCES.replace("https://", ""))

    assert located(error) == [(4, "sources[0].url")]
    assert error.problem == "must be an http:// or https:// URL"


@pytest.mark.parametrize("userinfo", ["sync-bot:s3cr3t-pw@", "sync-bot@", ":s3cr3t-pw@"])
def test_url_with_credentials_is_refused_without_echoing_them(
    tmp_path: Path, userinfo: str
) -> None:
    error = sources_error(tmp_path, PROMETHEUS.replace("http://", f"http://{userinfo}"))

    assert located(error) == [(4, "sources[0].url")]
    assert "user_env and password_env" in error.problem and "email_env" in error.problem
    assert "s3cr3t" not in str(error) and "sync-bot" not in str(error)


def test_github_needs_repos_or_org(tmp_path: Path) -> None:
    error = sources_error(
        tmp_path, GITHUB.replace("repos: [acme/api, acme/web]", "org: acme\n    repos: [acme/api]")
    )

    assert located(error) == [(2, "sources[0]")]
    assert "repos" in error.problem


def test_github_repos_are_owner_and_name(tmp_path: Path) -> None:
    error = sources_error(tmp_path, GITHUB.replace("acme/web", "web"))

    assert located(error) == [(5, "sources[0].repos[1]")]


def test_incident_window_hours(tmp_path: Path) -> None:
    with_services = GITHUB + "    services: {acme/api: checkout}\n"
    assert load_model(write(tmp_path / "s.yaml", with_services), SourcesFile
                      ).failure_window_hours == 24
    hours = with_services + "    incident_window_hours: 2.5\n"
    assert load_model(write(tmp_path / "s.yaml", hours), SourcesFile).failure_window_hours == 2.5

    error = sources_error(tmp_path, with_services + "    incident_window_hours: 0\n")

    assert located(error) == [(7, "sources[0].incident_window_hours")]


def test_github_sources_joining_incidents_agree_on_the_window(tmp_path: Path) -> None:
    """One join covers every deployment, so a second window would be ambiguous."""
    second = "  - {name: gh2, kind: github, token_env: T, org: acme, services: {acme/x: x}}\n"
    text = GITHUB + "    services: {acme/api: checkout}\n    incident_window_hours: 4\n"

    error = sources_error(tmp_path, text + second)

    assert located(error) == [(8, "sources[1]")]
    assert error.problem == (
        "incident_window_hours must be the same for every github source with services: "
        "'github' has 4"
    )
    no_services = second.replace(", services: {acme/x: x}", "")
    assert load_model(write(tmp_path / "s.yaml", text + no_services), SourcesFile
                      ).failure_window_hours == 4


def test_bots() -> None:
    github = GithubSource(name="gh", kind="github", token_env="T", org="acme", bots=["ci-robot"])

    assert github.is_bot("CI-Robot")
    assert github.is_bot("some-app[bot]")
    assert not github.is_bot("jdoe")
    assert not github.model_copy(update={"bot_suffix": False}).is_bot("some-app[bot]")


def test_deployment_workflows_are_globs() -> None:
    github = GithubSource.model_validate(
        {
            "name": "gh",
            "kind": "github",
            "token_env": "T",
            "org": "acme",
            "deployments": {"workflows": ["deploy*"]},
        }
    )

    assert github.counts_as_deployment("deploy-production")
    assert not github.counts_as_deployment("tests")


def test_prometheus_step_and_url(tmp_path: Path) -> None:
    source = load_model(write(tmp_path / "s.yaml", PROMETHEUS), SourcesFile).sources[0]

    assert isinstance(source, PrometheusSource)
    assert source.step_seconds == 300
    assert source.url == "http://prometheus.internal:9090"


def test_prometheus_step_as_bare_seconds(tmp_path: Path) -> None:
    source = load_model(write(tmp_path / "s.yaml", PROMETHEUS.replace("5m", "30")), SourcesFile)

    assert source.sources[0].step_seconds == 30  # type: ignore[union-attr]


def test_prometheus_bad_step(tmp_path: Path) -> None:
    error = sources_error(tmp_path, PROMETHEUS.replace("step: 5m", "step: 5 minutes"))

    assert located(error) == [(5, "sources[0].step")]
    assert error.problem == "must be a duration such as 30s, 5m or 1h"


def test_prometheus_basic_auth_needs_both(tmp_path: Path) -> None:
    error = sources_error(
        tmp_path, PROMETHEUS.replace("step: 5m", "step: 5m\n    user_env: PROM_USER")
    )

    assert located(error) == [(2, "sources[0]")]
    assert error.problem == "basic auth needs both user_env and password_env"


@pytest.mark.parametrize(("text", "seconds"), [("30s", 30), ("5m", 300), ("1h30m", 5400)])
def test_duration_seconds(text: str, seconds: int) -> None:
    assert duration_seconds(text) == seconds


def test_named() -> None:
    sources = SourcesFile.model_validate(
        {"sources": [{"name": "files", "kind": "csv", "path": "imports"}]}
    )

    assert sources.named("files").kind == "csv"
    with pytest.raises(KeyError, match="files"):
        sources.named("jira")


def test_csv_paths_are_relative_to_the_config_dir() -> None:
    sources = SourcesFile.model_validate(
        {"sources": [{"name": "files", "kind": "csv", "path": "imports"}]}
    )

    assert sources.sources[0].resolved_path(Path("/etc/tr")) == Path("/etc/tr/imports")  # type: ignore[union-attr]


def test_models_are_usable_from_python_too() -> None:
    with pytest.raises(ValidationError):
        SourcesFile.model_validate({"sources": [{"name": "x", "kind": "jira", "token": "t"}]})
