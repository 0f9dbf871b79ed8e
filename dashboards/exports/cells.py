"""Spreadsheet cells that cannot run: ticket titles, notes and reasons come from users, and a
spreadsheet program reads a cell beginning with `=`, `+`, `-`, `@`, a tab or a carriage return
as a formula (OWASP "CSV injection"). One rule for CSV and XLSX alike."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

__all__ = ["FORMULA_STARTS", "neutralize"]

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

Cell = str | int | float | bool | date | datetime | None


def neutralize(value: Any) -> Cell:
    """Text that a spreadsheet would read as a formula gets a leading apostrophe, shown as
    text; numbers, dates, booleans and None stay what they are."""
    if value is None or isinstance(value, int | float | bool | date | datetime):
        return value
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text
