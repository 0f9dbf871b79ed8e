"""load_model: every kind of bad file gives one located line per problem, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from config.errors import ConfigError
from config.plans import Plan
from config.yamlfile import format_field, load_model, read_yaml
from tests.config.samples import PLAN, write


def plan_error(tmp_path: Path, text: str) -> ConfigError:
    path = write(tmp_path / "plans" / "ana-2026q4.yaml", text)
    with pytest.raises(ConfigError) as caught:
        load_model(path, Plan)
    return caught.value


def located(error: ConfigError) -> list[tuple[int | None, str | None]]:
    return [(each.line, each.field) for each in error.errors]


def test_valid_plan_loads(tmp_path: Path) -> None:
    plan = load_model(write(tmp_path / "p.yaml", PLAN), Plan)

    assert plan.id == "ana-2026q4"
    assert plan.goals[0].target.improve_by == pytest.approx(0.2)


def test_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    error = plan_error(tmp_path, PLAN.replace("manager: max", "manager: max: boss"))

    assert error.line == 3
    assert error.field is None
    assert error.problem.startswith("invalid YAML: mapping values are not allowed here")
    assert str(error) == f"{error.file}:3: {error.problem}"


def test_unclosed_bracket_points_where_it_opened(tmp_path: Path) -> None:
    error = plan_error(tmp_path, "id: x\ncheckpoints: [2026-09-30\n")

    assert error.line == 2
    assert "flow sequence" in error.problem


def test_tab_indentation_says_so(tmp_path: Path) -> None:
    error = plan_error(tmp_path, "id: x\ngoals:\n\t- metric: a\n")

    assert error.line == 3
    assert "spaces, not tabs" in error.problem


def test_impossible_date_is_located(tmp_path: Path) -> None:
    error = plan_error(tmp_path, PLAN.replace("end: 2026-11-30", "end: 2026-02-30"))

    assert error.line == 6
    assert "'2026-02-30' is not a valid date" in error.problem


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n"])
def test_empty_file(tmp_path: Path, text: str) -> None:
    path = tmp_path / "empty.yaml"
    path.write_text(text)

    with pytest.raises(ConfigError, match="empty") as caught:
        load_model(path, Plan)
    assert caught.value.file == path
    assert caught.value.line is None


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_model(tmp_path / "nope.yaml", Plan)

    assert str(caught.value) == f"{tmp_path / 'nope.yaml'}: file not found"


def test_more_than_one_document(tmp_path: Path) -> None:
    error = plan_error(tmp_path, "id: a\n---\nid: b\n")

    assert error.line == 2
    assert "single document" in error.problem


def test_duplicate_keys_are_errors_not_silently_dropped(tmp_path: Path) -> None:
    text = PLAN.replace("target: {improve_by: 20%}", "target: {improve_by: 20%}\n    metric: x")

    error = plan_error(tmp_path, text)

    assert located(error) == [(11, "goals[0].metric")]
    assert error.problem == "key 'metric' appears twice (first on line 9)"


def test_missing_required_field_points_at_its_parent(tmp_path: Path) -> None:
    error = plan_error(tmp_path, PLAN.replace("    target: {improve_by: 20%}\n", ""))

    assert located(error) == [(9, "goals[0].target")]
    assert error.problem == "required field is missing"


def test_missing_top_level_field(tmp_path: Path) -> None:
    error = plan_error(tmp_path, PLAN.replace("employee: ana\n", ""))

    assert located(error) == [(1, "employee")]


def test_wrong_type(tmp_path: Path) -> None:
    text = PLAN.replace("{improve_by: 20%}", "{improve_by: 20%}\n    min_samples: eight")

    error = plan_error(tmp_path, text)

    assert located(error) == [(11, "goals[0].min_samples")]
    assert error.problem.startswith("should be a valid integer")


def test_wrong_type_for_a_whole_section(tmp_path: Path) -> None:
    error = plan_error(tmp_path, PLAN.replace("{improve_by: 20%}", "24"))

    assert located(error) == [(10, "goals[0].target")]
    assert "mapping" in error.problem


def test_unknown_field_suggests_the_intended_one(tmp_path: Path) -> None:
    error = plan_error(tmp_path, PLAN.replace("checkpoints:", "checkpionts:"))

    assert located(error) == [(7, "checkpionts")]
    assert error.problem == "unknown field 'checkpionts'; did you mean 'checkpoints'?"


def test_unknown_nested_field_lists_the_choices_when_nothing_is_close(tmp_path: Path) -> None:
    error = plan_error(tmp_path, PLAN.replace("{improve_by: 20%}", "{improve_by: 20%, xyz: 1}"))

    assert located(error) == [(10, "goals[0].target.xyz")]
    assert error.problem == "unknown field 'xyz'; expected one of at_most, at_least, improve_by"


def test_two_targets(tmp_path: Path) -> None:
    error = plan_error(tmp_path, PLAN.replace("{improve_by: 20%}", "{at_most: 24, at_least: 2}"))

    assert located(error) == [(10, "goals[0].target")]
    assert error.problem == "give exactly one of at_most, at_least, improve_by"


@pytest.mark.parametrize(
    ("target", "problem"),
    [
        ('"20"', "must be a percentage such as '20%'"),
        ("20", "write it as a percentage, e.g. '20%'"),
        ("twenty%", "must be a percentage such as '20%'"),
    ],
)
def test_improve_by_needs_a_percent_sign(tmp_path: Path, target: str, problem: str) -> None:
    text = PLAN.replace("target: {improve_by: 20%}", f"target:\n      improve_by: {target}")

    error = plan_error(tmp_path, text)

    assert located(error) == [(11, "goals[0].target.improve_by")]
    assert error.problem == problem


def test_percentages_read_as_fractions(tmp_path: Path) -> None:
    text = PLAN.replace("{improve_by: 20%}", '{at_least: "85%"}')

    plan = load_model(write(tmp_path / "p.yaml", text), Plan)

    assert plan.goals[0].target.at_least == pytest.approx(0.85)


def test_a_dumped_plan_validates_again() -> None:
    plan = Plan.model_validate(
        {
            "id": "x",
            "employee": "a",
            "manager": "b",
            "start": "2026-09-01",
            "end": "2026-11-30",
            "goals": [{"metric": "m", "target": {"improve_by": "20%"}}],
        }
    )

    assert Plan.model_validate(plan.model_dump(by_alias=True)) == plan


def test_checkpoint_outside_the_plan_points_at_that_checkpoint(tmp_path: Path) -> None:
    text = PLAN.replace("checkpoints: [2026-09-30]", "checkpoints:\n  - 2026-09-30\n  - 2026-12-15")

    error = plan_error(tmp_path, text)

    assert located(error) == [(9, "checkpoints[1]")]
    assert error.problem == "checkpoint 2026-12-15 is outside the plan (2026-09-01 to 2026-11-30)"


def test_end_before_start(tmp_path: Path) -> None:
    error = plan_error(tmp_path, PLAN.replace("end: 2026-11-30", "end: 2026-08-30"))

    assert located(error) == [(6, "end")]


def test_baseline_overlapping_the_plan(tmp_path: Path) -> None:
    baseline = "baseline: {start: 2026-06-01, end: 2026-09-01}"
    text = PLAN.replace("checkpoints:", f"{baseline}\ncheckpoints:")

    error = plan_error(tmp_path, text)

    assert located(error) == [(7, "baseline.end")]


def test_a_plan_shorter_than_a_goal_must_be_sustained_is_refused(tmp_path: Path) -> None:
    """Two weeks cannot hold a target in three weekly windows (the default sustain rule)."""
    short = PLAN.replace("end: 2026-11-30", "end: 2026-09-14").replace(
        "checkpoints: [2026-09-30]", "checkpoints: []")

    error = plan_error(tmp_path, short)

    assert located(error) == [(9, "goals[0]")]
    assert error.problem.startswith(
        "the plan has 14 active days (2026-09-01 to 2026-09-14, less exclusions), 2 weekly "
        "windows of at least 4 days, but this goal must hold in 3")
    explicit = short + "    sustain: {weeks: 4, required: 3}\n"
    assert located(plan_error(tmp_path, explicit)) == [(11, "goals[0].sustain.required")]
    # A third window needs 4 active days: one or three days more cannot make it.
    assert located(plan_error(tmp_path, short.replace("09-14", "09-17"))) == [(9, "goals[0]")]
    path = write(tmp_path / "plans" / "ana-2026q4.yaml", short.replace("09-14", "09-18"))
    assert load_model(path, Plan).end.day == 18
    on_leave = short.replace("09-14", "09-21") + (
        "exclusions:\n  - {from: 2026-09-08, to: 2026-09-14, reason: Leave}\n")
    assert located(plan_error(tmp_path, on_leave)) == [(9, "goals[0]")]  # 14 active days
    path = write(tmp_path / "plans" / "ana-2026q4.yaml",
                 short + "    sustain: {weeks: 2, required: 2}\n")
    assert load_model(path, Plan).goals[0].sustain.required == 2


def test_exclusion_needs_both_ends(tmp_path: Path) -> None:
    text = PLAN + "exclusions:\n  - {from: 2026-10-05, reason: Leave}\n"

    error = plan_error(tmp_path, text)

    assert located(error) == [(12, "exclusions[0]")]
    assert error.problem == "give either from and to, or record"


def test_every_problem_is_reported_in_line_order(tmp_path: Path) -> None:
    text = (
        PLAN.replace("employee: ana\n", "")
        .replace("start: 2026-09-01", "start: soon")
        .replace("{improve_by: 20%}", "{improve_by: 20%, at_most: 1}")
    )

    error = plan_error(tmp_path, text)

    assert located(error) == [(1, "employee"), (4, "start"), (9, "goals[0].target")]
    assert len(str(error).splitlines()) == 3


def test_union_alternatives_share_one_line(tmp_path: Path) -> None:
    text = PLAN.replace("{improve_by: 20%}", "{improve_by: 20%}\n    params: {days: [1]}")

    error = plan_error(tmp_path, text)

    assert located(error) == [(11, "goals[0].params.days")]
    assert error.problem == "should be a valid number or a valid integer or a valid string"


def test_yaml_booleans_and_numbers_get_a_quoting_hint(tmp_path: Path) -> None:
    error = plan_error(tmp_path, PLAN.replace("employee: ana", "employee: no"))

    assert located(error) == [(2, "employee")]
    assert "put it in quotes" in error.problem


def test_locate_and_error_for_later_checks(tmp_path: Path) -> None:
    document = read_yaml(write(tmp_path / "p.yaml", PLAN))

    assert document.locate(("goals", 0, "target", "improve_by")) == (
        10,
        "goals[0].target.improve_by",
    )
    assert document.error(("hr_partner",), "unknown").line == 4


@pytest.mark.parametrize(
    ("loc", "text"),
    [
        (("goals", 0, "target", "at_most"), "goals[0].target.at_most"),
        (("owners", "api-1:9100"), "owners['api-1:9100']"),
        ((), None),
    ],
)
def test_format_field(loc: tuple[str | int, ...], text: str | None) -> None:
    assert format_field(loc) == text


def test_excluded_record_needs_its_source(tmp_path: Path) -> None:
    text = PLAN + 'exclusions:\n  - {record: "OPS-123", reason: Vendor}\n'

    error = plan_error(tmp_path, text)

    assert located(error) == [(12, "exclusions[0].record")]
    assert error.problem == "a record key is source:key, e.g. jira:OPS-123"
