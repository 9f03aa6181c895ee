"""One request budget per marketplace account, shared by every worker on every host (Redis).

Marketplaces count requests per account, not per process: Allegro allows 9,000 requests a minute per
Client_ID and, past that, blocks the whole application (every seller using it) for a minute, without
any remaining-quota header (``reference/marketplaces.md`` 1.5, pitfall 8); Ozon allows 50 requests a
second per Client-Id and 80 stock updates a minute. So the budget lives in Redis: a sliding window of
request times per ``scope`` (an atomic Lua script), plus a block that a 429 sets for everyone.

:meth:`RateGate.take` is called before each request. It waits when the budget frees up within
``max_wait`` seconds and otherwise raises :class:`connector.errors.RateLimited` with the time to wait,
so the job is retried later instead of holding a worker. The console reads the human-readable state
under ``sb:ratelimit:<channel id>``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from connector.errors import RateLimited

#: KEYS: window zset, block key. ARGV: now, window seconds, limit, cost, member prefix.
#: Returns 0 when the request may go, else the seconds to wait (as a string, Lua numbers are truncated).
_TAKE = """
local blocked = redis.call('PTTL', KEYS[2])
if blocked > 0 then return tostring(blocked / 1000) end
local now, window, limit, cost = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local used = redis.call('ZCARD', KEYS[1])
if used + cost > limit then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return tostring(math.max(tonumber(oldest[2]) + window - now, 0.001))
end
for i = 1, cost do redis.call('ZADD', KEYS[1], now, ARGV[5] .. ':' .. i) end
redis.call('PEXPIRE', KEYS[1], math.ceil(window * 1000) + 1000)
return '0'
"""


@dataclass(frozen=True)
class Budget:
    """``limit`` requests per ``window`` seconds; ``block`` seconds after a 429 that names no Retry-After."""

    limit: int
    window: float
    block: float = 60.0


class RateGate:
    """The shared budget of one account (``scope``), reported on the console for ``channel_id``."""

    def __init__(self, redis, scope: str, budget: Budget, *, channel_id: int | None = None, max_wait: float = 2.0):
        self.redis, self.scope, self.budget = redis, scope, budget
        self.channel_id, self.max_wait = channel_id, max_wait
        self._take = redis.register_script(_TAKE)

    @property
    def _keys(self) -> list[str]:
        return [f"sb:budget:{self.scope}", f"sb:budget:{self.scope}:block"]

    def take(self, cost: int = 1) -> None:
        """Spend ``cost`` requests now, waiting up to ``max_wait``; RateLimited when the wait would be longer."""
        deadline = time.monotonic() + self.max_wait
        while True:
            now = time.time()
            wait = float(self._take(keys=self._keys, args=[now, self.budget.window, self.budget.limit, cost,
                                                          f"{now:.6f}-{id(self)}"]))
            if wait <= 0:
                return
            if time.monotonic() + wait > deadline:
                raise self._refusal(wait)
            time.sleep(wait)

    def _refusal(self, wait: float) -> RateLimited:
        if self.blocked_for() > 0:  # a 429 blocked the account: its report stays as it is
            return RateLimited(f"{self.scope}: blocked after a 429; retry in {wait:.1f} s", retry_after=wait)
        self._report(f"budget of {self.budget.limit} requests per {self.budget.window:g} s used up", wait)
        return RateLimited(f"{self.scope}: request budget used up; retry in {wait:.1f} s", retry_after=wait)

    def block(self, seconds: float | None, reason: str) -> float:
        """The remote side answered 429: nobody sends on this account for ``seconds`` (default: the budget's)."""
        seconds = float(seconds) if seconds and seconds > 0 else self.budget.block
        self.redis.set(self._keys[1], reason[:200], px=int(seconds * 1000))
        self._report(f"429 from the marketplace: {reason[:200]}", seconds)
        return seconds

    def blocked_for(self) -> float:
        """Seconds the account stays blocked (0 when it is not)."""
        ttl = self.redis.pttl(self._keys[1])
        return ttl / 1000 if ttl and ttl > 0 else 0.0

    def _report(self, state: str, seconds: float) -> None:
        if self.channel_id is None:
            return
        key = f"sb:ratelimit:{self.channel_id}"
        self.redis.hset(key, mapping={"state": state, "scope": self.scope,
                                      "until": time.strftime("%H:%M:%S", time.gmtime(time.time() + seconds)) + " UTC"})
        self.redis.expire(key, max(int(seconds) + 1, 1))
