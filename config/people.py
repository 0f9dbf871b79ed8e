"""people.yaml: each person once, with their accounts per tool."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from config.errors import FieldValueError

Role = Literal["developer", "support", "sre", "security"]
"""A role whose work is measured: each has a template of goals (DESIGN §3)."""
PersonRole = Literal["developer", "support", "sre", "security", "hr", "manager"]
"""Any role people.yaml accepts: hr and manager are for people listed (plans and access name
them) but never measured."""


class Person(BaseModel):
    """One person; accounts tie their tool identities to them, so evidence is never guessed."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$",
        description="Stable short id, used by plans and the app (no ':' — 'team:' names a team).",
    )
    name: str = Field(min_length=1, description="Full name, as shown in the app and reports.")
    email: str = Field(pattern=r"^[^@\s]+@[^@\s]+$", description="Used to match unlisted accounts.")
    team: str = Field(
        min_length=1, description="Team context compares a person with the rest of it."
    )
    role: PersonRole | None = Field(
        default=None,
        description="developer, support, sre or security suggests goal templates for this "
        "person's plans; hr, manager or none at all for someone who is never measured.",
    )
    manager: str | None = Field(default=None, description="Person id of the manager, if listed.")
    accounts: dict[str, str] = Field(
        default_factory=dict,
        description="Tool (a source kind such as github, or a source name) → account id or login.",
    )


class PeopleFile(BaseModel):
    """people.yaml. Cross-person checks that need every error at once live in config.files."""

    model_config = ConfigDict(extra="forbid")

    people: list[Person]

    @model_validator(mode="after")
    def _each_person_once(self) -> PeopleFile:
        first: dict[str, int] = {}
        for index, person in enumerate(self.people):
            if person.id in first:
                earlier = f"people[{first[person.id]}]"
                problem = f"person id {person.id!r} is listed twice (first as {earlier})"
                raise FieldValueError(problem, ("people", index, "id"))
            first[person.id] = index
        return self


__all__ = ["PeopleFile", "Person", "PersonRole", "Role"]
