"""Prom.ua through its adapter against the Prom sandbox over real HTTP, with the real Redis and database.

Polls feed the inbox (a duplicate is stored once; a lost change is found by the sweep), pushes set the
marketplace's figure (per-item errors inside HTTP 200), status and TTN go back after reading the order,
and a 429 blocks the account for every worker.
"""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
import requests
from sqlalchemy import select

from connector.db import transaction
from connector.errors import RateLimited
from connector.marketplaces import StatusChange, StockPush
from connector.models import InboxEvent
from sandbox.prom import create_app
from tests.marketplaces.conftest import adapter_client, add_account, poll_context, serve

TOKEN = "prom-adapter-token"


@pytest.fixture
def prom(env):
    app = create_app({"TOKEN": TOKEN, "SEED": "demo", "HANG_SECONDS": 0.05})
    with serve(app) as url:
        yield url
    app.extensions["prom_sandbox"].close()


@pytest.fixture
def account(engine, prom):
    return add_account(engine, "prom1", "prom", prom + "/api/v1", {"token": TOKEN}, stock={"KUB-ZOLC-330": 10})


def control(prom: str, name: str, body: dict | None = None) -> dict:
    response = requests.post(f"{prom}/__sandbox__/{name}", json=body or {}, timeout=5)
    assert response.status_code < 300, response.text
    return response.json()


def buy(prom: str, sku: str, quantity: int = 1, payment: str = "cod") -> dict:
    return control(prom, "orders", {"lines": [{"sku": sku, "quantity": quantity}], "payment": payment})


def events(engine) -> list[InboxEvent]:
    with transaction(engine) as session:
        return list(session.scalars(select(InboxEvent).order_by(InboxEvent.id)))


def test_poll_feeds_each_order_state_once(engine, redis, prom, account):
    adapter, client = adapter_client(engine, redis, account)
    order = buy(prom, "KUB-ZOLC-330", 2)
    control(prom, "duplicate", {"count": 1})
    ctx = poll_context(engine, account)
    adapter.poll(client, ctx)
    assert ctx.stored == 1 and ctx.seen == 2  # the duplicate listing is stored once
    adapter.poll(client, poll_context(engine, account, ctx.checkpoint))
    assert [e.resource_id for e in events(engine)] == [str(order["_id"])]
    canon, paid = adapter.order(json.loads(events(engine)[0].body), SimpleNamespace(settings={}))
    assert canon.lines[0].quantity == 2 and canon.payment_method == "cod" and paid == "pending"


def test_a_lost_change_is_found_by_the_sweep(engine, redis, prom, account):
    adapter, client = adapter_client(engine, redis, account)
    order = buy(prom, "KUB-ZOLC-330")
    ctx = poll_context(engine, account)
    adapter.poll(client, ctx)
    control(prom, "lose", {"count": 1})
    requests.post(f"{prom}/__sandbox__/orders/{order['_id']}/event", json={"action": "buyer_cancel"}, timeout=5)
    later = poll_context(engine, account, {"modified": "2100-01-01T00:00:00"})  # a poll that cannot see it
    adapter.poll(client, later)
    assert later.stored == 0
    sweep = poll_context(engine, account, later.checkpoint)
    adapter.sweep(client, sweep)
    assert sweep.stored == 0  # cancelled orders are not open: the sweep goes over the open ones only
    adapter.poll(client, poll_context(engine, account, ctx.checkpoint))  # the overlap of a normal poll finds it
    assert [json.loads(e.body)["status"] for e in events(engine)] == ["pending", "canceled"]


def test_push_sets_the_figure_and_reports_unknown_products(engine, redis, prom, account):
    adapter, client = adapter_client(engine, redis, account)
    results = adapter.push(client, [StockPush(1, "KUB-ZOLC-330", "KUB-ZOLC-330", "", 4),
                                    StockPush(2, "NOPE", "NOPE", "", 3), StockPush(3, "TOR-ZDZB", "TOR-ZDZB", "", 0)])
    by_id = {r.listing_id: r for r in results}
    assert by_id[1].accepted and by_id[3].accepted and "NOPE" in by_id[2].error
    stock = requests.get(f"{prom}/__sandbox__/stock", timeout=5).json()
    assert stock["KUB-ZOLC-330"] == 4 and stock["TOR-ZDZB"] == 0
    assert stock["_detail"]["TOR-ZDZB"]["presence"] == "not_available"


def test_status_and_ttn_go_back_once(engine, redis, prom, account):
    adapter, client = adapter_client(engine, redis, account)
    oid = str(buy(prom, "KUB-ZOLC-330")["_id"])
    assert adapter.send(client, oid, StatusChange("confirmed")) == "/orders/set_status"
    assert adapter.send(client, oid, StatusChange("confirmed")) == "already so"
    packed = StatusChange("packed", "20450000000123", "novaposhta")
    assert adapter.send(client, oid, packed) == "/delivery/save_declaration_id"
    assert adapter.send(client, oid, packed) == "already so"
    assert adapter.send(client, oid, StatusChange("delivered")) == "/orders/set_status"
    sandbox_order = next(o for o in requests.get(f"{prom}/__sandbox__/orders", timeout=5).json()["orders"]
                         if str(o["id"]) == oid)
    assert sandbox_order["status"] == "delivered" and sandbox_order["declaration_number"] == "20450000000123"


def test_out_of_stock_cancel_uses_the_not_available_reason(engine, redis, prom, account):
    adapter, client = adapter_client(engine, redis, account)
    oid = str(buy(prom, "KUB-ZOLC-330")["_id"])
    adapter.send(client, oid, StatusChange("cancelled", reason="out_of_stock"))
    assert client.order(oid)["status"] == "canceled"
    assert client.order(oid)["cancellation"]["reason"] == "not_available"


def test_a_429_blocks_the_account_for_every_worker(engine, redis, prom, account):
    adapter, client = adapter_client(engine, redis, account)
    control(prom, "fail", {"status": 429, "count": 1, "retry_after": 30})
    with pytest.raises(RateLimited):
        client.orders()
    _, other_worker = adapter_client(engine, redis, account)
    with pytest.raises(RateLimited) as blocked:
        other_worker.orders()
    assert blocked.value.retry_after > 20
    assert redis.hget(f"sb:ratelimit:{account}", "state").decode().startswith("429")


def test_offers_for_the_mapping(engine, redis, prom, account):
    adapter, client = adapter_client(engine, redis, account)
    offers = {o.sku: o for o in adapter.offers(client)}
    assert {"KUB-ZOLC-330", "TSH-VYSH-L"} <= set(offers) and offers["KUB-ZOLC-330"].ref == "KUB-ZOLC-330"
