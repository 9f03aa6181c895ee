"""A Prom.ua order through the whole pipeline, in process with real RQ workers: poll -> inbox -> reserve in the
one ledger -> every channel's figure (the WooCommerce sandbox shop and Prom) -> mirrored into the shop without
WooCommerce taking the units a second time -> the shop owner completes the mirror -> Prom hears about it.
"""

from __future__ import annotations

import pytest
import requests
from click.testing import CliRunner

from connector.cli import main as cli
from connector.db import transaction
from connector.views import order_view, stock_view
from sandbox.prom import create_app as prom_app
from sandbox.woocommerce import create_app as woo_app
from tests.helpers import SECRET, deliver, drain
from webhooks import create_app
from tests.marketplaces.conftest import serve
from workers.marketplace_poll import poll_channel

CK, CS, TOKEN = "ck_flow", "cs_flow", "prom-flow"
WOO = {"params": {"consumer_key": CK, "consumer_secret": CS}, "headers": {"X-Forwarded-Proto": "https"}, "timeout": 5}


def run(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture
def stack(env, engine):
    shop, prom = woo_app({"CONSUMER_KEY": CK, "CONSUMER_SECRET": CS, "SEED": "demo"}), prom_app({"TOKEN": TOKEN, "SEED": "demo"})
    with serve(shop) as shop_url, serve(prom) as prom_url:
        run("shop", "add", "shop1", "--url", shop_url, "--consumer-key", CK, "--consumer-secret", CS,
            "--webhook-secret", SECRET)
        run("catalog", "import", "shop1")
        run("channel", "add", "prom1", "--kind", "prom", "--url", prom_url + "/api/v1", "--credential", f"token={TOKEN}",
            "--mirror-to", "shop1")
        run("channel", "map", "prom1")
        drain()  # the mapped offers now show the ledger's figures
        yield {"shop": shop_url, "prom": prom_url}
    shop.extensions["wc_sandbox"].close()
    prom.extensions["prom_sandbox"].close()


def channel_id(engine, name: str) -> int:
    from connector.channels import by_name

    with transaction(engine) as session:
        return by_name(session, name).id


def shop_stock(stack) -> dict:
    return requests.get(stack["shop"] + "/__sandbox__/stock", timeout=5).json()


def prom_stock(stack) -> dict:
    return requests.get(stack["prom"] + "/__sandbox__/stock", timeout=5).json()


def test_mapping_reports_and_figures_flow_to_the_marketplace(stack, engine):
    with transaction(engine) as session:
        view = stock_view(session, "KUB-ZOLC-330")
    assert view["channels"]["prom1"]["figure"] == view["available"] == 25  # the shop's catalog is the count
    assert prom_stock(stack)["KUB-ZOLC-330"] == 25


def test_a_marketplace_order_reserves_pushes_everywhere_and_is_mirrored_once(stack, engine):
    order = requests.post(stack["prom"] + "/__sandbox__/orders", timeout=5,
                          json={"lines": [{"sku": "KUB-ZOLC-330", "quantity": 3}], "payment": "cod"}).json()
    assert prom_stock(stack)["KUB-ZOLC-330"] == 22  # Prom took its own units at checkout
    poll_channel(channel_id(engine, "prom1"))
    drain()
    with transaction(engine) as session:
        view = order_view(session, "prom1", str(order["_id"]))
        levels = stock_view(session, "KUB-ZOLC-330")
    assert view["status"] == "new" and view["reservations"][0]["quantity"] == 3
    assert (levels["on_hand"], levels["reserved"]) == (25, 3)
    assert shop_stock(stack)["KUB-ZOLC-330"] == 22 and prom_stock(stack)["KUB-ZOLC-330"] == 22
    mirrors = [o for o in requests.get(stack["shop"] + "/wp-json/wc/v3/orders", **WOO).json()
               if any(m["key"] == "_stockbridge_origin" for m in o["meta_data"])]
    assert len(mirrors) == 1 and mirrors[0]["status"] == "on-hold"
    fee = mirrors[0]["fee_lines"][0]
    assert "[KUB-ZOLC-330] × 3" in fee["name"] and mirrors[0]["billing"]["first_name"] and not mirrors[0]["line_items"]
    poll_channel(channel_id(engine, "prom1"))  # nothing new: no second mirror, no second reservation
    drain()
    assert shop_stock(stack)["KUB-ZOLC-330"] == 22


def test_the_owner_completing_the_mirror_ships_the_marketplace_order(stack, engine):
    order = requests.post(stack["prom"] + "/__sandbox__/orders", timeout=5,
                          json={"lines": [{"sku": "NOT-GES-A5", "quantity": 1}], "payment": "cod"}).json()
    poll_channel(channel_id(engine, "prom1"))
    drain()
    mirror = next(o for o in requests.get(stack["shop"] + "/wp-json/wc/v3/orders", **WOO).json()
                  if any(m["value"] == f"prom1:{order['_id']}" for m in o["meta_data"]))
    requests.put(f"{stack['shop']}/wp-json/wc/v3/orders/{mirror['id']}", json={"status": "completed"}, **WOO)
    body = requests.get(f"{stack['shop']}/wp-json/wc/v3/orders/{mirror['id']}", **WOO).json()
    deliver(create_app().test_client(), "shop1", "order.updated", body)  # the shop's webhook of the mirror
    drain()
    with transaction(engine) as session:
        assert order_view(session, "prom1", str(order["_id"]))["status"] == "shipped"
        levels = stock_view(session, "NOT-GES-A5")
    assert (levels["on_hand"], levels["reserved"]) == (39, 0)  # shipped: the unit left on hand
    assert shop_stock(stack)["NOT-GES-A5"] == 39  # the mirror's completion took nothing more from the shop


def test_a_cancelled_marketplace_order_cancels_the_mirror_without_giving_units_back_twice(stack, engine):
    order = requests.post(stack["prom"] + "/__sandbox__/orders", timeout=5,
                          json={"lines": [{"sku": "SWI-LAKA-180", "quantity": 2}], "payment": "cod"}).json()
    poll_channel(channel_id(engine, "prom1"))
    drain()
    assert shop_stock(stack)["SWI-LAKA-180"] == 10
    requests.post(f"{stack['prom']}/__sandbox__/orders/{order['_id']}/event", json={"action": "buyer_cancel"}, timeout=5)
    poll_channel(channel_id(engine, "prom1"))
    drain()
    with transaction(engine) as session:
        assert order_view(session, "prom1", str(order["_id"]))["status"] == "cancelled"
    mirror = next(o for o in requests.get(stack["shop"] + "/wp-json/wc/v3/orders", **WOO).json()
                  if any(m["value"] == f"prom1:{order['_id']}" for m in o["meta_data"]))
    assert mirror["status"] == "cancelled"
    assert shop_stock(stack)["SWI-LAKA-180"] == 12  # our figure back; WooCommerce restored nothing on its own
    notes = requests.get(f"{stack['shop']}/wp-json/wc/v3/orders/{mirror['id']}/notes", **WOO).json()
    assert not any("Stock levels" in n["note"] for n in notes), [n["note"] for n in notes]
