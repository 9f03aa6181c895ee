"""Rozetka mapper (pure): golden tests on the apidoc fixtures (read in place) and on payloads built here."""

from __future__ import annotations

import base64
import json
from datetime import datetime
from decimal import Decimal

import pytest
import requests
from marshmallow import ValidationError

from connector.clients import rozetka as client_mod
from connector.errors import AuthError, PermanentError, UnsupportedOperation
from connector.lifecycle import STATUSES
from connector.marketplaces import StatusChange, StockPush
from mappers import rozetka
from tests.conftest import shared_fixture


def fixture(name: str) -> dict:
    return json.loads(shared_fixture("marketplaces", "rozetka", name).read_text(encoding="utf-8"))


def purchase(pid=520000001, item_id=410000001, sku="KUB-ZOLC-330", quantity=1, price="19.99", article=""):
    return {"id": pid, "quantity": quantity, "price": price, "item_id": item_id,
            "item_name": "Кухоль «Жовтизна» – Zażółć gęślą jaźń",
            "item": {"id": item_id, "price_offer_id": sku, "article": article}}


def order(status=1, payment="cash", purchases=None, **extra):
    body = {
        "id": 780000001, "created": "2024-07-01 12:00:00", "changed": "2024-07-01 12:30:15", "amount": "39.98",
        "status": status, "status_group": 1, "ttn": "", "user_phone": "380671234567",
        "user_title": {"first_name": "Ґалина", "last_name": "Щербак"},
        "recipient_title": {"first_name": "Пётр", "last_name": "Щукин"}, "payment_type": payment,
        "purchases": purchases if purchases is not None else [purchase(), purchase(520000002, 410000002, "SWI",
                                                                                    1, "19.99")],
        "delivery": {"delivery_service_id": 5, "delivery_service_name": "Нова Пошта", "place_street": "вул. Хрещатик",
                     "place_house": "22", "ref_id": "1ec09d88-e1c2-11e3-8c4a-0050568002cf",
                     "city": {"id": 1, "name": "Киев", "name_ua": "Київ"}},
        "status_data": {"name_uk": "Нове замовлення"},
    }
    return {**body, **extra}


def available(*ids):
    return [{"parent_id": 0, "child_id": i} for i in ids]


# -- golden: orders -----------------------------------------------------------------------------------------
def test_expanded_search_fixture_maps_to_the_canonical_order():
    raw = fixture("orders_search_response_expanded.json")["content"]["orders"][0]
    canon, paid = rozetka.order_from_rozetka(raw)
    assert (canon.external_id, canon.number, canon.status, canon.raw_status) == ("248888186", "248888186", "new", "1")
    assert (canon.total, canon.currency, paid) == (Decimal("640.00"), "UAH", "pending")
    assert (canon.payment_method, canon.cod_amount) == ("cod", Decimal("640.00"))
    assert canon.updated_at == datetime(2019, 12, 17, 15, 34, 58)  # Kyiv winter time, UTC+2
    assert canon.placed_at == datetime(2019, 7, 25, 8, 49, 32)  # Kyiv summer time, UTC+3
    (line,) = canon.lines
    assert (line.line_key, line.sku, line.product_ref, line.quantity) == ("158280800", "12106", "38221768", 1)
    assert line.unit_price == Decimal("640.00") and line.name.startswith("Феномен")
    assert canon.delivery == {"method_id": "rozetka:5", "method_title": "Новая Почта",
                              "meta": {"warehouse_ref": "1692281f-e1c2-11e3-8c4a-0050568002cf", "city": "Київ"}}
    assert canon.shipping_address["city"] == "Київ" and canon.shipping_address["country"] == "UA"
    assert canon.buyer["phone"] == "380954954374"


def test_search_fixture_without_expand_is_refused_for_missing_purchases():
    raw = fixture("orders_search_response.json")["content"]["orders"][0]
    with pytest.raises(ValidationError) as caught:
        rozetka.order_from_rozetka(raw)
    assert "purchases" in caught.value.messages and "expand" in str(caught.value.messages)
    assert rozetka.canonical_status(raw["status"], raw["status_group"]) == "new"
    key = rozetka.inbox_key(raw)
    assert key.startswith("order:248888186:1:2019-12-17 17:34:58:") and len(key.rsplit(":", 1)[1]) == 16


def test_update_status_fixture_reads_status_26_as_confirmed_and_refuses_packing_without_status_available():
    content = fixture("order_update_status_response.json")["content"]
    assert rozetka.canonical_status(content["status"], content["status_group"]) == "confirmed"
    assert rozetka.status_request(StatusChange("confirmed"), content) == (None, "already confirmed")
    with pytest.raises(PermanentError, match=r"status 26.*not available.*available: none"):
        rozetka.status_request(StatusChange("packed", "20450000000000", "novaposhta"), content)


def test_every_listed_status_code_has_a_canonical_status():
    codes = fixture("order_status_codes_uk.json")["statuses"]
    mapped = {int(code): rozetka.canonical_status(int(code)) for code in codes}
    assert all(status in STATUSES for status in mapped.values()), {c: s for c, s in mapped.items() if s is None}
    assert set(rozetka.STATUS_MAP) == set(mapped)
    assert (mapped[42], mapped[45], mapped[19], mapped[61], mapped[55]) == \
        ("cancelled", "cancelled", "returned", "packed", "awaiting_payment")


def test_status_catalog_fixture_status_is_shipped():
    (entry,) = fixture("order_statuses_search_response.json")["content"]["orderStatus"]
    assert rozetka.canonical_status(entry["id"]) == "shipped"


# -- golden: stock and auth ---------------------------------------------------------------------------------
def pushes(*refs):
    return [StockPush(n, f"SKU-{n}", ref, "", 4) for n, ref in enumerate(refs, start=1)]


def static_client(answer: dict) -> client_mod.RozetkaClient:
    return client_mod.RozetkaClient(client_mod.RozetkaSettings("https://rz.test", api_token="T"),
                                    session=FakeSession(answer))


def test_mass_update_ok_fixture_accepts_everything():
    errors = static_client(fixture("items_mass_update_response_ok.json")).mass_update([{"item_rz_id": 1}])
    assert errors == {}
    assert all(r.accepted for r in rozetka.stock_results(pushes("102069758", "7"), errors))


def test_mass_update_errors_fixture_refuses_those_items_in_plain_words_and_accepts_the_rest():
    errors = static_client(fixture("items_mass_update_response_errors.json")).mass_update([{"item_rz_id": 1}])
    assert set(errors) == {"102069758", "192630536"}
    results = {r.listing_id: r for r in rozetka.stock_results(pushes("102069758", "192630536", "555"), errors)}
    assert results[1].error == "Rozetka refused item 102069758: some_text1; some_text2; some_text3"
    assert not results[2].accepted and results[3].accepted


def test_mass_update_refused_as_a_whole_raises():
    answer = {"success": False, "errors": {"message": "too_many_items", "code": 1030, "details": []}}
    with pytest.raises(PermanentError, match=r"too_many_items \(code 1030\)"):
        static_client(answer).mass_update([{"item_rz_id": 1}])


def test_stock_item_body():
    push = StockPush(1, "X", "410000001", "", -3)
    assert rozetka.stock_item(push) == {"item_rz_id": 410000001, "stock_quantity": 0}


class FakeSession:
    """Answers every request with one canned JSON body; remembers what was sent."""

    def __init__(self, body: dict, status: int = 200):
        self.body, self.status, self.sent = body, status, []

    def request(self, method, url, **kwargs):
        self.sent.append((method, url, kwargs))
        response = requests.Response()
        response.status_code, response._content = self.status, json.dumps(self.body).encode()
        response.headers["Content-Type"] = "application/json"
        return response


def test_login_fixture_gives_a_grant_without_refresh_token_or_expiry():
    session = FakeSession(fixture("auth_login_response.json"))
    settings = client_mod.RozetkaSettings("https://rz.test", username="seller", password="пароль-Zażółć")
    grant = client_mod.RozetkaClient(settings, session=session).login()
    assert (grant.access_token, grant.expires_in, grant.refresh_token) == \
        ("fHJHJWegsad4fr8798fwe45GDGBfhgawrf33", None, None)
    method, url, kwargs = session.sent[0]
    assert (method, url, kwargs["headers"]["Content-Language"]) == ("POST", "https://rz.test/sites", "uk")
    assert base64.b64decode(kwargs["json"]["password"]).decode() == "пароль-Zażółć"


def test_invalid_credentials_inside_http_200_is_an_auth_error_naming_the_cause():
    session = FakeSession({"success": False, "errors": {"message": "invalid_credentials", "code": 5401,
                                                        "details": []}})
    settings = client_mod.RozetkaSettings("https://rz.test", username="seller", password="wrong")
    with pytest.raises(AuthError, match="invalid_credentials.*5401.*username or password") as caught:
        client_mod.RozetkaClient(settings, session=session).login()
    assert "wrong" not in str(caught.value) and "seller" not in str(caught.value)


def test_other_business_errors_are_permanent_with_message_and_code():
    error = client_mod.business_error({"message": "status_not_available", "code": 1021}, "Rozetka PUT /orders/1")
    assert isinstance(error, PermanentError) and not isinstance(error, AuthError)
    assert str(error) == "Rozetka PUT /orders/1: status_not_available (code 1021)" and error.code == "1021"


# -- own payloads -------------------------------------------------------------------------------------------
def test_cyrillic_polish_names_amounts_and_online_payment():
    canon, paid = rozetka.order_from_rozetka(order(payment="online"))
    assert (canon.total, canon.payment_method, canon.cod_amount, paid) == (Decimal("39.98"), "rozetka_online", None,
                                                                          "paid")
    assert [line.unit_price for line in canon.lines] == [Decimal("19.99"), Decimal("19.99")]
    assert [line.line_key for line in canon.lines] == ["520000001", "520000002"]
    assert canon.buyer["first_name"] == "Ґалина" and canon.shipping_address["last_name"] == "Щукин"
    assert canon.shipping_address["address_1"] == "вул. Хрещатик, 22"
    assert "Zażółć" in canon.lines[0].name
    assert canon.updated_at == datetime(2024, 7, 1, 9, 30, 15)


def test_online_awaiting_payment_is_pending_and_cash_is_cod():
    assert rozetka.order_from_rozetka(order(status=55, payment="online"))[0].status == "awaiting_payment"
    assert rozetka.order_from_rozetka(order(status=55, payment="online"))[1] == "pending"
    canon, paid = rozetka.order_from_rozetka(order(payment="cash"))
    assert (canon.payment_method, canon.cod_amount, paid) == ("cod", Decimal("39.98"), "pending")
    assert rozetka.order_from_rozetka(order(status=6, payment="cash", status_group=2))[1] == "paid"


def test_sku_falls_back_to_the_article():
    canon, _ = rozetka.order_from_rozetka(order(purchases=[purchase(sku="", article="ART-7")]))
    assert (canon.lines[0].sku, canon.lines[0].product_ref) == ("ART-7", "410000001")


@pytest.mark.parametrize(("status", "group", "expected"), [(99, 1, None), (99, 2, "delivered"), (99, 3, "cancelled"),
                                                           (99, None, None), (61, 1, "packed"), (68, 2, "delivered")])
def test_unknown_ids_keep_their_group_meaning(status, group, expected):
    assert rozetka.order_from_rozetka(order(status=status, status_group=group))[0].status == expected


@pytest.mark.parametrize("broken", [{"status": "нове"}, {"id": None}, {"changed": "01.07.2024 12:30"},
                                    {"amount": "сорок"}, {"purchases": [{"id": 1}]}, {"purchases": "none"}])
def test_malformed_bodies_raise_validation_error(broken):
    with pytest.raises(ValidationError):
        rozetka.order_from_rozetka(order(**broken))


def test_kyiv_stamps_at_the_edge():
    assert rozetka.kyiv_stamp(datetime(2024, 7, 1, 9, 30, 15)) == "2024-07-01 12:30:15"
    assert rozetka.kyiv_stamp(datetime(2024, 12, 1, 9, 30, 15)) == "2024-12-01 11:30:15"
    # 2024-10-27 03:30 Kyiv happens twice (00:30 and 01:30 UTC): step back before the doubled hour
    assert rozetka.kyiv_stamp(datetime(2024, 10, 27, 0, 30)) == "2024-10-27 02:30:00"
    assert rozetka.from_kyiv("2024-07-01 12:30:15") == datetime(2024, 7, 1, 9, 30, 15)


def test_unreadable_changed_leaves_the_cursor_alone():
    assert rozetka.changed_at({"changed": "вчора"}) is None
    assert rozetka.changed_at(order()) == datetime(2024, 7, 1, 9, 30, 15)


def test_inbox_key_ignores_only_volatile_fields():
    body = order()
    assert rozetka.inbox_key(body) == rozetka.inbox_key({**body, "is_viewed": True})
    assert rozetka.inbox_key(body) != rozetka.inbox_key({**body, "user_phone": "380000000000"})


def test_offers_take_price_offer_id_else_article():
    item = {"rz_item_id": 410000001, "price_offer_id": "KUB", "article": "K-1", "name": "Кружка", "name_ua": "Кухоль",
            "stock_quantity": 12}
    assert rozetka.offer_from_rozetka(item).__dict__ == {"ref": "410000001", "sku": "KUB", "name": "Кухоль", "ean": "",
                                                         "quantity": 12, "location": "", "active": True}
    assert rozetka.offer_from_rozetka({**item, "price_offer_id": ""}).sku == "K-1"
    assert rozetka.offer_from_rozetka({"name": "no id"}) is None


# -- status back --------------------------------------------------------------------------------------------
PACKED = StatusChange("packed", "20450000000000", "novaposhta")


def test_packed_prefers_61_with_the_ttn_else_2_with_the_ttn():
    assert rozetka.status_request(PACKED, order(status_available=available(26, 2, 61))) == \
        ({"status": 61, "ttn": "20450000000000"}, "status 61 with the TTN")
    assert rozetka.status_request(PACKED, order(status=26, status_available=available(2, 42)))[0] == \
        {"status": 2, "ttn": "20450000000000"}


def test_packed_already_there_or_tracked_sends_nothing():
    assert rozetka.status_request(PACKED, order(status=61, ttn="20450000000000"))[0] is None
    assert rozetka.status_request(PACKED, order(status=4, ttn="20450000000000")) == (None, rozetka.TRACKS)
    assert rozetka.status_request(PACKED, order(status=61, ttn="20450000000999"))[0] == {"ttn": "20450000000000"}


def test_packed_refused_when_neither_61_nor_2_is_available():
    with pytest.raises(PermanentError, match=r"status 55.*available: 26, 50"):
        rozetka.status_request(PACKED, order(status=55, status_available=available(26, 50),
                                             status_data={"name_uk": "Очікує отримання оплати"}))


def test_shipped_and_delivered_are_rozetkas_own_once_a_ttn_is_set():
    for target in ("shipped", "delivered"):
        assert rozetka.status_request(StatusChange(target), order(status=61, ttn="204500")) == (None, rozetka.TRACKS)
    with pytest.raises(UnsupportedOperation, match="without a TTN"):
        rozetka.status_request(StatusChange("delivered"), order(status=26))
    shipped = StatusChange("shipped", "20450000000000", "novaposhta")
    assert rozetka.status_request(shipped, order(status=26, status_available=available(2, 61)))[0]["status"] == 61


def test_confirmed_goes_to_26_once():
    assert rozetka.status_request(StatusChange("confirmed"), order(status_available=available(26, 2)))[0] == \
        {"status": 26}
    assert rozetka.status_request(StatusChange("confirmed"), order(status=2))[0] is None


def test_cancelled_out_of_stock_is_42_and_other_reasons_have_no_word():
    oos = StatusChange("cancelled", reason="out_of_stock")
    assert rozetka.status_request(oos, order(status_available=available(26, 42)))[0] == {"status": 42}
    assert rozetka.status_request(oos, order(status=42, status_group=3))[0] is None
    with pytest.raises(UnsupportedOperation, match=r"reason 'other'; available from status 1: 26, 18"):
        rozetka.status_request(StatusChange("cancelled", reason="other"), order(status_available=available(26, 18)))
    with pytest.raises(PermanentError, match="status 42 is not available"):
        rozetka.status_request(oos, order(status=3, status_available=available(4)))
