"""The pull behind the marketplace pushes (``workers.marketplace_drift``), against the sandboxes over HTTP.

An Allegro offer that sold out ends itself and stays ended when stock comes back (pitfall 7): the drift
check sees it and the next push re-activates it. A marketplace showing more than the ledger allows is
corrected at once; one showing less only when it still does at the next check (a sale not polled yet).
"""

from __future__ import annotations

import time

import pytest
import requests
from sqlalchemy import select

from connector import ledger
from connector.db import transaction
from connector.models import Listing
from sandbox.allegro import create_app as allegro_app
from sandbox.prom import create_app as prom_app
from tests.marketplaces.conftest import add_account, serve
from tests.marketplaces.test_allegro_adapter import CLIENT_ID, CLIENT_SECRET, pair
from tests.marketplaces.test_allegro_adapter import Sandbox as AllegroSandbox
from workers.marketplace_drift import drift_channel
from workers.stock_push import push_channel


def listing(engine, channel_id: int) -> Listing:
    with transaction(engine) as session:
        row = session.scalar(select(Listing).where(Listing.channel_id == channel_id))
        session.expunge(row)
        return row


def count(engine, sku: str, units: int) -> None:
    with transaction(engine) as session:
        ledger.set_on_hand(session, sku, units, ledger.Cause("count"))


@pytest.fixture
def allegro(env):
    app = allegro_app({"CLIENT_ID": CLIENT_ID, "CLIENT_SECRET": CLIENT_SECRET, "ASYNC_DELAY": 0.01})
    with serve(app) as url:
        yield AllegroSandbox(url, app.extensions["allegro_sandbox"])
    app.extensions["allegro_sandbox"].close()


def test_an_offer_allegro_ended_itself_is_reactivated(engine, redis, allegro):
    ref = allegro.control("/listings", {"items": [{"sku": "KUB", "quantity": 1}]})["created"][0]["ref"]
    channel_id = add_account(engine, "allegro-pl", "allegro", allegro.url,
                             {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, **pair(allegro)},
                             settings={"auth_url": allegro.url}, stock={"KUB": 1})
    with transaction(engine) as session:
        session.add(Listing(channel_id=channel_id, sku="KUB", product_ref=ref, variation_ref="", last_pushed=1))
    allegro.order("KUB")  # the last unit sells on Allegro: the offer ends by itself
    allegro.control("/process")
    count(engine, "KUB", 6)  # meanwhile the warehouse counts six more (the sale is not polled yet)
    assert allegro.detail("KUB")["status"] == "ENDED"
    assert drift_channel(channel_id) == "1 of 1 offers re-pushed"
    assert listing(engine, channel_id).state.get("ended") is True
    push_channel(channel_id)
    allegro.control("/process")
    assert allegro.detail("KUB") == {"offer_id": ref, "available": 6, "status": "ACTIVE"}


@pytest.fixture
def prom(env, engine):
    app = prom_app({"TOKEN": "t", "SEED": "demo"})
    with serve(app) as url:
        channel_id = add_account(engine, "prom1", "prom", url + "/api/v1", {"token": "t"}, stock={"NOT-GES-A5": 7})
        with transaction(engine) as session:
            session.add(Listing(channel_id=channel_id, sku="NOT-GES-A5", product_ref="NOT-GES-A5", variation_ref=""))
        push_channel_all(channel_id, redis_figure=7)
        yield url, channel_id
    app.extensions["prom_sandbox"].close()


def push_channel_all(channel_id: int, redis_figure: int) -> None:
    from workers import context
    from workers.queue import mark_dirty

    mark_dirty(context.redis(), [], force={(channel_id, "NOT-GES-A5")})
    push_channel(channel_id)


def cabinet_edit(url: str, units: int) -> None:
    """The seller types a figure into Prom's cabinet (the sandbox's listings control)."""
    requests.post(url + "/__sandbox__/listings", json={"items": [{"sku": "NOT-GES-A5", "quantity": units}]}, timeout=5)


def shows(url: str) -> int:
    return requests.get(url + "/__sandbox__/stock", timeout=5).json()["NOT-GES-A5"]


def test_more_than_the_ledger_is_corrected_at_once(engine, prom):
    url, channel_id = prom
    cabinet_edit(url, 40)
    assert drift_channel(channel_id) == "1 of 7 offers re-pushed"
    push_channel(channel_id)
    assert shows(url) == 7


def test_less_than_the_ledger_is_corrected_only_when_it_lasts(engine, prom):
    url, channel_id = prom
    cabinet_edit(url, 3)
    assert drift_channel(channel_id) == "0 of 7 offers re-pushed"  # maybe a sale we have not polled yet
    assert listing(engine, channel_id).state.get("under_since")
    time.sleep(0.01)
    assert drift_channel(channel_id) == "1 of 7 offers re-pushed"  # still less at the next check: ours again
    push_channel(channel_id)
    assert shows(url) == 7 and not listing(engine, channel_id).state.get("under_since")
    assert drift_channel(channel_id) == "0 of 7 offers re-pushed"
