"""``/health`` and ``/ready``: probes outside the API base path, unauthenticated.

They answer ``{"status": ...}`` without the envelope: load balancers read the status code.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import Example

from paygate_http.api.controllers.base import ApiController
from paygate_http.api.schemas import Health
from paygate_http.services import services_of

__all__ = ["ServiceController"]


class ServiceController(ApiController):
    path = "/"
    tags = ["Service"]
    security: list[dict[str, list[str]]] = []

    @get(
        "/health",
        operation_id="health",
        sync_to_thread=False,
        summary="Liveness: the process answers (no database access)",
    )
    def health(self) -> Health:
        return Health(status="ok")

    @get(
        "/ready",
        operation_id="ready",
        sync_to_thread=True,
        summary="Readiness: 200 when the database answers, else 503",
        responses={
            503: ResponseSpec(
                Health,
                description="The database does not answer",
                examples=[Example(value={"status": "unavailable"})],
                generate_examples=False,
            )
        },
    )
    def ready(self, request: Request[Any, Any, Any]) -> Response[Health]:
        if services_of(request).ready():
            return Response(Health(status="ready"))
        return Response(Health(status="unavailable"), status_code=503)
