from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from config.errors import ConfigError


def test_message_names_file_line_field_and_problem() -> None:
    error = ConfigError(Path("plans/a.yaml"), "required field is missing", line=9, field="goals[0]")

    assert str(error) == "plans/a.yaml:9: goals[0]: required field is missing"
    assert (error.file, error.line, error.field) == (Path("plans/a.yaml"), 9, "goals[0]")
    assert error.problem == "required field is missing"


@pytest.mark.parametrize(
    ("file", "line", "field", "expected"),
    [
        ("people.yaml", None, None, "people.yaml: the problem"),
        ("people.yaml", 3, None, "people.yaml:3: the problem"),
        (None, None, "TRACKRECORD_TIMEZONE", "TRACKRECORD_TIMEZONE: the problem"),
    ],
)
def test_missing_parts_are_left_out(
    file: str | None, line: int | None, field: str | None, expected: str
) -> None:
    assert str(ConfigError(file, "the problem", line=line, field=field)) == expected


def test_several_errors_show_one_per_line_and_the_first_is_the_attributes() -> None:
    first = ConfigError("a.yaml", "one", line=1, field="x")
    second = ConfigError("b.yaml", "two", line=2)
    third = ConfigError("c.yaml", "three")

    error = ConfigError.from_errors([first, ConfigError.from_errors([second, third])])

    assert str(error) == "a.yaml:1: x: one\nb.yaml:2: two\nc.yaml: three"
    assert (error.file, error.line, error.field, error.problem) == (Path("a.yaml"), 1, "x", "one")
    assert len(error.errors) == 3


def test_from_errors_needs_one() -> None:
    with pytest.raises(ValueError):
        ConfigError.from_errors([])


def test_survives_pickling_with_all_its_errors() -> None:
    error = ConfigError.from_errors(
        [ConfigError("a.yaml", "one", line=1, field="x"), ConfigError("b.yaml", "two")]
    )

    copy = pickle.loads(pickle.dumps(error))

    assert str(copy) == str(error)
    assert copy.line == 1


def test_exit_code_is_non_zero() -> None:
    assert ConfigError(None, "x").exit_code != 0
