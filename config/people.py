"""people.yaml: each person once, with their accounts per tool."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Role = Literal["developer", "support", "sre", "security"]


class Person(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1, description="Stable short id, used by plans and the app.")
    name: str = Field(min_length=1)
    email: str = Field(pattern=r"^[^@\s]+@[^@\s]+$", description="Used to match unlisted accounts.")
    team: str = Field(min_length=1, description="Team context compares a person with the rest of it.")
    role: Role
    manager: str | None = Field(default=None, description="Person id of the manager, if listed.")
    accounts: dict[str, str] = Field(
        default_factory=dict, description="Tool name (source kind) → account id or login."
    )


class PeopleFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    people: list[Person]

    @model_validator(mode="after")
    def _each_person_once(self) -> PeopleFile:
        seen: set[str] = set()
        for person in self.people:
            if person.id in seen:
                raise ValueError(f"person id {person.id!r} is listed twice")
            seen.add(person.id)
        return self


__all__ = ["PeopleFile", "Person", "Role"]
