"""Timestamps: timezone-aware UTC datetimes, written as RFC 3339 with a ``Z`` suffix."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

__all__ = ["as_utc", "format_timestamp", "parse_instant"]


def as_utc(moment: datetime) -> datetime:
    """The same instant in UTC; naive datetimes are taken to be UTC already."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def format_timestamp(moment: datetime) -> str:
    """``2026-10-06T10:30:00.123456Z``: always microseconds, always UTC."""
    return as_utc(moment).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_instant(raw: str) -> datetime:
    """An ISO date (midnight UTC) or datetime (naive means UTC); ``ValueError`` otherwise."""
    text = raw.strip()
    if len(text) == 10:
        return datetime.combine(date.fromisoformat(text), time(0), tzinfo=UTC)
    if text.endswith(("z", "Z")):
        text = text[:-1] + "+00:00"
    return as_utc(datetime.fromisoformat(text))
