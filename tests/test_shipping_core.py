"""Shipping core over real HTTP: a paid order with a locker gets exactly one InPost shipment, its label,
and the tracking number reaches the WooCommerce sandbox; a lost create answer is found by reference."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import requests
from sqlalchemy import select

from connector.db import transaction
from connector.models import Label, Shipment
from tests.conftest import ROOT, free_port
from tests.helpers import SECRET, cli, deliver, drain, woo_order
from tests.processes import CK, CS, Proc, start_sandbox, wait_http

TOKEN, ORG = "inpost-test-token", "4321"




@pytest.fixture
def stack(env, engine):
    shop_proc, shop = start_sandbox("--seed", "demo")
    port = free_port()
    inpost_proc = Proc(["-m", "sandbox.inpost", "--port", str(port), "--token", TOKEN, "--organization-id", ORG,
                        "--confirm-delay", "none"], name="inpost")
    inpost = f"http://127.0.0.1:{port}"
    wait_http(inpost + "/v1/statuses")
    cli("shop", "add", "shop1", "--url", shop, "--consumer-key", CK, "--consumer-secret", CS, "--webhook-secret", SECRET)
    cli("carrier", "add", "inpost", "--integration", "inpost", "--url", inpost, "--credential", f"token={TOKEN}",
        "--credential", f"organization_id={ORG}", "--sender", json.dumps({"name": "Sklep Żółw", "phone": "600100200",
                                                                          "email": "sklep@example.com"}))
    from connector import channels

    with transaction(engine) as session:
        shop_channel = channels.by_name(session, "shop1")
        shop_channel.settings = {**shop_channel.settings, "shipping_methods": [
            {"title_contains": "Paczkomat", "carrier": "inpost", "service": "inpost_locker_standard",
             "point_meta": "paczkomat_id", "template": "small"}]}
    cli("stock", "set", "KUB-ZOLC-330", "10")
    from webhooks import create_app

    yield {"client": create_app().test_client(), "inpost": inpost, "shop": shop}
    shop_proc.stop()
    inpost_proc.stop()


def shipments(engine):
    with transaction(engine) as session:
        return list(session.scalars(select(Shipment)))


def test_paid_order_gets_one_shipment_label_and_tracking(stack, engine):
    order = requests.post(stack["shop"] + "/__sandbox__/orders", timeout=10, json={
        "lines": [{"sku": "KUB-ZOLC-330", "quantity": 1}], "status": "pending"}).json()
    body = woo_order(order["id"], "processing", [("KUB-ZOLC-330", 1, 10, 0)], name="Zofia Wójcik")
    deliver(stack["client"], "shop1", "order.updated", body)
    drain()
    [shipment] = shipments(engine)
    assert shipment.status == "created" and shipment.carrier_ref
    requests.post(stack["inpost"] + "/__sandbox__/advance", json={"id": shipment.carrier_ref, "status": "confirmed"},
                  timeout=5)
    from workers.shipping import fetch_label

    fetch_label(shipment.id)  # normally queued with retries until the label exists
    drain()
    [shipment] = shipments(engine)
    assert shipment.tracking_number and shipment.status == "confirmed"
    with transaction(engine) as session:
        label = session.scalar(select(Label).where(Label.shipment_id == shipment.id))
    assert label.content.startswith(b"%PDF")
    notes = requests.get(f"{stack['shop']}/wp-json/wc/v3/orders/{order['id']}/notes", timeout=5,
                         params={"consumer_key": CK, "consumer_secret": CS}, headers={"X-Forwarded-Proto": "https"}).json()
    assert any(shipment.tracking_number in n["note"] for n in notes)
    shop_order = requests.get(f"{stack['shop']}/wp-json/wc/v3/orders/{order['id']}", timeout=5,
                              params={"consumer_key": CK, "consumer_secret": CS},
                              headers={"X-Forwarded-Proto": "https"}).json()
    meta = {m["key"]: m["value"] for m in shop_order["meta_data"]}
    assert meta["_wc_shipment_tracking_items"][0]["tracking_number"] == shipment.tracking_number


def test_lost_create_answer_is_found_by_reference(stack, engine):
    requests.post(stack["inpost"] + "/__sandbox__/lose_answer", json={"count": 1}, timeout=5)
    body = woo_order(77, "processing", [("KUB-ZOLC-330", 1, 10, 0)])
    deliver(stack["client"], "shop1", "order.created", body)
    drain()  # the first attempt is ambiguous; RQ schedules the retry
    from workers.shipping import create_shipment

    [shipment] = shipments(engine)
    assert shipment.status == "intent" and shipment.attempts == 1
    create_shipment(shipment.id)  # the retry: look up by reference first
    [shipment] = shipments(engine)
    remote = requests.get(stack["inpost"] + "/__sandbox__/shipments", timeout=5).json()
    remote = remote.get("shipments", remote) if isinstance(remote, dict) else remote
    assert len(remote) == 1 and shipment.carrier_ref == str(remote[0]["id"])


def test_missing_locker_id_is_an_alert_not_a_shipment(stack, engine):
    from connector.alerts import open_alerts

    body = woo_order(78, "processing", [("KUB-ZOLC-330", 1, 10, 0)])
    body["shipping_lines"][0]["meta_data"] = []
    deliver(stack["client"], "shop1", "order.created", body)
    drain()
    assert shipments(engine) == []
    with transaction(engine) as session:
        assert any("pickup point" in a.message for a in open_alerts(session))


def test_print_all_new_labels_as_one_file(stack, engine, tmp_path):
    from pypdf import PdfReader

    from connector import channels
    from workers.shipping import fetch_label

    with transaction(engine) as session:  # this warehouse also prints ZPL on 203 dpi thermal printers
        account = channels.by_name(session, "inpost")
        account.settings = {**account.settings, "zpl_dpi": 203}
    for number in (301, 302, 303):
        deliver(stack["client"], "shop1", "order.created",
                woo_order(number, "processing", [("KUB-ZOLC-330", 1, 10, 0)], name="Ołena Коваль"))
    drain()
    for shipment in shipments(engine):
        requests.post(stack["inpost"] + "/__sandbox__/advance", timeout=5,
                      json={"id": shipment.carrier_ref, "status": "confirmed"})
        fetch_label(shipment.id)
    pdf = tmp_path / "labels.pdf"
    assert "3 labels written" in cli("labels", "print", "--layout", "A4x4", "--output", str(pdf)).stdout
    reader = PdfReader(str(pdf))
    assert len(reader.pages) == 1 and round(float(reader.pages[0].mediabox.width)) == 595
    assert "no label to print" in subprocess.run(
        [sys.executable, "-m", "connector.cli", "labels", "print", "--output", str(tmp_path / "again.pdf")],
        cwd=ROOT, env=os.environ.copy(), capture_output=True, text=True).stderr  # all printed already
    zpl = tmp_path / "labels.zpl"
    cli("labels", "print", "--layout", "zpl203", "--reprint", "--output", str(zpl))
    stream = zpl.read_bytes()
    assert stream.count(b"^XA") == 3 and b"^PW799" in stream
