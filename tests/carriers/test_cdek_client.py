"""CdekClient against the CDEK sandbox over real HTTP (werkzeug on a free port).

The sandbox settles orders and labels only on ``POST /__sandbox__/process`` here (delays None),
so every asynchronous step is explicit and no test sleeps for it.
"""

from __future__ import annotations

import io
import subprocess
import sys
import json
import threading
from decimal import Decimal
from pathlib import Path
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from pypdf import PdfReader
from werkzeug.serving import make_server

from connector.clients.cdek import CdekClient, CdekSettings
from connector.errors import (
    AmbiguousError,
    AuthError,
    NotFound,
    PermanentError,
    TransientError,
    UnsupportedOperation,
)
from connector.shipping import LabelNotReady, Parcel, Party, ShipmentRequest
from mappers import cdek
from mappers.novaposhta import CarrierValidationError
from sandbox.cdek import create_app

CLIENT_ID, SECRET = "cdek-test-account", "cdek-test-secret-3b9f"


@pytest.fixture(scope="module")
def sandbox():
    app = create_app({"CLIENT_ID": CLIENT_ID, "CLIENT_SECRET": SECRET, "ORDER_DELAY": None, "PRINT_DELAY": None,
                      "HANG_SECONDS": 1.5})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}", app.extensions["cdek_sandbox"]
    server.shutdown()
    server.server_close()
    app.extensions["cdek_sandbox"].close()


@pytest.fixture
def base_url(sandbox):
    url, state = sandbox
    control(url, "reset")
    state.config.update(ORDER_DELAY=None, PRINT_DELAY=None)
    return url


def control(base_url: str, name: str, payload: dict | None = None) -> dict:
    response = requests.post(f"{base_url}/__sandbox__/{name}", json=payload or {}, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()


def calls(base_url: str) -> dict:
    return requests.get(f"{base_url}/__sandbox__/calls", timeout=10).json()["calls"]


def make_client(base_url: str, secret: str = SECRET, wait: float = 0.0) -> CdekClient:
    return CdekClient(CdekSettings(CLIENT_ID, secret, base_url=base_url, timeout=(2.0, 0.6), wait_seconds=wait,
                                   poll_interval=0.05))


@pytest.fixture
def client(base_url) -> CdekClient:
    return make_client(base_url)


def shipment(reference: str = "SB-msk-2001-1", city: str = "270", **changes) -> ShipmentRequest:
    fields = dict(reference=reference, carrier="cdek", service="139",
                  receiver=Party(name="Иванов Иван Иванович", phone="+7 913 463-72-28", city_ref=city,
                                 street="ул. Блюхера", building="32", country="RU"),
                  sender=Party(name="Петров Пётр", company="ООО Ромашка", phone="+79529287654", city_ref="44",
                               street="Ленинградский пр.", building="4", country="RU"),
                  parcels=(Parcel(Decimal("1.25"), 20, 15, 10),), cod_amount=Decimal("1234.50"), currency="RUB",
                  declared_value=Decimal("1234.50"), description="Кружка")
    return ShipmentRequest(**{**fields, **changes})


def test_created_then_successful_then_label_not_ready_then_ready(base_url, client):
    pending = client.create_shipment(shipment())
    assert (pending.status, pending.raw_status, pending.label_ready, pending.tracking_number) == (
        "created", "ACCEPTED", False, "")
    with pytest.raises(LabelNotReady):  # still being validated
        client.get_label(pending.carrier_ref)
    control(base_url, "process")
    done = client.get_shipment(pending.carrier_ref)
    assert (done.status, done.raw_status, done.label_ready) == ("confirmed", "CREATED", True)
    assert done.tracking_number.isdigit()
    with pytest.raises(LabelNotReady):  # the PDF is being generated
        client.get_label(pending.carrier_ref, size="A6")
    control(base_url, "process")
    pdf = client.get_label(pending.carrier_ref, size="A6")
    page = PdfReader(io.BytesIO(pdf)).pages[0]
    assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == (298, 420)
    assert "Иванов Иван Иванович" in page.extract_text() and done.tracking_number in page.extract_text()
    assert calls(base_url)["POST /v2/print/barcodes"] == 1  # the print job was reused


def test_waiting_client_gets_the_verdict_in_one_call(base_url, sandbox):
    sandbox[1].config.update(ORDER_DELAY=0.1, PRINT_DELAY=0.1)
    client = make_client(base_url, wait=3.0)
    result = client.create_shipment(shipment())
    assert result.label_ready and result.tracking_number
    assert client.get_label(result.carrier_ref, size="A4").startswith(b"%PDF")
    with pytest.raises(CarrierValidationError) as caught:
        client.create_shipment(shipment("SB-msk-2002-1", city="999999"))
    assert (caught.value.field, caught.value.code) == ("receiver.city_ref", "v2_recipient_location_not_recognized")


def test_invalid_order_names_the_field_and_does_not_block_a_retry(base_url, client):
    pending = client.create_shipment(shipment(city="999999"))
    control(base_url, "process")
    with pytest.raises(CarrierValidationError) as caught:
        client.get_shipment(pending.carrier_ref)
    assert caught.value.field == "receiver.city_ref" and "Иванов" not in str(caught.value)
    assert client.find_by_reference("SB-msk-2001-1") is None
    retried = client.create_shipment(shipment())
    control(base_url, "process")
    assert client.find_by_reference("SB-msk-2001-1").carrier_ref == retried.carrier_ref


def test_malformed_order_is_refused_at_once(base_url, client):
    response = requests.post(f"{base_url}/v2/orders", json={"number": "x", "tariff_code": 139}, timeout=5,
                             headers={"Authorization": f"Bearer {client.token()}"})
    assert response.status_code == 400 and response.json()["requests"][0]["state"] == "INVALID"
    with pytest.raises(CarrierValidationError) as caught:
        cdek.raise_for_errors(response.json(), "POST /v2/orders", status=400)
    assert {e[0] for e in caught.value.errors} >= {"receiver.name", "parcels", "receiver.street"}
    assert calls(base_url).get("GET /v2/orders/{uuid}") is None


def test_token_is_cached_and_renewed_after_a_401(base_url, client):
    client.find_by_reference("nothing-1")
    client.find_by_reference("nothing-2")
    assert calls(base_url)["POST /v2/oauth/token"] == 1
    control(base_url, "expire_tokens")
    assert client.find_by_reference("nothing-3") is None
    assert calls(base_url)["POST /v2/oauth/token"] == 2
    with pytest.raises(AuthError):
        make_client(base_url, secret="wrong").find_by_reference("x")


def test_server_errors_and_timeouts_are_typed(base_url, client):
    client.token()
    control(base_url, "fail", {"status": 500, "count": 1})
    with pytest.raises(TransientError) as caught:
        client.get_shipment("2d0ed6a4-5d3d-4d4e-9f7c-1a0b8c3f2e11")
    assert caught.value.status == 500
    control(base_url, "fail", {"status": "timeout", "count": 1, "path": "/v2/orders"})
    with pytest.raises(TransientError) as caught:
        client.find_by_reference("x")
    assert not isinstance(caught.value, AmbiguousError)
    control(base_url, "fail", {"status": "timeout", "count": 1, "path": "/v2/orders"})
    with pytest.raises(AmbiguousError):
        client.create_shipment(shipment())


def test_lost_answer_then_find_by_reference(base_url, client):
    client.token()
    control(base_url, "fail", {"status": "lost", "count": 1, "path": "/v2/orders"})
    with pytest.raises(AmbiguousError):
        client.create_shipment(shipment("SB-msk-3003-1"))
    found = client.find_by_reference("SB-msk-3003-1")
    assert found is not None and found.raw_status == "ACCEPTED"
    control(base_url, "process")
    assert client.find_by_reference("SB-msk-3003-1").label_ready
    assert calls(base_url)["POST /v2/orders"] == 1


def test_cancel_before_intake_only(base_url, client):
    first, second = client.create_shipment(shipment("SB-a-1")), client.create_shipment(shipment("SB-b-1"))
    control(base_url, "process")
    client.cancel(first.carrier_ref)
    assert client.get_shipment(first.carrier_ref).status == "cancelled"
    client.cancel(first.carrier_ref)  # already deleted: done
    with pytest.raises(PermanentError):
        client.get_label(first.carrier_ref)
    assert client.find_by_reference("SB-a-1") is None
    control(base_url, "advance", {"uuid": second.carrier_ref})
    with pytest.raises(UnsupportedOperation):
        client.cancel(second.carrier_ref)
    with pytest.raises(NotFound):
        client.cancel("2d0ed6a4-5d3d-4d4e-9f7c-1a0b8c3f2e11")


def test_tracking_by_number(base_url, client):
    ref = client.create_shipment(shipment()).carrier_ref
    control(base_url, "process")
    number = client.get_shipment(ref).tracking_number
    control(base_url, "advance", {"uuid": ref, "code": "ACCEPTED_AT_PICK_UP_POINT"})
    [update] = client.track([number, "9999999999"])
    assert (update.tracking_number, update.status, update.raw_status) == (number, "ready_for_pickup",
                                                                          "ACCEPTED_AT_PICK_UP_POINT")
    with pytest.raises(UnsupportedOperation):
        client.get_label(ref, fmt="zpl")


class Receiver:
    """Records webhook bodies; answers ``status`` (CDEK does not retry, whatever the answer)."""

    def __init__(self, status: int = 200):
        self.bodies: list[dict] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server API
                receiver.bodies.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/cdek"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def test_order_status_webhooks_are_sent_once_and_parsed(base_url, client):
    receiver = Receiver(status=500)
    try:
        client.subscribe(receiver.url)
        ref = client.create_shipment(shipment()).carrier_ref
        control(base_url, "process")
        answer = control(base_url, "advance", {"uuid": ref})
        assert [d["status"] for d in answer["deliveries"]] == [500]
        codes = [CdekClient.parse_webhook(body) for body in receiver.bodies]
        assert [(u.status, u.raw_status) for u in codes] == [
            ("confirmed", "CREATED"), ("in_transit", "RECEIVED_AT_SHIPMENT_WAREHOUSE")]
        assert len(receiver.bodies) == 2  # the 500 was not retried
    finally:
        receiver.server.shutdown()


def test_command_line_sandbox_serves_the_contract():
    root = Path(__file__).resolve().parents[2]
    proc = subprocess.Popen([sys.executable, "-m", "sandbox.cdek", "--port", "0", "--client-id", "cli-id",
                             "--client-secret", "cli-secret"], cwd=root, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
    try:
        url = proc.stdout.readline().split(" on ")[1].strip()
        client = CdekClient(CdekSettings("cli-id", "cli-secret", base_url=url, timeout=(2.0, 5.0)))
        assert client.find_by_reference("SB-none-1") is None
        with pytest.raises(AuthError):
            CdekClient(CdekSettings("cli-id", "nope", base_url=url, timeout=(2.0, 5.0))).token()
    finally:
        proc.terminate()
        proc.wait(timeout=10)
