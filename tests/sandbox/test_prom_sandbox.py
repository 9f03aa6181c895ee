"""The Prom.ua sandbox behaves like Prom's public API v1 (specs/prom.md), over HTTP.

Plain Flask test-client calls (not our client) against ``create_app``; one test runs the real
``python -m sandbox.prom --port 0`` process. Shapes are checked against ../shared fixtures when present.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
import requests

from sandbox.prom import create_app
from tests.conftest import shared_fixture

TOKEN = "prom-test-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
THIN = "\u2009"
DEMO_STOCK = {"KUB-ZOLC-330": 12, "SWI-LAKA-180": 8, "NOT-GES-A5": 20, "TOR-ZDZB": 5,
              "TSH-VYSH-S": 10, "TSH-VYSH-M": 7, "TSH-VYSH-L": 5}


# ----------------------------------------------------------------------------------------------
# helpers
# ----------------------------------------------------------------------------------------------
@pytest.fixture
def app():
    application = create_app({"TOKEN": TOKEN, "SEED": "demo", "HANG_SECONDS": 0.05})
    yield application
    application.extensions["prom_sandbox"].close()


@pytest.fixture
def client(app):
    return app.test_client()


def api(client, method: str, path: str, **kwargs):
    headers = {**AUTH, **kwargs.pop("headers", {})}
    return client.open(f"/api/v1{path}", method=method, headers=headers, **kwargs)


def control(client, name: str, payload: dict | None = None, expect: int = 200):
    response = client.post(f"/__sandbox__/{name}", json=payload or {})
    assert response.status_code == expect, response.get_data(as_text=True)
    return response.get_json()


def buy(client, *lines: tuple[str, int], payment: str = "cod", **extra) -> dict:
    body = {"lines": [{"sku": sku, "quantity": quantity} for sku, quantity in lines], "payment": payment, **extra}
    return control(client, "orders", body, expect=201)


def order(client, order_id: int, **kwargs) -> dict:
    response = api(client, "GET", f"/orders/{order_id}", **kwargs)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["order"]


def list_ids(client, query: str = "") -> list[int]:
    response = api(client, "GET", f"/orders/list{query.replace('+', quote('+'))}")
    assert response.status_code == 200, response.get_data(as_text=True)
    return [o["id"] for o in response.get_json()["orders"]]


def set_status(client, body: dict):
    return api(client, "POST", "/orders/set_status", json=body)


def seconds(iso_text: str) -> str:
    """The contract's query format: ``2025-04-07T06:46:43`` (UTC, no fraction)."""
    return iso_text[:19]


# ----------------------------------------------------------------------------------------------
# auth, demo seed
# ----------------------------------------------------------------------------------------------
def test_missing_or_wrong_token_is_401_and_control_needs_none(client):
    for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": f"Basic {TOKEN}"},
                    {"Authorization": TOKEN}):
        response = client.get("/api/v1/orders/list", headers=headers)
        assert response.status_code == 401
        assert response.get_json() == {"error": "Authorization failed"}
    assert client.get("/api/v1/products/list", headers=AUTH).status_code == 200
    assert client.get("/__sandbox__/stock").status_code == 200


def test_demo_catalog_has_the_woocommerce_skus_with_ukrainian_names(client):
    from sandbox.woocommerce.seed import SIMPLE_PRODUCTS, VARIATIONS

    woo_skus = {spec["sku"] for spec in SIMPLE_PRODUCTS} | {sku for _, sku, _, _ in VARIATIONS}
    products = api(client, "GET", "/products/list").get_json()["products"]
    assert {p["external_id"] for p in products} == woo_skus
    assert all(5 <= p["quantity_in_stock"] <= 20 and p["presence"] == "available" for p in products)
    assert all(any("а" <= ch <= "я" or ch in "іїєґ" for ch in p["name"].lower()) for p in products)
    assert all(p["sku"] != p["external_id"] and isinstance(p["price"], float) for p in products)
    stock = client.get("/__sandbox__/stock").get_json()
    assert {sku: stock[sku] for sku in woo_skus} == DEMO_STOCK
    assert set(stock["_detail"]) == woo_skus


# ----------------------------------------------------------------------------------------------
# orders: list, filters, paging, get
# ----------------------------------------------------------------------------------------------
def test_orders_list_is_id_desc_with_last_id_cursor(client):
    placed = [buy(client, ("NOT-GES-A5", 1))["_id"] for _ in range(5)]
    assert list_ids(client) == sorted(placed, reverse=True)
    pages, cursor = [], ""
    while True:
        page = list_ids(client, f"?limit=2{cursor}")
        if not page:
            break
        assert len(page) <= 2 and page == sorted(page, reverse=True)
        pages.append(page)
        cursor = f"&last_id={page[-1]}"
    assert [len(p) for p in pages] == [2, 2, 1]
    assert sum(pages, []) == sorted(placed, reverse=True)
    assert list_ids(client, f"?last_id={placed[2]}") == [placed[1], placed[0]]
    assert list_ids(client, "?limit=2&sort_dir=asc") == sorted(placed)[-2:]


def test_orders_list_filters_by_modification_creation_and_status(client):
    first, second, third = (buy(client, ("NOT-GES-A5", 1)) for _ in range(3))
    assert set_status(client, {"ids": [second["id"]], "status": "received"}).get_json() == {
        "processed_ids": [second["id"]]}
    changed = order(client, second["id"])["date_modified"]
    assert changed > third["date_created"]
    assert list_ids(client, f"?last_modified_from={changed}") == [second["id"]]
    assert list_ids(client, f"?last_modified_to={third['date_modified']}") == [third["id"], first["id"]]
    assert list_ids(client, "?last_modified_from=2000-01-01T00:00:00") == [third["id"], second["id"], first["id"]]
    assert list_ids(client, "?last_modified_to=2000-01-01T00:00:00") == []
    assert list_ids(client, f"?date_to={first['date_created']}") == [first["id"]]
    assert list_ids(client, f"?date_from={seconds(first['date_created'])}") == [third["id"], second["id"],
                                                                                first["id"]]
    assert list_ids(client, "?status=received") == [second["id"]]
    assert list_ids(client, "?status=pending&limit=1") == [third["id"]]
    assert list_ids(client, "?status=custom-137639") == []


def test_orders_list_parameter_errors_are_400(client):
    for query, field in (("limit=0", "limit"), ("limit=101", "limit"), ("limit=x", "limit"),
                         ("last_id=-3", "last_id"), ("date_from=yesterday", "date_from"),
                         ("last_modified_to=07.04.2025", "last_modified_to"), ("status=shipped", "status"),
                         ("sort_dir=up", "sort_dir")):
        response = api(client, "GET", f"/orders/list?{query}")
        assert response.status_code == 400, query
        body = response.get_json()
        assert isinstance(body["error"], str) and field in body["errors"], body
    assert len(list_ids(client, "?limit=100")) == 0


def test_get_order_and_404(client):
    placed = buy(client, ("KUB-ZOLC-330", 1))
    assert order(client, placed["_id"]) == {k: v for k, v in placed.items() if k != "_id"}
    for path in ("/orders/1", "/orders/abc", "/nothing/here"):
        response = api(client, "GET", path)
        assert response.status_code == 404 and response.get_json() == {"error": "Not found"}


# ----------------------------------------------------------------------------------------------
# order shape and quirks
# ----------------------------------------------------------------------------------------------
def _shape_problems(expected, actual, where: str) -> list[str]:
    """Keys (recursively) the fixture has and the sandbox lacks, and clashing JSON types."""
    if expected is None or actual is None:
        return [f"{where}: null vs {type(actual).__name__}"] if isinstance(expected, dict) and actual is None else []
    if isinstance(expected, bool) or isinstance(actual, bool):
        return [] if type(expected) is type(actual) else [f"{where}: {expected!r} vs {actual!r}"]
    if isinstance(expected, (int, float)) and isinstance(actual, (int, float)):
        return []
    if type(expected) is not type(actual):
        return [f"{where}: {type(expected).__name__} vs {type(actual).__name__}"]
    if isinstance(expected, dict):
        problems = [f"{where}.{key} missing" for key in expected if key not in actual and not key.startswith("_")]
        return problems + sum((_shape_problems(value, actual[key], f"{where}.{key}")
                               for key, value in expected.items() if key in actual), [])
    if isinstance(expected, list) and expected and actual:
        return _shape_problems(expected[0], actual[0], f"{where}[0]")
    return []


def _fixture(name: str) -> dict:
    return json.loads(shared_fixture("marketplaces", "promua", name).read_text(encoding="utf-8"))


def _online_shipped_custom_order(client) -> dict:
    placed = buy(client, ("TSH-VYSH-M", 1), payment="online")
    assert set_status(client, {"ids": [placed["id"]], "status": "custom-137639"}).get_json()["processed_ids"]
    saved = api(client, "POST", "/delivery/save_declaration_id",
                json={"order_id": placed["id"], "declaration_id": "20450000000001", "delivery_type": "nova_poshta"})
    assert saved.status_code == 200
    control(client, f"orders/{placed['id']}/event", {"action": "ttn_on_the_way"})
    return order(client, placed["id"])


def test_orders_have_every_key_of_the_fixtures(client):
    single = _fixture("order_get_response.json")["order"]
    cod = order(client, buy(client, ("KUB-ZOLC-330", 1))["_id"])
    assert _shape_problems(single, cod, "order") == []
    online = _online_shipped_custom_order(client)
    for fixture_order in _fixture("orders_list_response.json")["orders"]:
        mine = online if fixture_order["payment_data"] else cod
        assert _shape_problems(fixture_order, mine, f"order {fixture_order['id']}") == []
    assert (online["status"], online["status_name"]) == ("custom-137639", "Підтверджено")
    assert online["payment_data"]["type"] == "evopay" and online["payment_data"]["status"] == "paid"
    assert online["delivery_provider_data"]["unified_status"] == "on_the_way"


def test_money_is_a_string_with_suffix_and_quantities_are_floats(client):
    placed = buy(client, ("TSH-VYSH-S", 2), ("SWI-LAKA-180", 1), ("KUB-ZOLC-330", 1))
    raw = api(client, "GET", f"/orders/{placed['_id']}").get_data(as_text=True)
    assert '"quantity": 2.0' in raw.replace(" ", "") or '"quantity":2.0' in raw
    lines = {line["external_id"]: line for line in order(client, placed["_id"])["products"]}
    assert lines["TSH-VYSH-S"]["price"] == f"1{THIN}199 грн"
    assert lines["TSH-VYSH-S"]["total_price"] == f"2{THIN}398 грн"
    assert lines["SWI-LAKA-180"]["price"] == "449,50 грн"
    assert lines["KUB-ZOLC-330"]["price"] == "399 грн"
    assert all(isinstance(line["quantity"], float) for line in lines.values())
    assert placed["price"] == f"3{THIN}246,50 грн" == placed["full_price"]
    assert placed["payment_option"]["name"] == "Наложенный платеж" and placed["payment_data"] is None
    assert placed["delivery_option"]["name"] == "Нова Пошта"
    assert placed["delivery_provider_data"]["provider"] == "nova_poshta"


def test_language_header_picks_names_and_titles(client):
    placed = buy(client, ("TSH-VYSH-L", 1))
    ru = order(client, placed["_id"], headers={"X-LANGUAGE": "ru"})
    assert (ru["status_name"], ru["products"][0]["name"]) == ("Новый", "Футболка «Вышиванка», размер L")
    uk = order(client, placed["_id"])
    assert (uk["status_name"], uk["products"][0]["name"]) == ("Новий", "Футболка «Вишиванка», розмір L")


# ----------------------------------------------------------------------------------------------
# set_status, TTN, status options
# ----------------------------------------------------------------------------------------------
def test_set_status_validation(client):
    order_id = buy(client, ("NOT-GES-A5", 1))["_id"]
    cases = [({"ids": [order_id], "status": "canceled"}, "cancellation_reason"),
             ({"ids": [order_id], "status": "canceled", "cancellation_reason": "bored"}, "cancellation_reason"),
             ({"ids": [order_id], "status": "canceled", "cancellation_reason": "price_changed"}, "cancellation_text"),
             ({"ids": [order_id], "status": "canceled", "cancellation_reason": "another",
               "cancellation_text": "  "}, "cancellation_text"),
             ({"ids": [order_id], "status": "draft"}, "status"), ({"ids": [order_id], "status": "custom-1"}, "status"),
             ({"ids": [], "status": "received"}, "ids"), ({"ids": str(order_id), "status": "received"}, "ids")]
    for body, field in cases:
        response = set_status(client, body)
        assert response.status_code == 400, body
        assert field in response.get_json()["errors"], response.get_json()
    assert order(client, order_id)["status"] == "pending"


def test_set_status_processed_ids_and_cancellation(client):
    a, b, c = (buy(client, ("NOT-GES-A5", 1))["_id"] for _ in range(3))
    before = order(client, a)["date_modified"]
    answer = set_status(client, {"ids": [a, 999, b], "status": "received"})
    assert answer.status_code == 200 and answer.get_json() == {"processed_ids": [a, b]}
    assert order(client, a)["date_modified"] > before
    again = order(client, a)["date_modified"]
    assert set_status(client, {"ids": [a], "status": "received"}).get_json() == {"processed_ids": [a]}
    assert order(client, a)["date_modified"] == again
    cancel = {"ids": [b, c], "status": "canceled", "cancellation_reason": "price_changed",
              "cancellation_text": "Ціна змінилась у постачальника"}
    assert set_status(client, cancel).get_json() == {"processed_ids": [b, c]}
    canceled = order(client, b)
    assert canceled["status"] == "canceled" and canceled["status_name"] == "Скасовано"
    assert canceled["cancellation"] == {"reason": "price_changed", "title": "Ціна змінилась"}
    assert set_status(client, {"ids": [b, a], "status": "delivered"}).get_json() == {"processed_ids": [a]}
    assert order(client, b)["status"] == "canceled"
    simple = {"ids": [a], "status": "canceled", "cancellation_reason": "not_available"}
    assert set_status(client, simple).get_json() == {"processed_ids": [a]}
    assert set_status(client, {"ids": [c], "status": "custom-137639"}).get_json() == {"processed_ids": []}
    summary = {o["id"]: o for o in client.get("/__sandbox__/orders").get_json()["orders"]}
    assert summary[b]["cancellation_text"] == "Ціна змінилась у постачальника"
    assert [call["status"] for call in summary[a]["calls"] if call["method"] == "POST"] == [
        "received", "received", "delivered", "canceled"]


def test_save_declaration_id_sets_the_ttn_and_never_completes(client):
    placed = buy(client, ("TOR-ZDZB", 1))
    body = {"order_id": placed["_id"], "declaration_id": "20450000000002", "delivery_type": "nova_poshta"}
    response = api(client, "POST", "/delivery/save_declaration_id", json=body)
    assert response.status_code == 200 and response.get_json() == {"status": "success"}
    shipped = order(client, placed["_id"])
    assert shipped["delivery_provider_data"]["declaration_number"] == "20450000000002"
    assert shipped["delivery_provider_data"]["unified_status"] == "created"
    assert shipped["status"] == "pending" and shipped["date_modified"] > placed["date_modified"]
    control(client, f"orders/{placed['_id']}/event", {"action": "ttn_delivered"})
    delivered = order(client, placed["_id"])
    assert delivered["delivery_provider_data"]["unified_status"] == "delivered" and delivered["status"] == "pending"
    missing = api(client, "POST", "/delivery/save_declaration_id", json={**body, "order_id": 12345})
    assert missing.status_code == 404 and missing.get_json() == {"error": "Not found"}
    for broken, field in (({**body, "delivery_type": "dhl"}, "delivery_type"),
                          ({**body, "declaration_id": ""}, "declaration_id"),
                          ({**body, "order_id": "x"}, "order_id")):
        response = api(client, "POST", "/delivery/save_declaration_id", json=broken)
        assert response.status_code == 400 and field in response.get_json()["errors"]


def test_order_status_options(client):
    options = api(client, "GET", "/order_status_options/list").get_json()["order_status_options"]
    by_name = {o["name"]: o for o in options}
    assert {name: by_name[name]["id"] for name in ("pending", "received", "delivered", "canceled", "paid")} == {
        "pending": 0, "received": 1, "delivered": 3, "canceled": 4, "paid": 6}
    assert by_name["pending"]["title"] == "Новий"
    assert by_name["custom-137639"] == {"id": 137639, "name": "custom-137639", "title": "Підтверджено"}
    ru = api(client, "GET", "/order_status_options/list", headers={"X-LANGUAGE": "ru"}).get_json()
    assert ru["order_status_options"][0]["title"] == "Новый"


# ----------------------------------------------------------------------------------------------
# products and stock
# ----------------------------------------------------------------------------------------------
def test_products_list_paging_group_and_by_external_id(client):
    pages, cursor = [], ""
    while page := api(client, "GET", f"/products/list?limit=3{cursor}").get_json()["products"]:
        pages.append([p["id"] for p in page])
        cursor = f"&last_id={page[-1]['id']}"
    assert [len(p) for p in pages] == [3, 3, 1]
    flat = sum(pages, [])
    assert flat == sorted(flat, reverse=True)
    group_id = api(client, "GET", "/products/by_external_id/TSH-VYSH-S").get_json()["product"]["group"]["id"]
    grouped = api(client, "GET", f"/products/list?group_id={group_id}").get_json()
    assert grouped["group_id"] == group_id
    assert [p["external_id"] for p in grouped["products"]] == ["TSH-VYSH-L", "TSH-VYSH-M", "TSH-VYSH-S"]
    assert api(client, "GET", "/products/list").get_json()["group_id"] is None
    assert api(client, "GET", "/products/list?limit=101").status_code == 400
    missing = api(client, "GET", "/products/by_external_id/NOPE")
    assert missing.status_code == 404 and missing.get_json() == {"error": "Not found"}


def test_edit_by_external_id_partial_success_inside_200(client):
    body = [{"id": "KUB-ZOLC-330", "quantity_in_stock": 3, "presence": "available"},
            {"id": "NO-SUCH-SKU", "quantity_in_stock": 1},
            {"id": "SWI-LAKA-180", "quantity_in_stock": 2, "presence": "sold_out"},
            {"id": "NOT-GES-A5", "quantity_in_stock": -1},
            {"id": "TOR-ZDZB", "quantity_in_stock": 0, "presence": "not_available"},
            {"id": "TSH-VYSH-S", "quantity_in_stock": 4, "price": 1250}]
    response = api(client, "POST", "/products/edit_by_external_id", json=body)
    assert response.status_code == 200
    answer = response.get_json()
    assert answer["processed_ids"] == ["KUB-ZOLC-330", "TOR-ZDZB", "TSH-VYSH-S"]
    assert set(answer["errors"]) == {"NO-SUCH-SKU", "SWI-LAKA-180", "NOT-GES-A5"}
    assert answer["errors"]["NO-SUCH-SKU"] == "Товар не знайдено"
    stock = client.get("/__sandbox__/stock").get_json()
    assert (stock["KUB-ZOLC-330"], stock["SWI-LAKA-180"], stock["NOT-GES-A5"], stock["TOR-ZDZB"]) == (3, 8, 20, 0)
    assert stock["_detail"]["TOR-ZDZB"]["presence"] == "not_available"
    assert api(client, "GET", "/products/by_external_id/TSH-VYSH-S").get_json()["product"]["price"] == 1250.0
    clean = api(client, "POST", "/products/edit_by_external_id", json=[{"id": "TOR-ZDZB", "quantity_in_stock": 2,
                                                                        "presence": "available"}]).get_json()
    assert clean == {"processed_ids": ["TOR-ZDZB"], "errors": {}}
    assert client.get("/__sandbox__/stock").get_json()["TOR-ZDZB"] == 2


def test_edit_by_external_id_needs_a_json_array(client):
    for kwargs in ({"json": {"id": "KUB-ZOLC-330", "quantity_in_stock": 1}},
                   {"json": {"products": [{"id": "KUB-ZOLC-330", "quantity_in_stock": 1}]}},
                   {"data": "not json", "content_type": "application/json"},
                   {"json": [{"quantity_in_stock": 1}]},
                   {"json": [{"id": f"SKU-{n}", "quantity_in_stock": 1} for n in range(101)]}):
        response = api(client, "POST", "/products/edit_by_external_id", **kwargs)
        assert response.status_code == 400, kwargs
        assert response.get_json()["errors"], response.get_json()
    assert client.get("/__sandbox__/stock").get_json()["KUB-ZOLC-330"] == 12


# ----------------------------------------------------------------------------------------------
# feed faults: lose, duplicate
# ----------------------------------------------------------------------------------------------
def test_lose_keeps_the_old_date_modified(client):
    placed = buy(client, ("NOT-GES-A5", 1))
    assert control(client, "lose", {"count": 1}) == {"lose": 1}
    assert set_status(client, {"ids": [placed["_id"]], "status": "received"}).get_json()["processed_ids"]
    lost = order(client, placed["_id"])
    assert lost["status"] == "received" and lost["date_modified"] == placed["date_modified"]
    just_after = (datetime.fromisoformat(placed["date_modified"]) + timedelta(microseconds=1)).isoformat()
    assert placed["_id"] not in list_ids(client, f"?last_modified_from={just_after}")
    assert list_ids(client, "?status=received") == [placed["_id"]]
    assert list_ids(client, f"?last_modified_from={seconds(placed['date_modified'])}") == [placed["_id"]]
    set_status(client, {"ids": [placed["_id"]], "status": "paid"})
    assert order(client, placed["_id"])["date_modified"] > placed["date_modified"]


def test_duplicate_repeats_each_order_of_the_next_answers(client):
    assert list_ids(client) == []
    control(client, "duplicate", {"count": 1})
    assert list_ids(client) == []  # an empty answer has nothing to repeat and keeps the fault queued
    a, b = (buy(client, ("NOT-GES-A5", 1))["_id"] for _ in range(2))
    assert list_ids(client) == [b, b, a, a]
    assert list_ids(client) == [b, a]


# ----------------------------------------------------------------------------------------------
# rate limit and injected failures
# ----------------------------------------------------------------------------------------------
def test_rate_limit_answers_429_with_retry_after(client):
    assert control(client, "rate", {"limit": 3, "window": 60, "block": 30}) == {"limit": 3, "window": 60.0,
                                                                                 "block": 30.0}
    assert [api(client, "GET", "/orders/list").status_code for _ in range(3)] == [200, 200, 200]
    refused = api(client, "GET", "/products/list")
    assert refused.status_code == 429 and refused.get_json() == {"error": "Too many requests"}
    assert refused.headers["Retry-After"] == "30"
    still = api(client, "GET", "/orders/list")
    assert still.status_code == 429 and 1 <= int(still.headers["Retry-After"]) <= 30
    assert client.get("/__sandbox__/stock").status_code == 200
    control(client, "rate", {"limit": None})
    assert api(client, "GET", "/orders/list").status_code == 200


def test_injected_failures(client, app):
    control(client, "fail", {"status": 429, "count": 1, "retry_after": 7, "path": "/orders"})
    assert api(client, "GET", "/products/list").status_code == 200
    limited = api(client, "GET", "/orders/list")
    assert (limited.status_code, limited.headers["Retry-After"], limited.get_json()) == (
        429, "7", {"error": "Too many requests"})
    control(client, "fail", {"status": 503, "count": 2, "path": "/api/v1/products"})
    unavailable = api(client, "GET", "/products/list")
    assert unavailable.status_code == 503 and "nginx" in unavailable.get_data(as_text=True)
    assert api(client, "POST", "/products/edit_by_external_id", json=[]).status_code == 503
    assert api(client, "GET", "/products/list").status_code == 200
    control(client, "fail", {"status": 500})
    crashed = api(client, "GET", "/orders/list")
    assert crashed.status_code == 500 and crashed.get_json() == {"error": "Internal server error"}
    control(client, "fail", {"status": "timeout"})
    started = time.monotonic()
    assert api(client, "GET", "/orders/list").status_code == 504 and time.monotonic() - started >= 0.05
    placed = buy(client, ("NOT-GES-A5", 1))
    control(client, "fail", {"status": "lost", "path": "/orders/set_status"})
    set_status(client, {"ids": [placed["_id"]], "status": "received"})
    assert order(client, placed["_id"])["status"] == "received"  # processed although the answer was lost
    calls = client.get("/__sandbox__/calls").get_json()
    assert [c["status"] for c in calls if c["path"] == "/api/v1/orders/list"][:2] == [429, 500]
    assert any(c.get("lost") and c["path"] == "/api/v1/orders/set_status" for c in calls)
    assert all(set(c) >= {"method", "path", "status", "time"} for c in calls)
    for bad in ({"status": 200}, {"status": "slow"}, {"status": 429, "retry_after": "soon"}):
        control(client, "fail", bad, expect=400)


# ----------------------------------------------------------------------------------------------
# buyer side: checkout, events, listings, reset, trickle
# ----------------------------------------------------------------------------------------------
def test_checkout_sells_only_what_the_listing_shows(client):
    short = client.post("/__sandbox__/orders", json={"lines": [{"sku": "TOR-ZDZB", "quantity": 6}]})
    assert short.status_code == 409 and short.get_json()["error"] == "out_of_stock"
    assert client.get("/__sandbox__/stock").get_json()["TOR-ZDZB"] == 5
    online = buy(client, ("TOR-ZDZB", 5), payment="online")
    assert online["status"] == "pending" and online["payment_option"]["name"] == "Пром-оплата"
    assert online["payment_data"]["type"] == "evopay" and online["payment_data"]["status"] == "paid"
    assert client.get("/__sandbox__/stock").get_json()["TOR-ZDZB"] == 0
    assert api(client, "GET", "/products/by_external_id/TOR-ZDZB").get_json()["product"]["quantity_in_stock"] == 0
    for lines in ([{"sku": "TOR-ZDZB", "quantity": 1}], [{"sku": "UNLISTED", "quantity": 1}],
                  [{"sku": "KUB-ZOLC-330", "quantity": 1}, {"sku": "TOR-ZDZB", "quantity": 1}]):
        assert client.post("/__sandbox__/orders", json={"lines": lines}).status_code == 409
    assert client.get("/__sandbox__/stock").get_json()["KUB-ZOLC-330"] == 12  # all or nothing
    api(client, "POST", "/products/edit_by_external_id", json=[{"id": "KUB-ZOLC-330", "presence": "not_available"}])
    assert client.post("/__sandbox__/orders", json={"lines": [{"sku": "KUB-ZOLC-330", "quantity": 1}]}
                       ).status_code == 409
    assert client.post("/__sandbox__/orders", json={"lines": []}).status_code == 400
    buyer = {"first_name": "Ґалина", "last_name": "Щукин", "phone": "+380670000001", "email": None}
    custom = buy(client, ("NOT-GES-A5", 1), buyer=buyer, delivery={"city": "Ужгород", "warehouse": "Відділення №3"})
    assert (custom["client_first_name"], custom["client_last_name"]) == ("Ґалина", "Щукин")
    assert custom["delivery_address"] == "м. Ужгород, Відділення №3"


def test_concurrent_checkouts_never_oversell(client):
    statuses: list[int] = []
    lock = threading.Lock()

    def attempt():
        response = client.post("/__sandbox__/orders", json={"lines": [{"sku": "TOR-ZDZB", "quantity": 1}]})
        with lock:
            statuses.append(response.status_code)

    threads = [threading.Thread(target=attempt) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [201] * 5 + [409] * 7
    assert client.get("/__sandbox__/stock").get_json()["TOR-ZDZB"] == 0


def test_buyer_and_marketplace_events(client):
    cod, online = buy(client, ("NOT-GES-A5", 1)), buy(client, ("NOT-GES-A5", 1), payment="online")
    canceled = control(client, f"orders/{cod['_id']}/event", {"action": "buyer_cancel"})
    assert canceled["status"] == "canceled" and canceled["cancellation"]["reason"] == "buyers_request"
    assert canceled["date_modified"] > cod["date_modified"]
    assert control(client, f"orders/{cod['_id']}/event", {"action": "custom"}, expect=409)["error"]
    control(client, f"orders/{online['_id']}/event", {"action": "custom", "status": "custom-1"}, expect=400)
    assert control(client, f"orders/{online['_id']}/event", {"action": "custom"})["status"] == "custom-137639"
    assert control(client, f"orders/{online['_id']}/event", {"action": "refund"})["payment_data"]["status"] == \
        "refunded"
    control(client, f"orders/{cod['_id']}/event", {"action": "refund"}, expect=409)
    control(client, f"orders/{online['_id']}/event", {"action": "ttn_delivered"}, expect=409)
    control(client, f"orders/{online['_id']}/event", {"action": "explode"}, expect=400)
    control(client, "orders/1/event", {"action": "buyer_cancel"}, expect=404)
    unpaid = buy(client, ("NOT-GES-A5", 1), payment="online", paid=False)
    assert unpaid["payment_data"]["status"] == "unpaid"
    assert control(client, f"orders/{unpaid['_id']}/event", {"action": "pay"})["payment_data"]["status"] == "paid"


def test_listings_and_reset(client):
    items = [{"sku": "NEW-1", "quantity": 4, "name": "Глечик", "price": "19.99"},
             {"sku": "KUB-ZOLC-330", "quantity": 2}]
    created = control(client, "listings", {"items": items})["created"]
    assert [(c["sku"], c["existed"]) for c in created] == [("NEW-1", False), ("KUB-ZOLC-330", True)]
    product = api(client, "GET", "/products/by_external_id/NEW-1").get_json()["product"]
    assert product["id"] == created[0]["ref"] and product["name"] == "Глечик" and product["price"] == 19.99
    assert client.get("/__sandbox__/stock").get_json()["KUB-ZOLC-330"] == 2
    buy(client, ("NEW-1", 1))
    control(client, "fail", {"status": 500, "count": 5})
    assert control(client, "reset", {"seed": None}) == {"ok": True, "seeded": []}
    assert api(client, "GET", "/products/list").get_json()["products"] == []
    assert control(client, "reset", {"seed": "demo"})["seeded"][0] == 2555951101
    assert list_ids(client) == [] and client.get("/__sandbox__/stock").get_json()["KUB-ZOLC-330"] == 12
    control(client, "reset", {"seed": "nope"}, expect=400)


def test_order_trickle_places_random_checkouts():
    application = create_app({"TOKEN": TOKEN, "SEED": "demo", "ORDER_TRICKLE": 0.02, "TRICKLE_SEED": 7})
    client = application.test_client()
    try:
        deadline = time.monotonic() + 5
        while len(list_ids(client)) < 3 and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        application.extensions["prom_sandbox"].close()
    orders = api(client, "GET", "/orders/list").get_json()["orders"]
    assert len(orders) >= 3 and all(o["status"] == "pending" for o in orders)
    assert all(1 <= len(o["products"]) <= 2 and all(p["quantity"] in (1.0, 2.0) for p in o["products"])
               for o in orders)
    sold: dict[str, int] = {}
    for placed in orders:
        for line in placed["products"]:
            sold[line["external_id"]] = sold.get(line["external_id"], 0) + int(line["quantity"])
    stock = client.get("/__sandbox__/stock").get_json()
    assert all(stock[sku] == DEMO_STOCK[sku] - sold.get(sku, 0) for sku in DEMO_STOCK)


def test_command_line_sandbox_prints_its_port_and_serves_the_api():
    root = Path(__file__).resolve().parents[2]
    proc = subprocess.Popen([sys.executable, "-m", "sandbox.prom", "--port", "0", "--token", "cli-token",
                             "--seed", "demo", "--hang-seconds", "0.3"],
                            cwd=root, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    auth = {"Authorization": "Bearer cli-token"}
    try:
        line = proc.stdout.readline()
        assert line.startswith("Prom.ua sandbox on http://127.0.0.1:"), line
        base = line.split(" on ")[1].strip()
        products = requests.get(f"{base}/api/v1/products/list", headers={"Authorization": "Bearer cli-token"},
                                timeout=5)
        assert products.status_code == 200 and len(products.json()["products"]) == 7
        assert requests.get(f"{base}/api/v1/orders/list", timeout=5).status_code == 401
        placed = requests.post(f"{base}/__sandbox__/orders", json={"lines": [{"sku": "TSH-VYSH-M", "quantity": 1}]},
                               timeout=5)
        assert placed.status_code == 201
        listed = requests.get(f"{base}/api/v1/orders/list", headers=auth, timeout=5)
        assert [o["id"] for o in listed.json()["orders"]] == [placed.json()["_id"]]
        requests.post(f"{base}/__sandbox__/fail", json={"status": "lost", "path": "/orders/set_status"}, timeout=5)
        with pytest.raises(requests.ConnectionError):  # processed, then the connection drops unanswered
            requests.post(f"{base}/api/v1/orders/set_status", headers=auth, timeout=5,
                          json={"ids": [placed.json()["_id"]], "status": "received"})
        got = requests.get(f"{base}/api/v1/orders/{placed.json()['_id']}", headers=auth, timeout=5)
        assert got.json()["order"]["status"] == "received"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
