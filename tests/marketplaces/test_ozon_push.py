"""``POST /webhooks/ozon/<account>``: Ozon's pushes answered fast, recorded, and turned into an early poll."""

from __future__ import annotations

import json

import pytest
from rq import Queue
from sqlalchemy import select

from connector.db import transaction
from connector.models import InboxEvent
from tests.conftest import shared_fixture
from tests.marketplaces.conftest import add_account

NEW_POSTING = {"message_type": "TYPE_NEW_POSTING", "posting_number": "73000137-0001-1", "warehouse_id": 1,
               "products": [{"sku": 1500100001, "quantity": 1}], "in_process_at": "2026-12-07T10:00:00Z", "seller_id": 15}


@pytest.fixture
def receiver(env, engine):
    from webhooks import create_app

    add_account(engine, "ozon1", "ozon", "http://127.0.0.1:9", {"client_id": "15", "api_key": "k"},
                settings={"push_sources": ["127.0.0.0/8"]})
    add_account(engine, "ozon2", "ozon", "http://127.0.0.1:9", {"client_id": "16", "api_key": "k"})
    return create_app().test_client()


def test_ping_is_answered_with_version_name_and_time(receiver):
    answer = receiver.post("/webhooks/ozon/ozon1", json={"message_type": "TYPE_PING", "time": "2026-12-07T10:00:00Z"})
    assert answer.status_code == 200 and set(answer.get_json()) == {"version", "name", "time"}


def test_a_push_is_recorded_and_starts_a_poll(receiver, engine, redis):
    answer = receiver.post("/webhooks/ozon/ozon1", json=NEW_POSTING)
    assert answer.status_code == 200 and answer.get_json() == {"result": True}
    assert receiver.post("/webhooks/ozon/ozon1", json=NEW_POSTING).get_json() == {"result": True}  # duplicate
    with transaction(engine) as session:
        rows = list(session.scalars(select(InboxEvent)))
    assert [(r.topic, r.status, r.resource_id) for r in rows] == [("type_new_posting", "processed", "73000137-0001-1")]
    jobs = Queue("ingest", connection=redis).jobs
    assert [j.func_name for j in jobs] == ["workers.marketplace_poll.poll_channel"]


def test_pushes_from_elsewhere_and_garbage_are_refused_in_ozons_shape(receiver):
    refused = receiver.post("/webhooks/ozon/ozon2", json=NEW_POSTING)  # Ozon's own ranges only
    assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "ERROR_UNKNOWN"
    bad = receiver.post("/webhooks/ozon/ozon1", data=b'{"message_type": ', content_type="application/json")
    assert bad.status_code == 400 and bad.get_json()["error"]["code"] == "ERROR_PARAMETER_VALUE_MISSED"
    assert receiver.post("/webhooks/ozon/nope", json=NEW_POSTING).status_code == 404


@pytest.mark.parametrize("name", ["push_type_posting_cancelled.json", "push_type_state_changed.json",
                                  "push_type_new_posting.json"])
def test_the_documented_push_bodies_are_accepted(receiver, name):
    body = json.loads(shared_fixture("marketplaces", "ozon", name).read_text(encoding="utf-8"))
    assert receiver.post("/webhooks/ozon/ozon1", json=body).get_json() == {"result": True}
