"""End to end over real HTTP and real processes: the WooCommerce, Przelewy24 and PayU sandboxes,
``stockbridge web`` (gunicorn), a worker, Redis and the database. A pending shop order arrives by
webhook, the operator creates a payment link with the CLI, the buyer pays at the gateway sandbox, the
sandbox's signed notice reaches our receiver, we verify (P24) / read back (PayU), and the order is
paid in Stockbridge AND in the shop (processing, transaction id, private note), for both gateways."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest
import requests

from pay_support import P24_ACCOUNT, PAYU_ACCOUNT
from tests.conftest import ADMIN_TOKEN, free_port
from tests.helpers import cli
from tests.processes import CK, CS, Proc, start_sandbox, start_web, start_worker, wait_for, wait_http

AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
WOO = {"params": {"consumer_key": CK, "consumer_secret": CS}, "headers": {"X-Forwarded-Proto": "https"},
       "timeout": 5}




def start_gateway(module: str, *extra: str) -> tuple[Proc, str]:
    port = free_port()
    proc = Proc(["-m", module, "--port", str(port), *extra], name=module)
    url = f"http://127.0.0.1:{port}"
    wait_http(url + "/__sandbox__/notifications")
    return proc, url


@pytest.fixture
def stack(env, engine):
    from connector import ledger
    from connector.db import transaction

    procs = []
    try:
        shop, shop_url = start_sandbox("--seed", "demo")
        procs.append(shop)
        p24, p24_url = start_gateway("sandbox.przelewy24", "--merchant-id", str(P24_ACCOUNT["MERCHANT_ID"]),
                                     "--pos-id", str(P24_ACCOUNT["POS_ID"]), "--api-key", P24_ACCOUNT["API_KEY"],
                                     "--crc", P24_ACCOUNT["CRC"], "--time-scale", "0.01")
        procs.append(p24)
        payu, payu_url = start_gateway("sandbox.payu", "--pos-id", PAYU_ACCOUNT["POS_ID"], "--client-secret",
                                       PAYU_ACCOUNT["CLIENT_SECRET"], "--second-key", PAYU_ACCOUNT["SECOND_KEY"],
                                       "--time-scale", "0.001")
        procs.append(payu)
        web, web_url = start_web()
        procs.append(web)
        procs.append(start_worker("pay"))
        with transaction(engine) as session:
            ledger.set_on_hand(session, "KUB-ZOLC-330", 20, ledger.Cause("count"))
        yield {"shop": shop_url, "p24": p24_url, "payu": payu_url, "web": web_url}
    finally:
        for proc in reversed(procs):
            proc.stop()


def place_pending(stack) -> int:
    answer = requests.post(stack["shop"] + "/__sandbox__/orders", timeout=10,
                           json={"lines": [{"sku": "KUB-ZOLC-330", "quantity": 1}], "status": "pending"})
    assert answer.status_code == 201, answer.text
    order_id = answer.json()["id"]
    wait_for(lambda: requests.get(f"{stack['web']}/api/orders/shop1/{order_id}", headers=AUTH,
                                  timeout=5).status_code == 200, what="the order webhook processed")
    return order_id


def paid_everywhere(stack, order_id: int, transaction_id: str, gateway: str) -> None:
    def ours():
        view = requests.get(f"{stack['web']}/api/orders/shop1/{order_id}", headers=AUTH, timeout=5).json()
        return view if view["status"] == "paid" and view["payment_status"] == "paid" else None

    def in_shop():
        order = requests.get(f"{stack['shop']}/wp-json/wc/v3/orders/{order_id}", **WOO).json()
        notes = requests.get(f"{stack['shop']}/wp-json/wc/v3/orders/{order_id}/notes", **WOO).json()
        ours_ = [n for n in notes if n["note"].startswith("Stockbridge: payment") and gateway in n["note"]]
        return (order, ours_) if order["status"] == "processing" and ours_ else None

    view = wait_for(ours, timeout=20, what=f"{gateway}: order paid in Stockbridge")
    assert all(r["expires_at"] is None for r in view["reservations"])
    order, notes = wait_for(in_shop, timeout=20, what=f"{gateway}: order paid in the shop")
    assert order["transaction_id"] == transaction_id and order["date_paid_gmt"]
    assert len(notes) == 1 and notes[0]["customer_note"] is False and transaction_id in notes[0]["note"]


def test_paid_order_reaches_paid_in_woocommerce_and_stockbridge_for_both_gateways(stack):
    assert "created" in cli("shop", "connect", "shop1", "--public-url", stack["web"], "--url", stack["shop"],
                            "--consumer-key", CK, "--consumer-secret", CS).stdout
    cli("pay", "setup", "shop1", "--gateway", "p24", "--merchant-id", str(P24_ACCOUNT["MERCHANT_ID"]),
        "--pos-id", str(P24_ACCOUNT["POS_ID"]), "--api-key", P24_ACCOUNT["API_KEY"], "--crc", P24_ACCOUNT["CRC"],
        "--url", stack["p24"])
    cli("pay", "setup", "shop1", "--gateway", "payu", "--pos-id", PAYU_ACCOUNT["POS_ID"], "--client-secret",
        PAYU_ACCOUNT["CLIENT_SECRET"], "--second-key", PAYU_ACCOUNT["SECOND_KEY"], "--url", stack["payu"])
    first, second = place_pending(stack), place_pending(stack)

    link = cli("pay", "link", "shop1", str(first), "--gateway", "p24").stdout.strip()
    assert link.startswith(stack["p24"] + "/trnRequest/")
    paid = requests.post(stack["p24"] + "/__sandbox__/pay", json={"token": link.rsplit("/", 1)[1]}, timeout=10).json()
    assert paid["notification"] is True and paid["orderId"] > 2**32
    paid_everywhere(stack, first, str(paid["orderId"]), "Przelewy24")
    [tx] = [t for t in requests.get(stack["p24"] + "/__sandbox__/transactions", timeout=5).json()["transactions"]
            if t["sessionId"] == paid["sessionId"]]
    assert tx["status"] == 2                                               # verified: P24 stops re-sending

    link = cli("pay", "link", "shop1", str(second), "--gateway", "payu").stdout.strip()
    payu_order = parse_qs(urlparse(link).query)["orderId"][0]
    answer = requests.post(stack["payu"] + "/__sandbox__/pay", json={"orderId": payu_order}, timeout=10).json()
    assert answer["statuses"] == ["PENDING", "COMPLETED"]
    paid_everywhere(stack, second, payu_order, "PayU")
    listed = cli("pay", "list", "--status", "paid").stdout
    assert f"{first}-p24-" in listed and f"{second}-payu-" in listed
