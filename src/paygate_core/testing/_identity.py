"""A strict equality for what adapters hand back: same types, same Decimal digits, UTC times.

``==`` is too lenient for an adapter contract: ``Decimal("10.0") == Decimal("10.00")``,
``"paid" == OrderStatus.PAID`` and a naive datetime can equal nothing at all, so a storage
adapter could drift from the reference while every ``==`` still passed. Standard library and
attrs only: importing it never needs the ``testing`` extra.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, cast

import attrs

__all__ = ["assert_identical", "differences"]


def assert_identical(actual: object, expected: object) -> None:
    """Raise ``AssertionError`` listing every place where ``actual`` differs from ``expected``."""
    found = differences(actual, expected)
    if found:
        shown = "\n  ".join(found[:20])
        more = f"\n  ... and {len(found) - 20} more" if len(found) > 20 else ""
        raise AssertionError(f"values differ:\n  {shown}{more}")


def differences(actual: object, expected: object, path: str = "value") -> list[str]:
    """Each difference as ``"path: actual != expected"``; empty when identical."""
    if expected is None or actual is None:
        return [] if actual is expected else [f"{path}: {actual!r} != {expected!r}"]
    if isinstance(expected, list | tuple):
        return _sequence_differences(actual, expected, path)
    if type(actual) is not type(expected):
        return [f"{path}: type {type(actual).__name__} != {type(expected).__name__}"]
    if attrs.has(type(expected)):
        return [
            found
            for field in attrs.fields(cast("type[attrs.AttrsInstance]", type(expected)))
            if field.eq  # a field left out of equality (a cache) is not part of the value
            for found in differences(
                getattr(actual, field.name),
                getattr(expected, field.name),
                f"{path}.{field.name}",
            )
        ]
    if isinstance(expected, Mapping):
        return _mapping_differences(actual, expected, path)
    return _scalar_differences(actual, expected, path)


def _sequence_differences(
    actual: object,
    expected: list[Any] | tuple[Any, ...],
    path: str,
) -> list[str]:
    # Sequences compare by content: one adapter's list is another's tuple.
    if not isinstance(actual, list | tuple):
        return [f"{path}: {type(actual).__name__} is not a sequence"]
    if len(actual) != len(expected):
        return [f"{path}: {len(actual)} items != {len(expected)} items"]
    return [
        found
        for index, (left, right) in enumerate(zip(actual, expected, strict=True))
        for found in differences(left, right, f"{path}[{index}]")
    ]


def _mapping_differences(actual: Any, expected: Mapping[Any, Any], path: str) -> list[str]:
    if set(actual) != set(expected):
        return [f"{path}: keys {sorted(map(str, actual))} != {sorted(map(str, expected))}"]
    return [
        found
        for key in expected
        for found in differences(actual[key], expected[key], f"{path}[{key!r}]")
    ]


def _scalar_differences(actual: object, expected: object, path: str) -> list[str]:
    if isinstance(expected, Decimal):
        assert isinstance(actual, Decimal)
        # Same value AND same digits: "10.00" must not come back as "10" or "10.000".
        if actual.as_tuple() != expected.as_tuple():
            return [f"{path}: Decimal {actual} != {expected}"]
        return []
    if isinstance(expected, datetime):
        assert isinstance(actual, datetime)
        if actual.utcoffset() != timedelta(0):
            return [f"{path}: {actual.isoformat()} is not a timezone-aware UTC datetime"]
        if actual != expected:
            return [f"{path}: {actual.isoformat()} != {expected.isoformat()}"]
        return []
    if isinstance(expected, enum.Enum):
        return [] if actual is expected else [f"{path}: {actual!r} != {expected!r}"]
    return [] if actual == expected else [f"{path}: {actual!r} != {expected!r}"]
