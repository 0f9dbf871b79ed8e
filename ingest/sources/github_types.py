"""What GitHub's stream modules share: the settings they read, the REST calls they make, the
cursor of one repository and what a run gives each repository's sync.

A module of its own so that the glue (`github`) and the streams (`github_graphql`,
`github_deployments`) import these types from here, never from each other: no import cycle.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

_LINK_NEXT = re.compile(r'<([^>]+)>;\s*rel="next"')


class DeploymentSettings(Protocol):
    environments: list[str]
    workflows: list[str]


class GithubSourceConfig(Protocol):
    """What the connector reads of a sources.yaml entry (`config.sources.GithubSource`)."""

    name: str
    url: str
    token_env: str
    repos: list[str]
    org: str | None
    deployments: DeploymentSettings
    request_interval: float

    def counts_as_deployment(self, workflow: str) -> bool: ...


@dataclass
class RequestCounter:
    issued: int = 0


@dataclass(frozen=True)
class RestAnswer:
    status: int
    headers: Mapping[str, str]  # lower-case names
    body: Any

    @property
    def not_modified(self) -> bool:
        return self.status == 304

    @property
    def etag(self) -> str | None:
        return self.headers.get("etag")

    @property
    def next_url(self) -> str | None:
        found = _LINK_NEXT.search(self.headers.get("link", ""))
        return found.group(1) if found else None


class RestApi(Protocol):
    """The REST calls the deployment and workflow-run streams make (`github.GithubApi`)."""

    def get(
        self, url: str, params: Mapping[str, Any] | None = None, *, etag: str | None = None
    ) -> RestAnswer: ...

    def pages(
        self, url: str, params: Mapping[str, Any], *, etag: str | None = None
    ) -> Generator[RestAnswer, None, None]: ...


@dataclass
class RepoCursor:
    since: datetime | None = None  # newest updatedAt (pull requests) or created_at seen
    etag: str | None = None  # of the listing's first page
    pending: dict[str, str] = field(default_factory=dict)  # id → created_at, not finished yet


class RepoContext(Protocol):
    """What a run gives each repository's sync (`github.GithubContext`)."""

    @property
    def source(self) -> GithubSourceConfig: ...

    @property
    def clock(self) -> Callable[[], datetime]: ...

    # The oldest time to read from: the cursor less the lookback; None on a first run.
    def floor(self, cursor: RepoCursor) -> datetime | None: ...


__all__ = [
    "DeploymentSettings",
    "GithubSourceConfig",
    "RepoContext",
    "RepoCursor",
    "RequestCounter",
    "RestAnswer",
    "RestApi",
]
