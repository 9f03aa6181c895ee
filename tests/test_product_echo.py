"""product.updated: our echo is ignored, the shop's own order bookkeeping is overridden, a manual edit
follows the policy. Figures are compared against the ledger, never trusted blindly."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from connector import ledger
from connector.db import transaction
from connector.models import InboxEvent, Listing
from tests.helpers import add_shop, deliver, drain, woo_order, woo_product


@pytest.fixture
def shop(env, engine):
    from webhooks import create_app

    add_shop(engine, "shop1", stock={"MUG": 10})
    client = create_app().test_client()
    deliver(client, "shop1", "product.updated", woo_product(50, "MUG", 10))
    run(engine)
    return client


def run(engine):
    with transaction(engine) as session:  # the product grace period is not what these tests are about
        session.execute(update(InboxEvent).values(not_before=None))
    drain()


def last_event(engine) -> InboxEvent:
    with transaction(engine) as session:
        return session.scalars(select(InboxEvent).order_by(InboxEvent.id.desc())).first()


def set_pushed(engine, value: int) -> None:
    with transaction(engine) as session:
        session.execute(update(Listing).where(Listing.sku == "MUG").values(last_pushed=value))


def on_hand(engine) -> tuple[int, int]:
    with transaction(engine) as session:
        return ledger.levels(session, "MUG")


def test_echo_of_our_figure_is_ignored(shop, engine):
    set_pushed(engine, 10)
    deliver(shop, "shop1", "product.updated", woo_product(50, "MUG", 10, minute=1))
    run(engine)
    assert last_event(engine).status == "ignored" and "echo" in last_event(engine).error
    assert on_hand(engine) == (10, 0)


def test_manual_edit_is_accepted_and_journaled(shop, engine):
    set_pushed(engine, 10)
    deliver(shop, "shop1", "product.updated", woo_product(50, "MUG", 14, minute=2))
    run(engine)
    assert on_hand(engine) == (14, 0)
    with transaction(engine) as session:
        from connector.views import stock_view

        assert stock_view(session, "MUG")["journal"][0]["reason"] == "manual edit in shop1"


def test_manual_edit_keeps_reservations(shop, engine):
    deliver(shop, "shop1", "order.created", woo_order(1, "processing", [("MUG", 3, 50, 0)]))
    run(engine)
    with transaction(engine) as session:  # the order is old news: outside the echo window
        from connector.models import Order, utcnow
        from datetime import timedelta

        session.execute(update(Order).values(updated_at=utcnow() - timedelta(hours=1)))
    set_pushed(engine, 7)
    deliver(shop, "shop1", "product.updated", woo_product(50, "MUG", 20, minute=3))
    run(engine)
    assert on_hand(engine) == (23, 3)


def test_shop_decrement_after_its_order_is_not_a_manual_edit(shop, engine):
    deliver(shop, "shop1", "order.created", woo_order(2, "processing", [("MUG", 2, 50, 0)]))
    run(engine)
    set_pushed(engine, 10)  # the push of 8 has not happened yet; the shop then lowered 10 -> 6 on its own
    deliver(shop, "shop1", "product.updated", woo_product(50, "MUG", 6, minute=4))
    run(engine)
    event = last_event(engine)
    assert event.status == "ignored" and "pushed back" in event.error
    assert on_hand(engine) == (10, 2)


def test_ignore_policy_overrides_manual_edit(env, engine):
    from webhooks import create_app

    add_shop(engine, "shop2", stock={"CUP": 5}, settings={"manual_edit_policy": "ignore"})
    client = create_app().test_client()
    deliver(client, "shop2", "product.updated", woo_product(60, "CUP", 5))
    run(engine)
    deliver(client, "shop2", "product.updated", woo_product(60, "CUP", 99, minute=1))
    run(engine)
    with transaction(engine) as session:
        assert ledger.levels(session, "CUP") == (5, 0)


def test_unmanaged_stock_is_ignored(shop, engine):
    deliver(shop, "shop1", "product.updated", woo_product(51, "BAG", None, manage_stock=False))
    run(engine)
    assert last_event(engine).status == "ignored"


def test_late_echo_of_an_earlier_push_is_ignored(shop, engine, redis):
    from workers.queue import remember_pushed

    remember_pushed(redis, 1, "MUG", 9)  # we pushed 9, then 10; the echo of 9 arrives last
    set_pushed(engine, 10)
    deliver(shop, "shop1", "product.updated", woo_product(50, "MUG", 9, minute=5))
    run(engine)
    assert "earlier figure" in last_event(engine).error
    assert on_hand(engine) == (10, 0)
