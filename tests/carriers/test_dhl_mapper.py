"""Golden tests of ``mappers.dhl_poland``: the real DHL24 fixtures (read in place) and XML composed here.

XML is compared as trees (namespace-qualified tags, text, child order), not as bytes.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from connector.errors import AuthError, TransientError, UnsupportedOperation
from connector.shipping import Parcel, Party, ShipmentRequest, ShipmentResult, TrackingUpdate
from mappers import dhl_poland as mapper
from mappers.inpost import CarrierValidationError
from tests.conftest import shared_fixture

WARSAW = ZoneInfo("Europe/Warsaw")


def fixture(name: str) -> bytes:
    """A fixture read where it lies in ../shared (the test skips, saying why, on a clone without it)."""
    return shared_fixture("couriers", "dhl_poland", name).read_bytes()


def shape(element: ET.Element) -> tuple:
    return element.tag, (element.text or "").strip(), [shape(child) for child in element]


def plain(element: ET.Element) -> object:
    """Element -> data by local name (``item`` arrays as lists), for golden comparisons."""
    children = list(element)
    if not children:
        return (element.text or "").strip()
    if all(child.tag.endswith("item") for child in children):
        return [plain(child) for child in children]
    return {child.tag.rsplit("}", 1)[-1]: plain(child) for child in children}


def fixture_request() -> ShipmentRequest:
    """The ShipmentRequest that ``createShipment_request.xml`` (karrio's test) describes."""
    contact = dict(name="3e General Partnership", phone="123456789", email="testomir@gmail.pl", building="9",
                   flat="59", city="Wawa")
    return ShipmentRequest(reference="", carrier="dhl_poland", service="AH",
                           receiver=Party(company="Me", street="Lesna", postcode="00001", **contact),
                           sender=Party(company="Janek", street="9 Lesna", postcode="00909", **contact),
                           parcels=(Parcel(Decimal("0"), length_cm=25, width_cm=7, height_cm=7),),
                           extra={"special_services": ["POD"]})


def test_create_request_equals_the_fixture():
    payload = mapper.create_shipment_payload(fixture_request(), shipment_date=date(2024, 5, 6),
                                             pickup_hours=("10:00", "10:00"))
    built = mapper.envelope("createShipment", payload, username="username", password="password")
    assert shape(ET.fromstring(built)) == shape(ET.fromstring(fixture("createShipment_request.xml")))


def test_tracking_request_equals_the_fixture():
    built = mapper.envelope("getTrackAndTraceInfo", mapper.track_payload("24333892874"), username="username",
                            password="password")
    assert shape(ET.fromstring(built)) == shape(ET.fromstring(fixture("getTrackAndTraceInfo_request.xml")))


def test_polish_cod_shipment_composed_here():
    receiver = Party(name="Grzegorz Brzęczyszczykiewicz", phone="+48 600 100 200", email="g@przyklad.pl",
                     street="ul. Źródlana", building="5", flat="3", city="Gdańsk", postcode="80-001")
    sender = Party(name="Łucja Żak", company="Sklep Żuraw", phone="500600700", street="Świętokrzyska",
                   building="1", city="Kraśnik", postcode="23-200")
    request = ShipmentRequest(reference="sklep-1001-1", carrier="dhl_poland", service="AH", receiver=receiver,
                              sender=sender, parcels=(Parcel(Decimal("2.3"), length_cm=30, width_cm=20, height_cm=10),),
                              cod_amount=Decimal("19.99"), description="Książki")
    payload = mapper.create_shipment_payload(request, shipment_date=date(2026, 3, 2), account_number="6000000")
    built = mapper.envelope("createShipment", payload, username="u", password="p")
    assert "Brzęczyszczykiewicz".encode() in built
    operation = ET.fromstring(built)[0][0]
    assert operation.tag == f"{{{mapper.NS}}}createShipment"
    assert plain(operation)["shipment"] == {
        "shipmentInfo": {"dropOffType": "REGULAR_PICKUP", "serviceType": "AH",
                         "billing": {"shippingPaymentType": "SHIPPER", "billingAccountNumber": "6000000",
                                     "paymentType": "BANK_TRANSFER"},
                         "specialServices": [{"serviceType": "COD", "serviceValue": "19.99"},
                                             {"serviceType": "UBEZP", "serviceValue": "19.99"}],
                         "shipmentTime": {"shipmentDate": "2026-03-02", "shipmentStartHour": "10:00",
                                          "shipmentEndHour": "16:00"},
                         "labelType": "BLP"},
        "content": "Książki", "reference": "sklep-1001-1",
        "ship": {
            "shipper": {"preaviso": {"personName": "Łucja Żak", "phoneNumber": "500600700"},
                        "contact": {"personName": "Łucja Żak", "phoneNumber": "500600700"},
                        "address": {"name": "Sklep Żuraw", "postalCode": "23200", "city": "Kraśnik",
                                    "street": "Świętokrzyska", "houseNumber": "1"}},
            "receiver": {"preaviso": {"personName": "Grzegorz Brzęczyszczykiewicz", "phoneNumber": "600100200",
                                      "emailAddress": "g@przyklad.pl"},
                         "contact": {"personName": "Grzegorz Brzęczyszczykiewicz", "phoneNumber": "600100200",
                                     "emailAddress": "g@przyklad.pl"},
                         "address": {"country": "PL", "addressType": "C", "name": "Grzegorz Brzęczyszczykiewicz",
                                     "postalCode": "80001", "city": "Gdańsk", "street": "ul. Źródlana",
                                     "houseNumber": "5", "apartmentNumber": "3"}}},
        "pieceList": [{"type": "PACKAGE", "weight": "3", "width": "20", "height": "10", "length": "30",
                       "quantity": "1"}],
    }
    assert plain(operation)["authData"] == {"username": "u", "password": "p"}


@pytest.mark.parametrize(("changes", "field"), [
    ({"service": "PI"}, "service"),
    ({"receiver": Party(name="Jan Nowak", street="Polna", city="Łomża", postcode="18-400")}, "receiver.building"),
    ({"sender": Party(name="")}, "shipper.street"),
    ({"parcels": ()}, "parcels"),
])
def test_requirements_are_refused_before_sending(changes, field):
    request = ShipmentRequest(**{**fixture_request().__dict__, **changes})
    with pytest.raises(CarrierValidationError) as caught:
        mapper.create_shipment_payload(request, shipment_date=date(2026, 3, 2))
    assert caught.value.field == field


def test_label_types():
    assert mapper.label_type("pdf", "A6", 203) == "BLP"
    assert mapper.label_type("pdf", "A4", 300) == "LBLP"
    assert mapper.label_type("zpl", "A6", 203) == "ZBLP"
    for combination in (("zpl", "A6", 300), ("zpl", "A4", 203)):
        with pytest.raises(UnsupportedOperation):
            mapper.label_type(*combination)
    payload = mapper.get_labels_payload("90012000001", "ZBLP")
    assert plain(ET.fromstring(mapper.envelope("getLabels", payload, username="u", password="p"))[0][0])[
        "itemsToPrint"] == [{"labelType": "ZBLP", "shipmentId": "90012000001"}]


def test_create_answer_fixture():
    element = mapper.parse(fixture("createShipment_response_schema_shape.xml"))
    assert mapper.fault(element) is None
    assert mapper.shipment_result(element) == ShipmentResult(carrier_ref="string", tracking_number="string",
                                                             status="confirmed", raw_status="created", label_ready=True)


def test_tracking_answer_fixture():
    element = mapper.parse(fixture("getTrackAndTraceInfo_response.xml"))
    assert mapper.tracking_update(element) == TrackingUpdate(
        "24333892874", "delivered", "string", datetime(2012, 10, 12, 7, 40, 31, tzinfo=WARSAW))


def test_delete_answer_fixture_is_a_refusal():
    assert mapper.delete_results(mapper.parse(fixture("deleteShipment_response.xml"))) == [("string", False, "string")]


def test_fault_fixture_is_an_auth_error():
    element = mapper.parse(fixture("soap_fault_response.xml"))
    code, text = mapper.fault(element)
    assert (code, text) == ("100", "Nieprawidlowe dane autoryzacyjne")
    error = mapper.fault_error(code, text, "createShipment")
    assert isinstance(error, AuthError) and error.retry == "permanent"


def _tracking(events: list[tuple[str, str]], received_by: str = "") -> bytes:
    items = "".join(f"<item><status>{code}</status><description>d</description><terminal>WAW</terminal>"
                    f"<timestamp>{when}</timestamp></item>" for code, when in events)
    return (f'<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"><e:Body>'
            f'<getTrackAndTraceInfoResponse xmlns="{mapper.NS.replace("&", "&amp;")}"><getTrackAndTraceInfoResult>'
            f"<shipmentId>90012000001</shipmentId><receivedBy>{received_by}</receivedBy><events>{items}</events>"
            f"</getTrackAndTraceInfoResult></getTrackAndTraceInfoResponse></e:Body></e:Envelope>").encode()


@pytest.mark.parametrize(("events", "received_by", "expected"), [
    ([], "", ("confirmed", "")),
    ([("EDWP", "2026-03-02 09:00:00")], "", ("confirmed", "EDWP")),
    ([("LK", "2026-03-03 08:00:00"), ("DWP", "2026-03-02 15:00:00")], "", ("in_transit", "LK")),
    ([("SP_DSP", "2026-03-03 12:00:00")], "", ("ready_for_pickup", "SP_DSP")),
    ([("DOR", "2026-03-03 12:00:00")], "", ("delivered", "DOR")),
    ([("MAG", "2026-03-03 12:00:00")], "", ("in_transit", "MAG")),
    ([("LK", "2026-03-03 12:00:00")], "J. Kowalski", ("delivered", "LK")),
])
def test_tracking_states(events, received_by, expected):
    update = mapper.tracking_update(mapper.parse(_tracking(events, received_by)))
    assert (update.status, update.raw_status) == expected


def test_unknown_number_is_none():
    assert mapper.tracking_update(mapper.parse(_tracking([("ERR", "")]))) is None


def test_data_fault_names_the_field_and_masks_personal_data():
    error = mapper.fault_error("101", "shipment.ship.receiver.address.postalCode: zły kod 80-0012 dla a@b.pl",
                               "createShipment")
    assert isinstance(error, CarrierValidationError) and error.field == "ship.receiver.address.postalCode"
    assert "receiver postcode: zły kod <number> dla <e-mail>" in str(error)
    assert "a@b.pl" not in str(error) and "80-0012" not in str(error)
    keyword = mapper.fault_error("103", "Nieprawidłowy numer telefonu odbiorcy", "createShipment")
    assert keyword.field == "phoneNumber"
    assert isinstance(mapper.fault_error("SOAP-ENV:Server", "boom", "getLabels"), TransientError)


def test_non_xml_is_refused():
    with pytest.raises(ValueError):
        mapper.parse(b"<html><body>502 Bad Gateway")
