"""Oversell race: several real worker processes reserving one hot SKU for orders from many channels."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from sqlalchemy import func, select

from connector import channels, ledger
from connector.db import transaction
from connector.models import Order, Reservation
from tests.conftest import ROOT
from tests.helpers import SECRET, deliver, woo_order

SHOPS = 8
ORDERS_PER_SHOP = 5
UNITS = 17
WORKERS = 4


def run_workers(count: int) -> None:
    procs = [subprocess.Popen([sys.executable, "-m", "connector.cli", "worker", "--burst"], cwd=ROOT,
                              env=os.environ.copy(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
             for _ in range(count)]
    for proc in procs:
        _, err = proc.communicate(timeout=180)
        assert proc.returncode == 0, err.decode()[-2000:]


@pytest.fixture
def shops(env, engine):
    from webhooks import create_app

    with transaction(engine) as session:
        for i in range(SHOPS):
            channels.add_shop(session, f"shop{i}", url="http://127.0.0.1:9", consumer_key="ck", consumer_secret="cs",
                              webhook_secret=SECRET)
    return create_app().test_client()


@pytest.mark.parametrize("round_no", [1, 2, 3])
def test_exactly_the_stock_is_granted(shops, engine, round_no):
    sku, other = f"HOT-{round_no}", f"COLD-{round_no}"
    with transaction(engine) as session:
        ledger.set_on_hand(session, sku, UNITS, ledger.Cause("race stock"))
        ledger.set_on_hand(session, other, 1000, ledger.Cause("race stock"))
    for i in range(SHOPS):
        for j in range(ORDERS_PER_SHOP):
            lines = [(sku, 1), (other, 1)] if j % 2 else [(other, 1), (sku, 1)]  # both lock orders
            assert deliver(shops, f"shop{i}", "order.created", woo_order(1000 + j, "processing", lines)).status_code == 200
    run_workers(WORKERS)
    with transaction(engine) as session:
        on_hand, reserved = ledger.levels(session, sku)
        granted = session.scalar(select(func.coalesce(func.sum(Reservation.quantity), 0))
                                 .where(Reservation.sku == sku, Reservation.state == "held"))
        orders = list(session.scalars(select(Order)))
    assert (on_hand, reserved, granted) == (UNITS, UNITS, UNITS)
    flagged = [o for o in orders if f"out_of_stock:{sku}" in (o.flags or [])]
    assert len(orders) == SHOPS * ORDERS_PER_SHOP
    assert len(flagged) == SHOPS * ORDERS_PER_SHOP - UNITS
