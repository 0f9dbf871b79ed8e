"""Read a hand-written YAML file into a pydantic model, with errors a person can act on.

The file is composed into PyYAML's node tree first, because nodes remember their lines and the
constructed dicts do not; a pydantic error's `loc` is then walked down the tree to find the line
of the offending key (or of the nearest parent, for a field that is missing).
"""

from __future__ import annotations

import difflib
import re
import types
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar, Union, get_args, get_origin

import yaml
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from config.errors import ConfigError, describe_error

__all__ = ["Loc", "YamlDocument", "format_field", "load_model", "read_yaml", "validate"]

M = TypeVar("M", bound=BaseModel)
Loc = tuple[str | int, ...]


class _Loader(yaml.SafeLoader):
    """A SafeLoader that reports an impossible date (2026-02-30) with its line, not a ValueError."""


def _construct_timestamp(loader: yaml.SafeLoader, node: yaml.Node) -> object:
    try:
        return yaml.SafeLoader.construct_yaml_timestamp(loader, node)  # type: ignore[arg-type]
    except ValueError as exc:
        problem = f"{node.value!r} is not a valid date ({exc})"
        raise yaml.constructor.ConstructorError(None, None, problem, node.start_mark) from None


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)


@dataclass(frozen=True)
class YamlDocument:
    """A parsed file: the plain data for pydantic, and the node tree that knows the lines."""

    path: Path
    root: yaml.Node
    data: Any

    def locate(self, loc: Loc, *, missing: bool = False) -> tuple[int, str | None]:
        """Line and display path (`goals[0].target`) for `loc`; see `_walk` for the rules."""
        line, shown = _walk(self.root, loc, missing=missing)
        return line, format_field(shown)

    def error(self, loc: Loc, problem: str, *, missing: bool = False) -> ConfigError:
        """A ConfigError at `loc`, for checks that run after validation (cross-file ones)."""
        line, field = self.locate(loc, missing=missing)
        return ConfigError(self.path, problem, line=line, field=field)


def load_model(path: Path, model: type[M]) -> M:
    """Read `path` and validate it as `model`, raising ConfigError with every problem found."""
    return validate(read_yaml(path), model)


def read_yaml(path: Path) -> YamlDocument:
    """Parse one YAML document; syntax errors, duplicate keys and empty files are ConfigErrors."""
    text = _read_text(path)
    try:
        root = yaml.compose(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        raise _syntax_error(path, text, exc) from None
    if root is None:
        raise ConfigError(path, "the file is empty (or holds only comments)")
    duplicates = sorted(_duplicate_keys(path, root), key=lambda error: error.line or 0)
    if duplicates:
        raise ConfigError.from_errors(duplicates)
    loader = _Loader("")
    try:
        data = loader.construct_document(root)
    except yaml.YAMLError as exc:
        raise _syntax_error(path, text, exc) from None
    finally:
        loader.dispose()
    return YamlDocument(path=path, root=root, data=data)


def validate(document: YamlDocument, model: type[M]) -> M:
    """Validate the document's data; each pydantic error becomes one located line."""
    try:
        return model.model_validate(document.data)
    except ValidationError as exc:
        # `from None`: the pydantic error's text echoes input values, which may be secrets.
        raise _located_errors(document, model, exc.errors()) from None


def format_field(loc: Sequence[str | int]) -> str | None:
    """`("goals", 0, "target", "at_most")` → `goals[0].target.at_most`."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        elif re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", part):
            text += f".{part}" if text else part
        else:
            text += f"[{part!r}]"
    return text or None


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(path, "file not found") from None
    except IsADirectoryError:
        raise ConfigError(path, "is a directory, not a file") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(path, f"is not UTF-8 text ({exc.reason})") from None
    except OSError as exc:
        raise ConfigError(path, f"cannot be read: {exc.strerror}") from None


def _syntax_error(path: Path, text: str, exc: yaml.YAMLError) -> ConfigError:
    """Pick the most useful line: where the parser stopped, or where an unclosed thing began."""
    if not isinstance(exc, yaml.MarkedYAMLError):
        position = getattr(exc, "position", None)
        line = text.count("\n", 0, position) + 1 if isinstance(position, int) else None
        return ConfigError(path, f"invalid YAML: {exc}", line=line)
    problem = exc.problem or "cannot be parsed"
    mark, context = exc.problem_mark, exc.context_mark
    at_end = mark is not None and mark.index >= len(text.rstrip())
    if context is not None and (mark is None or at_end):
        mark = context
    if "'\\t'" in problem:
        problem += " (indent with spaces, not tabs)"
    elif exc.context and context is not None and context is not mark:
        problem += f" ({exc.context} on line {context.line + 1})"
    elif exc.context:
        problem += f" ({exc.context})"
    return ConfigError(path, f"invalid YAML: {problem}", line=mark.line + 1 if mark else None)


def _duplicate_keys(path: Path, root: yaml.Node) -> Iterator[ConfigError]:
    """PyYAML keeps the last of two equal keys silently; a plan could lose its real target."""
    seen_nodes: set[int] = set()
    stack: list[tuple[yaml.Node, Loc]] = [(root, ())]
    while stack:
        node, loc = stack.pop()
        if id(node) in seen_nodes:
            continue
        seen_nodes.add(id(node))
        if isinstance(node, yaml.SequenceNode):
            stack.extend((item, (*loc, i)) for i, item in enumerate(node.value))
        elif isinstance(node, yaml.MappingNode):
            first_line: dict[str, int] = {}
            for key, value in node.value:
                name = str(key.value)
                line = key.start_mark.line + 1
                if name in first_line and name != "<<":
                    yield ConfigError(
                        path,
                        f"key {name!r} appears twice (first on line {first_line[name]})",
                        line=line,
                        field=format_field((*loc, name)),
                    )
                first_line.setdefault(name, line)
                stack.append((value, (*loc, name)))


def _walk(root: yaml.Node, loc: Loc, *, missing: bool) -> tuple[int, Loc]:
    """Follow `loc` down the node tree as far as the file goes.

    A key that is not in the file is either the missing field itself (the last part of a
    `missing` error: shown, but the line stays on its parent) or a name pydantic adds for a
    union member (`sources[0]` → `jira` → `url`): skipped. A scalar ends the walk; what is left
    of `loc` then names union members (`float`, `int`), not places in the file.
    """
    node, line, shown = root, root.start_mark.line + 1, list[str | int]()
    for i, part in enumerate(loc):
        if isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if not 0 <= part < len(node.value):
                break
            node = node.value[part]
            line = node.start_mark.line + 1
        elif isinstance(node, yaml.MappingNode):
            entry = _entry(node, part)
            if entry is None:
                if missing and i == len(loc) - 1:
                    shown.append(part)
                continue
            key, node = entry
            line = key.start_mark.line + 1
        else:
            break
        shown.append(part)
    return line, tuple(shown)


def _entry(node: yaml.MappingNode, name: str | int) -> tuple[yaml.Node, yaml.Node] | None:
    for key, value in node.value:
        if isinstance(key, yaml.ScalarNode) and key.value == str(name):
            return key, value
    return None


def _located_errors(
    document: YamlDocument, model: type[BaseModel], details: list[ErrorDetails]
) -> ConfigError:
    """One line per place; the alternatives of a union (int, float, str) share one line."""
    problems: dict[tuple[int, str], list[str]] = {}
    for detail in details:
        loc = _full_loc(detail)
        missing = detail["type"] in ("missing", "union_tag_not_found")
        line, field = document.locate(loc, missing=missing)
        found = problems.setdefault((line, field or ""), [])
        problem = _problem(detail, model, loc)
        if problem not in found:
            found.append(problem)
    return ConfigError.from_errors(
        ConfigError(document.path, _either(found), line=line, field=field or None)
        for (line, field), found in sorted(problems.items())
    )


def _either(problems: list[str]) -> str:
    if len(problems) > 1 and all(p.startswith("should be ") for p in problems):
        return "should be " + " or ".join(p.removeprefix("should be ") for p in problems)
    return "; ".join(problems)


def _full_loc(detail: ErrorDetails) -> Loc:
    """The error's own place, plus the nested place a FieldValueError or union tag names."""
    loc = tuple(detail["loc"])
    ctx = detail.get("ctx") or {}
    extra = getattr(ctx.get("error"), "loc", ())
    if detail["type"] in ("union_tag_invalid", "union_tag_not_found"):
        extra = (_discriminator(ctx),)
    return (*loc, *extra)


def _discriminator(ctx: dict[str, Any]) -> str:
    # pydantic quotes it: "'kind'".
    return str(ctx.get("discriminator", "")).strip("'")


def _problem(detail: ErrorDetails, model: type[BaseModel], loc: Loc) -> str:
    ctx = detail.get("ctx") or {}
    if detail["type"] == "union_tag_not_found":
        return "required field is missing"
    if detail["type"] == "union_tag_invalid":
        expected = str(ctx.get("expected_tags", "")).replace("'", "")
        return f"unknown {ctx.get('tag')!r}; expected one of {expected}"
    if detail["type"] == "extra_forbidden":
        return _unknown_field(model, loc)
    return describe_error(detail)


def _unknown_field(model: type[BaseModel], loc: Loc) -> str:
    """Most unknown fields are typos: suggest the nearest allowed name, or list them all."""
    name = str(loc[-1]) if loc else ""
    allowed = _fields_at(model, loc[:-1])
    if not allowed:
        return f"unknown field {name!r}"
    close = difflib.get_close_matches(name, allowed, n=1, cutoff=0.6)
    if close:
        return f"unknown field {name!r}; did you mean {close[0]!r}?"
    return f"unknown field {name!r}; expected one of {', '.join(allowed)}"


def _fields_at(model: type[BaseModel], loc: Loc) -> list[str] | None:
    """The field names (YAML spelling) of the model at `loc`, found through the annotations."""
    annotation: Any = model
    for part in loc:
        annotation = _step(_unwrap(annotation), part)
        if annotation is None:
            return None
    target = _unwrap(annotation)
    if isinstance(target, type) and issubclass(target, BaseModel):
        return [field.alias or name for name, field in target.model_fields.items()]
    return None


def _unwrap(annotation: Any) -> Any:
    """Drop Annotated[...] and the None of an Optional, which add no level to `loc`."""
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation = get_args(annotation)[0]
            continue
        if origin in (Union, types.UnionType):
            members = [arg for arg in get_args(annotation) if arg is not type(None)]
            if len(members) == 1:
                annotation = members[0]
                continue
        return annotation


def _step(annotation: Any, part: str | int) -> Any:
    origin = get_origin(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        for name, field in annotation.model_fields.items():
            if part in (name, field.alias):
                return field.annotation
        return None
    if origin in (list, tuple, set, frozenset) and isinstance(part, int):
        return get_args(annotation)[0]
    if origin is dict:
        return get_args(annotation)[1]
    if origin in (Union, types.UnionType):
        return _union_member(annotation, part)
    return None


def _union_member(annotation: Any, tag: str | int) -> Any:
    """The member a discriminated union's tag (a Literal value) or a class name selects."""
    for member in get_args(annotation):
        target = _unwrap(member)
        if not (isinstance(target, type) and issubclass(target, BaseModel)):
            continue
        if target.__name__ == tag:
            return target
        for field in target.model_fields.values():
            if get_origin(field.annotation) is Literal and tag in get_args(field.annotation):
                return target
    return None
