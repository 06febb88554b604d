"""Timestamps: timezone-aware UTC datetimes, written as RFC 3339 with a ``Z`` suffix."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

__all__ = ["as_utc", "format_timestamp", "parse_instant"]


def as_utc(moment: datetime) -> datetime:
    """The same instant in UTC; naive datetimes are taken to be UTC already."""
    zone = moment.tzinfo
    if zone is UTC:  # the common case, and astimezone() is not free
        return moment
    if zone is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def format_timestamp(moment: datetime) -> str:
    """``2026-10-06T10:30:00.123456Z``: always microseconds, always UTC."""
    # isoformat, not strftime: a third of the cost, and the same text (4-digit year).
    return as_utc(moment).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def parse_instant(raw: str) -> datetime:
    """An ISO date (midnight UTC) or datetime (naive means UTC); ``ValueError`` otherwise."""
    text = raw.strip()
    if len(text) == 10:
        return datetime.combine(date.fromisoformat(text), time(0), tzinfo=UTC)
    if text.endswith(("z", "Z")):
        text = text[:-1] + "+00:00"
    return as_utc(datetime.fromisoformat(text))
