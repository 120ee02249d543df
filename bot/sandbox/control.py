"""What every sandbox shares: endpoint wrapping, shutdown, and the control endpoints
(fault switches and the call log over HTTP)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from aiohttp import web

from bot.sandbox.faults import Fault, FaultBoard

__all__ = ["FaultControl"]


class _Call(Protocol):
    route: str
    method: str
    path: str
    status: int


class FaultControl:
    """Mixin: ``POST/GET/DELETE <prefix>/faults`` and ``GET <prefix>/calls``, plus the
    route wrapper that records each call's status, and the shutdown hook."""

    faults: FaultBoard
    calls: list[Any]

    # -- the call log, for tests ----------------------------------------------------------

    def called(self, route: str) -> bool:
        return any(c.route == route for c in self.calls)

    def call_count(self, route: str) -> int:
        return sum(1 for c in self.calls if c.route == route)

    def payloads(self, route: str) -> list[Any]:
        return [c.body for c in self.calls if c.route == route]

    async def _context(self, route: str, request: web.Request) -> Any:
        raise NotImplementedError

    async def _serve(self, ctx: Any, handler: Any, *, auth: bool) -> web.StreamResponse:
        raise NotImplementedError

    def release_timeouts(self) -> None:
        raise NotImplementedError

    async def _on_shutdown(self, app: web.Application) -> None:
        self.release_timeouts()

    def _endpoint(
        self, route: str, handler: Any, *, auth: bool = True
    ) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        async def view(request: web.Request) -> web.StreamResponse:
            ctx = await self._context(route, request)
            response = await self._serve(ctx, handler, auth=auth)
            ctx.record.status = response.status
            return response

        return view

    def add_fault_routes(self, app: web.Application, prefix: str) -> None:
        app.router.add_post(f"{prefix}/faults", self._c_set_fault)
        app.router.add_get(f"{prefix}/faults", self._c_get_faults)
        app.router.add_delete(f"{prefix}/faults", self._c_clear_faults)
        app.router.add_get(f"{prefix}/calls", self._c_calls)

    async def _c_set_fault(self, request: web.Request) -> web.Response:
        try:
            data = await request.json()
            if not isinstance(data, dict):
                raise ValueError("body must be a JSON object")
            data = dict(data)
            route = data.pop("route", None)
            if not isinstance(route, str):
                raise ValueError("route is required")
            fault = Fault.from_dict(data)
            self.faults.set(route, fault)
        except (ValueError, TypeError) as exc:
            return web.json_response({"error": str(exc)}, status=400)
        return web.json_response({"route": route, "fault": fault.to_dict()})

    async def _c_get_faults(self, request: web.Request) -> web.Response:
        return web.json_response({r: f.to_dict() for r, f in self.faults.active().items()})

    async def _c_clear_faults(self, request: web.Request) -> web.Response:
        route = request.query.get("route")
        self.faults.clear(route)
        return web.json_response({"cleared": route or "*"})

    async def _c_calls(self, request: web.Request) -> web.Response:
        calls: list[_Call] = self.calls
        return web.json_response(
            [
                {"route": c.route, "method": c.method, "path": c.path, "status": c.status}
                for c in calls
            ]
        )
