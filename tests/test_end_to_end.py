"""End to end over real HTTP: the WooCommerce sandbox, ``stockbridge web`` (gunicorn), real workers,
a real Redis and database. Connect, import, orders reserve, figures flow back, oversell is flagged
with a note in the shop, dropped webhooks are caught up exactly once, a disabled webhook is revived."""

from __future__ import annotations


import pytest
import requests

from tests.conftest import ADMIN_TOKEN
from tests.helpers import cli
from tests.processes import CK, CS, start_sandbox, start_web, start_worker, wait_for

AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}




@pytest.fixture
def stack(env):
    procs = []
    try:
        sandbox, shop_url = start_sandbox("--seed", "demo")
        procs.append(sandbox)
        web, web_url = start_web()
        procs.append(web)
        procs.append(start_worker())
        cli("shop", "add", "shop1", "--url", shop_url, "--consumer-key", CK, "--consumer-secret", CS,
            "--webhook-secret", "unused-until-connect")
        yield {"shop": shop_url, "web": web_url}
    finally:
        for proc in procs:
            proc.stop()


def shop_stock(stack) -> dict:
    return requests.get(stack["shop"] + "/__sandbox__/stock", timeout=5).json()


def api(stack, path: str):
    return requests.get(stack["web"] + path, headers=AUTH, timeout=5)


def place(stack, lines, status="processing", **extra):
    response = requests.post(stack["shop"] + "/__sandbox__/orders",
                             json={"lines": lines, "status": status, **extra}, timeout=10)
    assert response.status_code == 201, response.text
    return response.json()


def flush(stack):
    requests.post(stack["shop"] + "/__sandbox__/flush", json={"timeout": 20}, timeout=30)


def test_connect_import_reserve_and_push_back(stack):
    out = cli("shop", "connect", "shop1", "--public-url", stack["web"]).stdout
    assert out.count(" created ") == 5 and "REST API keys accepted" in out
    assert cli("shop", "connect", "shop1", "--public-url", stack["web"]).stdout.count(" updated ") == 5  # re-run is safe
    hooks = requests.get(stack["shop"] + "/__sandbox__/webhooks", timeout=5).json()["webhooks"]
    assert len(hooks) == 5 and all(not h["pending_delivery"] for h in hooks)  # every ping answered 200

    assert "imported" in cli("catalog", "import", "shop1").stdout
    assert api(stack, "/api/stock/TOR-ZDZB").json()["on_hand"] == 3
    assert api(stack, "/api/stock/TSH-VYSH-L").json()["available"] == shop_stock(stack)["TSH-VYSH-L"]

    order = place(stack, [{"sku": "SWI-LAKA-180", "quantity": 2}], status="pending")  # shop does not reduce
    wait_for(lambda: api(stack, f"/api/orders/shop1/{order['id']}").status_code == 200, what="order processed")
    assert api(stack, f"/api/orders/shop1/{order['id']}").json()["reservations"][0]["state"] == "held"
    wait_for(lambda: shop_stock(stack)["SWI-LAKA-180"] == 10, what="figure 10 pushed to the shop")

    big = place(stack, [{"sku": "TOR-ZDZB", "quantity": 5}], allow_oversell=True)
    view = wait_for(lambda: (api(stack, f"/api/orders/shop1/{big['id']}").json()
                             if api(stack, f"/api/orders/shop1/{big['id']}").status_code == 200 else None),
                    what="oversold order processed")
    assert "out_of_stock:TOR-ZDZB" in view["flags"]

    def note_posted():
        notes = requests.get(f"{stack['shop']}/wp-json/wc/v3/orders/{big['id']}/notes",
                             params={"consumer_key": CK, "consumer_secret": CS},
                             headers={"X-Forwarded-Proto": "https"}, timeout=5).json()
        return [n for n in notes if n["note"].startswith("Stockbridge") and "TOR-ZDZB" in n["note"]]

    assert len(wait_for(note_posted, what="out-of-stock note in the shop")) == 1
    assert api(stack, "/api/stock/TOR-ZDZB").json()["available"] == 3  # never negative


def test_dropped_webhooks_are_caught_up_exactly_once(stack):
    cli("shop", "connect", "shop1", "--public-url", stack["web"])
    cli("catalog", "import", "shop1")
    requests.post(stack["shop"] + "/__sandbox__/drop", json={"count": 1000}, timeout=5)
    order = place(stack, [{"sku": "NOT-GES-A5", "quantity": 4}])
    flush(stack)
    assert api(stack, f"/api/orders/shop1/{order['id']}").status_code == 404
    out = cli("reconcile", "--no-drift").stdout
    assert "1 missed order states" in out
    wait_for(lambda: api(stack, f"/api/orders/shop1/{order['id']}").status_code == 200, what="caught-up order")
    cli("reconcile", "--no-drift")  # a second pass finds nothing new
    stock = api(stack, "/api/stock/NOT-GES-A5").json()
    assert (stock["on_hand"], stock["reserved"]) == (40, 4)
    events = [e for e in api(stack, "/api/events?channel=shop1").json() if e["resource_id"] == str(order["id"])]
    assert len([e for e in events if e["status"] == "processed"]) == 1


def test_disabled_webhook_is_re_enabled_with_an_alert(stack):
    cli("shop", "connect", "shop1", "--public-url", stack["web"])
    cli("catalog", "import", "shop1")
    requests.post(stack["shop"] + "/__sandbox__/fail", json={"status": 500, "count": 21}, timeout=5)  # 3 deliveries an order
    for _ in range(7):  # seven failed deliveries in a row disable a webhook (fact 7)
        place(stack, [{"sku": "KUB-ZOLC-330", "quantity": 1}])
        flush(stack)
    hooks = requests.get(stack["shop"] + "/__sandbox__/webhooks", timeout=5).json()["webhooks"]
    assert {h["topic"] for h in hooks if h["status"] == "disabled"} >= {"order.created", "order.updated"}
    cli("reconcile", "--no-drift")
    hooks = requests.get(stack["shop"] + "/__sandbox__/webhooks", timeout=5).json()["webhooks"]
    assert all(h["status"] == "active" for h in hooks)
    stock = wait_for(lambda: api(stack, "/api/stock/KUB-ZOLC-330").json()
                     if api(stack, "/api/stock/KUB-ZOLC-330").json()["reserved"] == 7 else None,
                     what="the 7 orders caught up")
    assert stock["reserved"] == 7
