"""The documented interface: CLI commands and the bearer-protected JSON API."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import ADMIN_TOKEN, ROOT
from tests.helpers import SECRET, cli, deliver, drain, woo_order




def test_shop_add_stock_set_show(env):
    cli("shop", "add", "sklep-1", "--url", "http://127.0.0.1:9", "--consumer-key", "ck_1", "--consumer-secret",
        "cs_1", "--webhook-secret", SECRET)
    listed = json.loads(cli("shop", "list").stdout)
    assert listed[0]["name"] == "sklep-1" and "cs_1" not in json.dumps(listed)
    assert "available 12" in cli("stock", "set", "ŻÓŁW-1", "12").stdout
    shown = json.loads(cli("stock", "show", "ŻÓŁW-1").stdout)
    assert (shown["on_hand"], shown["available"]) == (12, 12)
    assert shown["journal"][0]["reason"] == "stock count"


def test_cli_refuses_shop_without_secret_and_negative_stock(env):
    assert cli("shop", "add", "x", "--url", "http://x", "--consumer-key", "a", "--consumer-secret", "b",
               "--webhook-secret", "", ok=False).returncode != 0
    result = cli("stock", "set", "--", "A", "-1", ok=False)
    assert result.returncode != 0 and "negative" in result.stderr


def test_stock_set_below_reserved_is_refused(env, engine):
    from webhooks import create_app

    cli("shop", "add", "s", "--url", "http://127.0.0.1:9", "--consumer-key", "a", "--consumer-secret", "b",
        "--webhook-secret", SECRET)
    cli("stock", "set", "A", "5")
    deliver(create_app().test_client(), "s", "order.created", woo_order(1, "processing", [("A", 4)]))
    drain()
    result = cli("stock", "set", "A", "3", ok=False)
    assert result.returncode != 0 and "reserved" in result.stderr


def test_web_refuses_to_start_without_admin_token(env, monkeypatch):
    monkeypatch.delenv("STOCKBRIDGE_ADMIN_TOKEN")
    result = subprocess.run([sys.executable, "-m", "connector.cli", "web", "--port", "1"], cwd=ROOT,
                            env=os.environ.copy(), capture_output=True, text=True, timeout=60)  # the real process
    assert result.returncode != 0 and "ADMIN_TOKEN" in result.stderr


@pytest.fixture
def api(env):
    from webhooks import create_app

    cli("shop", "add", "shop1", "--url", "http://127.0.0.1:9", "--consumer-key", "a", "--consumer-secret", "b",
        "--webhook-secret", SECRET)
    cli("stock", "set", "SKU-1", "3")
    client = create_app().test_client()
    deliver(client, "shop1", "order.created", woo_order(77, "processing", [("SKU-1", 2)]))
    drain()
    return client


AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


@pytest.mark.parametrize("path", ["/api/stock/SKU-1", "/api/orders/shop1/77", "/api/events?channel=shop1"])
def test_api_requires_the_bearer_token(api, path):
    assert api.get(path).status_code == 401
    assert api.get(path, headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert api.get(path, headers=AUTH).status_code == 200


def test_api_shapes(api):
    stock = api.get("/api/stock/SKU-1", headers=AUTH).json
    assert {k: stock[k] for k in ("sku", "on_hand", "reserved", "available")} == \
        {"sku": "SKU-1", "on_hand": 3, "reserved": 2, "available": 1}
    assert "shop1" in stock["channels"] and stock["journal"][0]["reason"] == "order paid"
    order = api.get("/api/orders/shop1/77", headers=AUTH).json
    assert order["status"] == "paid" and order["flags"] == []
    assert order["lines"][0]["sku"] == "SKU-1" and order["lines"][0]["quantity"] == 2
    assert order["reservations"][0] == {"sku": "SKU-1", "quantity": 2, "state": "held", "expires_at": None}
    events = api.get("/api/events?channel=shop1", headers=AUTH).json
    assert set(events[0]) >= {"id", "topic", "resource_id", "status", "error"}
    assert events[0]["status"] == "processed" and events[0]["resource_id"] == "77"
    assert api.get("/api/stock/NOPE", headers=AUTH).status_code == 404
    assert api.get("/api/orders/shop1/999", headers=AUTH).status_code == 404
    assert api.get("/healthz").json == {"status": "ok"}


def test_replay_of_a_processed_event_is_stale_safe(api, engine):
    events = api.get("/api/events?channel=shop1", headers=AUTH).json
    # a newer update arrives, then the operator replays the old created event
    deliver(api, "shop1", "order.updated", woo_order(77, "cancelled", [("SKU-1", 2)], minute=3))
    drain()
    assert api.post(f"/api/events/{events[0]['id']}/replay", headers=AUTH).status_code == 202
    drain()
    replayed = [e for e in api.get("/api/events?channel=shop1", headers=AUTH).json if e["id"] == events[0]["id"]][0]
    assert replayed["status"] == "stale"
    assert api.get("/api/orders/shop1/77", headers=AUTH).json["status"] == "cancelled"
    assert api.get("/api/stock/SKU-1", headers=AUTH).json["available"] == 3


def test_metrics_in_prometheus_format(api):
    from prometheus_client.parser import text_string_to_metric_families

    assert api.get("/metrics").status_code == 401
    deliver(api, "shop1", "order.created", woo_order(78, "processing", [("SKU-1", 5)]))  # short: refused
    drain()
    response = api.get("/metrics", headers=AUTH)
    assert response.status_code == 200
    families = {f.name: f for f in text_string_to_metric_families(response.get_data(as_text=True))}
    inbox = {tuple(sorted(s.labels.items())): s.value for s in families["stockbridge_inbox_events"].samples}
    assert inbox[(("source", "woocommerce"), ("status", "processed"), ("topic", "order.created"))] == 2
    assert families["stockbridge_oversell_refusals"].samples[0].value == 1
    assert any(s.name == "stockbridge_job_run_seconds_count" and s.value >= 1
               for s in families["stockbridge_job_run_seconds"].samples)
    assert {s.labels["queue"] for s in families["stockbridge_queue_depth"].samples} == {"stock", "ingest", "outbound"}


def test_shop_add_again_keeps_other_credentials(env, engine):
    from connector import channels
    from connector.db import transaction

    cli("shop", "add", "s1", "--url", "http://x", "--consumer-key", "a", "--consumer-secret", "b", "--webhook-secret", "c")
    with transaction(engine) as session:
        shop = channels.by_name(session, "s1")
        shop.credentials = {**shop.credentials, "przelewy24": {"crc": "k"}}
    cli("shop", "add", "s1", "--url", "http://x", "--consumer-key", "a2", "--consumer-secret", "b", "--webhook-secret", "c")
    with transaction(engine) as session:
        creds = channels.by_name(session, "s1").credentials
    assert creds["consumer_key"] == "a2" and creds["przelewy24"] == {"crc": "k"}
