"""Seed data of the Bruin sandbox, in the API's own shapes.

Everything here is a plain dict with the key names and casing of the reference
(``docs/BRUIN_API.md``); nothing is derived from the client's models. The data is
deterministic except for timestamps, which are relative to the moment of seeding so that a
console session looks live.

Customers: 40123 "Acme Retail LLC" (the default) and 40777 "Borealis Logistics Inc", whose
data must never show up in a 40123 query.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

__all__ = [
    "BOT_CREATED_BY",
    "BOT_EMAIL",
    "BOT_USER_ID",
    "CLIENTS",
    "EASTERN",
    "OPEN_STATUSES",
    "OTHER_CUSTOMER_ID",
    "PRODUCT_TOPICS",
    "SEED_CUSTOMER_ID",
    "TOPICS",
    "BruinState",
    "iso_ms",
    "normalise_status",
    "parse_iso",
    "seed_state",
    "us_date",
]

SEED_CUSTOMER_ID = 40123
OTHER_CUSTOMER_ID = 40777
CLIENTS: dict[int, str] = {
    SEED_CUSTOMER_ID: "Acme Retail LLC",
    OTHER_CUSTOMER_ID: "Borealis Logistics Inc",
}

#: Bruin's "local" time in the sandbox: US Eastern, fixed offset (no DST, deterministic).
EASTERN = ZoneInfo("America/New_York")
"""Bruin's list dates carry no zone; MetTel is in New York (DST applies)."""

BOT_EMAIL = "svc_chatops@example.com"
BOT_USER_ID = 451200
BOT_CREATED_BY = "Chatops Bot"

#: Ticket statuses that count as open for the outage (repair) endpoint's 409 answer.
OPEN_STATUSES = frozenset({"new", "inprogress", "inreview"})

#: Topic catalogue: the ``callTypes`` entries of ``GET /api/Ticket/topics``.
TOPICS: dict[str, dict[str, str]] = {
    t["category"]: t
    for t in (
        {
            "callType": "REP",
            "callTypeDescription": "Repair",
            "category": "VOO",
            "categoryDescription": "Service Outage Trouble",
        },
        {
            "callType": "REP",
            "callTypeDescription": "Repair",
            "category": "VAS",
            "categoryDescription": "Service Affecting Trouble",
        },
        {
            "callType": "CHG",
            "callTypeDescription": "Service Changes",
            "category": "053",
            "categoryDescription": "Add Additional Lines",
        },
        {
            "callType": "CHG",
            "callTypeDescription": "Service Changes",
            "category": "017",
            "categoryDescription": "Add Cloud PBX User License",
        },
        {
            "callType": "CHG",
            "callTypeDescription": "Service Changes",
            "category": "010",
            "categoryDescription": "Change Bandwidth",
        },
        {
            "callType": "CHG",
            "callTypeDescription": "Service Changes",
            "category": "020",
            "categoryDescription": "Disconnect Service",
        },
        {
            "callType": "BIL",
            "callTypeDescription": "Billing",
            "category": "004",
            "categoryDescription": "Billing Inquiry",
        },
    )
}

#: Which topic codes apply to which product category.
PRODUCT_TOPICS: dict[str, tuple[str, ...]] = {
    "SD-WAN": ("VOO", "VAS", "010", "020", "004"),
    "Dedicated Internet": ("VOO", "VAS", "010", "020", "004"),
    "POTS": ("VOO", "VAS", "053", "017", "020", "004"),
    "POTS in a Box": ("VOO", "VAS", "053", "017", "020", "004"),
    "Wireless": ("VOO", "VAS", "020", "004"),
}

_SPECIALTIES = {
    "SD-WAN": "SD-WAN",
    "Dedicated Internet": "DIA Repair",
    "POTS": "POTS Repair",
    "POTS in a Box": "POTS in a Box",
    "Wireless": "Wireless",
}


def iso_ms(dt: datetime) -> str:
    """``2024-03-02T10:02:11.410-05:00`` (details and notes)."""
    return dt.astimezone(EASTERN).isoformat(timespec="milliseconds")


def us_date(dt: datetime) -> str:
    """Bruin's US list format ``3/2/2024 9:14:07 AM`` (Eastern)."""
    local = dt.astimezone(EASTERN)
    hour = local.hour % 12 or 12
    half = "AM" if local.hour < 12 else "PM"
    return (
        f"{local.month}/{local.day}/{local.year} "
        f"{hour}:{local.minute:02d}:{local.second:02d} {half}"
    )


def parse_iso(text: str) -> datetime:
    """Parse an ISO timestamp (``Z`` accepted); naive values are taken as UTC."""
    value = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value


def normalise_status(value: str) -> str:
    """``In-Progress`` -> ``inprogress``: drop hyphens/spaces/underscores, lower case."""
    return value.replace("-", "").replace(" ", "").replace("_", "").lower()


@dataclass
class BruinState:
    """The sandbox's whole data set, in API shapes.

    ``tickets`` holds ticket records exactly as ``GET /api/Ticket`` returns them; ``details``
    and ``notes`` hold the ``ticketDetails``/``ticketNotes`` of ``GET /api/Ticket/{id}/details``.
    ``meta`` holds per-ticket facts the API does not show directly (call type, site, product
    category, ISO creation time), used for filtering.
    """

    sites: list[dict[str, Any]] = field(default_factory=list)
    site_addresses: dict[int, dict[str, Any]] = field(default_factory=dict)
    inventory: list[dict[str, Any]] = field(default_factory=list)
    attributes: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    tickets: dict[int, dict[str, Any]] = field(default_factory=dict)
    meta: dict[int, dict[str, Any]] = field(default_factory=dict)
    details: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    notes: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    next_ids: dict[str, int] = field(default_factory=dict)

    def next_id(self, kind: str) -> int:
        value = self.next_ids[kind]
        self.next_ids[kind] = value + 1
        return value

    def to_json(self) -> dict[str, Any]:
        return {
            "version": 1,
            "sites": self.sites,
            "site_addresses": {str(k): v for k, v in self.site_addresses.items()},
            "inventory": self.inventory,
            "attributes": self.attributes,
            "tickets": {str(k): v for k, v in self.tickets.items()},
            "meta": {str(k): v for k, v in self.meta.items()},
            "details": {str(k): v for k, v in self.details.items()},
            "notes": {str(k): v for k, v in self.notes.items()},
            "next_ids": self.next_ids,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> BruinState:
        def by_int(name: str) -> dict[int, Any]:
            raw: dict[str, Any] = data[name]
            return {int(k): v for k, v in raw.items()}

        return cls(
            sites=list(data["sites"]),
            site_addresses=by_int("site_addresses"),
            inventory=list(data["inventory"]),
            attributes=dict(data["attributes"]),
            tickets=by_int("tickets"),
            meta=by_int("meta"),
            details=by_int("details"),
            notes=by_int("notes"),
            next_ids={str(k): int(v) for k, v in data["next_ids"].items()},
        )

    def copy(self) -> BruinState:
        return BruinState.from_json(copy.deepcopy(self.to_json()))


# --------------------------------------------------------------------------- sites


class _Site(NamedTuple):
    client: int
    site_id: int
    label: str
    address_id: int
    line1: str
    line2: str
    city: str
    state: str
    zip: str
    latitude: float
    longitude: float
    time_zone: str
    contact_name: str
    contact_phone: str | None
    contact_email: str
    hours: str
    added: str
    region: str
    alt_shape: bool = False
    identifier: str = ""


_STORE_HOURS = (
    "SUNDAY|10AM-6PM,MONDAY|8AM-9PM,TUESDAY|8AM-9PM,WEDNESDAY|8AM-9PM,"
    "THURSDAY|8AM-9PM,FRIDAY|8AM-10PM,SATURDAY|8AM-10PM"
)
_OFFICE_HOURS = "SUNDAY|NOT AVAILABLE,MONDAY|8AM-6PM,TUESDAY|8AM-6PM,WEDNESDAY|8AM-6PM," + (
    "THURSDAY|8AM-6PM,FRIDAY|8AM-6PM,SATURDAY|NOT AVAILABLE"
)

# fmt: off
_SITES: tuple[_Site, ...] = (
    _Site(40123, 812, "Store 112 - Tampa", 218840, "500 Harbor Blvd", "", "Tampa", "FL",
          "33602-1100", 27.9506, -82.4572, "Eastern", "Store Manager", "813-555-0140",
          "store112@example.com", _STORE_HOURS, "2019-05-14T13:20:00Z", "South"),
    _Site(40123, 815, "Store 118 - Atlanta", 218877, "1180 Peachtree St NE", "", "Atlanta",
          "GA", "30309", 33.7866, -84.3831, "Eastern", "Priya Raman", "404-555-0181",
          "store118@example.com", _STORE_HOURS, "2019-08-02T15:05:00Z", "South"),
    _Site(40123, 821, "Store 204 - Dallas", 219012, "2400 Commerce St", "", "Dallas", "TX",
          "75201", 32.7831, -96.7856, "Central", "Luis Ortega", "214-555-0107",
          "store204@example.com", _STORE_HOURS, "2020-02-11T17:45:00Z", "Central"),
    _Site(40123, 830, "Distribution Center - Columbus", 219101, "4500 Alum Creek Dr",
          "Dock 7", "Columbus", "OH", "43207", 39.9078, -82.9563, "Eastern",
          "Shift Supervisor", "614-555-0166", "dc01@example.com", _OFFICE_HOURS,
          "2020-09-21T12:00:00Z", "Midwest", alt_shape=True, identifier="DC-01"),
    _Site(40123, 842, "Store 309 - Phoenix", 219230, "2 N Central Ave", "", "Phoenix", "AZ",
          "85004", 33.4484, -112.0740, "Arizona", "Dana Whitfield", None,
          "store309@example.com", _STORE_HOURS, "2021-03-30T19:10:00Z", "West"),
    _Site(40123, 850, "Store 415 - Orlando", 219344, "200 S Orange Ave", "Suite 100",
          "Orlando", "FL", "32801", 28.5384, -81.3789, "Eastern", "Store Manager",
          "407-555-0122", "store415@example.com", _STORE_HOURS, "2023-11-06T14:30:00Z",
          "South"),
    _Site(40777, 905, "Borealis HQ - Minneapolis", 230015, "80 S 8th St", "Floor 12",
          "Minneapolis", "MN", "55402", 44.9765, -93.2720, "Central", "Facilities Desk",
          "612-555-0100", "facilities@borealis.example.com", _OFFICE_HOURS,
          "2018-01-09T15:00:00Z", "North"),
    _Site(40777, 906, "Borealis Yard - Duluth", 230022, "1200 Port Terminal Dr", "",
          "Duluth", "MN", "55802", 46.7704, -92.0985, "Central", "Yard Office",
          "218-555-0133", "yard@borealis.example.com", _OFFICE_HOURS,
          "2018-06-19T15:00:00Z", "North"),
)
# fmt: on


def _ticket_address(site: _Site) -> dict[str, Any]:
    line = f"{site.line1}, {site.line2}" if site.line2 else site.line1
    return {
        "addressID": site.address_id,
        "address": line,
        "city": site.city,
        "state": site.state,
        "zip": site.zip,
        "country": "USA",
    }


def _site_document(site: _Site) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "clientID": site.client,
        "clientName": CLIENTS[site.client],
        "siteID": site.site_id,
        "siteLabel": site.label,
        "siteAddDate": site.added,
    }
    if site.alt_shape:
        # The other documented shape: address1/address2 plus siteIdentifier/siteName & co.
        doc["address"] = {
            "address1": site.line1,
            "address2": site.line2 or None,
            "city": site.city,
            "state": site.state,
            "zip": site.zip,
            "country": "USA",
        }
    else:
        doc["address"] = _ticket_address(site)
    doc.update(
        {
            "longitude": site.longitude,
            "latitude": site.latitude,
            "businessHours": site.hours,
            "timeZone": site.time_zone,
            "primaryContactName": site.contact_name,
            "primaryContactPhone": site.contact_phone,
            "primaryContactEmail": site.contact_email,
        }
    )
    if site.alt_shape:
        doc.update(
            {
                "siteIdentifier": site.identifier,
                "siteName": site.label,
                "hierarchy": _hierarchy(site),
                "structureType": "Warehouse",
                "businessPurpose": "Distribution",
                "hid": 7731,
                "subAccounts": ["2205"],
            }
        )
    return doc


def _hierarchy(site: _Site) -> str:
    short = site.identifier or site.label.split(" - ")[0]
    return f"|{CLIENTS[site.client]}|{site.region}|{short}|"


# --------------------------------------------------------------------------- inventory


class _Asset(NamedTuple):
    client: int
    service_number: str
    site_id: int
    category: str
    status: str
    vendor: str
    product_type: str
    item_name: str
    management: str
    serial: str
    installed: str
    disconnected: str | None = None


# fmt: off
_ASSETS: tuple[_Asset, ...] = (
    # Acme Retail LLC (40123)
    _Asset(40123, "VC07700012345", 812, "SD-WAN", "A", "VeloCloud", "SD-WAN",
           "Licensed Software - SD-WAN 50M", "Active – Platinum Monitoring",
           "VC07700012345", "2021-06-01T16:00:00Z"),
    _Asset(40123, "31.KXFN.100233..LUMN", 812, "Dedicated Internet", "A", "Lumen", "DIA",
           "DIA 100M Fiber", "Active – Gold Monitoring", "NID-TPA-100233",
           "2021-05-18T16:00:00Z"),
    _Asset(40123, "8135550142", 812, "POTS", "A", "MetTel", "Business Line",
           "Analog Business Line - Fax", "Active – Bronze Monitoring", "N/A",
           "2019-06-03T16:00:00Z"),
    _Asset(40123, "8135550143", 812, "POTS in a Box", "A", "MetTel", "PIAB",
           "POTS in a Box - 4 Port", "Active – Gold Monitoring", "PIAB2231F0A1",
           "2022-01-10T16:00:00Z"),
    _Asset(40123, "VC07700012346", 815, "SD-WAN", "A", "VeloCloud", "SD-WAN",
           "Licensed Software - SD-WAN 50M", "Active – Gold Monitoring", "VC07700012346",
           "2021-06-08T16:00:00Z"),
    _Asset(40123, "31.KXFN.100245..LUMN", 815, "Dedicated Internet", "A", "Lumen", "DIA",
           "DIA 100M Fiber", "Active – Gold Monitoring", "NID-ATL-100245",
           "2021-05-25T16:00:00Z"),
    _Asset(40123, "4045550187", 815, "POTS", "A", "MetTel", "Business Line",
           "Analog Business Line - Alarm", "Active – Bronze Monitoring", "N/A",
           "2019-09-12T16:00:00Z"),
    _Asset(40123, "4705550199", 815, "Wireless", "A", "Verizon Wireless", "LTE Data",
           "LTE Backup 20GB Pool", "Active – Gold Monitoring", "89148000006123457712",
           "2022-07-19T16:00:00Z"),
    _Asset(40123, "VC07700012347", 821, "SD-WAN", "A", "VeloCloud", "SD-WAN",
           "Licensed Software - SD-WAN 100M", "Active – Platinum Monitoring",
           "VC07700012347", "2021-07-13T16:00:00Z"),
    _Asset(40123, "44.L1XN.208812..ATT", 821, "Dedicated Internet", "A", "AT&T", "DIA",
           "AT&T Dedicated Internet 200M", "Active – Gold Monitoring", "NID-DAL-208812",
           "2021-07-01T16:00:00Z"),
    _Asset(40123, "2145550110", 821, "POTS", "A", "MetTel", "Business Line",
           "Analog Business Line - Elevator", "Active – Bronze Monitoring", "N/A",
           "2020-03-02T16:00:00Z"),
    _Asset(40123, "VC07700012348", 830, "SD-WAN", "A", "VeloCloud", "SD-WAN",
           "Licensed Software - SD-WAN 200M", "Active – Platinum Monitoring",
           "VC07700012348", "2021-08-24T16:00:00Z"),
    _Asset(40123, "6145550161", 830, "POTS", "A", "MetTel", "Business Line",
           "Analog Business Line - Dock Phone", "Active – Bronze Monitoring", "N/A",
           "2020-10-05T16:00:00Z"),
    _Asset(40123, "VC07700012349", 842, "SD-WAN", "A", "VeloCloud", "SD-WAN",
           "Licensed Software - SD-WAN 50M", "Active – Gold Monitoring", "VC07700012349",
           "2021-09-14T16:00:00Z"),
    _Asset(40123, "44.L1XN.208840..ATT", 842, "Dedicated Internet", "S", "AT&T", "DIA",
           "AT&T Dedicated Internet 100M", "Suspended – No Monitoring", "NID-PHX-208840",
           "2021-09-01T16:00:00Z"),
    _Asset(40123, "6025550133", 842, "POTS", "D", "MetTel", "Business Line",
           "Analog Business Line - Fax", "Inactive", "N/A", "2021-04-12T16:00:00Z",
           "2023-12-29T17:00:00Z"),
    # Borealis Logistics Inc (40777)
    _Asset(40777, "VC07709990001", 905, "SD-WAN", "A", "VeloCloud", "SD-WAN",
           "Licensed Software - SD-WAN 500M", "Active – Platinum Monitoring",
           "VC07709990001", "2020-04-20T16:00:00Z"),
    _Asset(40777, "VC07709990002", 906, "SD-WAN", "A", "VeloCloud", "SD-WAN",
           "Licensed Software - SD-WAN 100M", "Active – Gold Monitoring", "VC07709990002",
           "2020-05-04T16:00:00Z"),
    _Asset(40777, "6125550100", 905, "POTS", "A", "MetTel", "Business Line",
           "Analog Business Line - Lobby", "Active – Bronze Monitoring", "N/A",
           "2018-02-14T16:00:00Z"),
)
# fmt: on

_ACCOUNTS = {40123: "70111", 40777: "70988"}
_SUB_ACCOUNTS = {
    812: "2202",
    815: "2203",
    821: "2204",
    830: "2205",
    842: "2206",
    850: "2207",
    905: "3101",
    906: "3102",
}


def _inventory_document(asset: _Asset, inventory_id: str, site: _Site) -> dict[str, Any]:
    line = f"{site.line1}, {site.line2}" if site.line2 else site.line1
    return {
        "clientID": asset.client,
        "clientName": CLIENTS[asset.client],
        "vendor": asset.vendor,
        "accountNumber": _ACCOUNTS[asset.client],
        "subAccountNumber": _SUB_ACCOUNTS[site.site_id],
        "inventoryID": inventory_id,
        "serviceNumber": asset.service_number,
        "siteId": site.site_id,
        "siteLabel": site.label,
        "address": {
            "address": line,
            "city": site.city,
            "state": site.state,
            "zip": site.zip,
            "country": "USA",
        },
        "hierarchy": _hierarchy(site),
        "costCenter": str(4400 + site.site_id % 100),
        "assignee": None,
        "description": "",
        "installDate": asset.installed,
        "disconnectDate": asset.disconnected,
        "status": asset.status,
        "verified": "Y",
        "productCategory": asset.category,
        "productType": asset.product_type,
        "productName": asset.item_name,
        "items": [{"itemName": asset.item_name, "primaryIndicator": asset.product_type}],
        "longitude": site.longitude,
        "latitude": site.latitude,
        "contractIdentifier": f"CTR-{_ACCOUNTS[asset.client]}-{site.site_id}",
        "rateCardIdentifier": None,
        "lastInvoiceUsageDate": None,
        "lastUsageDate": None,
        "assigneeEmail": None,
        "assigneeUserId": None,
        "updatedDate": asset.disconnected or asset.installed,
    }


# --------------------------------------------------------------------------- tickets

_H = 60  # minutes
_D = 24 * _H

NOC = "noc.holmdel@example.com"
DISPATCH = "field.dispatch@example.com"
HELPDESK = "it.helpdesk@acme.example.com"
BILLING = "billing.desk@example.com"
PROVISIONING = "provisioning@example.com"
BOREALIS = "netops@borealis.example.com"

_CREATOR_EMAIL = {
    BOT_CREATED_BY: BOT_EMAIL,
    "Acme IT Helpdesk": HELPDESK,
    "Holmdel NOC": NOC,
    "Bruin Portal": HELPDESK,
    "Borealis NetOps": BOREALIS,
}


class _Note(NamedTuple):
    offset: int  # minutes after creation
    note_type: str
    creator: str
    text: str


class _Ticket(NamedTuple):
    ticket_id: int
    client: int
    status: str
    category: str
    services: tuple[str, ...]
    age: int  # minutes before seeding
    severity: str
    created_by: str
    creation_note: str
    notes: tuple[_Note, ...]
    reference: str | None = None
    detail_statuses: tuple[str, ...] | None = None


def _n(offset: int, text: str, creator: str = NOC, note_type: str = "ADN") -> _Note:
    return _Note(offset, note_type, creator, text)


_TICKETS: tuple[_Ticket, ...] = (
    _Ticket(
        4490,
        40123,
        "Closed",
        "VAS",
        ("8135550142",),
        45 * _D,
        "3",
        "Acme IT Helpdesk",
        "Fax line at Store 112 has static, faxes to pharmacy failing",
        (
            _n(35, "Line tested from CO: noise on the loop, opened repair with ILEC."),
            _n(
                26 * _H,
                "ILEC replaced drop wire; line tests clean. Store confirmed faxes going through.",
            ),
            _n(27 * _H, "Closing: no further issues reported.", HELPDESK),
        ),
    ),
    _Ticket(
        4491,
        40123,
        "Closed",
        "VOO",
        ("VC07700012346", "31.KXFN.100245..LUMN", "4045550187"),
        41 * _D,
        "2",
        "Holmdel NOC",
        "Store 118 Atlanta: all services down, suspected power loss",
        (
            _n(
                10,
                "Edge VC07700012346, DIA and alarm line all down at 06:12 ET. Georgia "
                "Power reports outage on Peachtree & 14th.",
            ),
            _n(
                4 * _H,
                "Power restored 10:05 ET; edge back online, DIA up, alarm line has dial tone.",
            ),
            _n(5 * _H, "RFO: utility power outage, no MetTel or carrier fault.", note_type="RFO"),
        ),
        "INC0041120",
    ),
    _Ticket(
        4492,
        40123,
        "Closed",
        "053",
        ("4045550187",),
        38 * _D,
        "4",
        "Bruin Portal",
        "Add 2 analog lines for new back-office fax & alarm panel",
        (
            _n(3 * _H, "Order submitted to provisioning, FOC date pending.", PROVISIONING),
            _n(6 * _D, "Lines activated: 404-555-0188, 404-555-0189.", PROVISIONING),
        ),
    ),
    _Ticket(
        4493,
        40123,
        "Closed",
        "004",
        ("VC07700012348",),
        35 * _D,
        "4",
        "Acme IT Helpdesk",
        "Invoice 2024-02 shows SD-WAN 200M billed twice for DC-01",
        (
            _n(
                2 * _D,
                "Duplicate charge confirmed; credit of $412.18 applied to account "
                "70111 & sub-account 2205.",
                BILLING,
            ),
        ),
    ),
    _Ticket(
        4494,
        40123,
        "Closed",
        "VOO",
        ("VC07700012349",),
        31 * _D,
        "2",
        "Holmdel NOC",
        "Store 309 Phoenix edge offline",
        (
            _n(15, "Edge offline since 14:40 MT; store reports ISP modem lights red."),
            _n(3 * _H, "Carrier reset the ONT remotely; edge online 17:52 MT."),
            _n(2 * _D, "Closing after 48h stable.", HELPDESK),
        ),
    ),
    _Ticket(
        4495,
        40777,
        "Closed",
        "VOO",
        ("VC07709990001",),
        28 * _D,
        "2",
        "Borealis NetOps",
        "HQ SD-WAN edge down, both WAN links",
        (
            _n(20, "Edge rebooted by building electrician during panel work.", BOREALIS),
            _n(70, "Edge back online; closing.", BOREALIS),
        ),
    ),
    _Ticket(
        4496,
        40123,
        "Resolved",
        "VAS",
        ("31.KXFN.100245..LUMN",),
        24 * _D,
        "3",
        "Holmdel NOC",
        "Atlanta DIA packet loss 3-5% during business hours",
        (
            _n(45, "Loss seen on Lumen hand-off; opened carrier ticket LUMN-87110245."),
            _n(2 * _D, "Carrier replaced optic at demarc; loss cleared. Monitoring."),
            _n(3 * _D, "No loss in 24h; resolving."),
        ),
    ),
    _Ticket(
        4497,
        40123,
        "Closed",
        "017",
        ("8135550143",),
        21 * _D,
        "4",
        "Bruin Portal",
        "Add 3 Cloud PBX user licenses for Store 112 pharmacy",
        (
            _n(
                5 * _H,
                "Licenses provisioned; credentials emailed to store112@example.com.",
                PROVISIONING,
            ),
        ),
    ),
    _Ticket(
        4498,
        40123,
        "Resolved",
        "VOO",
        ("VC07700012347",),
        17 * _D,
        "2",
        "Holmdel NOC",
        "Store 204 Dallas SD-WAN edge offline",
        (
            _n(12, "Edge VC07700012347 offline at 07:55 CT, last heartbeat 07:54:31."),
            _n(50, "Carrier dispatch requested with AT&T, ticket ATT-5512093."),
            _n(5 * _H, "Tech replaced failed PSU on edge. Edge online 13:02 CT."),
            _n(6 * _H, "Customer confirmed registers & VoIP working. Resolved.", HELPDESK),
        ),
        "INC0044781",
    ),
    _Ticket(
        4499,
        40123,
        "Draft",
        "053",
        ("2145550110",),
        14 * _D,
        "4",
        "Acme IT Helpdesk",
        "Draft: add elevator emergency line for Store 204 expansion",
        (_n(30, "Waiting on landlord for riser access before submitting.", HELPDESK),),
    ),
    _Ticket(
        4500,
        40123,
        "Closed",
        "VOO",
        ("2145550110",),
        11 * _D,
        "2",
        "Holmdel NOC",
        "Elevator emergency line at Store 204 has no dial tone",
        (
            _n(25, "No dial tone from CO test; dispatching ILEC."),
            _n(7 * _H, "ILEC repaired cross-connect in MPOE; dial tone restored."),
            _n(30 * _H, "Elevator vendor completed inspection call test. Closing.", HELPDESK),
        ),
    ),
    _Ticket(
        4501,
        40123,
        "InReview",
        "053",
        ("6145550161",),
        8 * _D,
        "4",
        "Bruin Portal",
        "Add 4 dock phones for DC-01 peak season",
        (
            _n(2 * _H, "Quote Q-33190 sent for approval ($18.50/line/month).", PROVISIONING),
            _n(3 * _D, "Pending customer approval of quote Q-33190.", PROVISIONING),
        ),
    ),
    _Ticket(
        4502,
        40123,
        "Resolved",
        "VAS",
        ("4705550199",),
        5 * _D,
        "3",
        "Holmdel NOC",
        "LTE backup at Store 118 showing weak signal (RSRP -118)",
        (
            _n(40, "Signal RSRP -118 dBm, SINR 1. Suggest relocating antenna."),
            _n(26 * _H, "Store moved antenna to window; RSRP now -96 dBm. Resolving."),
        ),
    ),
    _Ticket(
        4503,
        40123,
        "InProgress",
        "VOO",
        ("VC07700012345", "31.KXFN.100233..LUMN"),
        20 * _H,
        "2",
        BOT_CREATED_BY,
        "Store 112 Tampa SD-WAN edge offline, both links down since 09:05 ET",
        (
            _n(
                12,
                "Edge VC07700012345 offline in orchestrator since 09:05 ET. Last "
                "heartbeat 09:04:52. Primary DIA 31.KXFN.100233..LUMN down; LTE "
                "backup not registering.",
            ),
            _n(
                40,
                "Opened carrier ticket with Lumen #LUMN-88213477. Carrier reports fiber "
                "cut near I-4 & 50th St; ETR <4h>.",
            ),
            _n(
                2 * _H,
                "Carrier dispatch confirmed: tech ETA 14:30 ET. Store manager "
                "notified; site access 8AM-9PM.",
                DISPATCH,
            ),
            _n(
                6 * _H,
                "Store still down, POS on cellular hotspot. <!channel> please "
                "escalate — registers offline!",
                "store112@example.com",
            ),
        ),
        "INC0048812",
        ("I", "O"),
    ),
    _Ticket(
        4504,
        40123,
        "New",
        "VAS",
        ("VC07700012346",),
        1130,
        "3",
        "Acme IT Helpdesk",
        "Store 118 Atlanta: VoIP calls choppy, jitter > 40 ms on SD-WAN",
        (
            _n(
                20,
                "Jitter 38-55 ms on primary path since 08:00 ET; investigating.",
            ),
        ),
    ),
    _Ticket(
        4505,
        40123,
        "In-Progress",
        "VOO",
        ("4045550187",),
        1065,
        "2",
        "Holmdel NOC",
        "Store 118 alarm line no dial tone, alarm panel reporting comm failure",
        (
            _n(15, "No dial tone at CO test. Opened ILEC repair ticket 7712-0931."),
            _n(3 * _H, "ILEC dispatch scheduled today 13:00-17:00 ET.", DISPATCH),
        ),
    ),
    _Ticket(
        4506,
        40777,
        "In-Progress",
        "VOO",
        ("VC07709990002",),
        990,
        "2",
        "Borealis NetOps",
        "Duluth yard edge offline after storm",
        (
            _n(30, "Edge offline since 03:10 CT; site reports no power in yard office.", BOREALIS),
            _n(4 * _H, "Generator on; edge still offline, dispatching tech.", NOC),
        ),
    ),
    _Ticket(
        4507,
        40123,
        "Resolved",
        "VAS",
        ("8135550142",),
        930,
        "3",
        "Acme IT Helpdesk",
        "Store 112 fax line intermittent busy signal",
        (
            _n(25, "Hunt group misconfigured after CO migration; corrected."),
            _n(2 * _H, "Test faxes OK both directions; resolving."),
        ),
    ),
    _Ticket(
        4508,
        40123,
        "New",
        "053",
        ("6145550161",),
        860,
        "4",
        BOT_CREATED_BY,
        "Add 2 lines at DC-01 for new returns desk",
        (),
    ),
    _Ticket(
        4509,
        40123,
        "Draft",
        "020",
        ("8135550143",),
        800,
        "4",
        "Acme IT Helpdesk",
        "Draft: disconnect PIAB port 4 (unused)",
        (),
    ),
    _Ticket(
        4510,
        40123,
        "InProgress",
        "VAS",
        ("VC07700012348", "6145550161"),
        735,
        "3",
        "Holmdel NOC",
        "DC-01 Columbus: packet loss on SD-WAN, dock phones dropping calls",
        (
            _n(18, "Loss 2-4% on GE3 uplink, CRC errors incrementing on switch port."),
            _n(90, "Customer replacing patch cable between edge GE3 & core switch.", HELPDESK),
            _n(5 * _H, "Errors dropped after cable swap; monitoring 24h before resolving."),
        ),
        None,
        ("I", "O"),
    ),
    _Ticket(
        4511,
        40123,
        "Closed",
        "VOO",
        ("2145550110",),
        660,
        "2",
        "Holmdel NOC",
        "Store 204 elevator line down again",
        (
            _n(10, "Line down; same MPOE cross-connect as ticket 4500."),
            _n(3 * _H, "ILEC re-terminated pair; line restored. Closing.", DISPATCH),
        ),
    ),
    _Ticket(
        4512,
        40777,
        "New",
        "VAS",
        ("6125550100",),
        600,
        "3",
        "Borealis NetOps",
        "HQ lobby phone: callers hear echo",
        (),
    ),
    _Ticket(
        4513,
        40123,
        "Resolved",
        "VOO",
        ("44.L1XN.208812..ATT", "2145550110"),
        540,
        "2",
        "Holmdel NOC",
        "Store 204 Dallas DIA down, elevator line affected",
        (
            _n(
                14,
                "AT&T circuit 44.L1XN.208812..ATT down at the NID; AT&T ticket ATT-5519820 opened.",
            ),
            _n(2 * _H, "AT&T found a bad card in the serving CO & replaced it."),
            _n(3 * _H, "Circuit clean for 1h, elevator line has dial tone. Resolved."),
        ),
    ),
    _Ticket(
        4514,
        40123,
        "In-Progress",
        "VAS",
        ("2145550110",),
        470,
        "3",
        "Acme IT Helpdesk",
        "Store 204 elevator line: low volume & crackle",
        (
            _n(
                35,
                "Loop tests marginal (-9 dB); ILEC dispatch requested.",
            ),
        ),
    ),
    _Ticket(
        4515,
        40123,
        "New",
        "017",
        ("8135550143",),
        400,
        "4",
        BOT_CREATED_BY,
        "Add 1 Cloud PBX user license for the new pharmacy tech",
        (),
    ),
    _Ticket(
        4516,
        40123,
        "InProgress",
        "VAS",
        ("31.KXFN.100245..LUMN",),
        330,
        "3",
        "Holmdel NOC",
        "Atlanta DIA latency spikes > 150 ms",
        (
            _n(20, "Latency spikes every ~10 min toward Lumen next hop; opened LUMN-88219931."),
            _n(
                2 * _H,
                "Carrier sees congestion on aggregation router, moving circuit "
                "tonight 00:00-04:00 ET.",
            ),
        ),
    ),
    _Ticket(
        4517,
        40123,
        "Closed",
        "053",
        ("4045550187",),
        270,
        "4",
        "Bruin Portal",
        "Duplicate request: add lines at Store 118",
        (_n(30, "Duplicate of ticket 4492; closing.", PROVISIONING),),
    ),
    _Ticket(
        4518,
        40123,
        "New",
        "VOO",
        ("6145550161",),
        190,
        "2",
        BOT_CREATED_BY,
        "DC-01 dock phone line dead, no dial tone",
        (_n(15, "Confirmed no dial tone from CO test; queued for ILEC dispatch."),),
    ),
    _Ticket(
        4519,
        40777,
        "Resolved",
        "VOO",
        ("VC07709990001",),
        130,
        "2",
        "Borealis NetOps",
        "HQ edge flapping",
        (_n(30, "ISP maintenance caused flaps; stable since 10:20 CT. Resolved.", BOREALIS),),
    ),
    _Ticket(
        4520,
        40123,
        "Resolved",
        "010",
        ("VC07700012348",),
        75,
        "4",
        "Acme IT Helpdesk",
        "Raise DC-01 SD-WAN license from 200M to 500M",
        (_n(20, "License change applied in orchestrator; new profile pushed.", PROVISIONING),),
    ),
    _Ticket(
        4521,
        40123,
        "New",
        "010",
        ("31.KXFN.100233..LUMN",),
        25,
        "4",
        BOT_CREATED_BY,
        "Quote request: upgrade Store 112 DIA from 100M to 500M",
        (),
    ),
)


def _default_detail_status(status: str) -> str:
    key = normalise_status(status)
    if key == "resolved":
        return "R"
    if key == "closed":
        return "C"
    if key in ("inprogress", "inreview"):
        return "I"
    return "O"


def _task_name(status: str, call_type: str) -> str:
    key = normalise_status(status)
    if key == "resolved":
        return "Customer Confirmation "
    if key == "closed":
        return "Closed "
    if key == "draft":
        return "Draft "
    if key == "inreview":
        return "Pending Customer Approval "
    if call_type == "CHG":
        return "Provisioning "
    if call_type == "BIL":
        return "Billing Review "
    if key == "inprogress":
        return "Carrier Dispatch "
    return "Holmdel NOC Investigate "


def seed_state(now: datetime | None = None) -> BruinState:
    """The deterministic seed, with timestamps relative to ``now`` (default: the current time)."""
    now = (now or datetime.now(EASTERN)).astimezone(EASTERN).replace(microsecond=0)
    state = BruinState()
    sites = {s.site_id: s for s in _SITES}
    for site in _SITES:
        state.sites.append(_site_document(site))
        state.site_addresses[site.site_id] = _ticket_address(site)

    by_sn: dict[str, _Asset] = {}
    for index, asset in enumerate(_ASSETS):
        inventory_id = str(15500321 + index * 17)
        site = sites[asset.site_id]
        state.inventory.append(_inventory_document(asset, inventory_id, site))
        state.attributes[inventory_id] = [
            {"key": "Management Status", "value": asset.management},
            {"key": "Serial Number", "value": asset.serial},
            {"key": "Vendor", "value": asset.vendor},
        ]
        by_sn[asset.service_number] = asset

    detail_id = 7390001
    note_id = 90112001
    task_id = 11873001
    for spec in _TICKETS:
        first = by_sn[spec.services[0]]
        site = sites[first.site_id]
        topic = TOPICS[spec.category]
        created = now - timedelta(minutes=spec.age, seconds=(spec.ticket_id * 13) % 60)
        created = created.replace(microsecond=((spec.ticket_id * 7) % 1000) * 1000)
        latest = now - timedelta(minutes=1)

        notes: list[dict[str, Any]] = []
        creator_email = _CREATOR_EMAIL.get(spec.created_by, HELPDESK)
        all_notes = (_Note(0, "MTK", creator_email, spec.creation_note), *spec.notes)
        for index, note in enumerate(all_notes):
            when = min(created + timedelta(minutes=note.offset, seconds=index * 7), latest)
            when = when.replace(microsecond=((spec.ticket_id * 7 + index * 131) % 1000) * 1000)
            notes.append(
                {
                    "noteId": note_id,
                    "noteType": note.note_type,
                    "noteValue": note.text,
                    "serviceNumber": list(spec.services),
                    "createdDate": iso_ms(when),
                    "creator": note.creator,
                }
            )
            note_id += 1
        last_time = parse_iso(notes[-1]["createdDate"])
        statuses = spec.detail_statuses or tuple(
            _default_detail_status(spec.status) for _ in spec.services
        )
        details: list[dict[str, Any]] = []
        for sn, detail_status in zip(spec.services, statuses, strict=True):
            details.append(
                {
                    "detailID": detail_id,
                    "detailType": "Repair_WTN" if topic["callType"] == "REP" else "WTN",
                    "detailStatus": detail_status,
                    "detailValue": sn,
                    "assignedToName": "0"
                    if normalise_status(spec.status) in ("new", "draft")
                    else "NOC Tier 2",
                    "currentTaskID": task_id,
                    "currentTaskName": _task_name(
                        "New"
                        if detail_status == "O" and normalise_status(spec.status) not in ("draft",)
                        else spec.status,
                        topic["callType"],
                    ),
                    "currentTaskStatus": None,
                    "lastUpdatedBy": BOT_USER_ID if spec.created_by == BOT_CREATED_BY else 450118,
                    "lastUpdatedAt": iso_ms(last_time),
                    "subcategoryName": None,
                }
            )
            detail_id += 1
            task_id += 1

        status_key = normalise_status(spec.status)
        resolved = status_key in ("resolved", "closed")
        state.tickets[spec.ticket_id] = {
            "clientID": spec.client,
            "clientName": CLIENTS[spec.client],
            "ticketID": spec.ticket_id,
            "category": spec.category,
            "topic": topic["categoryDescription"],
            "referenceTicketNumber": spec.reference,
            "ticketStatus": spec.status,
            "address": dict(state.site_addresses[site.site_id]),
            "createDate": us_date(created),
            "createdBy": spec.created_by,
            "creationNote": spec.creation_note,
            "resolveDate": us_date(last_time) if resolved else None,
            "mostRecentNote": notes[-1]["noteValue"],
            "nextScheduledDate": us_date(created + timedelta(hours=5, minutes=25))
            if spec.ticket_id == 4503
            else None,
            "flags": "",
            "severity": spec.severity,
            "specialties": _SPECIALTIES[first.category]
            if topic["callType"] == "REP"
            else topic["callTypeDescription"],
        }
        state.meta[spec.ticket_id] = {
            "callType": topic["callType"],
            "siteId": site.site_id,
            "productCategory": first.category,
            "created": created.isoformat(timespec="milliseconds"),
        }
        state.details[spec.ticket_id] = details
        state.notes[spec.ticket_id] = notes

    state.next_ids = {
        "ticket": max(state.tickets) + 1,
        "detail": detail_id,
        "note": note_id,
        "task": task_id,
    }
    return state
