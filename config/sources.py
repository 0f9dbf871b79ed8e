"""sources.yaml: where evidence comes from (DESIGN §2 and §10).

Secrets never appear in this file: a source names the environment variable that holds each one
(`token_env: GITHUB_TOKEN`), and `config.secrets.read_secret` reads it when a sync starts.
"""

from __future__ import annotations

import fnmatch
import re
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from config.errors import FieldValueError

__all__ = [
    "DEFAULT_BOTS",
    "DEFAULT_INCIDENT_WINDOW_HOURS",
    "AnySource",
    "CsvSource",
    "GithubDeployments",
    "GithubSource",
    "JiraSource",
    "PagerDutySource",
    "PrometheusSeries",
    "PrometheusSource",
    "Source",
    "SourceKind",
    "SourcesFile",
    "duration_seconds",
]

SourceKind = Literal["jira", "github", "prometheus", "pagerduty", "csv"]

DEFAULT_BOTS = ("dependabot[bot]", "renovate[bot]", "dependabot", "renovate")
# DESIGN §3: an incident on the service within 24 h of a deployment makes it a change failure.
DEFAULT_INCIDENT_WINDOW_HOURS = 24.0

# Keys people write when they paste a secret in; each maps to the key they meant.
_INLINE_SECRETS = {
    "token": "token_env",
    "api_token": "token_env",
    "api_key": "token_env",
    "apikey": "token_env",
    "password": "password_env",
    "user": "user_env",
    "username": "user_env",
    "email": "email_env",
}


def _env_name(value: str) -> str:
    # Upper case only: a pasted token (ghp_..., mixed-case base64) fails here, not at sync time.
    if not re.fullmatch(r"[A-Z_][A-Z0-9_]*", value):
        raise ValueError(
            "must name an environment variable (upper-case letters, digits, _), such as "
            "GITHUB_TOKEN; the secret itself goes in that variable"
        )
    return value


def _http_url(value: str) -> str:
    # Kept as a plain string without the trailing slash, so clients can append "/rest/...".
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError("must be an http:// or https:// URL")
    if "@" in parts.netloc:  # user info: it would reach logs and the run log's errors
        raise ValueError(
            "must not hold a user name or password (user:password@host); name the variables "
            "holding them instead: email_env and token_env (Jira), user_env and password_env "
            "(Prometheus), token_env (GitHub, PagerDuty)"
        )
    return value.rstrip("/")


_CRON_FIELD_NAMES = ("minute", "hour", "day-of-month", "month", "weekday")
_CRON_RANGES = ((0, 59), (0, 23), (1, 31), (1, 12), (0, 7))
_CRON_NAMES = r"(?i:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|sun|mon|tue|wed|thu|fri|sat)"
_CRON_VALUE = rf"(?:\d+|{_CRON_NAMES})"
_CRON_ATOM = re.compile(rf"(?:\*|{_CRON_VALUE}(?:-{_CRON_VALUE})?)(?:/\d+)?")


def _cron(value: str) -> str:
    fields = value.split()
    if len(fields) != 5:
        raise ValueError(
            f"a cron schedule has 5 fields (minute hour day month weekday), "
            f"this one has {len(fields)}; e.g. '*/30 * * * *'"
        )
    for name, field, (low, high) in zip(_CRON_FIELD_NAMES, fields, _CRON_RANGES, strict=True):
        for atom in field.split(","):
            match = _CRON_ATOM.fullmatch(atom)
            numbers = [int(n) for n in re.findall(r"\d+", atom.split("/")[0])] if match else []
            if not match or any(not low <= n <= high for n in numbers):
                raise ValueError(f"cron {name} field {field!r} is not valid ({low}-{high})")
    return value


_DURATION_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def duration_seconds(text: str) -> int:
    """Seconds in a Prometheus-style duration: '30s', '5m', '1h30m'."""
    if not re.fullmatch(r"(\d+[smhdw])+", text):
        raise ValueError("must be a duration such as 30s, 5m or 1h")
    seconds = sum(int(n) * _DURATION_UNITS[unit] for n, unit in re.findall(r"(\d+)([smhdw])", text))
    if seconds <= 0:
        raise ValueError("must be longer than zero")
    return seconds


def _seconds_if_number(value: object) -> object:
    # A bare number (`step: 300`) means seconds, as in the Prometheus API.
    return f"{value}s" if isinstance(value, int) and not isinstance(value, bool) else value


def _duration(value: str) -> str:
    duration_seconds(value)
    return value


def _repo_name(value: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9-]*/[A-Za-z0-9_.-]+", value):
        raise ValueError(f"{value!r} should be owner/name, e.g. acme/api")
    return value


EnvName = Annotated[str, AfterValidator(_env_name)]
HttpUrl = Annotated[str, AfterValidator(_http_url)]
Cron = Annotated[str, AfterValidator(_cron)]
RepoName = Annotated[str, AfterValidator(_repo_name)]
Duration = Annotated[str, BeforeValidator(_seconds_if_number), AfterValidator(_duration)]


class _Source(BaseModel):
    """What every source has; each kind below adds its own fields."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    # The record kinds the source's streams write: which sources a plan's metrics draw on.
    # Empty for a source whose files decide (CSV): what it holds is what it provides.
    record_kinds: ClassVar[frozenset[str]] = frozenset()

    name: str = Field(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$",
        description="Unique; used by `trackrecord sync --source NAME` and in record keys "
        "(NAME:key), so it holds no ':'.",
    )
    schedule: Cron | None = Field(
        default=None,
        description="Cron expression (5 fields), checked on load; nothing runs it yet: "
        "`trackrecord sync` syncs every source.",
    )

    @model_validator(mode="before")
    @classmethod
    def _no_inline_secrets(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for key, meant in _INLINE_SECRETS.items():
                if key in data:
                    raise FieldValueError(
                        f"secrets are named by environment variable ({meant}), never inlined: "
                        f"write `{meant}: SOME_VARIABLE` and put the value in that variable",
                        (key,),
                    )
        return data


class JiraSource(_Source):
    """Jira Cloud or Data Center: tickets and their status transitions."""

    record_kinds: ClassVar[frozenset[str]] = frozenset({"ticket", "ticket_change"})

    kind: Literal["jira"] = Field(description="Source kind.")
    url: HttpUrl = Field(description="Base URL, e.g. https://example.atlassian.net.")
    email_env: EnvName | None = Field(
        default=None, description="Variable holding the account e-mail (Cloud basic auth)."
    )
    token_env: EnvName = Field(
        description="Variable holding the API token (Cloud) or personal access token (DC)."
    )
    jql: str = Field(
        default="order by updated",
        min_length=1,
        description="Which tickets to read; the sync adds its own `updated >=` bound.",
    )
    deployment: Literal["cloud", "datacenter"] | None = Field(
        default=None, description="Cloud or Data Center; leave out to detect it from serverInfo."
    )
    page_size: int = Field(
        default=100, ge=1, le=5000, description="Issues per search request (the API may cap it)."
    )


class GithubDeployments(BaseModel):
    """Which deployments count: deployment environments and workflow runs treated as deploys."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    environments: list[str] = Field(
        default_factory=lambda: ["production"],
        description="Deployment environments that count (GitHub deployments API).",
    )
    workflows: list[str] = Field(
        default_factory=list,
        description="Glob patterns of workflow names or files whose runs count as deployments.",
    )


class GithubSource(_Source):
    """GitHub or GitHub Enterprise Server: pull requests, reviews, deployments."""

    record_kinds: ClassVar[frozenset[str]] = frozenset(
        {"pull_request", "review_request", "review", "deployment"})

    kind: Literal["github"] = Field(description="Source kind.")
    url: HttpUrl = Field(
        default="https://api.github.com",
        description="API base URL; an Enterprise Server API URL works too.",
    )
    token_env: EnvName = Field(description="Variable holding a token that can read the repos.")
    repos: list[RepoName] = Field(
        default_factory=list, description="Repositories as owner/name (or give org instead)."
    )
    org: str | None = Field(
        default=None, min_length=1, description="Every repository of this organization."
    )
    deployments: GithubDeployments = Field(
        default_factory=GithubDeployments, description="Which deployments count."
    )
    services: dict[RepoName, str] = Field(
        default_factory=dict,
        description="Deprecated: use the top-level `services` (still read, merged into it).",
    )
    incident_window_hours: float = Field(
        default=DEFAULT_INCIDENT_WINDOW_HOURS,
        gt=0,
        description="Deprecated: use the top-level `incident_window_hours` (still read when the "
        "top level does not set it; GitHub sources that set it must agree).",
    )
    request_interval: float = Field(
        default=0.25,
        ge=0,
        description="Seconds between REST requests: GitHub asks integrations to pace their "
        "calls rather than burst. 0 only for a local server.",
    )
    bots: list[str] = Field(
        default_factory=lambda: list(DEFAULT_BOTS),
        description="Logins whose pull requests and reviews are not a person's evidence.",
    )
    bot_suffix: bool = Field(
        default=True, description="Also treat any login ending in '[bot]' as a bot."
    )

    @model_validator(mode="after")
    def _repos_or_org(self) -> GithubSource:
        if bool(self.repos) == (self.org is not None):
            raise ValueError("give either repos (a list of owner/name) or org, not both")
        return self

    def is_bot(self, login: str) -> bool:
        """GitHub logins compare case-insensitively."""
        folded = login.casefold()
        if self.bot_suffix and folded.endswith("[bot]"):
            return True
        return folded in {bot.casefold() for bot in self.bots}

    def counts_as_deployment(self, workflow: str) -> bool:
        """Whether a workflow run (by name or file) is a deployment, per `deployments.workflows`."""
        return any(fnmatch.fnmatchcase(workflow, pattern) for pattern in self.deployments.workflows)


class PrometheusSeries(BaseModel):
    """One PromQL query whose samples feed a catalog metric, owned through a label."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    metric: str = Field(min_length=1, description="The catalog metric these samples feed.")
    query: str = Field(min_length=1, description="PromQL range query.")
    owner_label: str = Field(min_length=1, description="Label whose value says who owns a series.")
    owners: dict[str, str] = Field(
        min_length=1,
        description="Label value → person id, or 'team:NAME' for a whole team.",
    )


class PrometheusSource(_Source):
    """Prometheus: samples of configured series (error rates, availability)."""

    record_kinds: ClassVar[frozenset[str]] = frozenset({"sample"})

    kind: Literal["prometheus"] = Field(description="Source kind.")
    url: HttpUrl = Field(description="Server URL, e.g. http://prometheus.internal:9090.")
    token_env: EnvName | None = Field(default=None, description="Variable with a bearer token.")
    user_env: EnvName | None = Field(default=None, description="Variable with a basic-auth user.")
    password_env: EnvName | None = Field(
        default=None, description="Variable with the basic-auth password."
    )
    step: Duration = Field(default="5m", description="Resolution of range queries: 30s, 5m, 1h.")
    backfill_days: int = Field(default=90, ge=1, description="How far back the first sync reads.")
    series: list[PrometheusSeries] = Field(min_length=1, description="What to read.")

    @model_validator(mode="after")
    def _one_auth(self) -> PrometheusSource:
        if (self.user_env is None) != (self.password_env is None):
            raise ValueError("basic auth needs both user_env and password_env")
        if self.token_env and self.user_env:
            raise ValueError("give token_env (bearer) or user_env/password_env (basic), not both")
        return self

    @property
    def step_seconds(self) -> int:
        """The step in seconds, as the query_range API takes it."""
        return duration_seconds(self.step)


class PagerDutySource(_Source):
    """PagerDuty: incidents, with acknowledge times from their log entries."""

    record_kinds: ClassVar[frozenset[str]] = frozenset({"incident"})

    kind: Literal["pagerduty"] = Field(description="Source kind.")
    url: HttpUrl = Field(default="https://api.pagerduty.com", description="REST API base URL.")
    token_env: EnvName = Field(description="Variable holding a read-only REST API key.")
    backfill_days: int = Field(default=365, ge=1, description="How far back the first sync reads.")
    services: list[str] = Field(
        default_factory=list, description="Service ids to read (e.g. P1234AB); none: all."
    )


class CsvSource(_Source):
    """CSV or JSON files, for tools without a connector: one record kind per file."""

    kind: Literal["csv"] = Field(description="Source kind.")
    path: Path = Field(description="A file or folder; relative paths are read from the config dir.")

    def resolved_path(self, config_dir: Path) -> Path:
        """Relative paths belong to the configuration, not to wherever the command runs."""
        return self.path if self.path.is_absolute() else config_dir / self.path


AnySource = JiraSource | GithubSource | PrometheusSource | PagerDutySource | CsvSource
Source = Annotated[AnySource, Field(discriminator="kind")]


class SourcesFile(BaseModel):
    """sources.yaml."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    sources: list[Source] = Field(description="Every source to sync; names are unique.")
    services: dict[RepoName, str] = Field(
        default_factory=dict,
        description="Repository (owner/name) → the incident service it runs, to join incidents "
        "to deployments from any source (GitHub or CSV).",
    )
    incident_window_hours: float | None = Field(
        default=None,
        gt=0,
        description="A deployment followed by an incident on its service within this many hours "
        f"is a change failure (default {DEFAULT_INCIDENT_WINDOW_HOURS:g}).",
    )

    @model_validator(mode="after")
    def _unique_names(self) -> SourcesFile:
        first: dict[str, int] = {}
        for index, source in enumerate(self.sources):
            if source.name in first:
                earlier = f"sources[{first[source.name]}]"
                raise FieldValueError(
                    f"source name {source.name!r} is used twice (first by {earlier})",
                    ("sources", index, "name"),
                )
            first[source.name] = index
        return self

    @model_validator(mode="after")
    def _one_incident_window(self) -> SourcesFile:
        """The incident join runs once over all deployments, whichever source stored them, so
        two windows would leave it undefined which one applies."""
        if self.incident_window_hours is not None:
            return self
        joining = self._joining_sources()
        for index, source in joining[1:]:
            first = joining[0][1]
            if source.incident_window_hours != first.incident_window_hours:
                raise FieldValueError(
                    f"incident_window_hours must be the same for every github source with "
                    f"services: {first.name!r} has {first.incident_window_hours:g}",
                    ("sources", index, "incident_window_hours"),
                )
        return self

    def _joining_sources(self) -> list[tuple[int, GithubSource]]:
        """The GitHub sources with the old per-source `services`, with positions."""
        return [
            (index, source) for index, source in enumerate(self.sources)
            if isinstance(source, GithubSource) and source.services
        ]

    @property
    def failure_window_hours(self) -> float:
        """The change-failure window: the top level's, else the GitHub sources' agreed one."""
        if self.incident_window_hours is not None:
            return self.incident_window_hours
        joining = self._joining_sources()
        return joining[0][1].incident_window_hours if joining else DEFAULT_INCIDENT_WINDOW_HOURS

    @property
    def repo_services(self) -> dict[str, str]:
        """Repository → incident service: the GitHub sources' old maps, then the top level's."""
        merged = {repo: svc for _, s in self._joining_sources() for repo, svc in
                  s.services.items()}
        return merged | self.services

    @property
    def deprecations(self) -> list[tuple[tuple[str | int, ...], str]]:
        """Settings still read from their old place: (field path, what to do instead)."""
        return [
            (("sources", index, field), f"deprecated here: move it to the top-level `{field}:`")
            for index, source in enumerate(self.sources)
            if isinstance(source, GithubSource)
            for field in ("services", "incident_window_hours")
            if field in source.model_fields_set
        ]

    def named(self, name: str) -> AnySource:
        """The source `trackrecord sync --source NAME` means; KeyError lists the names."""
        for source in self.sources:
            if source.name == name:
                return source
        raise KeyError(f"no source named {name!r}; sources: {[s.name for s in self.sources]}")
