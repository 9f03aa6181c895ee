"""The WooCommerce sandbox behaves like WooCommerce, over real HTTP.

The sandbox runs as a werkzeug server on a free port; a tiny receiver
records every webhook request (headers and raw body).  Signatures and
OAuth are checked with code written here, independently of the sandbox.
Deterministic: every wait is ``POST /__sandbox__/flush``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import quote

import pytest
import requests
import woocommerce
from werkzeug.serving import make_server

from sandbox.woocommerce import create_app
from sandbox.woocommerce.urlcheck import is_safe_url

CK, CS = "ck_test_0123456789", "cs_test_9876543210"


# ----------------------------------------------------------------------
# infrastructure
# ----------------------------------------------------------------------
class Receiver:
    """An HTTP endpoint that records requests; per-path status codes."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.statuses: dict[str, int] = {}
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server API
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver.lock:
                    receiver.requests.append({"path": self.path, "headers": dict(self.headers.items()),
                                              "body": body})
                    status = receiver.statuses.get(self.path, 200)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def deliveries(self, topic: str | None = None) -> list[dict]:
        with self.lock:
            found = [r for r in self.requests if "X-WC-Webhook-Topic" in r["headers"]]
        return [r for r in found if topic is None or r["headers"]["X-WC-Webhook-Topic"] == topic]

    def pings(self) -> list[dict]:
        with self.lock:
            return [r for r in self.requests if "X-WC-Webhook-Topic" not in r["headers"]]

    def clear(self) -> None:
        with self.lock:
            self.requests.clear()
            self.statuses.clear()


@pytest.fixture(scope="module")
def receiver():
    recv = Receiver()
    yield recv
    recv.server.shutdown()


@pytest.fixture(scope="module")
def shop_url():
    holder: dict = {}
    server = make_server("127.0.0.1", 0, lambda env, start: holder["app"](env, start), threaded=True)
    base = f"http://127.0.0.1:{server.server_port}"
    holder["app"] = create_app({"HOME_URL": base + "/", "CONSUMER_KEY": CK, "CONSUMER_SECRET": CS,
                                "SEED": "demo"})
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield base
    server.shutdown()
    holder["app"].extensions["wc_sandbox"].close()


@pytest.fixture(autouse=True)
def fresh(shop_url, receiver):
    assert requests.post(f"{shop_url}/__sandbox__/reset", json={}).json()["ok"]
    receiver.clear()


@pytest.fixture
def api(shop_url):
    return woocommerce.API(shop_url, CK, CS, version="wc/v3")


def control(shop_url: str, name: str, payload: dict | None = None) -> dict:
    response = requests.post(f"{shop_url}/__sandbox__/{name}", json=payload or {}, timeout=40)
    assert response.status_code in (200, 201), response.text
    return response.json()


def flush(shop_url: str) -> None:
    assert control(shop_url, "flush")["flushed"]


def hook(api, receiver, topic: str, secret: str | None = None, path: str | None = None) -> dict:
    data = {"name": topic, "topic": topic, "delivery_url": f"{receiver.url}{path or '/hook/' + topic}"}
    if secret:
        data["secret"] = secret
    response = api.post("webhooks", data)
    assert response.status_code == 201, response.text
    return response.json()


def sign_check(secret: str, raw: bytes, header: str) -> bool:
    expected = base64.b64encode(hmac.new(secret.encode(), raw, hashlib.sha256).digest()).decode()
    return hmac.compare_digest(expected, header)


def sku_id(api, sku: str) -> int:
    return api.get("products", params={"sku": sku}).json()[0]["id"]


# ----------------------------------------------------------------------
# authentication
# ----------------------------------------------------------------------
def test_python_client_oauth1_works_and_params_appended_twice_are_harmless(api):
    response = api.get("products", params={"per_page": 2, "orderby": "id", "order": "asc"})
    assert response.status_code == 200, response.text
    assert response.request.url.count("per_page=2") == 2  # the client's quirk (fact 33)
    assert [p["sku"] for p in response.json()] == ["KUB-ZOLC-330", "SWI-LAKA-180"]


def test_wrong_secret_and_wrong_key_get_401(shop_url):
    bad_secret = woocommerce.API(shop_url, CK, "cs_wrong", version="wc/v3").get("orders")
    assert bad_secret.status_code == 401
    assert bad_secret.json() == {"code": "woocommerce_rest_authentication_error",
                                 "message": "Invalid signature - provided signature does not match.",
                                 "data": {"status": 401}}
    bad_key = woocommerce.API(shop_url, "ck_nope", CS, version="wc/v3").get("orders")
    assert bad_key.status_code == 401
    assert bad_key.json()["message"] == "Consumer key is invalid."


def _oauth_header(method: str, url: str, secret: str, algo: str = "HMAC-SHA1") -> str:
    """An independent OAuth 1.0a (RFC 5849) signer using the Authorization header."""
    params = {"oauth_consumer_key": CK, "oauth_nonce": secrets.token_hex(16),
              "oauth_signature_method": algo, "oauth_timestamp": str(int(time.time())),
              "oauth_version": "1.0"}
    enc = lambda s: quote(s, safe="~")  # noqa: E731
    normalized = "&".join(f"{enc(k)}={enc(v)}" for k, v in sorted(params.items()))
    base = "&".join([method, enc(url), enc(normalized)])
    digest = hashlib.sha1 if algo == "HMAC-SHA1" else hashlib.sha256
    params["oauth_signature"] = base64.b64encode(
        hmac.new(f"{secret}&".encode(), base.encode(), digest).digest()).decode()
    return "OAuth " + ", ".join(f'{k}="{enc(v)}"' for k, v in params.items())


def test_oauth_header_hmac_sha1_and_nonce_replay(shop_url, api):
    url = f"{shop_url}/wp-json/wc/v3/webhooks"
    header = _oauth_header("GET", url, CS)
    assert requests.get(url, headers={"Authorization": header}).status_code == 200
    replay = requests.get(url, headers={"Authorization": header})
    assert replay.status_code == 401
    assert replay.json()["message"] == "Invalid nonce - nonce has already been used."
    signed = api.get("webhooks")
    assert requests.get(signed.request.url).json()["message"].startswith("Invalid nonce")


def test_basic_auth_is_ignored_over_http_but_works_behind_https(shop_url):
    url = f"{shop_url}/wp-json/wc/v3/orders"
    plain = requests.get(url, auth=(CK, CS))
    assert plain.status_code == 401
    assert plain.json()["code"] == "woocommerce_rest_cannot_view"
    https = {"X-Forwarded-Proto": "https"}
    assert requests.get(url, auth=(CK, CS), headers=https).status_code == 200
    assert requests.get(url, params={"consumer_key": CK, "consumer_secret": CS}, headers=https).status_code == 200
    wrong = requests.get(url, auth=(CK, "nope"), headers=https)
    assert wrong.status_code == 401
    assert wrong.json()["message"] == "Consumer secret is invalid."
    assert wrong.headers["WWW-Authenticate"].startswith("Basic realm=")


# ----------------------------------------------------------------------
# REST behaviour
# ----------------------------------------------------------------------
def test_pagination_headers_and_limits(api, shop_url):
    first = api.get("products", params={"per_page": 2, "page": 1})
    assert first.headers["X-WP-Total"] == "6" and first.headers["X-WP-TotalPages"] == "3"
    assert 'rel="next"' in first.headers["Link"] and 'rel="prev"' not in first.headers["Link"]
    assert "page=2" in first.links["next"]["url"] and "oauth_signature" in first.links["next"]["url"]
    middle = api.get("products", params={"per_page": 2, "page": 2})
    assert {"next", "prev"} <= set(middle.links)
    assert api.get("products", params={"per_page": 101}).json()["code"] == "rest_invalid_param"
    variation = api.get("products", params={"sku": "TSH-VYSH-M"}).json()
    assert [(v["type"], v["name"]) for v in variation] == [("variation", "Футболка «Вишиванка» - M")]


def test_batch_limit_and_per_item_errors(api):
    kubek = sku_id(api, "KUB-ZOLC-330")
    too_many = api.post("products/batch", {"update": [{"id": kubek, "stock_quantity": 1}] * 101})
    assert too_many.status_code == 413
    assert too_many.json() == {"code": "woocommerce_rest_request_entity_too_large",
                               "message": "Unable to accept more than 100 items for this request.",
                               "data": {"status": 413}}
    mixed = api.post("products/batch", {"update": [{"id": kubek, "stock_quantity": 7}, {"id": 99999}]})
    assert mixed.status_code == 200
    ok, failed = mixed.json()["update"]
    assert ok["stock_quantity"] == 7
    assert failed == {"id": 99999, "error": {"code": "woocommerce_rest_product_invalid_id",
                                             "message": "Invalid ID.", "data": {"status": 400}}}
    parent = sku_id(api, "TSH-VYSH")
    assert api.post(f"products/{parent}/variations/batch",
                    {"delete": list(range(60)), "update": [{"id": 1}] * 41}).status_code == 413


def test_unknown_order_is_404_and_invalid_stock_is_400(api):
    assert api.get("orders/424242").json() == {"code": "woocommerce_rest_shop_order_invalid_id",
                                               "message": "Invalid ID.", "data": {"status": 404}}
    bad = api.put(f"products/{sku_id(api, 'KUB-ZOLC-330')}", {"stock_quantity": "lots"})
    assert bad.status_code == 400
    assert bad.json()["data"]["params"] == {"stock_quantity": "stock_quantity is not of type integer."}


def test_meta_data_merge_and_notes(api):
    order = api.post("orders", {"line_items": [{"sku": "NOT-GES-A5", "quantity": 1}],
                                "meta_data": [{"key": "nip", "value": "7251234567"}]}).json()
    updated = api.put(f"orders/{order['id']}", {"meta_data": [
        {"key": "_tracking_number", "value": "602345678901234567890123"},
        {"key": "nip", "value": "1111111111"}]}).json()
    assert {m["key"]: m["value"] for m in updated["meta_data"]} == {
        "_tracking_number": "602345678901234567890123", "nip": "1111111111"}
    note = api.post(f"orders/{order['id']}/notes", {"note": "Paczka nadana", "customer_note": True})
    assert note.status_code == 201
    assert {k: note.json()[k] for k in ("author", "note", "customer_note")} == {
        "author": "WooCommerce", "note": "Paczka nadana", "customer_note": True}
    assert set(note.json()["_links"]) == {"self", "collection", "up"}


# ----------------------------------------------------------------------
# webhooks
# ----------------------------------------------------------------------
def test_ping_on_create_is_form_encoded_and_unsigned(api, receiver, shop_url):
    created = hook(api, receiver, "order.created")
    assert created["status"] == "active" and "secret" not in created
    [ping] = receiver.pings()
    assert ping["body"] == f"webhook_id={created['id']}".encode()
    assert ping["headers"]["Content-Type"] == "application/x-www-form-urlencoded"
    assert ping["headers"]["User-Agent"] == "WooCommerce/9.4.0 Hookshot (WordPress/6.5.5)"
    assert not [h for h in ping["headers"] if h.lower().startswith("x-wc-")]
    internals = requests.get(f"{shop_url}/__sandbox__/webhooks").json()["webhooks"][0]
    assert internals["pending_delivery"] is False and internals["api_version"] == "wp_api_v3"


def test_order_create_sends_signed_created_and_updated_twins(api, receiver, shop_url):
    hook(api, receiver, "order.created", secret="s3cret-created")
    hook(api, receiver, "order.updated", secret="s3cret-updated")
    order = api.post("orders", {"line_items": [{"sku": "KUB-ZOLC-330", "quantity": 1}],
                                "billing": {"first_name": "Олена", "last_name": "Ковальчук"}}).json()
    flush(shop_url)
    created, updated = receiver.deliveries("order.created"), receiver.deliveries("order.updated")
    assert len(created) == 1 and len(updated) == 1
    for delivery, secret in ((created[0], "s3cret-created"), (updated[0], "s3cret-updated")):
        headers, raw = delivery["headers"], delivery["body"]
        assert sign_check(secret, raw, headers["X-WC-Webhook-Signature"])
        assert headers["Content-Type"] == "application/json"
        assert headers["X-WC-Webhook-Source"] == shop_url + "/"
        assert headers["X-WC-Webhook-Resource"] == "order"
        assert re.fullmatch(r"[0-9a-f]{32}", headers["X-WC-Webhook-Delivery-ID"])
        assert json.loads(raw)["id"] == order["id"]
    assert not sign_check("s3cret-updated", created[0]["body"], created[0]["headers"]["X-WC-Webhook-Signature"])


def test_non_ascii_and_slashes_are_escaped_php_style(api, receiver, shop_url):
    hook(api, receiver, "product.created", secret="k")
    api.post("products", {"name": "Łódź/Київ „Żółć”", "regular_price": "10.00", "sku": "LODZ-1"})
    flush(shop_url)
    [delivery] = receiver.deliveries("product.created")
    raw = delivery["body"]
    assert raw.isascii()
    assert b'"name":"\\u0141\\u00f3d\\u017a\\/\\u041a\\u0438\\u0457\\u0432 \\u201e\\u017b\\u00f3\\u0142\\u0107\\u201d"' in raw
    assert json.dumps(json.loads(raw), separators=(",", ":")).encode() != raw
    assert sign_check("k", raw, delivery["headers"]["X-WC-Webhook-Signature"])


def test_seven_failures_disable_the_webhook_and_pings_follow_while_pending(api, receiver, shop_url):
    receiver.statuses["/broken"] = 500
    webhook = hook(api, receiver, "product.updated", path="/broken")
    kubek = sku_id(api, "KUB-ZOLC-330")
    for quantity in range(1, 9):
        api.put(f"products/{kubek}", {"stock_quantity": quantity})
        flush(shop_url)
    internals = requests.get(f"{shop_url}/__sandbox__/webhooks").json()["webhooks"][0]
    assert internals["status"] == "disabled" and internals["failure_count"] == 6
    assert len(receiver.deliveries("product.updated")) == 7  # the 8th change queued nothing
    assert len(receiver.pings()) == 1 + 6  # creation ping, then one after each delivery while active
    assert api.get(f"webhooks/{webhook['id']}").json()["status"] == "disabled"


def test_dropped_deliveries_count_as_failures(api, receiver, shop_url):
    hook(api, receiver, "product.updated")
    control(shop_url, "drop", {"count": 2})
    kubek = sku_id(api, "KUB-ZOLC-330")
    for quantity in (1, 2, 3):
        api.put(f"products/{kubek}", {"stock_quantity": quantity})
        flush(shop_url)
    log = requests.get(f"{shop_url}/__sandbox__/deliveries", params={"kind": "delivery"}).json()["deliveries"]
    assert [entry["dropped"] for entry in log] == [True, True, False]
    assert len(receiver.deliveries()) == 1
    assert json.loads(receiver.deliveries()[0]["body"])["stock_quantity"] == 3


def test_deleted_body_is_id_only_and_force_delete_is_silent(api, receiver, shop_url):
    hook(api, receiver, "order.deleted", secret="del")
    first = api.post("orders", {"line_items": [{"sku": "TOR-ZDZB", "quantity": 1}]}).json()
    second = api.post("orders", {"line_items": [{"sku": "TOR-ZDZB", "quantity": 1}]}).json()
    trashed = api.delete(f"orders/{first['id']}").json()
    assert trashed["status"] == "pending"  # the order as it was
    assert api.get(f"orders/{first['id']}").json()["status"] == "trash"
    assert api.delete(f"orders/{second['id']}", params={"force": "true"}).status_code == 200
    flush(shop_url)
    [delivery] = receiver.deliveries("order.deleted")
    assert delivery["body"] == f'{{"id":{first["id"]}}}'.encode()
    assert sign_check("del", delivery["body"], delivery["headers"]["X-WC-Webhook-Signature"])


def test_stock_reduced_on_processing_restored_on_cancel(api, receiver, shop_url):
    hook(api, receiver, "product.updated")
    variation = sku_id(api, "TSH-VYSH-S")
    order = api.post("orders", {"line_items": [{"sku": "TSH-VYSH-S", "quantity": 3}]}).json()
    flush(shop_url)
    assert requests.get(f"{shop_url}/__sandbox__/stock").json()["TSH-VYSH-S"] == 8  # pending: untouched
    assert receiver.deliveries() == []
    processing = api.put(f"orders/{order['id']}", {"status": "processing"}).json()
    assert {"key": "_reduced_stock", "value": "3"}.items() <= processing["line_items"][0]["meta_data"][-1].items()
    flush(shop_url)
    assert requests.get(f"{shop_url}/__sandbox__/stock").json()["TSH-VYSH-S"] == 5
    [reduced] = receiver.deliveries("product.updated")
    body = json.loads(reduced["body"])
    assert (body["id"], body["type"], body["stock_quantity"]) == (variation, "variation", 5)
    assert body["parent_id"] == sku_id(api, "TSH-VYSH")
    api.put(f"orders/{order['id']}", {"status": "cancelled"})
    flush(shop_url)
    assert requests.get(f"{shop_url}/__sandbox__/stock").json()["TSH-VYSH-S"] == 8
    assert [json.loads(d["body"])["stock_quantity"] for d in receiver.deliveries()] == [5, 8]
    notes = [n["note"] for n in api.get(f"orders/{order['id']}/notes").json()]
    assert any(n.startswith("Stock levels increased:") for n in notes)


def test_payload_is_built_at_send_time_and_changes_coalesce(api, receiver, shop_url):
    hook(api, receiver, "order.updated")
    control(shop_url, "hold", {"hold": True})
    order = api.post("orders", {"line_items": [{"sku": "SWI-LAKA-180", "quantity": 1}]}).json()
    api.put(f"orders/{order['id']}", {"set_paid": True, "transaction_id": "P24-1"})
    api.put(f"orders/{order['id']}", {"meta_data": [{"key": "_tracking_number", "value": "X1"}]})
    control(shop_url, "hold", {"hold": False})
    flush(shop_url)
    [delivery] = receiver.deliveries("order.updated")
    body = json.loads(delivery["body"])
    assert body["status"] == "processing" and body["transaction_id"] == "P24-1"
    assert body["meta_data"][0]["key"] == "_tracking_number"


def test_checkout_control_endpoint(api, receiver, shop_url):
    hook(api, receiver, "order.created")
    placed = requests.post(f"{shop_url}/__sandbox__/orders",
                           json={"lines": [{"sku": "TOR-ZDZB", "quantity": 2}], "status": "processing"})
    assert placed.status_code == 201
    assert placed.json()["created_via"] == "checkout" and placed.json()["date_paid"]
    short = requests.post(f"{shop_url}/__sandbox__/orders", json={"lines": [{"sku": "TOR-ZDZB", "quantity": 2}]})
    assert short.status_code == 409
    flush(shop_url)
    assert json.loads(receiver.deliveries("order.created")[0]["body"])["status"] == "processing"
    assert requests.get(f"{shop_url}/__sandbox__/stock").json()["TOR-ZDZB"] == 1


def test_wordpress_safe_url_rules():
    home = "http://shop.example.com/"
    assert not is_safe_url("http://127.0.0.1:8080/hook", home)  # loopback, not the site's host
    assert not is_safe_url("http://192.168.1.20/hook", home)
    assert is_safe_url("http://127.0.0.1:8080/hook", "http://127.0.0.1/")  # same host, safe port
    assert not is_safe_url("http://127.0.0.1:5000/hook", "http://127.0.0.1/")
    assert not is_safe_url("http://user:pw@93.184.215.14/hook", home)
    assert is_safe_url("https://93.184.215.14/hook", home)
    assert is_safe_url("http://127.0.0.1:5000/x", "http://127.0.0.1:5000/")
    assert not is_safe_url("ftp://93.184.215.14/x", home)
