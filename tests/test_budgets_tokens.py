"""The shared request budget (Redis) and the one-refresh-at-a-time token store, with real Redis and databases."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest

from connector.db import transaction
from connector.errors import RateLimited
from connector.models import Channel, utcnow
from connector.ratelimit import Budget, RateGate
from connector.tokens import Grant, TokenStore
from tests.marketplaces.conftest import add_account


def test_budget_is_shared_by_every_gate_of_the_scope(redis):
    first = RateGate(redis, "test:shared", Budget(limit=3, window=60), max_wait=0.1)
    second = RateGate(redis, "test:shared", Budget(limit=3, window=60), max_wait=0.1)
    first.take()
    second.take()
    first.take()
    with pytest.raises(RateLimited) as refused:
        second.take()
    assert 59 < refused.value.retry_after <= 60


def test_a_short_wait_is_waited_out(redis):
    gate = RateGate(redis, "test:wait", Budget(limit=2, window=0.3), max_wait=2)
    started = time.monotonic()
    for _ in range(4):
        gate.take()
    assert time.monotonic() - started >= 0.25


def test_a_block_stops_everyone_and_is_reported(redis):
    gate = RateGate(redis, "test:block", Budget(limit=100, window=60, block=60), channel_id=7, max_wait=0.1)
    assert gate.block(None, "GET /orders") == 60
    with pytest.raises(RateLimited) as refused:
        RateGate(redis, "test:block", Budget(limit=100, window=60)).take()
    assert refused.value.retry_after > 55
    assert redis.hget("sb:ratelimit:7", "state").decode() == "429 from the marketplace: GET /orders"
    assert 55 < redis.ttl("sb:ratelimit:7") <= 61


def _expired(engine, channel_id: int) -> None:
    with transaction(engine) as session:
        channel = session.get(Channel, channel_id)
        channel.credentials = {**channel.credentials, "access_token": "old-access", "refresh_token": "r1",
                               "token_expires_at": (utcnow() - timedelta(minutes=1)).isoformat()}


def test_concurrent_refreshes_make_exactly_one_call_and_persist_the_pair(engine, redis):
    """Allegro rotates refresh tokens: two refreshes at once would kill one pair (pitfall 6)."""
    channel_id = add_account(engine, "mp1", "allegro", "http://127.0.0.1:9", {"client_id": "c"})
    _expired(engine, channel_id)
    calls = []

    def obtain(refresh_token):
        calls.append(refresh_token)
        time.sleep(0.2)  # the marketplace is slow: every other worker arrives meanwhile
        return Grant("new-access", expires_in=3600, refresh_token="r2")

    tokens, threads = [], []
    for _ in range(8):
        store = TokenStore(engine, redis, channel_id, obtain)
        threads.append(threading.Thread(target=lambda s=store: tokens.append(s.access_token())))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert calls == ["r1"] and tokens == ["new-access"] * 8
    with transaction(engine) as session:
        creds = session.get(Channel, channel_id).credentials
    assert creds["refresh_token"] == "r2" and creds["access_token"] == "new-access"


def test_a_refused_token_is_replaced_unless_another_worker_already_did(engine, redis):
    channel_id = add_account(engine, "mp2", "rozetka", "http://127.0.0.1:9", {"username": "u"})
    counter = iter(range(1, 100))
    store = TokenStore(engine, redis, channel_id, lambda _r: Grant(f"t{next(counter)}"))
    assert store.access_token() == "t1"
    assert store.refresh("t1") == "t2"  # t1 was refused: a new one
    assert store.refresh("t1") == "t2"  # a worker that also saw t1 refused takes t2, no second login
