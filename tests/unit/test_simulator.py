"""The simulated processor: the contract's test cards, a configurable rate, seeded replays."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given

from paygate_core import SimulatedProcessor
from paygate_core.cards import CardDetails, parse_card
from paygate_core.money import Money
from paygate_core.testing import strategies as pst

TODAY = date(2026, 10, 6)
AMOUNT = Money.of("10.00", "USD")


def card(number: str) -> CardDetails:
    return parse_card(number, "12/30", "123", today=TODAY)


@given(card_input=pst.card_inputs(TODAY, outcome=pst.CardOutcome.DECLINED))
def test_numbers_ending_0002_are_declined(card_input: pst.CardInput) -> None:
    decision = SimulatedProcessor(success_rate=1.0).authorize(card(card_input.number), AMOUNT)
    assert (decision.approved, decision.failure_reason) == (False, "card_declined")


@given(card_input=pst.card_inputs(TODAY, outcome=pst.CardOutcome.NO_FUNDS))
def test_numbers_ending_9995_lack_funds(card_input: pst.CardInput) -> None:
    decision = SimulatedProcessor(success_rate=1.0).authorize(card(card_input.number), AMOUNT)
    assert (decision.approved, decision.failure_reason) == (False, "insufficient_funds")


def test_4242_always_succeeds_even_at_rate_zero() -> None:
    processor = SimulatedProcessor(success_rate=0.0, seed=1)
    for _ in range(50):
        assert processor.authorize(card("4242 4242 4242 4242"), AMOUNT).approved


@given(card_input=pst.card_inputs(TODAY, outcome=pst.CardOutcome.RANDOM))
def test_other_cards_follow_the_configured_rate_at_the_extremes(card_input: pst.CardInput) -> None:
    number = card(card_input.number)
    assert SimulatedProcessor(success_rate=1.0).authorize(number, AMOUNT).approved
    declined = SimulatedProcessor(success_rate=0.0).authorize(number, AMOUNT)
    assert (declined.approved, declined.failure_reason) == (False, "card_declined")


def test_default_rate_is_about_80_percent() -> None:
    processor = SimulatedProcessor(seed=2024)
    approved = sum(
        processor.authorize(card("5555444433331111"), AMOUNT).approved for _ in range(4000)
    )
    assert processor.success_rate == 0.8
    assert 0.77 < approved / 4000 < 0.83


def test_a_seed_replays_the_same_outcomes() -> None:
    def outcomes(seed: int) -> list[bool]:
        processor = SimulatedProcessor(success_rate=0.5, seed=seed)
        return [processor.authorize(card("5555444433331111"), AMOUNT).approved for _ in range(64)]

    assert outcomes(42) == outcomes(42)
    assert outcomes(42) != outcomes(43)


def test_test_cards_do_not_consume_random_outcomes() -> None:
    plain = SimulatedProcessor(success_rate=0.5, seed=9)
    mixed = SimulatedProcessor(success_rate=0.5, seed=9)
    other = card("5555444433331111")
    expected = [plain.authorize(other, AMOUNT).approved for _ in range(20)]
    seen = []
    for _ in range(20):
        mixed.authorize(card("4242424242424242"), AMOUNT)
        mixed.authorize(card("4000000000000002"), AMOUNT)
        seen.append(mixed.authorize(other, AMOUNT).approved)
    assert seen == expected


@pytest.mark.parametrize("rate", [-0.1, 1.01])
def test_rate_outside_0_to_1_is_refused(rate: float) -> None:
    with pytest.raises(ValueError, match="between 0 and 1"):
        SimulatedProcessor(success_rate=rate)
