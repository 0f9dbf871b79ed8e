"""load_config: each file alone, then the checks that span entries and files."""

from __future__ import annotations

from pathlib import Path

import pytest

from config.errors import ConfigError
from config.files import Config, load_config, load_people, load_plans, load_sources
from config.plans import RATING_METRICS, MetricRule
from evaluate.metrics import metric_rules
from tests.config.samples import CATALOG, PEOPLE, PLAN, SOURCES, write


def config_error(config_dir: Path, **kwargs: object) -> ConfigError:
    """The problems found: raised (sources.yaml, people.yaml), or a broken plan's, set aside."""
    try:
        config = load_config(config_dir, **kwargs)  # type: ignore[arg-type]
    except ConfigError as error:
        return error
    assert config.broken_plans, "no problem found"
    return ConfigError.from_errors(config.broken_plans.values())


def located(error: ConfigError) -> list[tuple[str, int | None, str | None]]:
    return [(each.file.name if each.file else "", each.line, each.field) for each in error.errors]


def test_valid_folder(config_dir: Path) -> None:
    config = load_config(config_dir, known_metrics=CATALOG)

    assert isinstance(config, Config)
    assert list(config.plans) == ["ana-2026q4"]
    assert [person.id for person in config.people.people] == ["ana", "max", "hana"]
    assert config.sources.sources[0].name == "jira"


def test_one_file_at_a_time(config_dir: Path) -> None:
    assert len(load_people(config_dir).people) == 3
    assert load_sources(config_dir).sources[0].kind == "jira"
    assert list(load_plans(config_dir)) == ["ana-2026q4"]


def test_no_plans_folder_means_no_plans(config_dir: Path) -> None:
    for path in (config_dir / "plans").iterdir():
        path.unlink()
    (config_dir / "plans").rmdir()

    assert load_config(config_dir).plans == {}


def test_missing_people_file(config_dir: Path) -> None:
    (config_dir / "people.yaml").unlink()

    error = config_error(config_dir)

    assert str(error) == f"{config_dir / 'people.yaml'}: file not found"


def test_duplicate_person(config_dir: Path) -> None:
    write(
        config_dir / "people.yaml",
        PEOPLE + "  - {id: max, name: M, email: m@example.com, team: x, role: sre}\n",
    )

    error = config_error(config_dir)

    assert located(error) == [("people.yaml", 19, "people[3].id")]
    assert error.problem == "person id 'max' is listed twice (first as people[1])"


def test_people_who_are_never_measured_need_no_metric_role(config_dir: Path) -> None:
    """HR partners and managers are listed (plans name them) but have no goal template."""
    write(config_dir / "people.yaml", PEOPLE.replace(
        "    team: people-ops\n    role: support\n", "    team: people-ops\n    role: hr\n"))
    people = {p.id: p.role for p in load_config(config_dir, known_metrics=CATALOG).people.people}
    assert people["hana"] == "hr"

    write(config_dir / "people.yaml", PEOPLE.replace("role: support\n  - id: hana",
                                                     "role: manager\n  - id: hana"))
    assert load_people(config_dir).people[1].role == "manager"

    write(config_dir / "people.yaml", PEOPLE.replace(
        "    email: max@example.com\n    team: desk\n    role: support\n",
        "    email: max@example.com\n    team: desk\n"))
    assert load_people(config_dir).people[1].role is None

    write(config_dir / "people.yaml", PEOPLE.replace("role: support\n  - id: hana",
                                                     "role: hrr\n  - id: hana"))
    assert located(config_error(config_dir)) == [("people.yaml", 13, "people[1].role")]


def test_unknown_manager(config_dir: Path) -> None:
    write(config_dir / "people.yaml", PEOPLE.replace("manager: max", "manager: maxx"))

    error = config_error(config_dir)

    assert located(error) == [("people.yaml", 7, "people[0].manager")]
    assert error.problem == "'maxx' is not a person in people.yaml; did you mean 'max'?"


def test_own_manager_and_loops(config_dir: Path) -> None:
    people = PEOPLE.replace(
        "    role: support\n  - id: hana", "    role: support\n    manager: ana\n  - id: hana"
    )
    write(config_dir / "people.yaml", people + "    manager: hana\n")

    error = config_error(config_dir)

    assert located(error) == [
        ("people.yaml", 7, "people[0].manager"),
        ("people.yaml", 20, "people[2].manager"),
    ]
    assert error.errors[0].problem == "the reporting line loops: ana → max → ana"
    assert error.errors[1].problem == "a person cannot be their own manager"


def test_one_email_one_person(config_dir: Path) -> None:
    write(config_dir / "people.yaml", PEOPLE.replace("max@example.com", "Ana@Example.com"))

    error = config_error(config_dir)

    assert located(error) == [("people.yaml", 11, "people[1].email")]


def test_one_account_one_person(config_dir: Path) -> None:
    write(config_dir / "people.yaml", PEOPLE + "    accounts: {jira: ACC-ANA}\n")

    error = config_error(config_dir)

    assert located(error) == [("people.yaml", 19, "people[2].accounts.jira")]
    assert error.problem == "this jira account is also listed for 'ana'"


def test_account_tool_must_be_a_source_kind_or_name(config_dir: Path) -> None:
    write(
        config_dir / "people.yaml", PEOPLE.replace("{jira: acc-ana}", "{jira: acc-ana, githb: ana}")
    )

    error = config_error(config_dir)

    assert located(error) == [("people.yaml", 8, "people[0].accounts.githb")]
    assert error.problem.endswith("did you mean 'github'?")


def test_plan_with_unknown_employee(config_dir: Path) -> None:
    write(config_dir / "plans" / "ana-2026q4.yaml", PLAN.replace("employee: ana", "employee: anna"))

    error = config_error(config_dir)

    assert located(error) == [("ana-2026q4.yaml", 2, "employee")]
    assert error.problem == "'anna' is not a person in people.yaml; did you mean 'ana'?"


def test_plan_with_unknown_hr_partner_and_manager_who_is_the_employee(config_dir: Path) -> None:
    text = PLAN.replace("manager: max", "manager: ana").replace("hr_partner: hana", "hr_partner: x")
    write(config_dir / "plans" / "ana-2026q4.yaml", text)

    error = config_error(config_dir)

    assert located(error) == [
        ("ana-2026q4.yaml", 3, "manager"),
        ("ana-2026q4.yaml", 4, "hr_partner"),
    ]


def test_plan_file_name_is_its_id(config_dir: Path) -> None:
    (config_dir / "plans" / "ana-2026q4.yaml").rename(config_dir / "plans" / "ana.yaml")

    error = config_error(config_dir)

    assert located(error) == [("ana.yaml", 1, "id")]
    assert error.problem == "should match the file name ('ana')"


def test_duplicate_plan_ids(config_dir: Path) -> None:
    write(config_dir / "plans" / "ana-2026q4.yml", PLAN)

    error = config_error(config_dir)

    assert located(error) == [("ana-2026q4.yml", 1, "id")]
    assert error.problem.startswith("plan id is also used by")


def test_unknown_metric_when_the_catalog_is_given(config_dir: Path) -> None:
    text = PLAN.replace("metric: tickets_resolved", "metric: ticket_resolved")
    write(config_dir / "plans" / "ana-2026q4.yaml", text)

    assert load_config(config_dir).plans  # no catalog: not checked
    error = config_error(config_dir, known_metrics=CATALOG)

    assert located(error) == [("ana-2026q4.yaml", 9, "goals[0].metric")]
    assert error.problem == "unknown metric 'ticket_resolved'; did you mean 'tickets_resolved'?"


def test_ratings_are_open_ended(config_dir: Path) -> None:
    text = PLAN.replace("metric: tickets_resolved", "metric: rating:communication")
    write(config_dir / "plans" / "ana-2026q4.yaml", text)

    assert load_config(config_dir, known_metrics=CATALOG).plans


# What evaluate.metrics.metric_rules() hands in, for the metrics these tests use.
COUNTS = ("median", "mean", "per_week")
RULES = {
    "tickets_resolved": MetricRule(COUNTS, has_direction=True),
    "ticket_resolution_hours": MetricRule(COUNTS, has_direction=True),
    "incidents_owned": MetricRule(COUNTS, has_direction=False),
    RATING_METRICS: MetricRule(COUNTS, has_direction=True),
}


def test_a_goal_without_a_direction_must_say_better(config_dir: Path) -> None:
    """incidents_owned has no natural direction: evaluating it without `better` would crash."""
    text = PLAN.replace("metric: tickets_resolved", "metric: incidents_owned")
    write(config_dir / "plans" / "ana-2026q4.yaml", text)

    error = config_error(config_dir, known_metrics=RULES)

    assert located(error) == [("ana-2026q4.yaml", 9, "goals[0].better")]
    assert error.problem == (
        "incidents_owned has no better direction of its own: say `better: lower` or "
        "`better: higher`"
    )
    write(config_dir / "plans" / "ana-2026q4.yaml", text + "    better: lower\n")
    assert load_config(config_dir, known_metrics=RULES).plans


@pytest.mark.parametrize(("metric", "statistic"), [
    ("tickets_resolved", "bogus"),
    ("ticket_resolution_hours", "rate"),  # hours are not 0/1 values
    ("rating:communication", "count"),
])
def test_a_goal_statistic_must_suit_its_metric(config_dir: Path, metric: str,
                                               statistic: str) -> None:
    text = PLAN.replace("metric: tickets_resolved", f"metric: {metric}")
    write(config_dir / "plans" / "ana-2026q4.yaml", text + f"    statistic: {statistic}\n")

    assert load_config(config_dir, known_metrics=CATALOG).plans  # names only: not checked
    error = config_error(config_dir, known_metrics=RULES)

    assert located(error) == [("ana-2026q4.yaml", 11, "goals[0].statistic")]
    assert error.problem == f"{metric} takes statistic median, mean, per_week, not {statistic!r}"


def test_series_owners_must_be_people_or_teams(config_dir: Path) -> None:
    prometheus = (
        "  - name: prometheus\n"
        "    kind: prometheus\n"
        "    url: http://prometheus.internal:9090\n"
        "    series:\n"
        "      - metric: error_rate\n"
        "        query: rate(errors[5m])\n"
        "        owner_label: service\n"
        '        owners: {checkout: ana, search: "team:desk", cart: bob, web: "team:web"}\n'
    )
    write(config_dir / "sources.yaml", SOURCES + prometheus)

    error = config_error(config_dir, known_metrics=CATALOG)

    assert located(error) == [
        ("sources.yaml", 13, "sources[1].series[0].owners.cart"),
        ("sources.yaml", 13, "sources[1].series[0].owners.web"),
    ]
    assert error.errors[1].problem == "no one in people.yaml is on team 'web'"


def test_problems_in_several_files_come_together(config_dir: Path) -> None:
    write(config_dir / "sources.yaml", "sources:\n  - name: jira\n    kind: jira\n")
    write(config_dir / "people.yaml", PEOPLE.replace("manager: max", "manager: nobody"))
    write(config_dir / "plans" / "ana-2026q4.yaml", PLAN.replace("employee: ana", "employee: x"))

    error = config_error(config_dir)

    assert located(error) == [
        ("people.yaml", 7, "people[0].manager"),
        ("ana-2026q4.yaml", 2, "employee"),
        ("sources.yaml", 2, "sources[0].token_env"),
        ("sources.yaml", 2, "sources[0].url"),
    ]
    assert len(str(error).splitlines()) == 4


def test_the_old_per_source_services_still_read_with_a_located_notice(config_dir: Path) -> None:
    github = (
        "  - name: gh\n    kind: github\n    token_env: T\n    repos: [acme/api]\n"
        "    services: {acme/api: checkout}\n"
    )
    write(config_dir / "sources.yaml", SOURCES + github)

    config = load_config(config_dir, known_metrics=CATALOG)

    assert config.sources.repo_services == {"acme/api": "checkout"}
    [notice] = config.notices
    assert notice.startswith("sources.yaml:") or "sources.yaml:" in notice
    assert "sources[1].services" in notice and "top-level `services:`" in notice
    write(config_dir / "sources.yaml", SOURCES + github.replace(
        "    services: {acme/api: checkout}\n", "") + "services: {acme/api: checkout}\n")
    moved = load_config(config_dir, known_metrics=CATALOG)
    assert moved.notices == () and moved.sources.repo_services == {"acme/api": "checkout"}


def goal_plan(metric: str, target: str, extra: str = "") -> str:
    return PLAN.replace("  - metric: tickets_resolved\n    target: {improve_by: 20%}\n",
                        f"  - metric: {metric}\n    target: {target}\n{extra}")


@pytest.mark.parametrize(("metric", "target", "problem"), [
    ("ticket_resolution_hours", "{at_least: 24}",
     "ticket_resolution_hours is better lower, so `at_least: 24` would be met by getting worse: "
     "write `at_most: 24` for a limit, or `improve_by: 20%` for an improvement"),
    ("due_date_adherence", "{at_most: 0.9}",
     "due_date_adherence is better higher, so `at_most: 0.9` would be met by getting worse: "
     "write `at_least: 0.9` for a limit, or `improve_by: 20%` for an improvement"),
    ("ticket_resolution_hours", '{at_most: "20%"}',
     "ticket_resolution_hours (hours) is not a share, so a percentage means nothing: write a "
     "number"),
    ("due_date_adherence", "{at_least: 85}",
     'due_date_adherence is a share from 0 to 1: write `at_least: "85%"` or `at_least: 0.85`'),
    ("availability", "{at_least: 99.5}",
     'availability is a share from 0 to 1: write `at_least: "99.5%"` or `at_least: 0.995`'),
    ("aged_open_tickets", "{at_most: -1}",
     "aged_open_tickets (count) counts events and cannot be below 0"),
])
def test_a_target_that_cannot_mean_what_it_says_is_refused(
        config_dir: Path, metric: str, target: str, problem: str) -> None:
    """DESIGN §4: `at_least: 24` on resolution hours used to be accepted, and called a
    person who went from 74.8 h to 15.3 h `partially_met`."""
    write(config_dir / "plans" / "ana-2026q4.yaml", goal_plan(metric, target))

    error = config_error(config_dir, known_metrics=metric_rules())

    bound = target.strip("{}").split(":")[0]
    assert located(error) == [("ana-2026q4.yaml", 10, f"goals[0].target.{bound}")]
    assert error.problem == problem


@pytest.mark.parametrize(("metric", "target", "extra"), [
    ("ticket_resolution_hours", "{at_most: 24}", ""),
    ("due_date_adherence", '{at_least: "85%"}', ""),
    ("due_date_adherence", "{at_least: 0.85}", ""),
    ("error_rate", '{at_most: "1%"}', ""),
    ("tickets_resolved", "{at_least: 0}", ""),
    ("incidents_owned", "{at_most: 2}", "    better: lower\n"),
    ("ticket_resolution_hours", "{at_least: 24}", "    better: higher\n"),  # stated outright
])
def test_targets_that_say_what_they_mean_load(config_dir: Path, metric: str, target: str,
                                              extra: str) -> None:
    write(config_dir / "plans" / "ana-2026q4.yaml", goal_plan(metric, target, extra))

    assert load_config(config_dir, known_metrics=metric_rules()).plans


def test_a_broken_plan_is_set_aside_with_a_located_notice_and_the_others_load(
    config_dir: Path,
) -> None:
    broken = PLAN.replace("id: ana-2026q4", "id: ana-2027q1").replace("employee: ana",
                                                                     "employee: anna")
    write(config_dir / "plans" / "ana-2027q1.yaml", broken)

    config = load_config(config_dir, known_metrics=CATALOG)

    assert list(config.plans) == ["ana-2026q4"] and list(config.broken_plans) == ["ana-2027q1"]
    assert located(config.broken_plans["ana-2027q1"]) == [("ana-2027q1.yaml", 2, "employee")]
    [notice] = config.notices
    assert "ana-2027q1.yaml:2: employee: 'anna' is not a person" in notice
    assert notice.endswith("(plan ana-2027q1 is skipped until this is fixed)")
    with pytest.raises(ConfigError, match=r"ana-2027q1\.yaml:2"):
        load_plans(config_dir, people=config.people)  # asked for every plan: all must load
