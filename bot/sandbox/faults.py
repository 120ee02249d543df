"""Fault switches for the sandbox backends.

A :class:`FaultBoard` maps a route name (see :data:`BRUIN_ROUTES`, :data:`BRIC_ROUTES`) or
``"*"`` (every API route) to a :class:`Fault`. The sandbox app calls :meth:`FaultBoard.take`
once per request, before its normal handling; a fault with ``times=N`` applies to the next N
matching requests only, then disappears.

A route-specific fault wins over ``"*"``. ``"*"`` never applies to the board's credential
routes (Bruin's ``"token"``, Bric's ``"tokens.create"``): set them explicitly to break
token fetches.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

__all__ = ["ALL_ROUTES", "BRIC_ROUTES", "BRUIN_ROUTES", "Fault", "FaultBoard"]

ALL_ROUTES = "*"

#: Route names of the Bruin sandbox, one per endpoint.
BRUIN_ROUTES: tuple[str, ...] = (
    "token",
    "ticket.list",
    "ticket.basic",
    "ticket.details",
    "ticket.topics",
    "note.add",
    "note.advanced",
    "ticket.create",
    "ticket.repair",
    "detail.status",
    "ticket.close",
    "inventory",
    "inventory.attribute",
    "site",
)

#: Route names of the Bric sandbox, one per endpoint (per-id GETs share their list's name).
BRIC_ROUTES: tuple[str, ...] = (
    "tokens.create",
    "tokens.list",
    "tokens.revoke",
    "companies",
    "clients",
    "projects",
    "project_types",
    "clocked_times",
    "time_blocks.list",
    "time_blocks.create",
)


@dataclass
class Fault:
    """One misbehaviour of a route.

    Faults combine: ``latency`` delays and then the other switches apply (or the normal
    answer, when no other switch is set). ``retry_after`` without ``status`` means 429.
    """

    latency: float = 0.0
    """Seconds to sleep before answering."""
    status: int | None = None
    """Answer with this HTTP status and a Bruin-style error body."""
    retry_after: int | None = None
    """``Retry-After`` header (seconds), meant for 429/503."""
    timeout: bool = False
    """Never answer (sleep up to 120 s, released when the server stops)."""
    malformed: bool = False
    """200 with a body that is not valid JSON."""
    error_in_200: bool = False
    """200 with a Bruin error body (``type`` ValidationException, ``code`` 400)."""
    stall_after: float = 0.0
    """Do the work, then wait this long before answering: "the write happened but the
    answer was lost" when it exceeds the client's timeout."""
    times: int | None = None
    """Apply to the next N matching requests only; ``None`` = until cleared."""

    def __post_init__(self) -> None:
        if self.latency < 0:
            raise ValueError("latency must be >= 0")
        if self.times is not None and self.times < 1:
            raise ValueError("times must be >= 1 (or None for 'until cleared')")
        if self.status is not None and not 100 <= self.status <= 599:
            raise ValueError(f"status {self.status} is not an HTTP status")
        if self.retry_after is not None and self.retry_after < 0:
            raise ValueError("retry_after must be >= 0")

    @property
    def effective_status(self) -> int | None:
        """The status to answer with (``retry_after`` alone implies 429)."""
        if self.status is None and self.retry_after is not None:
            return 429
        return self.status

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Fault:
        """Build a fault from a JSON object (unknown keys raise ``ValueError``)."""
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = set(data) - names
        if unknown:
            raise ValueError(f"unknown fault fields: {', '.join(sorted(unknown))}")
        kwargs: dict[str, Any] = {}
        for key, value in data.items():
            if key in ("latency",):
                kwargs[key] = float(value)
            elif key in ("status", "retry_after", "times"):
                kwargs[key] = None if value is None else int(value)
            else:
                if not isinstance(value, bool):
                    raise ValueError(f"fault field {key} must be a boolean")
                kwargs[key] = value
        return cls(**kwargs)


class FaultBoard:
    """Active faults per route name."""

    def __init__(
        self,
        routes: tuple[str, ...] = BRUIN_ROUTES,
        *,
        credential_routes: tuple[str, ...] = ("token",),
    ) -> None:
        self._routes = routes
        self._credential_routes = credential_routes
        self._faults: dict[str, Fault] = {}

    @property
    def routes(self) -> tuple[str, ...]:
        return self._routes

    def set(self, route: str, fault: Fault) -> None:
        """Install ``fault`` on ``route`` (a route name or ``"*"``), replacing any previous one."""
        if route != ALL_ROUTES and route not in self._routes:
            raise ValueError(
                f"unknown route {route!r}; expected '*' or one of {', '.join(self._routes)}"
            )
        self._faults[route] = dataclasses.replace(fault)

    def clear(self, route: str | None = None) -> None:
        """Remove the fault of ``route``, or every fault when ``route`` is None."""
        if route is None:
            self._faults.clear()
        else:
            self._faults.pop(route, None)

    def active(self) -> dict[str, Fault]:
        """A copy of the installed faults."""
        return {route: dataclasses.replace(f) for route, f in self._faults.items()}

    def take(self, route: str) -> Fault | None:
        """The fault to apply to one request on ``route`` (consumes one of its ``times``)."""
        key = route
        fault = self._faults.get(route)
        if fault is None and route not in self._credential_routes:
            key = ALL_ROUTES
            fault = self._faults.get(ALL_ROUTES)
        if fault is None:
            return None
        if fault.times is not None:
            fault.times -= 1
            if fault.times <= 0:
                del self._faults[key]
        return dataclasses.replace(fault, times=None)
