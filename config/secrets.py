"""Secrets come from the environment or from secret files, never from YAML, a database or a log.

`NAME` holds the value; `NAME_FILE` names a file holding it (Docker and Kubernetes secrets are
mounted as files). Messages name the variable or the file, never the value.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from pydantic import SecretStr

from config.errors import ConfigError

__all__ = ["read_secret"]


def read_secret(env_name: str, *, environ: Mapping[str, str] | None = None) -> SecretStr:
    """The secret named `env_name`, from `env_name` itself or the file `env_name`_FILE names.

    An empty variable counts as unset: an empty token is never what was meant.
    """
    env = os.environ if environ is None else environ
    value = env.get(env_name, "")
    if value:
        return SecretStr(value)
    file_variable = f"{env_name}_FILE"
    file_name = env.get(file_variable, "")
    if file_name:
        return SecretStr(_read_secret_file(Path(file_name), file_variable))
    raise ConfigError(
        None,
        f"the secret is not set: set {env_name}, or {file_variable} to a file holding it",
        field=env_name,
    )


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
