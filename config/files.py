"""The configuration folder: sources.yaml, people.yaml and plans/*.yaml, checked together.

Each file is validated on its own first; then the checks that span entries or files (a plan's
employee is a listed person, a manager exists, an account belongs to one person) run with the
node trees at hand, so every problem still names its file, line and field. All problems found
are raised together: fixing a configuration should not take one run per typo.
"""

from __future__ import annotations

import difflib
import functools
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Generic, TypeVar, get_args

from pydantic import BaseModel

from config.errors import ConfigError
from config.people import PeopleFile
from config.plans import COUNT_STATISTICS, RATING_METRICS, Goal, MetricRule, Plan
from config.sources import PrometheusSource, SourceKind, SourcesFile
from config.yamlfile import YamlDocument, read_yaml, validate

__all__ = [
    "EXAMPLES_DIR",
    "PEOPLE_FILE",
    "PLANS_DIR",
    "SOURCES_FILE",
    "Config",
    "load_config",
    "load_people",
    "load_plans",
    "load_sources",
]

SOURCES_FILE = "sources.yaml"
PEOPLE_FILE = "people.yaml"
PLANS_DIR = "plans"
EXAMPLES_DIR = Path(__file__).parent / "examples"  # what `trackrecord init` copies

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class Config:
    """A whole, cross-checked configuration folder."""

    sources: SourcesFile
    people: PeopleFile
    plans: dict[str, Plan]
    notices: tuple[str, ...] = ()  # file:line warnings that do not stop anything (deprecations)
    # Plan files that failed validation, by file stem (a plan's id is its file's name): skipped,
    # so one bad plan never stops the others, and reported by whatever names them.
    broken_plans: Mapping[str, ConfigError] = field(default_factory=dict)


def load_config(config_dir: Path, *, known_metrics: Collection[str] | None = None) -> Config:
    """Load and cross-check every file; `known_metrics` is the catalog (config cannot import it):
    metric names, or a mapping of name → `MetricRule`, which also checks each goal's statistic
    and direction. A plan file with problems is set aside in `broken_plans` (each problem also
    a notice); problems in sources.yaml or people.yaml, which everything needs, raise, with
    those of the plans."""
    if (config_dir / "__init__.py").exists() and not (config_dir / SOURCES_FILE).exists():
        # In a checkout the default ./config is trackrecord's own package, not a configuration.
        raise ConfigError(
            config_dir,
            "this is trackrecord's source code, not a configuration folder: point "
            "TRACKRECORD_CONFIG_DIR or --config at one (`trackrecord init DIR` writes one)",
        )
    errors: list[ConfigError] = []
    people = _collect(errors, lambda: _read_people(config_dir))
    sources = _collect(errors, lambda: _read_sources(config_dir, known_metrics))
    # A file whose entries are valid but disagree with each other still feeds the cross-file
    # checks, so one run reports as much as it can.
    people_file = people.model if people else None
    loaded = _collect(errors, lambda: _plans(config_dir, known_metrics, people_file))
    for checked in (people, sources):
        errors.extend(checked.errors if checked else [])
    if people and sources:
        errors.extend(_account_tools(people, sources.model))
        errors.extend(_series_owners(sources, people.model))
    if errors or people is None or sources is None or loaded is None:
        broken = loaded[1].values() if loaded else []
        flat = [each for error in (*errors, *broken) for each in error.errors]
        raise ConfigError.from_errors(sorted(flat, key=_file_and_line))
    plans, broken_plans = loaded
    notices = tuple(
        str(sources.document.error(loc, problem)) for loc, problem in sources.model.deprecations
    ) + tuple(
        f"{each} (plan {stem} is skipped until this is fixed)"
        for stem, error in broken_plans.items() for each in error.errors
    )
    return Config(sources=sources.model, people=people.model, plans=plans, notices=notices,
                  broken_plans=broken_plans)


def load_people(config_dir: Path) -> PeopleFile:
    """people.yaml alone, with its own cross-person checks."""
    return _read_people(config_dir).checked()


def load_sources(config_dir: Path, *, known_metrics: Collection[str] | None = None) -> SourcesFile:
    """sources.yaml alone."""
    return _read_sources(config_dir, known_metrics).checked()


def load_plans(
    config_dir: Path,
    known_metrics: Collection[str] | None = None,
    *,
    people: PeopleFile | None = None,
) -> dict[str, Plan]:
    """Every plans/*.yaml (and *.yml) by id; with `people`, their person references are checked.
    Raises ConfigError with the problems of every file that has some."""
    plans, broken = _plans(config_dir, known_metrics, people)
    _raise_if_any(list(broken.values()))
    return plans


def _plans(
    config_dir: Path, known_metrics: Collection[str] | None, people: PeopleFile | None
) -> tuple[dict[str, Plan], dict[str, ConfigError]]:
    """The plans that validate by id, and each file's problems by file stem."""
    folder = config_dir / PLANS_DIR
    if not folder.exists():
        return {}, {}
    if not folder.is_dir():
        raise ConfigError(folder, "should be a folder of plan files")
    plans: dict[str, Plan] = {}
    broken: dict[str, ConfigError] = {}
    first_file: dict[str, Path] = {}
    for path in _plan_files(folder):
        problems: list[ConfigError] = []
        loaded = _collect(problems, functools.partial(_load_plan, path, known_metrics, people))
        if loaded is not None and loaded[0].id in first_file:
            other = first_file[loaded[0].id]
            problems.append(loaded[1].error(("id",), f"plan id is also used by {other}"))
            plans.pop(loaded[0].id, None)  # which file is meant cannot be told: neither counts
        elif loaded is not None:
            first_file[loaded[0].id] = path
            plans[loaded[0].id] = loaded[0]
        if problems:
            earlier = [broken[path.stem]] if path.stem in broken else []  # x.yaml and x.yml
            broken[path.stem] = ConfigError.from_errors([*earlier, *problems])
    return plans, broken


def _collect(errors: list[ConfigError], load: Callable[[], T]) -> T | None:
    try:
        return load()
    except ConfigError as error:
        errors.append(error)
        return None


def _file_and_line(error: ConfigError) -> tuple[str, int]:
    return str(error.file or ""), error.line or 0


def _raise_if_any(errors: Collection[ConfigError]) -> None:
    if errors:
        raise ConfigError.from_errors(errors)


@dataclass(frozen=True)
class _Checked(Generic[M]):
    """A file that validated, with the problems its entries have with each other."""

    model: M
    document: YamlDocument
    errors: list[ConfigError]

    def checked(self) -> M:
        _raise_if_any(self.errors)
        return self.model


def _read_people(config_dir: Path) -> _Checked[PeopleFile]:
    document = read_yaml(config_dir / PEOPLE_FILE)
    people = validate(document, PeopleFile)
    errors = [
        *_managers(document, people),
        *_manager_cycles(document, people),
        *_unique_emails(document, people),
        *_unique_accounts(document, people),
    ]
    return _Checked(people, document, sorted(errors, key=_file_and_line))


def _read_sources(config_dir: Path, known_metrics: Collection[str] | None) -> _Checked[SourcesFile]:
    document = read_yaml(config_dir / SOURCES_FILE)
    sources = validate(document, SourcesFile)
    return _Checked(sources, document, list(_series_metrics(document, sources, known_metrics)))


def _load_plan(
    path: Path, known_metrics: Collection[str] | None, people: PeopleFile | None
) -> tuple[Plan, YamlDocument]:
    document = read_yaml(path)
    plan = validate(document, Plan)
    errors = list(_goal_metrics(document, plan, known_metrics))
    if plan.id != path.stem:
        errors.append(document.error(("id",), f"should match the file name ({path.stem!r})"))
    if people is not None:
        errors.extend(_plan_people(document, plan, people))
    _raise_if_any(sorted(errors, key=lambda error: error.line or 0))
    return plan, document


def _plan_files(folder: Path) -> list[Path]:
    # Editors leave hidden files (.#plan.yaml); a .yml plan must not be silently ignored.
    files = [*folder.glob("*.yaml"), *folder.glob("*.yml")]
    return sorted(path for path in files if not path.name.startswith(".") and path.is_file())


# people.yaml checks


def _managers(document: YamlDocument, people: PeopleFile) -> Iterator[ConfigError]:
    ids = {person.id for person in people.people}
    for index, person in enumerate(people.people):
        loc = ("people", index, "manager")
        if person.manager == person.id:
            yield document.error(loc, "a person cannot be their own manager")
        elif person.manager is not None and person.manager not in ids:
            yield document.error(loc, _unknown_person(person.manager, ids))


def _manager_cycles(document: YamlDocument, people: PeopleFile) -> Iterator[ConfigError]:
    """A loop in the reporting line would let access rules and report chains run forever."""
    manager_of = {person.id: person.manager for person in people.people}
    index_of = {person.id: index for index, person in enumerate(people.people)}
    for person in people.people:
        chain = [person.id]
        while (boss := manager_of.get(chain[-1])) and boss not in chain and boss in manager_of:
            chain.append(boss)
        looped = boss == person.id and len(chain) > 1
        if looped and person.id == min(chain, key=index_of.__getitem__):
            loop = " → ".join([*chain, person.id])
            loc = ("people", index_of[person.id], "manager")
            yield document.error(loc, f"the reporting line loops: {loop}")


def _unique_emails(document: YamlDocument, people: PeopleFile) -> Iterator[ConfigError]:
    """Unlisted accounts are matched by e-mail, so one e-mail must mean one person."""
    first: dict[str, str] = {}
    for index, person in enumerate(people.people):
        email = person.email.casefold()
        if email in first:
            loc = ("people", index, "email")
            yield document.error(loc, f"the same e-mail is listed for {first[email]!r}")
        first.setdefault(email, person.id)


def _unique_accounts(document: YamlDocument, people: PeopleFile) -> Iterator[ConfigError]:
    """An account listed for two people would credit one person's work to the other."""
    first: dict[tuple[str, str], str] = {}
    for index, person in enumerate(people.people):
        for tool, account in person.accounts.items():
            key = (tool, account.casefold())
            if key in first and first[key] != person.id:
                loc = ("people", index, "accounts", tool)
                yield document.error(loc, f"this {tool} account is also listed for {first[key]!r}")
            first.setdefault(key, person.id)


# sources.yaml checks


def _series_metrics(
    document: YamlDocument, sources: SourcesFile, known_metrics: Collection[str] | None
) -> Iterator[ConfigError]:
    for index, source in enumerate(sources.sources):
        if not isinstance(source, PrometheusSource):
            continue
        for number, series in enumerate(source.series):
            problem = _metric_problem(series.metric, known_metrics)
            if problem:
                yield document.error(("sources", index, "series", number, "metric"), problem)


# plans/*.yaml checks


def _goal_metrics(
    document: YamlDocument, plan: Plan, known_metrics: Collection[str] | None
) -> Iterator[ConfigError]:
    for index, goal in enumerate(plan.goals):
        problem = _metric_problem(goal.metric, known_metrics)
        if problem:
            yield document.error(("goals", index, "metric"), problem)
        elif isinstance(known_metrics, Mapping):
            rule = _metric_rule(goal.metric, known_metrics)
            if rule is not None:
                yield from _goal_rule(document, index, goal, rule)


def _metric_rule(metric: str, rules: Mapping[str, MetricRule]) -> MetricRule | None:
    if metric in rules:
        return rules[metric]
    return rules.get(RATING_METRICS) if metric.startswith("rating:") else None


def _goal_rule(
    document: YamlDocument, index: int, goal: Goal, rule: MetricRule
) -> Iterator[ConfigError]:
    """A statistic the metric cannot take (`rate` of hours), or no direction to judge by."""
    if goal.statistic is not None and goal.statistic not in rule.statistics:
        allowed = ", ".join(rule.statistics)
        yield document.error(
            ("goals", index, "statistic"),
            f"{goal.metric} takes statistic {allowed}, not {goal.statistic!r}",
        )
    if goal.better is None and not rule.has_direction:
        yield document.error(
            ("goals", index, "better"),
            f"{goal.metric} has no better direction of its own: "
            "say `better: lower` or `better: higher`",
            missing=True,
        )
    for bound in ("at_most", "at_least"):
        value = getattr(goal.target, bound)
        if value is not None:
            loc = ("goals", index, "target", bound)
            problem = _target_problem(goal, rule, bound, value, _raw(document, loc))
            if problem:
                yield document.error(loc, problem)


def _raw(document: YamlDocument, loc: tuple[str | int, ...]) -> object:
    """The value as written in the file (a percentage is a number once validated)."""
    data: object = document.data
    for part in loc:
        data = data[part]  # type: ignore[index]
    return data


_OTHER_BOUND = {"at_most": "at_least", "at_least": "at_most"}
_WRONG_WAY = {("lower", "at_least"): "higher", ("higher", "at_most"): "lower"}


def _target_problem(goal: Goal, rule: MetricRule, bound: str, value: float, raw: object
                    ) -> str | None:
    """A target that cannot mean what it says (DESIGN §4): a bound on the wrong side of the
    metric's direction (`at_least: 24` hours would call a person who got faster a failure),
    a percentage of something that is no share, a share above 1, a count below 0."""
    better, statistic = goal.better or rule.better, goal.statistic or rule.statistic
    written = str(raw).strip()
    if better is not None and (better, bound) in _WRONG_WAY:
        return (
            f"{goal.metric} is better {better}, so `{bound}: {written}` would be met by getting "
            f"worse: write `{_OTHER_BOUND[bound]}: {written}` for a limit, or `improve_by: 20%` "
            "for an improvement"
        )
    share = statistic in rule.share_statistics
    if isinstance(raw, str) and "%" in raw and not share:
        unit = f" ({rule.unit})" if rule.unit else ""
        return f"{goal.metric}{unit} is not a share, so a percentage means nothing: write a number"
    if share and value > 1:
        return (
            f"{goal.metric} is a share from 0 to 1: write `{bound}: \"{value:g}%\"` "
            f"or `{bound}: {value / 100:g}`"
        )
    if statistic in COUNT_STATISTICS and value < 0:
        return f"{goal.metric} ({statistic}) counts events and cannot be below 0"
    return None


def _plan_people(document: YamlDocument, plan: Plan, people: PeopleFile) -> Iterator[ConfigError]:
    ids = {person.id for person in people.people}
    for role in ("employee", "manager", "hr_partner"):
        person_id = getattr(plan, role)
        if person_id is not None and person_id not in ids:
            yield document.error((role,), _unknown_person(person_id, ids))
    for role in ("manager", "hr_partner"):
        if getattr(plan, role) == plan.employee:
            yield document.error((role,), f"cannot be the employee ({plan.employee!r}) too")


# checks across files


def _account_tools(people: _Checked[PeopleFile], sources: SourcesFile) -> Iterator[ConfigError]:
    """An account under a misspelled tool (`githb:`) would silently never match."""
    tools = set(get_args(SourceKind)) | {source.name for source in sources.sources}
    for index, person in enumerate(people.model.people):
        for tool in person.accounts:
            if tool not in tools:
                yield people.document.error(
                    ("people", index, "accounts", tool),
                    f"unknown tool {tool!r}; use a source kind or a name from {SOURCES_FILE}"
                    + _suggestion(tool, tools),
                )


def _series_owners(sources: _Checked[SourcesFile], people: PeopleFile) -> Iterator[ConfigError]:
    ids = {person.id for person in people.people}
    teams = {person.team for person in people.people}
    for index, source in enumerate(sources.model.sources):
        if not isinstance(source, PrometheusSource):
            continue
        for number, series in enumerate(source.series):
            for label, owner in series.owners.items():
                problem = _owner_problem(owner, ids, teams)
                if problem:
                    loc = ("sources", index, "series", number, "owners", label)
                    yield sources.document.error(loc, problem)


def _owner_problem(owner: str, ids: set[str], teams: set[str]) -> str | None:
    if owner.startswith("team:"):
        team = owner.removeprefix("team:")
        return None if team in teams else f"no one in {PEOPLE_FILE} is on team {team!r}"
    return None if owner in ids else _unknown_person(owner, ids) + " (or write team:NAME)"


def _metric_problem(metric: str, known_metrics: Collection[str] | None) -> str | None:
    # `rating:NAME` is open-ended: any rating a manager enters in the app.
    if known_metrics is None or metric in known_metrics:
        return None
    if metric.startswith("rating:") and len(metric) > len("rating:"):
        return None
    return f"unknown metric {metric!r}" + _suggestion(metric, known_metrics)


def _unknown_person(person_id: str, ids: Collection[str]) -> str:
    return f"{person_id!r} is not a person in {PEOPLE_FILE}" + _suggestion(person_id, ids)


def _suggestion(name: str, choices: Collection[str]) -> str:
    close = difflib.get_close_matches(name, list(choices), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""
