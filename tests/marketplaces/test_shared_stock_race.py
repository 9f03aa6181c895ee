"""The proof of the shared stock: one SKU with 10 units, twenty buyers at the same moment on the shop and the four
marketplace sandboxes (four each). Real processes: five sandboxes, ``stockbridge web``, three workers and the
scheduler polling every marketplace each second.

Every channel showed 10 and accepted its four sales (each marketplace takes its own units at checkout);
the ledger grants exactly 10 units across all channels, every other order is flagged out of stock (the
marketplaces whose rule is to cancel are told so), and then every channel shows 0. The time it takes is
measured by ``benchmarks/marketplaces.py``, not asserted here.
"""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import create_engine, text

from tests.conftest import ADMIN_TOKEN, _truncate
from tests.marketplaces.stack import SharedStack, cli
from tests.processes import wait_for

SKU, UNITS, PER_CHANNEL = "TOR-ZDZB", 10, 4


def reader(database_url: str):
    url = database_url.replace("postgresql://", "postgresql+psycopg://")
    return create_engine(url) if "sqlite" not in url else create_engine(url, connect_args={"timeout": 30})


@pytest.fixture(scope="module")
def stack(database_url, redis_server, tmp_path_factory):
    from redis import Redis

    from workers import context

    with pytest.MonkeyPatch.context() as mp:
        _truncate(database_url)
        Redis.from_url(redis_server).flushdb()
        for name, value in (("DATABASE_URL", database_url), ("REDIS_URL", redis_server), ("ADMIN_TOKEN", ADMIN_TOKEN),
                            ("DATA_DIR", str(tmp_path_factory.mktemp("race")))):
            mp.setenv(f"STOCKBRIDGE_{name}", value)
        context.reset()
        running = SharedStack()
        try:
            yield running.start()
        finally:
            running.stop()
            context.reset()


def sku_orders(database_url: str) -> list:
    with reader(database_url).connect() as conn:
        return list(conn.execute(text(
            "SELECT o.id, c.name, o.status, o.flags, "
            "  (SELECT coalesce(sum(r.quantity), 0) FROM reservations r WHERE r.order_id = o.id AND r.sku = :sku "
            "   AND r.state = 'held') AS held, "
            "  (SELECT count(*) FROM alerts a WHERE a.order_id = o.id AND a.kind = 'out_of_stock') AS oos "
            "FROM orders o JOIN channels c ON c.id = o.channel_id JOIN order_lines l ON l.order_id = o.id "
            "WHERE l.sku = :sku"), {"sku": SKU}))


def ledger(database_url: str) -> tuple[int, int]:
    with reader(database_url).connect() as conn:
        return tuple(conn.execute(text("SELECT on_hand, reserved FROM stock_items WHERE sku = :sku"), {"sku": SKU}).one())


def test_ten_units_twenty_buyers_five_channels(stack, database_url):
    cli("stock", "set", SKU, str(UNITS))
    stack.wait_everywhere(SKU, UNITS)
    time.sleep(1.2)  # Ozon takes one update per pair per interval (1 s in this sandbox, 30 s at Ozon)
    channels = list(stack.urls) * PER_CHANNEL
    barrier, sold = threading.Barrier(len(channels)), []

    def shopper(channel: str) -> None:
        barrier.wait()
        sold.append((channel, stack.buy(channel, SKU)))

    threads = [threading.Thread(target=shopper, args=(c,)) for c in channels]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(sold) == sorted((c, True) for c in channels)  # each channel showed 10 and sold its four
    orders = wait_for(lambda: (rows := sku_orders(database_url)) and len(rows) == len(channels)
                      and all(r.held or r.oos for r in rows) and rows, timeout=60, interval=0.2, what="all 20 orders")
    assert sum(r.held for r in orders) == UNITS and ledger(database_url) == (UNITS, UNITS)
    assert sum(1 for r in orders if not r.held and r.oos) == len(channels) - UNITS  # every other one flagged
    assert {r.name for r in orders} == set(stack.urls)
    stack.wait_everywhere(SKU, 0, timeout=60)
    assert ledger(database_url) == (UNITS, UNITS)  # cancellations of the flagged orders gave nothing back
