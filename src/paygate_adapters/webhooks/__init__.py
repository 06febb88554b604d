"""Webhook delivery over HTTP: the SSRF guard, the signed sender and the dispatcher.

The composition root builds one ``WebhookDispatcher`` and runs it in a thread
(``start_in_thread``) or in a process of its own (``run_forever``); ADR 0004 explains the
delivery guarantees. Signing and merchant-side verification live in the core
(``paygate_core.signatures``) because they are pure.
"""

from paygate_adapters.webhooks.dispatcher import (
    DEFAULT_RETRY_SCHEDULE,
    DispatcherHandle,
    WebhookDispatcher,
    retry_at,
)
from paygate_adapters.webhooks.sender import DeliveryResult, WebhookSender, encode_body
from paygate_adapters.webhooks.ssrf import (
    BLOCKED_DESTINATION,
    BlockedDestination,
    UnresolvableHost,
    resolve_destination,
)

__all__ = [
    "BLOCKED_DESTINATION",
    "DEFAULT_RETRY_SCHEDULE",
    "BlockedDestination",
    "DeliveryResult",
    "DispatcherHandle",
    "UnresolvableHost",
    "WebhookDispatcher",
    "WebhookSender",
    "encode_body",
    "resolve_destination",
    "retry_at",
]
