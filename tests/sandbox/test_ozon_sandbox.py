"""The Ozon sandbox behaves like the Ozon Seller API (FBS) of ``specs/ozon.md``.

Plain Flask test-client calls (not our client); a tiny HTTP receiver records push notifications; one test
runs ``python -m sandbox.ozon --port 0`` as a real process. Fixture shape checks read ../shared in place.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections import deque
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from sandbox.ozon import create_app
from tests.conftest import ROOT, shared_fixture

CLIENT_ID, API_KEY = "424242", "test-api-key"
AUTH = {"Client-Id": CLIENT_ID, "Api-Key": API_KEY}
WAREHOUSE = 22142605386000
EVERYTHING = {"analytics_data": True, "financial_data": True, "barcodes": True, "translit": True}


# ----------------------------------------------------------------------
# infrastructure
# ----------------------------------------------------------------------
class Receiver:
    """Records push notifications; answers from a script of (status, body), then 200 {"result": true}."""

    def __init__(self) -> None:
        self.bodies: list[dict] = []
        self.script: deque[tuple[int, dict | str]] = deque()
        self.always: tuple[int, dict | str] | None = None
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server API
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                with receiver.lock:
                    receiver.bodies.append(body)
                    status, answer = receiver.always or (receiver.script.popleft() if receiver.script else (
                        200, {"version": "1.0.0", "name": "stockbridge", "time": "2026-01-01T00:00:00Z"}
                        if body.get("message_type") == "TYPE_PING" else {"result": True}))
                raw = (answer if isinstance(answer, str) else json.dumps(answer)).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/ozon/push"
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def of_type(self, message_type: str) -> list[dict]:
        with self.lock:
            return [body for body in self.bodies if body.get("message_type") == message_type]


@pytest.fixture
def receiver():
    recv = Receiver()
    yield recv
    recv.server.shutdown()
    recv.server.server_close()


def make_app(**config):
    settings = {"CLIENT_ID": CLIENT_ID, "API_KEY": API_KEY, "SEED": "demo", "PAIR_INTERVAL": 1.0,
                "RATE_PER_SECOND": 10_000, "PUSH_RETRY_INTERVAL": 0.05, "PUSH_TIMEOUT": 2.0, "HANG_SECONDS": 0.1,
                **config}
    return create_app(settings)


@pytest.fixture
def app():
    application = make_app()
    yield application
    application.extensions["ozon_sandbox"].close()


@pytest.fixture
def client(app):
    return app.test_client()


def api(client, path: str, body: dict | None = None, headers: dict | None = None, status: int = 200) -> dict:
    response = client.post(path, json=body if body is not None else {}, headers=AUTH if headers is None else headers)
    assert response.status_code == status, (path, response.status_code, response.get_data(as_text=True))
    return response.get_json()


def control(client, name: str, body: dict | None = None, status: int = 200) -> dict:
    response = client.post(f"/__sandbox__/{name}", json=body or {})
    assert response.status_code == status, (name, response.get_data(as_text=True))
    return response.get_json()


def order(client, *lines: tuple[str, int], **extra) -> dict:
    return control(client, "orders", {"lines": [{"sku": s, "quantity": q} for s, q in lines], **extra}, status=201)


def stock(client, sku: str) -> dict:
    snapshot = client.get("/__sandbox__/stock").get_json()
    return {"available": snapshot[sku], **snapshot["_detail"][sku]}


def iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def around(days: float = 3) -> dict:
    now = datetime.now(timezone.utc)
    return {"cutoff_from": iso(now - timedelta(days=days)), "cutoff_to": iso(now + timedelta(days=days))}


def unfulfilled(client, **body) -> dict:
    return api(client, "/v3/posting/fbs/unfulfilled/list", {"filter": around(), "limit": 100, **body})["result"]


def fbs_list(client, **extra) -> dict:
    now = datetime.now(timezone.utc)
    query = {"since": iso(now - timedelta(days=30)), "to": iso(now + timedelta(minutes=1)), **extra.pop("filter", {})}
    return api(client, "/v3/posting/fbs/list", {"filter": query, "limit": 100, **extra})["result"]


def get(client, number: str, **flags) -> dict:
    return api(client, "/v3/posting/fbs/get", {"posting_number": number, "with": flags})["result"]


def ship(client, number: str, *packages: list[tuple[int, int]], status: int = 200) -> dict:
    body = {"posting_number": number,
            "packages": [{"products": [{"product_id": ref, "quantity": q} for ref, q in pkg]} for pkg in packages]}
    return api(client, "/v4/posting/fbs/ship", body, status=status)


def set_stock(client, *items: tuple[str, int], status: int = 200) -> list[dict]:
    body = {"stocks": [{"offer_id": offer, "stock": qty, "warehouse_id": WAREHOUSE} for offer, qty in items]}
    return api(client, "/v2/products/stocks", body, status=status)["result"]


def flush(client) -> None:
    assert control(client, "pushes/flush", {"timeout": 10})["flushed"]


def covers(ours, theirs, path: str = "$") -> None:
    """Every key of the fixture (recursively, first list element) is in our answer."""
    if isinstance(theirs, dict):
        assert isinstance(ours, dict), f"{path}: expected an object, got {ours!r}"
        missing = set(theirs) - set(ours) - {"_note"}
        assert not missing, f"{path}: missing {sorted(missing)}"
        for key, value in theirs.items():
            if value is not None and ours.get(key) is not None:
                covers(ours[key], value, f"{path}.{key}")
    elif isinstance(theirs, list) and theirs and isinstance(theirs[0], dict):
        assert isinstance(ours, list) and ours, f"{path}: expected a non-empty list"
        covers(ours[0], theirs[0], f"{path}[0]")


def fixture(name: str):
    return json.loads(shared_fixture("marketplaces", "ozon", name).read_text(encoding="utf-8"))


# ----------------------------------------------------------------------
# auth and errors
# ----------------------------------------------------------------------
def test_missing_headers_401_and_wrong_pair_403(client):
    assert api(client, "/v1/warehouse/list", headers={}, status=401) == {
        "code": 16, "message": "Client-Id and Api-Key headers are required"}
    assert api(client, "/v1/warehouse/list", headers={"Client-Id": CLIENT_ID}, status=401)["code"] == 16
    assert api(client, "/v1/warehouse/list", headers={**AUTH, "Api-Key": "nope"}, status=403) == {
        "code": 7, "message": "Invalid Api-Key, please contact support", "details": []}
    assert api(client, "/v1/warehouse/list", headers={**AUTH, "Client-Id": "1"}, status=403)["code"] == 7


def test_error_bodies_unknown_path_bad_json_and_get_method(client):
    assert api(client, "/v9/nothing", status=404) == {"code": 5, "message": "Not Found", "details": []}
    bad = client.post("/v3/posting/fbs/get", data="{nope", headers={**AUTH, "Content-Type": "application/json"})
    assert bad.status_code == 400 and bad.get_json()["code"] == 3
    assert client.get("/v1/warehouse/list", headers=AUTH).get_json()["code"] == 12
    assert api(client, "/v3/posting/fbs/get", {"posting_number": "00000000-0000-1"}, status=404) == {
        "code": 5, "message": "POSTING_NOT_FOUND", "details": []}


def test_401_body_is_the_fixture(client):
    assert api(client, "/v3/product/list", {"limit": 1}, headers={}, status=401) == fixture("error_401_response.json")


# ----------------------------------------------------------------------
# warehouses, products, stocks
# ----------------------------------------------------------------------
def test_warehouse_list_has_one_fbs_warehouse(client):
    assert api(client, "/v1/warehouse/list") == {"result": [
        {"warehouse_id": WAREHOUSE, "name": "Склад на Ленина", "is_rfbs": False, "status": "created"}]}


def test_product_list_pages_by_last_id_and_filters(client):
    first = api(client, "/v3/product/list", {"filter": {"visibility": "ALL"}, "last_id": "", "limit": 4})["result"]
    assert first["total"] == 7 and len(first["items"]) == 4 and first["last_id"]
    rest = api(client, "/v3/product/list", {"filter": {}, "last_id": first["last_id"], "limit": 4})["result"]
    offers = [item["offer_id"] for item in first["items"] + rest["items"]]
    assert offers == ["KUB-ZOLC-330", "SWI-LAKA-180", "NOT-GES-A5", "TOR-ZDZB", "TSH-VYSH-S", "TSH-VYSH-M",
                      "TSH-VYSH-L"]
    assert rest["last_id"] == "" and all(item["archived"] is False for item in rest["items"])
    only = api(client, "/v3/product/list", {"filter": {"offer_id": ["TOR-ZDZB"]}, "limit": 10})["result"]
    assert [item["offer_id"] for item in only["items"]] == ["TOR-ZDZB"] and only["total"] == 1
    api(client, "/v3/product/list", {"limit": 1001}, status=400)
    api(client, "/v3/product/list", {"limit": 5, "filter": {"visibility": "NOPE"}}, status=400)


def test_demo_seed_names_and_quantities(client):
    snapshot = client.get("/__sandbox__/stock").get_json()
    detail = snapshot.pop("_detail")
    assert set(snapshot) == {"KUB-ZOLC-330", "SWI-LAKA-180", "NOT-GES-A5", "TOR-ZDZB", "TSH-VYSH-S", "TSH-VYSH-M",
                             "TSH-VYSH-L"}
    assert all(5 <= qty <= 20 for qty in snapshot.values())
    assert all(d["warehouse_id"] == WAREHOUSE and d["reserved"] == 0 for d in detail.values())
    posting = order(client, ("TSH-VYSH-M", 1))
    assert "Вышиванка" in posting["products"][0]["name"]
    assert posting["customer"]["name"].split()[0] in {"Щукин", "Ёлкина", "Жуков", "Воробьёва"}


def test_info_stocks_and_stocks_by_warehouse_show_present_and_reserved(client):
    order(client, ("KUB-ZOLC-330", 2))
    info = api(client, "/v4/product/info/stocks", {"filter": {"offer_id": ["KUB-ZOLC-330"], "visibility": "ALL"},
                                                   "cursor": "", "limit": 10})
    assert info["total"] == 1 and info["cursor"] == ""
    entry = info["items"][0]["stocks"]
    assert entry == [{"present": 15, "reserved": 2, "shipment_type": "SHIPMENT_TYPE_GENERAL",
                      "sku": stock(client, "KUB-ZOLC-330")["sku"], "type": "fbs", "warehouse_ids": [WAREHOUSE]}]
    paged = api(client, "/v4/product/info/stocks", {"filter": {}, "limit": 5})
    assert len(paged["items"]) == 5 and paged["cursor"]
    assert len(api(client, "/v4/product/info/stocks", {"cursor": paged["cursor"], "limit": 5})["items"]) == 2
    sku = stock(client, "KUB-ZOLC-330")["sku"]
    rows = api(client, "/v1/product/info/stocks-by-warehouse/fbs", {"sku": [sku, 999]})["result"]
    assert rows == [{"sku": sku, "product_id": stock(client, "KUB-ZOLC-330")["product_id"], "present": 15,
                     "reserved": 2, "warehouse_id": WAREHOUSE, "warehouse_name": "Склад на Ленина"}]
    api(client, "/v1/product/info/stocks-by-warehouse/fbs", {"sku": []}, status=400)


def test_set_stock_means_available_excluding_reserved(client):
    posting = order(client, ("SWI-LAKA-180", 3))
    assert stock(client, "SWI-LAKA-180")["available"] == 6  # present 9, reserved 3
    assert set_stock(client, ("SWI-LAKA-180", 4)) == [{"warehouse_id": WAREHOUSE,
                                                       "product_id": stock(client, "SWI-LAKA-180")["product_id"],
                                                       "offer_id": "SWI-LAKA-180", "updated": True, "errors": []}]
    after = stock(client, "SWI-LAKA-180")
    assert (after["present"], after["reserved"], after["available"]) == (7, 3, 4)
    api(client, "/v2/posting/fbs/cancel", {"posting_number": posting["_id"], "cancel_reason_id": 352})
    cancelled = stock(client, "SWI-LAKA-180")
    assert (cancelled["present"], cancelled["reserved"], cancelled["available"]) == (7, 0, 7)


def test_per_pair_throttle_is_an_item_error_inside_http_200(client):
    control(client, "rate", {"pair_interval": 0.3})
    assert [r["updated"] for r in set_stock(client, ("NOT-GES-A5", 10))] == [True]
    again = set_stock(client, ("NOT-GES-A5", 11), ("TOR-ZDZB", 2))
    assert [r["updated"] for r in again] == [False, True]
    assert again[0]["errors"][0]["code"] == "TOO_MANY_REQUESTS" and again[1]["errors"] == []
    assert stock(client, "NOT-GES-A5")["present"] == 10
    time.sleep(0.35)
    assert set_stock(client, ("NOT-GES-A5", 11))[0]["updated"] is True
    assert stock(client, "NOT-GES-A5")["present"] == 11


def test_stock_item_errors_and_request_size(client):
    control(client, "listings", {"items": [{"sku": "NEW-NOT-READY", "quantity": 1, "state": "not_ready"}]})
    body = {"stocks": [{"offer_id": "NO-SUCH", "stock": 1, "warehouse_id": WAREHOUSE},
                       {"offer_id": "KUB-ZOLC-330", "stock": -1, "warehouse_id": WAREHOUSE},
                       {"offer_id": "NEW-NOT-READY", "stock": 3, "warehouse_id": WAREHOUSE},
                       {"offer_id": "TSH-VYSH-S", "stock": 3, "warehouse_id": 1}]}
    result = api(client, "/v2/products/stocks", body)["result"]
    assert [r["errors"][0]["code"] for r in result] == ["NOT_FOUND", "INVALID_STOCK", "PRODUCT_IS_NOT_CREATED",
                                                        "WAREHOUSE_NOT_FOUND"]
    assert not any(r["updated"] for r in result)
    product_id = stock(client, "KUB-ZOLC-330")["product_id"]
    by_id = api(client, "/v2/products/stocks", {"stocks": [{"product_id": product_id, "stock": 2,
                                                            "warehouse_id": WAREHOUSE}]})["result"][0]
    assert by_id["updated"] and by_id["offer_id"] == "KUB-ZOLC-330"
    for size in (0, 101):
        items = [{"offer_id": "KUB-ZOLC-330", "stock": 1, "warehouse_id": WAREHOUSE}] * size
        assert api(client, "/v2/products/stocks", {"stocks": items}, status=400)["code"] == 3


def test_stock_updates_per_minute_429_without_retry_after(client):
    control(client, "rate", {"limit": 2, "window": 60, "path": "/v2/products/stocks"})
    set_stock(client, ("KUB-ZOLC-330", 1))
    set_stock(client, ("SWI-LAKA-180", 1))
    refused = client.post("/v2/products/stocks", json={"stocks": [{"offer_id": "NOT-GES-A5", "stock": 1,
                                                                   "warehouse_id": WAREHOUSE}]}, headers=AUTH)
    assert refused.status_code == 429 and "Retry-After" not in refused.headers
    assert refused.get_json() == {"code": 8, "message": "You have reached request rate limit per minute",
                                  "details": []}
    assert stock(client, "NOT-GES-A5")["present"] == 20  # not processed
    api(client, "/v1/warehouse/list")  # other methods are not limited by it


def test_fifty_requests_per_second_over_all_methods():
    application = make_app(RATE_PER_SECOND=50)
    client = application.test_client()
    try:
        statuses = [client.post("/v1/warehouse/list", json={}, headers=AUTH).status_code for _ in range(50)]
        refused = client.post("/v3/product/list", json={"limit": 1}, headers=AUTH)
        assert statuses == [200] * 50 and refused.status_code == 429
        assert refused.get_json()["message"] == "You have reached request rate limit per second"
        assert "Retry-After" not in refused.headers
        time.sleep(1.05)
        assert client.post("/v1/warehouse/list", json={}, headers=AUTH).status_code == 200
        control(client, "rate", {"limit": 2, "window": 1})
        codes = [client.post("/v1/warehouse/list", json={}, headers=AUTH).status_code for _ in range(3)]
        assert codes == [200, 200, 429]
    finally:
        application.extensions["ozon_sandbox"].close()


# ----------------------------------------------------------------------
# postings: lists and get
# ----------------------------------------------------------------------
def test_unfulfilled_filter_rules(client):
    now = datetime.now(timezone.utc)
    soon = order(client, ("KUB-ZOLC-330", 1))
    later = order(client, ("NOT-GES-A5", 1), shipment_date=iso(now + timedelta(days=10)))
    path = "/v3/posting/fbs/unfulfilled/list"
    both = {**around(), "delivering_date_from": iso(now), "delivering_date_to": iso(now + timedelta(days=1))}
    for query in ({}, both, {"cutoff_from": iso(now)},
                  {"cutoff_from": iso(now - timedelta(days=400)), "cutoff_to": iso(now)}):
        assert api(client, path, {"filter": query, "limit": 10}, status=400)["code"] == 3
    api(client, path, {"filter": around(), "limit": 0}, status=400)
    api(client, path, {"filter": around(), "limit": 1001}, status=400)
    assert [p["posting_number"] for p in unfulfilled(client)["postings"]] == [soon["_id"]]
    wide = unfulfilled(client, filter=around(days=30))
    assert wide["count"] == 2 and [p["posting_number"] for p in wide["postings"]] == [soon["_id"], later["_id"]]
    by_delivery = api(client, path, {"filter": {"delivering_date_from": iso(now + timedelta(days=9)),
                                                "delivering_date_to": iso(now + timedelta(days=11))}, "limit": 5})
    assert [p["posting_number"] for p in by_delivery["result"]["postings"]] == [later["_id"]]
    ship(client, soon["_id"], [(soon["products"][0]["sku"], 1)])
    packaging = unfulfilled(client, filter={**around(days=30), "status": "awaiting_packaging"})
    assert [p["posting_number"] for p in packaging["postings"]] == [later["_id"]]
    api(client, path, {"filter": {**around(), "status": "bogus"}, "limit": 5}, status=400)
    assert unfulfilled(client, filter={**around(days=30), "warehouse_id": [1]})["count"] == 0


def test_unfulfilled_paging_direction_and_finished_postings_drop_out(client):
    numbers = [order(client, ("NOT-GES-A5", 1))["_id"] for _ in range(5)]
    page1 = unfulfilled(client, limit=2, offset=0)
    page3 = unfulfilled(client, limit=2, offset=4)
    assert page1["count"] == page3["count"] == 5
    assert [p["posting_number"] for p in page1["postings"]] == numbers[:2]
    assert [p["posting_number"] for p in page3["postings"]] == numbers[4:]
    assert [p["posting_number"] for p in unfulfilled(client, dir="DESC", limit=2)["postings"]] == numbers[:2:-1][:2]
    api(client, "/v2/posting/fbs/cancel", {"posting_number": numbers[0], "cancel_reason_id": 352})
    assert unfulfilled(client)["count"] == 4


def test_fbs_list_since_to_has_next_and_last_changed_status_date(client):
    now = datetime.now(timezone.utc)
    old = order(client, ("KUB-ZOLC-330", 1), in_process_at=iso(now - timedelta(days=60)))
    numbers = [order(client, ("NOT-GES-A5", 1))["_id"] for _ in range(3)]
    for missing in ({"since": iso(now)}, {"to": iso(now)}, {}):
        assert api(client, "/v3/posting/fbs/list", {"filter": missing, "limit": 10}, status=400)["code"] == 3
    first = fbs_list(client, limit=2)
    assert [p["posting_number"] for p in first["postings"]] == numbers[:2] and first["has_next"] is True
    last = fbs_list(client, limit=2, offset=2)
    assert [p["posting_number"] for p in last["postings"]] == numbers[2:] and last["has_next"] is False
    assert old["_id"] not in [p["posting_number"] for p in fbs_list(client)["postings"]]
    mark = datetime.now(timezone.utc)
    api(client, "/v2/posting/fbs/cancel", {"posting_number": numbers[1], "cancel_reason_id": 352})
    changed = fbs_list(client, filter={"last_changed_status_date": {"from": iso(mark),
                                                                    "to": iso(mark + timedelta(minutes=1))}})
    assert [(p["posting_number"], p["status"]) for p in changed["postings"]] == [(numbers[1], "cancelled")]
    assert fbs_list(client, filter={"status": "cancelled"})["postings"][0]["posting_number"] == numbers[1]


def test_get_posting_and_with_blocks(client):
    placed = order(client, ("KUB-ZOLC-330", 2), ("TSH-VYSH-S", 1))
    number = placed["_id"]
    assert len(number.split("-")) == 3 and [len(part) for part in number.split("-")] == [8, 4, 1]
    plain = get(client, number)
    assert plain["status"] == "awaiting_packaging" and plain["substatus"] == "posting_created"
    assert plain["order_number"] == number.rsplit("-", 1)[0] and plain["order_id"] == placed["order_id"]
    assert plain["analytics_data"] is None and plain["financial_data"] is None and plain["customer"] is None
    assert [(p["offer_id"], p["quantity"], p["currency_code"]) for p in plain["products"]] == [
        ("KUB-ZOLC-330", 2, "RUB"), ("TSH-VYSH-S", 1, "RUB")]
    assert plain["products"][0]["price"] == "790.0000"
    assert plain["delivery_method"]["warehouse_id"] == WAREHOUSE
    shipment = datetime.fromisoformat(plain["shipment_date"])
    assert timedelta(hours=23) < shipment - datetime.fromisoformat(plain["in_process_at"]) <= timedelta(days=1)
    full = get(client, number, **EVERYTHING)
    assert full["analytics_data"]["warehouse_id"] == WAREHOUSE
    assert full["financial_data"]["products"][0]["product_id"] == plain["products"][0]["sku"]
    assert full["barcodes"]["upper_barcode"]


def test_checkout_reserves_and_out_of_stock_is_409(client):
    placed = order(client, ("TOR-ZDZB", 4))
    assert stock(client, "TOR-ZDZB")["reserved"] == 4 and stock(client, "TOR-ZDZB")["available"] == 1
    refused = client.post("/__sandbox__/orders", json={"lines": [{"sku": "TOR-ZDZB", "quantity": 2}]})
    assert refused.status_code == 409 and refused.get_json()["error"] == "out_of_stock"
    assert client.post("/__sandbox__/orders", json={"lines": [{"sku": "NOPE", "quantity": 1}]}).status_code == 409
    control(client, "listings", {"items": [{"sku": "HIDDEN", "quantity": 5, "state": "not_ready"}]})
    assert client.post("/__sandbox__/orders", json={"lines": [{"sku": "HIDDEN", "quantity": 1}]}).status_code == 409
    assert stock(client, "TOR-ZDZB")["reserved"] == 4  # refused checkouts reserve nothing
    assert order(client, ("TOR-ZDZB", 1))["status"] == "awaiting_packaging"
    assert stock(client, "TOR-ZDZB")["available"] == 0
    postings = client.get("/__sandbox__/orders").get_json()["orders"]
    assert [p["posting_number"] for p in postings][0] == placed["_id"] and len(postings) == 2


# ----------------------------------------------------------------------
# ship, tracking, delivery, cancel
# ----------------------------------------------------------------------
def test_ship_single_package(client):
    placed = order(client, ("KUB-ZOLC-330", 2))
    sku = placed["products"][0]["sku"]
    ship(client, placed["_id"], [(sku, 1)], status=400)  # every unit must be packed
    assert ship(client, placed["_id"], [(sku, 2)]) == {"result": [placed["_id"]]}
    assert get(client, placed["_id"])["status"] == "awaiting_deliver"
    again = ship(client, placed["_id"], [(sku, 2)], status=400)
    assert again == {"code": 3, "message": "POSTING_ALREADY_SHIPPED", "details": []}
    assert stock(client, "KUB-ZOLC-330")["reserved"] == 2  # still Ozon's until handover


def test_ship_several_packages_splits_the_posting(client):
    placed = order(client, ("KUB-ZOLC-330", 2), ("TSH-VYSH-L", 1))
    kub, tsh = (p["sku"] for p in placed["products"])
    parts = ship(client, placed["_id"], [(kub, 1)], [(kub, 1), (tsh, 1)])["result"]
    order_number = placed["order_number"]
    assert parts == [f"{order_number}-2", f"{order_number}-3"]
    assert get(client, placed["_id"])["status"] == "cancelled_from_split_pending"
    children = [get(client, number) for number in parts]
    assert all(c["status"] == "awaiting_deliver" and c["parent_posting_number"] == placed["_id"] for c in children)
    assert [[(p["offer_id"], p["quantity"]) for p in c["products"]] for c in children] == [
        [("KUB-ZOLC-330", 1)], [("KUB-ZOLC-330", 1), ("TSH-VYSH-L", 1)]]
    assert stock(client, "KUB-ZOLC-330")["reserved"] == 2 and stock(client, "TSH-VYSH-L")["reserved"] == 1
    assert sorted(p["posting_number"] for p in unfulfilled(client)["postings"]) == parts
    api(client, "/v2/posting/fbs/cancel", {"posting_number": parts[0], "cancel_reason_id": 400})
    assert stock(client, "KUB-ZOLC-330")["reserved"] == 1
    assert ship(client, placed["_id"], [(kub, 2), (tsh, 1)], status=400)["message"] == "INVALID_POSTING_STATE"


def test_tracking_number_set_rfbs_only(client):
    fbs = order(client, ("KUB-ZOLC-330", 1))
    rfbs = order(client, ("NOT-GES-A5", 1), rfbs=True)
    assert rfbs["tpl_integration_type"] == "non_integrated" and fbs["tpl_integration_type"] == "ozon"
    body = {"tracking_numbers": [{"posting_number": fbs["_id"], "tracking_number": "RA123"},
                                 {"posting_number": rfbs["_id"], "tracking_number": "RB456"},
                                 {"posting_number": "11111111-1111-1", "tracking_number": "X"}]}
    assert api(client, "/v2/fbs/posting/tracking-number/set", body)["result"] == [
        {"posting_number": fbs["_id"], "result": False, "error": ["POSTING_NOT_RFBS"]},
        {"posting_number": rfbs["_id"], "result": True, "error": []},
        {"posting_number": "11111111-1111-1", "result": False, "error": ["POSTING_NOT_FOUND"]}]
    assert get(client, rfbs["_id"])["tracking_number"] == "RB456" and get(client, fbs["_id"])["tracking_number"] == ""
    many = {"tracking_numbers": [{"posting_number": rfbs["_id"], "tracking_number": str(i)} for i in range(21)]}
    assert api(client, "/v2/fbs/posting/tracking-number/set", many, status=400)["code"] == 3


def test_rfbs_delivering_last_mile_delivered(client):
    rfbs = order(client, ("SWI-LAKA-180", 2), rfbs=True)
    fbs = order(client, ("SWI-LAKA-180", 1))
    number = rfbs["_id"]
    early = api(client, "/v2/fbs/posting/delivering", {"posting_number": [number, fbs["_id"]]})["result"]
    assert early == [{"posting_number": number, "result": False, "error": ["INVALID_POSTING_STATE"]},
                     {"posting_number": fbs["_id"], "result": False, "error": ["POSTING_NOT_RFBS"]}]
    ship(client, number, [(rfbs["products"][0]["sku"], 2)])
    assert api(client, "/v2/fbs/posting/delivering", {"posting_number": [number]})["result"][0]["result"] is True
    left = stock(client, "SWI-LAKA-180")
    assert (left["present"], left["reserved"]) == (7, 1)  # 9 - 2 left the warehouse; fbs still reserved
    assert get(client, number)["status"] == "delivering"
    assert api(client, "/v2/fbs/posting/last-mile", {"posting_number": [number]})["result"][0]["result"]
    assert get(client, number)["substatus"] == "posting_in_courier_service"
    assert api(client, "/v2/fbs/posting/delivered", {"posting_number": [number]})["result"][0]["result"]
    assert get(client, number)["status"] == "delivered"
    assert stock(client, "SWI-LAKA-180")["present"] == 7
    api(client, "/v2/fbs/posting/delivered", {"posting_number": []}, status=400)


def test_cancel_reasons_and_cancel(client):
    reasons = api(client, "/v2/posting/fbs/cancel-reason/list")["result"]
    assert {r["id"] for r in reasons} == {352, 400, 401, 402, 665, 666, 667}
    assert {r["id"] for r in reasons if r["is_available_for_cancellation"]} == {352, 400, 402}
    placed = order(client, ("TSH-VYSH-S", 2))
    number = placed["_id"]
    per_posting = api(client, "/v1/posting/fbs/cancel-reason", {"related_posting_numbers": [number]})["result"]
    assert per_posting[0]["posting_number"] == number
    assert [r["id"] for r in per_posting[0]["reasons"]] == [352, 400, 402]
    assert api(client, "/v2/posting/fbs/cancel", {"posting_number": number, "cancel_reason_id": 665},
               status=400)["code"] == 3
    assert api(client, "/v2/posting/fbs/cancel", {"posting_number": number, "cancel_reason_id": 402,
                                                  "cancel_reason_message": ""}, status=400)["code"] == 3
    api(client, "/v2/posting/fbs/cancel", {"posting_number": "0-0-0", "cancel_reason_id": 352}, status=404)
    assert api(client, "/v2/posting/fbs/cancel", {"posting_number": number, "cancel_reason_id": 402,
                                                  "cancel_reason_message": "Нет в наличии"}) == {"result": True}
    cancelled = get(client, number)
    assert cancelled["status"] == "cancelled" and cancelled["cancellation"]["cancel_reason_id"] == 402
    assert cancelled["cancellation"]["cancellation_initiator"] == "Продавец"
    after = stock(client, "TSH-VYSH-S")
    assert (after["present"], after["reserved"]) == (8, 0)
    assert api(client, "/v1/posting/fbs/cancel-reason", {"related_posting_numbers": [number]})["result"][0][
        "reasons"] == []
    api(client, "/v2/posting/fbs/cancel", {"posting_number": number, "cancel_reason_id": 352}, status=400)


def test_no_cancel_reasons_while_delivering(client):
    placed = order(client, ("NOT-GES-A5", 1))
    ship(client, placed["_id"], [(placed["products"][0]["sku"], 1)])
    control(client, f"orders/{placed['_id']}/event", {"action": "handover"})
    assert api(client, "/v1/posting/fbs/cancel-reason",
               {"related_posting_numbers": [placed["_id"]]})["result"][0]["reasons"] == []


def test_control_events_move_stock(client):
    a, b, c = (order(client, ("KUB-ZOLC-330", 2)) for _ in range(3))
    assert stock(client, "KUB-ZOLC-330")["reserved"] == 6
    control(client, f"orders/{a['_id']}/event", {"action": "handover"}, status=409)  # not packed yet
    ship(client, a["_id"], [(a["products"][0]["sku"], 2)])
    moved = control(client, f"orders/{a['_id']}/event", {"action": "handover"})
    assert moved["status"] == "delivering" and moved["delivering_date"]
    after = stock(client, "KUB-ZOLC-330")
    assert (after["present"], after["reserved"]) == (13, 4)
    assert control(client, f"orders/{a['_id']}/event", {"action": "deliver"})["status"] == "delivered"
    ship(client, b["_id"], [(b["products"][0]["sku"], 2)])
    assert control(client, f"orders/{b['_id']}/event", {"action": "deliver"})["status"] == "delivered"
    cancelled = control(client, f"orders/{c['_id']}/event", {"action": "buyer_cancel"})
    assert cancelled["cancellation"]["cancellation_type"] == "client"
    final = stock(client, "KUB-ZOLC-330")
    assert (final["present"], final["reserved"], final["available"]) == (11, 0, 11)
    control(client, f"orders/{c['_id']}/event", {"action": "buyer_cancel"}, status=409)
    d = order(client, ("KUB-ZOLC-330", 1))
    assert control(client, f"orders/{d['_id']}/event", {"action": "arbitration"})["status"] == "arbitration"
    control(client, "orders/00000000-0000-9/event", {"action": "deliver"}, status=404)


# ----------------------------------------------------------------------
# push notifications
# ----------------------------------------------------------------------
def test_push_registration_sends_ping_and_events_are_pushed(client, receiver):
    registered = control(client, "push", {"url": receiver.url})
    assert registered["ping"]["ok"] and receiver.of_type("TYPE_PING")[0]["time"]
    placed = order(client, ("TSH-VYSH-M", 2))
    number = placed["_id"]
    ship(client, number, [(placed["products"][0]["sku"], 2)])
    control(client, f"orders/{number}/event", {"action": "deliver"})
    other = order(client, ("KUB-ZOLC-330", 1))
    api(client, "/v2/posting/fbs/cancel", {"posting_number": other["_id"], "cancel_reason_id": 352})
    flush(client)
    new = receiver.of_type("TYPE_NEW_POSTING")
    assert [b["posting_number"] for b in new] == [number, other["_id"]]
    assert new[0]["products"] == [{"sku": placed["products"][0]["sku"], "quantity": 2}]
    assert new[0]["seller_id"] == int(CLIENT_ID) and new[0]["warehouse_id"] == WAREHOUSE
    states = [(b["posting_number"], b["new_state"]) for b in receiver.of_type("TYPE_STATE_CHANGED")]
    assert states == [(number, "posting_not_in_carriage"), (number, "posting_transferring_to_delivery"),
                      (number, "posting_delivered")]
    cancel = receiver.of_type("TYPE_POSTING_CANCELLED")[0]
    assert cancel["posting_number"] == other["_id"] and cancel["new_state"] == "posting_canceled"
    assert cancel["reason"]["id"] == 352 and cancel["old_state"] == "posting_created"


def test_push_url_whose_ping_answer_is_wrong_is_refused(client, receiver):
    receiver.script.append((200, {"result": True}))  # not {version, name, time}
    assert "TYPE_PING" in control(client, "push", {"url": receiver.url}, status=400)["error"]
    order(client, ("KUB-ZOLC-330", 1))
    flush(client)
    assert receiver.of_type("TYPE_NEW_POSTING") == []
    assert client.get("/__sandbox__/pushes").get_json()["pushes"][-1]["outcome"] == "skipped"


def test_push_retries_until_acknowledged_and_gives_up(client, receiver):
    control(client, "push", {"url": receiver.url})
    receiver.script.extend([(500, {"error": {"code": "ERROR_UNKNOWN", "message": "x", "details": None}}),
                            (200, "not json")])
    placed = order(client, ("KUB-ZOLC-330", 1))
    flush(client)
    attempts = [p for p in client.get("/__sandbox__/pushes").get_json()["pushes"]
                if p["posting_number"] == placed["_id"]]
    assert [(p["attempt"], p["http_status"], p["outcome"]) for p in attempts] == [
        (1, 500, "retrying"), (2, 200, "retrying"), (3, 200, "acknowledged")]
    assert len(receiver.of_type("TYPE_NEW_POSTING")) == 3
    receiver.always = (503, "down")
    doomed = order(client, ("KUB-ZOLC-330", 1))
    flush(client)
    tries = [p for p in client.get("/__sandbox__/pushes").get_json()["pushes"] if p["posting_number"] == doomed["_id"]]
    assert len(tries) == 4 and tries[-1]["outcome"] == "gave_up"  # 1 + PUSH_RETRIES (3)


def test_duplicated_request_error_acknowledges(client, receiver):
    control(client, "push", {"url": receiver.url})
    receiver.script.append((409, {"error": {"code": "ERROR_REQUEST_DUPLICATED", "message": "seen", "details": None}}))
    order(client, ("KUB-ZOLC-330", 1))
    flush(client)
    assert [p["outcome"] for p in client.get("/__sandbox__/pushes").get_json()["pushes"][1:]] == ["acknowledged"]


def test_lost_pushes_are_not_sent_but_the_poll_finds_the_posting(client, receiver):
    control(client, "push", {"url": receiver.url})
    assert control(client, "lose", {"count": 1})["lost_queued"] == 1
    lost = order(client, ("NOT-GES-A5", 1))
    kept = order(client, ("NOT-GES-A5", 1))
    flush(client)
    assert [b["posting_number"] for b in receiver.of_type("TYPE_NEW_POSTING")] == [kept["_id"]]
    log = client.get("/__sandbox__/pushes").get_json()["pushes"]
    assert [p["lost"] for p in log if p["posting_number"] == lost["_id"]] == [True]
    assert {p["posting_number"] for p in unfulfilled(client)["postings"]} == {lost["_id"], kept["_id"]}


# ----------------------------------------------------------------------
# feed glitches and faults
# ----------------------------------------------------------------------
def test_duplicate_repeats_each_posting_in_the_next_list_answers(client):
    a = order(client, ("KUB-ZOLC-330", 1))
    b = order(client, ("SWI-LAKA-180", 1))
    control(client, "duplicate", {"count": 2})
    assert [p["posting_number"] for p in unfulfilled(client)["postings"]] == [a["_id"], a["_id"], b["_id"], b["_id"]]
    assert [p["posting_number"] for p in fbs_list(client)["postings"]] == [a["_id"], a["_id"], b["_id"], b["_id"]]
    assert [p["posting_number"] for p in unfulfilled(client)["postings"]] == [a["_id"], b["_id"]]


def test_fail_injection_statuses_paths_timeout_and_lost(client):
    control(client, "fail", {"status": 500, "count": 1, "path": "/v3/product/"})
    api(client, "/v1/warehouse/list")  # another path: unaffected
    assert api(client, "/v3/product/list", {"limit": 1}, status=500)["code"] == 13
    api(client, "/v3/product/list", {"limit": 1})
    control(client, "fail", {"status": 429, "count": 2})
    plain = client.post("/v1/warehouse/list", json={}, headers=AUTH)
    assert plain.status_code == 429 and plain.get_json()["code"] == 8 and "Retry-After" not in plain.headers
    control(client, "fail", {"status": 503, "count": 1})
    assert api(client, "/v1/warehouse/list", status=429)["code"] == 8
    assert api(client, "/v1/warehouse/list", status=503)["code"] == 14
    control(client, "fail", {"status": 429, "count": 1, "retry_after": 7})
    assert client.post("/v1/warehouse/list", json={}, headers=AUTH).headers["Retry-After"] == "7"
    placed = order(client, ("KUB-ZOLC-330", 1))
    control(client, "fail", {"status": "timeout", "count": 1})
    ship(client, placed["_id"], [(placed["products"][0]["sku"], 1)], status=504)
    assert get(client, placed["_id"])["status"] == "awaiting_packaging"  # not processed
    control(client, "fail", {"status": "lost", "count": 1})
    ship(client, placed["_id"], [(placed["products"][0]["sku"], 1)], status=504)
    assert get(client, placed["_id"])["status"] == "awaiting_deliver"  # processed, answer lost
    control(client, "fail", {"status": "nope"}, status=400)


def test_calls_log_and_orders_show_seller_calls(client):
    placed = order(client, ("KUB-ZOLC-330", 1))
    get(client, placed["_id"])
    api(client, "/v3/posting/fbs/get", {"posting_number": placed["_id"]}, headers={}, status=401)
    calls = client.get("/__sandbox__/calls").get_json()
    assert [(c["method"], c["path"], c["status"]) for c in calls] == [
        ("POST", "/v3/posting/fbs/get", 200), ("POST", "/v3/posting/fbs/get", 401)]
    posting = client.get("/__sandbox__/orders").get_json()["orders"][0]
    assert [c["status"] for c in posting["calls"]] == [200, 401] and posting["status"] == "awaiting_packaging"


def test_listings_and_reset(client):
    created = control(client, "listings", {"items": [{"sku": "NEW-1", "quantity": 4, "name": "Новинка",
                                                      "price": "19.99"},
                                                     {"sku": "NEW-R", "quantity": 2, "rfbs": True}]})["created"]
    assert created[0]["ref"] == f"NEW-1:{WAREHOUSE}" and created[0]["product_id"] and created[0]["ozon_sku"]
    assert created[1]["warehouse_id"] != WAREHOUSE
    assert [w["is_rfbs"] for w in api(client, "/v1/warehouse/list")["result"]] == [False, True]
    placed = order(client, ("NEW-R", 1))
    assert placed["products"][0]["price"] == "1000.0000" and get(client, placed["_id"])["tpl_integration_type"] == \
        "non_integrated"
    control(client, "listings", {"items": [{"sku": "NEW-R", "quantity": 5, "rfbs": True}]})
    assert stock(client, "NEW-R")["available"] == 5 and stock(client, "NEW-R")["reserved"] == 1
    assert order(client, ("NEW-1", 4))["products"][0]["price"] == "19.9900"
    assert control(client, "reset", {"seed": None})["seeded"] == []
    assert client.get("/__sandbox__/stock").get_json() == {"_detail": {}}
    assert len(api(client, "/v1/warehouse/list")["result"]) == 1
    assert len(control(client, "reset", {"seed": "demo"})["seeded"]) == 7


def test_order_trickle_places_orders_that_the_listing_can_supply():
    application = make_app(ORDER_TRICKLE=0.02, TRICKLE_SEED=7)
    client = application.test_client()
    try:
        deadline = time.monotonic() + 5
        while len(client.get("/__sandbox__/orders").get_json()["orders"]) < 5 and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        application.extensions["ozon_sandbox"].close()
    postings = client.get("/__sandbox__/orders").get_json()["orders"]
    assert len(postings) >= 5
    assert all(1 <= len(p["lines"]) <= 2 and all(1 <= l["quantity"] <= 2 for l in p["lines"]) for p in postings)
    reserved: dict[str, int] = {}
    for posting in postings:
        for line in posting["lines"]:
            reserved[line["sku"]] = reserved.get(line["sku"], 0) + line["quantity"]
    detail = client.get("/__sandbox__/stock").get_json()["_detail"]
    assert all(detail[sku]["reserved"] == qty <= detail[sku]["present"] for sku, qty in reserved.items())


# ----------------------------------------------------------------------
# golden shapes (../shared fixtures)
# ----------------------------------------------------------------------
def test_posting_shapes_match_the_fixtures(client):
    placed = order(client, ("KUB-ZOLC-330", 1))
    listed = unfulfilled(client, **{"with": EVERYTHING})
    covers(listed, fixture("v3_posting_fbs_unfulfilled_list_response.json")["result"])
    covers(fbs_list(client), fixture("v3_posting_fbs_list_response.json")["result"])
    covers({"result": get(client, placed["_id"])}, fixture("v3_posting_fbs_get_response.json"))
    shipped = ship(client, placed["_id"], [(placed["products"][0]["sku"], 1)])
    covers(shipped, fixture("v4_posting_fbs_ship_response.json"))


def test_stock_and_action_shapes_match_the_fixtures(client):
    covers(api(client, "/v2/products/stocks", {"stocks": [{"offer_id": "KUB-ZOLC-330", "stock": 3,
                                                           "warehouse_id": WAREHOUSE}]}),
           fixture("v2_products_stocks_response.json"))
    covers(api(client, "/v4/product/info/stocks", {"filter": {}, "limit": 2}),
           fixture("v4_product_info_stocks_response.json"))
    rfbs = order(client, ("NOT-GES-A5", 1), rfbs=True)
    ship(client, rfbs["_id"], [(rfbs["products"][0]["sku"], 1)])
    body = {"tracking_numbers": [{"posting_number": rfbs["_id"], "tracking_number": "T1"}]}
    covers(api(client, "/v2/fbs/posting/tracking-number/set", body),
           fixture("v2_fbs_posting_tracking_number_set_response.json"))
    covers(api(client, "/v2/fbs/posting/delivering", {"posting_number": [rfbs["_id"]]}),
           fixture("v2_fbs_posting_delivering_response.json"))
    covers(api(client, "/v2/posting/fbs/cancel-reason/list"),
           fixture("v2_posting_fbs_cancel_reason_list_response.json"))
    fresh = order(client, ("KUB-ZOLC-330", 1))["_id"]
    covers(api(client, "/v1/posting/fbs/cancel-reason", {"related_posting_numbers": [fresh]}),
           fixture("v1_posting_fbs_cancel_reason_response.json"))
    assert api(client, "/v2/posting/fbs/cancel", {"posting_number": rfbs["_id"], "cancel_reason_id": 352},
               status=400)["code"] == 3  # delivering: no reasons
    covers(api(client, "/v2/posting/fbs/cancel", {"posting_number": fresh, "cancel_reason_id": 352}),
           fixture("v2_posting_fbs_cancel_response.json"))


def test_push_shapes_match_the_fixtures(client, receiver):
    control(client, "push", {"url": receiver.url})
    placed = order(client, ("KUB-ZOLC-330", 1))
    control(client, f"orders/{placed['_id']}/event", {"action": "buyer_cancel"})
    other = order(client, ("KUB-ZOLC-330", 1))
    ship(client, other["_id"], [(other["products"][0]["sku"], 1)])
    flush(client)
    for kind, name in (("TYPE_PING", "push_type_ping.json"), ("TYPE_NEW_POSTING", "push_type_new_posting.json"),
                       ("TYPE_POSTING_CANCELLED", "push_type_posting_cancelled.json"),
                       ("TYPE_STATE_CHANGED", "push_type_state_changed.json")):
        covers(receiver.of_type(kind)[0], fixture(name))


# ----------------------------------------------------------------------
# the real process
# ----------------------------------------------------------------------
def test_the_cli_serves_on_port_0_and_imports_nothing_of_the_middleware():
    code = ("import sys, sandbox.ozon; print([m for m in sys.modules if m.split('.')[0] in "
            "('connector', 'mappers', 'webhooks', 'workers', 'console')])")
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                          timeout=60).stdout.strip() == "[]"
    process = subprocess.Popen([sys.executable, "-m", "sandbox.ozon", "--port", "0", "--client-id", "777",
                                "--api-key", "k-777", "--seed", "demo", "--pair-interval", "2"],
                               cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        line = process.stdout.readline()
        assert line.startswith("Ozon sandbox on http://127.0.0.1:")
        url = line.split(" on ", 1)[1].strip()
        headers = {"Client-Id": "777", "Api-Key": "k-777"}
        answer = requests.post(f"{url}/v1/warehouse/list", json={}, headers=headers, timeout=5)
        assert answer.status_code == 200 and answer.json()["result"][0]["warehouse_id"] == WAREHOUSE
        assert requests.post(f"{url}/v1/warehouse/list", json={}, timeout=5).status_code == 401
        body = {"stocks": [{"offer_id": "TOR-ZDZB", "stock": 1, "warehouse_id": WAREHOUSE}]}
        results = [requests.post(f"{url}/v2/products/stocks", json=body, headers=headers, timeout=5).json()
                   for _ in range(2)]
        assert [r["result"][0]["updated"] for r in results] == [True, False]
    finally:
        process.terminate()
        process.wait(10)
