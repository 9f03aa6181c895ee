"""``DhlPolandClient`` against the DHL24 sandbox over real HTTP (werkzeug on a free 127.0.0.1 port)."""

from __future__ import annotations

import io
import subprocess
import sys
from decimal import Decimal

import pytest
import requests
from pypdf import PdfReader

from connector.clients.dhl_poland import CancelNotAllowed, CarrierValidationError, DhlPolandClient, DhlSettings
from connector.errors import AmbiguousError, AuthError, NotFound, TransientError, UnsupportedOperation
from connector.shipping import Parcel, Party, ShipmentRequest
from tests.helpers import serve
from sandbox.dhl_poland import create_app
from tests.conftest import shared_fixture

USER, PASSWORD = "dhl-user", "dhl-secret-pass"
A6_POINTS, A4_POINTS = (297.64, 419.53), (595.28, 841.89)




@pytest.fixture
def app():
    return create_app({"USERNAME": USER, "PASSWORD": PASSWORD, "HANG_SECONDS": 1.5})


@pytest.fixture
def sandbox(app):
    with serve(app) as url:
        yield url


@pytest.fixture
def client(sandbox):
    client = DhlPolandClient(DhlSettings(USER, PASSWORD, "6000000", sandbox, timeout=(2.0, 0.6)))
    yield client
    client.close()


def control(base: str, action: str, **body) -> dict:
    response = requests.post(f"{base}/__sandbox__/{action}", json=body, timeout=5)
    assert response.status_code == 200, response.text
    return response.json()


RECEIVER = Party(name="Grzegorz Brzęczyszczykiewicz", phone="+48 600 100 200", email="grzegorz@przyklad.pl",
                 street="ul. Źródlana", building="5", flat="3", city="Gdańsk", postcode="80-001")
SENDER = Party(name="Łucja Żak", company="Sklep Żuraw", phone="500600700", email="sklep@przyklad.pl",
               street="Świętokrzyska", building="1", city="Kraśnik", postcode="23-200")


def shipment(reference: str = "sklep-1001-1", **changes) -> ShipmentRequest:
    fields = dict(reference=reference, carrier="dhl_poland", service="AH", receiver=RECEIVER, sender=SENDER,
                  parcels=(Parcel(Decimal("2.3"), length_cm=30, width_cm=20, height_cm=10),),
                  cod_amount=Decimal("19.99"))
    return ShipmentRequest(**{**fields, **changes})


def page(pdf: bytes):
    return PdfReader(io.BytesIO(pdf)).pages[0]


def test_create_labels_in_every_format_and_tracking(client, sandbox):
    created = client.create_shipment(shipment())
    assert created.status == "confirmed" and created.label_ready and created.tracking_number == created.carrier_ref
    blp = page(client.get_label(created.carrier_ref))
    assert (float(blp.mediabox.width), float(blp.mediabox.height)) == pytest.approx(A6_POINTS, abs=0.5)
    text = blp.extract_text()
    assert "Brzęczyszczykiewicz" in text and "Źródlana" in text and "19.99 PLN" in text
    lblp = page(client.get_label(created.carrier_ref, size="A4"))
    assert (float(lblp.mediabox.width), float(lblp.mediabox.height)) == pytest.approx(A4_POINTS, abs=0.5)
    zpl = client.get_label(created.carrier_ref, fmt="zpl").decode()
    assert zpl.startswith("^XA") and "^PW839" in zpl and "^LL1183" in zpl
    with pytest.raises(UnsupportedOperation):
        client.get_label(created.carrier_ref, fmt="zpl", dpi=300)

    assert client.get_shipment(created.carrier_ref).raw_status == "EDWP"
    control(sandbox, "advance", id=created.carrier_ref, status="DWP")
    (update,) = client.track([created.carrier_ref, "90000000000"])
    assert (update.status, update.raw_status) == ("in_transit", "DWP")
    control(sandbox, "advance", id=created.carrier_ref, status="DOR", received_by="G. Brzęczyszczykiewicz")
    assert client.get_shipment(created.carrier_ref).status == "delivered"


def test_delete_only_before_pickup(client, sandbox):
    early, picked_up = client.create_shipment(shipment()), client.create_shipment(shipment("sklep-1002-1"))
    client.cancel(early.carrier_ref)
    with pytest.raises(NotFound):
        client.get_shipment(early.carrier_ref)
    control(sandbox, "advance", id=picked_up.carrier_ref, status="DWP")
    with pytest.raises(CancelNotAllowed) as refused:
        client.cancel(picked_up.carrier_ref)
    assert isinstance(refused.value, UnsupportedOperation) and refused.value.retry == "permanent"


def test_a_soap_fault_is_a_validation_error_naming_the_field_not_a_5xx(client):
    bad = shipment(receiver=Party(name="Jan Nowak", phone="600100200", street="Polna", building="1",
                                  city="Łomża", postcode="18-40"))
    with pytest.raises(CarrierValidationError) as caught:
        client.create_shipment(bad)
    error = caught.value
    assert error.field == "ship.receiver.address.postalCode" and not isinstance(error, TransientError)
    assert "receiver postcode" in str(error) and "1840" not in str(error) and "fault 101" in str(error)


def test_wrong_password_is_an_auth_error(sandbox):
    client = DhlPolandClient(DhlSettings(USER, "wrong-password", "", sandbox, timeout=2))
    with pytest.raises(AuthError) as caught:
        client.track(["90012000001"])
    assert "wrong-password" not in str(caught.value) and "wrong-password" not in repr(client.settings)


def test_proxy_errors_and_timeouts_are_typed(client, sandbox):
    created = client.create_shipment(shipment())
    control(sandbox, "fail", status=502)
    with pytest.raises(TransientError) as bad_gateway:
        client.get_shipment(created.carrier_ref)
    assert bad_gateway.value.status == 502
    control(sandbox, "fail", status="timeout")
    with pytest.raises(TransientError) as read_timeout:
        client.get_label(created.carrier_ref)
    assert not isinstance(read_timeout.value, AmbiguousError)
    control(sandbox, "fail", status="timeout")
    with pytest.raises(AmbiguousError):
        client.create_shipment(shipment("sklep-1003-1"))


def test_a_create_whose_answer_was_lost_is_found_by_reference(client, sandbox):
    control(sandbox, "lose_answer", count=1)
    with pytest.raises(AmbiguousError):
        client.create_shipment(shipment("sklep-4001-1"))
    found = client.find_by_reference("sklep-4001-1")
    listed = requests.get(f"{sandbox}/__sandbox__/shipments", timeout=5).json()["shipments"]
    assert found is not None and [item["id"] for item in listed] == [found.carrier_ref]
    assert client.get_label(found.carrier_ref).startswith(b"%PDF")
    assert client.find_by_reference("sklep-4002-1") is None


def test_find_by_reference_pages_through_busy_days(client, app):
    store = app.extensions["dhl_sandbox"].store
    for number in range(130):
        store.create({"reference": f"other-{number}", "shipmentInfo": {"serviceType": "AH"}})
    ours = client.create_shipment(shipment("sklep-5001-1"))
    for number in range(130, 140):
        store.create({"reference": f"other-{number}", "shipmentInfo": {"serviceType": "AH"}})
    assert client.find_by_reference("sklep-5001-1").carrier_ref == ours.carrier_ref
    assert client.find_by_reference("other-3").carrier_ref == "90012000004"


def fixture_bytes(name: str) -> bytes:
    """A fixture read where it lies in ../shared (the test skips, saying why, on a clone without it)."""
    return shared_fixture("couriers", "dhl_poland", name).read_bytes()


def test_the_sandbox_reads_the_fixture_requests():
    app = create_app({"USERNAME": "username", "PASSWORD": "password"})
    with serve(app) as url:
        endpoint = f"{url}/webapi2/provider/service.html?ws=1"

        def post(name: str) -> requests.Response:
            return requests.post(endpoint, data=fixture_bytes(name), timeout=5,
                                 headers={"Content-Type": "text/xml; charset=utf-8"})

        created = post("createShipment_request.xml")  # karrio's sample has weight 0
        assert created.status_code == 500 and "<faultcode>101</faultcode>" in created.text
        assert "shipment.pieceList.item[0].weight" in created.text
        deleted = post("deleteShipment_request.xml")
        assert deleted.status_code == 200 and "<result>false</result>" in deleted.text
        tracked = post("getTrackAndTraceInfo_request.xml")
        assert tracked.status_code == 200 and "<status>ERR</status>" in tracked.text
        wrong = requests.post(endpoint, data=fixture_bytes("getTrackAndTraceInfo_request.xml").replace(
            b"<password>password</password>", b"<password>x</password>"), timeout=5)
        assert wrong.status_code == 500 and b"Nieprawidlowe dane autoryzacyjne" in wrong.content


def test_the_cli_serves_soap():
    process = subprocess.Popen([sys.executable, "-m", "sandbox.dhl_poland", "--port", "0", "--username", "U",
                                "--password", "P"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        endpoint = process.stdout.readline().split(" on ", 1)[1].strip()
        client = DhlPolandClient(DhlSettings("U", "P", "", endpoint, timeout=5))
        assert client.track(["90012000001"]) == []
    finally:
        process.terminate()
        process.wait(10)
