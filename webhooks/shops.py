"""Shop look-up for receivers: a few seconds of per-process cache keeps the ack path to one write.

The cache only saves a read; a shop added or a secret rotated is seen within ``TTL`` seconds, and
nothing here is needed for correctness.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.engine import Engine

from connector.models import Channel

TTL = 5.0


@dataclass(frozen=True)
class ShopKey:
    id: int
    name: str
    kind: str
    webhook_secret: str


class ShopDirectory:
    def __init__(self, engine: Engine):
        self.engine = engine
        self._cache: dict[str, tuple[float, ShopKey | None]] = {}
        self._lock = threading.Lock()

    def get(self, name: str) -> ShopKey | None:
        now = time.monotonic()
        with self._lock:
            hit = self._cache.get(name)
        if hit and now - hit[0] < TTL:
            return hit[1]
        shop = self._load(name)
        with self._lock:
            self._cache[name] = (now, shop)
        return shop

    def _load(self, name: str) -> ShopKey | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(Channel.id, Channel.name, Channel.kind, Channel.credentials)
                               .where(Channel.name == name)).first()
            conn.rollback()
        if row is None:
            return None
        return ShopKey(row.id, row.name, row.kind, (row.credentials or {}).get("webhook_secret", ""))
