"""The Rozetka sandbox behaves like the Rozetka Seller API contract (specs/rozetka.md), over HTTP.

Plain Flask test-client calls (one real ``python -m sandbox.rozetka --port 0`` process at the end), no
middleware code. Time-dependent rules (token expiry, ``changed`` windows, rate-limit blocks) move the
sandbox clock with ``POST /__sandbox__/clock`` instead of sleeping; one test waits for a real 2 s token.
"""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import requests

from sandbox.rozetka import create_app
from sandbox.woocommerce.seed import SIMPLE_PRODUCTS, VARIATIONS
from tests.conftest import shared_fixture

USER, PASSWORD, STATIC = "stockbridge-ґ", "пароль-Щука-1", "static-api-token-0123456789"
STAMP = "%Y-%m-%d %H:%M:%S"
FULL = "purchases,delivery,status_available,order_status_history,user"


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def fixture_json(name: str) -> dict:
    return json.loads(shared_fixture("marketplaces", "rozetka", name).read_text(encoding="utf-8"))


def make_app(**config):
    settings = {"USERNAME": USER, "PASSWORD": PASSWORD, "API_TOKEN": STATIC, "SEED": "demo", "HANG_SECONDS": 0.3}
    return create_app({**settings, **config})


@pytest.fixture
def app():
    app = make_app()
    yield app
    app.extensions["rozetka_sandbox"].close()


@pytest.fixture
def client(app):
    return app.test_client()


class Seller:
    """The seller's side: Bearer calls with a token from ``POST /sites``."""

    def __init__(self, client, token: str | None = None):
        self.client = client
        self.token = token or login(client).json["content"]["access_token"]

    def headers(self, extra: dict | None = None) -> dict:
        return {"Authorization": f"Bearer {self.token}", **(extra or {})}

    def get(self, path: str, headers: dict | None = None, **params):
        return self.client.get(path, query_string=params, headers=self.headers(headers))

    def put(self, path: str, body: dict):
        return self.client.put(path, json=body, headers=self.headers())

    def search(self, **params) -> dict:
        answer = self.get("/orders/search", **params)
        assert answer.status_code == 200 and answer.json["success"], answer.json
        return answer.json["content"]


@pytest.fixture
def seller(client):
    return Seller(client)


def login(client, username: str = USER, password: str | None = None):
    return client.post("/sites", json={"username": username, "password": password or b64(PASSWORD)})


def control(client, name: str, body: dict | None = None, status: int = 200):
    answer = client.post(f"/__sandbox__/{name}", json=body or {})
    assert answer.status_code == status, answer.get_data(as_text=True)
    return answer.json


def buy(client, *lines: tuple[str, int], payment: str = "cod", **extra) -> dict:
    body = {"lines": [{"sku": sku, "quantity": qty} for sku, qty in lines], "payment": payment, **extra}
    return control(client, "orders", body, status=201)


def shift(client, seconds: float) -> None:
    control(client, "clock", {"shift": seconds})


def order_of(client, order_id: int) -> dict:
    return next(o for o in control_get(client, "orders")["orders"] if o["id"] == order_id)


def control_get(client, name: str):
    answer = client.get(f"/__sandbox__/{name}")
    assert answer.status_code == 200
    return answer.json


def error_of(answer) -> tuple[int, str, int]:
    body = answer.json
    assert body["success"] is False, body
    return answer.status_code, body["errors"]["message"], body["errors"]["code"]


# ----------------------------------------------------------------------------------------------
# auth
# ----------------------------------------------------------------------------------------------
def test_login_with_base64_password_and_refusals_in_http_200(client):
    answer = login(client)
    assert answer.status_code == 200 and answer.json["success"] is True
    token = answer.json["content"]["access_token"]
    assert len(token) == 32 and token.isalnum()
    assert Seller(client, token).get("/goods/all").json["success"] is True
    refused = {"success": False, "errors": {"message": "invalid_credentials", "code": 5401, "details": []}}
    for wrong in (login(client, password=b64("nope")), login(client, username="someone-else"),
                  client.post("/sites", json={"username": USER, "password": PASSWORD}),  # not base64
                  client.post("/sites", json={"username": USER})):
        assert (wrong.status_code, wrong.json) == (200, refused)


def test_missing_unknown_and_static_tokens(client):
    incorrect = {"success": False, "errors": {"message": "incorrect_token", "code": 1020, "details": []}}
    for headers in ({}, {"Authorization": "Bearer not-a-token"}, {"Authorization": f"Basic {b64('a:b')}"}):
        answer = client.get("/orders/search", headers=headers)
        assert (answer.status_code, answer.json) == (401, incorrect)
    assert client.get("/no/such/route").status_code == 401  # auth before routing
    static = Seller(client, STATIC)
    assert static.search()["_meta"]["totalCount"] == 0
    assert error_of(static.get("/no/such/route")) == (404, "not_found", 5404)


def test_session_expires_with_6001_but_static_token_and_new_logins_live_on(client):
    first, second = Seller(client), Seller(client)
    assert first.token != second.token
    shift(client, 86400 - 5)
    assert first.get("/goods/all").status_code == 200  # an older token stays valid after a new login
    shift(client, 10)
    expired = first.get("/orders/search")
    assert (expired.status_code, expired.json) == (
        401, {"success": False, "errors": {"message": "session_expired", "code": 6001, "details": []}})
    assert second.get("/orders/search").status_code == 401
    assert Seller(client, STATIC).get("/orders/search").status_code == 200
    fresh = Seller(client)
    assert fresh.get("/orders/search").status_code == 200
    control(client, "expire_tokens")
    assert error_of(fresh.get("/goods/all")) == (401, "session_expired", 6001)


def test_a_short_token_ttl_expires_in_real_time():
    app = make_app(TOKEN_TTL=2)
    seller = Seller(app.test_client())
    assert seller.get("/goods/all").status_code == 200
    time.sleep(2.1)
    assert error_of(seller.get("/goods/all")) == (401, "session_expired", 6001)


# ----------------------------------------------------------------------------------------------
# demo catalog, items and stock
# ----------------------------------------------------------------------------------------------
def test_demo_seed_lists_the_woocommerce_skus_with_ukrainian_and_russian_names(seller):
    content = seller.get("/goods/all", pageSize=100).json["content"]
    items = {i["price_offer_id"]: i for i in content["items"]}
    assert set(items) == {p["sku"] for p in SIMPLE_PRODUCTS} | {sku for _, sku, _, _ in VARIATIONS}
    for item in items.values():
        assert 5 <= item["stock_quantity"] <= 20 and item["available"] == 1
        assert isinstance(item["rz_item_id"], int) and item["name"] == item["name_ua"] != item["name_ru"]
    assert "Вишиванка" in items["TSH-VYSH-M"]["name_ua"] and "Вышиванка" in items["TSH-VYSH-M"]["name_ru"]
    assert len({items[f"TSH-VYSH-{s}"]["rz_group_id"] for s in "SML"}) == 1
    russian = seller.get("/goods/all", headers={"Content-Language": "ru"}, price_offer_id="TOR-ZDZB").json
    assert russian["content"]["items"][0]["name"] == items["TOR-ZDZB"]["name_ru"]


def test_goods_all_paging_and_filters(client, seller):
    control(client, "listings", {"items": [{"sku": f"BULK-{n:03}", "quantity": n % 4, "name": f"Товар {n}",
                                            "price": "10.50"} for n in range(130)]})
    first = seller.get("/goods/all").json["content"]
    assert first["_meta"] == {"totalCount": 137, "pageCount": 7, "currentPage": 1, "perPage": 20}
    assert len(first["items"]) == 20 and first["count"] == 137
    ids = [i["rz_item_id"] for i in first["items"]]
    assert ids == sorted(ids)
    big = seller.get("/goods/all", pageSize=500, page=2).json["content"]
    assert big["_meta"]["perPage"] == 100 and len(big["items"]) == 37
    past = seller.get("/goods/all", pageSize=100, page=9).json["content"]
    assert past["_meta"]["currentPage"] == 2 and past["items"] == big["items"]  # Yii2 clamps the page
    one = seller.get("/goods/all", price_offer_id="BULK-042").json["content"]["items"]
    assert [i["price_offer_id"] for i in one] == ["BULK-042"] and one[0]["price"] == 10.5
    by_id = seller.get("/goods/all", rz_item_id=one[0]["rz_item_id"]).json["content"]["items"]
    assert by_id == one
    absent = seller.get("/goods/all", available=0, pageSize=100).json["content"]
    assert absent["_meta"]["totalCount"] == 33 and {i["stock_quantity"] for i in absent["items"]} == {0}
    assert seller.get("/goods/all", name="вишиванка").json["content"]["_meta"]["totalCount"] == 3


def _rz_ids(client) -> dict[str, int]:
    return {sku: d["rz_item_id"] for sku, d in control_get(client, "stock")["_detail"].items()}


def test_mass_update_applies_the_known_items_and_reports_the_others(client, seller):
    ids = _rz_ids(client)
    answer = seller.put("/items/mass-update", {"items": [
        {"item_rz_id": ids["KUB-ZOLC-330"], "stock_quantity": 3},
        {"item_rz_id": 999999999, "stock_quantity": 4},
        {"item_rz_id": ids["TOR-ZDZB"], "stock_quantity": -1},
        {"item_rz_id": ids["NOT-GES-A5"], "stock_quantity": 0, "price": 230}]})
    assert answer.status_code == 200
    assert answer.json == {"success": False, "errors": {
        "999999999": {"reason": [{"id": 1, "value": ["Товар не знайдено"]}]},
        str(ids["TOR-ZDZB"]): {"reason": [{"id": 1, "value": ["Некоректне значення stock_quantity"]}]}}}
    stock = control_get(client, "stock")
    assert (stock["KUB-ZOLC-330"], stock["TOR-ZDZB"], stock["NOT-GES-A5"]) == (3, 5, 0)
    assert stock["_detail"]["NOT-GES-A5"]["price"] == "230.00"
    item = seller.get("/goods/all", price_offer_id="NOT-GES-A5").json["content"]["items"][0]
    assert (item["available"], item["stock_quantity"]) == (0, 0)
    ok = seller.put("/items/mass-update", {"items": [{"item_rz_id": ids["TOR-ZDZB"], "stock_quantity": 9}]})
    assert ok.json == {"success": True, "content": None}
    jump = seller.put("/items/mass-update", {"items": [{"item_rz_id": ids["TOR-ZDZB"], "price": 5000}]})
    assert jump.json["success"] is True
    held = seller.get("/goods/all", price_offer_id="TOR-ZDZB").json["content"]["items"][0]
    assert (held["price"], held["updated_price"]) == (529, 5000)  # price jumps wait for moderation


def test_mass_update_refuses_more_than_100_items_and_applies_none(client, seller):
    ids = _rz_ids(client)
    items = [{"item_rz_id": ids["KUB-ZOLC-330"], "stock_quantity": 1}] * 101
    assert error_of(seller.put("/items/mass-update", {"items": items})) == (200, "too_many_items", 1030)
    assert control_get(client, "stock")["KUB-ZOLC-330"] == 12
    assert seller.put("/items/mass-update", {"items": items[:100]}).json["success"] is True
    assert error_of(seller.put("/items/mass-update", {"nothing": 1})) == (200, "required_parameter", 1001)


# ----------------------------------------------------------------------------------------------
# buyer checkout
# ----------------------------------------------------------------------------------------------
def test_checkout_decrements_stock_and_refuses_what_rozetka_does_not_show(client):
    order = buy(client, ("TSH-VYSH-L", 2), ("KUB-ZOLC-330", 1), payment="online",
                buyer={"first_name": "Ґалина", "last_name": "Щукіна"}, delivery={"city": "Львів"})
    assert order["_id"] == order["id"] and (order["status"], order["payment_type"]) == (1, "online")
    assert order["user_title"]["full_name"].startswith("Щукіна Ґалина")
    assert order["delivery"]["city"]["name_ua"] == "Львів" and order["delivery"]["delivery_service_id"] == 5
    assert len(order["delivery"]["ref_id"]) == 36
    assert order["amount"] == "2247.00" and order["total_quantity"] == 3
    assert {p["item"]["price_offer_id"]: p["quantity"] for p in order["purchases"]} == {
        "TSH-VYSH-L": 2, "KUB-ZOLC-330": 1}
    assert control_get(client, "stock")["TSH-VYSH-L"] == 3
    short = client.post("/__sandbox__/orders", json={"lines": [{"sku": "TSH-VYSH-L", "quantity": 4}]})
    assert (short.status_code, short.json["error"], short.json["available"]) == (409, "out_of_stock", 3)
    assert control_get(client, "stock")["TSH-VYSH-L"] == 3
    assert buy(client, ("TOR-ZDZB", 1))["payment_type"] == "cash"
    assert buy(client, ("TOR-ZDZB", 1), payment="unpaid")["status"] == 55
    assert client.post("/__sandbox__/orders", json={"lines": [{"sku": "NOPE", "quantity": 1}]}).status_code == 400


def test_concurrent_checkouts_never_oversell(app):
    results: list[int] = []

    def shopper():
        answer = app.test_client().post("/__sandbox__/orders", json={"lines": [{"sku": "TOR-ZDZB", "quantity": 1}]})
        results.append(answer.status_code)

    threads = [threading.Thread(target=shopper) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [201] * 5 + [409] * 7
    assert control_get(app.test_client(), "stock")["TOR-ZDZB"] == 0


def test_order_trickle_places_random_checkouts():
    app = make_app(ORDER_TRICKLE=0.02, TRICKLE_SEED=7)
    try:
        client = app.test_client()
        deadline = time.monotonic() + 5
        while len(control_get(client, "orders")["orders"]) < 3 and time.monotonic() < deadline:
            time.sleep(0.02)
        orders = control_get(client, "orders")["orders"]
        assert len(orders) >= 3
        assert all(1 <= len(o["lines"]) <= 2 and all(1 <= line["quantity"] <= 2 for line in o["lines"])
                   for o in orders)
    finally:
        app.extensions["rozetka_sandbox"].close()


# ----------------------------------------------------------------------------------------------
# orders: search, expand, paging
# ----------------------------------------------------------------------------------------------
def test_expanded_parts_are_absent_without_expand(client, seller):
    order_id = buy(client, ("NOT-GES-A5", 2))["_id"]
    parts = {"purchases", "delivery", "status_available", "order_status_history", "user"}
    plain = seller.search()["orders"][0]
    assert plain["id"] == order_id and not parts & set(plain)
    assert {"user_title", "status_data", "payment_type", "last_update_status", "ttn"} <= set(plain)
    some = seller.search(expand="purchases,delivery")["orders"][0]
    assert {"purchases", "delivery"} <= set(some) and not {"user", "status_available"} & set(some)
    full = seller.get(f"/orders/{order_id}", expand=FULL).json["content"]
    assert parts <= set(full)
    assert [row["child_id"] for row in full["status_available"]] == [26, 2, 61, 42, 18, 28, 29]  # not 45
    assert full["order_status_history"][0]["status_id"] == 1
    purchase = full["purchases"][0]
    assert (purchase["item"]["price_offer_id"], purchase["price"], purchase["item_id"]) == (
        "NOT-GES-A5", "219.50", purchase["item"]["id"])
    assert datetime.strptime(full["created"], STAMP) and full["created"] == full["changed"]
    assert error_of(seller.get("/orders/123")) == (200, "not_found", 3)


def test_created_and_changed_are_kyiv_local_time(client):
    from zoneinfo import ZoneInfo

    created = datetime.strptime(buy(client, ("NOT-GES-A5", 1))["created"], STAMP)
    kyiv_now = datetime.now(ZoneInfo("Europe/Kyiv")).replace(tzinfo=None)
    assert abs((kyiv_now - created).total_seconds()) < 5


def test_search_pages_20_orders_newest_first(client, seller):
    control(client, "listings", {"items": [{"sku": "NOT-GES-A5", "quantity": 50, "name": "Блокнот",
                                            "price": "219.50"}]})
    for _ in range(45):
        buy(client, ("NOT-GES-A5", 1))
    pages = [seller.search(page=n) for n in (1, 2, 3)]
    assert [p["_meta"] for p in pages] == [
        {"totalCount": 45, "pageCount": 3, "currentPage": n, "perPage": 20} for n in (1, 2, 3)]
    ids = [o["id"] for p in pages for o in p["orders"]]
    assert len(ids) == 45 and ids == sorted(ids, reverse=True)
    assert seller.search(page=4)["_meta"]["currentPage"] == 3  # past the end: the last page (Yii2)
    assert pages[0]["totalFields"]["amount"] == "9877.50"


def test_search_filters_changed_created_types_and_status(client, seller):
    old = buy(client, ("KUB-ZOLC-330", 1))
    shift(client, 600)
    new = buy(client, ("KUB-ZOLC-330", 1))
    seller.put(f"/orders/{new['id']}", {"status": 26})
    done = buy(client, ("SWI-LAKA-180", 1))
    seller.put(f"/orders/{done['id']}", {"status": 42})
    middle = (datetime.strptime(old["created"], STAMP) + timedelta(seconds=300)).strftime(STAMP)

    def ids(**params) -> list[int]:
        return [o["id"] for o in seller.search(**params)["orders"]]

    assert ids(changed_from=middle) == [done["id"], new["id"]]
    assert ids(changed_to=middle) == [old["id"]]
    assert ids(created_from=old["created"], created_to=old["created"]) == [old["id"]]  # inclusive bounds
    assert ids(types=4) == [old["id"]]
    assert ids(types=2) == [new["id"], old["id"]]
    assert ids(types=6) == [done["id"]]
    assert ids(types=1) == ids() == [done["id"], new["id"], old["id"]]
    assert ids(status=26) == [new["id"]]
    assert ids(status="26,42") == [done["id"], new["id"]]
    assert error_of(seller.get("/orders/search", changed_from="yesterday")) == (200, "incorrect_data_format", 1002)
    assert seller.get("/orders/search", types=9).json["errors"]["details"] == ["types"]


# ----------------------------------------------------------------------------------------------
# orders: status transitions and events
# ----------------------------------------------------------------------------------------------
def test_status_transitions_follow_the_table_and_need_a_ttn(client, seller):
    order_id = buy(client, ("SWI-LAKA-180", 1))["_id"]
    path = f"/orders/{order_id}"
    refused = seller.put(path, {"status": 6})
    assert error_of(refused) == (200, "status_not_available", 1021)
    assert error_of(seller.put(path, {"status": 45})) == (200, "status_not_available", 1021)  # buyer only
    assert error_of(seller.put(path, {"status": 61})) == (200, "ttn_required", 1022)
    assert error_of(seller.put(path, {})) == (200, "required_parameter", 1001)
    assert error_of(seller.put(path, {"status": 26, "ttn": "20-45"})) == (200, "incorrect_data_format", 1002)
    assert order_of(client, order_id)["status"] == 1  # nothing applied on a refusal
    moved = seller.put(path, {"status": 26, "seller_comment": "Дзвінок о 10:00"})
    assert moved.json["success"] and moved.json["content"]["status"] == 26
    assert moved.json["content"]["current_seller_comment"] == "Дзвінок о 10:00"
    assert seller.put(path, {"status": 26}).json["success"] is True  # same status again: accepted
    auto = seller.put(path, {"status": 2, "ttn": "20450000000017"}).json["content"]
    assert (auto["status"], auto["ttn"]) == (61, "20450000000017")
    history = seller.get(path, expand="order_status_history").json["content"]["order_status_history"]
    assert [h["status_id"] for h in history] == [1, 26, 2, 61]
    assert error_of(seller.put(path, {"status": 2, "ttn": "20450000000017"})) == (200, "status_not_available", 1021)
    assert seller.put(path, {"ttn": "20450000000024"}).json["content"]["ttn"] == "20450000000024"
    assert seller.put(path, {"status": 3}).json["content"]["status"] == 3  # the stored TTN counts


def test_ttn_required_for_3_and_a_ttn_alone_is_stored(client, seller):
    order_id = buy(client, ("SWI-LAKA-180", 1))["_id"]
    path = f"/orders/{order_id}"
    assert seller.put(path, {"status": 2}).json["content"]["status"] == 2
    assert error_of(seller.put(path, {"status": 3})) == (200, "ttn_required", 1022)
    stored = seller.put(path, {"ttn": "20450000000031"}).json["content"]
    assert (stored["status"], stored["ttn"]) == (61, "20450000000031")  # 2 with a TTN moves on to 61
    assert seller.put(path, {"status": 3, "ttn": "20450000000031"}).json["content"]["status"] == 3
    sent = [c for c in order_of(client, order_id)["calls"] if c["method"] == "PUT"]
    assert [(c.get("status"), c["success"]) for c in sent] == [(2, True), (3, False), (None, True), (3, True)]


def test_put_answer_has_the_update_response_shape(client, seller):
    order_id = buy(client, ("SWI-LAKA-180", 1))["_id"]
    content = seller.put(f"/orders/{order_id}", {"status": 26}).json["content"]
    expected = fixture_json("order_update_status_response.json")["content"]
    assert set(expected) <= set(content)
    assert set(expected["user_title"]) <= set(content["user_title"])


def test_events_move_the_order_and_bump_changed(client, seller):
    order_id = buy(client, ("SWI-LAKA-180", 1))["_id"]
    first = seller.get(f"/orders/{order_id}").json["content"]["changed"]
    bad = client.post(f"/__sandbox__/orders/{order_id}/event", json={"action": "delivered"})
    assert (bad.status_code, bad.json["error"]) == (409, "event_not_allowed")
    seller.put(f"/orders/{order_id}", {"status": 61, "ttn": "20450000000048"})
    for action, status in (("handed", 3), ("delivering", 4), ("at_pickup", 5), ("delivered", 6)):
        shift(client, 60)
        answer = control(client, f"orders/{order_id}/event", {"action": action})
        assert answer["status"] == status
        delivering = [o["id"] for o in seller.search(types=5)["orders"]]
        assert delivering == ([order_id] if status in (3, 4, 5) else [])
    assert [o["id"] for o in seller.search(types=3)["orders"]] == [order_id]
    final = seller.get(f"/orders/{order_id}").json["content"]
    assert (final["status"], final["status_group"]) == (6, 2) and final["changed"] > first
    other = buy(client, ("SWI-LAKA-180", 1))["_id"]
    assert control(client, f"orders/{other}/event", {"action": "buyer_cancel"})["status_group"] == 3
    assert client.post(f"/__sandbox__/orders/{other}/event", json={"action": "handed"}).status_code == 409
    assert client.post("/__sandbox__/orders/1/event", json={"action": "delivered"}).status_code == 404


def test_order_statuses_search_pages_and_expands(seller):
    first = seller.get("/order-statuses/search", expand="status_available").json["content"]
    assert first["_meta"] == {"totalCount": 20, "pageCount": 1, "currentPage": 1, "perPage": 20}
    by_id = {s["id"]: s for s in first["orderStatus"]}
    assert by_id[1]["name_ua"] == "Нове замовлення" and by_id[42]["name_ua"] == "Немає в наявності"
    assert [row["child_id"] for row in by_id[2]["status_available"]] == [61, 3, 42]
    plain = seller.get("/order-statuses/search", id="61").json["content"]["orderStatus"]
    assert [s["id"] for s in plain] == [61] and "status_available" not in plain[0]


# ----------------------------------------------------------------------------------------------
# quirks: lose, duplicate, rate limit, faults
# ----------------------------------------------------------------------------------------------
def test_lost_changes_keep_the_old_changed_and_a_sweep_finds_them(client, seller):
    order = buy(client, ("KUB-ZOLC-330", 1))
    shift(client, 120)
    since = (datetime.strptime(order["changed"], STAMP) + timedelta(seconds=60)).strftime(STAMP)
    control(client, "lose", {"count": 1})
    moved = seller.put(f"/orders/{order['id']}", {"status": 26}).json["content"]
    assert (moved["status"], moved["changed"]) == (26, order["changed"])
    assert seller.search(changed_from=since)["orders"] == []  # the changed_from poll misses it
    swept = seller.search(types=2)["orders"]
    assert [(o["id"], o["status"]) for o in swept] == [(order["id"], 26)]
    assert order_of(client, order["id"])["lost_changes"] == 1
    again = seller.put(f"/orders/{order['id']}", {"status": 2}).json["content"]
    assert again["changed"] > order["changed"]
    assert [o["id"] for o in seller.search(changed_from=since)["orders"]] == [order["id"]]


def test_duplicate_answers_repeat_each_order(client, seller):
    first, second = buy(client, ("KUB-ZOLC-330", 1))["_id"], buy(client, ("KUB-ZOLC-330", 1))["_id"]
    control(client, "duplicate", {"count": 1})
    doubled = seller.search()
    assert [o["id"] for o in doubled["orders"]] == [second, second, first, first]
    assert doubled["_meta"]["totalCount"] == 2
    assert [o["id"] for o in seller.search()["orders"]] == [second, first]


def test_rate_limit_answers_429_with_retry_after_until_the_block_ends(client, seller):
    control(client, "rate", {"limit": 3, "window": 60, "block": 30})
    assert [seller.get("/goods/all").status_code for _ in range(3)] == [200, 200, 200]
    blocked = seller.get("/goods/all")
    assert (blocked.status_code, blocked.headers["Retry-After"]) == (429, "30")
    assert blocked.json == {"success": False, "errors": {"message": "too_many_requests", "code": 429}}
    assert login(client).status_code == 429  # every API path counts, /sites too
    assert control_get(client, "stock")  # control endpoints are never limited
    shift(client, 10)
    assert seller.get("/goods/all").headers["Retry-After"] == "20"
    shift(client, 21)
    assert seller.get("/goods/all").status_code == 200
    control(client, "rate", {"limit": None})
    assert all(seller.get("/goods/all").status_code == 200 for _ in range(10))


def test_injected_faults_by_path(client, seller):
    control(client, "fail", {"status": 503, "count": 1, "path": "/orders"})
    assert seller.get("/goods/all").status_code == 200
    assert error_of(seller.get("/orders/search")) == (503, "technical_maintenance", 5503)
    assert seller.get("/orders/search").status_code == 200
    control(client, "fail", {"status": 429, "retry_after": 7})
    limited = seller.get("/goods/all")
    assert (limited.status_code, limited.headers["Retry-After"]) == (429, "7")
    control(client, "fail", {"status": 500, "count": 2})
    assert [error_of(seller.get("/goods/all")) for _ in range(2)] == [(500, "server_error", 0)] * 2
    control(client, "fail", {"status": "timeout"})
    started = time.monotonic()
    assert seller.get("/goods/all").status_code == 504 and time.monotonic() - started >= 0.3
    assert client.post("/__sandbox__/fail", json={"status": 200}).status_code == 400


def test_a_lost_answer_was_processed(client, seller):
    order_id = buy(client, ("KUB-ZOLC-330", 1))["_id"]
    control(client, "fail", {"status": "lost", "path": "/orders/"})
    seller.put(f"/orders/{order_id}", {"status": 26})  # the test client cannot drop; the real server does
    assert order_of(client, order_id)["status"] == 26
    calls = control_get(client, "calls")["calls"]
    assert {"method": "PUT", "path": f"/orders/{order_id}", "status": 200, "fault": "lost"}.items() <= calls[-1].items()


def test_calls_log_and_reset(client, seller):
    seller.get("/orders/search", types=2)
    client.get("/goods/all")
    calls = control_get(client, "calls")["calls"]
    assert [(c["method"], c["path"], c["status"]) for c in calls] == [
        ("POST", "/sites", 200), ("GET", "/orders/search", 200), ("GET", "/goods/all", 401)]
    assert calls[1]["query"] == "types=2" and "T" in calls[1]["time"]
    buy(client, ("KUB-ZOLC-330", 1))
    assert control(client, "reset", {"seed": None}) == {"ok": True, "seeded": []}
    assert control_get(client, "stock") == {"_detail": {}} and control_get(client, "calls") == {"calls": []}
    assert seller.search()["_meta"]["totalCount"] == 0  # session tokens survive a reset
    assert len(control(client, "reset", {})["seeded"]) == 7
    control(client, "reset", {"tokens": True})
    assert error_of(seller.get("/goods/all")) == (401, "incorrect_token", 1020)


def test_listings_create_and_update_items_by_sku(client, seller):
    created = control(client, "listings", {"items": [{"sku": "NEW-1", "quantity": 4, "name": "Горнятко",
                                                      "price": "19.99"}]})["created"][0]
    assert created["sku"] == "NEW-1" and created["ref"] == created["rz_item_id"] and not created["existing"]
    again = control(client, "listings", {"items": [{"sku": "NEW-1", "quantity": 9, "name": "Горнятко"}]})
    assert again["created"][0]["ref"] == created["ref"] and again["created"][0]["existing"]
    assert control_get(client, "stock")["NEW-1"] == 9
    item = seller.get("/goods/all", rz_item_id=created["ref"]).json["content"]["items"][0]
    assert (item["price_offer_id"], item["name_ua"]) == ("NEW-1", "Горнятко")


# ----------------------------------------------------------------------------------------------
# golden shapes (../shared fixtures)
# ----------------------------------------------------------------------------------------------
def _keys_cover(expected: dict, actual: dict, where: str) -> None:
    missing = set(expected) - set(actual)
    assert not missing, f"{where}: missing {sorted(missing)}"


def test_orders_have_the_keys_of_the_fixtures(client, seller):
    buy(client, ("TSH-VYSH-S", 1))
    plain_fixture = fixture_json("orders_search_response.json")["content"]
    plain = seller.search()
    _keys_cover(plain_fixture, plain, "content")
    _keys_cover(plain_fixture["_meta"], plain["_meta"], "_meta")
    _keys_cover(plain_fixture["orders"][0], plain["orders"][0], "order")
    _keys_cover(plain_fixture["orders"][0]["status_data"], plain["orders"][0]["status_data"], "status_data")
    wanted = fixture_json("orders_search_response_expanded.json")["content"]["orders"][0]
    order = seller.search(expand=FULL)["orders"][0]
    for part in ("delivery", "user"):
        _keys_cover(wanted[part], order[part], part)
    _keys_cover(wanted["delivery"]["city"], order["delivery"]["city"], "delivery.city")
    for part in ("purchases", "status_available", "order_status_history"):
        _keys_cover(wanted[part][0], order[part][0], part)
    _keys_cover(wanted["purchases"][0]["item"], order["purchases"][0]["item"], "purchases.item")
    _keys_cover(wanted["order_status_history"][0]["status"], order["order_status_history"][0]["status"],
                "order_status_history.status")
    assert isinstance(order["amount"], str) and isinstance(order["purchases"][0]["price"], str)


def test_login_statuses_and_mass_update_have_the_fixture_shapes(client, seller):
    login_fixture = fixture_json("auth_login_response.json")["content"]
    content = login(client).json["content"]
    for part in ("seller", "market"):
        _keys_cover(login_fixture[part], content[part], part)
    _keys_cover(login_fixture, content, "login")
    statuses_fixture = fixture_json("order_statuses_search_response.json")["content"]
    statuses = seller.get("/order-statuses/search", expand="status_available").json["content"]
    _keys_cover(statuses_fixture["orderStatus"][0], statuses["orderStatus"][0], "orderStatus")
    _keys_cover(statuses_fixture["orderStatus"][0]["status_available"][0],
                statuses["orderStatus"][0]["status_available"][0], "orderStatus.status_available")
    request_fixture = fixture_json("items_mass_update_request.json")
    ok_answer = seller.put("/items/mass-update", {"items": request_fixture["items"]}).json
    errors_fixture = fixture_json("items_mass_update_response_errors.json")
    assert set(ok_answer) == set(errors_fixture) and set(ok_answer["errors"]) == set(errors_fixture["errors"])
    reason = ok_answer["errors"]["102069758"]["reason"][0]
    assert set(reason) == set(errors_fixture["errors"]["102069758"]["reason"][0])
    assert seller.put("/items/mass-update", {"items": []}).json == fixture_json("items_mass_update_response_ok.json")
    order_request = fixture_json("order_update_status_request.json")
    order_id = buy(client, ("TSH-VYSH-S", 1))["_id"]
    seller.put(f"/orders/{order_id}", {"status": 2})
    answer = seller.put(f"/orders/{order_id}", {k: order_request[k] for k in ("status", "ttn", "seller_comment")})
    assert answer.json["success"] and answer.json["content"]["ttn"] == order_request["ttn"]


# ----------------------------------------------------------------------------------------------
# a real process
# ----------------------------------------------------------------------------------------------
def test_command_line_sandbox_prints_its_port_and_drops_lost_answers():
    root = Path(__file__).resolve().parents[2]
    proc = subprocess.Popen([sys.executable, "-m", "sandbox.rozetka", "--port", "0", "--username", "cli",
                             "--password", "cli-pass", "--api-token", "cli-token", "--seed", "demo",
                             "--hang-seconds", "0.3"], cwd=root, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
    try:
        line = proc.stdout.readline()
        assert line.startswith("Rozetka sandbox on http://127.0.0.1:")
        url = line.split(" on ")[1].strip()
        token = requests.post(f"{url}/sites", json={"username": "cli", "password": b64("cli-pass")},
                              timeout=5).json()["content"]["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        assert requests.get(f"{url}/goods/all", headers=headers, timeout=5).json()["content"]["_meta"][
            "totalCount"] == 7
        order_id = requests.post(f"{url}/__sandbox__/orders", json={"lines": [{"sku": "TOR-ZDZB", "quantity": 1}]},
                                 timeout=5).json()["_id"]
        requests.post(f"{url}/__sandbox__/fail", json={"status": "lost"}, timeout=5)
        with pytest.raises(requests.exceptions.ConnectionError):
            requests.put(f"{url}/orders/{order_id}", json={"status": 26}, headers=headers, timeout=5)
        check = requests.get(f"{url}/orders/{order_id}", headers={"Authorization": "Bearer cli-token"}, timeout=5)
        assert check.json()["content"]["status"] == 26
    finally:
        proc.terminate()
        proc.wait(timeout=10)
