"""The frames the evaluation core takes: one declared schema per record kind (DESIGN §1).

The core reads evidence leniently (a column it does not find reads as empty, so unit tests can
hand it a few columns), which would turn a renamed column in the loader into "no events" — a
verdict of `insufficient_data` nobody could explain. So the shell checks every frame it hands
over against these schemas, and a missing column or a column of the wrong type is an error.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Literal

import pandas as pd
from pandas.api import types

__all__ = ["FRAME_SCHEMAS", "FrameContractError", "check_frames", "frame_problems"]

Dtype = Literal["text", "time", "date", "number", "flag"]

_COMMON: dict[str, Dtype] = {"source": "text", "key": "text"}

FRAME_SCHEMAS: dict[str, dict[str, Dtype]] = {
    "ticket": {
        **_COMMON, "url": "text", "person": "text", "status_category": "text",
        "created": "time", "resolved": "time", "due": "date",
    },
    "ticket_change": {
        **_COMMON, "ticket": "text", "at": "time", "field": "text", "from_value": "text",
        "to_value": "text", "from_person": "text", "to_person": "text",
    },
    "pull_request": {
        **_COMMON, "url": "text", "person": "text", "created": "time",
        "ready_for_review": "time", "merged": "time", "is_bot": "flag",
    },
    "review_request": {**_COMMON, "pr": "text", "person": "text", "at": "time"},
    "review": {
        **_COMMON, "url": "text", "pr": "text", "person": "text", "state": "text",
        "submitted": "time", "is_bot": "flag",
    },
    "deployment": {
        **_COMMON, "url": "text", "person": "text", "repo": "text", "created": "time",
        "finished": "time", "state": "text", "is_bot": "flag",
    },
    "incident": {
        **_COMMON, "url": "text", "person": "text", "service": "text", "created": "time",
        "acknowledged": "time", "resolved": "time",
    },
    "sample": {
        **_COMMON, "person": "text", "team": "text", "metric": "text", "at": "time",
        "value": "number",
    },
    "rating": {**_COMMON, "person": "text", "name": "text", "value": "number", "at": "time"},
}


def _is_time(column: pd.Series) -> bool:
    return isinstance(column.dtype, pd.DatetimeTZDtype)


def _is_text(column: pd.Series) -> bool:
    return types.is_object_dtype(column) or types.is_string_dtype(column)


def _is_date(column: pd.Series) -> bool:
    return types.is_object_dtype(column) or types.is_datetime64_any_dtype(column)


def _is_number(column: pd.Series) -> bool:
    return types.is_numeric_dtype(column) and not types.is_bool_dtype(column)


def _is_flag(column: pd.Series) -> bool:
    return types.is_bool_dtype(column)


_ACCEPTS: dict[Dtype, Callable[[pd.Series], bool]] = {
    "text": _is_text,
    "time": _is_time,
    "date": _is_date,
    "number": _is_number,
    "flag": _is_flag,
}
_SAYS: dict[Dtype, str] = {
    "text": "text (object or string)",
    "time": "zone-aware datetimes",
    "date": "dates",
    "number": "numbers",
    "flag": "booleans",
}


def frame_problems(kind: str, frame: pd.DataFrame) -> list[str]:
    """What is wrong with one kind's frame. An empty frame is only checked for its columns: a
    database hands back untyped columns when a table has no rows."""
    schema = FRAME_SCHEMAS.get(kind)
    if schema is None:
        return [f"{kind}: not a record kind the core knows ({', '.join(FRAME_SCHEMAS)})"]
    problems = [f"{kind}: column {name!r} is missing" for name in schema if name not in frame]
    if frame.empty:
        return problems
    return problems + [
        f"{kind}.{name}: should hold {_SAYS[dtype]}, has {frame[name].dtype}"
        for name, dtype in schema.items()
        if name in frame and not _ACCEPTS[dtype](frame[name])
    ]


class FrameContractError(ValueError):
    """The shell handed the core a frame that does not match its declared schema."""


def check_frames(frames: Mapping[str, pd.DataFrame]) -> None:
    """Raise FrameContractError naming every problem of every frame."""
    problems = [problem for kind, frame in frames.items() for problem in frame_problems(kind,
                                                                                         frame)]
    if problems:
        raise FrameContractError("evidence frames break their contract: " + "; ".join(problems))
