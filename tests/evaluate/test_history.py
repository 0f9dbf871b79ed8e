"""A person's metrics over time: which metrics apply, their weeks beside the team's, the chart
and its sentence, all pure."""

from __future__ import annotations

import copy
from datetime import date

import pandas as pd

from evaluate.catalog import EventCatalog
from evaluate.charts import BLUE, GREY, history_chart
from evaluate.history import MetricHistory, person_history
from evaluate.sentences import history_sentence
from tests.evaluate.conftest import UTC, at, frame
from tests.evaluate.test_evaluation import desk_tickets

AS_OF = date(2026, 10, 4)  # a Sunday: nine weeks reach back to Monday 3 Aug


def ratings() -> pd.DataFrame:
    return frame([{"key": f"app:r{i}", "person": "ann", "name": "care", "value": value,
                   "at": at(f"2026-09-{day}T09:00")} for i, (day, value) in
                  enumerate(((8, 3), (15, 4)))])


def histories(people, weeks: int = 9) -> dict[str, MetricHistory]:
    catalog = EventCatalog({"ticket": desk_tickets(), "rating": ratings()}, people=people,
                           tz=UTC)
    return {h.spec.name: h for h in person_history(catalog, people[0], as_of=AS_OF,
                                                   weeks=weeks)}


def test_the_role_template_and_every_metric_with_evidence_apply(people):
    found = histories(people)
    assert list(found) == [  # support's template in catalog order (incidents_owned: context),
        "ticket_resolution_hours", "ticket_cycle_hours", "tickets_resolved",
        "ticket_reopen_rate", "aged_open_tickets", "due_date_adherence",
        "incident_mttr_hours", "incident_mtta_minutes", "incidents_owned",
        "rating:care",  # then what Ann has evidence for beyond it
    ]
    assert "pr_lead_time_hours" not in found  # neither her role's nor in her records


def test_weekly_values_and_counts_beside_the_rest_of_the_team(people):
    hours = histories(people)["ticket_resolution_hours"]
    weeks = hours.weekly
    assert (weeks[0].start, weeks[-1].end) == (date(2026, 8, 3), AS_OF) and len(weeks) == 9
    assert [w.value for w in weeks] == [20.0, 30.0, 40.0, None, None, 8.0, 9.0, 12.0, 6.0]
    assert [w.n for w in weeks] == [1, 1, 1, 0, 0, 1, 1, 1, 1]
    assert [w.team_value for w in weeks] == [10.0, None, 10.0, None, None, 10.0, None, 10.0,
                                             None]
    assert hours.events == 7
    per_week = histories(people)["tickets_resolved"].weekly
    assert [w.value for w in per_week][:4] == [1.0, 1.0, 1.0, 0.0]


def test_the_evidence_is_not_changed(people):
    evidence = {"ticket": desk_tickets(), "rating": ratings()}
    before = copy.deepcopy(evidence)
    person_history(EventCatalog(evidence, people=people, tz=UTC), people[0], as_of=AS_OF)
    for kind, frame_ in evidence.items():
        pd.testing.assert_frame_equal(frame_, before[kind])


def test_the_chart_draws_the_weeks_and_the_team_as_a_trend_chart_does(people):
    figure = history_chart(histories(people)["ticket_resolution_hours"], zone="Europe/Berlin")
    team, weekly = figure["data"]
    assert weekly["name"] == "Weekly value" and weekly["line"]["color"] == BLUE
    assert weekly["y"] == [20.0, 30.0, 40.0, None, None, 8.0, 9.0, 12.0, 6.0]
    assert weekly["hovertext"][5] == "7–13 Sep<br>8.0 h<br>n = 1 ticket"
    assert weekly["hovertext"][3] == "24–30 Aug<br>no events<br>n = 0 tickets (too few)"
    assert team["name"] == "Team (rest of the team)" and team["line"]["color"] == GREY
    layout = figure["layout"]
    assert layout["title"]["text"] == "Median ticket resolution time"
    assert layout["title"]["subtitle"]["text"] == "Last 9 weeks: 7 tickets resolved"
    assert layout["yaxis"]["title"]["text"] == "hours (lower is better)"
    assert layout["xaxis"]["title"]["text"] == "Week (Europe/Berlin)"
    assert layout["xaxis"]["range"] == ["2026-08-03", "2026-10-05"]
    assert "shapes" not in layout  # no plan yet: no start or checkpoint rules


def test_the_chart_words_follow_the_metric(people):
    found = histories(people)
    rate = history_chart(found["ticket_reopen_rate"])["layout"]
    assert rate["yaxis"]["title"]["text"] == "% (lower is better)"
    assert rate["yaxis"]["tickformat"] == ".0%"
    owned = history_chart(found["incidents_owned"])["layout"]
    assert owned["yaxis"]["title"]["text"] == "incidents per week (context only)"
    assert owned["title"]["subtitle"]["text"] == "Last 9 weeks: 0 incidents assigned"
    aged = history_chart(found["aged_open_tickets"])["layout"]
    assert aged["title"]["subtitle"]["text"] == "Last 9 weeks"  # a count at each week's end
    rating = history_chart(found["rating:care"])["layout"]
    assert rating["yaxis"]["title"]["text"] == "rating (1–5) (higher is better)"


def test_the_sentence_gives_the_latest_measured_week(people):
    found = histories(people)
    assert history_sentence(found["ticket_resolution_hours"]) == (
        "Median ticket resolution time over the last 9 weeks: 7 tickets resolved. Latest "
        "measured week (28 Sep – 4 Oct): 6.0 h (1 ticket).")
    assert history_sentence(found["incident_mttr_hours"]) == (
        "Median incident resolution time over the last 9 weeks: no week with enough "
        "incidents to show a value.")
    assert history_sentence(found["ticket_resolution_hours"]) != history_sentence(
        histories(people, weeks=4)["ticket_resolution_hours"])
