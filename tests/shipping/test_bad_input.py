"""Bad input on the way to a label, against the InPost and Nova Poshta sandboxes over real HTTP (workers run
in-process with a real RQ worker): each ends as a plain-words message on the label station, or as a retry.

* missing locker id, COD on a prepaid order: no shipment, an alert, shown on the station;
* a carrier validation error (InPost 400, Nova Poshta's Cyrillic-name rule): failed shipment naming the field;
* label not ready (InPost before ``confirmed``): retried later, never failed, left out of a batch with a note;
* carrier 5xx and timeouts: retried (the retry of an unanswered create looks it up first); one shipment.
"""

from __future__ import annotations

import pytest
import requests
from rq.job import Job
from sqlalchemy import select

from connector.db import transaction
from connector.models import Alert, Label, Shipment
from tests.helpers import add_shop, deliver, drain
from tests.shipping.conftest import (SHIPPING_RULES, SKU, add_carriers, csrf_token, pl_checkout, start_inpost, start_np,
                                     ua_checkout, warehouse_login, webhook_body)


@pytest.fixture(scope="module")
def sandboxes():
    (inpost_proc, inpost), (np_proc, np) = start_inpost("none"), start_np()
    yield {"inpost": inpost, "np": np}
    inpost_proc.stop()
    np_proc.stop()


@pytest.fixture
def shop(warehouse_env, engine, sandboxes):
    """shop1 with the two shipping rules, cash on delivery shipped once confirmed, both carrier accounts."""
    for url in sandboxes.values():
        requests.post(url + "/__sandbox__/reset", timeout=5)
    add_shop(engine, "shop1", stock={SKU: 50}, settings={"shipping_methods": SHIPPING_RULES, "ship_when": "paid_or_cod"})
    add_carriers(engine, sandboxes["inpost"], sandboxes["np"])
    from webhooks import create_app

    app = create_app()
    station = app.test_client()
    warehouse_login(station)
    return {"receiver": app.test_client(), "station": station, **sandboxes}


def order(shop, order_id: int, checkout: dict, **body_changes) -> None:
    body = webhook_body(order_id, checkout)
    body.update(body_changes)
    assert deliver(shop["receiver"], "shop1", "order.created", body).status_code == 200
    drain()


def station_page(shop) -> str:
    return shop["station"].get("/console/labels").get_data(as_text=True)


def shipments(engine) -> list[Shipment]:
    with transaction(engine) as session:
        return list(session.scalars(select(Shipment).order_by(Shipment.id)))


def alerts(engine) -> list[str]:
    with transaction(engine) as session:
        return [a.message for a in session.scalars(select(Alert).where(Alert.resolved_at.is_(None)))]


def run_due_retries(redis) -> None:
    """What the worker's scheduler does when a retry's time comes, now."""
    from workers.queue import queue

    outbound = queue(redis, "outbound")
    for job_id in outbound.scheduled_job_registry.get_job_ids():
        outbound.scheduled_job_registry.remove(job_id)
        outbound.enqueue_job(Job.fetch(job_id, connection=redis))
    drain()


def retrying(redis, job_id: str) -> bool:
    """The job waits for its retry (scheduled) and is not among the failed ones."""
    from workers.queue import queue

    outbound = queue(redis, "outbound")
    return job_id in outbound.scheduled_job_registry.get_job_ids() and \
        job_id not in outbound.failed_job_registry.get_job_ids()


def test_missing_locker_id_is_alerted_and_shown_on_the_station(shop, engine):
    checkout = pl_checkout()
    checkout["shipping_lines"][0]["meta_data"] = []
    order(shop, 601, checkout)
    assert shipments(engine) == []
    message = "shop1 order 601: pickup point (paczkomat_id) is missing"
    assert message in alerts(engine)
    assert message in station_page(shop)


def test_cod_on_a_prepaid_order_is_refused_in_plain_words(shop, engine):
    order(shop, 602, ua_checkout(status="processing"), transaction_id="P24-4711")  # COD order paid online since
    order(shop, 603, ua_checkout(status="processing", payment_method="przelewy24"))  # prepaid, no COD: ships
    with transaction(engine) as session:
        from connector import channels

        shop_channel = channels.by_name(session, "shop1")
        rules = [dict(SHIPPING_RULES[0]), {**SHIPPING_RULES[1], "cod": True}]  # a "pay on delivery" NP method
        shop_channel.settings = {**shop_channel.settings, "shipping_methods": rules}
    order(shop, 604, ua_checkout(status="processing", payment_method="przelewy24"))
    assert [s.reference for s in shipments(engine)] == ["SB-shop1-603-1"]
    assert shipments(engine)[0].cod_amount is None
    page = station_page(shop)
    for text in ("shop1 order 602: cash on delivery refused: the order was already paid online",
                 "shop1 order 604: cash on delivery refused: the order is prepaid (payment method przelewy24"):
        assert text in page and any(a.startswith(text) for a in alerts(engine))


def test_carrier_validation_errors_name_the_field(shop, engine):
    bad_phone = pl_checkout()
    bad_phone["billing"] = {**bad_phone["billing"], "phone": "+48 600 100"}
    order(shop, 605, bad_phone)  # InPost answers 400 validation_failed
    latin = ua_checkout()
    latin["billing"] = {**latin["billing"], "first_name": "Olena", "last_name": "Koval"}
    order(shop, 606, latin)  # refused before any call: Nova Poshta wants the name in Cyrillic
    failed = {s.reference: s for s in shipments(engine)}
    assert failed["SB-shop1-605-1"].status == failed["SB-shop1-606-1"].status == "failed"
    assert failed["SB-shop1-605-1"].error == "InPost: receiver.phone: receiver phone has an invalid format"
    assert failed["SB-shop1-606-1"].error == "Nova Poshta: receiver.name: needs surname and first name in Cyrillic letters"
    page = station_page(shop)
    assert "receiver.phone: receiver phone has an invalid format" in page
    assert "receiver.name: needs surname and first name in Cyrillic letters" in page
    assert any("refused by inpost" in a for a in alerts(engine))
    assert requests.get(shop["inpost"] + "/__sandbox__/shipments", timeout=5).json()["shipments"] == []


def test_label_not_ready_is_retried_not_failed(shop, engine, redis):
    order(shop, 607, pl_checkout())
    [shipment] = shipments(engine)
    assert shipment.status == "created" and retrying(redis, f"fetch_label-{shipment.id}")
    assert "label pending" in station_page(shop)
    token = csrf_token(station_page(shop))
    answer = shop["station"].post("/console/labels/print", data={"csrf_token": token, "layout": "A6"})
    assert answer.status_code == 302  # nothing to print yet ...
    assert "SB-shop1-607-1: label pending" in station_page(shop)  # ... and why
    requests.post(shop["inpost"] + "/__sandbox__/advance", json={"id": shipment.carrier_ref, "status": "confirmed"},
                  timeout=5)
    run_due_retries(redis)
    with transaction(engine) as session:
        assert session.scalar(select(Label.fmt).where(Label.shipment_id == shipment.id)) == "pdf"
        assert session.get(Shipment, shipment.id).status == "confirmed"
    assert "label ready" in station_page(shop)


def test_carrier_5xx_and_timeouts_are_retried(shop, engine, redis, monkeypatch):
    from workers import context

    monkeypatch.setenv("STOCKBRIDGE_HTTP_TIMEOUT", "1")  # the sandbox hangs 2 s on a "timeout" fault
    context.reset()
    requests.post(shop["inpost"] + "/__sandbox__/fail", json={"status": 503, "count": 1}, timeout=5)
    requests.post(shop["np"] + "/__sandbox__/fail", json={"status": "timeout", "count": 1}, timeout=5)
    order(shop, 608, pl_checkout())
    order(shop, 609, ua_checkout())
    requests.post(shop["np"] + "/__sandbox__/fail", json={"status": "lost", "count": 1}, timeout=5)
    order(shop, 610, ua_checkout())  # created at Nova Poshta, the answer never arrives
    first = shipments(engine)
    assert {s.status for s in first} == {"intent"} and {s.attempts for s in first} == {1}
    assert all(retrying(redis, f"create_shipment-{s.id}") for s in first)
    run_due_retries(redis)
    after = shipments(engine)
    assert after[0].status == "created" and {s.status for s in after[1:]} == {"confirmed"}
    # 608/609 were not processed by the carrier: looked up, not found, created (2 attempts); 610 was created
    # on the first attempt whose answer was lost: found by reference, never created again
    assert [s.attempts for s in after] == [2, 2, 1]
    assert len(requests.get(shop["inpost"] + "/__sandbox__/shipments", timeout=5).json()["shipments"]) == 1
    documents = requests.get(shop["np"] + "/__sandbox__/documents", timeout=5).json()
    assert sorted(d["reference"] for d in documents["documents"]) == ["SB-shop1-609-1", "SB-shop1-610-1"]
