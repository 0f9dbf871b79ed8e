"""The README's reference sections are generated from the code (`make docs`): stale is a failure."""

from __future__ import annotations

from pathlib import Path

import pytest

from trackrecord import README_SECTIONS, render_readme

README = Path(__file__).resolve().parents[1] / "README.md"


def test_every_generated_section_is_current() -> None:
    text = README.read_text()
    assert render_readme(text) == text, "the README is stale: run `make docs`"
    for name, make in README_SECTIONS.items():
        assert make().strip() in text, name


def test_a_readme_without_markers_is_refused() -> None:
    with pytest.raises(ValueError, match="BEGIN generated:cli"):
        render_readme("# no markers here\n")
