"""Fixtures for the console tests: one seeded database per module (per backend) and login helpers.

Seeding goes through the real paths: shops and stock counts through the connector, orders as signed
WooCommerce deliveries drained by a real RQ worker (``tests.helpers``).
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from redis import Redis

from tests.conftest import ADMIN_TOKEN, _truncate
from tests.helpers import SECRET, deliver, drain, woo_order

SHOP = "sklep-1"
SHOP2 = "rozetka-ua"
SKU = "KUB-ZOLC-330"
XSS = "<script>alert(1)</script>"
XSS_UNKNOWN = '"><img src=x onerror=alert(2)>'
CONSOLE_PASSWORD = "hasło-konsoli-пароль"
WARSAW_RULE = {"timezone": "Europe/Warsaw", "working_hours": ["09:00", "17:00"], "working_days": [0, 1, 2, 3, 4],
               "within_working_hours": 2, "latest_hours": 24}
#: As ``stockbridge shop connect`` and the webhook check record them in ``channel.settings["webhooks"]``.
WEBHOOKS = {"order.created": {"id": 11, "status": "active", "checked_at": "2026-11-20T06:00:00Z"},
            "order.updated": {"id": 12, "status": "disabled", "checked_at": "2026-11-20T06:00:00Z"}}


def xss_order(order_id: int) -> dict:
    """An order whose buyer, item name and SKUs are script injections."""
    body = woo_order(order_id, "processing", [(XSS, 1), (XSS_UNKNOWN, 1)], name=f"{XSS} {XSS}")
    body["line_items"][0]["name"] = XSS
    body["billing"]["city"] = XSS
    return body


def bad_order(order_id: int) -> dict:
    """A signed, well-formed JSON body the schema rejects (``line_items`` must be a list)."""
    body = woo_order(order_id)
    body["line_items"] = "not a list"
    return body


def _seed_catalogue(engine) -> None:
    from connector import ledger
    from connector.channels import add_shop
    from connector.db import transaction
    from connector.deadlines import ROZETKA_RULE

    with transaction(engine) as session:
        add_shop(session, SHOP, url="http://127.0.0.1:9", consumer_key="ck", consumer_secret="cs",
                 webhook_secret=SECRET, settings={"deadline": WARSAW_RULE, "webhooks": WEBHOOKS})
        add_shop(session, SHOP2, url="http://127.0.0.1:9", consumer_key="ck", consumer_secret="cs",
                 webhook_secret=SECRET, settings={"deadline": ROZETKA_RULE})
        for sku, units in ((SKU, 25), (XSS, 5), ("ЧАШКА-Ї-1", 4)):
            ledger.set_on_hand(session, sku, units, ledger.Cause("stock count", note="counted by Jędrzej"))


def _seed_orders(client) -> None:
    deliver(client, SHOP, "order.created", woo_order(1042, "processing", [(SKU, 2)]))
    deliver(client, SHOP2, "order.created", woo_order(2001, "on-hold", [("ЧАШКА-Ї-1", 1)], name="Ґалина Їжачок"))
    deliver(client, SHOP, "order.created", woo_order(3001, "processing", [(SKU, 1)], name="Съешь Ещё"))
    deliver(client, SHOP, "order.created", woo_order(4001, "completed", [(SKU, 1)]))
    deliver(client, SHOP, "order.created", xss_order(666))
    deliver(client, SHOP, "order.created", bad_order(900))
    deliver(client, SHOP, "coupon.created", {"id": 5, "code": "ZNIŻKA"})  # an ignored topic
    drain()


def _place_orders(engine, overdue: str, days: int) -> None:
    """Every order placed just now, except ``overdue`` placed ``days`` ago (its deadline long past).

    The bodies carry a fixed ``date_created_gmt``; pinning the times to the clock keeps the
    deadlines (counted from ``placed_at``) independent of the day the tests run.
    """
    from sqlalchemy import update

    from connector.models import Order, utcnow

    now = utcnow()
    with engine.begin() as conn:
        conn.execute(update(Order).values(placed_at=now, created_at=now))
        conn.execute(update(Order).where(Order.external_id == overdue)
                     .values(placed_at=now - timedelta(days=days), created_at=now - timedelta(days=days)))


def seed(database_url: str) -> dict:
    """Shops, stock and orders (Polish, Ukrainian, Russian, hostile, rejected) on a clean database."""
    from connector.db import get_engine
    from webhooks import create_app

    engine = get_engine(database_url)
    _seed_catalogue(engine)
    _seed_orders(create_app().test_client())
    _place_orders(engine, overdue="1042", days=3)
    return {"engine": engine, "failed_event_id": failed_event_id(engine)}


def failed_event_id(engine) -> int:
    from sqlalchemy import select

    from connector.models import InboxEvent

    with engine.connect() as conn:
        return conn.execute(select(InboxEvent.id).where(InboxEvent.resource_id == "900")).scalar_one()


@pytest.fixture(scope="module")
def seeded(database_url, redis_server):
    """A seeded database and clean Redis shared by a module's read-mostly tests."""
    from workers import context

    with pytest.MonkeyPatch.context() as mp:
        _truncate(database_url)
        Redis.from_url(redis_server).flushdb()
        mp.setenv("STOCKBRIDGE_DATABASE_URL", database_url)
        mp.setenv("STOCKBRIDGE_REDIS_URL", redis_server)
        mp.setenv("STOCKBRIDGE_ADMIN_TOKEN", ADMIN_TOKEN)
        mp.setenv("STOCKBRIDGE_CONSOLE_PASSWORD", CONSOLE_PASSWORD)
        mp.delenv("STOCKBRIDGE_SECRET_KEY", raising=False)
        context.reset()
        data = seed(database_url)
        yield {**data, "database_url": database_url, "redis_url": redis_server}
        context.reset()


@pytest.fixture
def app(seeded):
    from webhooks import create_app

    return create_app()


@pytest.fixture
def client(app):
    return app.test_client()


CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_token(client, path: str = "/console/login") -> str:
    """The CSRF token a page's forms carry (the token is bound to the client's session cookie)."""
    found = CSRF_FIELD.search(client.get(path).get_data(as_text=True))
    assert found, f"no csrf_token field on {path}"
    return found.group(1)


def login(client, password: str = ADMIN_TOKEN):
    return client.post("/console/login", data={"password": password, "csrf_token": csrf_token(client)})


@pytest.fixture
def operator(client):
    """A test client logged in to the console with the admin token."""
    assert login(client).status_code == 302
    return client
