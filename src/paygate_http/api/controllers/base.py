"""``ApiController``: the base of every controller, so that ``OPTIONS`` on a path answers
``Allow`` with every method the path has.

Litestar registers a controller's handlers one at a time and builds the automatic
``OPTIONS`` handler of a path when the path's first handler arrives; that handler keeps
reporting the methods known then (``OPTIONS, POST`` for ``orders/``, whose ``GET`` came
second). ``as_router`` replaces it, once the controller's routes are complete, with one that
reports them all.
"""

from __future__ import annotations

from litestar import Controller, Router
from litestar.routes import HTTPRoute

__all__ = ["ApiController"]


class ApiController(Controller):
    def as_router(self) -> Router:
        router = super().as_router()
        for route in router.routes:
            if isinstance(route, HTTPRoute):
                _refresh_options_handler(route)
        return router


def _refresh_options_handler(route: HTTPRoute) -> None:
    for index, handler in enumerate(route.route_handlers):
        if (
            handler.http_methods == {"OPTIONS"}
            and not handler.include_in_schema
            and handler.handler_name == "options_handler"
        ):
            fresh = route.create_options_handler(route.path)
            fresh.owner = handler.owner
            route.route_handlers[index] = fresh
