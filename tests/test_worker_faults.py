"""Workers that recover: kill -9 mid-job, the work is redone within 30 s, exactly once; SIGTERM finishes
the current job first."""

from __future__ import annotations

import functools
import time

import pytest
from sqlalchemy import create_engine, func, select

from connector.db import transaction
from connector.models import InboxEvent, Reservation
from tests.helpers import add_shop, deliver, woo_order
from tests.processes import Proc, start_worker, wait_for

ORDERS = 400


@pytest.fixture
def loaded(env, engine):
    from webhooks import create_app

    add_shop(engine, "shop1", stock={"SKU-1": 10_000})
    client = create_app().test_client()
    for i in range(ORDERS):
        assert deliver(client, "shop1", "order.created", woo_order(1 + i, "processing", [("SKU-1", 1)])).status_code == 200
    return engine


def counts(engine) -> tuple[int, int]:
    """Read without taking SQLite's write lock (our sessions BEGIN IMMEDIATE; a busy worker would starve us)."""
    with _reader(engine.url.render_as_string(hide_password=False)).connect() as conn:
        processed = conn.scalar(select(func.count()).select_from(InboxEvent).where(InboxEvent.status == "processed"))
        reserved = conn.scalar(select(func.coalesce(func.sum(Reservation.quantity), 0)))
    return processed, reserved


@functools.cache
def _reader(url: str):
    return create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1)
                         if url.startswith("postgresql://") else url)


def test_kill_9_mid_job_is_redone_within_30s_exactly_once(loaded):
    engine = loaded
    victim = start_worker("victim")
    wait_for(lambda: counts(engine)[0] >= 5, timeout=30, interval=0.01, what="the victim to start the batch")
    victim.kill9()
    killed_at = time.monotonic()
    done_before = counts(engine)[0]
    assert done_before < ORDERS, "the victim finished everything before it could be killed"
    survivors = [start_worker("survivor"), Proc(["-m", "connector.cli", "scheduler"], name="scheduler")]
    try:
        wait_for(lambda: counts(engine)[0] == ORDERS, timeout=60, interval=0.2, what="all events processed")
        elapsed = time.monotonic() - killed_at
    finally:
        for proc in survivors:
            proc.stop()
    assert elapsed < 30, f"recovery took {elapsed:.1f}s"
    assert counts(engine) == (ORDERS, ORDERS)  # each order reserved exactly once


def test_sigterm_lets_the_current_job_finish(loaded):
    engine = loaded
    worker = start_worker("graceful")
    wait_for(lambda: counts(engine)[0] >= 1, timeout=30, interval=0.01, what="the worker to start")
    worker.stop()  # SIGTERM: RQ's warm shutdown
    assert worker.popen.returncode == 0
    processed, reserved = counts(engine)
    assert processed == reserved  # nothing half-applied
    with transaction(engine) as session:
        leased = session.scalar(select(func.count()).select_from(InboxEvent)
                                .where(InboxEvent.status == "received", InboxEvent.claim_expires_at.is_not(None)))
    assert leased == 0 or processed == ORDERS  # the drain finished its leased batch before exiting
