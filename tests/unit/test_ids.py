"""Identifiers: version-7 UUIDs are well formed, carry their millisecond and sort by it."""

from __future__ import annotations

import time
import uuid

from hypothesis import given
from hypothesis import strategies as st

from paygate_core.system import UUID7Ids, uuid7

_MS = st.integers(0, (1 << 48) - 1)
_RANDOM = st.binary(min_size=10, max_size=10)


@given(ms=_MS, random_bits=_RANDOM)
def test_a_uuid7_is_version_7_of_rfc_9562_with_its_millisecond_first(
    ms: int, random_bits: bytes
) -> None:
    ident = uuid7(ms, random_bits)
    assert ident.version == 7
    assert ident.variant == uuid.RFC_4122
    assert ident.int >> 80 == ms
    rand = int.from_bytes(random_bits, "big")
    assert ident.int >> 64 & 0xFFF == rand >> 68 & 0xFFF  # rand_a: 12 bits
    assert ident.int & ((1 << 62) - 1) == rand & ((1 << 62) - 1)  # rand_b: 62 bits


@given(first=_MS, second=_MS, a=_RANDOM, b=_RANDOM)
def test_uuid7s_sort_by_their_millisecond(first: int, second: int, a: bytes, b: bytes) -> None:
    if first < second:
        assert uuid7(first, a) < uuid7(second, b)
        assert str(uuid7(first, a)) < str(uuid7(second, b))  # as text, too


def test_the_generator_makes_distinct_ids_of_the_current_millisecond() -> None:
    before = time.time_ns() // 1_000_000
    ids = [UUID7Ids().new_id() for _ in range(1000)]
    after = time.time_ns() // 1_000_000
    assert len(set(ids)) == 1000
    assert all(before <= ident.int >> 80 <= after for ident in ids)
