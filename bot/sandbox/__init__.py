"""Faithful fakes of the backends (aiohttp.web apps), seed data and fault switches."""

from .bric import (
    BRIC_COMPANY,
    BRIC_EMAIL,
    BRIC_PASSWORD,
    BRIC_TOKEN_ID,
    BRIC_TOKEN_SECRET,
    BricSandbox,
)
from .bric_seed import BricState
from .bruin import (
    SANDBOX_CLIENT_ID,
    SANDBOX_CLIENT_SECRET,
    SANDBOX_CUSTOMER_ID,
    BruinSandbox,
    CallRecord,
    error_body,
)
from .bruin_seed import BruinState, seed_state
from .faults import ALL_ROUTES, BRIC_ROUTES, BRUIN_ROUTES, Fault, FaultBoard
from .server import BRIC_PREFIX, RunningSandbox, env_lines, start_sandbox

__all__ = [
    "ALL_ROUTES",
    "BRIC_COMPANY",
    "BRIC_EMAIL",
    "BRIC_PASSWORD",
    "BRIC_PREFIX",
    "BRIC_ROUTES",
    "BRIC_TOKEN_ID",
    "BRIC_TOKEN_SECRET",
    "BRUIN_ROUTES",
    "SANDBOX_CLIENT_ID",
    "SANDBOX_CLIENT_SECRET",
    "SANDBOX_CUSTOMER_ID",
    "BricSandbox",
    "BricState",
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
