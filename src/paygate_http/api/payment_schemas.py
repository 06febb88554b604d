"""Wire schemas of the payment routes: orders, payments, refunds, statistics, webhooks.

msgspec Structs with examples; they drive the OpenAPI document and ``payment_presenters``
builds every response from them. Amounts are decimal strings with exactly the currency's
minor-unit digits (``"100.00"``, JPY ``"100"``), never JSON numbers. Request Structs are for
documentation only: bodies are parsed by ``request_bodies`` and validated by the core.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated

from msgspec import Meta, Struct, field

from paygate_core.events import DeliveryStatus, EventType, WebhookAttemptStatus
from paygate_core.money import CURRENCIES
from paygate_core.orders import OrderStatus
from paygate_core.payments import PaymentStatus
from paygate_core.refunds import RefundStatus
from paygate_http.api.schemas import NO_NUL, URL_PATTERN, Timestamp, Uuid, doc

__all__ = [
    "AdminMerchantStatsData",
    "CardData",
    "CardDetailsRequest",
    "CreateOrderInCents",
    "CreateOrderInMills",
    "CreateOrderInWholeUnits",
    "CreateOrderRequest",
    "CreateRefundRequest",
    "GlobalStatsData",
    "MerchantStatsData",
    "OrderData",
    "OrderDetailData",
    "PayOrderRequest",
    "PaymentData",
    "PaymentDetailData",
    "PaymentSummary",
    "RefundData",
    "RefundDetailData",
    "StatsSeriesBucket",
    "StatsSeriesData",
    "VolumeData",
    "WebhookEventItem",
    "WebhookLogItem",
]

Amount = Annotated[
    str,
    Meta(
        examples=["100.00"],
        pattern=r"^[0-9]+(\.[0-9]+)?$",
        description='Decimal string with the currency\'s minor-unit digits (JPY "100")',
    ),
]
NetAmount = Annotated[
    str,
    Meta(
        examples=["3700.00"],
        pattern=r"^-?[0-9]+(\.[0-9]+)?$",
        description="paid_amount - refunded_amount; negative when a "
        "period's refunds exceed its payments",
    ),
]
Currency = Annotated[
    str, Meta(examples=["INR"], pattern=r"^[A-Z]{3}$", description="ISO 4217 code, uppercase")
]
Count = Annotated[int, Meta(ge=0, examples=[40])]


# --- requests (documentation only) -------------------------------------------------------

_MAX_AMOUNT = 99999999.99
_AMOUNT_RULES = (
    "A JSON number or a plain decimal string; positive, at most 99,999,999.99, "
    "no more decimals than the currency allows, no exponent, NaN or Infinity"
)


def _amount_pattern(minor_units: int) -> str:
    """Positive decimal strings with at most ``minor_units`` decimals, no leading zeros, at
    most 99,999,999.99 (8 integer digits with 2 decimals, or 7 with 3)."""
    whole = "[1-9][0-9]{0,7}"
    if minor_units == 0:
        return f"^{whole}$"
    fraction = "|".join(
        f"{'0' * zeros}[1-9]" + (f"[0-9]{{0,{rest}}}" if rest else "")
        for zeros in range(minor_units)
        for rest in [minor_units - zeros - 1]
    )
    cents = f"{whole}(\\.[0-9]{{1,2}})?"
    if minor_units > 2:
        cents += f"|[1-9][0-9]{{0,6}}\\.[0-9]{{{minor_units}}}"
    return f"^({cents}|0\\.({fraction}))$"


def _amount_choices(minor_units: int) -> list[dict[str, object]]:
    """A decimal string, or a JSON number with at most ``minor_units`` decimals."""
    number: dict[str, object] = (
        {"type": "integer", "minimum": 1, "maximum": int(_MAX_AMOUNT)}
        if minor_units == 0
        else {
            "type": "number",
            "exclusiveMinimum": 0,
            "maximum": _MAX_AMOUNT,
            "multipleOf": 10**-minor_units,
        }
    )
    return [{"type": "string", "pattern": _amount_pattern(minor_units)}, number]


def _codes(minor_units: int) -> list[str]:
    return [code for code, currency in CURRENCIES.items() if currency.minor_units == minor_units]


def _any_case(codes: list[str]) -> str:
    """A pattern matching the codes in any letter case (JSON Schema regexes have no flag)."""
    spelled = ("".join(f"[{c}{c.lower()}]" for c in code) for code in codes)
    return "^(" + "|".join(spelled) + ")$"


def _currency_schema(minor_units: int, *, optional: bool) -> dict[str, object]:
    """The codes as an enum (what generated clients offer) or in any other letter case."""
    codes = _codes(minor_units)
    choices: list[dict[str, object]] = [
        {"type": "string", "enum": codes},
        {"type": "string", "pattern": _any_case(codes)},
    ]
    if optional:
        choices.append({"type": "null"})
    return {"type": None, "one_of": None, "any_of": choices}


def _amount(minor_units: int, example: str) -> object:
    return Annotated[
        str,
        Meta(
            examples=[example],
            description=_AMOUNT_RULES,
            extra_json_schema=doc(type=None, any_of=_amount_choices(minor_units)),
        ),
    ]


def _currency(minor_units: int, example: str, *, optional: bool) -> object:
    return Annotated[
        str,
        Meta(
            examples=[example],
            description="ISO 4217 code, any case; returned uppercase"
            + (" (absent or null: INR)" if optional else ""),
            extra_json_schema=doc(**_currency_schema(minor_units, optional=optional)),
        ),
    ]


Receipt = Annotated[str, Meta(max_length=40, pattern=NO_NUL, examples=["inv-42"])]
Notes = Annotated[
    dict[str, str],
    Meta(
        examples=[{"k": "v"}],
        description="At most 15 string pairs of at most 256 characters",
        extra_json_schema=doc(
            max_properties=15,
            property_names={"maxLength": 256, "pattern": NO_NUL},
            additional_properties={"type": "string", "maxLength": 256, "pattern": NO_NUL},
        ),
    ),
]
CentsAmount = _amount(2, "100.00")
WholeAmount = _amount(0, "1500")
MillsAmount = _amount(3, "12.345")
CentsCurrency = _currency(2, "INR", optional=True)
WholeCurrency = _currency(0, "JPY", optional=False)
MillsCurrency = _currency(3, "KWD", optional=False)


ReturnUrlInput = Annotated[
    str,
    Meta(
        examples=["https://shop.example/thanks"],
        max_length=2048,
        pattern=URL_PATTERN,
        description="Where hosted checkout sends the shopper after paying: an absolute https URL "
        "(http only where private destinations are allowed)",
        extra_json_schema=doc(format="uri"),
    ),
]
ReturnUrl = Annotated[str | None, Meta(examples=["https://shop.example/thanks"])]
CheckoutUrl = Annotated[
    str | None,
    Meta(
        examples=["https://pay.example/checkout/AZAAAAAAcAC..."],
        description="The hosted checkout page of this order: works until the order is paid or 7 "
        "days after it was created",
    ),
]


class CreateOrderInCents(Struct):
    """An order in a currency with 2 decimals (INR when ``currency`` is left out)."""

    amount: CentsAmount  # type: ignore[valid-type]
    currency: CentsCurrency | None = None  # type: ignore[valid-type]
    receipt: Receipt | None = None
    notes: Notes | None = None
    return_url: ReturnUrlInput | None = None


class CreateOrderInWholeUnits(Struct):
    """An order in a currency without decimals (JPY, KRW)."""

    amount: WholeAmount  # type: ignore[valid-type]
    currency: WholeCurrency  # type: ignore[valid-type]
    receipt: Receipt | None = None
    notes: Notes | None = None
    return_url: ReturnUrlInput | None = None


class CreateOrderInMills(Struct):
    """An order in a currency with 3 decimals (BHD, KWD)."""

    amount: MillsAmount  # type: ignore[valid-type]
    currency: MillsCurrency  # type: ignore[valid-type]
    receipt: Receipt | None = None
    notes: Notes | None = None
    return_url: ReturnUrlInput | None = None


CreateOrderRequest = CreateOrderInCents | CreateOrderInWholeUnits | CreateOrderInMills
"""The amount's decimals follow the currency: one variant per number of minor units."""

CardNumber = Annotated[
    str,
    Meta(
        examples=["4242 4242 4242 4242"],
        pattern=r"^[ -]*([0-9][ -]*){12,19}$",
        description="12 to 19 digits; spaces and hyphens ignored. Never stored or returned.",
    ),
]
Cvv = Annotated[
    str, Meta(examples=["123"], pattern="^[0-9]{3,4}$", description="3 or 4 digits. Never stored.")
]


def _expiry_pattern(today: date) -> str:
    """MM/YY or MM/YYYY from January of the year after next on: a card the pattern admits
    stays unexpired for more than a year after the process starts (an expired card is 422
    1010 whatever the pattern says)."""
    first = today.year + 2
    decade, unit = divmod(first % 100, 10)
    short = f"{decade}[{unit}-9]|[{decade + 1}-9][0-9]" if decade < 9 else f"9[{unit}-9]"
    century = first // 100
    long = (
        f"{century}({short})|{century // 10}[{century % 10 + 1}-9][0-9]{{2}}|"
        f"[{century // 10 + 1}-9][0-9]{{3}}"
    )
    return f"^(0[1-9]|1[0-2])/({short}|{long})$"


Expiry = Annotated[
    str,
    Meta(
        examples=["12/30"],
        pattern=_expiry_pattern(datetime.now(UTC).date()),
        description="MM/YY or MM/YYYY, valid through the last day of that month (UTC); an "
        "expired card is 422 1010",
    ),
]


class CardDetailsRequest(Struct):
    card_number: CardNumber
    expiry: Expiry
    cvv: Cvv


class PayOrderRequest(Struct):
    order_id: Uuid
    card_details: CardDetailsRequest


RefundAmount = Annotated[
    str,
    Meta(
        examples=["40.00"],
        description="Default (absent or null): the whole refundable balance. "
        + _AMOUNT_RULES
        + " of the payment (the schema admits 3 decimals, what the payment's currency "
        "allows is enforced as 422 1013, like an amount above the refundable "
        "balance)",
        extra_json_schema=doc(
            type=None, one_of=None, any_of=[*_amount_choices(3), {"type": "null"}]
        ),
    ),
]


class CreateRefundRequest(Struct):
    payment_id: Uuid
    amount: RefundAmount | None = None
    reason: (
        Annotated[str, Meta(max_length=255, pattern=NO_NUL, examples=["customer request"])] | None
    ) = None


# --- orders, payments, refunds ---------------------------------------------------------------


class CardData(Struct):
    last4: Annotated[str, Meta(examples=["4242"], pattern=r"^[0-9]{4}$")]
    fingerprint: Annotated[
        str,
        Meta(
            examples=["9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"],
            pattern=r"^[0-9a-f]{64}$",
            description="HMAC-SHA256 of the card number",
        ),
    ]


class PaymentData(Struct):
    payment_id: Uuid
    order: Annotated[
        str,
        Meta(
            examples=["5b7f3c1e-8a2d-4c6b-9e0f-1a2b3c4d5e6f"],
            description="The order's id (same as order_id)",
        ),
    ]
    order_id: Uuid
    amount: Amount
    currency: Currency
    status: PaymentStatus
    failure_reason: Annotated[str | None, Meta(examples=[None])]
    amount_refunded: Amount
    card: CardData
    created_at: Timestamp
    updated_at: Timestamp


class RefundData(Struct):
    refund_id: Uuid
    payment_id: Uuid
    order_id: Uuid
    amount: Amount
    currency: Currency
    status: RefundStatus
    reason: Annotated[str | None, Meta(examples=["customer request"])]
    created_at: Timestamp


class PaymentSummary(Struct):
    """The refunded payment as it stands after the refund."""

    payment_id: Uuid
    status: PaymentStatus
    amount_refunded: Amount


class RefundDetailData(RefundData):
    payment: PaymentSummary


class PaymentDetailData(PaymentData):
    refunds: list[RefundData]


class OrderData(Struct):
    order_id: Uuid
    amount: Amount
    currency: Currency
    status: OrderStatus
    receipt: Annotated[str | None, Meta(examples=["inv-42"])]
    notes: Annotated[dict[str, str], Meta(examples=[{"k": "v"}])]
    created_at: Timestamp
    updated_at: Timestamp
    return_url: ReturnUrl
    checkout_url: CheckoutUrl


class OrderDetailData(OrderData):
    payments: list[PaymentData]


# --- statistics ----------------------------------------------------------------------------------


class VolumeData(Struct):
    currency: Currency
    paid_amount: Amount
    refunded_amount: Amount
    net_amount: NetAmount


SuccessRate = Annotated[
    float, Meta(ge=0, le=1, examples=[0.8], description="successful / total payments (0 if none)")
]


class MerchantStatsData(Struct):
    total_orders: Count
    successful_payments: Count
    successful_refunds: Count
    canceled_payments: Count
    total_payments: Count
    success_rate: SuccessRate
    volume: list[VolumeData]


class AdminMerchantStatsData(Struct):
    merchant_id: Uuid
    email: Annotated[str, Meta(examples=["a@shop.example"])]
    name: Annotated[str, Meta(examples=["Shop"])]
    total_orders: Count
    successful_payments: Count
    successful_refunds: Count
    canceled_payments: Count
    total_payments: Count
    success_rate: SuccessRate
    volume: list[VolumeData]


class GlobalStatsData(Struct):
    total_merchants: Count
    total_admins: Count
    total_orders: Count
    total_successful_payments: Count
    total_successful_refunds: Count
    total_canceled_payments: Count
    total_payments: Count
    success_rate: SuccessRate
    volume: list[VolumeData]


def _bucket_bound(example: str, description: str) -> Meta:
    """A series bucket boundary: a whole-hour UTC instant (``2026-11-01T00:00:00Z``)."""
    return Meta(
        examples=[example], description=description, extra_json_schema=doc(format="date-time")
    )


class StatsSeriesBucket(Struct):
    """The activity created in ``[start, start + interval)``, counted as the totals are."""

    start: Annotated[str, _bucket_bound("2026-11-01T00:00:00Z", "The bucket's first instant (UTC)")]
    orders: Count
    successful_payments: Count
    canceled_payments: Count
    successful_refunds: Count
    volume: list[VolumeData]


class StatsSeriesData(Struct):
    interval: Annotated[str, Meta(examples=["day"], extra_json_schema=doc(enum=["hour", "day"]))]
    from_: Annotated[
        str,
        _bucket_bound(
            "2026-11-01T00:00:00Z", "Start of the first bucket (inclusive), after widening"
        ),
    ] = field(name="from")
    to: Annotated[
        str,
        _bucket_bound("2026-11-03T00:00:00Z", "End of the last bucket (exclusive), after widening"),
    ]
    buckets: list[StatsSeriesBucket]


# --- webhooks ----------------------------------------------------------------------------------


class WebhookEventItem(Struct):
    event_id: Uuid
    event: EventType
    payment_id: Uuid
    delivery_status: DeliveryStatus
    attempts: Count
    created_at: Timestamp
    last_attempt_at: Timestamp | None


class WebhookLogItem(Struct):
    log_id: Uuid
    event_id: Uuid
    event: EventType
    payment_id: Uuid
    attempt: Annotated[int, Meta(ge=1, examples=[1])]
    url: Annotated[str, Meta(examples=["https://shop.example/hooks"])]
    status: WebhookAttemptStatus
    http_status: Annotated[int | None, Meta(examples=[200])]
    response_body: Annotated[
        str | None, Meta(examples=['{"ok": true}'], description="The first KiB of the answer")
    ]
    error: Annotated[str | None, Meta(examples=[None])]
    duration_ms: Annotated[int, Meta(ge=0, examples=[42])]
    created_at: Timestamp
