"""Exactly one shipment per parcel: a worker killed (SIGKILL) while the carrier is creating the shipment, before
our commit, leaves "created remotely, unknown here" (intent, one attempt, no carrier id). The retry looks the
shipment up by our reference and records it: one shipment at the InPost sandbox, one here.

Real processes: the InPost sandbox (answers slowed down so the kill lands while the create is in flight; the
sandbox finishes the create after the client is gone) and ``stockbridge worker``. The retry is the label
station's "Retry" (a fresh job id: the killed worker's job would only be retried by RQ once its heartbeat
expires, about 90 s later, and would then look up first too).
"""

from __future__ import annotations

import time

import pytest
import requests
from sqlalchemy import select, text

from connector.db import transaction
from connector.models import Shipment
from tests.helpers import add_shop, deliver
from tests.processes import start_worker, wait_for
from tests.shipping.conftest import (SHIPPING_RULES, SKU, add_carriers, csrf_token, pl_checkout, reader, start_inpost,
                                     warehouse_login, webhook_body)

CREATE_DELAY = 2.0


@pytest.fixture(scope="module")
def inpost():
    proc, url = start_inpost("none")
    yield url
    proc.stop()


def remote(inpost: str) -> list[dict]:
    return requests.get(inpost + "/__sandbox__/shipments", timeout=5).json()["shipments"]


def local(database_url: str) -> list:
    with reader(database_url).connect() as conn:
        return list(conn.execute(text("SELECT id, status, attempts, carrier_ref FROM shipments")))


def test_worker_killed_between_the_carriers_answer_and_our_commit(warehouse_env, engine, redis, inpost):
    from webhooks import create_app

    requests.post(inpost + "/__sandbox__/reset", timeout=5)
    add_shop(engine, "shop1", stock={SKU: 10}, settings={"shipping_methods": SHIPPING_RULES})
    add_carriers(engine, inpost, "http://127.0.0.1:9")
    requests.post(inpost + "/__sandbox__/delay", json={"seconds": CREATE_DELAY, "path": "/v1/organizations"}, timeout=5)
    app = create_app()
    assert deliver(app.test_client(), "shop1", "order.created", webhook_body(501, pl_checkout())).status_code == 200

    victim = start_worker("victim")
    try:
        wait_for(lambda: [r for r in local(warehouse_env["database_url"]) if r.attempts == 1], timeout=20,
                 interval=0.02, what="the create call to start")
        time.sleep(0.5)  # the POST is at the carrier, which is still working on it
        victim.kill9()
    finally:
        victim.stop()
    assert remote(inpost) == []  # the carrier has not finished yet ...
    created = wait_for(lambda: remote(inpost), timeout=CREATE_DELAY + 5, what="the carrier to finish the create")
    assert len(created) == 1  # ... and now it has: created remotely, while nothing was committed here
    [row] = local(warehouse_env["database_url"])
    assert (row.status, row.attempts, row.carrier_ref) == ("intent", 1, "")
    requests.post(inpost + "/__sandbox__/delay", json={"seconds": 0}, timeout=5)

    client = app.test_client()
    page = client.get("/console/labels")
    assert page.status_code == 302
    warehouse_login(client)
    page = client.get("/console/labels").get_data(as_text=True)
    assert "not created yet (1 attempt); the next attempt looks it up by reference first" in page
    redis.delete(f"sb:ship-create:{row.id}")  # the dead worker's lock; it would expire after 180 s
    client.post(f"/console/labels/{row.id}/retry", data={"csrf_token": csrf_token(page)})
    survivor = start_worker("survivor")
    try:
        wait_for(lambda: local(warehouse_env["database_url"])[0].carrier_ref, timeout=20, what="the retry")
    finally:
        survivor.stop()

    [row] = local(warehouse_env["database_url"])
    assert len(remote(inpost)) == 1 and row.carrier_ref == str(created[0]["id"])
    assert (row.status, row.attempts) == ("created", 1)  # found by reference: no second create call
    from workers.shipping import create_shipment

    assert create_shipment(row.id) == "already created"  # what RQ's own late retry of the killed job does
    assert len(remote(inpost)) == 1
    with transaction(engine) as session:
        assert len(list(session.scalars(select(Shipment)))) == 1
