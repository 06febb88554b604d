"""The baseline: a bare Litestar app with one JSON POST route, served like Paygate."""

from __future__ import annotations

from typing import Any

from litestar import Litestar, post


@post("/echo", sync_to_thread=False)
def echo(data: dict[str, Any]) -> dict[str, Any]:
    return {"success": True, "message": "ok", "data": data}


app = Litestar(route_handlers=[echo], openapi_config=None)
