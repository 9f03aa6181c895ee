"""``InPostClient`` against the InPost sandbox over real HTTP (werkzeug on a free 127.0.0.1 port).

The sandbox is driven through its own control endpoints, as an external tester would; PDFs are
checked with pypdf, webhooks with a tiny receiver written here.
"""

from __future__ import annotations

import io
import json
import logging
import subprocess
import sys
import threading
import time
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from pypdf import PdfReader

from connector.clients.inpost import CancelNotAllowed, CarrierValidationError, InPostClient, InPostSettings
from connector.errors import (AmbiguousError, AuthError, ConfigurationError, PermanentError, RateLimited,
                              TransientError, UnsupportedOperation)
from connector.shipping import LabelNotReady, Parcel, Party, ShipmentRequest
from mappers import inpost as mapper
from tests.helpers import serve
from sandbox.inpost import create_app

TOKEN, ORG = "test-token-5e1f", "4321"
A6_POINTS, A4_POINTS = (297.64, 419.53), (595.28, 841.89)




@pytest.fixture
def sandbox():
    app = create_app({"TOKEN": TOKEN, "ORGANIZATION_ID": ORG, "CONFIRM_DELAY": None, "HANG_SECONDS": 1.5})
    with serve(app) as url:
        yield url
    app.extensions["inpost_sandbox"].close()


@pytest.fixture
def client(sandbox):
    client = InPostClient(InPostSettings(TOKEN, ORG, sandbox, timeout=(2.0, 0.6)))
    yield client
    client.close()


def control(base: str, action: str, **body) -> dict:
    response = requests.post(f"{base}/__sandbox__/{action}", json=body, timeout=5)
    assert response.status_code == 200, response.text
    return response.json()


RECEIVER = Party(name="Grzegorz Brzęczyszczykiewicz", phone="+48 600 100 200", email="grzegorz@przyklad.pl",
                 street="ul. Źródlana", building="5", flat="3", city="Gdańsk", postcode="80-001")


def locker(reference: str = "sklep-1001-1", **changes) -> ShipmentRequest:
    fields = dict(reference=reference, carrier="inpost", service="inpost_locker_standard", receiver=RECEIVER,
                  sender=Party(name=""), parcels=(Parcel(Decimal("1.2"), template="small"),),
                  pickup_point="KRA012", cod_amount=Decimal("19.99"))
    return ShipmentRequest(**{**fields, **changes})


def courier(reference: str = "sklep-2001-1") -> ShipmentRequest:
    return ShipmentRequest(reference=reference, carrier="inpost", service="inpost_courier_standard",
                           receiver=RECEIVER, sender=Party(name=""),
                           parcels=(Parcel(Decimal("2"), length_cm=30, width_cm=20, height_cm=10),),
                           cod_amount=Decimal("19.99"))


def page_size(pdf: bytes) -> tuple[float, float]:
    box = PdfReader(io.BytesIO(pdf)).pages[0].mediabox
    return float(box.width), float(box.height)


def test_create_label_not_ready_confirmed_label_a6_and_tracking(client, sandbox):
    created = client.create_shipment(locker())
    assert (created.status, created.tracking_number, created.label_ready) == ("created", "", False)
    with pytest.raises(LabelNotReady) as not_ready:
        client.get_label(created.carrier_ref)
    assert not_ready.value.retry == "transient"

    control(sandbox, "advance", id=int(created.carrier_ref), status="confirmed")
    confirmed = client.get_shipment(created.carrier_ref)
    assert confirmed.status == "confirmed" and len(confirmed.tracking_number) == 24 and confirmed.label_ready

    pdf = client.get_label(confirmed.carrier_ref, fmt="pdf", size="A6")
    assert page_size(pdf) == pytest.approx(A6_POINTS, abs=0.5)
    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert "Brzęczyszczykiewicz" in text and "19.99 PLN" in text and confirmed.tracking_number in text

    assert [u.status for u in client.track([confirmed.tracking_number])] == ["confirmed"]
    for raw, state in (("out_for_delivery", "in_transit"), ("ready_to_pickup", "ready_for_pickup"),
                       ("delivered", "delivered")):
        control(sandbox, "advance", id=int(created.carrier_ref), status=raw)
        (update,) = client.track([confirmed.tracking_number, "000000000000000000000000"])
        assert (update.status, update.raw_status) == (state, raw) and update.at is not None


def test_confirmation_after_the_configured_delay():
    app = create_app({"TOKEN": TOKEN, "ORGANIZATION_ID": ORG, "CONFIRM_DELAY": 0.2})
    with serve(app) as url:
        client = InPostClient(InPostSettings(TOKEN, ORG, url, timeout=(2.0, 2.0)))
        created = client.create_shipment(locker())
        deadline = time.monotonic() + 5
        while client.get_shipment(created.carrier_ref).status != "confirmed":
            assert time.monotonic() < deadline, "never confirmed"
            time.sleep(0.05)
        assert client.get_label(created.carrier_ref).startswith(b"%PDF")
    app.extensions["inpost_sandbox"].close()


def test_label_sizes_and_zpl_resolutions(client, sandbox):
    for_locker, for_courier = client.create_shipment(locker()), client.create_shipment(courier())
    for shipment in (for_locker, for_courier):
        control(sandbox, "advance", id=int(shipment.carrier_ref), status="confirmed")
    assert page_size(client.get_label(for_locker.carrier_ref, size="A4")) == pytest.approx(A4_POINTS, abs=0.5)
    # courier services have no "normal" page: InPost answers A6 whatever is asked
    assert page_size(client.get_label(for_courier.carrier_ref, size="A4")) == pytest.approx(A6_POINTS, abs=0.5)
    zpl203 = client.get_label(for_locker.carrier_ref, fmt="zpl", dpi=203).decode()
    zpl300 = client.get_label(for_locker.carrier_ref, fmt="zpl", dpi=300).decode()
    assert zpl203.startswith("^XA") and "^PW839" in zpl203 and "^LL1183" in zpl203
    assert "^PW1240" in zpl300 and "^LL1748" in zpl300 and zpl300.rstrip().endswith("^XZ")
    with pytest.raises(UnsupportedOperation):
        client.get_label(for_locker.carrier_ref, fmt="zpl", size="A4")


def test_validation_error_names_the_field_in_plain_words(client):
    request = locker(receiver=Party(name="Jan Kowalski", phone="12345", email="jan@przyklad.pl"))
    with pytest.raises(CarrierValidationError) as caught:
        client.create_shipment(request)
    error = caught.value
    assert error.field == "receiver.phone" and error.status == 400 and error.retry == "permanent"
    assert "receiver phone has an invalid format" in str(error) and "12345" not in str(error)


def test_server_errors_and_timeouts_are_typed(client, sandbox):
    created = client.create_shipment(locker())
    control(sandbox, "fail", status=503)
    with pytest.raises(TransientError) as server_error:
        client.get_shipment(created.carrier_ref)
    assert server_error.value.status == 503 and server_error.value.retry == "transient"
    control(sandbox, "fail", status=429)
    with pytest.raises(RateLimited):
        client.get_shipment(created.carrier_ref)
    control(sandbox, "fail", status="timeout")
    with pytest.raises(TransientError) as read_timeout:
        client.get_shipment(created.carrier_ref)
    assert not isinstance(read_timeout.value, AmbiguousError)
    control(sandbox, "fail", status="timeout")
    with pytest.raises(AmbiguousError):
        client.create_shipment(locker("sklep-1002-1"))


def test_a_create_whose_answer_was_lost_is_found_by_reference(client, sandbox):
    assert client.find_by_reference("sklep-3001-1") is None
    control(sandbox, "lose_answer", count=1)
    with pytest.raises(AmbiguousError) as lost:
        client.create_shipment(locker("sklep-3001-1"))
    assert lost.value.retry == "ambiguous"
    found = client.find_by_reference("sklep-3001-1")
    assert found is not None and found.status == "created"
    listed = requests.get(f"{sandbox}/__sandbox__/shipments", timeout=5).json()["shipments"]
    assert [item["id"] for item in listed] == [int(found.carrier_ref)]


def test_cancel_only_before_the_shipment_is_bought(client, sandbox):
    early, bought = client.create_shipment(locker()), client.create_shipment(locker("sklep-1003-1"))
    client.cancel(early.carrier_ref)
    assert client.get_shipment(early.carrier_ref).status == "cancelled"
    with pytest.raises(PermanentError) as no_label:
        client.get_label(early.carrier_ref)
    assert not isinstance(no_label.value, LabelNotReady)
    control(sandbox, "advance", id=int(bought.carrier_ref), status="confirmed")
    with pytest.raises(CancelNotAllowed) as refused:
        client.cancel(bought.carrier_ref)
    assert isinstance(refused.value, UnsupportedOperation) and "Manager Paczek" in str(refused.value)


def test_wrong_token_is_an_auth_error_without_the_token(sandbox):
    client = InPostClient(InPostSettings("not-the-token", ORG, sandbox, timeout=2))
    with pytest.raises(AuthError) as caught:
        client.find_by_reference("sklep-1-1")
    assert caught.value.code == "token_invalid" and "not-the-token" not in str(caught.value)
    body = requests.get(f"{sandbox}/v1/shipments/1", timeout=5).json()
    assert body == {"status": 401, "error": "token_invalid", "message": "Token is missing or invalid.", "details": {}}
    assert "not-the-token" not in repr(client.settings)


def test_a_timeout_is_mandatory():
    with pytest.raises(ConfigurationError):
        InPostClient(InPostSettings(TOKEN, ORG, "http://127.0.0.1:9", timeout=None))


def test_no_token_body_or_personal_data_in_logs(client, sandbox, caplog):
    caplog.set_level(logging.DEBUG)
    created = client.create_shipment(locker())
    with pytest.raises(CarrierValidationError) as caught:
        client.create_shipment(locker(receiver=Party(name="Anna Żak", phone="999", email="anna@przyklad.pl")))
    client.find_by_reference("sklep-1001-1")
    text = caplog.text + str(caught.value) + repr(caught.value.errors)
    assert "InPost POST /v1/organizations" in caplog.text and created.carrier_ref
    for secret in (TOKEN, "Brzęczyszczykiewicz", "600100200", "grzegorz@przyklad.pl", "Żak", "anna@przyklad.pl"):
        assert secret not in text


class Receiver:
    """Answers 200 to GET (InPost's registration check) and records POSTed webhook bodies."""

    def __init__(self):
        self.bodies: list[dict] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - http.server API
                self.send_response(200 if self.path == "/inpost" else 404)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def do_POST(self):  # noqa: N802
                receiver.bodies.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()


def test_advance_posts_the_documented_unsigned_webhook(client, sandbox):
    receiver = Receiver()
    try:
        refused = requests.post(f"{sandbox}/__sandbox__/webhook_url", json={"url": f"{receiver.url}/nope"}, timeout=5)
        assert refused.status_code == 400 and "200" in refused.json()["error"]
        control(sandbox, "webhook_url", url=f"{receiver.url}/inpost")
        created = client.create_shipment(locker())
        control(sandbox, "advance", id=int(created.carrier_ref), status="confirmed")
        control(sandbox, "advance", id=int(created.carrier_ref), status="ready_to_pickup")
    finally:
        receiver.server.shutdown()
    confirmed, changed = (mapper.webhook_event(body) for body in receiver.bodies)
    tracking = client.get_shipment(created.carrier_ref).tracking_number
    assert (confirmed.event, confirmed.shipment_id, confirmed.status, confirmed.tracking_number) == (
        "shipment_confirmed", created.carrier_ref, "confirmed", tracking)
    assert (changed.shipment_id, changed.status, changed.canonical_status) == (
        created.carrier_ref, "ready_to_pickup", "ready_for_pickup")
    assert set(receiver.bodies[0]) == {"event_ts", "event", "organization_id", "payload"}
    assert "status" not in receiver.bodies[0]["payload"]


def test_the_cli_serves_and_imports_nothing_of_the_middleware():
    code = ("import sys, sandbox.inpost, sandbox.dhl_poland; "
            "print([m for m in sys.modules if m.split('.')[0] in "
            "('connector', 'mappers', 'webhooks', 'workers', 'console')])")
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60).stdout.strip() == "[]"
    process = subprocess.Popen([sys.executable, "-m", "sandbox.inpost", "--port", "0", "--token", "T",
                                "--organization-id", "77", "--confirm-delay", "none"],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        url = process.stdout.readline().split(" on ", 1)[1].strip()
        answer = requests.get(f"{url}/v1/organizations/77/shipments", headers={"Authorization": "Bearer T"}, timeout=5)
        assert answer.status_code == 200 and answer.json()["count"] == 0
    finally:
        process.terminate()
        process.wait(10)


def test_a_missing_label_font_is_a_clear_label_generation_failed():
    app = create_app({"TOKEN": TOKEN, "ORGANIZATION_ID": ORG, "CONFIRM_DELAY": None,
                      "LABEL_FONT": "/nonexistent/DejaVuSans.ttf"})
    with serve(app) as url:
        client = InPostClient(InPostSettings(TOKEN, ORG, url, timeout=2))
        created = client.create_shipment(locker())
        control(url, "advance", id=int(created.carrier_ref), status="confirmed")
        with pytest.raises(TransientError) as caught:
            client.get_label(created.carrier_ref)
        assert caught.value.code == "label_generation_failed" and "fonts-dejavu-core" in str(caught.value)
        assert client.get_label(created.carrier_ref, fmt="zpl").startswith(b"^XA")  # ZPL needs no font
