"""Redis may lose jobs and flags; the database inbox is the system of record and the sweeper re-triggers."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from connector.db import transaction
from connector.models import InboxEvent, utcnow
from tests.helpers import add_shop, deliver, drain, woo_order
from tests.test_processing import levels, order


def setup_shop(engine):
    from webhooks import create_app

    add_shop(engine, "shop1", stock={"SKU-1": 5})
    return create_app().test_client()


def age_events(engine, seconds: int) -> None:
    with transaction(engine) as session:
        session.execute(update(InboxEvent).values(received_at=utcnow() - timedelta(seconds=seconds)))


def test_sweeper_recovers_events_whose_job_redis_lost(env, engine, redis):
    from workers import maintenance

    client = setup_shop(engine)
    deliver(client, "shop1", "order.created", woo_order(1, "processing", [("SKU-1", 2)]))
    redis.flushdb()  # Redis restarted without the job (or the enqueue failed after the commit)
    drain()
    assert order(engine, "1") is None
    age_events(engine, 60)
    assert maintenance.sweep_inbox() == "1 channels re-triggered"
    drain()
    assert order(engine, "1")["status"] == "paid"
    assert levels(engine, "SKU-1") == (5, 2, 3)


def test_expired_lease_of_a_dead_worker_is_picked_up_again(env, engine, redis):
    from connector import inbox
    from workers import maintenance

    client = setup_shop(engine)
    deliver(client, "shop1", "order.created", woo_order(2, "processing", [("SKU-1", 1)]))
    with transaction(engine) as session:  # a worker leased the event, then died
        assert inbox.claim(session, 1, 10, lease_seconds=60)
    redis.flushdb()
    age_events(engine, 60)
    maintenance.sweep_inbox()
    drain()
    assert order(engine, "2") is None  # lease still running: nobody else touches it
    with transaction(engine) as session:
        session.execute(update(InboxEvent).values(claim_expires_at=utcnow() - timedelta(seconds=1)))
    maintenance.sweep_inbox()
    drain()
    assert order(engine, "2")["status"] == "paid"


def test_reconcile_requeues_figures_that_differ_from_last_push(env, engine, redis):
    from workers import maintenance
    from workers.queue import dirty_key

    client = setup_shop(engine)
    deliver(client, "shop1", "order.created", woo_order(3, "processing", [("SKU-1", 1, 700, 0)]))
    drain()
    redis.flushdb()
    assert maintenance.reconcile_figures() == "1 figures re-queued"
    assert redis.smembers(dirty_key(1)) == {b"SKU-1"}
