"""Snapshots as canonical JSON in a hash chain: the same evaluation gives the same bytes, and a
changed byte, a dropped or reordered row is caught and named."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from datetime import UTC, date, datetime

import pytest

from evaluate.snapshots import (
    GENESIS,
    SnapshotRow,
    canonical_json,
    chain_hash,
    definitions_version,
    snapshot_payload,
    verify_chain,
)

T0 = datetime(2026, 10, 5, 6, tzinfo=UTC)


def chain(plan: str, n: int, first_id: int = 1) -> list[SnapshotRow]:
    rows, previous = [], GENESIS
    for seq in range(1, n + 1):
        day = date(2026, 10, seq)
        payload = snapshot_payload(
            plan_id=plan, seq=seq, kind="scheduled", as_of=day, taken_at=T0,
            evaluation={"plan": plan, "outcome": "undetermined", "goals": [{"value": seq / 3}]},
            plan_version=1, plan_content={"id": plan, "notes": ["Zoë's plan"]},
            definitions=definitions_version())
        row = SnapshotRow(first_id + seq - 1, plan, seq, T0, day, "scheduled", payload, previous,
                          chain_hash(previous, payload))
        rows.append(row)
        previous = row.hash
    return rows


def test_canonical_json_is_one_text_per_value_with_sorted_keys_and_no_spaces() -> None:
    a = canonical_json({"b": [1, 2.5], "a": "é", "c": None})
    assert a == canonical_json({"c": None, "a": "é", "b": [1, 2.5]})
    assert a == '{"a":"é","b":[1,2.5],"c":null}'
    with pytest.raises(ValueError):
        canonical_json({"x": float("nan")})


def test_each_hash_covers_the_previous_hash_and_the_payload() -> None:
    rows = chain("p", 3)
    assert rows[0].previous_hash == GENESIS and rows[1].previous_hash == rows[0].hash
    assert rows[2].hash == chain_hash(rows[1].hash, rows[2].payload)
    assert json.loads(rows[2].payload)["seq"] == 3
    assert verify_chain(rows) is None
    assert verify_chain([*chain("a", 2), *chain("b", 2, first_id=3)]) is None


def test_the_definitions_version_is_stable_and_names_the_catalog() -> None:
    assert definitions_version() == definitions_version()
    assert len(definitions_version()) == 64


@pytest.mark.parametrize(
    ("tamper", "problem"),
    [
        (lambda r: dataclasses.replace(r, payload=r.payload.replace("undetermined", "met  ")),
         "a stored byte changed"),
        (lambda r: dataclasses.replace(r, hash="f" + r.hash[1:]), "hash does not match"),
        (lambda r: dataclasses.replace(r, kind="manual"), "columns differ"),
        (lambda r: dataclasses.replace(r, as_of=date(2026, 10, 9)), "columns differ"),
    ],
)
def test_a_changed_byte_is_caught_at_its_row_or_the_next(
    tamper: Callable[[SnapshotRow], SnapshotRow], problem: str
) -> None:
    rows = chain("p", 4)
    rows[1] = tamper(rows[1])
    broken = verify_chain(rows)
    assert broken is not None and problem in broken.problem
    assert broken.plan_id == "p" and broken.seq in (2, 3)
    assert "plan p, snapshot" in broken.line()


def test_a_reordered_or_dropped_row_is_caught() -> None:
    rows = chain("p", 4)
    swapped = [rows[0], rows[2], rows[1], rows[3]]
    broken = verify_chain(swapped)
    assert broken is not None and broken.seq == 3 and "out of order" in broken.problem
    dropped = verify_chain([rows[0], rows[2], rows[3]])
    assert dropped is not None and dropped.snapshot_id == rows[2].id
    renumbered = [rows[0], dataclasses.replace(rows[1], seq=3), *rows[2:]]
    assert verify_chain(renumbered) is not None
    moved = dataclasses.replace(chain("q", 1)[0], plan_id="p", seq=5, id=9)
    assert verify_chain([*rows, moved]) is not None
