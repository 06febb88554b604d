"""Registration and ``PATCH merchants/me/`` refuse a webhook URL whose host is a Unicode
spelling of an internal address (422 1004 naming ``webhook_url``)."""

from __future__ import annotations

import pytest
from api_harness import Api, Merchant, error_of

URLS = [
    "http://127\u30020\u30020\u30021/",
    "http://\uff11\uff12\uff17.0.0.1/",
    "http://127\uff0e0\uff0e0\uff0e1/",
]


@pytest.mark.parametrize("url", URLS)
def test_unicode_spelt_loopback_webhook_urls_are_refused(
    api: Api, merchant: Merchant, url: str
) -> None:
    registered = api.post(
        "/auth/register/",
        {"email": "u@shop.example", "name": "Shop", "password": "s3cret-pass", "webhook_url": url},
    )
    assert error_of(registered) == (422, 1004)
    assert set(registered.json()["exception"]["meta"]["fields"]) == {"webhook_url"}
    patched = api.client.patch(
        "/paygate/api/v1/merchants/me/", json={"webhook_url": url}, headers=merchant.key
    )
    assert error_of(patched) == (422, 1004)
    assert api.get("/merchants/me/", merchant.key).json()["data"]["webhook_url"] is None
