"""Retry policy as a predicate over our errors (used with :func:`stamina.retry_context`).

Idempotent calls retry transport failures (connection errors only; a timeout already cost
the person its full wait), 429 and 502/503/504, honouring ``Retry-After``. Writes retry
only 429, which means the backend refused to process the request. Both are capped in
attempts and in total time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bot.clients.errors import ConnectError, RateLimited, UpstreamUnavailable

__all__ = ["RetryPolicy", "retry_hook"]

RETRYABLE_5XX = frozenset({502, 503, 504})


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 3
    total_timeout: float = 20.0
    wait_initial: float = 0.2
    wait_max: float = 5.0
    wait_jitter: float = 0.5
    max_retry_after: float = 10.0
    """A Retry-After longer than this is not waited out; the error goes to the person."""


def retry_hook(policy: RetryPolicy, *, idempotent: bool) -> Callable[[Exception], bool | float]:
    """Return stamina's ``on`` hook: False = give up, True = back off, float = wait that long."""

    def hook(exc: Exception) -> bool | float:
        if isinstance(exc, RateLimited):
            return _honour(exc.retry_after, policy)
        if not idempotent:
            return False
        if isinstance(exc, UpstreamUnavailable) and exc.status in RETRYABLE_5XX:
            return _honour(exc.retry_after, policy)
        return isinstance(exc, ConnectError)

    return hook


def _honour(retry_after: float | None, policy: RetryPolicy) -> bool | float:
    if retry_after is None:
        return True
    if retry_after > policy.max_retry_after:
        return False
    return max(retry_after, 0.0)
