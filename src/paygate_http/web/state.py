"""What the dashboard pages share, kept in the application state beside the API's
``Services``: the session use cases and the key that signs CSRF tokens."""

from __future__ import annotations

from typing import Any

import attrs
from litestar.connection import ASGIConnection

from paygate_core.use_cases.web_sessions import DashboardSessions

__all__ = ["DASHBOARD_STATE_KEY", "Dashboard", "dashboard_of"]

DASHBOARD_STATE_KEY = "paygate_dashboard"


@attrs.frozen
class Dashboard:
    sessions: DashboardSessions
    csrf_key: bytes = attrs.field(repr=False)


def dashboard_of(connection: ASGIConnection[Any, Any, Any, Any]) -> Dashboard:
    dashboard: Dashboard = connection.app.state[DASHBOARD_STATE_KEY]
    return dashboard
