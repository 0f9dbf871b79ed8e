"""Evidence digests: a plan's digest moves exactly when a record its evaluation can read moves."""

from __future__ import annotations

import pandas as pd

from config.people import Person
from evaluate.digests import person_digests, plan_digest, team_owners

PEOPLE = [
    Person(id=i, name=i, email=f"{i}@example.com", team=t, role="developer")
    for i, t in (("ann", "a"), ("bob", "a"), ("cyd", "b"))
]


def evidence(**changes: object) -> dict[str, pd.DataFrame]:
    prs = pd.DataFrame({"key": ["gh:1", "gh:2"], "person": ["ann", "cyd"], "additions": [5, 7]})
    reviews = pd.DataFrame({"key": ["gh:r1"], "pr": ["gh:1"], "person": ["cyd"],
                            "state": [changes.get("state", "APPROVED")]})
    tickets = pd.DataFrame({"key": ["j:1"], "person": ["bob"], "assignees": [("bob",)],
                            "status": [changes.get("status", "Done")]})
    return {"pull_request": prs, "review": reviews, "ticket": tickets}


def digest(frames: dict[str, pd.DataFrame], employee: str) -> str:
    return plan_digest(plan_id="p", version=1, owners=team_owners(PEOPLE)[employee],
                       kinds={"pull_request", "review", "ticket"},
                       digests=person_digests(frames))


def test_a_review_moves_its_reviewer_and_the_pull_requests_author() -> None:
    before, after = evidence(), evidence(state="CHANGES_REQUESTED")
    assert digest(before, "ann") != digest(after, "ann")  # ann's pull request was reviewed
    assert digest(before, "cyd") != digest(after, "cyd")  # cyd reviewed it
    assert person_digests(before)["bob"] == person_digests(after)["bob"]


def test_a_teammates_record_moves_the_plan_and_another_teams_does_not() -> None:
    before, after = evidence(), evidence(status="Reopened")
    assert digest(before, "ann") != digest(after, "ann")  # bob is ann's teammate
    assert digest(before, "cyd") == digest(after, "cyd")


def test_the_same_rows_in_another_order_give_the_same_digest_and_the_input_is_untouched() -> None:
    frames = evidence()
    copy = {k: f.copy() for k, f in frames.items()}
    shuffled = {k: f.iloc[::-1].reset_index(drop=True) for k, f in frames.items()}
    assert person_digests(frames) == person_digests(shuffled)
    assert all(frames[k].equals(copy[k]) for k in frames)


def test_the_plan_version_is_part_of_the_digest() -> None:
    digests = person_digests(evidence())
    one, two = (plan_digest(plan_id="p", version=v, owners=team_owners(PEOPLE)["ann"],
                            kinds={"ticket"}, digests=digests) for v in (1, 2))
    assert one != two
