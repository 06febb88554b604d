"""A simulated card processor with the contract's test cards; pure and seedable."""

from __future__ import annotations

import random
import threading

from paygate_core.cards import CardDetails
from paygate_core.money import Money
from paygate_core.payments import ProcessorDecision

__all__ = ["ALWAYS_SUCCEEDS", "SimulatedProcessor"]

ALWAYS_SUCCEEDS = "4242424242424242"
_DECLINED = ProcessorDecision(approved=False, failure_reason="card_declined")
_NO_FUNDS = ProcessorDecision(approved=False, failure_reason="insufficient_funds")
_APPROVED = ProcessorDecision(approved=True)


class SimulatedProcessor:
    """``...0002`` declines, ``...9995`` lacks funds, ``4242424242424242`` always succeeds;
    any other card succeeds with ``success_rate``. A ``seed`` makes the sequence of random
    outcomes of one process reproducible."""

    def __init__(self, success_rate: float = 0.8, seed: int | None = None) -> None:
        if not 0.0 <= success_rate <= 1.0:
            raise ValueError("success_rate must be between 0 and 1")
        self.success_rate = success_rate
        self._random = random.Random(seed)  # noqa: S311 - a simulation, not cryptography
        self._lock = threading.Lock()

    def authorize(self, card: CardDetails, amount: Money) -> ProcessorDecision:
        del amount  # the simulator's outcome depends on the card alone
        if card.number.endswith("0002"):
            return _DECLINED
        if card.number.endswith("9995"):
            return _NO_FUNDS
        if card.number == ALWAYS_SUCCEEDS:
            return _APPROVED
        with self._lock:
            roll = self._random.random()
        return _APPROVED if roll < self.success_rate else _DECLINED
