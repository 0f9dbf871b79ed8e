"""Settings from TRACKRECORD_* environment variables, in one typed tree (DESIGN §10).

Built by `get_settings()` when a command starts, never at import time, so tests and commands
can override any value and a bad variable is reported once, by name, as a ConfigError.
"""

from __future__ import annotations

from ipaddress import IPv4Network, IPv6Network, ip_network
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from config.errors import ConfigError, describe_error
from config.sources import Cron

__all__ = ["ENV_PREFIX", "Settings", "env_variable", "get_settings"]

ENV_PREFIX = "TRACKRECORD_"


class Settings(BaseSettings):
    """Everything a process needs before it reads the YAML files."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore", frozen=True)

    database_url: str = Field(
        default="sqlite:///var/trackrecord.db",
        min_length=1,
        repr=False,  # may hold a password: keep it out of logged reprs
        description="Any SQLAlchemy URL, e.g. postgresql+psycopg://user@host/db. "
        "The default is a SQLite file under ./var/.",
    )
    config_dir: Path = Field(
        default=Path("config"),
        description="Folder holding sources.yaml, people.yaml and plans/ (`--config DIR`).",
    )
    timezone: str = Field(
        default="UTC",
        description="IANA time zone in which plan dates, windows and weeks are read.",
    )
    lookback_minutes: int = Field(
        default=60,
        ge=1,  # 0 would turn off the re-read overlap every sync relies on (STYLE §3)
        description="How far each incremental sync re-reads behind its cursor, so clock skew "
        "and late updates are never lost.",
    )

    snapshot_schedule: Cron = Field(
        default="0 6 * * 1",
        description="Cron (minute hour day month weekday, read in TRACKRECORD_TIMEZONE) of the "
        "weekly snapshot job of `trackrecord scheduler`; checkpoint snapshots are taken daily "
        "at the same minute and hour. Default: Mondays at 06:00.",
    )
    smtp_url: str | None = Field(
        default=None,
        pattern=r"^smtp://[^/@\s:]+(:\d+)?/?$",
        description="smtp://host:port of the server for the weekly e-mail (STARTTLS when the "
        "server offers it); unset, no e-mail is sent. The password comes from "
        "TRACKRECORD_SMTP_PASSWORD (or TRACKRECORD_SMTP_PASSWORD_FILE).",
    )
    smtp_user: str | None = Field(
        default=None, description="User name for the SMTP server, if it needs one."
    )
    smtp_from: str = Field(
        default="trackrecord@localhost",
        pattern=r"^[^@\s]+@[^@\s]+$",
        description="Sender address of the weekly e-mail.",
    )
    secret_key: SecretStr | None = Field(
        default=None,
        description="Signs the web app's session cookies; keep it secret and the same across "
        "workers. Unset with a SQLite database: one is generated and kept beside the database "
        "file (var/secret_key).",
    )
    session_hours: float = Field(
        default=8, gt=0, description="How long a web app session lasts after signing in."
    )
    connect_timeout: float = Field(
        default=10.0,
        gt=0,
        description="Seconds to wait for a source's server to accept a connection.",
    )
    read_timeout: float = Field(
        default=60.0,
        gt=0,
        description="Seconds to wait for each answer from a source's server.",
    )
    trusted_user_header: str | None = Field(
        default=None,
        description="Single sign-on behind a reverse proxy: the request header (e.g. "
        "X-Forwarded-User) naming the signed-in account, which must exist (`users add`). Off "
        "when unset; honoured only from TRACKRECORD_TRUSTED_PROXIES.",
    )
    trusted_proxies: str = Field(
        default="",
        description="Comma-separated addresses or networks (10.0.0.0/8) of the reverse proxies "
        "whose TRACKRECORD_TRUSTED_USER_HEADER is believed; from anywhere else it is ignored.",
    )

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown time zone {value!r}; use an IANA name such as UTC or Europe/Berlin"
            ) from None
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: str) -> str:
        _proxy_networks(value)
        return value

    @property
    def proxy_networks(self) -> tuple[IPv4Network | IPv6Network, ...]:
        return _proxy_networks(self.trusted_proxies)

    @property
    def zone(self) -> ZoneInfo:
        """The time zone as an object (ZoneInfo caches them, so this is cheap)."""
        return ZoneInfo(self.timezone)


def _proxy_networks(value: str) -> tuple[IPv4Network | IPv6Network, ...]:
    """The networks of a comma-separated list; ValueError names the part that is none."""
    networks = []
    for part in filter(None, (p.strip() for p in value.split(","))):
        try:
            networks.append(ip_network(part, strict=False))
        except ValueError:
            raise ValueError(f"{part!r} is not an address or a network") from None
    return tuple(networks)


def get_settings(**overrides: Any) -> Settings:
    """Settings from the environment, with `overrides` (e.g. `--config DIR`) taking precedence."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        errors = [
            ConfigError(
                None,
                describe_error(detail),
                field=_setting_source(str(detail["loc"][0]) if detail["loc"] else "", overrides),
            )
            for detail in exc.errors()
        ]
        raise ConfigError.from_errors(errors) from None


def env_variable(field_name: str) -> str:
    """The environment variable that sets a field: `timezone` → TRACKRECORD_TIMEZONE."""
    return f"{ENV_PREFIX}{field_name.upper()}"


def _setting_source(field_name: str, overrides: dict[str, Any]) -> str:
    # Name what the user actually set: the variable, unless the value came from an override.
    return field_name if field_name in overrides else env_variable(field_name)
