"""Trend charts and sparklines as pure functions: figure data, traces, shapes and words."""

from __future__ import annotations

import copy
import json
from datetime import date

import plotly.graph_objects as go
import pytest

from evaluate.charts import (
    BLUE,
    GREEN,
    GREY,
    ORANGE,
    STATUS_COLOURS,
    VERMILLION,
    Figure,
    sparkline,
    trend_chart,
)
from evaluate.evaluation import evaluate_plan
from evaluate.results import GoalEvaluation
from tests.evaluate.conftest import UTC, plan
from tests.evaluate.test_evaluation import GOALS, desk_tickets

AS_OF = date(2026, 10, 4)
LEAVE = {"from": "2026-09-21", "to": "2026-09-27", "reason": "Annual leave"}


def evaluated(people, **overrides) -> tuple[GoalEvaluation, ...]:
    given = plan(**{"goals": GOALS, "checkpoints": ["2026-09-20"], **overrides})
    return evaluate_plan(given, evidence={"ticket": desk_tickets()}, people=people,
                         as_of=AS_OF, tz=UTC).goals


def traces(figure: Figure) -> dict[str, dict]:
    return {trace["name"]: trace for trace in figure["data"]}


def test_the_weekly_values_with_their_hover(people):
    hours = evaluated(people)[0]
    figure = trend_chart(hours, plan(goals=GOALS, checkpoints=["2026-09-20"]), zone="UTC")
    weekly = traces(figure)["Weekly value"]
    assert weekly["y"] == [20.0, 30.0, 40.0, None, 8.0, 9.0, 12.0, 6.0]
    assert weekly["x"][0] == "2026-08-06T12:00:00"  # the middle of 3–9 Aug
    assert weekly["mode"] == "lines+markers+text" and weekly["line"]["color"] == BLUE
    assert weekly["hovertext"][4] == "7–13 Sep<br>8.0 h<br>n = 1 ticket"
    assert weekly["hovertext"][3] == "24–30 Aug<br>no events<br>n = 0 tickets (too few)"
    assert weekly["marker"]["symbol"][:4] == ["circle", "circle", "circle", "circle-open"]
    team = traces(figure)["Team (rest of the team)"]
    assert team["y"][:3] == [10.0, None, 10.0] and team["line"]["color"] == GREY
    assert team["line"]["width"] == 1


def test_thin_weeks_are_hollow_and_labelled(people):
    thin = evaluated(people, goals=[{**GOALS[0], "sustain": {"min_events": 2}}])[0]
    weekly = traces(trend_chart(thin, plan(goals=GOALS)))["Weekly value"]
    assert set(weekly["marker"]["symbol"]) == {"circle-open"}
    assert weekly["text"] == ["too few"] * 3 + [""] + ["too few"] * 4  # no value: no label


def test_baseline_target_and_axes(people):
    hours = evaluated(people)[0]
    figure = trend_chart(hours, plan(goals=GOALS), zone="Europe/Berlin")
    named, layout = traces(figure), figure["layout"]
    baseline = [t for t in figure["data"] if t["name"] == "Baseline 30.0 h (3 tickets)"]
    assert [t["x"] for t in baseline] == [["2026-08-03", "2026-08-31"],
                                          ["2026-09-07", "2026-10-05"]]
    assert [t["y"] for t in baseline] == [[30.0, 30.0]] * 2
    assert [t["opacity"] for t in baseline] == [1.0, 0.35]  # faint over the plan
    assert baseline[0]["line"]["color"] == ORANGE
    target = named["Target 10 h"]
    assert target["y"] == [10.0, 10.0] and target["line"]["dash"] == "dash"
    assert target["x"] == ["2026-09-07", "2026-10-05"] and target["text"] == ["", "Target 10 h"]
    assert layout["yaxis"]["title"]["text"] == "hours (lower is better)"
    assert "tickformat" not in layout["yaxis"]  # hours are no percentage
    assert layout["xaxis"]["title"]["text"] == "Week (Europe/Berlin)"
    assert layout["title"]["text"] == "Median ticket resolution time"
    assert layout["title"]["subtitle"]["text"] == "Met"
    assert layout["xaxis"]["range"] == ["2026-08-03", "2026-10-05"]


def test_a_baseline_interval_is_a_band(people):
    hours = evaluated(people)[0]
    figure = trend_chart(hours, plan(goals=GOALS), baseline_interval=(20.0, 40.0))
    band = traces(figure)["Baseline 30.0 h (3 tickets)"]
    assert band["fill"] == "toself" and band["y"] == [20.0, 20.0, 40.0, 40.0, 20.0]


def test_an_improvement_target_is_drawn_at_the_value_it_implies(people):
    resolved = evaluated(people)[1]  # 0.75 a week at baseline, improve by 20%, higher better
    figure = trend_chart(resolved, plan(goals=GOALS))
    target = next(t for t in figure["data"] if t["name"].startswith("Target"))
    assert target["y"] == [pytest.approx(0.9)] * 2
    assert target["name"] == "Target 0.9 per week"
    assert figure["layout"]["yaxis"]["title"]["text"] == "tickets per week (higher is better)"
    assert figure["layout"]["title"]["text"] == "Tickets resolved per week"


def test_rates_read_as_percentages(people):
    rate = evaluated(people, goals=[{"metric": "ticket_reopen_rate", "target": {"at_most": 0.1},
                                     "min_samples": 1}])[0]
    figure = trend_chart(rate, plan(goals=GOALS))
    assert figure["layout"]["yaxis"]["tickformat"] == ".0%"
    assert figure["layout"]["yaxis"]["title"]["text"] == "% (lower is better)"
    assert "Target 10%" in traces(figure)


def test_checkpoints_plan_start_and_exclusions(people):
    given = plan(goals=GOALS, checkpoints=["2026-09-20"], exclusions=[LEAVE])
    hours = evaluated(people, exclusions=[LEAVE])[0]
    figure = trend_chart(hours, given)
    rules = [(s["x0"], s["line"]["dash"]) for s in figure["layout"]["shapes"]]
    assert rules == [("2026-09-07", "solid"), ("2026-09-20", "dot")]
    assert [a["text"] for a in figure["layout"]["annotations"]] == ["Plan start",
                                                                   "Checkpoint 20 Sep"]
    shaded = traces(figure)["Excluded: Annual leave (21–27 Sep)"]
    assert shaded["x"] == ["2026-09-21", "2026-09-28", "2026-09-28", "2026-09-21",
                           "2026-09-21"]
    assert shaded["fill"] == "toself" and shaded["hoveron"] == "fills"
    assert shaded["text"] == "Excluded: Annual leave (21–27 Sep)"
    assert min(shaded["y"]) == 0 and max(shaded["y"]) > 40  # spans every value
    weekly = traces(figure)["Weekly value"]
    assert weekly["y"][6] is None and weekly["hovertext"][6].startswith("21–27 Sep<br>excluded")


def test_the_sparkline(people):
    hours = evaluated(people)[0]
    layout = sparkline(hours)["layout"]
    assert (layout["width"], layout["height"]) == (120, 32)
    assert layout["xaxis"]["visible"] is False and layout["yaxis"]["visible"] is False
    assert layout["showlegend"] is False
    named = traces(sparkline(hours))
    assert named["Median ticket resolution time"]["y"] == [8.0, 9.0, 12.0, 6.0]  # plan only
    assert named["Target"]["y"] == [10.0, 10.0]
    latest = named["Latest week"]
    assert latest["y"] == [6.0] and latest["marker"]["color"] == GREEN == STATUS_COLOURS["met"]
    assert latest["marker"]["symbol"] == "circle"


def test_the_sparkline_takes_the_status_colour(people):
    strict = evaluated(people, goals=[{**GOALS[0], "target": {"at_most": 5}}])[0]
    assert strict.status == "partially_met"  # improved clearly, target missed
    latest = traces(sparkline(strict))["Latest week"]
    assert (latest["marker"]["color"], latest["marker"]["symbol"]) == (ORANGE, "diamond")
    assert STATUS_COLOURS["not_met"] == VERMILLION


def test_a_plan_not_started_draws_its_baseline_only(people):
    early = evaluate_plan(plan(goals=GOALS), evidence={"ticket": desk_tickets()},
                          people=people, as_of=date(2026, 9, 1), tz=UTC).goals[0]
    assert len(trend_chart(early, plan(goals=GOALS))["data"][-1]["y"]) == 4
    assert [t["name"] for t in sparkline(early)["data"]] == ["Median ticket resolution time"]


def test_the_figures_are_plotly_figures_as_json(people):
    """plotly.js takes the dicts as they are: plotly's own validation accepts every property,
    changes none of them (templates included), and json.dumps needs no plotly encoder."""
    given = plan(goals=GOALS, checkpoints=["2026-09-20"], exclusions=[LEAVE])
    hours = evaluated(people, exclusions=[LEAVE])[0]
    for spec in (trend_chart(hours, given, zone="UTC", baseline_interval=(20.0, 40.0)),
                 sparkline(hours)):
        validated = go.Figure(spec).to_plotly_json()
        if "template" not in spec["layout"]:  # a sparkline: plotly adds its default template
            validated["layout"].pop("template")
        assert validated == spec
        assert json.loads(json.dumps(spec)) == spec
    # the template is plotly's own, carried in the figure: plotly.js knows no template names
    assert trend_chart(hours, given)["layout"]["template"]["layout"]["plot_bgcolor"] == "white"


def test_charts_do_not_mutate_their_input(people):
    given = plan(goals=GOALS, checkpoints=["2026-09-20"], exclusions=[LEAVE])
    hours = evaluated(people, exclusions=[LEAVE])[0]
    before, dumped = copy.deepcopy(hours.to_json()), given.model_dump()
    trend_chart(hours, given, baseline_interval=(1.0, 2.0))
    sparkline(hours)
    assert hours.to_json() == before and given.model_dump() == dumped
