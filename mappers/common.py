"""Small pure helpers every marketplace mapper needs the same way."""

from __future__ import annotations

from datetime import datetime, timezone

from marshmallow import ValidationError


def iso_utc(value) -> datetime | None:
    """An ISO 8601 time ("2024-05-06T10:12:05.000Z", "...+00:00" or naive = UTC) as naive UTC; None when empty.

    Raises ``marshmallow.ValidationError`` for anything else, so a bad body becomes a visible failed event."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError as exc:
        raise ValidationError(f"not an ISO date: {value!r}") from exc
    return moment.astimezone(timezone.utc).replace(tzinfo=None) if moment.tzinfo else moment
