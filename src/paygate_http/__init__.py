"""Paygate's REST layer (Litestar), its settings and the ``paygate`` command line.

``create_app(settings, *, paygate=None)`` is the composition root; ``Settings.from_env``
reads the ``PAYGATE_*`` environment. Controllers for new resources use the hooks, guards and the
``principal`` dependency of ``paygate_http.pipeline.auth`` and the body parser of
``paygate_http.pipeline.request_bodies`` (see ADR 0002).
"""

from paygate_http.process.app import API_BASE_PATH, create_app
from paygate_http.settings import Settings, SettingsError

__all__ = ["API_BASE_PATH", "Settings", "SettingsError", "create_app"]
