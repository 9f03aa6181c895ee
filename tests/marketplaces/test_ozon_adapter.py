"""Ozon through its adapter against ``sandbox/ozon`` over real HTTP, with the real Redis (rate gates) and database.

Polls feed the inbox from the unfulfilled list plus the changed-status list (duplicates stored once, a
cancelled posting found after it left the unfulfilled list, a missed change found by the sweep); pushes
answer per pair (accepted, TOO_MANY_REQUESTS -> retry_in, refused, held back inside the pair interval) and
Ozon's present = our figure + its reservation; 429s block the right gate for every worker; status goes
back after reading the posting (ship once, cancel with reason 352/402, rFBS moves, FBS moves refused).
"""

from __future__ import annotations

import json
import time
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pytest
import requests
from sqlalchemy import select

from connector.clients import ozon as ozon_client
from connector.db import transaction
from connector.errors import (
    AuthError,
    NotFound,
    PermanentError,
    RateLimited,
    TransientError,
    UnsupportedOperation,
)
from connector.marketplaces import StatusChange, StockPush
from connector.models import InboxEvent
from sandbox.ozon import create_app
from tests.marketplaces.conftest import adapter_client, add_account, poll_context, serve

CLIENT_ID, API_KEY = "123456", "test-api-key"
WAREHOUSE = 22142605386000


class Ozon:
    """One sandbox served over HTTP, its controls, and an account talking to it."""

    def __init__(self, url: str, app, engine, env):
        self.url, self.app, self.engine, self.env = url, app, engine, env

    def control(self, path: str, body: dict | None = None, method: str = "POST"):
        response = requests.request(method, f"{self.url}/__sandbox__/{path}", json=body, timeout=10)
        assert response.status_code < 300, response.text
        return response.json()

    def listings(self, *skus: str, quantity: int = 10, **extra) -> list[dict]:
        return self.control("listings", {"items": [{"sku": s, "quantity": quantity, **extra} for s in skus]})["created"]

    def checkout(self, *lines: tuple[str, int], **extra) -> str:
        answer = self.control("orders", {"lines": [{"sku": s, "quantity": q} for s, q in lines], **extra})
        return answer["_id"]

    def stock(self) -> dict:
        return self.control("stock", method="GET")

    def calls(self, path: str) -> int:
        return sum(1 for call in self.control("calls", method="GET") if call["path"] == path)

    def posting(self, number: str) -> dict:
        return next(o for o in self.control("orders", method="GET")["orders"] if o["posting_number"] == number)

    def account(self, name: str = "ozon-main", *, api_key: str = API_KEY, stock: dict | None = None, **settings):
        channel_id = add_account(self.engine, name, "ozon", self.url, {"client_id": CLIENT_ID, "api_key": api_key},
                                 settings, stock)
        adapter, client = adapter_client(self.engine, self.env["redis_url"], channel_id)
        return channel_id, adapter, client


@pytest.fixture
def sandbox(env, engine):
    app = create_app({"CLIENT_ID": CLIENT_ID, "API_KEY": API_KEY, "PAIR_INTERVAL": 30})
    with serve(app) as url:
        yield Ozon(url, app, engine, env)
    app.extensions["ozon_sandbox"].close()


def inbox_bodies(engine, channel_id: int) -> list[dict]:
    with transaction(engine) as session:
        rows = session.scalars(select(InboxEvent).where(InboxEvent.channel_id == channel_id).order_by(InboxEvent.id))
        return [json.loads(row.body) for row in rows]


# ---- connect and offers

def test_connect_names_the_first_fbs_warehouse(sandbox):
    said = []
    _, adapter, client = sandbox.account()
    assert adapter.connect(client, SimpleNamespace(name="ozon-main"), said.append) is None
    assert str(WAREHOUSE) in said[0] and "warehouse_id" in said[0] and "accepted" in said[-1]


def test_connect_refuses_a_warehouse_of_another_account(sandbox):
    _, adapter, client = sandbox.account(warehouse_id=999)
    with pytest.raises(PermanentError, match="warehouse_id 999 is not a warehouse"):
        adapter.connect(client, SimpleNamespace(name="ozon-main"), print)


def test_wrong_api_key_is_an_auth_error_naming_the_credential(sandbox):
    _, adapter, client = sandbox.account(api_key="wrong-key")
    with pytest.raises(AuthError) as caught:
        adapter.connect(client, SimpleNamespace(name="ozon-main"), print)
    message = str(caught.value)
    assert caught.value.status == 403 and "credential api_key" in message and "wrong-key" not in message
    channel_id, adapter, client = sandbox.account("ozon-empty", api_key="")
    with pytest.raises(AuthError, match=r"api_key \(header Api-Key\) is empty"):
        adapter.poll(client, poll_context(sandbox.engine, channel_id))


def test_offers_page_through_the_product_list(sandbox, monkeypatch):
    monkeypatch.setattr(ozon_client, "PAGE", 2)
    sandbox.listings("KUB-ZOLC-330", "SWI-LAKA-180", "NOT-GES-A5")
    _, adapter, client = sandbox.account()
    offers = list(adapter.offers(client))
    assert [(o.ref, o.sku, o.location) for o in offers] == [
        (sku, sku, str(WAREHOUSE)) for sku in ("KUB-ZOLC-330", "SWI-LAKA-180", "NOT-GES-A5")]
    assert sandbox.calls("/v3/product/list") == 2


# ---- poll and sweep

def test_poll_feeds_unfulfilled_postings_once(sandbox, monkeypatch):
    monkeypatch.setattr(ozon_client, "PAGE", 1)
    sandbox.listings("KUB-ZOLC-330", "TOR-ZDZB")
    first = sandbox.checkout(("KUB-ZOLC-330", 2))
    second = sandbox.checkout(("TOR-ZDZB", 1))
    channel_id, adapter, client = sandbox.account()
    ctx = poll_context(sandbox.engine, channel_id)
    adapter.poll(client, ctx)
    assert ctx.stored == 2 and "changed" in ctx.checkpoint
    assert sandbox.calls("/v3/posting/fbs/unfulfilled/list") == 2  # offset paging up to count
    sandbox.control("duplicate", {"count": 4})
    again = poll_context(sandbox.engine, channel_id, ctx.checkpoint)
    adapter.poll(client, again)
    assert again.stored == 0 and again.seen >= 4
    bodies = inbox_bodies(sandbox.engine, channel_id)
    assert {b["posting_number"] for b in bodies} == {first, second}
    canon, payment = adapter.order(bodies[0], None)
    assert (canon.external_id, canon.status, payment) == (first, "paid", "paid")
    assert [(l.sku, l.product_ref, l.variation_ref, l.quantity) for l in canon.lines] == [
        ("KUB-ZOLC-330", "KUB-ZOLC-330", str(WAREHOUSE), 2)]


def test_cancelled_posting_is_found_by_the_changed_list(sandbox):
    sandbox.listings("KUB-ZOLC-330")
    number = sandbox.checkout(("KUB-ZOLC-330", 1))
    channel_id, adapter, client = sandbox.account()
    ctx = poll_context(sandbox.engine, channel_id)
    adapter.poll(client, ctx)
    sandbox.control(f"orders/{number}/event", {"action": "buyer_cancel"})
    later = poll_context(sandbox.engine, channel_id, ctx.checkpoint)
    adapter.poll(client, later)
    assert later.stored == 1
    cancelled = inbox_bodies(sandbox.engine, channel_id)[-1]
    assert adapter.order(cancelled, None)[0].status == "cancelled"


def test_sweep_recovers_a_change_the_poll_missed(sandbox):
    sandbox.listings("KUB-ZOLC-330")
    channel_id, adapter, client = sandbox.account()
    number = sandbox.checkout(("KUB-ZOLC-330", 1))
    adapter.poll(client, poll_context(sandbox.engine, channel_id))
    adapter.send(client, number, StatusChange("packed"))
    sandbox.control(f"orders/{number}/event", {"action": "deliver"})
    skewed = (datetime.now(timezone.utc).replace(tzinfo=None) + timedelta(hours=1)).isoformat()
    missed = poll_context(sandbox.engine, channel_id, {"changed": skewed})  # a clock ahead of Ozon's
    adapter.poll(client, missed)
    assert missed.stored == 0
    sweep = poll_context(sandbox.engine, channel_id)
    adapter.sweep(client, sweep)
    assert sweep.stored == 1 and sweep.seen == 1
    assert adapter.order(inbox_bodies(sandbox.engine, channel_id)[-1], None)[0].status == "delivered"


def test_sweep_leaves_out_postings_older_than_the_account(sandbox):
    sandbox.listings("KUB-ZOLC-330")
    old = (datetime.now(timezone.utc) - timedelta(days=10)).strftime("%Y-%m-%dT%H:%M:%SZ")
    sandbox.checkout(("KUB-ZOLC-330", 1), in_process_at=old)
    channel_id, adapter, client = sandbox.account()
    sweep = poll_context(sandbox.engine, channel_id)
    adapter.sweep(client, sweep)
    assert sweep.seen == 0
    poll = poll_context(sandbox.engine, channel_id)
    adapter.poll(client, poll)  # still open: the unfulfilled list has it
    assert poll.stored == 1


# ---- stock

def push_for(sku: str, figure: int, state: dict | None = None, listing_id: int = 1, location: str = str(WAREHOUSE)):
    return StockPush(listing_id, sku, sku, location, figure, state or {})


def test_push_accepted_then_throttled_then_held_back(sandbox):
    sandbox.listings("KUB-ZOLC-330")
    _, adapter, client = sandbox.account()
    [accepted] = adapter.push(client, [push_for("KUB-ZOLC-330", 7)])
    assert accepted.accepted and "sent_at" in accepted.state
    assert sandbox.stock()["KUB-ZOLC-330"] == 7
    [throttled] = adapter.push(client, [push_for("KUB-ZOLC-330", 6)])  # state lost: Ozon says TOO_MANY_REQUESTS
    assert throttled.retry_in == 30 and not throttled.error
    calls = sandbox.calls("/v2/products/stocks")
    [held] = adapter.push(client, [push_for("KUB-ZOLC-330", 6, accepted.state)])
    assert 25 < held.retry_in <= 30 and sandbox.calls("/v2/products/stocks") == calls
    assert sandbox.stock()["KUB-ZOLC-330"] == 7


def test_push_unknown_offer_is_refused_in_plain_words(sandbox):
    sandbox.listings("KUB-ZOLC-330")
    _, adapter, client = sandbox.account()
    results = adapter.push(client, [push_for("KUB-ZOLC-330", 3, listing_id=1), push_for("NO-SUCH", 3, listing_id=2)])
    by_id = {r.listing_id: r for r in results}
    assert by_id[1].accepted
    assert "NO-SUCH" in by_id[2].error and "NOT_FOUND" in by_id[2].error and by_id[2].retry_in is None


def test_push_batches_of_a_hundred_pairs_at_the_account_warehouse(sandbox):
    skus = [f"SKU-{n:03d}" for n in range(150)]
    sandbox.listings(*skus, quantity=1)
    _, adapter, client = sandbox.account()
    results = adapter.push(client, [push_for(s, 4, listing_id=n, location="") for n, s in enumerate(skus)])
    assert len(results) == 150 and all(r.accepted for r in results)
    assert sandbox.calls("/v2/products/stocks") == 2 and sandbox.calls("/v1/warehouse/list") == 1
    assert sandbox.stock()["SKU-149"] == 4


def test_present_is_our_figure_plus_ozons_reservation(sandbox):
    """Pitfall 12: Ozon's order is reserved in our ledger AND by Ozon; the figure we send excludes it once."""
    from connector import ledger
    from workers.ingest import drain_inbox
    from workers.stock_push import push_channel

    sandbox.listings("KUB-ZOLC-330", quantity=10)
    number = sandbox.checkout(("KUB-ZOLC-330", 2))
    channel_id, adapter, client = sandbox.account(stock={"KUB-ZOLC-330": 10})
    adapter.poll(client, poll_context(sandbox.engine, channel_id))
    drain_inbox(channel_id)
    with transaction(sandbox.engine) as session:
        assert ledger.levels(session, "KUB-ZOLC-330")[:2] == (10, 2)
    push_channel(channel_id)
    detail = sandbox.stock()["_detail"]["KUB-ZOLC-330"]
    assert (detail["present"], detail["reserved"], sandbox.stock()["KUB-ZOLC-330"]) == (10, 2, 8)
    assert sandbox.posting(number)["holds_reserve"]


def test_per_minute_429_blocks_stock_updates_not_the_account(sandbox, redis):
    sandbox.listings("KUB-ZOLC-330", "TOR-ZDZB")
    sandbox.control("rate", {"limit": 1, "window": 60, "path": "/v2/products/stocks"})
    channel_id, adapter, client = sandbox.account()
    assert adapter.push(client, [push_for("KUB-ZOLC-330", 3)])[0].accepted
    with pytest.raises(RateLimited, match="per minute"):
        adapter.push(client, [push_for("TOR-ZDZB", 3)])
    assert client.stock_gate.blocked_for() > 50
    calls = sandbox.calls("/v2/products/stocks")
    with pytest.raises(RateLimited):
        adapter.push(client, [push_for("TOR-ZDZB", 3)])
    assert sandbox.calls("/v2/products/stocks") == calls  # the gate refused before sending
    adapter.poll(client, poll_context(sandbox.engine, channel_id))  # other methods still go


def test_per_second_429_blocks_the_account(sandbox):
    channel_id, adapter, client = sandbox.account()
    sandbox.control("fail", {"status": 429, "count": 1, "path": "/v3/posting/fbs/list"})
    with pytest.raises(RateLimited, match="per second") as caught:
        adapter.poll(client, poll_context(sandbox.engine, channel_id))
    assert 0 < client.http.gate.blocked_for() <= 2 and caught.value.retry_after
    _, other_worker = adapter_client(sandbox.engine, sandbox.env["redis_url"], channel_id)
    remaining, started = other_worker.http.gate.blocked_for(), time.monotonic()
    adapter.poll(other_worker, poll_context(sandbox.engine, channel_id))  # waits the 2 s block out, then goes
    assert time.monotonic() - started >= remaining - 0.05


def test_per_second_429_on_a_stock_update_blocks_the_account_briefly(sandbox):
    sandbox.listings("KUB-ZOLC-330")
    _, adapter, client = sandbox.account()
    sandbox.control("fail", {"status": 429, "count": 1, "path": "/v2/products/stocks"})
    with pytest.raises(RateLimited, match="per second"):
        adapter.push(client, [push_for("KUB-ZOLC-330", 3)])
    assert 0 < client.http.gate.blocked_for() <= 2 and 0 < client.stock_gate.blocked_for() <= 2


def test_server_errors_are_transient_and_unknown_postings_not_found(sandbox):
    _, adapter, client = sandbox.account()
    sandbox.control("fail", {"status": 503, "count": 1, "path": "/v3/posting/fbs/get"})
    with pytest.raises(TransientError):
        adapter.send(client, "00000000-0000-1", StatusChange("packed"))
    with pytest.raises(NotFound):
        adapter.send(client, "00000000-0000-1", StatusChange("packed"))


# ---- status back

def test_send_packed_ships_one_package_once(sandbox):
    sandbox.listings("KUB-ZOLC-330", "TOR-ZDZB")
    number = sandbox.checkout(("KUB-ZOLC-330", 2), ("TOR-ZDZB", 1))
    _, adapter, client = sandbox.account()
    assert adapter.send(client, number, StatusChange("packed", tracking_number="X1", carrier="cdek")) \
        == "/v4/posting/fbs/ship"
    assert sandbox.posting(number)["status"] == "awaiting_deliver"
    assert adapter.send(client, number, StatusChange("packed")) == "already awaiting_deliver"
    paths = [call["path"] for call in sandbox.posting(number)["calls"]]
    assert paths.count("/v4/posting/fbs/ship") == 1 and "/v2/fbs/posting/tracking-number/set" not in paths


def test_send_cancelled_out_of_stock_uses_reason_352(sandbox):
    sandbox.listings("KUB-ZOLC-330")
    number = sandbox.checkout(("KUB-ZOLC-330", 1))
    _, adapter, client = sandbox.account()
    assert "352" in adapter.send(client, number, StatusChange("cancelled", reason="out_of_stock"))
    assert client.posting(number)["cancellation"]["cancel_reason_id"] == 352
    assert sandbox.stock()["_detail"]["KUB-ZOLC-330"]["reserved"] == 0
    assert adapter.send(client, number, StatusChange("cancelled", reason="out_of_stock")) == "already cancelled"


def test_send_cancelled_other_and_too_late(sandbox):
    sandbox.listings("KUB-ZOLC-330", "TOR-ZDZB")
    number = sandbox.checkout(("KUB-ZOLC-330", 1))
    _, adapter, client = sandbox.account()
    assert "402" in adapter.send(client, number, StatusChange("cancelled", reason="other"))
    late = sandbox.checkout(("TOR-ZDZB", 1))
    adapter.send(client, late, StatusChange("packed"))
    sandbox.control(f"orders/{late}/event", {"action": "handover"})
    with pytest.raises(PermanentError, match="reasons offered: none"):
        adapter.send(client, late, StatusChange("cancelled", reason="out_of_stock"))


def test_shipped_and_confirmed_fbs_are_not_ozons_to_take(sandbox):
    from workers.marketplace_status import perform

    sandbox.listings("KUB-ZOLC-330")
    number = sandbox.checkout(("KUB-ZOLC-330", 1))
    _, adapter, client = sandbox.account()
    with pytest.raises(UnsupportedOperation, match="Ozon moves FBS postings itself"):
        adapter.send(client, number, StatusChange("shipped", tracking_number="T1"))
    assert perform((adapter, client), number, {"target": "delivered"}).startswith("not sent: Ozon moves FBS")
    with pytest.raises(UnsupportedOperation):
        adapter.send(client, number, StatusChange("confirmed"))
    assert sandbox.posting(number)["status"] == "awaiting_packaging"


def test_rfbs_posting_walks_pack_tracking_delivering_delivered(sandbox):
    sandbox.listings("KUB-ZOLC-330", rfbs=True)
    number = sandbox.checkout(("KUB-ZOLC-330", 1), rfbs=True)
    _, adapter, client = sandbox.account(warehouse_id=WAREHOUSE + 1)
    done = adapter.send(client, number, StatusChange("packed", tracking_number="RR123456785RU", carrier="cdek"))
    assert done == "/v4/posting/fbs/ship, /v2/fbs/posting/tracking-number/set"
    assert sandbox.posting(number)["tracking_number"] == "RR123456785RU"
    assert adapter.send(client, number, StatusChange("packed", tracking_number="RR123456785RU")).startswith("already")
    assert adapter.send(client, number, StatusChange("shipped")) == "/v2/fbs/posting/delivering"
    assert adapter.send(client, number, StatusChange("delivered")) == "/v2/fbs/posting/delivered"
    assert adapter.send(client, number, StatusChange("delivered")) == "already delivered"
    assert sandbox.posting(number)["status"] == "delivered"


def test_packing_a_posting_in_arbitration_is_refused(sandbox):
    sandbox.listings("KUB-ZOLC-330")
    number = sandbox.checkout(("KUB-ZOLC-330", 1))
    sandbox.control(f"orders/{number}/event", {"action": "arbitration"})
    _, adapter, client = sandbox.account()
    with pytest.raises(PermanentError, match="arbitration"):
        adapter.send(client, number, StatusChange("packed"))
