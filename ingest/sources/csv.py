"""CSV and JSON files: evidence from tools with no connector (ServiceNow or Opsgenie exports,
a spreadsheet of deployments), read with pandas.

Files. Every `*.csv`, `*.json` (an array of objects), `*.jsonl` / `*.ndjson` (one object a line)
under the source's `path`, a file or a folder searched recursively; a relative path is read from
the configuration folder (TRACKRECORD_CONFIG_DIR). Files are read in name order.

Kind. Each row's record kind comes from a `kind` column when the row has one (`incident` or
`incidents`, likewise for every kind), otherwise from the start of the file name:
`incidents.csv`, `incidents-servicenow-2026.csv`, `deployments_q3.json`, `tickets.jsonl`.

Columns. A kind's columns are its record's fields, by name (`column_reference()` lists them; the
README's table is generated from it). Other columns are ignored, so an export can be used as it
is once its headers are renamed. Required: the natural key, the times the metrics read, and the
fields they group or filter by; `url` and descriptive text may be left out (stored empty), and
`updated` defaults to the row's latest time. The record's `source` is this source's name.

- ticket: ticket_key*, project, issue_type, summary, status*, status_category* (new |
  indeterminate | done), assignee_account, assignee_email, reporter_account, created*, updated,
  resolved, due (a date), priority, url
- incident: incident_id*, title, service*, urgency, assignee_account, created*, acknowledged,
  resolved, updated, assignees (accounts separated by `;`), url
- deployment: deployment_id*, repo*, environment, sha, creator_account, created*, finished,
  state* (success | failure | error | rolled_back | ...), updated, url

Values. Times are ISO 8601 (`2026-09-01T09:30:00Z`, `2026-09-01 09:30:00+02:00`); a time without
a zone is read in TRACKRECORD_TIMEZONE (default UTC), since exports usually write local time.
Dates are `YYYY-MM-DD`; an empty cell is no value.

Errors. A row that does not parse is quarantined with a message naming the file, the row and the
column (`imports/incidents.csv row 7, column created: 'yesterday' is not an ISO 8601 time`);
rows count the header as row 1, as a spreadsheet shows them (in JSON, the n-th object). The good
rows are stored. A file pandas cannot read at all is quarantined whole, with pandas' reason.

Re-import. The cursor maps each file to its SHA-256, committed with the file's last rows: an
unchanged file is skipped without a single write, a changed one is read again whole (upserts on
the natural key, so rows already stored are updated in place, none duplicated).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import types
import typing
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from pathlib import Path
from typing import Any

import pandas as pd

from config.settings import get_settings
from config.sources import CsvSource
from ingest.records import KINDS, FieldError, Rating, Record
from ingest.sources.connector import SyncContext
from ingest.sync import Page, Reject, Stream, parse_or_quarantine

STREAM = "files"
SUFFIXES = frozenset({".csv", ".json", ".jsonl", ".ndjson"})
CHUNK_ROWS = 5_000
LIST_SEPARATOR = ";"
# Text a spreadsheet may leave out: nothing downstream groups or filters by it.
OPTIONAL_TEXT = frozenset(
    {
        "url",
        "project",
        "issue_type",
        "summary",
        "title",
        "urgency",
        "environment",
        "sha",
        "base_branch",
    }
)
KIND_NAMES: dict[str, str] = {
    name: kind for kind, record in KINDS.items() for name in (kind, record.table)
}


class RowError(ValueError):
    """A row that cannot become a record; the message names the columns and why."""


@dataclass(frozen=True)
class Column:
    name: str
    parse: Callable[[Any, tzinfo], Any]
    required: bool
    nullable: bool
    missing: Any = None  # an empty or absent cell: the field's default, else None (or "")


def _text(value: Any, _zone: tzinfo) -> str:
    return str(value).strip()


def _time(value: Any, zone: tzinfo) -> datetime:
    try:
        moment = datetime.fromisoformat(str(value).strip())
    except ValueError:
        raise ValueError(f"{value!r} is not an ISO 8601 time, e.g. 2026-09-01T09:30:00Z") from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=zone)


def _date(value: Any, _zone: tzinfo) -> date:
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise ValueError(f"{value!r} is not a date like 2026-09-30") from None


def _number(kind: type[int] | type[float]) -> Callable[[Any, tzinfo], Any]:
    def parse(value: Any, _zone: tzinfo) -> int | float:
        try:
            return kind(str(value).strip())
        except ValueError:
            wanted = "an integer" if kind is int else "a number"
            raise ValueError(f"{value!r} is not {wanted}") from None

    return parse


def _names(value: Any, _zone: tzinfo) -> tuple[str, ...]:
    items = value if isinstance(value, list) else str(value).split(LIST_SEPARATOR)
    return tuple(text for item in items if (text := str(item).strip()))


PARSERS: dict[Any, Callable[[Any, tzinfo], Any]] = {
    str: _text,
    datetime: _time,
    date: _date,
    int: _number(int),
    float: _number(float),
    tuple[str, ...]: _names,
}


def columns(kind: type[Record]) -> list[Column]:
    """The columns of a kind, derived from its record so the two cannot drift apart."""
    hints = typing.get_type_hints(kind)
    found = []
    for field in dataclasses.fields(kind):
        if field.name == "source":
            continue
        hint = hints[field.name]
        nullable = isinstance(hint, types.UnionType) and type(None) in typing.get_args(hint)
        base = next(a for a in typing.get_args(hint) if a is not type(None)) if nullable else hint
        optional = nullable or field.default is not dataclasses.MISSING
        optional = optional or field.name in OPTIONAL_TEXT or field.name == "updated"
        missing = _missing_value(field, nullable)
        found.append(Column(field.name, PARSERS[base], not optional, nullable, missing))
    return found


def _missing_value(field: dataclasses.Field[Any], nullable: bool) -> Any:
    """What an empty cell stands for: the record field's default, else None, else ""."""
    if field.default is not dataclasses.MISSING:
        return field.default
    return None if nullable else ""


_KIND_COLUMNS: dict[type[Record], tuple[Column, ...]] = {}


def _kind_columns(kind: type[Record]) -> tuple[Column, ...]:
    """`columns(kind)`, worked out once per kind: it was nearly all the cost of parsing a row."""
    if kind not in _KIND_COLUMNS:
        _KIND_COLUMNS[kind] = tuple(columns(kind))
    return _KIND_COLUMNS[kind]


def column_reference() -> str:
    """The column table for the README (a test keeps it current)."""
    lines = ["| kind | columns (* required) |", "|---|---|"]
    for kind, record in KINDS.items():
        names = ", ".join(c.name + ("*" if c.required else "") for c in columns(record))
        lines.append(f"| {kind} | {names} |")
    return "\n".join(lines)


def _cell(value: Any) -> Any:
    """JSON numbers in a column with gaps come back as floats: 7.0 was the id 7."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _missing(value: Any) -> bool:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return True
    return isinstance(value, str) and not value.strip()


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{str(name): value for name, value in row.items()} for row in frame.to_dict("records")]


def parse_row(row: Mapping[str, Any], kind: type[Record], *, source: str, zone: tzinfo) -> Record:
    """One row → one record; every bad column is named in the one error."""
    values: dict[str, Any] = {}
    problems = []
    for column in _kind_columns(kind):
        raw = row.get(column.name)
        try:
            if _missing(raw):
                if column.required:
                    raise ValueError("required, but empty or missing")
                values[column.name] = column.missing
            else:
                values[column.name] = column.parse(_cell(raw), zone)
        except ValueError as exc:
            problems.append(f"column {column.name}: {exc}")
    if problems:
        raise RowError("; ".join(problems))
    if "updated" in values and values["updated"] in (None, ""):
        values["updated"] = max(v for v in values.values() if isinstance(v, datetime))
    try:
        return kind(source=source, **values)
    except FieldError as exc:  # the record's own rules: a time out of range, a self-rating
        raise RowError(f"column {exc.field}: {exc.problem}") from None


def check_people(record: Record, people: Collection[str] | None) -> None:
    """A rating names people.yaml ids, as `trackrecord rate` requires; `people` None: the
    list is not known here (a direct call), so nothing is checked."""
    if people is None or not isinstance(record, Rating):
        return
    unknown = [
        f"column {name}: {who!r} is not a person in people.yaml"
        for name, who in (("person", record.person), ("author", record.author))
        if who not in people
    ]
    if unknown:
        raise RowError("; ".join(unknown))


def kind_of_file(path: Path) -> str | None:
    """The kind a file name starts with, the longest match first (`review_requests` before
    `review`), followed by nothing or a separator."""
    stem = path.stem.lower()
    for name in sorted(KIND_NAMES, key=len, reverse=True):
        if stem == name or (stem.startswith(name) and stem[len(name)] in "-_. "):
            return KIND_NAMES[name]
    return None


def _row_kind(row: Mapping[str, Any], file_kind: str | None) -> type[Record]:
    named = row.get("kind")
    if _missing(named):
        if file_kind is None:
            raise RowError("no kind: add a kind column or start the file name with a kind")
        return KINDS[file_kind]
    if str(named).strip().lower() not in KIND_NAMES:
        raise RowError(f"column kind: {named!r} is not one of {', '.join(KINDS)}")
    return KINDS[KIND_NAMES[str(named).strip().lower()]]


def _read(path: Path) -> Iterator[list[dict[str, Any]]]:
    if path.suffix.lower() == ".csv":
        reader = pd.read_csv(
            path, dtype=str, keep_default_na=False, encoding="utf-8-sig", chunksize=CHUNK_ROWS
        )
        for frame in reader:
            yield _records(frame)
        return
    lines = path.suffix.lower() in (".jsonl", ".ndjson")
    frame = pd.read_json(path, orient="records", lines=lines, dtype=False)  # no guessing
    rows = _records(frame)
    for start in range(0, len(rows), CHUNK_ROWS):
        yield rows[start : start + CHUNK_ROWS]


@dataclass(frozen=True)
class FileImport:
    """One file's rows turned into pages; `name` is how messages and the cursor call it."""

    path: Path
    name: str
    source: str
    zone: tzinfo
    people: Collection[str] | None = None

    def pages(self) -> Iterator[Page]:
        first_row = 1 if self.path.suffix.lower() != ".csv" else 2
        file_kind = kind_of_file(self.path)
        try:
            for rows in _read(self.path):
                yield self._page(rows, first_row, file_kind)
                first_row += len(rows)
        except (ValueError, OSError, pd.errors.ParserError) as exc:  # the file as a whole
            payload = {"file": self.name}
            yield Page([], [Reject(payload, f"{self.name}: cannot be read: {exc}")])

    def _page(
        self, rows: Sequence[Mapping[str, Any]], first_row: int, file_kind: str | None
    ) -> Page:
        def parse(numbered: tuple[int, Mapping[str, Any]]) -> list[tuple[int, Record]]:
            number, row = numbered
            record = parse_row(row, _row_kind(row, file_kind), source=self.source, zone=self.zone)
            check_people(record, self.people)
            return [(number, record)]

        def reject(numbered: tuple[int, Mapping[str, Any]], exc: Exception) -> Reject:
            number, row = numbered
            return self._reject(row, number, f"{self.name} row {number}, {exc}")

        numbered = enumerate(rows, start=first_row)
        parsed, rejects = parse_or_quarantine(numbered, parse, reject=reject, errors=(RowError,))
        kept: dict[str, tuple[int, Record]] = {}
        for number, record in parsed:
            if record.key in kept:  # one statement cannot upsert a key twice
                earlier = kept[record.key][0]
                message = (
                    f"{self.name} row {earlier}: the same record as row {number}, which is kept"
                )
                rejects.append(
                    self._reject(rows[earlier - first_row], earlier, message, record.key)
                )
            kept[record.key] = (number, record)
        return Page([record for _, record in kept.values()], rejects)

    def _reject(
        self, row: Mapping[str, Any], number: int, error: str, key: str | None = None
    ) -> Reject:
        # A NaN cell (a gap in a JSON column) is stored as null by the sync's quarantine.
        values = {str(name): value for name, value in row.items()}
        return Reject({"file": self.name, "row": number, "values": values}, error, key)


def files_under(root: Path) -> list[Path]:
    if not root.exists():
        raise FileNotFoundError(f"csv source path {root} does not exist")
    if root.is_file():
        return [root]
    return sorted(p for p in root.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES)


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def import_files(root: Path, cursor: str | None, *, source: str, zone: tzinfo,
                 people: Collection[str] | None = None) -> Iterator[Page]:
    """Pages of every new or changed file; each file's last page carries the updated checksums.
    With `people` (people.yaml ids), a rating naming anyone else is quarantined."""
    checksums: dict[str, str] = json.loads(cursor) if cursor else {}
    base = root if root.is_dir() else root.parent
    for path in files_under(root):
        name, digest = path.relative_to(base).as_posix(), sha256(path)
        if checksums.get(name) == digest:
            continue
        checksums = {**checksums, name: digest}
        held: Page | None = None
        for page in FileImport(path, name, source, zone, people).pages():
            if held is not None:
                yield held
            held = page
        done = json.dumps(checksums, sort_keys=True)
        yield dataclasses.replace(held or Page([]), cursor=done)


def _where(config_dir: Path | None, zone: tzinfo | None) -> tuple[Path, tzinfo]:
    if config_dir is not None and zone is not None:
        return config_dir, zone
    settings = get_settings()
    return config_dir or settings.config_dir, zone or settings.zone


def streams(
    source: CsvSource,
    *,
    config_dir: Path | None = None,
    zone: tzinfo | None = None,
    people: Collection[str] | None = None,
) -> list[Stream]:
    """The one `files` stream; the config folder and zone default to the settings, read when
    the run starts. `people`: the people.yaml ids ratings are checked against."""

    def fetch(cursor: str | None) -> Iterator[Page]:
        folder, read_zone = _where(config_dir, zone)
        root = source.resolved_path(folder)
        return import_files(root, cursor, source=source.name, zone=read_zone, people=people)

    return [Stream(source.name, STREAM, fetch, lambda: 0)]


def connector(context: SyncContext[CsvSource]) -> list[Stream]:
    """No lookback: checksums, not times, say which files are new."""
    people = None if context.people is None else {person.id for person in context.people}
    return streams(context.source, config_dir=context.config_dir, people=people)


__all__ = [
    "KIND_NAMES",
    "Column",
    "RowError",
    "check_people",
    "column_reference",
    "columns",
    "connector",
    "files_under",
    "import_files",
    "kind_of_file",
    "parse_row",
    "streams",
]
