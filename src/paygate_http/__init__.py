"""Paygate's HTTP layer (Litestar): the REST API, the dashboard pages, their settings and
the ``paygate`` command line.

``create_app(settings, *, paygate=None)`` is the composition root; ``Settings.from_env``
reads the ``PAYGATE_*`` environment. The package: ``api`` (controllers, wire schemas,
presenters, the OpenAPI document), ``pipeline`` (what every request goes through:
authentication, rate limits, idempotency, bodies, deadlines, logs, errors), ``web`` (the
dashboard pages and hosted checkout), ``process`` (the composition root, server, command
line), and beside them ``settings``, ``services`` (what every handler reads) and
``live_events``. Controllers for new resources use the hooks, guards and the ``principal``
dependency of ``paygate_http.pipeline.auth`` and the body parser of
``paygate_http.pipeline.request_bodies`` (see ADR 0002).
"""

from paygate_http.process.app import API_BASE_PATH, create_app
from paygate_http.settings import Settings, SettingsError

__all__ = ["API_BASE_PATH", "Settings", "SettingsError", "create_app"]
