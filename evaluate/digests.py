"""What each plan's evaluation reads, as a digest: equal digests, equal evaluation (as of the
same day), so a sync recomputes only the plans whose evidence changed.

A plan reads its employee's records and, for team context, the rest of the team's, of the kinds
its metrics use. A record counts for everyone it can move a number of: a review for its reviewer
and for the pull request's author, a ticket change for the ticket's assignee and for the people
an assignee change names. Digests of rows are order-free sums, so a reload that returns the
same rows in another order changes nothing.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection, Mapping, Sequence

import numpy as np
import pandas as pd

from config.people import Person
from evaluate.evidence import Evidence

__all__ = ["PersonDigests", "person_digests", "plan_digest", "team_owners"]

# owner (a person id, or "team:NAME" for a team-owned series) → kind → "rows:sum of row hashes"
PersonDigests = Mapping[str, Mapping[str, str]]

# A linked record moves the numbers of the record it links to: (link column, linked kind).
_LINKED_OWNERS: dict[str, tuple[str, str]] = {
    "ticket_change": ("ticket", "ticket"),
    "review": ("pr", "pull_request"),
    "review_request": ("pr", "pull_request"),
}
_OWN_COLUMNS = ("person", "from_person", "to_person")


def _row_hashes(frame: pd.DataFrame) -> np.ndarray:
    try:
        hashed = pd.util.hash_pandas_object(frame, index=False)
    except TypeError:  # tuples (an incident's assignees), which pandas cannot hash: as text
        texts = {name: frame[name].astype(str) for name in frame.columns
                 if frame[name].dtype == object}
        hashed = pd.util.hash_pandas_object(frame.assign(**texts), index=False)
    return hashed.to_numpy(np.uint64)


def _owners(kind: str, frame: pd.DataFrame, evidence: Evidence) -> list[pd.Series]:
    owners = [frame[name] for name in _OWN_COLUMNS if name in frame]
    if "team" in frame:
        owners.append("team:" + frame["team"].where(frame["team"].notna()))
    if kind in _LINKED_OWNERS:
        link, target = _LINKED_OWNERS[kind]
        linked = evidence.get(target)
        if linked is not None and link in frame and "person" in linked:
            owners.append(frame[link].map(dict(zip(linked["key"], linked["person"], strict=True))))
    return owners


def _kind_digests(kind: str, frame: pd.DataFrame, evidence: Evidence) -> dict[str, str]:
    hashes = _row_hashes(frame)
    pairs = pd.concat(
        [pd.DataFrame({"owner": owner.to_numpy(), "hash": hashes})
         for owner in _owners(kind, frame, evidence)],
        ignore_index=True,
    ).dropna().drop_duplicates()  # a row counts once per owner, whichever columns name them
    codes, owners = pd.factorize(pairs["owner"])
    sums = np.zeros(len(owners), dtype=np.uint64)
    np.add.at(sums, codes, pairs["hash"].to_numpy(np.uint64))  # wraps around: an order-free sum
    counts = np.bincount(codes, minlength=len(owners))
    return {str(o): f"{n}:{total}" for o, n, total in zip(owners, counts, sums, strict=True)}


def person_digests(evidence: Evidence) -> dict[str, dict[str, str]]:
    """Per owner and kind, a digest of the rows that can move that owner's numbers."""
    out: dict[str, dict[str, str]] = {}
    for kind, frame in evidence.items():
        if len(frame):
            for owner, digest in _kind_digests(kind, frame, evidence).items():
                out.setdefault(owner, {})[kind] = digest
    return out


def team_owners(people: Sequence[Person]) -> dict[str, tuple[str, ...]]:
    """Per person, whose records their plan reads: the whole team (them included) and the
    team's own series. Worked out once for all plans."""
    teams: dict[str, list[str]] = {}
    for person in people:
        teams.setdefault(person.team, []).append(person.id)
    return {p.id: (*sorted(teams[p.team]), f"team:{p.team}") for p in people}


def plan_digest(*, plan_id: str, version: int, owners: Collection[str], kinds: Collection[str],
                digests: PersonDigests) -> str:
    """The plan's version and the digests of its owners (`team_owners` of its employee) over
    the kinds it reads; a member joining or leaving the team changes it too."""
    read = {owner: {k: v for k, v in digests.get(owner, {}).items() if k in kinds}
            for owner in sorted(owners)}
    text = json.dumps([plan_id, version, sorted(kinds), read], sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()
