from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from config.errors import ConfigError
from config.settings import Settings, env_variable, get_settings


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DATABASE_URL", "CONFIG_DIR", "TIMEZONE", "LOOKBACK_MINUTES"):
        monkeypatch.delenv(f"TRACKRECORD_{name}", raising=False)


def test_defaults() -> None:
    settings = get_settings()

    assert settings.database_url == "sqlite:///var/trackrecord.db"
    assert settings.config_dir == Path("config")
    assert settings.timezone == "UTC"
    assert settings.zone == ZoneInfo("UTC")
    assert settings.lookback_minutes == 60
    assert (settings.connect_timeout, settings.read_timeout) == (10.0, 60.0)


def test_environment_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRACKRECORD_DATABASE_URL", "postgresql+psycopg://tr@db.internal/tr")
    monkeypatch.setenv("TRACKRECORD_CONFIG_DIR", "/etc/trackrecord")
    monkeypatch.setenv("TRACKRECORD_TIMEZONE", "Europe/Berlin")
    monkeypatch.setenv("TRACKRECORD_LOOKBACK_MINUTES", "90")

    settings = get_settings()

    assert settings.database_url == "postgresql+psycopg://tr@db.internal/tr"
    assert settings.config_dir == Path("/etc/trackrecord")
    assert settings.zone == ZoneInfo("Europe/Berlin")
    assert settings.lookback_minutes == 90


def test_arguments_override_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRACKRECORD_CONFIG_DIR", "/etc/trackrecord")

    assert get_settings(config_dir=Path("elsewhere")).config_dir == Path("elsewhere")


def test_bad_time_zone_in_the_environment_names_the_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TRACKRECORD_TIMEZONE", "Mars/Olympus_Mons")

    with pytest.raises(ConfigError) as caught:
        get_settings()

    assert caught.value.file is None
    assert caught.value.field == "TRACKRECORD_TIMEZONE"
    assert str(caught.value) == (
        "TRACKRECORD_TIMEZONE: unknown time zone 'Mars/Olympus_Mons'; "
        "use an IANA name such as UTC or Europe/Berlin"
    )


def test_bad_override_names_the_argument() -> None:
    with pytest.raises(ConfigError) as caught:
        get_settings(timezone="../../etc/passwd")

    assert caught.value.field == "timezone"


def test_every_bad_variable_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRACKRECORD_TIMEZONE", "Nowhere")
    monkeypatch.setenv("TRACKRECORD_LOOKBACK_MINUTES", "an hour")

    with pytest.raises(ConfigError) as caught:
        get_settings()

    fields = [error.field for error in caught.value.errors]
    assert fields == ["TRACKRECORD_TIMEZONE", "TRACKRECORD_LOOKBACK_MINUTES"]


@pytest.mark.parametrize("minutes", ["0", "-1"])
def test_a_lookback_under_a_minute_is_refused(
    monkeypatch: pytest.MonkeyPatch, minutes: str
) -> None:
    """Every sync re-reads behind its cursor; no lookback would make that overlap empty."""
    monkeypatch.setenv("TRACKRECORD_LOOKBACK_MINUTES", minutes)

    with pytest.raises(ConfigError) as caught:
        get_settings()

    assert caught.value.field == "TRACKRECORD_LOOKBACK_MINUTES"
    assert "greater than or equal to 1" in str(caught.value)
    assert get_settings(lookback_minutes=1).lookback_minutes == 1


def test_database_url_stays_out_of_the_repr_and_messages(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRACKRECORD_DATABASE_URL", "postgresql://tr:hunter2@db/tr")
    monkeypatch.setenv("TRACKRECORD_LOOKBACK_MINUTES", "-1")

    assert "hunter2" not in repr(get_settings(lookback_minutes=1))
    with pytest.raises(ConfigError) as caught:
        get_settings()
    assert "hunter2" not in str(caught.value)


def test_nothing_is_built_at_import_time() -> None:
    import config

    for module in (config, config.settings):
        assert not any(isinstance(value, Settings) for value in vars(module).values())


def test_every_field_is_described() -> None:
    assert all(field.description for field in Settings.model_fields.values())


def test_env_variable() -> None:
    assert env_variable("timezone") == "TRACKRECORD_TIMEZONE"
