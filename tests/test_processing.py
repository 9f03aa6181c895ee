"""Order events through the real queue and worker: reservations, lifecycle, staleness, failures."""

from __future__ import annotations

import pytest

from connector import ledger
from connector.db import transaction
from connector.views import order_view, stock_view
from tests.helpers import add_shop, deliver, drain, woo_order, woo_product


@pytest.fixture
def shop(env, engine):
    from webhooks import create_app

    add_shop(engine, "shop1", stock={"SKU-1": 5, "SKU-2": 2})
    return create_app().test_client()


def order(engine, external_id: str):
    with transaction(engine) as session:
        return order_view(session, "shop1", external_id)


def levels(engine, sku: str):
    with transaction(engine) as session:
        view = stock_view(session, sku)
    return view["on_hand"], view["reserved"], view["available"]


def send(client, topic, body):
    assert deliver(client, "shop1", topic, body).status_code == 200
    drain()


def test_paid_order_reserves_and_completed_commits(shop, engine):
    send(shop, "order.created", woo_order(1, "processing", [("SKU-1", 2)]))
    view = order(engine, "1")
    assert view["status"] == "paid" and view["payment_status"] == "paid"
    assert view["reservations"] == [{"sku": "SKU-1", "quantity": 2, "state": "held", "expires_at": None}]
    assert levels(engine, "SKU-1") == (5, 2, 3)
    send(shop, "order.updated", woo_order(1, "completed", [("SKU-1", 2)], minute=5))
    assert order(engine, "1")["status"] == "delivered"
    assert levels(engine, "SKU-1") == (3, 0, 3)


def test_twins_and_duplicates_reserve_once(shop, engine):
    body = woo_order(2, "processing", [("SKU-1", 1)])
    deliver(shop, "shop1", "order.created", body)
    deliver(shop, "shop1", "order.updated", body)
    deliver(shop, "shop1", "order.updated", body)
    drain()
    assert levels(engine, "SKU-1") == (5, 1, 4)


@pytest.mark.parametrize("status", ["cancelled", "failed", "refunded"])
def test_cancel_failed_refunded_release(shop, engine, status):
    send(shop, "order.created", woo_order(3, "on-hold", [("SKU-1", 3)]))
    assert levels(engine, "SKU-1") == (5, 3, 2)
    send(shop, "order.updated", woo_order(3, status, [("SKU-1", 3)], minute=1))
    assert levels(engine, "SKU-1") == (5, 0, 5)
    assert order(engine, "3")["reservations"][0]["state"] == "released"


def test_stale_body_changes_nothing(shop, engine):
    send(shop, "order.updated", woo_order(4, "cancelled", [("SKU-1", 1)], minute=10))
    send(shop, "order.updated", woo_order(4, "processing", [("SKU-1", 1)], minute=5))
    assert order(engine, "4")["status"] == "cancelled"
    assert levels(engine, "SKU-1") == (5, 0, 5)
    from tests.test_receiver import count_events

    assert count_events(engine, status="stale") == 1


def test_out_of_order_delivery_keeps_the_newest(shop, engine):
    deliver(shop, "shop1", "order.updated", woo_order(5, "completed", [("SKU-1", 1)], minute=9))
    deliver(shop, "shop1", "order.created", woo_order(5, "pending", [("SKU-1", 1)], minute=0))
    drain()
    assert order(engine, "5")["status"] == "delivered"
    assert levels(engine, "SKU-1") == (4, 0, 4)


def test_pending_order_holds_with_expiry(shop, engine):
    send(shop, "order.created", woo_order(6, "pending", [("SKU-1", 1)]))
    view = order(engine, "6")
    assert view["status"] == "awaiting_payment"
    assert view["reservations"][0]["state"] == "held" and view["reservations"][0]["expires_at"]
    send(shop, "order.updated", woo_order(6, "processing", [("SKU-1", 1)], minute=1))
    assert order(engine, "6")["reservations"][0]["expires_at"] is None
    assert levels(engine, "SKU-1") == (5, 1, 4)


def test_expired_hold_releases_and_payment_reserves_again(shop, engine, monkeypatch):
    from datetime import timedelta

    from workers import maintenance

    send(shop, "order.created", woo_order(7, "pending", [("SKU-1", 2)]))
    real_now = maintenance.utcnow
    monkeypatch.setattr(maintenance, "utcnow", lambda: real_now() + timedelta(hours=2))
    maintenance.expire_holds()
    assert order(engine, "7")["reservations"][0]["state"] == "expired"
    assert levels(engine, "SKU-1") == (5, 0, 5)
    send(shop, "order.updated", woo_order(7, "processing", [("SKU-1", 2)], minute=90))
    assert order(engine, "7")["reservations"][0]["state"] == "held"
    assert levels(engine, "SKU-1") == (5, 2, 3)


def test_oversell_is_flagged_not_forced(shop, engine):
    send(shop, "order.created", woo_order(8, "processing", [("SKU-2", 2)]))
    send(shop, "order.created", woo_order(9, "processing", [("SKU-2", 1), ("SKU-1", 1)]))
    view = order(engine, "9")
    assert "out_of_stock:SKU-2" in view["flags"]
    assert levels(engine, "SKU-2") == (2, 2, 0)
    assert levels(engine, "SKU-1") == (5, 1, 4)


def test_restock_then_update_clears_the_flag(shop, engine):
    send(shop, "order.created", woo_order(10, "processing", [("SKU-2", 3)]))
    assert "out_of_stock:SKU-2" in order(engine, "10")["flags"]
    with transaction(engine) as session:
        ledger.set_on_hand(session, "SKU-2", 10, ledger.Cause("delivery"))
    send(shop, "order.updated", woo_order(10, "processing", [("SKU-2", 3)], minute=1, second=1))
    assert order(engine, "10")["flags"] == []


def test_unknown_sku_and_no_sku_lines(shop, engine):
    body = woo_order(11, "processing", [("NOPE-1", 1), ("", 2, 555, 0)])
    send(shop, "order.created", body)
    flags = order(engine, "11")["flags"]
    assert "unknown_sku:NOPE-1" in flags and "unknown_sku:shop1:555" in flags
    assert {l["sku"] for l in order(engine, "11")["lines"]} == {"NOPE-1", "shop1:555"}


def test_zero_and_huge_quantities(shop, engine):
    send(shop, "order.created", woo_order(12, "processing", [("SKU-1", 0), ("SKU-2", 2_000_000_000)]))
    view = order(engine, "12")
    assert "out_of_stock:SKU-2" in view["flags"]
    assert levels(engine, "SKU-1") == (5, 0, 5)


def test_schema_rejection_is_a_visible_failed_event(shop, engine):
    response = deliver(shop, "shop1", "order.created", {"id": 13, "status": "processing", "line_items": "oops"})
    assert response.status_code == 200
    drain()
    from tests.conftest import ADMIN_TOKEN

    events = shop.get("/api/events?channel=shop1", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}).json
    assert events[0]["status"] == "failed" and "line_items" in events[0]["error"]


def test_quantity_overflow_is_rejected_cleanly(shop, engine):
    deliver(shop, "shop1", "order.created", woo_order(14, "processing", [("SKU-1", 10**12)]))
    drain()
    from tests.test_receiver import count_events

    assert count_events(engine, status="failed") == 1


def test_unknown_status_keeps_state_and_flags(shop, engine):
    send(shop, "order.created", woo_order(15, "processing", [("SKU-1", 1)]))
    send(shop, "order.updated", woo_order(15, "wc-custom-packing", [("SKU-1", 1)], minute=1))
    view = order(engine, "15")
    assert view["status"] == "paid" and "unknown_status:wc-custom-packing" in view["flags"]


def test_restored_order_reserves_again(shop, engine):
    send(shop, "order.created", woo_order(16, "processing", [("SKU-1", 2)]))
    send(shop, "order.updated", woo_order(16, "cancelled", [("SKU-1", 2)], minute=1))
    send(shop, "order.restored", woo_order(16, "processing", [("SKU-1", 2)], minute=2))
    assert order(engine, "16")["status"] == "paid"
    assert levels(engine, "SKU-1") == (5, 2, 3)


def test_line_removed_by_edit_releases_its_units(shop, engine):
    send(shop, "order.created", woo_order(17, "processing", [("SKU-1", 1), ("SKU-2", 1)]))
    body = woo_order(17, "processing", [("SKU-1", 3)], minute=1)
    send(shop, "order.updated", body)
    assert levels(engine, "SKU-1") == (5, 3, 2)
    assert levels(engine, "SKU-2") == (2, 0, 2)


def test_product_webhook_learns_listing_and_initial_figure(shop, engine):
    deliver(shop, "shop1", "product.updated", woo_product(300, "NEW-SKU", 7))
    from sqlalchemy import update

    from connector.models import InboxEvent

    with transaction(engine) as session:  # skip the product grace period
        session.execute(update(InboxEvent).values(not_before=None))
    drain()
    assert levels(engine, "NEW-SKU") == (7, 0, 7)


def test_order_before_its_sku_is_known_reserves_once_the_sku_arrives(shop, engine):
    """Onboarding race: the webhooks exist before the catalog import, so an order may name a SKU the ledger
    has not heard of. It is flagged, then reserves when the product arrives; the shop's figure already
    excludes that order, so on hand = shown + the order's units."""
    from connector.models import Alert
    from sqlalchemy import select

    send(shop, "order.created", woo_order(30, "processing", [("NEW-SKU", 2), ("SKU-1", 1)]))
    assert order(engine, "30")["flags"] == ["unknown_sku:NEW-SKU"]
    from sqlalchemy import update
    from connector.models import InboxEvent

    assert deliver(shop, "shop1", "product.updated", woo_product(130, "NEW-SKU", 7)).status_code == 200
    with transaction(engine) as session:  # skip the product grace period
        session.execute(update(InboxEvent).values(not_before=None))
    drain()
    view = order(engine, "30")
    assert view["flags"] == []
    assert sorted((r["sku"], r["quantity"]) for r in view["reservations"]) == [("NEW-SKU", 2), ("SKU-1", 1)]
    assert levels(engine, "NEW-SKU") == (9, 2, 7)
    with transaction(engine) as session:
        alert = session.scalar(select(Alert).where(Alert.kind == "unknown_sku"))
        assert alert is not None and alert.resolved_at is not None


def test_stock_set_is_a_physical_count_for_waiting_orders(shop, engine):
    from connector.stock import count_stock

    send(shop, "order.created", woo_order(31, "processing", [("LATE-SKU", 3)]))
    with transaction(engine) as session:
        count_stock(session, "LATE-SKU", 2, ledger.Cause("count"))
    assert order(engine, "31")["flags"] == ["out_of_stock:LATE-SKU"]
    assert levels(engine, "LATE-SKU") == (2, 0, 2)


def test_events_waiting_out_the_grace_get_one_delayed_drain(shop, engine, redis):
    """Each push's echo waits out the product grace; a burst of them (drained by several jobs) must not
    multiply the delayed drains an operator sees on the dashboard."""
    from rq import Queue
    from rq.registry import ScheduledJobRegistry

    for product_id in range(300, 305):
        deliver(shop, "shop1", "product.updated", woo_product(product_id, f"ECHO-{product_id}", 3))
        drain()
    ingest = Queue("ingest", connection=redis)
    scheduled = [ingest.fetch_job(job_id) for job_id in ScheduledJobRegistry(queue=ingest).get_job_ids()]
    assert [job.description for job in scheduled if "delayed" in job.description] == \
        ["process delayed events from shop1"]
