"""The README's generated parts match the code they document."""

from __future__ import annotations

from pathlib import Path

from ingest.sources.csv import column_reference

README = Path(__file__).resolve().parents[1] / "README.md"


def test_the_csv_column_table_is_current() -> None:
    assert column_reference() in README.read_text()
