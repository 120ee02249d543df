"""One error tree for every backend client.

::

    BackendError                      anything that went wrong talking to a backend
    ├── TransportError                the request did not complete
    │   ├── BackendTimeout            no answer within the call's timeout
    │   └── ConnectError              connection refused / reset / DNS
    ├── ApiError                      the backend answered with an error
    │   ├── AuthError                 401: credentials refused (after one refresh)
    │   ├── Forbidden                 403: the service account lacks a scope
    │   ├── NotFound                  404 or an empty single-object lookup
    │   ├── ValidationFailed          400/422 with field messages
    │   ├── Conflict                  409: the object already exists / wrong state
    │   ├── RateLimited               429 (retry_after seconds, when given)
    │   └── UpstreamUnavailable       5xx
    ├── BadResponse                   2xx whose body is not what the API documents
    └── BusyError                     our own in-flight bound is full (nothing was sent)

Every error carries the backend name, method, URL path (never the query string, which
may hold customer data, and never a header) and, for Bruin, the ``traceId`` to quote
to the backend's support. ``user_message()`` is the one sentence shown to a person.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "ApiError",
    "AuthError",
    "BackendError",
    "BackendTimeout",
    "BadResponse",
    "BusyError",
    "Conflict",
    "ConnectError",
    "Forbidden",
    "NotFound",
    "RateLimited",
    "TransportError",
    "UpstreamUnavailable",
    "ValidationFailed",
]


class BackendError(Exception):
    """Base of every backend failure."""

    def __init__(
        self,
        message: str,
        *,
        backend: str,
        method: str = "",
        path: str = "",
        status: int | None = None,
        trace_id: str | None = None,
        operation: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.backend = backend
        self.method = method
        self.path = path
        self.status = status
        self.trace_id = trace_id
        self.operation = operation

    @property
    def display_backend(self) -> str:
        return self.backend.capitalize()

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(backend={self.backend!r}, method={self.method!r}, "
            f"path={self.path!r}, status={self.status!r}, trace_id={self.trace_id!r})"
        )

    def __str__(self) -> str:
        where = f" ({self.method} {self.path})" if self.method else ""
        trace = f" [traceId {self.trace_id}]" if self.trace_id else ""
        return f"{self.message}{where}{trace}"

    def _sentence(self) -> str:
        return f"{self.display_backend} reported an error: {self.message}"

    def user_message(self) -> str:
        """One sentence for the person who asked, with the trace id when there is one."""
        text = self._sentence().rstrip(".")
        if self.trace_id:
            label = "Bruin traceId" if self.backend == "bruin" else "trace id"
            text += f" ({label} {self.trace_id})"
        return text + "."


class TransportError(BackendError):
    """The request did not complete (connection or timeout)."""

    def _sentence(self) -> str:
        return f"Could not reach {self.display_backend}; try again in a minute"


class BackendTimeout(TransportError):
    """No answer within the configured timeout."""

    def __init__(self, message: str, *, timeout: float, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.timeout = timeout

    def _sentence(self) -> str:
        return f"{self.display_backend} did not answer in {self.timeout:g} s; try again in a minute"


class ConnectError(TransportError):
    """Connection refused, reset or name resolution failed."""


class ApiError(BackendError):
    """The backend answered with an error status or an error body."""

    def __init__(
        self, message: str, *, fields: dict[str, list[str]] | None = None, **kw: Any
    ) -> None:
        super().__init__(message, **kw)
        self.fields = fields or {}


class AuthError(ApiError):
    """401 after one token refresh: the service account's credentials are refused."""

    def _sentence(self) -> str:
        return (
            f"{self.display_backend} refused the bot's credentials; "
            "an admin should check them with `chatops-bot check`"
        )


class Forbidden(ApiError):
    """403: the service account lacks the scope for this operation."""

    def _sentence(self) -> str:
        op = self.operation or "this operation"
        return (
            f"{self.display_backend} refused {op}: the bot's service account lacks the "
            "permission for it (an account admin must grant the scope)"
        )


class NotFound(ApiError):
    """404, or a lookup that matched nothing."""

    def _sentence(self) -> str:
        return self.message


class ValidationFailed(ApiError):
    """400/422 with per-field messages."""

    def _sentence(self) -> str:
        if self.fields:
            detail = "; ".join(
                f"{name}: {' '.join(msgs)}" for name, msgs in sorted(self.fields.items())
            )
            return f"{self.display_backend} rejected the request: {detail}"
        return f"{self.display_backend} rejected the request: {self.message}"


class Conflict(ApiError):
    """409: the object exists already or is in the wrong state."""

    def _sentence(self) -> str:
        return f"{self.display_backend} refused: {self.message}"


class RateLimited(ApiError):
    """429: too many requests; ``retry_after`` seconds when the backend said."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.retry_after = retry_after

    def _sentence(self) -> str:
        wait = f" in {self.retry_after:g} s" if self.retry_after else " in a moment"
        return f"{self.display_backend} is rate limiting the bot; try again{wait}"


class UpstreamUnavailable(ApiError):
    """5xx: the backend is down or failing."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.retry_after = retry_after

    def _sentence(self) -> str:
        return f"{self.display_backend} is unavailable right now ({self.message})"


class BadResponse(BackendError):
    """A 2xx answer whose body is not what the API documents."""

    def _sentence(self) -> str:
        return f"{self.display_backend} sent an answer the bot could not read"


class BusyError(BackendError):
    """Our own bound on in-flight calls is full; nothing was sent."""

    def _sentence(self) -> str:
        return f"The bot is busy talking to {self.display_backend}; try again in a moment"
