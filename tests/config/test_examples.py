"""config/examples/ is what `trackrecord init` copies: it must load cleanly and stay complete."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import get_args

import pytest

from config.files import EXAMPLES_DIR, Config, load_config
from config.sources import SourceKind
from config.yamlfile import read_yaml
from evaluate.metrics import metric_rules
from tests.config.samples import CATALOG


@pytest.fixture(scope="module")
def examples() -> Config:
    return load_config(EXAMPLES_DIR, known_metrics=metric_rules())


def test_examples_load_cleanly(examples: Config) -> None:
    assert sorted(examples.plans) == ["ilund-2026q4", "nharlow-2026q4", "tbrandt-2026q4"]


def test_a_copy_loads_too(tmp_path: Path) -> None:
    shutil.copytree(EXAMPLES_DIR, tmp_path / "config")

    assert load_config(tmp_path / "config", known_metrics=CATALOG).plans


def test_every_source_kind_is_shown(examples: Config) -> None:
    assert {source.kind for source in examples.sources.sources} == set(get_args(SourceKind))


def test_people_are_invented(examples: Config) -> None:
    assert 6 <= len(examples.people.people) <= 10
    assert all(person.email.endswith("@example.com") for person in examples.people.people)


@pytest.mark.parametrize(
    ("plan_id", "role", "metrics"),
    [
        (
            "tbrandt-2026q4",
            "support",
            {
                "ticket_resolution_hours",
                "tickets_resolved",
                "ticket_reopen_rate",
                "due_date_adherence",
            },
        ),
        (
            "nharlow-2026q4",
            "developer",
            {"pr_lead_time_hours", "review_turnaround_hours", "pr_first_pass_approval_rate"},
        ),
        ("ilund-2026q4", "sre", {"incident_mttr_hours", "change_failure_rate", "error_rate"}),
    ],
)
def test_each_plan_shows_a_role(
    examples: Config, plan_id: str, role: str, metrics: set[str]
) -> None:
    plan = examples.plans[plan_id]
    people = {person.id: person for person in examples.people.people}
    employee = people[plan.employee]
    teammates = [p for p in people.values() if p.team == employee.team and p.id != employee.id]

    assert employee.role == role
    assert len(teammates) >= 2
    assert {goal.metric for goal in plan.goals} == metrics
    assert plan.exclusions and plan.checkpoints and plan.support and plan.barriers
    assert plan.hr_partner in people


def test_every_example_file_is_commented() -> None:
    for path in [*EXAMPLES_DIR.glob("*.yaml"), *EXAMPLES_DIR.glob("plans/*.yaml")]:
        assert path.read_text().lstrip().startswith("#"), path
        read_yaml(path)  # parses on its own
