"""Seed data of the Bric sandbox: one company ("acme"), its people, clients, projects,
timers and time off, stored as plain records (links are added when served).

Timers and time off are placed relative to the moment of seeding, so a running timer has
been running for minutes, not months, and the next holidays are ahead of "today".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

__all__ = [
    "BRIC_COMPANY",
    "BRIC_EMAIL",
    "BRIC_PASSWORD",
    "BRIC_PERSON_ID",
    "BRIC_TOKEN_ID",
    "BRIC_TOKEN_SECRET",
    "BricState",
    "iso_ms",
    "seed_state",
]

#: The company's timezone as a fixed offset (US Eastern, standard time).
TZ = timezone(timedelta(hours=-5), "EST")

BRIC_COMPANY = "acme"
BRIC_EMAIL = "chatops@acme.example"
BRIC_PASSWORD = "sandbox-password"  # the sandbox's published demo password
BRIC_PERSON_ID = 720000106
BRIC_TOKEN_ID = 880000001
BRIC_TOKEN_SECRET = "sbx-3f9c2a7e1d8b4c6a9e0f1a2b"  # the pre-seeded sandbox token


def iso_ms(moment: datetime) -> str:
    """``2016-04-14T17:47:09.522-05:00``: milliseconds and the company's offset."""
    return moment.astimezone(TZ).isoformat(timespec="milliseconds")


def _stamp(day: str, clock: str = "09:12:44.120") -> str:
    return f"{day}T{clock}-05:00"


@dataclass
class BricState:
    """Every record of the sandbox, keyed by id."""

    company: dict[str, Any]
    roles: dict[int, dict[str, Any]]
    people: dict[int, dict[str, Any]]
    project_types: dict[int, dict[str, Any]]
    clients: dict[int, dict[str, Any]]
    projects: dict[int, dict[str, Any]]
    project_times: dict[int, dict[str, Any]]
    clocked: dict[int, dict[str, Any]]
    time_blocks: dict[int, dict[str, Any]]
    tokens: dict[int, dict[str, Any]]
    added_blocks: list[int] = field(default_factory=list)
    """Time blocks created through the API (what a state file keeps)."""
    next_id: int = 990000001

    def new_id(self) -> int:
        self.next_id += 1
        return self.next_id


_ROLES = {
    611000101: "Project Manager",
    611000102: "Designer",
    611000103: "Developer",
    611000104: "Operations",
}

_PEOPLE = [
    (720000101, "Priya", "Raman", "priya.raman@acme.example", 611000101),
    (720000102, "Marcus", "Bell", "marcus.bell@acme.example", 611000102),
    (720000103, "Lena", "Ortiz", "lena.ortiz@acme.example", 611000103),
    (720000104, "Tomás", "Novak", "tomas.novak@acme.example", 611000103),
    (720000105, "Grace", "Okafor", "grace.okafor@acme.example", 611000102),
    (BRIC_PERSON_ID, "ChatOps", "Service", BRIC_EMAIL, 611000104),
]

_PROJECT_TYPES = [
    (540000001, "Fixed fee", True),
    (540000002, "Retainer", True),
    (540000003, "Internal", False),
]

_CLIENTS = [
    (512000101, "Northwind Traders", "1200 Western Ave", "Seattle", "WA", "98101", "206-555-0142"),
    (512000102, "Globex Corporation", "42 Cypress Creek Rd", "Springfield", "OR", "97477", None),
    (512000103, "Harbor & Vine", "18 Fore St", "Portland", "ME", "04101", "207-555-0199"),
    (512000104, "Initech", "4120 Freidrich Ln", "Austin", "TX", "78744", "512-555-0110"),
]

# id, name, code, client, type, color, plan status, billing mode, projected, actual
_PROJECTS = [
    (731000201, "Website redesign", "NW-WEB", 512000101, 540000001, "#1d4f91", "active",
     "fixed_fee", "48000.00", "31250.00"),
    (731000202, "Holiday campaign", "NW-HOL", 512000101, 540000001, "#c0392b", "tentative",
     "fixed_fee", "12500.00", "0.00"),
    (731000203, "Brand retainer 2024", "GLX-RET", 512000102, 540000002, "#27ae60", "active",
     "hourly", "60000.00", "41830.50"),
    (731000204, "Mobile app MVP", "GLX-APP", 512000102, 540000001, "#8e44ad", "active",
     "fixed_fee", "95000.00", "22400.00"),
    (731000205, "Menu & label refresh", "HV-LBL", 512000103, 540000001, "#d35400", "active",
     "fixed_fee", "8400.00", "6100.00"),
    (731000206, "TPS report portal", "INI-TPS", 512000104, 540000002, "#7f8c8d", "completed",
     "hourly", "24000.00", "25120.00"),
    (731000207, "Internal tooling", "ACME-INT", None, 540000003, "#34495e", "active",
     "non_billable", "0.00", "0.00"),
]  # fmt: skip


def _holidays(today: date) -> list[tuple[str, date, date | None]]:
    """The next occurrence of each company holiday, on or after ``today``."""

    def upcoming(month: int, day: int) -> date:
        this_year = date(today.year, month, day)
        return this_year if this_year >= today else date(today.year + 1, month, day)

    def thanksgiving(year: int) -> date:
        first = date(year, 11, 1)
        first_thursday = first + timedelta(days=(3 - first.weekday()) % 7)
        return first_thursday + timedelta(weeks=3)

    thanks = thanksgiving(today.year)
    if thanks < today:
        thanks = thanksgiving(today.year + 1)
    winter = upcoming(12, 24)
    return [
        ("New Year's Day", upcoming(1, 1), None),
        ("Independence Day", upcoming(7, 4), None),
        ("Thanksgiving", thanks, thanks + timedelta(days=1)),
        ("Winter break", winter, winter + timedelta(days=2)),
    ]


def seed_state(now: datetime | None = None) -> BricState:
    """A fresh company, placed around ``now`` (default: the current time)."""
    now = (now or datetime.now(UTC)).astimezone(TZ)
    today = now.date()
    created = _stamp("2023-11-06")
    updated = _stamp("2024-02-19", "16:03:27.881")

    company = {
        "id": 480213377,
        "name": "Acme Creative Co.",
        "web_subdomain": BRIC_COMPANY,
        "timezone": "America/New_York",
        "address": "200 Park Ave S",
        "city": "New York",
        "state": "NY",
        "zip": "10003",
        "country": "US",
        "billable_hours": "1560.0",
        "billing_rate": "150.00",
        "work_days": ["monday", "tuesday", "wednesday", "thursday", "friday"],
        "week_start_day": "monday",
        "created_at": _stamp("2016-04-14", "17:47:09.522"),
        "updated_at": updated,
    }
    roles = {rid: {"id": rid, "name": name} for rid, name in _ROLES.items()}
    people = {
        pid: {
            "id": pid,
            "first_name": first,
            "last_name": last,
            "email": email,
            "person_role_id": role,
            "password": BRIC_PASSWORD if pid == BRIC_PERSON_ID else None,
        }
        for pid, first, last, email, role in _PEOPLE
    }
    project_types = {
        tid: {"id": tid, "name": name, "billable": billable, "created_at": created,
              "updated_at": updated}
        for tid, name, billable in _PROJECT_TYPES
    }  # fmt: skip
    clients = {
        cid: {
            "id": cid,
            "name": name,
            "address": address,
            "city": city,
            "state": state,
            "zip": zip_code,
            "country": "US",
            "phone": phone,
            "created_at": created,
            "updated_at": updated,
        }
        for cid, name, address, city, state, zip_code, phone in _CLIENTS
    }
    projects: dict[int, dict[str, Any]] = {}
    for pid, name, code, client, ptype, color, status, mode, projected, actual in _PROJECTS:
        projects[pid] = {
            "id": pid,
            "name": name,
            "code": code,
            "description": f"{name} ({code})",
            "color": color,
            "client_id": client,
            "project_type_id": ptype,
            "plans": [
                {
                    "status": status,
                    "start_date": "2024-01-08",
                    "billing_mode": mode,
                    "projected_revenue": projected,
                    "actual_revenue": actual,
                }
            ],
            "created_at": created,
            "updated_at": updated,
        }

    # Timers: (id, person, project, [(start offset min, end offset min | None)])
    timers: list[tuple[int, int, int, list[tuple[int, int | None]]]] = [
        (900000301, 720000101, 731000201, [(-180, -90), (-47, None)]),
        (900000302, 720000102, 731000205, [(-125, None)]),
        (900000303, 720000103, 731000204, [(-12, None)]),
        (900000304, 720000104, 731000206, [(-300, -210), (-200, -140)]),
        (900000305, 720000105, 731000202, [(-240, -180)]),
        (900000306, 720000103, 731000207, [(-420, -390)]),
    ]
    clocked: dict[int, dict[str, Any]] = {}
    project_times: dict[int, dict[str, Any]] = {}
    for tid, person, project, spans in timers:
        record = {
            "id": tid,
            "person_id": person,
            "project_id": project,
            "person_role_id": people[person]["person_role_id"],
            "day": (now + timedelta(minutes=spans[0][0])).date().isoformat(),
            "spans": [
                {
                    "start_time": iso_ms(now + timedelta(minutes=start)),
                    "end_time": None if end is None else iso_ms(now + timedelta(minutes=end)),
                }
                for start, end in spans
            ],
            "created_at": iso_ms(now + timedelta(minutes=spans[0][0])),
            "updated_at": iso_ms(now + timedelta(minutes=spans[-1][1] or spans[-1][0])),
        }
        clocked[tid] = record
    # Logged project times (finished work of earlier days).
    logged = [
        (910000401, 731000201, 720000101, 240, 3),
        (910000402, 731000201, 720000103, 420, 2),
        (910000403, 731000203, 720000102, 180, 1),
        (910000404, 731000204, 720000103, 360, 1),
        (910000405, 731000206, 720000104, 480, 5),
        (910000406, 731000205, 720000102, 150, 2),
    ]
    for ptid, project, person, minutes, days_ago in logged:
        project_times[ptid] = {
            "id": ptid,
            "project_id": project,
            "person_id": person,
            "person_role_id": people[person]["person_role_id"],
            "minutes": minutes,
            "day": (today - timedelta(days=days_ago)).isoformat(),
        }

    blocks: dict[int, dict[str, Any]] = {}
    block_id = 950000500
    for name, start, end in _holidays(today):
        block_id += 1
        blocks[block_id] = _block(block_id, None, name, start, end, created)
    personal = [
        (720000102, "Vacation", today + timedelta(days=10), today + timedelta(days=14)),
        (720000105, "Out sick", today - timedelta(days=1), None),
        (720000101, "Conference: Design Ops Summit", today + timedelta(days=21),
         today + timedelta(days=23)),
    ]  # fmt: skip
    for person, name, start, end in personal:
        block_id += 1
        blocks[block_id] = _block(block_id, person, name, start, end, created)
    block_id += 1
    past = today - timedelta(days=40)
    blocks[block_id] = _block(
        block_id, None, "Summer offsite", past, past + timedelta(days=1), created
    )

    tokens = {
        BRIC_TOKEN_ID: {
            "id": BRIC_TOKEN_ID,
            "secret": BRIC_TOKEN_SECRET,
            "person_id": BRIC_PERSON_ID,
            "created_at": _stamp("2024-01-08", "10:21:05.004"),
            "updated_at": _stamp("2024-01-08", "10:21:05.004"),
        }
    }
    return BricState(
        company=company,
        roles=roles,
        people=people,
        project_types=project_types,
        clients=clients,
        projects=projects,
        project_times=project_times,
        clocked=clocked,
        time_blocks=blocks,
        tokens=tokens,
    )


def _block(
    block_id: int, person: int | None, name: str, start: date, end: date | None, stamp: str
) -> dict[str, Any]:
    return {
        "id": block_id,
        "person_id": person,
        "event_name": name,
        "start_date": start.isoformat(),
        "end_date": end.isoformat() if end else None,
        "created_at": stamp,
        "updated_at": stamp,
    }
