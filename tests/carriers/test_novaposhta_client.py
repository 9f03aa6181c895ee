"""NovaPoshtaClient against the Nova Poshta sandbox over real HTTP (werkzeug on a free port)."""

from __future__ import annotations

import io
import subprocess
import sys
import threading
import uuid
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
import requests
from pypdf import PdfReader
from werkzeug.serving import make_server

from connector.clients.novaposhta import NovaPoshtaClient, NovaPoshtaSettings
from connector.errors import AmbiguousError, AuthError, NotFound, PermanentError, TransientError, UnsupportedOperation
from connector.shipping import Parcel, Party, ShipmentRequest
from mappers.novaposhta import CarrierValidationError
from sandbox.novaposhta import create_app

API_KEY = "np-test-key-5f1c"
HANG = 1.5
CITY, BRANCH = str(uuid.uuid4()), str(uuid.uuid4())


@pytest.fixture(scope="module")
def base_url():
    app = create_app({"API_KEY": API_KEY, "HANG_SECONDS": HANG})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


@pytest.fixture(autouse=True)
def fresh(base_url):
    assert control(base_url, "reset")["ok"]


def control(base_url: str, name: str, payload: dict | None = None) -> dict:
    response = requests.post(f"{base_url}/__sandbox__/{name}", json=payload or {}, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()


def calls(base_url: str) -> dict:
    return requests.get(f"{base_url}/__sandbox__/calls", timeout=10).json()["calls"]


def make_client(base_url: str, api_key: str = API_KEY) -> NovaPoshtaClient:
    return NovaPoshtaClient(NovaPoshtaSettings(
        api_key=api_key, sender_ref=str(uuid.uuid4()), sender_contact_ref=str(uuid.uuid4()),
        sender_address_ref=str(uuid.uuid4()), sender_city_ref=str(uuid.uuid4()), sender_phone="+380 66 000 0000",
        base_url=base_url, timeout=(2.0, 0.6)))


@pytest.fixture
def client(base_url) -> NovaPoshtaClient:
    return make_client(base_url)


def shipment(reference: str = "SB-kyiv-1001-1", name: str = "Шевченко Тарас Григорович", **changes) -> ShipmentRequest:
    fields = dict(reference=reference, carrier="novaposhta", service="WarehouseWarehouse",
                  receiver=Party(name=name, phone="067 123 45 67", city_ref=CITY, country="UA"),
                  sender=Party(name="Крамниця"), parcels=(Parcel(Decimal("1.25")),), pickup_point=BRANCH,
                  cod_amount=Decimal("1234.50"), currency="UAH", declared_value=Decimal("1234.50"),
                  description="Горнятко")
    return ShipmentRequest(**{**fields, **changes})


def pdf_page(data: bytes):
    assert data.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(data))
    return reader.pages[0], len(reader.pages)


def test_ttn_with_cod_then_a_100x100_label_with_the_cyrillic_name(client):
    result = client.create_shipment(shipment())
    assert len(result.tracking_number) == 14 and result.tracking_number.startswith("2045")
    assert (result.status, result.label_ready) == ("created", True)
    page, pages = pdf_page(client.get_label(result.carrier_ref, fmt="pdf", size="A6"))
    assert pages == 1
    assert float(page.mediabox.width) == pytest.approx(283.46, abs=0.5)
    assert float(page.mediabox.height) == pytest.approx(283.46, abs=0.5)
    text = page.extract_text()
    assert "Шевченко Тарас Григорович" in text and "1234.50 грн" in text


def test_other_label_sizes_and_no_zpl(client):
    ref = client.create_shipment(shipment()).carrier_ref
    small, _ = pdf_page(client.get_label(ref, size="85x85"))
    a4, _ = pdf_page(client.get_label(ref, size="A4"))
    assert float(small.mediabox.width) == pytest.approx(240.9, abs=0.5)
    assert (round(float(a4.mediabox.width)), round(float(a4.mediabox.height))) == (595, 842)
    with pytest.raises(UnsupportedOperation):
        client.get_label(ref, fmt="zpl")


def test_tracking_150_ttns_takes_two_calls(base_url, client):
    numbers = [client.create_shipment(shipment(f"SB-kyiv-{i}-1")).tracking_number for i in range(150)]
    control(base_url, "advance", {"number": numbers[0], "status_code": "7"})
    control(base_url, "advance", {"number": numbers[1], "status_code": "103"})
    for _ in range(8):  # 1 -> 4 -> 5 -> 6 -> 7 -> 9 -> 10 -> 11 (COD paid)
        control(base_url, "advance", {"number": numbers[2]})
    before = calls(base_url).get("TrackingDocument.getStatusDocuments", 0)
    updates = client.track(numbers)
    assert calls(base_url)["TrackingDocument.getStatusDocuments"] - before == 2
    assert [u.tracking_number for u in updates] == numbers
    assert [(u.status, u.raw_status) for u in updates[:4]] == [
        ("ready_for_pickup", "7"), ("returned", "103"), ("delivered", "11"), ("created", "1")]
    assert all(u.at is not None for u in updates)


def test_find_by_reference_and_get_shipment(base_url, client):
    assert client.find_by_reference("SB-kyiv-1001-1") is None
    created = client.create_shipment(shipment())
    assert client.find_by_reference("SB-kyiv-1001-1") == created
    control(base_url, "advance", {"ref": created.carrier_ref})
    assert client.get_shipment(created.carrier_ref).status == "in_transit"
    with pytest.raises(NotFound):
        client.get_shipment(str(uuid.uuid4()))


def test_lost_answer_is_ambiguous_and_the_ttn_is_found_afterwards(base_url, client):
    control(base_url, "fail", {"status": "lost", "count": 1, "path": "/v2.0/json/"})
    with pytest.raises(AmbiguousError):
        client.create_shipment(shipment("SB-kyiv-2002-1"))
    found = client.find_by_reference("SB-kyiv-2002-1")
    assert found is not None and found.tracking_number.startswith("2045")
    assert calls(base_url)["InternetDocument.save"] == 1


def test_http_failures_become_typed_errors(base_url, client):
    control(base_url, "fail", {"status": 502, "count": 1})
    with pytest.raises(TransientError) as caught:
        client.create_shipment(shipment())
    assert caught.value.status == 502
    control(base_url, "fail", {"status": "timeout", "count": 1})
    with pytest.raises(AmbiguousError):  # a save that timed out may have happened
        client.create_shipment(shipment())
    control(base_url, "fail", {"status": "timeout", "count": 1})
    with pytest.raises(TransientError) as caught:  # tracking is safe to repeat
        client.track(["20450000000001"])
    assert not isinstance(caught.value, AmbiguousError)


def test_wrong_key_is_an_auth_error_inside_http_200(base_url):
    with pytest.raises(AuthError) as caught:
        make_client(base_url, "wrong-key").track(["20450000000001"])
    assert caught.value.code == "20000200068"


def test_label_failures_never_leak_the_key(base_url, client):
    ref = client.create_shipment(shipment()).carrier_ref
    with pytest.raises(PermanentError) as caught:
        make_client(base_url, "wrong-key-9c2e").get_label(ref)
    assert "wrong-key-9c2e" not in str(caught.value)
    closed = make_client("http://127.0.0.1:9", "secret-key-77aa")  # nothing listens on port 9
    with pytest.raises(TransientError) as caught:
        closed.get_label(ref)
    assert "secret-key-77aa" not in str(caught.value) and caught.value.__cause__ is None
    assert "secret-key-77aa" not in repr(closed.settings)


def test_remote_validation_errors_name_the_field(client, monkeypatch):
    with pytest.raises(CarrierValidationError) as caught:
        client.create_shipment(shipment(name="Іванов Іванов"))  # accepted by us, refused by NP
    assert (caught.value.field, caught.value.code) == ("receiver.name", "20000201758")
    assert "Іванов" not in str(caught.value)
    monkeypatch.setattr(client, "today", lambda: date(2020, 1, 1))
    with pytest.raises(CarrierValidationError) as caught:
        client.create_shipment(shipment())
    assert (caught.value.field, caught.value.code) == ("ship_date", "20000400455")


def test_cancel_only_before_handover(base_url, client):
    first, second = client.create_shipment(shipment("SB-a-1")), client.create_shipment(shipment("SB-b-1"))
    client.cancel(first.carrier_ref)
    assert client.find_by_reference("SB-a-1") is None  # a deleted attempt does not block a new one
    with pytest.raises(NotFound):
        client.cancel(first.carrier_ref)
    control(base_url, "advance", {"ref": second.carrier_ref})
    with pytest.raises(UnsupportedOperation):
        client.cancel(second.carrier_ref)
    [update] = client.track([first.tracking_number])
    assert (update.status, update.raw_status) == ("cancelled", "2")


def test_command_line_sandbox_serves_the_contract():
    root = Path(__file__).resolve().parents[2]
    proc = subprocess.Popen([sys.executable, "-m", "sandbox.novaposhta", "--port", "0", "--api-key", "cli-key"],
                            cwd=root, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        url = proc.stdout.readline().split(" on ")[1].strip()
        body = {"apiKey": "cli-key", "modelName": "TrackingDocument", "calledMethod": "getStatusDocuments",
                "methodProperties": {"Documents": [{"DocumentNumber": "20450000000001", "Phone": ""}]}}
        answer = requests.post(f"{url}/v2.0/json/", json=body, timeout=5).json()
        assert answer["success"] and answer["data"][0]["StatusCode"] == "3"
        wrong = requests.post(f"{url}/v2.0/json/", json={**body, "apiKey": "other"}, timeout=5)
        assert wrong.status_code == 200 and wrong.json()["errorCodes"] == ["20000200068"]
    finally:
        proc.terminate()
        proc.wait(timeout=10)
