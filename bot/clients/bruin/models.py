"""pydantic models of Bruin's payloads, with the API's real field names as aliases.

Bruin is inconsistent about key casing (``ticketID``/``ticketId``, ``ClientID``/``clientId``,
``noteId``/``noteID``): every model folds incoming keys case-insensitively onto its aliases.
Unknown keys are ignored, so new fields upstream never break parsing.
"""

from __future__ import annotations

import datetime as dt
import enum
import re
from functools import cache
from typing import Annotated, Any, ClassVar
from zoneinfo import ZoneInfo

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

__all__ = [
    "Address",
    "BruinModel",
    "Contact",
    "CreatedTicket",
    "InventoryAttributes",
    "InventoryItem",
    "NewNote",
    "OutageOutcome",
    "OutageResult",
    "Site",
    "Ticket",
    "TicketDetail",
    "TicketDetails",
    "TicketNote",
    "TicketPage",
    "TicketStatus",
    "Topic",
    "normalise_status",
    "parse_bruin_datetime",
]

_US_FORMAT = "%m/%d/%Y %I:%M:%S %p"


BRUIN_LOCAL = ZoneInfo("America/New_York")
"""Bruin's US-form list dates carry no zone; they are New York time (MetTel's)."""


def parse_bruin_datetime(value: Any) -> dt.datetime | None:
    """Accept ISO-8601 (with offset or Z) and Bruin's US form ``3/2/2024 9:14:07 AM``.

    The US form is New York time; a naive ISO value is taken as UTC.
    """
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        parsed = value
    elif isinstance(value, str):
        text = value.strip()
        try:
            parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            try:
                local = dt.datetime.strptime(text, _US_FORMAT)
            except ValueError:
                return None
            return local.replace(tzinfo=BRUIN_LOCAL)
    else:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


BruinDateTime = Annotated[dt.datetime | None, BeforeValidator(parse_bruin_datetime)]


def _str_or_none(value: Any) -> str | None:
    if value is None:
        return None
    return str(value)


OptStr = Annotated[str | None, BeforeValidator(_str_or_none)]


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list):
        return [str(v) for v in value if v is not None]
    return [str(value)]


class TicketStatus(enum.StrEnum):
    NEW = "New"
    IN_PROGRESS = "InProgress"
    IN_REVIEW = "InReview"
    RESOLVED = "Resolved"
    CLOSED = "Closed"
    DRAFT = "Draft"

    @property
    def label(self) -> str:
        return {"InProgress": "In progress", "InReview": "In review"}.get(self.value, self.value)

    @property
    def is_open(self) -> bool:
        return self in OPEN_STATUSES


OPEN_STATUSES = frozenset(
    {TicketStatus.NEW, TicketStatus.IN_PROGRESS, TicketStatus.IN_REVIEW, TicketStatus.DRAFT}
)

_STATUS_BY_KEY = {s.value.lower(): s for s in TicketStatus}
_STATUS_BY_KEY |= {"o": TicketStatus.NEW}  # order endpoints answer "O"


def normalise_status(value: Any) -> TicketStatus | str:
    """``In-Progress``, ``inprogress``, ``In Progress`` -> ``TicketStatus.IN_PROGRESS``."""
    text = str(value or "").strip()
    key = re.sub(r"[-_\s]", "", text).lower()
    return _STATUS_BY_KEY.get(key, text)


Status = Annotated[TicketStatus | str, BeforeValidator(normalise_status)]


class BruinModel(BaseModel):
    """Base of every Bruin model: aliases are the API's names, matched case-insensitively."""

    model_config = ConfigDict(populate_by_name=True, extra="ignore", frozen=True, defer_build=True)
    _synonyms: ClassVar[dict[str, str]] = {}

    @classmethod
    @cache
    def _alias_lookup(cls) -> dict[str, str]:
        lookup: dict[str, str] = {}
        for name, field in cls.model_fields.items():
            alias = field.alias or name
            lookup[alias.lower()] = alias
            lookup[name.lower()] = alias
        for synonym, alias in cls._synonyms.items():
            lookup.setdefault(synonym.lower(), alias)
        return lookup

    @model_validator(mode="before")
    @classmethod
    def _fold_key_case(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        lookup = cls._alias_lookup()
        folded: dict[str, Any] = {}
        for key, value in data.items():
            canon = lookup.get(str(key).lower(), str(key))
            if canon not in folded or folded[canon] is None:
                folded[canon] = value
        return folded


class Address(BruinModel):
    """Both shapes Bruin uses: ``address`` or ``address1``/``address2``."""

    _synonyms: ClassVar[dict[str, str]] = {"address1": "address", "addressLine": "address"}
    address_id: int | None = Field(default=None, alias="addressID")
    line1: OptStr = Field(default=None, alias="address")
    line2: OptStr = Field(default=None, alias="address2")
    city: OptStr = None
    state: OptStr = None
    zip: OptStr = None
    country: OptStr = None

    def one_line(self) -> str:
        parts = [
            self.line1,
            self.line2,
            self.city,
            " ".join(p for p in (self.state, self.zip) if p),
        ]
        return ", ".join(p for p in parts if p)


class Ticket(BruinModel):
    """A record of ``GET /api/Ticket`` (full) or ``GET /api/Ticket/basic`` (light)."""

    client_id: int | None = Field(default=None, alias="clientID")
    client_name: OptStr = Field(default=None, alias="clientName")
    ticket_id: int = Field(alias="ticketID")
    category: OptStr = None
    topic: OptStr = None
    call_type: OptStr = Field(default=None, alias="callType")
    reference_ticket_number: OptStr = Field(default=None, alias="referenceTicketNumber")
    status: Status = Field(default="", alias="ticketStatus")
    address: Address | None = None
    created_at: BruinDateTime = Field(default=None, alias="createDate")
    created_by: OptStr = Field(default=None, alias="createdBy")
    creation_note: OptStr = Field(default=None, alias="creationNote")
    resolved_at: BruinDateTime = Field(default=None, alias="resolveDate")
    most_recent_note: OptStr = Field(default=None, alias="mostRecentNote")
    severity: OptStr = None
    specialties: OptStr = None

    @property
    def status_label(self) -> str:
        return self.status.label if isinstance(self.status, TicketStatus) else str(self.status)


class TicketPage(BruinModel):
    """One page of tickets with Bruin's total when the endpoint gives one."""

    tickets: list[Ticket] = Field(default_factory=list)
    total: int | None = None


class TicketDetail(BruinModel):
    detail_id: int = Field(alias="detailID")
    detail_type: OptStr = Field(default=None, alias="detailType")
    detail_status: OptStr = Field(default=None, alias="detailStatus")
    service_number: OptStr = Field(default=None, alias="detailValue")
    assigned_to: OptStr = Field(default=None, alias="assignedToName")
    current_task_name: OptStr = Field(default=None, alias="currentTaskName")
    last_updated_at: BruinDateTime = Field(default=None, alias="lastUpdatedAt")

    @property
    def is_resolved(self) -> bool:
        return (self.detail_status or "").upper() == "R"

    @property
    def status_label(self) -> str:
        code = (self.detail_status or "").upper()
        return {"O": "open", "R": "resolved", "I": "in progress", "C": "completed"}.get(
            code, code or "unknown"
        )


class TicketNote(BruinModel):
    _synonyms: ClassVar[dict[str, str]] = {
        "enteredDate": "createdDate",
        "enteredBy": "creator",
        "serviceNumbers": "serviceNumber",
    }
    note_id: int | None = Field(default=None, alias="noteId")
    note_type: OptStr = Field(default=None, alias="noteType")
    text: str = Field(default="", alias="noteValue")
    service_numbers: Annotated[list[str], BeforeValidator(_as_list)] = Field(
        default_factory=list, alias="serviceNumber"
    )
    detail_id: int | None = Field(default=None, alias="detailID")
    created_at: BruinDateTime = Field(default=None, alias="createdDate")
    creator: OptStr = None

    @model_validator(mode="before")
    @classmethod
    def _null_text(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for key in [k for k, v in data.items() if v is None and str(k).lower() == "notevalue"]:
                data = {**data, key: ""}
        return data


class TicketDetails(BruinModel):
    details: list[TicketDetail] = Field(default_factory=list, alias="ticketDetails")
    notes: list[TicketNote] = Field(default_factory=list, alias="ticketNotes")

    def notes_newest_first(self) -> list[TicketNote]:
        floor = dt.datetime.min.replace(tzinfo=dt.UTC)
        return sorted(self.notes, key=lambda n: n.created_at or floor, reverse=True)


class Topic(BruinModel):
    call_type: OptStr = Field(default=None, alias="callType")
    call_type_description: OptStr = Field(default=None, alias="callTypeDescription")
    category: str = ""
    category_description: OptStr = Field(default=None, alias="categoryDescription")


class InventoryItem(BruinModel):
    client_id: int | None = Field(default=None, alias="clientID")
    client_name: OptStr = Field(default=None, alias="clientName")
    vendor: OptStr = None
    inventory_id: OptStr = Field(default=None, alias="inventoryID")
    service_number: str = Field(default="", alias="serviceNumber")
    site_id: int | None = Field(default=None, alias="siteId")
    site_label: OptStr = Field(default=None, alias="siteLabel")
    address: Address | None = None
    status: OptStr = None
    product_category: OptStr = Field(default=None, alias="productCategory")
    product_type: OptStr = Field(default=None, alias="productType")
    product_name: OptStr = Field(default=None, alias="productName")
    installed_at: BruinDateTime = Field(default=None, alias="installDate")

    @property
    def status_label(self) -> str:
        code = (self.status or "").upper()
        return {"A": "active", "S": "suspended", "D": "disconnected"}.get(code, code or "unknown")


class _Attribute(BruinModel):
    key: str = ""
    value: OptStr = None


class InventoryAttributes(BruinModel):
    inventory_id: OptStr = Field(default=None, alias="inventoryId")
    service_number: OptStr = Field(default=None, alias="serviceNumber")
    attributes: list[_Attribute] = Field(default_factory=list)

    def get(self, key: str) -> str | None:
        wanted = key.lower()
        return next((a.value for a in self.attributes if a.key.lower() == wanted), None)

    @property
    def management_status(self) -> str | None:
        return self.get("Management Status")

    @property
    def serial_number(self) -> str | None:
        return self.get("Serial Number")


class Site(BruinModel):
    _synonyms: ClassVar[dict[str, str]] = {"siteName": "siteLabel"}
    client_id: int | None = Field(default=None, alias="clientID")
    client_name: OptStr = Field(default=None, alias="clientName")
    site_id: int = Field(alias="siteID")
    label: OptStr = Field(default=None, alias="siteLabel")
    identifier: OptStr = Field(default=None, alias="siteIdentifier")
    address: Address | None = None
    business_hours: OptStr = Field(default=None, alias="businessHours")
    time_zone: OptStr = Field(default=None, alias="timeZone")
    contact_name: OptStr = Field(default=None, alias="primaryContactName")
    contact_phone: OptStr = Field(default=None, alias="primaryContactPhone")
    contact_email: OptStr = Field(default=None, alias="primaryContactEmail")


class OutageOutcome(enum.StrEnum):
    CREATED = "created"
    EXISTS_IN_PROGRESS = "exists_in_progress"  # errorCode 409
    EXISTS_RESOLVED = "exists_resolved"  # 471
    REOPENED = "reopened"  # 472: the resolved ticket was unresolved
    DETAIL_ADDED = "detail_added"  # 473: a resolved ticket at the location gained a detail
    UNAVAILABLE = "unavailable"  # ticketId 0
    FAILED = "failed"  # any other errorCode


class OutageResult(BruinModel):
    ticket_id: int = Field(default=0, alias="ticketId")
    inventory_id: OptStr = Field(default=None, alias="inventoryId")
    service_number: OptStr = Field(default=None, alias="wtn")
    error_message: OptStr = Field(default=None, alias="errorMessage")
    error_code: int | None = Field(default=None, alias="errorCode")

    @property
    def outcome(self) -> OutageOutcome:
        by_code = {
            409: OutageOutcome.EXISTS_IN_PROGRESS,
            471: OutageOutcome.EXISTS_RESOLVED,
            472: OutageOutcome.REOPENED,
            473: OutageOutcome.DETAIL_ADDED,
        }
        if self.error_code in by_code:
            return by_code[self.error_code]
        if not self.ticket_id:
            return OutageOutcome.UNAVAILABLE
        if self.error_code not in (None, 0, 200):
            return OutageOutcome.FAILED
        return OutageOutcome.CREATED


class CreatedTicket(BruinModel):
    ticket_id: int


class Contact(BruinModel):
    """A contact on a new ticket; ``kind`` is ``site`` (required) or ``ticket``."""

    kind: str = Field(default="site", alias="type")
    email: OptStr = None
    name: OptStr = None
    phone: OptStr = None


class NewNote(BruinModel):
    text: str = Field(alias="noteValue")
    note_type: str = Field(default="ADN", alias="noteType")
    service_number: OptStr = Field(default=None, alias="serviceNumber")
    detail_id: int | None = Field(default=None, alias="detailId")
