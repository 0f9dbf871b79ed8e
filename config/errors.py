"""One error type for everything a user can get wrong in the configuration.

A user fixing a file needs the place (file, line, field) and the problem in words, and all the
problems at once; a traceback helps nobody. The command line catches `ConfigError`, prints
`str(err)` and exits with `err.exit_code`.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pydantic_core import ErrorDetails

__all__ = ["ConfigError", "FieldValueError", "describe_error"]


class ConfigError(Exception):
    """A problem in a configuration file or the environment, located as precisely as we can.

    `errors` holds every problem found (at least one); the attributes describe the first, so
    code that handles one error at a time still works.
    """

    exit_code = 78  # EX_CONFIG from sysexits.h: "configuration error"

    def __init__(
        self,
        file: Path | str | None,
        problem: str,
        *,
        line: int | None = None,
        field: str | None = None,
    ) -> None:
        self.file = Path(file) if file is not None else None
        self.line = line
        self.field = field
        self.problem = problem
        self.errors: tuple[ConfigError, ...] = (self,)
        super().__init__(self._one_line())

    @classmethod
    def from_errors(cls, errors: Iterable[ConfigError]) -> ConfigError:
        """Fold several errors (each possibly holding several) into one that shows them all."""
        flat = tuple(each for error in errors for each in error.errors)
        if not flat:
            raise ValueError("from_errors needs at least one error")
        first = flat[0]
        combined = cls(first.file, first.problem, line=first.line, field=first.field)
        combined.errors = flat
        return combined

    def _one_line(self) -> str:
        place = ":".join(str(part) for part in (self.file, self.line) if part is not None)
        return ": ".join(part for part in (place, self.field, self.problem) if part)

    def __str__(self) -> str:
        return "\n".join(error._one_line() for error in self.errors)

    def __reduce__(self) -> tuple[Any, ...]:
        # Keyword-only arguments defeat Exception's default pickling (used by process pools).
        return (_rebuild, (self.file, self.problem, self.line, self.field, self.errors[1:]))


def _rebuild(
    file: Path | None,
    problem: str,
    line: int | None,
    field: str | None,
    others: tuple[ConfigError, ...],
) -> ConfigError:
    first = ConfigError(file, problem, line=line, field=field)
    return ConfigError.from_errors([first, *others]) if others else first


class FieldValueError(ValueError):
    """A model-level check that knows which nested field it is about.

    Pydantic places errors raised by a model validator on the whole model; `loc` (relative to
    that model) lets the YAML loader point at the line of the offending field instead, e.g. the
    second listing of a duplicated person rather than the top of people.yaml.
    """

    def __init__(self, message: str, loc: tuple[str | int, ...]) -> None:
        super().__init__(message)
        self.loc = loc


_PREFIXES = ("Value error, ", "Assertion failed, ")


def describe_error(error: ErrorDetails) -> str:
    """Pydantic's message, reworded where it is cryptic for someone editing YAML by hand.

    Input values are echoed only where they cannot be a secret (choices, numbers, booleans):
    a token pasted into the wrong field must not end up in a log.
    """
    kind, given = error["type"], error.get("input")
    if kind == "missing":
        return "required field is missing"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return "should be a mapping of keys to values (key: value)"
    if kind == "list_type":
        return "should be a list ([a, b] or one '- item' per line)"
    if given is None and kind.endswith("_type"):
        return "is empty; give a value or remove the key"
    message = error["msg"]
    for prefix in _PREFIXES:
        message = message.removeprefix(prefix)
    message = message.replace("Input should", "should", 1)
    if kind == "literal_error" and isinstance(given, str | int):
        return f"{message} (got {given!r})"
    if kind == "string_type" and isinstance(given, bool):
        return f"{message}; YAML read yes/no/on/off/true/false as {given}: put it in quotes"
    if kind == "string_type" and isinstance(given, int | float):
        return f"{message}; YAML read a number ({given!r}): put it in quotes to keep it as text"
    return message
