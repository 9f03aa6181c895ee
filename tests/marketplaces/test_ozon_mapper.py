"""Ozon mapper: golden tests on the shared fixtures, plus postings built here (Cyrillic, rFBS, malformed)."""

from __future__ import annotations

import copy
import json
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
import requests
from marshmallow import ValidationError

from connector.clients.ozon import OzonClient, OzonSettings, stamp
from connector.errors import AuthError
from connector.lifecycle import STATUSES
from connector.marketplaces import StockPush
from mappers import ozon
from tests.conftest import shared_fixture


def fixture(name: str) -> dict:
    return json.loads(shared_fixture("marketplaces", "ozon", name).read_text(encoding="utf-8"))


def posting(**changes) -> dict:
    """A v3 FBS posting of our own (the sandbox's shape, fields as Ozon prints them)."""
    body = {
        "posting_number": "73000137-0001-1", "order_id": 600000001, "order_number": "73000137-0001",
        "parent_posting_number": "", "status": "awaiting_packaging", "substatus": "posting_created",
        "delivery_method": {"id": 22142605386000, "name": "Ozon Логистика курьеру, Москва",
                            "warehouse_id": 22142605386000, "warehouse": "Склад на Ленина", "tpl_provider_id": 24,
                            "tpl_provider": "Ozon Логистика"},
        "tracking_number": "", "tpl_integration_type": "ozon", "in_process_at": "2025-03-01T09:30:00Z",
        "shipment_date": "2025-03-02T09:30:00Z", "cancellation": None, "customer": None, "addressee": None,
        "products": [{"currency_code": "RUB", "price": "19.9900", "offer_id": "KUB-ZOLC-330",
                      "name": "Кружка «Жёлтая» — Zażółć gęślą jaźń, Ґалина", "sku": 1500100001, "quantity": 3}],
        "analytics_data": None, "tariffication": [{"next_tariff_starts_at": None}],
    }
    body.update(changes)
    return body


def push(figure: int = 5, state: dict | None = None, ref: str = "KUB-ZOLC-330", location: str = "22142605386000"):
    return StockPush(listing_id=7, sku=ref, ref=ref, location=location, figure=figure, state=state or {})


# ---- golden: the shared fixtures

def test_unfulfilled_list_fixture_maps_to_a_paid_order():
    raw = fixture("v3_posting_fbs_unfulfilled_list_response.json")["result"]["postings"][0]
    canon, payment = ozon.order_from_ozon(raw)
    assert payment == "paid"
    assert (canon.external_id, canon.number, canon.status, canon.raw_status) == (
        "23713478-0018-3", "23713478-0018-3", "paid", "awaiting_packaging")
    assert canon.currency == "RUB" and canon.total == Decimal(1259) and canon.updated_at is None
    assert canon.placed_at == datetime(2021, 8, 25, 10, 48, 38)
    [line] = canon.lines
    assert (line.line_key, line.sku, line.product_ref, line.variation_ref, line.quantity) == (
        "140048123", "УТ-0001365", "УТ-0001365", "15110442724000", 1)
    assert line.unit_price == Decimal("1259.00") and line.name == "Мяч, цвет: черный, 5 кг"
    meta = canon.delivery["meta"]
    assert canon.delivery["method_id"] == "ozon:15110442724000"
    assert (meta["tpl_provider"], meta["delivery_type"], meta["rfbs"]) == ("Ozon Логистика", "PVZ", False)
    assert canon.shipping_address["city"] == "Санкт-Петербург" and canon.cod_amount is None


def test_get_fixture_price_with_four_decimals():
    canon, _ = ozon.order_from_ozon(fixture("v3_posting_fbs_get_response.json")["result"])
    [line] = canon.lines
    assert line.unit_price == Decimal("279.00") and canon.total == Decimal("279.00")
    assert (line.line_key, line.sku, line.variation_ref) == ("180550365", "250-7898-1", "18114520187000")
    assert canon.delivery["meta"]["substatus"] == "posting_awaiting_passport_data"


def test_list_fixture_awaiting_deliver_is_packed():
    raw = fixture("v3_posting_fbs_list_response.json")["result"]["postings"][0]
    canon, _ = ozon.order_from_ozon(raw)
    assert (canon.status, canon.lines[0].unit_price, canon.lines[0].sku) == ("packed", Decimal("1390.00"), "205953")
    assert ozon.inbox_key(raw).startswith("posting:05708065-0029-1:awaiting_deliver:posting_awaiting_passport_data:")


def test_every_documented_status_maps_or_is_a_documented_none():
    statuses = fixture("posting_statuses_ru.json")["status"]
    for raw in statuses:
        assert raw in ozon.STATUS_MAP or raw in ozon.KEPT, raw
        assert ozon.canonical_status(raw) in (*STATUSES, None)
    assert {raw for raw in statuses if ozon.canonical_status(raw) is None} == set(ozon.KEPT)
    assert set(ozon.STATUS_MAP) <= set(statuses)


def test_stock_response_fixture_is_accepted_with_the_send_time():
    [answer] = fixture("v2_products_stocks_response.json")["result"]
    now = datetime(2025, 3, 1, 12, 0, tzinfo=timezone.utc)
    result = ozon.stock_result(push(100, {"kept": 1}, ref="PH11042"), answer, now, 30)
    assert result.accepted and result.state == {"kept": 1, "sent_at": now.isoformat()}
    assert ozon.result_key(answer["offer_id"], answer["warehouse_id"]) == ("PH11042", "22142605386000")


def test_cancel_reason_fixtures():
    [entry] = fixture("v1_posting_fbs_cancel_reason_response.json")["result"]
    assert ozon.cancel_reason("out_of_stock", entry["reasons"]) == (352, "")
    reason_id, message = ozon.cancel_reason("other", entry["reasons"])
    assert reason_id == 402 and message
    catalogue = fixture("v2_posting_fbs_cancel_reason_list_response.json")["result"]
    usable = [r for r in catalogue if r["is_available_for_cancellation"]]
    assert ozon.cancel_reason("out_of_stock", usable)[0] == 352
    assert ozon.cancel_reason("out_of_stock", [r for r in catalogue if r["id"] != 352]) is None
    assert ozon.cancel_reason("other", []) is None


def _response(status: int, body: dict) -> requests.Response:
    response = requests.Response()
    response.status_code, response._content = status, json.dumps(body).encode()
    response.headers["Content-Type"] = "application/json"
    return response


def test_error_401_fixture_names_the_missing_credential():
    body = fixture("error_401_response.json")
    client = OzonClient(OzonSettings("http://ozon.invalid", "123456", ""))
    error = client._auth_error(_response(401, body), "/v1/warehouse/list")
    assert isinstance(error, AuthError) and error.status == 401 and error.code == "16"
    assert "credential api_key (header Api-Key) is empty" in str(error)
    both = OzonClient(OzonSettings("http://ozon.invalid", "123456", "s3cr3t-value"))
    error = both._auth_error(_response(401, body), "/v1/warehouse/list")
    assert "check credentials client_id and api_key" in str(error) and "s3cr3t" not in str(error)


def test_403_names_the_api_key_never_its_value():
    body = {"code": 7, "message": "Invalid Api-Key, please contact support", "details": []}
    client = OzonClient(OzonSettings("http://ozon.invalid", "123456", "s3cr3t-value"))
    error = client._auth_error(_response(403, body), "/v1/warehouse/list")
    assert "Api-Key (credential api_key) is not valid for Client-Id 123456" in str(error)
    assert "s3cr3t" not in str(error) and error.status == 403


# ---- postings of our own

def test_cyrillic_polish_ukrainian_text_and_cents():
    canon, _ = ozon.order_from_ozon(posting())
    [line] = canon.lines
    assert line.name == "Кружка «Жёлтая» — Zażółć gęślą jaźń, Ґалина"
    assert line.unit_price == Decimal("19.99") and canon.total == Decimal("59.97") and line.quantity == 3


def test_unknown_status_and_arbitration_are_none():
    assert ozon.order_from_ozon(posting(status="posting_teleported"))[0].status is None
    canon, _ = ozon.order_from_ozon(posting(status="arbitration", substatus="posting_in_arbitration"))
    assert (canon.status, canon.raw_status) == (None, "arbitration")


@pytest.mark.parametrize("raw, expected", [
    ("awaiting_registration", "new"), ("acceptance_in_progress", "new"), ("awaiting_verification", "new"),
    ("awaiting_approve", "new"), ("awaiting_packaging", "paid"), ("awaiting_deliver", "packed"),
    ("delivering", "shipped"), ("driver_pickup", "shipped"), ("sent_by_seller", "shipped"),
    ("delivered", "delivered"), ("cancelled", "cancelled"), ("cancelled_from_split_pending", "cancelled"),
    ("not_accepted", "cancelled"), ("client_arbitration", None)])
def test_status_table(raw, expected):
    assert ozon.canonical_status(raw) == expected


def test_cash_at_the_pickup_point_is_still_prepaid_to_the_seller():
    """Ozon collects the buyer's money itself: no COD amount for us, payment "paid"."""
    body = posting(analytics_data={"payment_type_group_name": "Оплата при получении", "city": "Казань",
                                   "delivery_type": "PVZ"})
    canon, payment = ozon.order_from_ozon(body)
    assert (payment, canon.cod_amount, canon.payment_method) == ("paid", None, "ozon")
    assert canon.shipping_address["city"] == "Казань"


def test_repeated_product_gets_its_own_line_key():
    product = posting()["products"][0]
    canon, _ = ozon.order_from_ozon(posting(products=[product, {**product, "quantity": 1}]))
    assert [line.line_key for line in canon.lines] == ["1500100001", "1500100001#2"]


def test_rfbs_posting_with_customer_blocks():
    body = posting(tpl_integration_type="non_integrated",
                   customer={"name": "Щукин Аркадий Петрович", "phone": "+79161234567",
                             "address": {"address_tail": "ул. Тверская, д. 7, кв. 12", "city": "Москва",
                                         "zip_code": "125009", "country": "Россия", "pvz_code": 0}},
                   addressee={"name": "Ёлкина Алёна", "phone": "+79219876543"})
    canon, _ = ozon.order_from_ozon(body)
    assert ozon.is_rfbs(body) and canon.delivery["meta"]["rfbs"] is True
    assert canon.buyer["first_name"] == "Щукин Аркадий Петрович" and canon.buyer["phone"] == "+79161234567"
    assert canon.shipping_address == {"first_name": "Ёлкина Алёна", "last_name": "", "phone": "+79219876543",
                                      "address_1": "ул. Тверская, д. 7, кв. 12", "city": "Москва",
                                      "postcode": "125009", "country": "RU"}
    assert "Щукин" not in json.dumps(canon.delivery, ensure_ascii=False)


@pytest.mark.parametrize("breakage", [
    lambda p: p.pop("posting_number"), lambda p: p.update(products=[]),
    lambda p: p["products"][0].update(price="бесплатно"), lambda p: p["products"][0].update(quantity="1"),
    lambda p: p["products"][0].update(quantity=0), lambda p: p["delivery_method"].pop("warehouse_id"),
    lambda p: p["products"][0].pop("offer_id"), lambda p: p.update(in_process_at="вчера")])
def test_malformed_posting_is_rejected(breakage):
    body = posting()
    breakage(body)
    with pytest.raises(ValidationError):
        ozon.order_from_ozon(body)


def test_inbox_key_tells_states_apart_but_ignores_noise():
    base = posting()
    key = ozon.inbox_key(base)
    assert key.startswith("posting:73000137-0001-1:awaiting_packaging:posting_created:")
    assert ozon.inbox_key(copy.deepcopy(base)) == key
    assert ozon.inbox_key(posting(tariffication=[{"next_tariff_starts_at": "2025-04-01T00:00:00Z"}])) == key
    assert ozon.inbox_key(posting(tracking_number="RR123456785RU")) != key
    assert ozon.inbox_key(posting(substatus="posting_awaiting_passport_data")) != key
    assert ozon.inbox_key(posting(status="cancelled")) != key


# ---- stock and status-back helpers

def test_stock_item_sends_the_figure_as_is():
    assert ozon.stock_item(push(8), 22142605386000) == {"offer_id": "KUB-ZOLC-330", "stock": 8,
                                                         "warehouse_id": 22142605386000}
    assert ozon.stock_item(push(-2), "22142605386000")["stock"] == 0


def test_wait_before_sending_a_pair_again():
    now = datetime(2025, 3, 1, 12, 0, 30, tzinfo=timezone.utc)
    assert ozon.wait_before_sending(push(), now, 30) == 0
    recent = push(state={"sent_at": (now - timedelta(seconds=10)).isoformat()})
    assert ozon.wait_before_sending(recent, now, 30) == pytest.approx(20)
    old = push(state={"sent_at": (now - timedelta(seconds=31)).replace(tzinfo=None).isoformat()})
    assert ozon.wait_before_sending(old, now, 30) == 0
    assert ozon.wait_before_sending(push(state={"sent_at": "garbage"}), now, 30) == 0


def test_stock_results_per_item():
    now = datetime.now(timezone.utc)
    throttled = {"offer_id": "KUB-ZOLC-330", "warehouse_id": 1, "updated": False,
                 "errors": [{"code": "TOO_MANY_REQUESTS", "message": "once per 30 seconds"}]}
    assert ozon.stock_result(push(), throttled, now, 45).retry_in == 45
    unknown = {"offer_id": "NOPE", "warehouse_id": 1, "updated": False,
               "errors": [{"code": "NOT_FOUND", "message": "Product not found"}]}
    refused = ozon.stock_result(push(ref="NOPE"), unknown, now, 30)
    assert refused.error == "Ozon refused the stock of offer NOPE at warehouse 1: NOT_FOUND: Product not found"
    assert refused.retry_in is None and refused.state is None
    assert "did not answer" in ozon.stock_result(push(), None, now, 30).error


def test_offer_from_product_list_item():
    offer = ozon.offer_from_ozon({"product_id": 900000001, "offer_id": "TSH-VYSH-M", "archived": False},
                                 22142605386000)
    assert (offer.ref, offer.sku, offer.location) == ("TSH-VYSH-M", "TSH-VYSH-M", "22142605386000")
    assert ozon.offer_from_ozon({"offer_id": "X", "archived": True}, 1) is None
    assert ozon.offer_from_ozon({"offer_id": ""}, 1) is None


def test_ship_body_is_one_package_by_ozon_sku():
    product = posting()["products"][0]
    body = ozon.ship_body(posting(products=[product, {**product, "sku": 1500100002, "quantity": 1}]))
    assert body["posting_number"] == "73000137-0001-1"
    assert body["packages"] == [{"products": [{"product_id": 1500100001, "quantity": 3},
                                              {"product_id": 1500100002, "quantity": 1}]}]


def test_stamp_is_rfc3339_utc():
    assert stamp(datetime(2025, 3, 1, 9, 5, 7, 123456)) == "2025-03-01T09:05:07.123Z"
