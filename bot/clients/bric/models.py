"""pydantic models of Bric's payloads, named as the API names them (docs/BRIC_API.md).

Bric answers snake_case JSON under a plural root key (``{"projects": [...]}``,
``{"companies": {...}}``); the client unwraps the envelope and validates the inside here.
Unknown keys are ignored on purpose: the API is documented only by a 2016-2017 wiki, so
fields we do not model must never break parsing. Money and rates arrive as decimal strings
and become :class:`~decimal.Decimal`. ``running?`` really ends in a question mark: it is
the alias of ``running``.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, SecretStr

__all__ = [
    "BricModel",
    "Client",
    "ClientProject",
    "ClockedTime",
    "Company",
    "DayConfig",
    "Person",
    "Plan",
    "Project",
    "ProjectTime",
    "ProjectType",
    "ProjectTypeRef",
    "Ref",
    "StopwatchTime",
    "TimeBlock",
    "TimeBlockData",
    "Token",
    "TokenUser",
]


def _str_or_none(value: Any) -> Any:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return str(value)
    return value


OptStr = Annotated[str | None, BeforeValidator(_str_or_none)]
Text = Annotated[str, BeforeValidator(_str_or_none)]


def _blank_is_none(value: Any) -> Any:
    return None if value == "" else value


OptDecimal = Annotated[Decimal | None, BeforeValidator(_blank_is_none)]
OptDate = Annotated[dt.date | None, BeforeValidator(_blank_is_none)]
OptDateTime = Annotated[dt.datetime | None, BeforeValidator(_blank_is_none)]


class BricModel(BaseModel):
    """Base of every Bric model: API names, frozen, unknown keys ignored."""

    model_config = ConfigDict(populate_by_name=True, extra="ignore", frozen=True, defer_build=True)


class Ref(BricModel):
    """A related object in compact form ``{id, link, name}``."""

    id: int
    link: OptStr = None
    name: str = ""


class Person(BricModel):
    """A person in compact form ``{id, link, first_name, last_name, email}``."""

    id: int
    link: OptStr = None
    first_name: str = ""
    last_name: str = ""
    email: OptStr = None

    @property
    def full_name(self) -> str:
        name = f"{self.first_name} {self.last_name}".strip()
        return name or self.email or f"person {self.id}"


class TokenUser(BricModel):
    email: OptStr = None


class Token(BricModel):
    """``POST /tokens`` answers with the secret; a listing may not carry it."""

    id: int
    link: OptStr = None
    secret: SecretStr | None = None
    user: TokenUser | None = None
    created_at: OptDateTime = None
    updated_at: OptDateTime = None


class ProjectTypeRef(BricModel):
    """A project type nested in a project: ``{id, link, name, billable}``."""

    id: int
    link: OptStr = None
    name: str = ""
    billable: bool | None = None


class ProjectType(BricModel):
    id: int
    link: OptStr = None
    name: str = ""
    billable: bool | None = None
    projects: list[Ref] = Field(default_factory=list)
    created_at: OptDateTime = None
    updated_at: OptDateTime = None


class ClientProject(BricModel):
    """A project as nested in a client."""

    id: int
    link: OptStr = None
    name: str = ""
    code: OptStr = None
    description: OptStr = None
    color: OptStr = None
    project_type: ProjectTypeRef | None = None


class Client(BricModel):
    id: int
    link: OptStr = None
    name: str = ""
    address: OptStr = None
    city: OptStr = None
    state: OptStr = None
    zip: OptStr = None
    country: OptStr = None
    phone: OptStr = None
    projects: list[ClientProject] = Field(default_factory=list)
    created_at: OptDateTime = None
    updated_at: OptDateTime = None

    def place(self) -> str:
        """``City, ST`` (or whichever parts are known)."""
        return ", ".join(p for p in (self.city, self.state) if p)


class Plan(BricModel):
    status: OptStr = None
    start_date: OptDate = None
    billing_mode: OptStr = None
    projected_revenue: OptDecimal = None
    actual_revenue: OptDecimal = None


class ProjectTime(BricModel):
    id: int
    link: OptStr = None
    person_id: int | None = None
    person_role_id: int | None = None
    minutes: int = 0
    day: OptDate = None


class Project(BricModel):
    id: int
    link: OptStr = None
    name: str = ""
    code: OptStr = None
    description: OptStr = None
    client: Ref | None = None
    project_type: ProjectTypeRef | None = None
    plans: list[Plan] = Field(default_factory=list)
    project_times: list[ProjectTime] = Field(default_factory=list)
    created_at: OptDateTime = None
    updated_at: OptDateTime = None

    @property
    def status(self) -> str | None:
        """The status of the latest plan (Bric keeps it per plan)."""
        dated = [p for p in self.plans if p.status]
        if not dated:
            return None
        floor = dt.date.min
        return max(dated, key=lambda p: p.start_date or floor).status

    @property
    def logged_minutes(self) -> int:
        return sum(t.minutes for t in self.project_times)


class StopwatchTime(BricModel):
    """One start/stop span of a timer; ``end_time`` is null while it runs."""

    start_time: OptDateTime = None
    end_time: OptDateTime = None
    minutes: int = 0
    running: bool = Field(default=False, alias="running?")


class ClockedTime(BricModel):
    """A timer (``GET /clocked_times``); its ``link`` points at ``/project_times/{id}``."""

    id: int
    link: OptStr = None
    person: Person | None = None
    project: Ref | None = None
    person_role: Ref | None = None
    day: OptDate = None
    minutes: int = 0
    running: bool = Field(default=False, alias="running?")
    stopwatch_times: list[StopwatchTime] = Field(default_factory=list)

    @property
    def started_at(self) -> dt.datetime | None:
        """When the running span started (None when stopped or unknown)."""
        spans = [s for s in self.stopwatch_times if s.running and s.start_time is not None]
        return max((s.start_time for s in spans if s.start_time), default=None)

    def elapsed_minutes(self, now: dt.datetime) -> int:
        """Minutes on the clock at ``now``: finished spans plus the running one so far."""
        if not self.stopwatch_times:
            return self.minutes
        total = 0
        for span in self.stopwatch_times:
            if span.running and span.start_time is not None:
                total += max(int((now - span.start_time).total_seconds() // 60), 0)
            else:
                total += span.minutes
        return total


class DayConfig(BricModel):
    date: OptDate = None
    all_day: bool | None = None
    hours: OptDecimal = None


class TimeBlockData(BricModel):
    event_name: str = ""
    start_date: OptDate = None
    end_date: OptDate = None
    day_config: list[DayConfig] = Field(default_factory=list)


class TimeBlock(BricModel):
    """A holiday or time off; ``person`` is null for a company-wide block."""

    id: int
    link: OptStr = None
    person: Person | None = None
    data: TimeBlockData | None = None
    start_date: OptDate = None
    end_date: OptDate = None
    created_at: OptDateTime = None
    updated_at: OptDateTime = None

    @property
    def event_name(self) -> str:
        return self.data.event_name if self.data else ""

    @property
    def company_wide(self) -> bool:
        return self.person is None

    @property
    def first_day(self) -> dt.date | None:
        return self.start_date or (self.data.start_date if self.data else None)

    @property
    def last_day(self) -> dt.date | None:
        """The end date, or the start date for a one-day block."""
        end = self.end_date or (self.data.end_date if self.data else None)
        return end or self.first_day


class Company(BricModel):
    id: int
    link: OptStr = None
    name: str = ""
    web_subdomain: OptStr = None
    timezone: OptStr = None
    address: OptStr = None
    city: OptStr = None
    state: OptStr = None
    zip: OptStr = None
    country: OptStr = None
    billable_hours: OptDecimal = None
    billing_rate: OptDecimal = None
    work_days: list[Text] = Field(default_factory=list)
    week_start_day: OptStr = None
    clients: list[Ref] = Field(default_factory=list)
    people: list[Person] = Field(default_factory=list)
    person_roles: list[Ref] = Field(default_factory=list)
    projects: list[Ref] = Field(default_factory=list)
    created_at: OptDateTime = None
    updated_at: OptDateTime = None
