"""Small configuration files whose line numbers the tests can state exactly."""

from __future__ import annotations

import textwrap
from pathlib import Path

# The metric names of DESIGN §3; the real catalog lives in evaluate/, which config cannot import.
CATALOG = frozenset(
    {
        "ticket_resolution_hours",
        "ticket_cycle_hours",
        "tickets_resolved",
        "ticket_reopen_rate",
        "aged_open_tickets",
        "due_date_adherence",
        "pr_lead_time_hours",
        "pr_first_pass_approval_rate",
        "pr_review_rounds",
        "review_turnaround_hours",
        "reviews_given",
        "deployments",
        "deployment_success_rate",
        "change_failure_rate",
        "incident_mttr_hours",
        "incident_mtta_minutes",
        "incidents_owned",
        "error_rate",
        "availability",
    }
)

SOURCES = """
sources:
  - name: jira
    kind: jira
    url: https://example.atlassian.net
    token_env: JIRA_TOKEN
"""

PEOPLE = """
people:
  - id: ana
    name: Ana Example
    email: ana@example.com
    team: desk
    role: support
    manager: max
    accounts: {jira: acc-ana}
  - id: max
    name: Max Example
    email: max@example.com
    team: desk
    role: support
  - id: hana
    name: Hana Example
    email: hana@example.com
    team: people-ops
    role: support
"""

PLAN = """
id: ana-2026q4
employee: ana
manager: max
hr_partner: hana
start: 2026-09-01
end: 2026-11-30
checkpoints: [2026-09-30]
goals:
  - metric: tickets_resolved
    target: {improve_by: 20%}
"""


def write(path: Path, text: str) -> Path:
    """Write dedented text whose first line is line 1 (the leading newline is dropped)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path
