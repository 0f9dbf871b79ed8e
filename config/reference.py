"""The configuration reference, generated from the models so it cannot drift from what is
validated: the README embeds it and a test fails when the two differ (`trackrecord readme`)."""

from __future__ import annotations

import json
import types
import typing
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from config.people import Person
from config.plans import Exclusion, Goal, Plan, Sustain, Target, Window
from config.settings import ENV_PREFIX, Settings
from config.sources import (
    CsvSource,
    GithubDeployments,
    GithubSource,
    JiraSource,
    PagerDutySource,
    PrometheusSeries,
    PrometheusSource,
)

__all__ = ["config_reference"]

_COMMON_SOURCE_FIELDS = ("name", "kind", "schedule")
_SOURCES: tuple[tuple[str, type[BaseModel]], ...] = (
    ("jira", JiraSource),
    ("github", GithubSource),
    ("github `deployments:`", GithubDeployments),
    ("prometheus", PrometheusSource),
    ("prometheus `series:` entries", PrometheusSeries),
    ("pagerduty", PagerDutySource),
    ("csv", CsvSource),
)
_PLAN_PARTS: tuple[tuple[str, type[BaseModel]], ...] = (
    ("a plan", Plan),
    ("`goals:` entries", Goal),
    ("a goal's `target:` (exactly one)", Target),
    ("a goal's `sustain:`", Sustain),
    ("`baseline:`", Window),
    ("`exclusions:` entries", Exclusion),
)


def _type_name(annotation: Any) -> str:
    """A reader's name for a field's type; validators riding on `Annotated` are left out."""
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is typing.Annotated:
        return _type_name(args[0])
    if origin is typing.Literal:
        return " \\| ".join(str(arg) for arg in args)
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_type_name(arg) for arg in args if arg is not type(None))
    if origin is list:
        return f"list of {_type_name(args[0])}"
    if origin is dict:
        return f"map {_type_name(args[0])} → {_type_name(args[1])}"
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return "mapping (below)"
    names = {str: "text", int: "integer", float: "number", bool: "true/false", date: "date"}
    return names.get(annotation, getattr(annotation, "__name__", str(annotation)))


def _default(info: FieldInfo) -> str:
    if info.default_factory is not None:
        value = info.default_factory()  # type: ignore[call-arg]
    elif info.default is PydanticUndefined:
        return "required"
    else:
        value = info.default
    if value is None or value in ([], {}):
        return "—"
    if isinstance(value, BaseModel):
        return "see below"
    if isinstance(value, Path):
        return f"`{value}`"
    return f"`{json.dumps(value, default=str, ensure_ascii=False)}`"


def _rows(model: type[BaseModel], skip: tuple[str, ...] = ()) -> Iterator[str]:
    for name, info in model.model_fields.items():
        key = info.alias or name
        if key in skip:
            continue
        description = (info.description or "").replace("|", "\\|")
        yield f"| `{key}` | {_type_name(info.annotation)} | {_default(info)} | {description} |"


def _table(model: type[BaseModel], skip: tuple[str, ...] = ()) -> str:
    head = "| field | type | default | meaning |\n|---|---|---|---|"
    return "\n".join([head, *_rows(model, skip)])


def _settings_table() -> str:
    lines = ["| variable | default | meaning |", "|---|---|---|"]
    for name, info in Settings.model_fields.items():
        lines.append(f"| `{ENV_PREFIX}{name.upper()}` | {_default(info)} | {info.description} |")
    return "\n".join(lines)


def config_reference() -> str:
    """Markdown: the settings, then every field of sources.yaml, people.yaml and plans/*.yaml."""
    parts = ["### Settings (environment)", _settings_table(), "### sources.yaml"]
    parts.append(
        "`sources:` is a list; every entry has `name`, `kind` and an optional `schedule` "
        "(cron), then the fields of its kind."
    )
    parts += [
        f"#### {title}\n\n{_table(model, _COMMON_SOURCE_FIELDS)}" for title, model in _SOURCES
    ]
    parts += ["### people.yaml", "`people:` is a list of:", _table(Person)]
    parts += ["### plans/ID.yaml", *(f"#### {t}\n\n{_table(m)}" for t, m in _PLAN_PARTS)]
    return "\n\n".join(parts) + "\n"
