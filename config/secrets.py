"""Secrets come from the environment or from secret files, never from YAML, a database or a log.

`NAME` holds the value; `NAME_FILE` names a file holding it (Docker and Kubernetes secrets are
mounted as files). Messages name the variable or the file, never the value.

Every value handed out is remembered, so `redact` can take it out of any text that is about to be
printed or stored: an error a client library raises may quote a header, and with it the token.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from pydantic import SecretStr

from config.errors import ConfigError

__all__ = ["read_secret", "redact", "register_secret"]

REDACTED = "[secret]"
# Shorter values are too likely to be ordinary words ("test", "demo") to take out of every text.
_MIN_REDACTED = 4
_handed_out: set[str] = set()


def register_secret(value: str | None) -> None:
    """Remember a secret that did not come through `read_secret` (a database password)."""
    if value and len(value) >= _MIN_REDACTED:
        _handed_out.add(value)


def redact(text: str) -> str:
    """`text` without any secret value handed out so far, longest first (one may hold another)."""
    for value in sorted(_handed_out, key=len, reverse=True):
        text = text.replace(value, REDACTED)
    return text


def read_secret(env_name: str, *, environ: Mapping[str, str] | None = None) -> SecretStr:
    """The secret named `env_name`, from `env_name` itself or the file `env_name`_FILE names.

    An empty variable counts as unset: an empty token is never what was meant. Surrounding
    whitespace is dropped (a value pasted with its newline); a line break inside is refused, as
    no token holds one and an HTTP header cannot.
    """
    env = os.environ if environ is None else environ
    value = env.get(env_name, "").strip()
    if value:
        return _checked(value, env_name, None)
    file_variable = f"{env_name}_FILE"
    file_name = env.get(file_variable, "")
    if file_name:
        path = Path(file_name)
        return _checked(_read_secret_file(path, file_variable), file_variable, path)
    raise ConfigError(
        None,
        f"the secret is not set: set {env_name}, or {file_variable} to a file holding it",
        field=env_name,
    )


def _checked(value: str, variable: str, path: Path | None) -> SecretStr:
    register_secret(value)
    if "\n" in value or "\r" in value:
        problem = "the secret holds a line break; it must be one line (a token, a password)"
        raise ConfigError(path, problem, field=variable)
    return SecretStr(value)


def _read_secret_file(path: Path, file_variable: str) -> str:
    try:
        value = path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        problem = f"cannot read the secret file named by {file_variable}: {exc.strerror}"
        raise ConfigError(path, problem, field=file_variable) from None
    except UnicodeDecodeError:
        raise ConfigError(path, "the secret file is not UTF-8 text", field=file_variable) from None
    if not value:
        raise ConfigError(path, "the secret file is empty", field=file_variable)
    return value
