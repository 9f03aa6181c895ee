"""The WooCommerce REST client against the sandbox over real HTTP: auth, typed errors, paging, batching."""

from __future__ import annotations

import http.server
import threading

import pytest
import requests

from connector.clients.woocommerce import NotAWooCommerceShop, WooCommerceClient, WooSettings
from connector.errors import AuthError, NotFound, TransientError
from tests.conftest import free_port
from tests.processes import CK, CS, start_sandbox


@pytest.fixture(scope="module")
def shop():
    proc, url = start_sandbox("--seed", "demo")
    yield url
    proc.stop()


def client(url: str, key: str = CK, secret: str = CS, timeout: float = 5) -> WooCommerceClient:
    return WooCommerceClient(WooSettings(url, key, secret, timeout=timeout))


def test_probe_accepts_good_keys_and_names_the_cause_otherwise(shop):
    client(shop).probe()
    with pytest.raises(AuthError, match="401"):
        client(shop, secret="cs_wrong").probe()
    with pytest.raises(TransientError, match="cannot connect"):
        client(f"http://127.0.0.1:{free_port()}").probe()


def test_a_site_that_is_not_woocommerce(tmp_path):
    class Html(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            self.send_response(404 if "wp-json" in self.path else 200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(b"<html>It works</html>")

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Html)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with pytest.raises(NotAWooCommerceShop):
            client(f"http://127.0.0.1:{server.server_port}").probe()
    finally:
        server.shutdown()


def test_unknown_order_is_not_found(shop):
    with pytest.raises(NotFound, match="woocommerce_rest_shop_order_invalid_id"):
        client(shop).get_order(999_999)


def test_batches_are_split_at_100_and_paging_reads_everything(shop):
    c = client(shop)
    created = requests.post(f"{shop}/wp-json/wc/v3/products/batch", params={"consumer_key": CK, "consumer_secret": CS},
                            headers={"X-Forwarded-Proto": "https"}, timeout=30,
                            json={"create": [{"name": f"Produkt {i}", "sku": f"BULK-{i}", "manage_stock": True,
                                              "stock_quantity": 1} for i in range(100)]}).json()["create"]
    created += requests.post(f"{shop}/wp-json/wc/v3/products/batch", params={"consumer_key": CK, "consumer_secret": CS},
                             headers={"X-Forwarded-Proto": "https"}, timeout=30,
                             json={"create": [{"name": f"Produkt {i}", "sku": f"BULK-{i}", "manage_stock": True,
                                               "stock_quantity": 1} for i in range(100, 130)]}).json()["create"]
    results = c.batch_update_stock(None, [{"id": p["id"], "manage_stock": True, "stock_quantity": 7} for p in created])
    assert len(results) == 130 and all(r["stock_quantity"] == 7 for r in results)
    everything = [p for page in c.iter_pages("products") for p in page]
    assert len(everything) >= 135
    items, total, pages = c.products_page(2, per_page=100)
    assert total == len(everything) and pages == 2 and items


def test_per_item_batch_errors_come_back_inside_the_200(shop):
    results = client(shop).batch_update_stock(None, [{"id": 987654, "manage_stock": True, "stock_quantity": 1}])
    assert results[0]["error"]["code"]
