"""The WooCommerce receiver: every HTTP status chosen on purpose, nothing acknowledged unstored."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from connector import channels
from connector.db import transaction
from connector.models import InboxEvent
from tests.conftest import shared_fixture
from tests.helpers import add_shop, deliver, php_json, woo_headers, woo_order


@pytest.fixture
def app(env, engine):
    from webhooks import create_app

    add_shop(engine, "shop1")
    return create_app({"max_body_bytes": 1024 * 1024})


@pytest.fixture
def client(app):
    return app.test_client()


def count_events(engine, **where) -> int:
    with transaction(engine) as session:
        query = select(func.count()).select_from(InboxEvent)
        for key, value in where.items():
            query = query.where(getattr(InboxEvent, key) == value)
        return session.scalar(query)


def test_signed_order_is_stored_and_acknowledged(client, engine):
    response = deliver(client, "shop1", "order.created", woo_order(1))
    assert response.status_code == 200, response.json
    assert response.json["event"] >= 1
    assert count_events(engine, status="received", topic="order.created") == 1


def test_ping_is_answered_200_without_signature(client, engine):
    response = client.post("/webhooks/woocommerce/shop1", data=b"webhook_id=12",
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200
    assert count_events(engine) == 0


@pytest.mark.parametrize("headers", [{}, {"X-WC-Webhook-Signature": "AAAA"}])
def test_missing_or_wrong_signature_is_401_and_nothing_stored(client, engine, headers):
    raw = php_json(woo_order(2))
    response = client.post("/webhooks/woocommerce/shop1", data=raw,
                           headers={"Content-Type": "application/json", "X-WC-Webhook-Topic": "order.created", **headers})
    assert response.status_code == 401
    assert "signature" in response.json["message"].lower()
    assert count_events(engine) == 0


def test_reencoded_body_fails_signature(client, engine):
    body = woo_order(3)
    raw = php_json(body)
    reencoded = json.dumps(body, ensure_ascii=False).encode()
    headers = woo_headers("order.created", raw)
    assert client.post("/webhooks/woocommerce/shop1", data=reencoded, headers=headers).status_code == 401


def test_lowercase_headers_are_accepted(client, engine):
    raw = php_json(woo_order(4))
    response = client.post("/webhooks/woocommerce/shop1", data=raw, headers=woo_headers("order.created", raw, lower=True))
    assert response.status_code == 200


def test_invalid_json_is_400(client, engine):
    raw = b'{"id": 5, "status": "process'
    response = client.post("/webhooks/woocommerce/shop1", data=raw, headers=woo_headers("order.created", raw))
    assert response.status_code == 400
    assert count_events(engine) == 0


def test_oversized_body_is_413(client, engine):
    raw = b"{" + b" " * (10 * 1024 * 1024) + b"}"
    response = client.post("/webhooks/woocommerce/shop1", data=raw, headers=woo_headers("order.created", raw))
    assert response.status_code == 413
    assert count_events(engine) == 0


def test_unknown_shop_is_404(client):
    assert deliver(client, "nope", "order.created", woo_order(6)).status_code == 404


def test_duplicate_delivery_is_acknowledged_once_stored(client, engine):
    body = woo_order(7)
    assert deliver(client, "shop1", "order.updated", body).status_code == 200
    again = deliver(client, "shop1", "order.updated", body)
    assert again.status_code == 200 and "duplicate" in again.json["message"]
    assert count_events(engine) == 1


def test_twins_are_two_events(client, engine):
    body = woo_order(8)
    deliver(client, "shop1", "order.created", body)
    deliver(client, "shop1", "order.updated", body)
    assert count_events(engine) == 2


def test_same_second_different_bodies_are_not_deduplicated(client, engine):
    deliver(client, "shop1", "order.updated", woo_order(9, "pending"))
    deliver(client, "shop1", "order.updated", woo_order(9, "processing"))
    assert count_events(engine) == 2


def test_other_topics_are_acknowledged_and_recorded_ignored(client, engine):
    response = deliver(client, "shop1", "coupon.updated", {"id": 3, "code": "rabat10"})
    assert response.status_code == 200
    assert count_events(engine, status="ignored") == 1


def test_redis_down_still_acknowledges_a_committed_row(app, engine):
    from redis import Redis

    app.extensions["stockbridge.redis"] = Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2)
    response = deliver(app.test_client(), "shop1", "order.created", woo_order(10))
    assert response.status_code == 200
    assert count_events(engine, status="received") == 1


def test_database_down_is_503_not_2xx(app):
    from connector.db import make_engine

    app.extensions["stockbridge.engine"] = make_engine("postgresql://nobody@127.0.0.1:1/none")
    response = deliver(app.test_client(), "shop1", "order.created", woo_order(11))
    assert response.status_code == 503


@pytest.mark.parametrize("name", [
    "webhook_order_created_pln_pending_przelewy24_2shipping_coupon_fee.json",
    "webhook_order_created_uah_onhold_cod_novaposhta_variation.json",
    "webhook_order_updated_pln_processing_paid.json",
    "webhook_order_deleted_trashed.json",
    "webhook_product_updated_variation_outofstock_after_batch.json",
])
def test_real_captures_verify_with_their_secret(env, engine, name):
    from webhooks import create_app

    capture = json.loads(shared_fixture("woocommerce", name).read_text())
    with transaction(engine) as session:
        channels.add_shop(session, "real", url="http://127.0.0.1:9", consumer_key="ck", consumer_secret="cs",
                          webhook_secret=capture["webhook_secret"])
    client = create_app().test_client()
    raw = capture["raw_body"].encode("utf-8")
    response = client.post("/webhooks/woocommerce/real", data=raw, headers=capture["request"]["headers"])
    assert response.status_code == 200, response.json
    wrong = client.post("/webhooks/woocommerce/real", data=raw + b" ", headers=capture["request"]["headers"])
    assert wrong.status_code == 401


def test_real_ping_capture_is_answered_200(env, engine):
    from webhooks import create_app

    capture = json.loads(shared_fixture("woocommerce", "webhook_ping_on_create.json").read_text())
    with transaction(engine) as session:
        channels.add_shop(session, "real", url="http://x", consumer_key="ck", consumer_secret="cs", webhook_secret="s")
    response = create_app().test_client().post("/webhooks/woocommerce/real", data=capture["raw_body"].encode(),
                                               headers=capture["request"]["headers"])
    assert response.status_code == 200


def test_database_restart_between_deliveries_still_acknowledges(app, engine):
    """A pooled connection the server dropped (restart, failover) costs one retry, not a lost delivery."""
    from sqlalchemy import text

    client = app.test_client()
    assert deliver(client, "shop1", "order.created", woo_order(12)).status_code == 200
    held = [app.extensions["stockbridge.engine"].raw_connection() for _ in range(3)]
    for conn in held:  # the pool now holds several connections, all about to die
        conn.close()
    if engine.dialect.name == "postgresql":  # kill every other session, like a server restart would
        with engine.connect() as conn:
            conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                              "WHERE datname = current_database() AND pid <> pg_backend_pid()"))
            conn.commit()
    assert deliver(client, "shop1", "order.created", woo_order(13)).status_code == 200
    assert count_events(engine) == 2
