"""Field checks shared by the endpoints; every failure is HTTP 400 code 3 (``errors.invalid``)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from .errors import invalid

MAX_PERIOD = timedelta(days=366)


def integer(value: Any, name: str, low: int | None = None, high: int | None = None, default: int | None = None) -> int:
    """An int field (numeric strings accepted, like protobuf's JSON mapping of int64) within low..high."""
    if value is None or value == "":
        if default is None:
            raise invalid(f"{name} is required")
        return default
    if isinstance(value, bool):
        raise invalid(f"{name} must be an integer")
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise invalid(f"{name} must be an integer") from None
    if isinstance(value, float) and value != number:
        raise invalid(f"{name} must be an integer")
    if (low is not None and number < low) or (high is not None and number > high):
        raise invalid(f"{name}: value must be inside range [{low}, {high}]")
    return number


def limit(body: dict, high: int = 1000) -> int:
    """``limit`` 1..high; required."""
    return integer(body.get("limit"), "limit", 1, high)


def offset(body: dict) -> int:
    return integer(body.get("offset"), "offset", 0, None, default=0)


def direction(body: dict) -> bool:
    """``dir`` ASC (default) or DESC; True means descending."""
    value = str(body.get("dir") or "ASC").upper()
    if value not in ("ASC", "DESC"):
        raise invalid("dir must be ASC or DESC")
    return value == "DESC"


def moment(value: Any, name: str) -> datetime:
    """An RFC 3339 time (``2021-11-01T00:00:00.000Z``); naive times are UTC."""
    if not isinstance(value, str) or not value:
        raise invalid(f"{name} is required (RFC 3339 date-time)")
    try:
        parsed = datetime.fromisoformat(value.strip().replace("z", "Z"))
    except ValueError:
        raise invalid(f"{name}: invalid date-time {value!r}") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def window(start: Any, end: Any, start_name: str, end_name: str) -> tuple[datetime, datetime]:
    """Both ends required, start <= end, at most a year apart (Ozon: "period <= 1 year")."""
    first, last = moment(start, start_name), moment(end, end_name)
    if first > last:
        raise invalid(f"{start_name} must not be after {end_name}")
    if last - first > MAX_PERIOD:
        raise invalid(f"the period {start_name}..{end_name} must not exceed one year")
    return first, last


def flags(body: dict) -> dict[str, bool]:
    """The ``with`` object: which optional blocks the answer carries."""
    value = body.get("with") or {}
    if not isinstance(value, dict):
        raise invalid("with must be an object")
    return {key: bool(flag) for key, flag in value.items()}


def string_list(value: Any, name: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise invalid(f"{name} must be an array")
    return [str(item) for item in value]


def int_list(value: Any, name: str) -> list[int]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise invalid(f"{name} must be an array")
    return [integer(item, name) for item in value]


def posting_numbers(value: Any, name: str = "posting_number", most: int | None = None) -> list[str]:
    """A non-empty array of posting numbers (at most ``most``)."""
    numbers = string_list(value, name)
    if not numbers:
        raise invalid(f"{name} must not be empty")
    if most is not None and len(numbers) > most:
        raise invalid(f"{name}: at most {most} items")
    return numbers
