"""The weekly e-mail (optional): after the weekly snapshots, each plan's manager and HR partner
(and the employee, where the plan says `notify_employee: true`) get a short summary: the outcome
so far, one line per goal, what changed since last week's snapshot and the next checkpoint.

Off unless TRACKRECORD_SMTP_URL is set. STARTTLS is used whenever the server offers it; the
password comes from TRACKRECORD_SMTP_PASSWORD (or its _FILE), never from a file in the repo.
"""

from __future__ import annotations

import html
import smtplib
import ssl
from collections.abc import Sequence
from datetime import date
from email.message import EmailMessage
from typing import Any
from urllib.parse import urlsplit

from config.people import Person
from config.plans import Plan
from config.secrets import read_secret
from service.snapshots import Snapshot, checkpoint_days, snapshots
from service.workspace import Workspace

__all__ = ["send_weekly_email", "weekly_messages"]

PASSWORD_ENV = "TRACKRECORD_SMTP_PASSWORD"


def weekly_messages(ws: Workspace, taken: Sequence[Snapshot]) -> list[EmailMessage]:
    """One message per plan snapshotted, to the people the plan names (those with an address)."""
    people = {p.id: p for p in ws.config.people.people}
    messages = []
    for shot in taken:
        plan = ws.plan(shot.plan_id)
        earlier = [s for s in snapshots(ws, plan.id) if s.seq < shot.seq]
        recipients = _recipients(plan, people)
        if recipients:
            messages.append(_message(ws, plan, shot, earlier[-1] if earlier else None, people,
                                     recipients))
    return messages


def _recipients(plan: Plan, people: dict[str, Person]) -> list[str]:
    ids = [plan.manager, plan.hr_partner, plan.employee if plan.notify_employee else None]
    return list(dict.fromkeys(people[i].email for i in ids if i is not None and i in people))


def _goal_line(goal: dict[str, Any]) -> str:
    target = ", ".join(f"{k} {v}" for k, v in goal["target"].items())
    return (f"{goal['metric']}: {goal['current']['value']} (baseline {goal['baseline']['value']},"
            f" target {target}): {goal['status']}")


def _changes(now: dict[str, Any], before: dict[str, Any] | None) -> list[str]:
    if before is None:
        return ["first snapshot of this plan"]
    lines = [f"outcome: {before['outcome']} → {now['outcome']}"] if (
        before["outcome"] != now["outcome"]) else []
    earlier = {g["metric"]: g for g in before["goals"]}
    for goal in now["goals"]:
        old = earlier.get(goal["metric"])
        if old is not None and old["status"] != goal["status"]:
            lines.append(f"{goal['metric']}: {old['status']} → {goal['status']}")
        elif old is not None and old["current"]["value"] != goal["current"]["value"]:
            lines.append(f"{goal['metric']}: {old['current']['value']} → "
                         f"{goal['current']['value']}")
    return lines or ["no change"]


def _next_checkpoint(plan: Plan, as_of: date) -> str:
    upcoming = [day for day in checkpoint_days(plan) if day > as_of]
    return upcoming[0].isoformat() if upcoming else "none (the plan has ended)"


def _message(ws: Workspace, plan: Plan, shot: Snapshot, before: Snapshot | None,
             people: dict[str, Person], recipients: list[str]) -> EmailMessage:
    evaluation = shot.evaluation
    name = people[plan.employee].name if plan.employee in people else plan.employee
    sections = {
        f"Outcome so far (a person decides): {evaluation['outcome']}": [],
        "Goals": [_goal_line(goal) for goal in evaluation["goals"]],
        "Since last week's snapshot": _changes(
            evaluation, before.evaluation if before else None),
        f"Next checkpoint: {_next_checkpoint(plan, shot.as_of)}": [],
    }
    title = f"{plan.id} ({name}) as of {shot.as_of.isoformat()}"
    message = EmailMessage()
    message["Subject"] = f"Weekly plan summary: {title}"
    message["From"] = ws.settings.smtp_from
    message["To"] = ", ".join(recipients)
    message.set_content(_text(title, sections, shot))
    message.add_alternative(_html(title, sections, shot), subtype="html")
    return message


def _text(title: str, sections: dict[str, list[str]], shot: Snapshot) -> str:
    lines = [title, ""]
    for heading, items in sections.items():
        lines += [heading, *(f"  - {item}" for item in items), ""]
    return "\n".join([*lines, f"Snapshot {shot.seq}, sha256 {shot.hash}"]) + "\n"


def _html(title: str, sections: dict[str, list[str]], shot: Snapshot) -> str:
    parts = [f"<h2>{html.escape(title)}</h2>"]
    for heading, items in sections.items():
        parts.append(f"<p><strong>{html.escape(heading)}</strong></p>")
        if items:
            parts.append("<ul>" + "".join(f"<li>{html.escape(i)}</li>" for i in items) + "</ul>")
    parts.append(f"<p><small>Snapshot {shot.seq}, sha256 {shot.hash}</small></p>")
    return "<html><body>" + "".join(parts) + "</body></html>"


def send_weekly_email(ws: Workspace, taken: Sequence[Snapshot]) -> int:
    """Send the summaries of these snapshots; how many messages went (0 when not configured)."""
    if ws.settings.smtp_url is None:
        return 0
    messages = weekly_messages(ws, taken)
    if messages:
        with _connect(ws) as smtp:
            for message in messages:
                smtp.send_message(message)
    return len(messages)


def _connect(ws: Workspace) -> smtplib.SMTP:
    url = urlsplit(ws.settings.smtp_url or "")
    smtp = smtplib.SMTP(url.hostname or "localhost", url.port or 25, timeout=30)
    smtp.ehlo()
    if smtp.has_extn("starttls"):
        smtp.starttls(context=ssl.create_default_context())
        smtp.ehlo()
    if ws.settings.smtp_user:
        smtp.login(ws.settings.smtp_user, read_secret(PASSWORD_ENV).get_secret_value())
    return smtp
