"""The controllers, one per resource. To add one, write a ``Controller`` subclass in a new
module here and list it in ``API_CONTROLLERS`` (under ``/paygate/api/v1``); see ADR 0002."""

from __future__ import annotations

from litestar import Controller

from paygate_http.api.controllers.admin import AdminMerchantsController, AdminUsersController
from paygate_http.api.controllers.auth import AuthController
from paygate_http.api.controllers.events import EventStreamController
from paygate_http.api.controllers.merchants import MerchantProfileController
from paygate_http.api.controllers.orders import OrdersController
from paygate_http.api.controllers.payments import PaymentsController
from paygate_http.api.controllers.refunds import RefundsController
from paygate_http.api.controllers.service import ServiceController
from paygate_http.api.controllers.stats import AdminStatsController, MerchantStatsController
from paygate_http.api.controllers.stats_series import (
    AdminStatsSeriesController,
    MerchantStatsSeriesController,
)
from paygate_http.api.controllers.webhooks import WebhooksController

__all__ = ["API_CONTROLLERS", "SERVICE_CONTROLLERS"]

API_CONTROLLERS: tuple[type[Controller], ...] = (
    AuthController,
    MerchantProfileController,
    AdminUsersController,
    AdminMerchantsController,
    OrdersController,
    PaymentsController,
    RefundsController,
    MerchantStatsController,
    AdminStatsController,
    MerchantStatsSeriesController,
    AdminStatsSeriesController,
    WebhooksController,
    EventStreamController,
)
"""Mounted under the base path ``/paygate/api/v1``."""

SERVICE_CONTROLLERS: tuple[type[Controller], ...] = (ServiceController,)
"""Mounted at the root (``/health``, ``/ready``)."""
