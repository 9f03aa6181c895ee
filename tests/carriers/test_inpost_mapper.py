"""Golden tests of ``mappers.inpost``: the real ShipX fixtures (read in place) and payloads composed here.

The fixtures live in ``/work/shared/fixtures/couriers/inpost`` (``SOURCES.md`` names their origin);
without that directory the fixture tests are skipped with the reason, the composed ones still run.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
import requests
from marshmallow import ValidationError

from connector.clients.http import raise_for_response
from connector.errors import NotFound, UnsupportedOperation
from connector.shipping import TRACKING_STATES, Parcel, Party, ShipmentRequest, ShipmentResult, TrackingUpdate
from mappers import inpost
from mappers.inpost import CarrierValidationError
from tests.conftest import shared_fixture



def fixture(name: str) -> dict:
    """A fixture parsed where it lies in ../shared (the test skips, saying why, on a clone without it)."""
    return json.loads(shared_fixture("couriers", "inpost", name).read_text(encoding="utf-8"))


NOBODY = Party(name="")


def locker_request(**changes) -> ShipmentRequest:
    """The ShipmentRequest that the composed locker fixture describes."""
    fields = dict(reference="Test", carrier="inpost", service="inpost_locker_standard",
                  receiver=Party(name="Jan Kowalski", phone="111222333", email="receiver@example.com"),
                  sender=NOBODY, parcels=(Parcel(Decimal("1"), template="small"),), pickup_point="KRA012",
                  cod_amount=Decimal("12.5"), declared_value=Decimal("25"),
                  extra={"sending_method": "dispatch_order", "external_customer_id": "8877xxx"})
    return ShipmentRequest(**{**fields, **changes})


def courier_request(**changes) -> ShipmentRequest:
    """The ShipmentRequest that the composed courier fixture describes."""
    receiver = Party(name="Jan Kowalski", company="Company name", phone="888000000", email="receiver@example.com",
                     street="Malborska", building="130", city="Kraków", postcode="30-624")
    fields = dict(reference="Test", carrier="inpost", service="inpost_courier_standard", receiver=receiver,
                  sender=NOBODY, parcels=(Parcel(Decimal("25"), length_cm=8, width_cm=36, height_cm=64),),
                  cod_amount=Decimal("12.5"), declared_value=Decimal("25"),
                  extra={"additional_services": ["email", "sms"]})
    return ShipmentRequest(**{**fields, **changes})


# --------------------------------------------------------------------------- requests

def test_locker_body_equals_the_composed_fixture():
    assert inpost.shipment_body(locker_request()) == fixture("composed_shipment_create_request_locker_simplified.json")


def test_courier_body_equals_the_composed_fixture():
    assert inpost.shipment_body(courier_request()) == fixture("composed_shipment_create_request_courier_simplified.json")


def test_polish_courier_shipment_with_cod_composed_here():
    receiver = Party(name="Zażółć Gęślą-Jaźń", phone="+48 601-234-567", email="zazolc@przyklad.pl",
                     street="ul. Źródlana", building="7", flat="12", city="Łódź", postcode="90-418")
    sender = Party(name="Łucja Ńowak", company="Sklep Żuraw", phone="0048 500 600 700", email="sklep@przyklad.pl",
                   street="Świętokrzyska", building="1", city="Kraśnik", postcode="23-200")
    request = ShipmentRequest(reference="sklep-1001-1", carrier="inpost", service="inpost_courier_standard",
                              receiver=receiver, sender=sender,
                              parcels=(Parcel(Decimal("2.5"), length_cm=30, width_cm=20, height_cm=10),),
                              cod_amount=Decimal("19.99"))
    body = inpost.shipment_body(request)
    assert body == {
        "service": "inpost_courier_standard", "reference": "sklep-1001-1",
        "receiver": {"first_name": "Zażółć", "last_name": "Gęślą-Jaźń", "email": "zazolc@przyklad.pl",
                     "phone": "601234567",
                     "address": {"street": "ul. Źródlana", "building_number": "7/12", "city": "Łódź",
                                 "post_code": "90-418", "country_code": "PL"}},
        "sender": {"first_name": "Łucja", "last_name": "Ńowak", "company_name": "Sklep Żuraw",
                   "email": "sklep@przyklad.pl", "phone": "500600700",
                   "address": {"street": "Świętokrzyska", "building_number": "1", "city": "Kraśnik",
                               "post_code": "23-200", "country_code": "PL"}},
        "parcels": [{"dimensions": {"length": 300, "width": 200, "height": 100, "unit": "mm"},
                     "weight": {"amount": 2.5, "unit": "kg"}, "is_non_standard": False}],
        "insurance": {"amount": 19.99, "currency": "PLN"},
        "cod": {"amount": 19.99, "currency": "PLN"},
    }
    text = json.dumps(body, ensure_ascii=False)
    assert '"cod": {"amount": 19.99, "currency": "PLN"}' in text and "Zażółć" in text


@pytest.mark.parametrize(("changes", "field"), [
    ({"receiver": Party(name="Jan Kowalski", email="a@b.pl")}, "receiver.phone"),
    ({"receiver": Party(name="Jan Kowalski", phone="600100200")}, "receiver.email"),
    ({"pickup_point": ""}, "custom_attributes.target_point"),
    ({"parcels": (Parcel(Decimal("1")),)}, "parcels[0].template"),
    ({"reference": "ab"}, "reference"),
    ({"service": "inpost_letter_ecommerce"}, "service"),
])
def test_locker_requirements_are_refused_before_sending(changes, field):
    with pytest.raises(CarrierValidationError) as caught:
        inpost.shipment_body(locker_request(**changes))
    assert caught.value.field == field and caught.value.retry == "permanent"


def test_courier_standard_needs_insurance_and_an_address():
    with pytest.raises(CarrierValidationError) as caught:
        inpost.shipment_body(courier_request(cod_amount=None, declared_value=None))
    assert caught.value.field == "insurance"
    with pytest.raises(CarrierValidationError) as caught:
        inpost.shipment_body(courier_request(receiver=Party(name="Jan Kowalski", city="Kraków")))
    assert caught.value.field == "receiver.address.street"


def test_label_parameters():
    assert inpost.label_params("pdf", "A6", 203) == {"format": "Pdf", "type": "A6"}
    assert inpost.label_params("pdf", "A4", 203) == {"format": "Pdf", "type": "normal"}
    assert inpost.label_params("zpl", "A6", 300) == {"format": "Zpl", "type": "dpi300"}
    with pytest.raises(UnsupportedOperation):
        inpost.label_params("zpl", "A4", 203)


# --------------------------------------------------------------------------- responses

def test_create_answer_fixture_is_created_without_tracking():
    assert inpost.shipment_result(fixture("shipment_create_response_created.json")) == ShipmentResult(
        carrier_ref="1234567890", tracking_number="", status="created", raw_status="created", label_ready=False)


def test_search_fixture_finds_the_confirmed_shipment_by_exact_reference():
    body = fixture("shipments_search_by_id_response_confirmed.json")
    assert inpost.find_in_search(body, "Zawartość przesyłki") == ShipmentResult(
        carrier_ref="1234567890", tracking_number="520000014966200008039999", status="confirmed",
        raw_status="confirmed", label_ready=True)
    assert inpost.find_in_search(body, "Zawartość") is None


def test_search_prefers_a_live_shipment_over_a_cancelled_one():
    items = [{"id": 3, "reference": "r-1", "status": "canceled"}, {"id": 2, "reference": "r-1", "status": "created"}]
    assert inpost.find_in_search({"items": items}, "r-1").carrier_ref == "2"


def test_tracking_fixture():
    body = fixture("tracking_response.json")
    assert inpost.tracking_update(body) == TrackingUpdate(
        "612345678901234567890123", "in_transit", "dispatched_by_sender",
        datetime(2015, 9, 17, 11, 28, tzinfo=timezone(timedelta(hours=2))))
    assert [update.raw_status for update in inpost.tracking_history(body)] == ["confirmed", "dispatched_by_sender"]


@pytest.mark.parametrize(("name", "expected"), [
    ("webhook_shipment_confirmed.json", ("shipment_confirmed", "49", "confirmed", "602677439331630337653846")),
    ("webhook_shipment_status_changed.json", ("shipment_status_changed", "49", "delivered",
                                              "602677439331630337653846")),
    ("webhook_shipment_confirmed_legacy_with_created_by_id.json",
     ("shipment_confirmed", "87235", "confirmed", "633300208831612315289193")),
])
def test_webhook_fixtures(name, expected):
    event = inpost.webhook_event(fixture(name))
    assert (event.event, event.shipment_id, event.status, event.tracking_number) == expected
    assert event.at is not None and event.canonical_status in TRACKING_STATES


def test_malformed_webhook_is_a_validation_error():
    with pytest.raises(ValidationError):
        inpost.webhook_event({"event": "shipment_confirmed", "organization_id": 1, "payload": {"shipment_id": "x"}})
    with pytest.raises(ValidationError):
        inpost.webhook_event({"event": "shipment_confirmed"})


def test_every_documented_status_maps_to_a_canonical_state():
    body = fixture("shipx_status_names.json")
    assert all(inpost.status(name) in TRACKING_STATES for name in body["statuses"])
    assert set(body["cancellable_via_DELETE"]) == inpost.CANCELLABLE
    assert body["label_available_from"] not in inpost.NOT_BOUGHT
    expected = {"created": "created", "offer_selected": "created", "confirmed": "confirmed",
                "adopted_at_sorting_center": "in_transit", "ready_to_pickup": "ready_for_pickup",
                "delivered": "delivered", "returned_to_sender": "returned", "canceled": "cancelled"}
    assert {name: inpost.status(name) for name in expected} == expected
    assert inpost.status("brand_new_status_2027") == "in_transit"


# --------------------------------------------------------------------------- errors

def test_validation_fixture_becomes_plain_words_naming_each_field():
    error = inpost.validation_error(fixture("error_400_validation_failed.json"))
    assert error.field == "insurance.amount"
    assert [field for field, _, _ in error.errors] == ["insurance.amount", "parcels[0].dimensions.width",
                                                      "parcels[0].weight.amount"]
    assert "insurance amount is too small" in str(error)
    assert "parcel 1 dimensions width is too small" in str(error) and error.retry == "permanent"


def test_validation_details_in_the_documented_flat_shape():
    body = {"status": 400, "error": "validation_failed", "message": "...",
            "details": {"name": ["required", "too_short"], "post_code": ["invalid_format"]}}
    error = inpost.validation_error(body)
    assert error.field == "name"
    assert "name is required and is too short" in str(error) and "post code has an invalid format" in str(error)


def test_validation_message_keeps_only_safe_characters_of_field_names():
    body = {"error": "validation_failed", "details": {"receiver<script>": [{"phone\n600100200": ["invalid"]}]}}
    error = inpost.validation_error(body)
    assert "<" not in str(error) and "\n" not in str(error)
    assert inpost.validation_error({"error": "resource_not_found"}) is None


def test_not_found_fixture_is_a_typed_not_found():
    response = requests.Response()
    response.status_code, response._content = 404, json.dumps(fixture("error_404_resource_not_found.json")).encode()
    response.headers["Content-Type"] = "application/json"
    with pytest.raises(NotFound) as caught:
        raise_for_response(response, "InPost GET /v1/shipments/1")
    assert caught.value.code == "resource_not_found"
