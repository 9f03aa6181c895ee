"""The sandbox clock: wall time (optionally shifted by ``POST /__sandbox__/clock``) and Rozetka's stamps.

Rozetka writes ``created``/``changed``/``last_update_status`` as ``"YYYY-MM-DD HH:MM:SS"`` in Kyiv local time
(Europe/Kyiv, no offset in the string) with second resolution; the search filters take the same format.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime
from zoneinfo import ZoneInfo

KYIV = ZoneInfo("Europe/Kyiv")
STAMP = "%Y-%m-%d %H:%M:%S"


class Clock:
    """Epoch seconds as the sandbox sees them; tokens, rate limits and order stamps all use it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._offset = 0.0

    def time(self) -> float:
        with self._lock:
            return time.time() + self._offset

    def seconds(self) -> int:
        """Whole seconds (Rozetka's resolution)."""
        return int(self.time())

    def shift(self, seconds: float) -> float:
        """Move the clock forward (or back) by ``seconds``; the new time."""
        with self._lock:
            self._offset += float(seconds)
        return self.time()

    def reset(self) -> None:
        with self._lock:
            self._offset = 0.0


def stamp(epoch: float | None) -> str | None:
    """``"2024-05-01 14:03:22"`` in Kyiv local time (None stays None)."""
    if epoch is None:
        return None
    return datetime.fromtimestamp(int(epoch), KYIV).strftime(STAMP)


def day(epoch: float) -> str:
    """``"2024-05-01"`` (Kyiv), e.g. a reserve date."""
    return datetime.fromtimestamp(int(epoch), KYIV).strftime("%Y-%m-%d")


def iso(epoch: float) -> str:
    """ISO 8601 with milliseconds and the Kyiv offset (the sandbox's own logs)."""
    return datetime.fromtimestamp(epoch, KYIV).isoformat(timespec="milliseconds")


def parse_stamp(text: str, end_of_day: bool = False) -> int:
    """Epoch seconds of a Kyiv ``"YYYY-MM-DD HH:MM:SS"`` (or ``"YYYY-MM-DD"`` [unv]: 00:00:00, or 23:59:59
    for a ``*_to`` bound). Raises ValueError on anything else."""
    text = text.strip()
    try:
        moment = datetime.strptime(text, STAMP)
    except ValueError:
        moment = datetime.strptime(text, "%Y-%m-%d")
        if end_of_day:
            moment = moment.replace(hour=23, minute=59, second=59)
    return int(moment.replace(tzinfo=KYIV).timestamp())
