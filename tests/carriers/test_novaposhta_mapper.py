"""Nova Poshta mapper: golden tests on the real fixtures (read in place) and on payloads composed
from the documented formats (Ukrainian names, COD 1234.50 UAH)."""

from __future__ import annotations

import json
import pickle
from datetime import date, datetime
from decimal import Decimal

import pytest

from connector.errors import AuthError, NotFound, TransientError, UnsupportedOperation
from connector.shipping import TRACKING_STATES, Parcel, Party, ShipmentRequest, ShipmentResult, TrackingUpdate
from mappers import novaposhta as np
from tests.conftest import shared_fixture

SENDER = np.Sender("b2ae9819-8fef-4a02-a1d6-2a65e5cdcaac", "fac557b3-8440-4e11-8eee-93360450b1d9",
                   "52353e10-16ec-4723-ac45-6a0842e30582", "c92a8f8a-2f58-4f13-9d74-d271872f3658", "380660000000")
CITY, BRANCH = "8d5a980d-391c-11dd-90d9-001a92567626", "1ec09d88-e1c2-11e3-8c4a-0050568002cf"


def fixture(name: str) -> dict:
    """A fixture parsed where it lies in ../shared (the test skips, saying why, on a clone without it)."""
    return json.loads(shared_fixture("couriers", "novaposhta", name).read_text(encoding="utf-8"))


def request(service: str = "WarehouseWarehouse", **changes) -> ShipmentRequest:
    receiver = Party(name="Шевченко Тарас Григорович", phone="+38 (067) 123-45-67", city_ref=CITY, country="UA")
    fields = dict(reference="SB-kyiv-1001-1", carrier="novaposhta", service=service, receiver=receiver,
                  sender=Party(name="Крамниця"), parcels=(Parcel(Decimal("1.25")),), pickup_point=BRANCH,
                  cod_amount=Decimal("1234.50"), currency="UAH", declared_value=Decimal("1234.50"),
                  description="Горнятко керамічне")
    return ShipmentRequest(**{**fields, **changes})


def save(req: ShipmentRequest) -> dict:
    return np.save_properties(req, SENDER, ship_date=date(2026, 11, 23))


def json_type(value) -> str:
    return "number" if isinstance(value, (int, float)) and not isinstance(value, bool) else type(value).__name__


# ----------------------------------------------------------------------------- real fixtures

def test_cod_request_reproduces_the_composed_fixture_exactly():
    expected = fixture("composed_internetdocument_save_request_cod_backwarddelivery.json")
    props = expected["methodProperties"]
    req = ShipmentRequest(
        reference="10001", carrier="novaposhta", service="WarehouseWarehouse",
        receiver=Party(name="", phone=props["RecipientsPhone"], city_ref=props["CityRecipient"]),
        sender=Party(name=""), parcels=(Parcel(Decimal("0.5")),), pickup_point=props["RecipientAddress"],
        cod_amount=Decimal("1499"), currency="UAH", declared_value=Decimal("1499"), description=props["Description"],
        extra={"recipient_ref": props["Recipient"], "contact_recipient_ref": props["ContactRecipient"],
               "cargo_type": "Cargo"})
    built = np.save_properties(req, SENDER, ship_date=date(2019, 1, 1))
    assert np.envelope("fake-token", "InternetDocument", "save", built) == expected


@pytest.mark.parametrize("service, changes", [
    ("WarehouseDoors", {"receiver": Party(name="Коваленко Олена", phone="0501234567", city="Київ", street="Хрещатик",
                                          building="22", flat="5", region="Київська", city_ref=CITY)}),
    ("WarehousePostomat", {"parcels": (Parcel(Decimal("2"), 20, 15, 20),)}),
    ("WarehouseWarehouse", {"parcels": (Parcel(Decimal("1"), 10, 10, 10), Parcel(Decimal("2"), 20, 20, 20))}),
])
def test_every_field_we_send_exists_in_a_real_request_with_the_same_json_type(service, changes):
    real = {}
    for name in ("internetdocument_save_request_doors_warehouse.json",
                 "internetdocument_save_request_postomat_optionsseat.json",
                 "composed_internetdocument_save_request_cod_backwarddelivery.json"):
        real.update(fixture(name)["methodProperties"])
    built = save(request(service, **changes))
    assert {k: json_type(v) for k, v in built.items()} == {k: json_type(real[k]) for k in built}
    for seat in built.get("OptionsSeat", []):
        assert {k: json_type(v) for k, v in seat.items()} == {k: json_type(v) for k, v in real["OptionsSeat"][0].items()}
    for item in built.get("BackwardDeliveryData", []):
        assert item.keys() == real["BackwardDeliveryData"][0].keys()


def test_save_response_becomes_a_result_with_ref_and_ttn():
    assert np.parse_save(fixture("internetdocument_save_response.json")) == ShipmentResult(
        carrier_ref="157bb4f4-09e5-4bfb-8d3f-603661fb36b2", tracking_number="20600000002545", status="created",
        raw_status="1", label_ready=True)


def test_document_list_is_searched_by_ref_and_by_our_reference():
    body = fixture("internetdocument_getdocumentlist_response.json")
    found = np.find_document(body, ref="157bb4f4-09e5-4bfb-8d3f-603661fb36b2")
    assert (found.tracking_number, found.status, found.raw_status) == ("20400030200931", "in_transit", "41")
    assert np.find_document(body, reference="SB-kyiv-1001-1") is None
    tagged = {**body, "data": [{**body["data"][0], "InfoRegClientBarcodes": "SB-kyiv-1001-1"}]}
    assert np.find_document(tagged, reference="SB-kyiv-1001-1").carrier_ref == found.carrier_ref


def test_delete_request_and_answer_match_the_fixtures():
    expected = fixture("internetdocument_delete_request.json")
    ref = expected["methodProperties"]["DocumentRefs"]
    assert np.envelope("fake-token", "InternetDocument", "delete", np.delete_properties(ref)) == expected
    np.raise_for_body(fixture("internetdocument_delete_response.json"), "InternetDocument.delete")


def test_tracking_request_and_answer_match_the_fixtures():
    expected = fixture("trackingdocument_getstatusdocuments_request.json")
    numbers = [d["DocumentNumber"] for d in expected["methodProperties"]["Documents"]]
    [batch] = np.tracking_batches(numbers, "380600000000")
    assert np.envelope("fake-token", "TrackingDocument", "getStatusDocuments", batch) == expected
    updates = np.parse_tracking(fixture("trackingdocument_getstatusdocuments_response.json"))
    assert updates == [TrackingUpdate("20400048799000", "created", "3", None),
                       TrackingUpdate("20400048799001", "delivered", "9", datetime(2023, 4, 7, 15, 36, tzinfo=np.KYIV))]


def test_tracking_error_inside_http_200_names_the_field():
    with pytest.raises(np.CarrierValidationError) as caught:
        np.raise_for_body(fixture("trackingdocument_getstatusdocuments_error_response.json"), "getStatusDocuments")
    assert (caught.value.field, caught.value.code) == ("tracking_number", "20001401442")


def test_every_documented_status_code_maps_to_a_canonical_state():
    codes = {c["code"] for c in fixture("tracking_status_codes.json")["codes"]}
    assert codes == set(np.STATUS_STATES)  # none falls to the default silently
    assert all(np.tracking_state(code) in TRACKING_STATES for code in codes)
    assert {c for c in codes if np.tracking_state(c) == "returned"} == {"102", "103", "105"}
    assert {c for c in codes if np.tracking_state(c) == "delivered"} == {"9", "10", "11", "106"}
    assert {c for c in codes if np.tracking_state(c) == "ready_for_pickup"} == {"7", "8"}
    assert (np.tracking_state("1"), np.tracking_state("2"), np.tracking_state(9)) == ("created", "cancelled", "delivered")
    assert np.tracking_state("1999") == "in_transit"


def error_table() -> dict[str, str]:
    return {e["code"]: e["en"] for e in fixture("error_codes.json")["errors"]}


def test_built_in_error_codes_are_real_codes():
    known = set(error_table()) | set(fixture("trackingdocument_getstatusdocuments_error_response.json")["errorCodes"])
    assert set(np.KNOWN_ERRORS) <= known


def test_the_full_error_table_names_a_field_whenever_the_text_starts_with_one():
    table = error_table()
    assert len(table) > 600
    named = 0
    for code, text in table.items():
        error = np.describe(code, "", table)
        assert error.message
        first = text.split(" ")[0]
        if first in np.NP_FIELDS and code not in np.KNOWN_ERRORS:
            assert error.field == np.NP_FIELDS[first], (code, text)
        named += error.field != "request"
    assert named > 170  # the rest concern fields a shipment request does not have (login, counterparties...)


def test_table_text_is_used_for_codes_we_do_not_know():
    body = {"success": False, "errors": ["Вага занадто велика"], "errorCodes": ["20000200377"]}
    with pytest.raises(np.CarrierValidationError) as caught:
        np.raise_for_body(body, "save", error_table())
    assert caught.value.field == "parcels" and "floors lifting" in caught.value.message


# ----------------------------------------------------------------------------- composed payloads

def test_branch_delivery_with_cash_on_delivery():
    assert save(request()) == {
        "PayerType": "Recipient", "PaymentMethod": "Cash", "DateTime": "23.11.2026", "ServiceType": "WarehouseWarehouse",
        "CargoType": "Parcel", "Weight": 1.25, "SeatsAmount": 1, "Description": "Горнятко керамічне", "Cost": 1235,
        "CitySender": SENDER.city, "Sender": SENDER.counterparty, "SenderAddress": SENDER.address,
        "ContactSender": SENDER.contact, "SendersPhone": "380660000000", "InfoRegClientBarcodes": "SB-kyiv-1001-1",
        "RecipientsPhone": "380671234567", "NewAddress": "1", "RecipientName": "Шевченко Тарас Григорович",
        "RecipientContactName": "Шевченко Тарас Григорович", "RecipientType": "PrivatePerson",
        "CityRecipient": CITY, "RecipientAddress": BRANCH,
        "BackwardDeliveryData": [{"PayerType": "Recipient", "CargoType": "Money", "RedeliveryString": "1234.50"}]}


def test_door_delivery_sends_the_address_and_the_sender_pays_the_transfer():
    receiver = Party(name="Иванов  Иван", phone="0931112233", city="Одеса", street="вул. Дерибасівська", building="7",
                     flat="12")
    built = save(request("WarehouseDoors", receiver=receiver, pickup_point=""))
    assert {k: built[k] for k in ("RecipientCityName", "RecipientAddressName", "RecipientHouse", "RecipientFlat",
                                  "RecipientName", "RecipientsPhone")} == {
        "RecipientCityName": "Одеса", "RecipientAddressName": "вул. Дерибасівська", "RecipientHouse": "7",
        "RecipientFlat": "12", "RecipientName": "Иванов Иван", "RecipientsPhone": "380931112233"}
    assert "CityRecipient" not in built and "RecipientAddress" not in built
    assert built["BackwardDeliveryData"][0]["PayerType"] == "Sender"


def test_parcel_locker_sends_one_seat_with_dimensions():
    built = save(request("WarehousePostomat", parcels=(Parcel(Decimal("2.5"), 30, 20, 10),)))
    assert built["CargoType"] == "Cargo"
    assert built["OptionsSeat"] == [{"volumetricVolume": 0.006, "volumetricWidth": 20, "volumetricLength": 30,
                                     "volumetricHeight": 10, "weight": 2.5}]


def test_payment_control_instead_of_a_money_transfer():
    built = save(request(extra={"cod_mode": "afterpayment"}))
    assert built["AfterpaymentOnGoodsCost"] == "1234.50" and "BackwardDeliveryData" not in built
    assert "AfterpaymentOnGoodsCost" not in save(request(cod_amount=None))


@pytest.mark.parametrize("changes, field", [
    ({"receiver": Party(name="Taras Shevchenko", phone="0671234567", city_ref=CITY)}, "receiver.name"),
    ({"receiver": Party(name="Тарас", phone="0671234567", city_ref=CITY)}, "receiver.name"),
    ({"receiver": Party(name="Шевченко Тарас", phone="+48 600 100 200", city_ref=CITY)}, "receiver.phone"),
    ({"receiver": Party(name="Шевченко Тарас", phone="0671234567")}, "receiver.city_ref"),
    ({"currency": "PLN"}, "currency"),
    ({"pickup_point": ""}, "pickup_point"),
    ({"reference": "SB-магазин-1"}, "reference"),
    ({"reference": "SB-" + "9" * 40}, "reference"),
    ({"service": "WarehouseMoon"}, "service"),
    ({"service": "WarehousePostomat"}, "parcels"),
    ({"cod_amount": Decimal("0.50")}, "cod_amount"),
    ({"service": "WarehouseDoors", "extra": {"cod_mode": "afterpayment"},
      "receiver": Party(name="Шевченко Тарас", phone="0671234567", city="Київ", street="Хрещатик", building="1")},
     "cod_amount"),
    ({"declared_value": None, "cod_amount": None}, "declared_value"),
])
def test_invalid_requests_name_the_field_without_personal_data(changes, field):
    req = request(**changes)
    with pytest.raises(np.CarrierValidationError) as caught:
        save(req)
    assert caught.value.field == field and caught.value.retry == "permanent"
    assert req.receiver.name not in str(caught.value) and "671234567" not in str(caught.value)


@pytest.mark.parametrize("code, error", [("20000200068", AuthError), ("20000201204", AuthError),
                                         ("20000200564", NotFound), ("20000201173", UnsupportedOperation),
                                         ("20001701795", TransientError)])
def test_error_codes_raise_their_typed_errors(code, error):
    with pytest.raises(error):
        np.raise_for_body({"success": False, "data": [], "errors": ["x"], "errorCodes": [code]}, "call")


def test_every_error_is_kept_and_odd_shapes_are_read():
    body = {"success": False, "errors": {"0": "RecipientsPhone invalid format", "1": "Weight is invalid"},
            "errorCodes": ["20000300434"]}
    with pytest.raises(np.CarrierValidationError) as caught:
        np.raise_for_body(body, "save")
    assert [e[0] for e in caught.value.errors] == ["receiver.phone", "parcels"]
    assert np.describe(None, "Phone 380671234567 of Recipient refused").message == "Phone … of Recipient refused"
    with pytest.raises(TransientError):
        np.raise_for_body("<html>", "save")


def test_validation_errors_survive_pickling():
    error = np.CarrierValidationError("is missing", field="receiver.phone", carrier="Nova Poshta", code="20000300435")
    copy = pickle.loads(pickle.dumps(error))
    assert (type(copy), str(copy), copy.field, copy.code, copy.errors) == (
        type(error), str(error), error.field, error.code, error.errors)


def test_batches_of_one_hundred_without_duplicates():
    numbers = [str(20450000000000 + i) for i in range(250)]
    batches = np.tracking_batches(numbers + numbers[:10], "380660000000")
    assert [len(b["Documents"]) for b in batches] == [100, 100, 50]
    assert batches[2]["Documents"][-1] == {"DocumentNumber": numbers[-1], "Phone": "380660000000"}


def test_money_and_scan_times():
    assert [np.money(Decimal(v)) for v in ("1499", "1234.5", "0.005")] == ["1499", "1234.50", "0.01"]
    assert np.scan_time("2023-04-07 11:36:10") == datetime(2023, 4, 7, 11, 36, 10, tzinfo=np.KYIV)
    assert np.scan_time("") is None and np.scan_time(0) is None
