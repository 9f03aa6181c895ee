"""The Allegro sandbox behaves like Allegro's seller API (specs/allegro.md), over HTTP.

Most tests use the Flask test client against a fresh app (small ACCESS_TTL, DEVICE_INTERVAL, ASYNC_DELAY,
HANG_SECONDS so everything is fast); one starts ``python -m sandbox.allegro --port 0`` for real.
Requests are built here by hand (plain test-client / ``requests`` calls, not our Allegro client).
"""

from __future__ import annotations

import base64
import json
import re
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import requests

from sandbox.allegro import create_app
from sandbox.woocommerce.seed import SIMPLE_PRODUCTS, VARIATIONS
from tests.conftest import shared_fixture

CLIENT_ID, CLIENT_SECRET = "test-client", "test-secret"
VND = "application/vnd.allegro.public.v1+json"
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
INTERVAL = 0.2
ROOT = Path(__file__).resolve().parents[2]


# ----------------------------------------------------------------------------------------------------
# infrastructure
# ----------------------------------------------------------------------------------------------------
def make_app(**config):
    settings = {"CLIENT_ID": CLIENT_ID, "CLIENT_SECRET": CLIENT_SECRET, "ACCESS_TTL": 3,
                "DEVICE_INTERVAL": INTERVAL, "ASYNC_DELAY": 0.05, "HANG_SECONDS": 0.2, "SEED": "demo"}
    return create_app({**settings, **config})


@pytest.fixture()
def app():
    application = make_app()
    yield application
    application.extensions["allegro_sandbox"].close()


@pytest.fixture()
def client(app):
    return app.test_client()


def basic(client_id: str = CLIENT_ID, secret: str = CLIENT_SECRET) -> dict:
    raw = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    return {"Authorization": f"Basic {raw}"}


def issue(client) -> dict:
    return client.post("/__sandbox__/oauth/issue").get_json()


class Api:
    """A seller calling the REST API with the right headers (each call may override them)."""

    def __init__(self, client, token: str) -> None:
        self.client, self.token = client, token

    def __call__(self, method: str, path: str, body=None, **headers):
        sent = {"Authorization": f"Bearer {self.token}", "Accept": VND, **headers}
        data = None
        if body is not None:
            sent.setdefault("Content-Type", VND)
            data = json.dumps(body)
        return self.client.open(path, method=method, data=data, headers=sent)


@pytest.fixture()
def api(client):
    return Api(client, issue(client)["access_token"])


def buy(client, *lines, payment="online", **extra):
    response = client.post("/__sandbox__/orders", json={"lines": [{"sku": s, "quantity": q} for s, q in lines],
                                                        "payment": payment, **extra})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def offer_of(client, sku: str) -> dict:
    return client.get("/__sandbox__/stock").get_json()["_detail"][sku]


def wait_for(predicate, timeout: float = 3.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError("condition not met in time")


def error_code(response) -> str:
    body = response.get_json(force=True)
    entry = body["errors"][0]
    assert set(entry) == {"code", "message", "details", "path", "userMessage"}
    return entry["code"]


def same_keys(ours, theirs, where: str = "$") -> None:
    """Every key of the fixture (but ``_note``) is in our payload, recursively (first list items)."""
    if isinstance(theirs, dict):
        assert isinstance(ours, dict), f"{where}: {ours!r} is not an object"
        missing = set(theirs) - {"_note"} - set(ours)
        assert not missing, f"{where}: missing {sorted(missing)}"
        for key, value in theirs.items():
            if key != "_note" and value is not None and ours.get(key) is not None:
                same_keys(ours[key], value, f"{where}.{key}")
    elif isinstance(theirs, list) and theirs and isinstance(ours, list) and ours:
        same_keys(ours[0], theirs[0], f"{where}[0]")


def fixture(name: str) -> dict:
    return json.loads(shared_fixture("marketplaces", "allegro", name).read_text(encoding="utf-8"))


# ----------------------------------------------------------------------------------------------------
# OAuth
# ----------------------------------------------------------------------------------------------------
def start_device(client) -> dict:
    response = client.post("/auth/oauth/device", data={"client_id": CLIENT_ID}, headers=basic())
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def poll(client, device_code: str):
    return client.post("/auth/oauth/token", data={"grant_type": DEVICE_GRANT, "device_code": device_code},
                       headers=basic())


def test_device_flow_pending_slow_down_approve_in_browser_tokens_once(client):
    device = start_device(client)
    assert re.fullmatch(r"[A-Z2-9]{8}", device["user_code"])
    assert device["verification_uri"].endswith("/skojarz-aplikacje")
    assert device["verification_uri_complete"] == f"{device['verification_uri']}?code={device['user_code']}"
    assert device["expires_in"] == 3600 and device["interval"] == INTERVAL

    first = poll(client, device["device_code"])
    assert (first.status_code, first.get_json()["error"]) == (400, "authorization_pending")
    too_fast = poll(client, device["device_code"])
    assert (too_fast.status_code, too_fast.get_json()["error"]) == (400, "slow_down")

    page = client.get(device["verification_uri_complete"].replace("http://localhost", ""))
    assert page.status_code == 200 and page.mimetype == "text/html" and "Pozwól" in page.get_data(as_text=True)
    action = re.search(r'<form method="post" action="([^"]+)"', page.get_data(as_text=True)).group(1)
    allowed = client.post(action, data={"code": device["user_code"], "decision": "allow"})
    assert allowed.status_code == 200

    time.sleep(INTERVAL + 0.05)
    granted = poll(client, device["device_code"])
    assert granted.status_code == 200, granted.get_json()
    tokens = granted.get_json()
    assert tokens["token_type"] == "bearer" and tokens["allegro_api"] is True and tokens["expires_in"] == 3
    assert Api(client, tokens["access_token"])("GET", "/order/event-stats").status_code == 200

    time.sleep(INTERVAL + 0.05)
    again = poll(client, device["device_code"])
    assert (again.status_code, again.get_json()["error"]) == (400, "invalid_grant")


def test_device_flow_denied_and_control_approval(client):
    denied = start_device(client)
    assert client.post("/skojarz-aplikacje", data={"code": denied["user_code"], "decision": "deny"}).status_code == 200
    assert poll(client, denied["device_code"]).get_json()["error"] == "access_denied"
    assert client.post("/skojarz-aplikacje", data={"code": "ZZZZZZZZ"}).status_code == 400

    device = start_device(client)
    assert client.post("/__sandbox__/oauth/approve", json={"user_code": device["user_code"]}).status_code == 200
    assert poll(client, device["device_code"]).status_code == 200
    assert poll(client, "no-such-device-code").get_json()["error"] == "invalid_grant"


def test_auto_approve_grants_on_the_first_poll():
    application = make_app(AUTO_APPROVE=True)
    try:
        client = application.test_client()
        assert poll(client, start_device(client)["device_code"]).status_code == 200
    finally:
        application.extensions["allegro_sandbox"].close()


def test_wrong_client_credentials_are_refused(client):
    for headers in (basic(secret="wrong"), basic(client_id="other"), {}):
        response = client.post("/auth/oauth/device", data={"client_id": CLIENT_ID}, headers=headers)
        assert response.status_code == 401
        assert response.get_json() == {"error": "invalid_client", "error_description": "Bad client credentials"}
    token = client.post("/auth/oauth/token", data={"grant_type": "refresh_token", "refresh_token": "x"},
                        headers=basic(secret="wrong"))
    assert (token.status_code, token.get_json()["error"]) == (401, "invalid_client")


def test_oauth_parameters_in_the_query_string_are_refused(client):
    refresh = issue(client)["refresh_token"]
    for path in (f"/auth/oauth/token?grant_type=refresh_token&refresh_token={refresh}",
                 f"/auth/oauth/device?client_id={CLIENT_ID}"):
        response = client.post(path, headers=basic())
        assert response.status_code == 400
        assert response.get_json() == {"error": "invalid_request",
                                       "error_description": "OAuth parameters must be sent in the request body"}
    # the same refresh token still works from the body (the refused call did not consume it)
    body = client.post("/auth/oauth/token", data={"grant_type": "refresh_token", "refresh_token": refresh},
                       headers=basic())
    assert body.status_code == 200


def test_refresh_rotates_the_pair_and_kills_the_old_one(client):
    old = issue(client)
    response = client.post("/auth/oauth/token", data={"grant_type": "refresh_token",
                                                      "refresh_token": old["refresh_token"]}, headers=basic())
    assert response.status_code == 200
    new = response.get_json()
    assert new["access_token"] != old["access_token"] and new["refresh_token"] != old["refresh_token"]

    stale = Api(client, old["access_token"])("GET", "/order/events")
    assert stale.status_code == 401 and stale.get_json()["error"] == "invalid_token"
    assert Api(client, new["access_token"])("GET", "/order/events").status_code == 200
    reused = client.post("/auth/oauth/token", data={"grant_type": "refresh_token",
                                                    "refresh_token": old["refresh_token"]}, headers=basic())
    assert reused.status_code == 400
    assert reused.get_json() == {"error": "invalid_grant", "error_description": "Invalid refresh token"}


def test_missing_unknown_and_expired_access_tokens_answer_401(client):
    assert client.get("/order/events", headers={"Accept": VND}).get_json()["error"] == "invalid_token"
    unknown = Api(client, "not-a-token")("GET", "/order/events")
    assert unknown.status_code == 401 and "WWW-Authenticate" in unknown.headers
    pair = issue(client)
    client.post("/__sandbox__/oauth/expire")
    expired = Api(client, pair["access_token"])("GET", "/order/events")
    assert expired.get_json() == {"error": "invalid_token", "error_description": "Access token expired"}
    renewed = client.post("/auth/oauth/token", data={"grant_type": "refresh_token",
                                                     "refresh_token": pair["refresh_token"]}, headers=basic())
    assert Api(client, renewed.get_json()["access_token"])("GET", "/order/events").status_code == 200


def test_token_shape_matches_the_fixture(client):
    same_keys(issue(client), fixture("oauth_token_response.json"))


# ----------------------------------------------------------------------------------------------------
# REST conventions
# ----------------------------------------------------------------------------------------------------
def test_accept_and_content_type_are_enforced(api):
    for accept in (None, "application/json", "*/*"):
        headers = {"Accept": accept} if accept else {"Accept": ""}
        response = api("GET", "/sale/offers", **headers)
        assert response.status_code == 406 and error_code(response) == "NotAcceptableException"
    ok = api("GET", "/sale/offers")
    assert ok.status_code == 200 and ok.mimetype == VND

    offer_id = ok.get_json()["offers"][0]["id"]
    wrong = api("PATCH", f"/sale/product-offers/{offer_id}", {"stock": {"available": 3}},
                **{"Content-Type": "application/json"})
    assert wrong.status_code == 415 and error_code(wrong) == "NotSupportedException"
    assert api("GET", f"/sale/product-offers/{offer_id}").get_json()["stock"]["available"] != 3
    missing = api("GET", "/sale/product-offers/1")
    assert missing.status_code == 404 and error_code(missing) == "NotFoundException"


# ----------------------------------------------------------------------------------------------------
# journal
# ----------------------------------------------------------------------------------------------------
def test_journal_pages_after_from_exclusive_and_starts_at_the_oldest(client, api):
    empty_stats = api("GET", "/order/event-stats").get_json()["latestEvent"]
    assert api("GET", f"/order/events?from={empty_stats['id']}").get_json() == {"events": []}
    first = buy(client, ("KUB-ZOLC-330", 1))
    second = buy(client, ("NOT-GES-A5", 2), payment="cod")

    everything = api("GET", "/order/events").get_json()["events"]
    assert [(e["type"], e["order"]["checkoutForm"]["id"]) for e in everything] == [
        ("BOUGHT", first["id"]), ("FILLED_IN", first["id"]), ("READY_FOR_PROCESSING", first["id"]),
        ("BOUGHT", second["id"]), ("FILLED_IN", second["id"]), ("READY_FOR_PROCESSING", second["id"])]
    assert len({e["order"]["checkoutForm"]["revision"] for e in everything[:3]}) == 3

    page1 = api("GET", "/order/events?limit=2").get_json()["events"]
    page2 = api("GET", f"/order/events?limit=2&from={page1[-1]['id']}").get_json()["events"]
    assert [e["id"] for e in page1 + page2] == [e["id"] for e in everything[:4]]
    assert api("GET", "/order/events?from=0&limit=1").get_json()["events"][0]["id"] == everything[0]["id"]

    ready = api("GET", "/order/events?type=READY_FOR_PROCESSING&type=BOUGHT").get_json()["events"]
    assert [e["type"] for e in ready] == ["BOUGHT", "READY_FOR_PROCESSING"] * 2

    stats = api("GET", "/order/event-stats").get_json()
    assert stats["latestEvent"]["id"] == everything[-1]["id"]
    assert api("GET", f"/order/events?from={stats['latestEvent']['id']}").get_json() == {"events": []}
    for bad in ("bm9wZQ", "garbage!", base64.b64encode(b"999999999999").decode()):
        refused = api("GET", f"/order/events?from={bad}")
        assert refused.status_code == 400 and error_code(refused) == "InvalidEventIdException"
    assert api("GET", "/order/events?limit=1001").status_code == 422


def test_lose_drops_events_but_not_forms_and_duplicate_repeats_them(client, api):
    client.post("/__sandbox__/lose", json={"count": 3})
    lost = buy(client, ("SWI-LAKA-180", 1))
    assert api("GET", "/order/events").get_json()["events"] == []
    forms = api("GET", "/order/checkout-forms").get_json()["checkoutForms"]
    assert [f["id"] for f in forms] == [lost["id"]]

    buy(client, ("SWI-LAKA-180", 1))
    client.post("/__sandbox__/duplicate", json={"count": 1})
    doubled = api("GET", "/order/events").get_json()["events"]
    assert [e["type"] for e in doubled] == ["BOUGHT", "BOUGHT", "FILLED_IN", "FILLED_IN",
                                            "READY_FOR_PROCESSING", "READY_FOR_PROCESSING"]
    assert doubled[0] == doubled[1]
    assert len(api("GET", "/order/events").get_json()["events"]) == 3


def test_event_shapes_match_the_fixtures(client, api):
    buy(client, ("KUB-ZOLC-330", 1))
    events = api("GET", "/order/events").get_json()
    same_keys(events, fixture("order_events_response.json"))
    same_keys(api("GET", "/order/event-stats").get_json(), fixture("order_event_stats_response.json"))


# ----------------------------------------------------------------------------------------------------
# checkout forms, fulfillment, shipments
# ----------------------------------------------------------------------------------------------------
def test_checkout_form_fetch_and_list_filters(client, api):
    paid = buy(client, ("KUB-ZOLC-330", 2))
    time.sleep(0.01)
    cod = buy(client, ("TSH-VYSH-M", 1), payment="cod", delivery={"type": "courier"})
    time.sleep(0.01)
    unpaid = buy(client, ("NOT-GES-A5", 1), payment="unpaid")

    form = api("GET", f"/order/checkout-forms/{paid['id']}").get_json()
    assert form["status"] == "READY_FOR_PROCESSING" and form["payment"]["type"] == "ONLINE"
    assert form["payment"]["paidAmount"] == form["summary"]["totalToPay"]
    line = form["lineItems"][0]
    assert (line["offer"]["external"]["id"], line["quantity"], line["price"]) == (
        "KUB-ZOLC-330", 2, {"amount": "39.90", "currency": "PLN"})
    assert form["fulfillment"]["status"] == "NEW" and form["delivery"]["pickupPoint"]["id"]
    assert re.fullmatch(r"[0-9a-f]{8}", form["revision"])
    cod_form = api("GET", f"/order/checkout-forms/{cod['id']}").get_json()
    assert cod_form["payment"]["type"] == "CASH_ON_DELIVERY" and cod_form["delivery"]["pickupPoint"] is None
    assert api("GET", f"/order/checkout-forms/{unpaid['id']}").get_json()["status"] == "FILLED_IN"
    missing = api("GET", f"/order/checkout-forms/{uuid.uuid4()}")
    assert missing.status_code == 404 and error_code(missing) == "NotFoundException"

    def ids(query: str) -> list[str]:
        body = api("GET", f"/order/checkout-forms{query}").get_json()
        assert body["count"] == len(body["checkoutForms"])
        return [f["id"] for f in body["checkoutForms"]]

    assert ids("") == [unpaid["id"], cod["id"], paid["id"]]
    assert ids("?status=READY_FOR_PROCESSING") == [cod["id"], paid["id"]]
    assert ids("?status=FILLED_IN&fulfillment.status=NEW") == [unpaid["id"]]
    assert ids("?limit=1&offset=1") == [cod["id"]]
    assert api("GET", "/order/checkout-forms?limit=1").get_json()["totalCount"] == 3
    assert ids(f"?updatedAt.gte={cod['updatedAt']}") == [unpaid["id"], cod["id"]]
    assert ids(f"?updatedAt.lte={paid['updatedAt']}") == [paid["id"]]
    too_far = api("GET", "/order/checkout-forms?offset=9950&limit=100")
    assert too_far.status_code == 422 and error_code(too_far) == "OffsetTooLargeException"
    assert api("GET", "/order/checkout-forms?limit=101").status_code == 422
    assert api("GET", "/order/checkout-forms?status=SHIPPED").status_code == 422


def test_checkout_form_shapes_match_the_fixtures(client, api):
    form = buy(client, ("KUB-ZOLC-330", 1))
    same_keys(api("GET", f"/order/checkout-forms/{form['id']}").get_json(), fixture("checkout_form_response.json"))
    same_keys(api("GET", "/order/checkout-forms").get_json(), fixture("checkout_forms_list_response.json"))


def test_fulfillment_put_revision_lock_and_updated_at_not_bumped(client, api):
    order = buy(client, ("TOR-ZDZB", 1))
    before = api("GET", f"/order/checkout-forms/{order['id']}").get_json()
    put = api("PUT", f"/order/checkout-forms/{order['id']}/fulfillment?checkoutForm.revision={before['revision']}",
              {"status": "PROCESSING"})
    assert put.status_code == 204 and put.get_data() == b""
    after = api("GET", f"/order/checkout-forms/{order['id']}").get_json()
    assert after["fulfillment"]["status"] == "PROCESSING"
    assert after["revision"] != before["revision"] and after["updatedAt"] == before["updatedAt"]
    last = api("GET", "/order/events").get_json()["events"][-1]
    assert last["type"] == "FULFILLMENT_STATUS_CHANGED"
    assert last["order"]["checkoutForm"] == {"id": order["id"], "revision": after["revision"]}

    stale = api("PUT", f"/order/checkout-forms/{order['id']}/fulfillment?checkoutForm.revision={before['revision']}",
                {"status": "SENT"})
    assert stale.status_code == 409 and error_code(stale) == "ConflictException"
    assert stale.get_json()["errors"][0]["message"] == "checkoutForm.revision is outdated"
    returned = api("PUT", f"/order/checkout-forms/{order['id']}/fulfillment", {"status": "RETURNED"})
    assert returned.status_code == 422
    assert api("PUT", f"/order/checkout-forms/{order['id']}/fulfillment", {"status": "LOST"}).status_code == 422
    sent = api("PUT", f"/order/checkout-forms/{order['id']}/fulfillment",
               {"status": "SENT", "shipmentSummary": {"lineItemsSent": "ALL"}})
    assert sent.status_code == 204
    final = api("GET", f"/order/checkout-forms/{order['id']}").get_json()
    assert final["fulfillment"] == {"status": "SENT", "shipmentSummary": {"lineItemsSent": "ALL"}}
    assert final["updatedAt"] == before["updatedAt"]


def test_shipments_and_carriers_validation(client, api):
    carriers = {c["id"] for c in api("GET", "/order/carriers").get_json()["carriers"]}
    assert carriers == {"INPOST", "DHL", "DPD", "POCZTA_POLSKA", "ALLEGRO", "OTHER"}
    order = buy(client, ("KUB-ZOLC-330", 1), ("NOT-GES-A5", 1))
    path = f"/order/checkout-forms/{order['id']}/shipments"
    created = api("POST", path, {"carrierId": "DHL", "waybill": "12345678910PL"})
    assert created.status_code == 201
    shipment = created.get_json()
    assert shipment["carrierName"] is None and len(shipment["lineItems"]) == 2
    twice = api("POST", path, {"carrierId": "DHL", "waybill": "12345678910PL"}).get_json()
    assert twice["id"] != shipment["id"]
    other = api("POST", path, {"carrierId": "OTHER", "carrierName": "Kurier Żółw",
                               "waybill": "ZW-1", "lineItems": [{"id": order["lineItems"][0]["id"]}]})
    assert other.status_code == 201 and other.get_json()["lineItems"] == [{"id": order["lineItems"][0]["id"]}]
    for bad in ({"carrierId": "UPS", "waybill": "1"}, {"carrierId": "OTHER", "waybill": "1"},
                {"carrierId": "DHL", "waybill": "1", "carrierName": "DHL"},
                {"carrierId": "DHL", "waybill": "9" * 65}, {"carrierId": "DHL"},
                {"carrierId": "DHL", "waybill": "1", "lineItems": [{"id": "foreign"}]}):
        refused = api("POST", path, bad)
        assert refused.status_code == 422, bad
    listed = api("GET", path).get_json()["shipments"]
    assert [s["waybill"] for s in listed] == ["12345678910PL", "12345678910PL", "ZW-1"]
    form = api("GET", f"/order/checkout-forms/{order['id']}").get_json()
    assert form["revision"] == order["revision"]
    tracking = client.get("/__sandbox__/orders").get_json()["orders"][0]
    assert [t["waybill"] for t in tracking["tracking"]] == ["12345678910PL", "12345678910PL", "ZW-1"]
    assert any(c["method"] == "POST" and c["status"] == 201 for c in tracking["calls"])


def test_buyer_and_allegro_moves(client, api):
    unpaid = buy(client, ("TSH-VYSH-S", 2), payment="unpaid")
    assert offer_of(client, "TSH-VYSH-S")["available"] == 6
    paid = client.post(f"/__sandbox__/orders/{unpaid['id']}/event", json={"action": "pay"}).get_json()
    assert paid["status"] == "READY_FOR_PROCESSING" and paid["payment"]["finishedAt"]
    client.post(f"/__sandbox__/orders/{unpaid['id']}/event", json={"action": "pay"})
    cancelled = client.post(f"/__sandbox__/orders/{unpaid['id']}/event", json={"action": "buyer_cancel"})
    assert cancelled.get_json()["status"] == "CANCELLED"
    assert offer_of(client, "TSH-VYSH-S")["available"] == 6  # a cancel does not give the stock back
    types = [e["type"] for e in api("GET", "/order/events").get_json()["events"]]
    assert types == ["BOUGHT", "FILLED_IN", "READY_FOR_PROCESSING", "READY_FOR_PROCESSING", "BUYER_CANCELLED"]

    other = buy(client, ("TSH-VYSH-L", 1))
    client.post(f"/__sandbox__/orders/{other['id']}/event", json={"action": "auto_cancel"})
    returned = client.post(f"/__sandbox__/orders/{other['id']}/event", json={"action": "returned"}).get_json()
    assert returned["fulfillment"]["status"] == "RETURNED"
    assert [e["type"] for e in api("GET", "/order/events").get_json()["events"]][-2:] == [
        "AUTO_CANCELLED", "FULFILLMENT_STATUS_CHANGED"]
    assert client.post(f"/__sandbox__/orders/{other['id']}/event", json={"action": "fly"}).status_code == 400


def test_checkout_refuses_what_the_listing_does_not_show(client, api):
    short = client.post("/__sandbox__/orders", json={"lines": [{"sku": "TOR-ZDZB", "quantity": 6}]})
    assert short.status_code == 409 and short.get_json()["error"] == "out_of_stock"
    assert client.post("/__sandbox__/orders", json={"lines": [{"sku": "NOPE"}]}).status_code == 404
    buy(client, ("TOR-ZDZB", 5))
    assert offer_of(client, "TOR-ZDZB") == {"offer_id": offer_of(client, "TOR-ZDZB")["offer_id"],
                                            "available": 0, "status": "ENDED"}
    assert client.get("/__sandbox__/stock").get_json()["TOR-ZDZB"] == 0
    again = client.post("/__sandbox__/orders", json={"lines": [{"sku": "TOR-ZDZB", "quantity": 1}]})
    assert again.status_code == 409


# ----------------------------------------------------------------------------------------------------
# offers, stock, commands
# ----------------------------------------------------------------------------------------------------
def test_demo_seed_has_the_woocommerce_skus_as_offers(client, api):
    skus = {p["sku"] for p in SIMPLE_PRODUCTS} | {sku for _, sku, _, _ in VARIATIONS}
    offers = api("GET", "/sale/offers?limit=100").get_json()
    assert {o["external"]["id"] for o in offers["offers"]} == skus and offers["totalCount"] == len(skus)
    assert all(5 <= o["stock"]["available"] <= 20 and o["publication"]["status"] == "ACTIVE"
               for o in offers["offers"])
    assert all(o["id"].isdigit() for o in offers["offers"])
    assert api("GET", "/sale/offers").get_json()["count"] == len(skus)  # default limit 20
    one = api("GET", "/sale/offers?external.id=KUB-ZOLC-330").get_json()["offers"]
    assert [o["name"] for o in one] == ["Kubek ceramiczny „Żółć” 330 ml"]
    assert api("GET", "/sale/offers?limit=2&offset=1").get_json()["count"] == 2


def test_patch_stock_zero_ends_the_offer_and_positive_stock_does_not_reactivate(client, api):
    offer_id = offer_of(client, "KUB-ZOLC-330")["offer_id"]
    patched = api("PATCH", f"/sale/product-offers/{offer_id}", {"stock": {"available": 0}})
    assert patched.status_code == 202
    location = patched.headers["Location"]
    assert re.fullmatch(rf"/sale/product-offers/{offer_id}/operations/[0-9a-f-]{{36}}", location)
    assert api("GET", location).get_json()["status"] in ("IN_PROGRESS", "SUCCESS")
    wait_for(lambda: api("GET", location).get_json()["status"] == "SUCCESS")
    offer = api("GET", f"/sale/product-offers/{offer_id}").get_json()
    assert (offer["stock"]["available"], offer["publication"]["status"]) == (0, "ENDED")

    refill = api("PATCH", f"/sale/product-offers/{offer_id}", {"stock": {"available": 7}})
    wait_for(lambda: api("GET", refill.headers["Location"]).get_json()["status"] == "SUCCESS")
    offer = api("GET", f"/sale/product-offers/{offer_id}").get_json()
    assert (offer["stock"]["available"], offer["publication"]["status"]) == (7, "ENDED")
    stock = client.get("/__sandbox__/stock").get_json()
    assert stock["KUB-ZOLC-330"] == 0 and stock["_detail"]["KUB-ZOLC-330"]["status"] == "ENDED"
    assert api("GET", "/sale/offers?publication.status=ENDED").get_json()["totalCount"] == 1

    assert api("PATCH", f"/sale/product-offers/{offer_id}", {"stock": {"available": -1}}).status_code == 422
    activate = api("PATCH", f"/sale/product-offers/{offer_id}", {"publication": {"status": "ACTIVE"}})
    assert activate.status_code == 202
    wait_for(lambda: api("GET", f"/sale/product-offers/{offer_id}").get_json()["publication"]["status"] == "ACTIVE")
    assert client.get("/__sandbox__/stock").get_json()["KUB-ZOLC-330"] == 7
    assert api("PATCH", "/sale/product-offers/1", {"stock": {"available": 1}}).status_code == 404


def test_quantity_command_async_tasks_reuse_and_zero(client, api):
    kubek, torba = offer_of(client, "KUB-ZOLC-330")["offer_id"], offer_of(client, "TOR-ZDZB")["offer_id"]
    criteria = [{"type": "CONTAINS_OFFERS", "offers": [{"id": kubek}, {"id": "99999"}]}]
    zero = api("PUT", f"/sale/offer-quantity-change-commands/{uuid.uuid4()}",
               {"modification": {"changeType": "FIXED", "value": 0}, "offerCriteria": criteria})
    assert zero.status_code == 422 and error_code(zero) == "INCORRECT_QUANTITY_VALUE"

    command_id = str(uuid.uuid4())
    body = {"modification": {"changeType": "FIXED", "value": 3}, "offerCriteria": criteria}
    created = api("PUT", f"/sale/offer-quantity-change-commands/{command_id}", body)
    assert created.status_code == 201
    report = created.get_json()
    assert report["id"] == command_id and report["completedAt"] is None
    assert report["taskCount"] == {"total": 2, "success": 0, "failed": 0}
    reused = api("PUT", f"/sale/offer-quantity-change-commands/{command_id}", body)
    assert reused.status_code == 409 and error_code(reused) == "CommandAlreadyExistsException"

    done = wait_for(lambda: (r := api("GET", f"/sale/offer-quantity-change-commands/{command_id}").get_json())
                    ["completedAt"] and r)
    assert done["taskCount"] == {"total": 2, "success": 1, "failed": 1}
    tasks = api("GET", f"/sale/offer-quantity-change-commands/{command_id}/tasks").get_json()["tasks"]
    assert [(t["offer"]["id"], t["status"]) for t in tasks] == [(kubek, "SUCCESS"), ("99999", "FAIL")]
    assert tasks[1]["errors"][0]["code"] == "OfferNotFound"
    assert offer_of(client, "KUB-ZOLC-330")["available"] == 3

    buy(client, ("TOR-ZDZB", 5))  # sold out -> ENDED; a quantity command keeps it ENDED
    gain = str(uuid.uuid4())
    api("PUT", f"/sale/offer-quantity-change-commands/{gain}",
        {"modification": {"changeType": "GAIN", "value": 4},
         "offerCriteria": [{"type": "CONTAINS_OFFERS", "offers": [{"id": torba}]}]})
    wait_for(lambda: api("GET", f"/sale/offer-quantity-change-commands/{gain}").get_json()["completedAt"])
    assert offer_of(client, "TOR-ZDZB") == {"offer_id": torba, "available": 4, "status": "ENDED"}
    assert api("PUT", "/sale/offer-quantity-change-commands/not-a-uuid", body).status_code == 422
    assert api("GET", f"/sale/offer-quantity-change-commands/{uuid.uuid4()}").status_code == 404


def test_report_tasks_and_shipment_shapes_match_the_fixtures(client, api):
    offer_id = offer_of(client, "NOT-GES-A5")["offer_id"]
    command_id = str(uuid.uuid4())
    api("PUT", f"/sale/offer-quantity-change-commands/{command_id}",
        {"modification": {"changeType": "FIXED", "value": 2},
         "offerCriteria": [{"type": "CONTAINS_OFFERS", "offers": [{"id": offer_id}, {"id": "404"}]}]})
    client.post("/__sandbox__/process")
    report = api("GET", f"/sale/offer-quantity-change-commands/{command_id}").get_json()
    same_keys(report, fixture("offer_quantity_change_command_report_response.json"))
    tasks = api("GET", f"/sale/offer-quantity-change-commands/{command_id}/tasks").get_json()
    same_keys(tasks, fixture("offer_quantity_change_command_tasks_response.json"))
    same_keys(tasks["tasks"][1], fixture("offer_quantity_change_command_tasks_response.json")["tasks"][1])
    order = buy(client, ("NOT-GES-A5", 1))
    shipment = api("POST", f"/order/checkout-forms/{order['id']}/shipments", {"carrierId": "DPD", "waybill": "X1"})
    same_keys(shipment.get_json(), fixture("checkout_form_shipments_post_response.json"))


def test_quantity_command_shape_matches_the_request_fixture(client, api):
    body = fixture("offer_quantity_change_command_put_request.json")
    body.pop("_note")
    created = api("PUT", f"/sale/offer-quantity-change-commands/{uuid.uuid4()}", body)
    assert created.status_code == 201 and created.get_json()["taskCount"]["total"] == 2


def test_publication_command_activates_and_refuses_empty_offers(client, api):
    torba, kubek = offer_of(client, "TOR-ZDZB")["offer_id"], offer_of(client, "KUB-ZOLC-330")["offer_id"]
    buy(client, ("TOR-ZDZB", 5))
    end = str(uuid.uuid4())
    api("PUT", f"/sale/offer-publication-commands/{end}",
        {"publication": {"action": "END"}, "offerCriteria": [{"type": "CONTAINS_OFFERS", "offers": [{"id": kubek}]}]})
    wait_for(lambda: offer_of(client, "KUB-ZOLC-330")["status"] == "ENDED")

    command_id = str(uuid.uuid4())
    created = api("PUT", f"/sale/offer-publication-commands/{command_id}",
                  {"publication": {"action": "ACTIVATE"},
                   "offerCriteria": [{"type": "CONTAINS_OFFERS", "offers": [{"id": kubek}, {"id": torba}]}]})
    assert created.status_code == 201
    wait_for(lambda: api("GET", f"/sale/offer-publication-commands/{command_id}").get_json()["completedAt"])
    tasks = api("GET", f"/sale/offer-publication-commands/{command_id}/tasks").get_json()["tasks"]
    assert [t["status"] for t in tasks] == ["SUCCESS", "FAIL"]
    assert tasks[1]["errors"][0]["code"] == "OfferStockTooLow"
    assert offer_of(client, "KUB-ZOLC-330")["status"] == "ACTIVE"
    assert client.get("/__sandbox__/stock").get_json()["KUB-ZOLC-330"] == 18
    bad = api("PUT", f"/sale/offer-publication-commands/{uuid.uuid4()}", {"publication": {"action": "PAUSE"}})
    assert bad.status_code == 422


# ----------------------------------------------------------------------------------------------------
# rate limit, faults, controls, trickle
# ----------------------------------------------------------------------------------------------------
def test_rate_limit_blocks_the_whole_client_id_with_a_bare_429(client):
    first, second = Api(client, issue(client)["access_token"]), Api(client, issue(client)["access_token"])
    client.post("/__sandbox__/rate", json={"limit": 4, "window": 60, "block": 0.3})
    for call in (first, second, first, second):
        assert call("GET", "/order/event-stats").status_code == 200
    blocked = first("GET", "/order/event-stats")
    assert blocked.status_code == 429 and error_code(blocked) == "TooManyRequestsException"
    assert "Retry-After" not in blocked.headers
    assert not [h for h in blocked.headers.keys() if "ratelimit" in h.lower()]
    assert second("GET", "/sale/offers").status_code == 429  # all tokens of the client id
    time.sleep(0.35)
    assert second("GET", "/order/event-stats").status_code == 200


def test_fault_injection_answers_and_calls_log(client, api):
    client.post("/__sandbox__/fail", json={"status": 503, "count": 1, "path": "/order/events"})
    assert api("GET", "/sale/offers").status_code == 200
    failed = api("GET", "/order/events")
    assert failed.status_code == 503 and error_code(failed) == "ServiceUnavailableException"
    assert api("GET", "/order/events").status_code == 200
    client.post("/__sandbox__/fail", json={"status": 429, "retry_after": 7})
    limited = api("GET", "/order/events")
    assert limited.status_code == 429 and "Retry-After" not in limited.headers
    client.post("/__sandbox__/fail", json={"status": "timeout"})
    started = time.monotonic()
    assert api("GET", "/order/events").status_code == 504 and time.monotonic() - started >= 0.2
    assert client.post("/__sandbox__/fail", json={"status": "sometimes"}).status_code == 400
    calls = client.get("/__sandbox__/calls").get_json()
    assert [(c["method"], c["path"], c["status"]) for c in calls[-5:]] == [
        ("GET", "/sale/offers", 200), ("GET", "/order/events", 503), ("GET", "/order/events", 200),
        ("GET", "/order/events", 429), ("GET", "/order/events", 504)]


def test_listings_stock_and_reset(client, api):
    created = client.post("/__sandbox__/listings", json={"items": [
        {"sku": "NEW-1", "quantity": 4, "name": "Nowy kubek", "price": "19.99"}, {"sku": "NEW-0", "quantity": 0}]})
    assert created.status_code == 200
    refs = {c["sku"]: c for c in created.get_json()["created"]}
    assert refs["NEW-1"]["status"] == "ACTIVE" and refs["NEW-0"]["status"] == "INACTIVE"
    offer = api("GET", f"/sale/product-offers/{refs['NEW-1']['ref']}").get_json()
    assert offer["sellingMode"]["price"]["amount"] == "19.99" and offer["external"]["id"] == "NEW-1"
    stock = client.get("/__sandbox__/stock").get_json()
    assert (stock["NEW-1"], stock["NEW-0"]) == (4, 0)
    assert client.post("/__sandbox__/listings", json={"items": [{"quantity": 1}]}).status_code == 400

    assert client.post("/__sandbox__/reset", json={"seed": None}).get_json()["seeded"] == []
    assert client.get("/__sandbox__/stock").get_json() == {"_detail": {}}
    assert api("GET", "/sale/offers").get_json()["totalCount"] == 0  # tokens survive a reset
    seeded = client.post("/__sandbox__/reset", json={"seed": "demo", "tokens": True}).get_json()["seeded"]
    assert len(seeded) == 7 and api("GET", "/sale/offers").status_code == 401


def test_order_trickle_places_buyer_checkouts():
    application = make_app(ORDER_TRICKLE=0.05, TRICKLE_SEED=7)
    try:
        client = application.test_client()
        orders = wait_for(lambda: len(client.get("/__sandbox__/orders").get_json()["orders"]) >= 3 and
                          client.get("/__sandbox__/orders").get_json()["orders"])
        assert all(1 <= len(o["lines"]) <= 2 and all(1 <= line["quantity"] <= 2 for line in o["lines"])
                   for o in orders)
        api = Api(client, issue(client)["access_token"])
        assert api("GET", "/order/events").get_json()["events"][0]["type"] == "BOUGHT"
    finally:
        application.extensions["allegro_sandbox"].close()


# ----------------------------------------------------------------------------------------------------
# the command line
# ----------------------------------------------------------------------------------------------------
def test_command_line_sandbox_device_flow_and_lost_answer():
    process = subprocess.Popen([sys.executable, "-m", "sandbox.allegro", "--port", "0", "--client-id", "cli",
                                "--client-secret", "sec", "--seed", "demo", "--auto-approve",
                                "--device-interval", "0.1", "--hang-seconds", "0.5"],
                               cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        line = process.stdout.readline()
        assert line.startswith("Allegro sandbox on http://127.0.0.1:")
        url = line.split(" on ")[1].strip()
        auth = ("cli", "sec")
        device = requests.post(f"{url}/auth/oauth/device", data={"client_id": "cli"}, auth=auth, timeout=5).json()
        assert device["verification_uri"] == f"{url}/skojarz-aplikacje"
        token = requests.post(f"{url}/auth/oauth/token", auth=auth, timeout=5,
                              data={"grant_type": DEVICE_GRANT, "device_code": device["device_code"]}).json()
        headers = {"Authorization": f"Bearer {token['access_token']}", "Accept": VND, "Content-Type": VND}
        offers = requests.get(f"{url}/sale/offers?external.id=NOT-GES-A5", headers=headers, timeout=5).json()
        offer_id = offers["offers"][0]["id"]

        requests.post(f"{url}/__sandbox__/fail", json={"status": "lost", "path": "/sale/product-offers/"}, timeout=5)
        with pytest.raises(requests.RequestException):
            requests.patch(f"{url}/sale/product-offers/{offer_id}", data=json.dumps({"stock": {"available": 9}}),
                           headers=headers, timeout=5)
        offer = wait_for(lambda: (o := requests.get(f"{url}/sale/product-offers/{offer_id}", headers=headers,
                                                    timeout=5).json())["stock"]["available"] == 9 and o)
        assert offer["publication"]["status"] == "ACTIVE"  # the change happened; only the answer was lost
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_fixture_request_bodies_are_accepted(client, api):
    order = buy(client, ("SWI-LAKA-180", 1))
    fulfillment = fixture("checkout_form_fulfillment_put_request.json")
    fulfillment.pop("_note")
    assert api("PUT", f"/order/checkout-forms/{order['id']}/fulfillment", fulfillment).status_code == 204
    shipment = fixture("checkout_form_shipments_post_request.json")
    shipment.pop("_note")
    shipment["lineItems"] = [{"id": order["lineItems"][0]["id"]}]
    assert api("POST", f"/order/checkout-forms/{order['id']}/shipments", shipment).status_code == 201
    patch = fixture("product_offer_patch_stock_request.json")
    patch.pop("_note")
    offer_id = order["lineItems"][0]["offer"]["id"]
    assert api("PATCH", f"/sale/product-offers/{offer_id}", patch).status_code == 202
    client.post("/__sandbox__/process")
    assert offer_of(client, "SWI-LAKA-180")["available"] == patch["stock"]["available"]


def test_malformed_json_and_unknown_routes(api):
    broken = api("PUT", f"/sale/offer-quantity-change-commands/{uuid.uuid4()}", None,
                 **{"Content-Type": VND})
    assert broken.status_code == 422  # an empty body: no modification
    garbage = api.client.open(f"/sale/offer-quantity-change-commands/{uuid.uuid4()}", method="PUT", data="{nope",
                              headers={"Authorization": f"Bearer {api.token}", "Accept": VND, "Content-Type": VND})
    assert garbage.status_code == 400 and error_code(garbage) == "JsonParseException"
    nowhere = api("GET", "/sale/nowhere")
    assert nowhere.status_code == 404 and error_code(nowhere) == "NotFoundException"
