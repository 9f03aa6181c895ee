"""CDEK mapper: golden tests on the real fixtures (read in place) and on payloads composed from the
documented formats (Russian names and addresses, COD 1234.50 RUB)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

from connector.errors import NotFound, TransientError
from connector.shipping import TRACKING_STATES, Parcel, Party, ShipmentRequest, ShipmentResult, TrackingUpdate
from mappers import cdek
from mappers.novaposhta import CarrierValidationError
from tests.conftest import shared_fixture



def fixture(name: str) -> dict:
    """A fixture parsed where it lies in ../shared (the test skips, saying why, on a clone without it)."""
    return json.loads(shared_fixture("couriers", "cdek", name).read_text(encoding="utf-8"))


def request(**changes) -> ShipmentRequest:
    fields = dict(
        reference="SB-msk-2001-1", carrier="cdek", service="139",
        receiver=Party(name="Иванов Иван Иванович", phone="8 (913) 463-72-28", city_ref="270", street="ул. Блюхера",
                       building="32", flat="5", country="RU"),
        sender=Party(name="Петров Пётр", company="ООО «Ромашка»", phone="+7 952 928-76-54", city_ref="44",
                     street="Ленинградский пр.", building="4", country="RU"),
        parcels=(Parcel(Decimal("1.25"), 20, 15, 10),), cod_amount=Decimal("1234.50"), currency="RUB",
        declared_value=Decimal("1500"), description="Кружка керамическая")
    return ShipmentRequest(**{**fields, **changes})


def shape(value, path: str = "") -> dict[str, str]:
    """Every leaf path of a JSON document (list indices folded to ``[]``) -> its JSON type."""
    if isinstance(value, dict):
        return {k: v for key, item in value.items() for k, v in shape(item, f"{path}.{key}" if path else key).items()}
    if isinstance(value, list):
        return {k: v for item in value for k, v in shape(item, path + "[]").items()}
    kind = "number" if isinstance(value, (int, float)) and not isinstance(value, bool) else type(value).__name__
    return {path: kind}


# ----------------------------------------------------------------------------- real fixtures

def test_every_field_we_send_exists_in_the_documented_request_with_the_same_type():
    documented = shape(fixture("composed_v2_orders_create_request.json"))
    built = shape(cdek.order_request(request()))
    assert {path: documented.get(path) for path in built} == built


def test_accepted_and_deleted_answers():
    accepted = fixture("v2_orders_create_response_accepted.json")
    assert cdek.entity_uuid(accepted) == "c2d74af8-24d0-4745-9273-bd22b069c780"
    assert cdek.request_state(accepted) == ("ACCEPTED", [])
    assert cdek.request_state(fixture("v2_orders_delete_response_accepted.json"), "DELETE") == ("ACCEPTED", [])


def test_created_order_becomes_a_result_with_the_cdek_number():
    body = fixture("v2_orders_get_response_created.json")
    assert cdek.order_result(body) == ShipmentResult(
        carrier_ref="b23e5e72-84d2-4fe8-94b9-052f5488b149", tracking_number="1107009111", status="confirmed",
        raw_status="CREATED", label_ready=True)
    assert cdek.order_found(body).tracking_number == "1107009111"
    assert cdek.order_update(body) == TrackingUpdate("1107009111", "confirmed", "CREATED",
                                                     datetime(2026, 3, 5, 21, 47, 22, tzinfo=timezone.utc))


def test_print_request_and_ready_answer():
    documented = fixture("composed_v2_print_barcodes_request.json")
    built = cdek.print_request(documented["orders"][0]["order_uuid"], "A6")
    assert {k: built[k] for k in documented} == documented and built["lang"] == "RUS"
    assert cdek.print_status(fixture("v2_print_barcodes_get_response_ready.json")) == (
        "READY", "https://api.edu.cdek.ru/v2/print/barcodes/3ca41de9-5088-4271-bf0a-a8cc7ea1b4cc.pdf")


def test_order_status_webhook_becomes_a_tracking_update():
    update = cdek.parse_webhook(fixture("composed_webhook_order_status.json"))
    assert update == TrackingUpdate("1107009111", "in_transit", "RECEIVED_AT_SHIPMENT_WAREHOUSE",
                                    datetime(2026, 3, 6, 10, 15, tzinfo=timezone(timedelta(hours=7))))
    assert cdek.parse_webhook({"type": "PRINT_FORM", "attributes": {}}) is None


def test_every_documented_status_maps_to_a_canonical_state():
    table = fixture("order_status_codes.json")
    codes = {s["code"] for s in table["statuses"]}
    assert set(cdek.STATUS_STATES) <= codes
    assert all(cdek.tracking_state(code) in TRACKING_STATES for code in codes)
    finals = {code: cdek.tracking_state(code) for code in table["final_statuses"]}
    assert finals == {"DELIVERED": "delivered", "NOT_DELIVERED": "returned", "REMOVED": "cancelled",
                      "POSTOMAT_RECEIVED": "delivered"}
    assert {c for c in codes if c.startswith("RETURNED_TO_")} and all(
        cdek.tracking_state(c) == "in_transit" for c in codes if c.startswith("RETURNED_TO_"))  # not a return
    assert {c for c in codes if cdek.tracking_state(c) == "ready_for_pickup"} == {"ACCEPTED_AT_PICK_UP_POINT",
                                                                                   "POSTOMAT_POSTED"}
    assert cdek.tracking_state("SOMETHING_NEW") == "in_transit"
    assert cdek.tracking_state("DELIVERED", is_return=True) == "returned"


def test_token_answer_has_what_the_client_reads():
    body = fixture("v2_oauth_token_response_shape.json")
    assert body["access_token"] and body["expires_in"] == 3599
    assert cdek.token_form("acc", "pw") == {"grant_type": "client_credentials", "client_id": "acc",
                                            "client_secret": "pw"}


# ----------------------------------------------------------------------------- composed payloads

def test_door_to_door_order_with_cash_on_delivery_in_roubles():
    assert cdek.order_request(request()) == {
        "type": 1, "number": "SB-msk-2001-1", "tariff_code": 139, "comment": "Кружка керамическая",
        "recipient": {"name": "Иванов Иван Иванович", "phones": [{"number": "+79134637228"}]},
        "sender": {"name": "Петров Пётр", "company": "ООО «Ромашка»", "phones": [{"number": "+79529287654"}]},
        "to_location": {"code": 270, "address": "ул. Блюхера, 32, 5"},
        "from_location": {"code": 44, "address": "Ленинградский пр., 4"},
        "packages": [{"number": "SB-msk-2001-1-1", "weight": 1250, "length": 20, "width": 15, "height": 10,
                      "items": [{"name": "Кружка керамическая", "ware_key": "SB-msk-2001-1-1",
                                 "payment": {"value": 1234.5}, "cost": 1500, "weight": 1250, "amount": 1}]}]}


def test_pick_up_points_several_parcels_and_another_currency():
    body = cdek.order_request(request(service="136", pickup_point="NSK12", extra={"shipment_point": "MSK5"},
                                      parcels=(Parcel(Decimal("0.3")), Parcel(Decimal("2.0011"))), currency="KZT"))
    assert (body["delivery_point"], body["shipment_point"]) == ("NSK12", "MSK5")
    assert "to_location" not in body and "from_location" not in body
    assert [p["weight"] for p in body["packages"]] == [300, 2002]
    assert [p["items"][0]["payment"]["value"] for p in body["packages"]] == [1234.5, 0]
    assert body["recipient_currency"] == body["items_cost_currency"] == "KZT"


@pytest.mark.parametrize("changes, field", [
    ({"reference": "SB-магазин-1"}, "reference"),
    ({"reference": "SB-" + "9" * 40}, "reference"),
    ({"service": "door-door"}, "service"),
    ({"receiver": Party(name="Иванов Иван", phone="123", city_ref="270", street="Ленина", building="1")},
     "receiver.phone"),
    ({"receiver": Party(name="Иванов Иван", phone="+79134637228", street="Ленина", building="1")}, "pickup_point"),
    ({"receiver": Party(name=" ", phone="+79134637228", city_ref="270", street="Ленина")}, "receiver.name"),
    ({"parcels": (Parcel(Decimal("0")),)}, "parcels"),
])
def test_invalid_requests_name_the_field_without_personal_data(changes, field):
    with pytest.raises(CarrierValidationError) as caught:
        cdek.order_request(request(**changes))
    assert caught.value.field == field and caught.value.carrier == "CDEK"
    assert "4637228" not in str(caught.value) and "Иванов" not in str(caught.value)


@pytest.mark.parametrize("error, field", [
    ({"code": "v2_field_is_empty", "message": "[packages[0].items[0].ware_key] is empty"}, "parcels"),
    ({"code": "v2_invalid_format", "message": "[recipient.phones[0].number] has invalid format"}, "receiver.phone"),
    ({"code": "v2_field_is_empty", "message": "[recipient.name] is empty"}, "receiver.name"),
    ({"code": "v2_recipient_location_not_recognized", "message": "Recipient location is not recognized"},
     "receiver.city_ref"),
    ({"code": "delivery_location_is_not_recognized", "message": "[delivery_point] is not recognized"}, "pickup_point"),
    ({"code": "v2_tariff_not_found", "message": "[tariff_code] tariff is not found"}, "service"),
    ({"code": "v2_something_new", "message": "[number] is odd"}, "reference"),
    ({"code": "v2_something_new", "message": "Something odd"}, "request"),
])
def test_cdek_errors_name_our_field(error, field):
    body = {"requests": [{"type": "CREATE", "state": "INVALID", "errors": [error]}]}
    with pytest.raises(CarrierValidationError) as caught:
        cdek.raise_for_errors(body, "create", status=400)
    assert caught.value.field == field and caught.value.code == error["code"]


def test_invalid_order_answers_raise_and_are_never_found():
    body = {"entity": {"uuid": "u1", "statuses": [{"code": "INVALID", "date_time": "2026-11-22T10:00:00+0000"}]},
            "requests": [{"type": "CREATE", "state": "INVALID",
                          "errors": [{"code": "v2_invalid_format", "message": "[recipient.phones[0].number] bad"}]}]}
    with pytest.raises(CarrierValidationError) as caught:
        cdek.order_result(body)
    assert caught.value.message == "has an invalid format (recipient.phones[0].number)"
    assert cdek.order_found(body) is None
    removed = {"entity": {"uuid": "u2", "cdek_number": "1", "statuses": [{"code": "REMOVED"}, {"code": "CREATED"}]}}
    assert cdek.order_found(removed) is None and cdek.order_result(removed).status == "cancelled"


def test_not_found_and_internal_errors_are_typed():
    with pytest.raises(NotFound):
        cdek.raise_for_errors({"requests": [{"errors": [{"code": "v2_entity_not_found_im_number", "message": "x"}]}]}, "get")
    with pytest.raises(TransientError):
        cdek.raise_for_errors({"errors": [{"code": "v2_internal_error", "message": "boom"}]}, "get")
    [(field, message, code)] = cdek.errors_of({"errors": [{"code": "x", "message": "phone 79134637228 refused"}]})
    assert message == "phone … refused"


def test_pending_order_and_equal_times():
    pending = {"entity": {"uuid": "u3", "statuses": [{"code": "ACCEPTED", "date_time": "2026-11-22T10:00:00+0000"}]},
               "requests": [{"type": "CREATE", "state": "ACCEPTED"}]}
    assert cdek.order_result(pending) == ShipmentResult("u3", "", "created", "ACCEPTED", False)
    same = "2026-11-22T10:00:00+00:00"
    job = {"entity": {"statuses": [{"code": c, "date_time": same} for c in ("ACCEPTED", "PROCESSING")]}}
    assert cdek.print_status(job) == ("PROCESSING", "")
    order = {"statuses": [{"code": c, "date_time": same} for c in ("CREATED", "ACCEPTED")]}
    assert cdek.latest_status(order)[0] == "CREATED"
