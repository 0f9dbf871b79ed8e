"""The workspace hands the core checked frames with change failures marked, whichever source
stored the deployments, on SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pandas as pd
import pytest
import sqlalchemy as sa

from config.files import Config
from config.people import PeopleFile, Person
from config.plans import Plan
from config.settings import Settings
from config.sources import SourcesFile
from evaluate.evidence import Evidence
from evaluate.frames import FRAME_SCHEMAS, FrameContractError, check_frames, frame_problems
from evaluate.metrics import METRICS, metric_events
from ingest.evidence import load_evidence
from ingest.records import (
    KINDS,
    Deployment,
    Incident,
    PullRequest,
    Rating,
    Review,
    ReviewRequest,
    Sample,
    Ticket,
    TicketChange,
)
from ingest.store import upsert_records
from ingest.sync import Page, Stream, run_stream
from service import evaluate
from service.syncing import reach_back
from service.workspace import Workspace

T0 = datetime(2026, 9, 1, 10, tzinfo=UTC)
GITHUB = {"name": "gh", "kind": "github", "token_env": "T", "repos": ["acme/api"]}
PAGERDUTY = {"name": "pd", "kind": "pagerduty", "token_env": "PD"}


def stored_deployment(ident: str, state: str, offset: timedelta, source: str = "gh"
                      ) -> Deployment:
    return Deployment(
        source=source,
        deployment_id=ident,
        repo="acme/api",
        url="",
        environment="production",
        sha="abc",
        creator_account="jdoe",
        created=T0 + offset,
        finished=T0 + offset + timedelta(minutes=5),
        state=state,
        updated=T0 + offset,
    )


def stored_incident(offset: timedelta) -> Incident:
    return Incident(
        source="pd",
        incident_id="Q1",
        url="",
        title="Down",
        service="checkout",
        urgency="high",
        assignee_account=None,
        created=T0 + offset,
        acknowledged=None,
        resolved=None,
        updated=T0,
    )


def workspace(engine: sa.Engine, sources: dict[str, Any]) -> Workspace:
    config = Config(sources=SourcesFile.model_validate(sources), people=PeopleFile(people=[]),
                    plans={})
    return Workspace(settings=Settings(), engine=engine, config=config, versions={})


def reasons(frame: pd.DataFrame) -> dict[str, str | None]:
    frame = frame.sort_values("deployment_id")
    return dict(zip(frame["deployment_id"], frame["failure_reason"], strict=True))


def test_stored_deployments_are_marked_when_loaded_alone_or_with_all(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        upsert_records(conn, [
            stored_deployment("d1", "success", timedelta(0)),
            stored_deployment("d2", "failure", timedelta(days=2)),
            stored_deployment("d3", "success", timedelta(days=4)),
            stored_incident(timedelta(hours=2)),
        ])
    ws = workspace(engine, {"sources": [GITHUB, PAGERDUTY], "services": {"acme/api": "checkout"}})

    for kinds in (None, ["deployment"]):
        frames = ws.evidence(kinds)
        assert reasons(frames["deployment"]) == {
            "d1": "incident pd:Q1 on checkout 2.0 h after",
            "d2": "state: failure",
            "d3": None,
        }
    assert set(ws.evidence(["deployment"])) == {"deployment"}  # the join's incidents stay inside


def test_the_configured_incident_window_decides_which_deployments_failed(
    engine: sa.Engine,
) -> None:
    """sources.yaml's `incident_window_hours` reaches the join, top level or (deprecated) on a
    GitHub source."""
    with engine.begin() as conn:
        upsert_records(conn, [stored_deployment("d1", "success", timedelta(0)),
                              stored_incident(timedelta(hours=2))])

    def reason(sources: dict[str, Any]) -> str | None:
        return workspace(engine, sources).evidence()["deployment"]["failure_reason"].item()

    top = {"sources": [GITHUB, PAGERDUTY], "services": {"acme/api": "checkout"}}
    assert reason(top) == "incident pd:Q1 on checkout 2.0 h after"
    assert reason({**top, "incident_window_hours": 1.5}) is None
    old = {**GITHUB, "services": {"acme/api": "checkout"}, "incident_window_hours": 1.5}
    assert reason({"sources": [old, PAGERDUTY]}) is None
    assert reason({"sources": [{**old, "incident_window_hours": 24}, PAGERDUTY]}) is not None


def test_deployments_imported_from_csv_join_incidents_too(engine: sa.Engine) -> None:
    """The repository → service map is no longer a GitHub source's: a CSV deployment joins."""
    with engine.begin() as conn:
        upsert_records(conn, [stored_deployment("c1", "success", timedelta(0), source="sheets"),
                              stored_incident(timedelta(hours=3))])
    sources = {"sources": [{"name": "sheets", "kind": "csv", "path": "imports/"}, PAGERDUTY],
               "services": {"acme/api": "checkout"}}

    frame = workspace(engine, sources).evidence(["deployment"])["deployment"]

    assert reasons(frame) == {"c1": "incident pd:Q1 on checkout 3.0 h after"}


def test_the_real_loader_meets_every_declared_frame_schema(engine: sa.Engine) -> None:
    """The contract test: every kind, empty and with rows, straight from the database."""
    assert set(FRAME_SCHEMAS) == set(KINDS)
    ws = workspace(engine, {"sources": [GITHUB, PAGERDUTY]})
    check_frames(ws.evidence())  # empty tables
    with engine.begin() as conn:
        upsert_records(conn, [stored_deployment("d1", "success", timedelta(0)),
                              stored_incident(timedelta(hours=2)), *_one_of_each_other_kind()])
    frames = load_evidence(engine, persons=[], source_kinds=ws.source_kinds)
    assert all(not frame.empty for frame in frames.values())
    assert all(frame_problems(kind, frame) == [] for kind, frame in frames.items())


def _one_of_each_other_kind() -> list[Any]:
    at = T0
    return [
        Ticket(source="jira", ticket_key="OPS-1", url="u", project="OPS", issue_type="Task",
               summary="s", status="Done", status_category="done", assignee_account="a",
               assignee_email=None, reporter_account=None, created=at, updated=at, resolved=at,
               due=at.date(), priority=None),
        TicketChange(source="jira", ticket_key="OPS-1", change_id="1", at=at, field="status",
                     from_value="new", to_value="done", from_name=None, to_name=None,
                     author_account=None),
        PullRequest(source="gh", repo="acme/api", number=1, url="u", title="t",
                    author_account="a", author_email=None, created=at, updated=at,
                    ready_for_review=None, merged=at, closed=at, additions=1, deletions=1,
                    base_branch="main"),
        ReviewRequest(source="gh", repo="acme/api", number=1, reviewer_account="b", at=at),
        Review(source="gh", review_id="r1", repo="acme/api", number=1, url="u",
               reviewer_account="b", state="APPROVED", submitted=at),
        Sample(source="prom", series="s", metric="error_rate", owner="a", at=at, value=0.1),
        Rating(source="trackrecord", rating_id="x", person="a", name="communication", value=4,
               author="b", at=at, note=""),
    ]


def test_a_renamed_or_mistyped_column_breaks_the_contract_loudly() -> None:
    renamed = pd.DataFrame({"source": ["gh"], "key": ["gh:1"], "url": [""], "person": ["a"],
                            "created": [T0], "ready_for_review": [None], "merged_at": [T0],
                            "is_bot": [False]})
    with pytest.raises(FrameContractError, match="pull_request: column 'merged' is missing"):
        check_frames({"pull_request": renamed})
    naive = renamed.rename(columns={"merged_at": "merged"}).assign(created=[T0.replace(
        tzinfo=None)], ready_for_review=pd.Series([T0]))
    [problem] = frame_problems("pull_request", naive)
    assert problem.startswith("pull_request.created: should hold zone-aware datetimes, has date")
    assert frame_problems("pull_request", naive.iloc[0:0].drop(columns="is_bot")) == [
        "pull_request: column 'is_bot' is missing"
    ]
    assert frame_problems("tickets", renamed)[0].startswith("tickets: not a record kind")


def test_a_window_before_a_sources_first_sync_is_flagged_and_first_syncs_reach_back(
    engine: sa.Engine,
) -> None:
    """DESIGN §5.11 end to end: the run log's coverage reaches the core as plain data."""
    plan = Plan.model_validate({
        "id": "jdoe-q4", "employee": "jdoe", "manager": "boss", "start": "2026-09-01",
        "end": "2026-10-31", "baseline": {"start": "2026-06-01", "end": "2026-08-31"},
        "goals": [{"metric": "incident_mttr_hours", "target": {"at_most": 2}}],
    })
    people = [Person(id=who, name=who, email=f"{who}@example.com", team="ops")
              for who in ("jdoe", "boss")]
    config = Config(sources=SourcesFile.model_validate({"sources": [PAGERDUTY]}),
                    people=PeopleFile(people=people), plans={plan.id: plan})
    ws = Workspace(settings=Settings(), engine=engine, config=config, versions={plan.id: 1})
    assert reach_back(ws) == datetime(2026, 6, 1, tzinfo=UTC)

    run_stream(engine, Stream("pd", "incidents", lambda _c: [Page([], cursor="c")], lambda: 0,
                              kinds=("incident",), reads_from=lambda: datetime(2026, 7, 1,
                                                                                tzinfo=UTC)))
    [goal] = evaluate(ws, plan.id, datetime(2026, 10, 31).date()).to_json()["goals"]

    assert "window_not_covered:pd" in goal["flags"]


# A person's team, and someone on another team whose records touch theirs.
TEAM = [
    Person(id="ann", name="Ann", email="Ann@Example.com", team="desk", role="developer",
           accounts={"jira": "ann-j", "github": "ann-gh"}),
    Person(id="bo", name="Bo", email="bo@example.com", team="desk", role="developer",
           accounts={"jira": "bo-j", "github": "bo-gh"}),
]
OTHER = Person(id="cy", name="Cy", email="cy@example.com", team="ops", role="sre",
               accounts={"jira": "cy-j", "github": "cy-gh", "pagerduty": "cy-pd"})


def ticket(key: str, account: str | None, email: str | None = None, *, day: int = 0
           ) -> Ticket:
    return Ticket(source="jira", ticket_key=key, url="", project="OPS", issue_type="Task",
                  summary="", status="Done", status_category="done", assignee_account=account,
                  assignee_email=email, reporter_account=None, created=T0 + timedelta(days=day),
                  updated=T0, resolved=T0 + timedelta(days=day + 2), due=None, priority=None)


def handover(key: str, change_id: str, days: float, field: str, old: str, new: str
             ) -> TicketChange:
    return TicketChange(source="jira", ticket_key=key, change_id=change_id,
                        at=T0 + timedelta(days=days), field=field, from_value=old, to_value=new,
                        from_name=old, to_name=new, author_account=None)


def pull(number: int, author: str) -> PullRequest:
    return PullRequest(source="gh", repo="acme/api", number=number, url="", title="",
                       author_account=author, author_email=None, created=T0, updated=T0,
                       ready_for_review=T0, merged=T0 + timedelta(days=1), closed=None,
                       additions=1, deletions=1, base_branch="main")


def reviewed(ident: str, number: int, reviewer: str, state: str) -> Review:
    return Review(source="gh", review_id=ident, repo="acme/api", number=number, url="",
                  reviewer_account=reviewer, state=state, submitted=T0 + timedelta(hours=5))


def mixed_records() -> list[Any]:
    """Records of every kind whose owners cross the team's edge: a ticket Ann resolved that Cy
    holds now, one matched by Ann's e-mail alone, Ann's pull request reviewed by Cy and Cy's
    reviewed by Ann (her login in capitals), deployments by Ann and Cy on one service with
    incidents after them (the first laid at Cy's door, the second at Ann's), samples of Ann,
    of her team and of Cy, ratings of Ann and of Cy."""
    deployed = [replace(stored_deployment(ident, "success", timedelta(hours=hours)),
                        creator_account=who)
                for ident, hours, who in (("d1", 0, "ann-gh"), ("d2", 1, "cy-gh"),
                                             ("d3", 30, "ann-gh"))]
    incidents = [replace(stored_incident(timedelta(hours=h)), incident_id=i,
                         assignee_account="cy-pd") for i, h in (("Q1", 2), ("Q2", 31))]
    samples = [Sample(source="prom", series=f"err{{{owner}}}", metric="error_rate", owner=owner,
                      at=T0 + timedelta(hours=h), value=0.01 * h)
               for owner in ("ann", "team:desk", "cy") for h in (1, 30)]
    ratings = [Rating(source="app", rating_id=f"r-{who}", person=who, name="care", value=4,
                      author="boss", at=T0, note="") for who in ("ann", "cy")]
    return [
        ticket("OPS-1", "cy-j"), handover("OPS-1", "1", 1, "status", "new", "indeterminate"),
        handover("OPS-1", "2", 2, "status", "indeterminate", "done"),
        handover("OPS-1", "3", 3, "assignee", "ann-j", "cy-j"),
        ticket("OPS-2", None, "ann@example.COM"), ticket("OPS-3", "cy-j", day=1),
        ticket("OPS-4", "BO-J", day=2),
        pull(1, "ann-gh"), pull(2, "cy-gh"), pull(3, "cy-gh"),
        reviewed("v1", 1, "cy-gh", "CHANGES_REQUESTED"), reviewed("v2", 1, "bo-gh", "APPROVED"),
        reviewed("v3", 2, "ANN-GH", "APPROVED"), reviewed("v4", 3, "cy-gh", "APPROVED"),
        ReviewRequest(source="gh", repo="acme/api", number=2, reviewer_account="ann-gh", at=T0),
        *deployed, *incidents, *samples, *ratings,
    ]


def test_a_teams_evidence_measures_the_team_as_the_whole_organisations_does(
    engine: sa.Engine,
) -> None:
    """Reading only a team's records (a person's page) gives every metric the same events for
    its members as reading everything, and leaves out records that are none of theirs."""
    with engine.begin() as conn:
        upsert_records(conn, mixed_records())
    sources = {"sources": [GITHUB, PAGERDUTY], "services": {"acme/api": "checkout"}}
    ws = replace(workspace(engine, sources), config=Config(
        sources=SourcesFile.model_validate(sources),
        people=PeopleFile(people=[*TEAM, OTHER]), plans={}))

    everything, team = ws.evidence(), ws.evidence(people=["ann", "bo"])

    def owned(evidence: Evidence, metric: str) -> pd.DataFrame:
        events = metric_events(metric, evidence)
        mine = events["person"].isin({"ann", "bo"}) | events["team"].eq("desk")
        return events[mine].sort_values("key").reset_index(drop=True)

    for metric in (*METRICS, "rating:care"):
        pd.testing.assert_frame_equal(owned(team, metric), owned(everything, metric))
    assert "jira:OPS-3" not in set(team["ticket"]["key"])
    assert len(team["rating"]) == 1 and len(team["sample"]) == 4
    assert owned(team, "change_failure_rate")["value"].tolist() == [0.0, 1.0]  # Q2, not Q1
    assert len(owned(team, "ticket_resolution_hours")) == 3  # OPS-1 at Ann's, OPS-2, OPS-4
