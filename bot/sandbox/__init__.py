"""Faithful fakes of the backends (aiohttp.web apps), seed data and fault switches."""

from .bruin import (
    SANDBOX_CLIENT_ID,
    SANDBOX_CLIENT_SECRET,
    SANDBOX_CUSTOMER_ID,
    BruinSandbox,
    CallRecord,
    error_body,
)
from .bruin_seed import BruinState, seed_state
from .faults import ALL_ROUTES, BRUIN_ROUTES, Fault, FaultBoard
from .server import RunningSandbox, env_lines, start_sandbox

__all__ = [
    "ALL_ROUTES",
    "BRUIN_ROUTES",
    "SANDBOX_CLIENT_ID",
    "SANDBOX_CLIENT_SECRET",
    "SANDBOX_CUSTOMER_ID",
    "BruinSandbox",
    "BruinState",
    "CallRecord",
    "Fault",
    "FaultBoard",
    "RunningSandbox",
    "env_lines",
    "error_body",
    "seed_state",
    "start_sandbox",
]
