"""Prom.ua mapping: golden tests on the captured orders (../shared) and on payloads written here."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from marshmallow import ValidationError

from connector.marketplaces import StatusChange, StockPush
from mappers import prom
from tests.conftest import shared_fixture


def fixture(name: str) -> dict:
    return json.loads(shared_fixture("marketplaces", "promua", name).read_text(encoding="utf-8"))


def own_order(**changes) -> dict:
    order = {"id": 900001, "date_created": "2026-12-01T08:00:00.123456+00:00",
             "date_modified": "2026-12-01T08:05:00.654321+00:00", "status": "pending", "price": "1 244,50 грн",
             "client_first_name": "Ґалина", "client_last_name": "Щербак", "phone": "+380501112233", "email": None,
             "payment_option": {"id": 1, "name": "Накладений платіж"}, "payment_data": None,
             "delivery_option": {"id": 2, "name": "Нова Пошта"},
             "delivery_provider_data": {"provider": "nova_poshta", "recipient_warehouse_id": "wh-ref-1",
                                        "declaration_number": None, "unified_status": None,
                                        "recipient_address": {"city_id": "city-ref-1", "city_name": "Київ"}},
             "products": [{"id": 11, "external_id": "KUB-ZOLC-330", "sku": "A1B2C", "name": "Кружка «Жовть»",
                           "price": "19,99 грн", "quantity": 2.0},
                          {"id": 12, "external_id": "", "sku": "TSH-VYSH-M", "name": "Футболка", "price": "1 204,52 грн",
                           "quantity": 1.0}]}
    order.update(changes)
    return order


def test_golden_order_get_fixture():
    canon, paid = prom.order_from_prom(fixture("order_get_response.json")["order"])
    assert canon.external_id == "338390710" and canon.status == "new" and canon.raw_status == "pending"
    assert canon.currency == "UAH" and canon.total == Decimal("244")
    assert canon.payment_method == "cod" and canon.cod_amount == Decimal("244") and paid == "pending"
    line = canon.lines[0]
    assert (line.sku, line.quantity, line.unit_price, line.product_ref) == ("WOO-SKU-123", 1, Decimal("244"), "WOO-SKU-123")
    assert canon.updated_at.isoformat() == "2025-04-07T06:46:43.570150"
    assert canon.delivery["meta"]["warehouse_ref"] == "00000000-0000-0000-0000-000000000000"


def test_golden_list_custom_status_and_prom_payment():
    custom, plain = fixture("orders_list_response.json")["orders"]
    canon, paid = prom.order_from_prom(custom)
    assert canon.status is None and canon.raw_status == "custom-137639" and paid == "paid"  # unknown: kept + alert
    mapped, _ = prom.order_from_prom(custom, {"custom-137639": "confirmed"})
    assert mapped.status == "shipped"  # a TTN on the way says more than the seller's "confirmed"
    assert prom.order_from_prom(plain)[0].status == "new"


def test_golden_stock_and_status_shapes():
    pushes = [StockPush(1, "WOO-SKU-123", "WOO-SKU-123", "", 5), StockPush(2, "WOO-SKU-124", "WOO-SKU-124", "", 0)]
    assert prom.stock_bodies(pushes)[0] == [
        {k: v for k, v in item.items()} for item in fixture("products_edit_by_external_id_request.json")["_body"]]
    results = prom.stock_results(pushes, fixture("products_edit_response.json"))
    assert results[0].accepted and not results[1].accepted and "WOO-SKU-124" in results[1].error
    path, body = prom.status_request(StatusChange("cancelled", reason="out_of_stock"), {"id": 338390710, "status": "pending"})
    expected = fixture("order_set_status_request.json")
    assert path == "/orders/set_status" and body["cancellation_reason"] == expected["cancellation_reason"]
    assert body["ids"] == expected["ids"] and body["status"] == expected["status"]


def test_money_with_thin_spaces_commas_and_suffixes():
    assert prom.money("1\u2009244,50 грн") == (Decimal("1244.50"), "UAH")
    assert prom.money("19.99 руб") == (Decimal("19.99"), "RUB")
    assert prom.money(35) == (Decimal("35"), "UAH")
    with pytest.raises(ValidationError):
        prom.money("1.2.3 грн")


def test_own_order_lines_cyrillic_and_sku_fallback():
    canon, _ = prom.order_from_prom(own_order())
    assert canon.total == Decimal("1244.50") and canon.buyer["first_name"] == "Ґалина"
    first, second = canon.lines
    assert (first.sku, first.quantity, first.unit_price) == ("KUB-ZOLC-330", 2, Decimal("19.99"))
    assert (second.sku, second.product_ref) == ("TSH-VYSH-M", "")  # no external id: nothing to push to
    assert canon.delivery["meta"] == {"warehouse_ref": "wh-ref-1", "city_ref": "city-ref-1"}


@pytest.mark.parametrize("changes,status", [
    ({"status": "received"}, "confirmed"), ({"status": "canceled"}, "cancelled"), ({"status": "delivered"}, "delivered"),
    ({"payment_data": {"type": "evopay", "status": "unpaid"}, "payment_option": {"name": "Пром-оплата"}}, "awaiting_payment"),
    ({"payment_data": {"type": "evopay", "status": "refunded"}, "status": "received"}, "returned"),
    ({"status": "received", "delivery_provider_data": {"declaration_number": "20450000000000",
                                                       "unified_status": "delivered"}}, "delivered"),
    ({"status": "custom-5"}, None)])
def test_status_readings(changes, status):
    assert prom.order_from_prom(own_order(**changes))[0].status == status


def test_fractional_quantity_and_missing_fields_are_refused():
    with pytest.raises(ValidationError):
        prom.order_from_prom(own_order(products=[{"id": 1, "external_id": "X", "price": "1 грн", "quantity": 1.5}]))
    with pytest.raises(ValidationError):
        prom.order_from_prom({"id": "x", "status": "pending"})


def test_inbox_key_differs_when_only_the_content_changes():
    """A lost change keeps its old date_modified (quirk): the digest still tells the states apart."""
    before, after = own_order(), own_order(payment_data={"type": "evopay", "status": "paid"})
    assert prom.inbox_key(before) != prom.inbox_key(after)
    assert prom.inbox_key(before) == prom.inbox_key(json.loads(json.dumps(before)))


def test_status_requests_look_at_the_order_first():
    shipped = StatusChange("shipped", tracking_number="20450000000000", carrier="novaposhta")
    assert prom.status_request(shipped, {"id": 1, "delivery_provider_data": {"declaration_number": "20450000000000"}}) is None
    path, body = prom.status_request(shipped, {"id": 1, "delivery_provider_data": {}})
    assert path == "/delivery/save_declaration_id" and body["delivery_type"] == "nova_poshta"
    assert prom.status_request(StatusChange("delivered"), {"id": 1, "status": "delivered"}) is None
    _, other = prom.status_request(StatusChange("cancelled", reason="other"), {"id": 1, "status": "pending"})
    assert other["cancellation_reason"] == "another" and other["cancellation_text"]


def test_packed_with_a_ttn_is_the_declaration_and_without_one_unsupported():
    from connector.errors import UnsupportedOperation

    path, _ = prom.status_request(StatusChange("packed", "20450000000001", "novaposhta"), {"id": 1})
    assert path == "/delivery/save_declaration_id"
    with pytest.raises(UnsupportedOperation):
        prom.status_request(StatusChange("shipped"), {"id": 1})
