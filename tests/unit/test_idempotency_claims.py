"""What a claim on an idempotency key means (``paygate_core.idempotency.decide_claim``) and
the use cases that claim, complete, release and purge keys (ADR 0005)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID

from hypothesis import given
from hypothesis import strategies as st

from paygate_core.idempotency import (
    LEASE,
    RETENTION,
    ClaimDecision,
    ClaimOutcome,
    IdempotencyRecord,
    StoredAnswer,
    decide_claim,
)

from .conftest import World

T0 = datetime(2026, 1, 1, tzinfo=UTC)
MERCHANT = UUID(int=1)
OWNED = ClaimDecision(ClaimOutcome.OWNED)
IN_PROGRESS = ClaimDecision(ClaimOutcome.IN_PROGRESS)

HASHES = st.sampled_from(["h1", "h2"])
ANSWERS = st.none() | st.builds(StoredAnswer, st.integers(100, 599), st.binary(max_size=8))
SECONDS = st.integers(0, 2 * 24 * 3600)
LEASES = st.integers(1, 3600).map(lambda s: timedelta(seconds=s))


def _record(request_hash: str, answer: StoredAnswer | None, at: datetime) -> IdempotencyRecord:
    return IdempotencyRecord(MERCHANT, "k", request_hash, answer, at)


# --- the pure decision -----------------------------------------------------------------------


def test_a_free_key_is_owned() -> None:
    assert decide_claim(None, "h1", T0, LEASE) == OWNED


@given(answer=ANSWERS, age=SECONDS, lease=LEASES)
def test_another_request_is_told_so_and_never_owns_the_key(
    answer: StoredAnswer | None, age: int, lease: timedelta
) -> None:
    existing = _record("h1", answer, T0)
    decision = decide_claim(existing, "h2", T0 + timedelta(seconds=age), lease)
    assert decision == ClaimDecision(ClaimOutcome.KEY_REUSED, answer)


@given(code=st.integers(100, 599), body=st.binary(max_size=8), age=SECONDS, lease=LEASES)
def test_a_finished_key_replays_its_answer_forever(
    code: int, body: bytes, age: int, lease: timedelta
) -> None:
    answer = StoredAnswer(code, body)
    decision = decide_claim(_record("h1", answer, T0), "h1", T0 + timedelta(seconds=age), lease)
    assert decision == ClaimDecision(ClaimOutcome.REPLAY, answer)


@given(age=SECONDS, lease=LEASES)
def test_an_unfinished_key_is_in_progress_until_its_lease_ends_then_taken_over(
    age: int, lease: timedelta
) -> None:
    decision = decide_claim(_record("h1", None, T0), "h1", T0 + timedelta(seconds=age), lease)
    assert decision == (OWNED if timedelta(seconds=age) >= lease else IN_PROGRESS)


@given(request_hash=HASHES, answer=ANSWERS, first=SECONDS, later=SECONDS, lease=LEASES)
def test_time_only_ever_frees_a_key(
    request_hash: str, answer: StoredAnswer | None, first: int, later: int, lease: timedelta
) -> None:
    """A claim owned at one moment is owned at every later one; the other outcomes depend
    on time only through the lease."""
    existing = _record("h1", answer, T0)
    early, late = sorted((first, later))
    before = decide_claim(existing, request_hash, T0 + timedelta(seconds=early), lease)
    after = decide_claim(existing, request_hash, T0 + timedelta(seconds=late), lease)
    if before.outcome is ClaimOutcome.OWNED:
        assert after == OWNED
    if after.outcome is not ClaimOutcome.OWNED:
        assert before == after


def test_a_record_keeps_its_answer_out_of_its_repr() -> None:
    record = _record("h1", StoredAnswer(201, b'{"card": "4242"}'), T0)
    assert "4242" not in repr(record)
    assert "4242" not in repr(record.answer)


# --- the use cases, on the in-memory store ---------------------------------------------------


def test_a_key_is_owned_then_in_progress_then_replayed(world: World) -> None:
    merchant_id = world.merchant().merchant.id
    app = world.app
    assert app.claim_idempotency_key(merchant_id, "k", "h1") == OWNED
    assert app.claim_idempotency_key(merchant_id, "k", "h1") == IN_PROGRESS
    assert app.claim_idempotency_key(merchant_id, "k", "h2") == ClaimDecision(
        ClaimOutcome.KEY_REUSED
    )
    app.complete_idempotency_key(merchant_id, "k", 201, b"done")
    world.clock.advance(LEASE * 2)
    replay = ClaimDecision(ClaimOutcome.REPLAY, StoredAnswer(201, b"done"))
    assert app.claim_idempotency_key(merchant_id, "k", "h1") == replay
    app.release_idempotency_key(merchant_id, "k")  # a finished answer stays
    assert app.claim_idempotency_key(merchant_id, "k", "h1") == replay


def test_a_released_or_abandoned_key_is_owned_again(world: World) -> None:
    merchant_id = world.merchant().merchant.id
    app = world.app
    assert app.claim_idempotency_key(merchant_id, "k", "h1") == OWNED
    app.release_idempotency_key(merchant_id, "k")
    assert app.claim_idempotency_key(merchant_id, "k", "h2") == OWNED
    world.clock.advance(LEASE - timedelta(seconds=1))
    assert app.claim_idempotency_key(merchant_id, "k", "h2") == IN_PROGRESS
    world.clock.advance(timedelta(seconds=1))  # its owner is presumed dead
    assert app.claim_idempotency_key(merchant_id, "k", "h2") == OWNED
    assert app.claim_idempotency_key(merchant_id, "k", "h2") == IN_PROGRESS


def test_records_are_purged_after_their_retention(world: World) -> None:
    merchant_id = world.merchant().merchant.id
    app = world.app
    app.claim_idempotency_key(merchant_id, "old", "h1")
    app.complete_idempotency_key(merchant_id, "old", 201, b"{}")
    world.clock.advance(RETENTION - timedelta(seconds=1))
    app.claim_idempotency_key(merchant_id, "young", "h1")
    assert app.purge_idempotency_keys() == 0
    world.clock.advance(timedelta(seconds=2))
    assert app.purge_idempotency_keys() == 1
    assert app.claim_idempotency_key(merchant_id, "old", "h1") == OWNED
    assert app.claim_idempotency_key(merchant_id, "young", "h1") == IN_PROGRESS
