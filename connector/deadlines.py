"""Handling deadlines for orders (pure: no I/O, no ORM).

A channel's rule lives in ``channel.settings["deadline"]``::

    {"timezone": "Europe/Warsaw", "working_hours": ["09:00", "17:00"], "working_days": [0, 1, 2, 3, 4],
     "within_working_hours": 2, "latest_hours": 24}

The deadline is the earlier of two limits, both optional (at least one must be set):

* ``within_working_hours``: N hours counted only inside the working window (``working_hours``, local
  time in ``timezone``) on ``working_days`` (Monday = 0). Time zones come from :mod:`zoneinfo`
  (``tzdata``), so a daylight-saving change moves the window with the wall clock.
* ``latest_hours``: an absolute limit in real hours from the order's creation.

Times in and out are naive UTC, like every column in :mod:`connector.models`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

#: Orders still to be handled: everything before shipping that is not cancelled or returned.
OPEN_STATUSES = ("new", "confirmed", "awaiting_payment", "paid", "packed")

#: No rule configured: 24 real hours, whatever the time of day.
DEFAULT_RULE = {"timezone": "UTC", "latest_hours": 24}

#: Rozetka's seller rule (seed): contact the buyer within 2 working hours, 24 hours at the latest.
#: Working hours and days are the seed's assumption (Kyiv office hours); edit per channel.
ROZETKA_RULE = {"timezone": "Europe/Kyiv", "working_hours": ["09:00", "18:00"], "working_days": [0, 1, 2, 3, 4],
                "within_working_hours": 2, "latest_hours": 24}

#: Safety bound for counting working hours (a rule with one short working day a week still ends).
_MAX_DAYS = 800
_UTC = timezone.utc


@dataclass(frozen=True)
class DeadlineRule:
    """A parsed, validated rule; build it with :func:`parse_rule`."""

    timezone: str = "UTC"
    opens: time | None = None
    closes: time | None = None  # None with ``opens`` set means midnight at the end of the day ("24:00")
    working_days: frozenset[int] = frozenset(range(7))
    within_working_hours: float | None = None
    latest_hours: float | None = 24.0

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


def _clock(text: str, *, allow_24: bool = False) -> time | None:
    """``"HH:MM"`` -> :class:`time`; ``"24:00"`` (end of day) -> None when ``allow_24``."""
    hours, sep, minutes = str(text).partition(":")
    if not sep or not hours.isdigit() or not minutes.isdigit():
        raise ValueError(f"working hours must look like 09:00, not {text!r}")
    if allow_24 and (int(hours), int(minutes)) == (24, 0):
        return None
    return time(int(hours), int(minutes))


def _hours(raw, name: str) -> float | None:
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, (int, float)) or raw <= 0:
        raise ValueError(f"{name} must be a positive number of hours, not {raw!r}")
    return float(raw)


def _days(raw) -> frozenset[int]:
    if raw is None:
        return frozenset(range(7))
    days = frozenset(raw)
    if not days or not all(isinstance(d, int) and not isinstance(d, bool) and 0 <= d <= 6 for d in days):
        raise ValueError(f"working_days must be weekday numbers 0 (Monday) to 6, not {raw!r}")
    return days


def _window(raw) -> tuple[time | None, time | None]:
    if raw is None:
        return None, None
    if not isinstance(raw, (list, tuple)) or len(raw) != 2:
        raise ValueError(f"working_hours must be [opens, closes], not {raw!r}")
    opens, closes = _clock(raw[0]), _clock(raw[1], allow_24=True)
    if closes is not None and closes <= opens:
        raise ValueError("working hours must close after they open (overnight windows are not supported)")
    return opens, closes


def parse_rule(raw: dict | None) -> DeadlineRule:
    """Validate a rule dict (``None`` or ``{}`` -> :data:`DEFAULT_RULE`); raises ``ValueError``."""
    raw = dict(raw or DEFAULT_RULE)
    name = str(raw.get("timezone") or "UTC")
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {name!r}") from exc
    opens, closes = _window(raw.get("working_hours"))
    within = _hours(raw.get("within_working_hours"), "within_working_hours")
    latest = _hours(raw.get("latest_hours"), "latest_hours")
    if within is not None and opens is None:
        raise ValueError("within_working_hours needs working_hours")
    if within is None and latest is None:
        raise ValueError("a rule needs within_working_hours, latest_hours or both")
    return DeadlineRule(timezone=name, opens=opens, closes=closes, working_days=_days(raw.get("working_days")),
                        within_working_hours=within, latest_hours=latest)


def rule_for(channel_settings: dict | None) -> tuple[DeadlineRule, str | None]:
    """The rule of a channel and an error text; a broken rule falls back to the default (never raises)."""
    raw = (channel_settings or {}).get("deadline")
    try:
        return parse_rule(raw), None
    except (ValueError, TypeError) as exc:
        return parse_rule(None), f"invalid deadline rule ({exc}); using the default"


def _to_aware(naive_utc: datetime) -> datetime:
    return naive_utc.replace(tzinfo=_UTC) if naive_utc.tzinfo is None else naive_utc.astimezone(_UTC)


def _naive_utc(aware: datetime) -> datetime:
    return aware.astimezone(_UTC).replace(tzinfo=None)


def _window_on(day: date, rule: DeadlineRule) -> tuple[datetime, datetime]:
    """The working window of a local date as aware UTC datetimes (real elapsed time)."""
    zone = rule.zone
    start = datetime.combine(day, rule.opens, tzinfo=zone)
    end = (datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone) if rule.closes is None
           else datetime.combine(day, rule.closes, tzinfo=zone))
    return start.astimezone(_UTC), end.astimezone(_UTC)


def add_working_hours(start: datetime, hours: float, rule: DeadlineRule) -> datetime:
    """``start`` (naive UTC) plus ``hours`` counted only inside the rule's working windows (naive UTC)."""
    if rule.opens is None:
        raise ValueError("the rule has no working hours")
    cursor, left = _to_aware(start), timedelta(hours=hours)
    day = cursor.astimezone(rule.zone).date()
    for _ in range(_MAX_DAYS):
        if day.weekday() in rule.working_days:
            opens, closes = _window_on(day, rule)
            begin = max(cursor, opens)
            if begin < closes:
                if left <= closes - begin:
                    return _naive_utc(begin + left)
                left -= closes - begin
        day += timedelta(days=1)
    raise ValueError("working hours never add up (check working_days and working_hours)")


def deadline_for(created_at: datetime, rule: DeadlineRule) -> datetime:
    """The handling deadline (naive UTC) of an order created at ``created_at`` (naive UTC)."""
    limits = []
    if rule.within_working_hours is not None:
        limits.append(add_working_hours(created_at, rule.within_working_hours, rule))
    if rule.latest_hours is not None:
        limits.append(_naive_utc(_to_aware(created_at) + timedelta(hours=rule.latest_hours)))
    return min(limits)


def has_deadline(status: str) -> bool:
    """True while an order still has to be handled (not shipped, delivered, cancelled or returned)."""
    return status in OPEN_STATUSES


def local_time(naive_utc: datetime, rule: DeadlineRule) -> datetime:
    """A naive UTC time as an aware datetime in the rule's time zone (for labelled display)."""
    return _to_aware(naive_utc).astimezone(rule.zone)


def seconds_left(deadline: datetime, now: datetime) -> int:
    """Whole seconds until ``deadline`` (both naive UTC); negative once breached."""
    return int((deadline - now).total_seconds() // 1)


def describe_left(seconds: int) -> str:
    """``"in 1 h 05 min"`` / ``"overdue by 2 d 3 h"``: the text the countdown shows."""
    span = abs(seconds)
    days, rest = divmod(span, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        text = f"{days} d {hours} h"
    elif hours:
        text = f"{hours} h {minutes:02d} min"
    else:
        text = f"{minutes} min"
    return f"in {text}" if seconds >= 0 else f"overdue by {text}"


_DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _days_text(days: frozenset[int]) -> str:
    ordered = sorted(days)
    if ordered == list(range(ordered[0], ordered[-1] + 1)) and len(ordered) > 2:
        return f"{_DAY_NAMES[ordered[0]]}–{_DAY_NAMES[ordered[-1]]}"
    return ", ".join(_DAY_NAMES[d] for d in ordered)


def describe_rule(rule: DeadlineRule) -> str:
    """``"2 working hours (Mon–Fri 09:00–17:00 Europe/Warsaw), 24 h at the latest"``."""
    parts = []
    if rule.within_working_hours is not None:
        closes = rule.closes.strftime("%H:%M") if rule.closes else "24:00"
        parts.append(f"{rule.within_working_hours:g} working hours ({_days_text(rule.working_days)} "
                     f"{rule.opens.strftime('%H:%M')}–{closes} {rule.timezone})")
    if rule.latest_hours is not None:
        parts.append(f"{rule.latest_hours:g} h at the latest" if parts else f"{rule.latest_hours:g} h")
    return ", ".join(parts)
