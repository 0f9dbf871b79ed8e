"""Settings from TRACKRECORD_* variables and the YAML files: sources, people, plans.

Everything a user can get wrong here surfaces as one `ConfigError` naming file, line and field.
This package imports no other trackrecord package (dependencies point dashboards → evaluate →
ingest → config).
"""

from config.errors import ConfigError, FieldValueError
from config.files import (
    EXAMPLES_DIR,
    Config,
    load_config,
    load_people,
    load_plans,
    load_sources,
)
from config.people import PeopleFile, Person, Role
from config.plans import Better, Exclusion, Goal, MetricRule, Plan, Sustain, Target, Window
from config.secrets import read_secret
from config.settings import Settings, get_settings
from config.sources import (
    AnySource,
    CsvSource,
    GithubDeployments,
    GithubSource,
    JiraSource,
    PagerDutySource,
    PrometheusSeries,
    PrometheusSource,
    Source,
    SourceKind,
    SourcesFile,
)
from config.yamlfile import load_model

__all__ = [
    "EXAMPLES_DIR",
    "AnySource",
    "Better",
    "Config",
    "ConfigError",
    "CsvSource",
    "Exclusion",
    "FieldValueError",
    "GithubDeployments",
    "GithubSource",
    "Goal",
    "JiraSource",
    "MetricRule",
    "PagerDutySource",
    "PeopleFile",
    "Person",
    "Plan",
    "PrometheusSeries",
    "PrometheusSource",
    "Role",
    "Settings",
    "Source",
    "SourceKind",
    "SourcesFile",
    "Sustain",
    "Target",
    "Window",
    "get_settings",
    "load_config",
    "load_model",
    "load_people",
    "load_plans",
    "load_sources",
    "read_secret",
]
