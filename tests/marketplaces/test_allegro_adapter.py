"""The Allegro adapter against ``sandbox/allegro`` over real HTTP, with the real Redis (rate gate, token lock)
and database (inbox, credentials) of the ``env`` fixture: device flow, token rotation, the journal poll and
the sweep, stock commands, the shared rate gate, fulfillment and waybills back."""

from __future__ import annotations

import json
import re
import threading
import time
from datetime import timedelta

import pytest
import requests
from marshmallow import ValidationError
from sqlalchemy import select

from connector.clients.allegro import Conflict
from connector.db import transaction
from connector.errors import AuthError, PermanentError, RateLimited, TransientError, UnsupportedOperation
from connector.marketplaces import StatusChange, StockPush
from connector.models import Channel, InboxEvent, utcnow
from connector.tokens import ReconnectNeeded, store_grant
from sandbox.allegro import create_app
from tests.marketplaces.conftest import adapter_client, add_account, poll_context, serve
from workers.marketplaces import allegro as adapter_module

CLIENT_ID, CLIENT_SECRET = "test-client", "test-secret"
SKUS = ("MUG-ZOLTY", "SVECHKA-01", "LYZKA-02")


@pytest.fixture
def sandbox():
    app = create_app({"CLIENT_ID": CLIENT_ID, "CLIENT_SECRET": CLIENT_SECRET, "ACCESS_TTL": 3600,
                      "DEVICE_INTERVAL": 0.2, "ASYNC_DELAY": 0.05, "HANG_SECONDS": 0.2})
    with serve(app) as url:
        yield Sandbox(url, app.extensions["allegro_sandbox"])
    app.extensions["allegro_sandbox"].close()


class Sandbox:
    """The sandbox's control endpoints (plain requests: not our client)."""

    def __init__(self, url: str, state):
        self.url, self.state = url, state

    def control(self, path: str, body: dict | None = None, method: str = "POST"):
        response = requests.request(method, f"{self.url}/__sandbox__{path}", json=body, timeout=10)
        assert response.status_code < 300, response.text
        return response.json()

    def listings(self, quantity: int = 5) -> dict[str, str]:
        created = self.control("/listings", {"items": [{"sku": s, "quantity": quantity} for s in SKUS]})["created"]
        return {item["sku"]: item["ref"] for item in created}

    def order(self, sku: str = SKUS[0], payment: str = "online", quantity: int = 1) -> str:
        return self.control("/orders", {"lines": [{"sku": sku, "quantity": quantity}], "payment": payment})["_id"]

    def all_calls(self) -> list[dict]:
        answer = self.control("/calls", method="GET")
        return answer["calls"] if isinstance(answer, dict) else answer  # common.md: a list; the manual: {"calls"}

    def calls(self, method: str, prefix: str) -> list[dict]:
        return [c for c in self.all_calls() if c["method"] == method and c["path"].startswith(prefix)]

    def detail(self, sku: str) -> dict:
        return self.control("/stock", method="GET")["_detail"][sku]

    def form(self, form_id: str) -> dict:
        return next(o for o in self.control("/orders", method="GET")["orders"] if o["id"] == form_id)


def pair(sandbox: Sandbox, expires_in: int = 3600) -> dict:
    grant = sandbox.control("/oauth/issue")
    return {"access_token": grant["access_token"], "refresh_token": grant["refresh_token"],
            "token_expires_at": (utcnow() + timedelta(seconds=expires_in)).isoformat()}


def account(engine, sandbox: Sandbox, name: str = "allegro-pl", tokens: bool = True, **creds) -> int:
    credentials = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, **(pair(sandbox) if tokens else {}),
                   **creds}
    return add_account(engine, name, "allegro", sandbox.url, credentials, settings={"auth_url": sandbox.url})


@pytest.fixture
def handle(env, engine, sandbox):
    """(adapter, client, channel id) of a connected account, with short waits."""
    channel_id = account(engine, sandbox)
    adapter, client = adapter_client(engine, env["redis_url"], channel_id)
    client.sleep = lambda seconds: time.sleep(min(seconds, 0.1))
    return adapter, client, channel_id


def channel_of(engine, channel_id: int) -> Channel:
    with transaction(engine) as session:
        channel = session.get(Channel, channel_id)
        session.expunge(channel)
        return channel


def inbox(engine, channel_id: int) -> list[InboxEvent]:
    with transaction(engine) as session:
        rows = list(session.scalars(select(InboxEvent).where(InboxEvent.channel_id == channel_id)
                                    .order_by(InboxEvent.id)))
        for row in rows:
            session.expunge(row)
        return rows


# -- connect: the device flow -----------------------------------------------------------------------

def test_connect_device_flow_with_slow_down(env, engine, sandbox):
    channel_id = account(engine, sandbox, tokens=False)
    adapter, client = adapter_client(engine, env["redis_url"], channel_id)
    sandbox.state.config["DEVICE_INTERVAL"] = 0.5  # wide enough that the unslept second poll is too early
    said, slept = [], []

    def sleep(seconds):
        slept.append(seconds)
        if len(slept) == 3:  # the seller clicks "Pozwól" while we wait out the slow_down
            code = re.search(r"code ([A-Z0-9]{8})", said[0]).group(1)
            sandbox.control("/oauth/approve", {"user_code": code})
            time.sleep(0.55)
    client.sleep = sleep
    grant = adapter.connect(client, channel_of(engine, channel_id), said.append)
    assert f"{sandbox.url}/skojarz-aplikacje?code=" in said[0]
    assert slept == [0.5, 0.5, 5.5]  # pending, slow_down (+5 s), approved
    assert grant.access_token and grant.refresh_token and grant.expires_in == 3600
    with transaction(engine) as session:
        store_grant(session, session.get(Channel, channel_id), grant)
    assert client.latest_event_id()  # the first pair works
    [call] = [c for c in sandbox.calls("POST", "/auth/oauth/device")]
    assert call["status"] == 200


def test_connect_refused_by_the_seller_or_with_a_wrong_secret(env, engine, sandbox):
    channel_id = account(engine, sandbox, tokens=False)
    adapter, client = adapter_client(engine, env["redis_url"], channel_id)
    said = []

    def deny(seconds):
        code = re.search(r"code ([A-Z0-9]{8})", said[0]).group(1)
        requests.post(f"{sandbox.url}/skojarz-aplikacje", data={"code": code, "decision": "deny"}, timeout=5)
    client.sleep = deny
    with pytest.raises(AuthError, match="refused the application"):
        adapter.connect(client, channel_of(engine, channel_id), said.append)
    bad_id = account(engine, sandbox, name="allegro-bad", tokens=False, client_secret="wrong")
    adapter, bad = adapter_client(engine, env["redis_url"], bad_id)
    with pytest.raises(AuthError, match="invalid_client"):
        adapter.connect(bad, channel_of(engine, bad_id), said.append)


def test_connect_code_expires(env, engine):
    app = create_app({"CLIENT_ID": CLIENT_ID, "CLIENT_SECRET": CLIENT_SECRET, "DEVICE_TTL": 0.3,
                      "DEVICE_INTERVAL": 0.1})
    with serve(app) as url:
        channel_id = account(engine, Sandbox(url, None), tokens=False)
        adapter, client = adapter_client(engine, env["redis_url"], channel_id)
        client.sleep = lambda seconds: time.sleep(0.2)
        with pytest.raises(PermanentError, match="stockbridge channel connect allegro-pl"):
            adapter.connect(client, channel_of(engine, channel_id), lambda text: None)
    app.extensions["allegro_sandbox"].close()


# -- tokens ---------------------------------------------------------------------------------------

def test_concurrent_refresh_of_an_expired_token_rotates_once(env, engine, sandbox):
    channel_id = account(engine, sandbox, token_expires_at=(utcnow() - timedelta(minutes=5)).isoformat())
    sandbox.control("/oauth/expire")
    clients = [adapter_client(engine, env["redis_url"], channel_id)[1] for _ in range(8)]
    tokens, errors, barrier = [], [], threading.Barrier(len(clients))

    def work(client):
        barrier.wait()
        try:
            tokens.append(client.tokens.access_token())
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
    threads = [threading.Thread(target=work, args=(c,)) for c in clients]
    [t.start() for t in threads]
    [t.join(30) for t in threads]
    assert not errors and len(tokens) == 8 and len(set(tokens)) == 1
    assert len(sandbox.calls("POST", "/auth/oauth/token")) == 1
    assert clients[3].latest_event_id()  # the one new token works for everyone
    stored = channel_of(engine, channel_id).credentials
    assert stored["access_token"] == tokens[0] and utcnow().isoformat() < stored["token_expires_at"]


def test_a_refused_token_is_refreshed_once_and_the_call_retried(handle, sandbox):
    _, client, _ = handle
    sandbox.control("/oauth/expire")  # our stored expiry still says "fresh"
    assert client.latest_event_id()
    statuses = [c["status"] for c in sandbox.calls("GET", "/order/event-stats")]
    assert statuses == [401, 200] and len(sandbox.calls("POST", "/auth/oauth/token")) == 1


def test_a_rotated_out_refresh_token_asks_for_reconnect(env, engine, sandbox):
    old = pair(sandbox)
    requests.post(f"{sandbox.url}/auth/oauth/token", auth=(CLIENT_ID, CLIENT_SECRET), timeout=5,
                  data={"grant_type": "refresh_token", "refresh_token": old["refresh_token"]})  # someone rotated it
    channel_id = account(engine, sandbox, **{**old, "token_expires_at": utcnow().isoformat()})
    _, client = adapter_client(engine, env["redis_url"], channel_id)
    with pytest.raises(ReconnectNeeded, match="run `stockbridge channel connect allegro-pl`"):
        client.latest_event_id()


# -- orders: the journal and the sweep --------------------------------------------------------------

def test_poll_starts_at_the_newest_event_and_feeds_each_event_once(handle, engine, sandbox):
    adapter, client, channel_id = handle
    sandbox.listings()
    before = sandbox.order()  # placed before the account's first poll: not replayed (pitfall 2)
    ctx = poll_context(engine, channel_id)
    adapter.poll(client, ctx)
    assert ctx.stored == 0 and ctx.checkpoint["from"]
    form_id = sandbox.order()
    adapter.poll(client, ctx)
    assert ctx.stored == 3 and ctx.seen == 3
    rows = inbox(engine, channel_id)
    assert [r.meta["event"] for r in rows] == ["BOUGHT", "FILLED_IN", "READY_FOR_PROCESSING"]
    assert {r.resource_id for r in rows} == {form_id} and before not in {r.resource_id for r in rows}
    assert rows[-1].dedup_key == f"event:{rows[-1].meta['event_id']}" == f"event:{ctx.checkpoint['from']}"
    assert len(sandbox.calls("GET", f"/order/checkout-forms/{form_id}")) == 1  # once per form per poll
    canon, paid = adapter.order(json.loads(rows[-1].body), channel_of(engine, channel_id))
    assert (canon.external_id, canon.status, paid) == (form_id, "paid", "paid")
    assert canon.lines[0].sku == SKUS[0] and canon.lines[0].product_ref == sandbox.detail(SKUS[0])["offer_id"]


def test_duplicates_are_ignored_and_pages_follow(handle, engine, sandbox, monkeypatch):
    adapter, client, channel_id = handle
    monkeypatch.setattr(adapter_module, "EVENTS_PAGE", 2)
    sandbox.listings()
    ctx = poll_context(engine, channel_id)
    adapter.poll(client, ctx)
    sandbox.control("/duplicate", {"count": 5})
    first, second = sandbox.order(), sandbox.order(SKUS[1], payment="cod")
    adapter.poll(client, ctx)
    assert ctx.stored == 6 and ctx.seen == 12
    assert len(sandbox.calls("GET", "/order/events")) >= 4
    assert len(sandbox.calls("GET", f"/order/checkout-forms/{first}")) == 1
    canon, paid = adapter.order(json.loads(inbox(engine, channel_id)[-1].body), channel_of(engine, channel_id))
    assert (canon.external_id, canon.status, paid, canon.payment_method) == (second, "new", "pending", "cod")
    assert canon.cod_amount == canon.total


def test_the_cursor_stays_after_the_last_stored_event(handle, engine, sandbox):
    adapter, client, channel_id = handle
    sandbox.listings()
    ctx = poll_context(engine, channel_id)
    adapter.poll(client, ctx)
    first, second = sandbox.order(), sandbox.order(SKUS[1])
    sandbox.control("/fail", {"status": 500, "count": 1, "path": f"/order/checkout-forms/{second}"})
    with pytest.raises(TransientError):
        adapter.poll(client, ctx)
    assert ctx.stored == 3 and {r.resource_id for r in inbox(engine, channel_id)} == {first}
    adapter.poll(client, ctx)
    assert ctx.stored == 6 and {r.resource_id for r in inbox(engine, channel_id)} == {first, second}


def test_an_unknown_cursor_restarts_at_the_newest_event(handle, engine, sandbox):
    adapter, client, channel_id = handle
    ctx = poll_context(engine, channel_id, {"from": "bm90LWFuLWV2ZW50"})
    with pytest.raises(PermanentError, match="restarted at the newest event"):
        adapter.poll(client, ctx)
    assert ctx.checkpoint["from"] == client.latest_event_id()
    adapter.poll(client, ctx)


def test_sweep_recovers_lost_events_and_a_lost_cancellation(handle, engine, sandbox):
    adapter, client, channel_id = handle
    sandbox.listings()
    ctx = poll_context(engine, channel_id)
    adapter.poll(client, ctx)
    seen = sandbox.order()
    adapter.poll(client, ctx)
    sandbox.control("/lose", {"count": 3})
    lost = sandbox.order(SKUS[1])
    unpaid = sandbox.order(SKUS[2], payment="unpaid")
    adapter.poll(client, ctx)
    assert {r.resource_id for r in inbox(engine, channel_id)} == {seen, unpaid}  # the journal lost one order
    adapter.sweep(client, ctx)
    swept = [r for r in inbox(engine, channel_id) if r.meta.get("via") == "sweep"]
    assert {r.resource_id for r in swept} == {seen, lost, unpaid} and ctx.checkpoint["swept"]
    assert all(r.dedup_key.startswith(f"form:{r.resource_id}:") for r in swept)
    stored = ctx.stored
    adapter.sweep(client, ctx)
    assert ctx.stored == stored  # nothing changed: same revisions, nothing new
    sandbox.control("/lose", {"count": 1})
    sandbox.control(f"/orders/{seen}/event", {"action": "buyer_cancel"})
    adapter.poll(client, ctx)
    assert ctx.stored == stored
    adapter.sweep(client, ctx)  # no longer open, but updated since the last sweep
    latest = [r for r in inbox(engine, channel_id) if r.resource_id == seen][-1]
    assert adapter.order(json.loads(latest.body), channel_of(engine, channel_id))[0].status == "cancelled"


# -- stock ------------------------------------------------------------------------------------------

def pushes_for(refs: dict[str, str], figures: dict[str, int], states: dict[str, dict] | None = None):
    return [StockPush(i + 1, sku, refs.get(sku, sku), "", figure, (states or {}).get(sku, {}))
            for i, (sku, figure) in enumerate(figures.items())]


def test_push_fixed_commands_grouped_by_figure_and_retried_with_the_same_id(handle, sandbox):
    adapter, client, _ = handle
    refs = sandbox.listings()
    pushes = pushes_for(refs, {SKUS[0]: 7, SKUS[1]: 7, SKUS[2]: 3})
    results = adapter.push(client, pushes)
    assert all(r.accepted for r in results) and {r.state["seq"] for r in results} == {1}
    assert [sandbox.detail(s)["available"] for s in SKUS] == [7, 7, 3]
    assert [c["status"] for c in sandbox.calls("PUT", "/sale/offer-quantity-change-commands/")] == [201, 201]
    again = adapter.push(client, pushes)  # the job retries a push whose results were not recorded
    assert all(r.accepted for r in again)
    assert [c["status"] for c in sandbox.calls("PUT", "/sale/offer-quantity-change-commands/")][2:] == [409, 409]
    moved = adapter.push(client, pushes_for(refs, {SKUS[0]: 7}, {SKUS[0]: results[0].state}))
    assert moved[0].accepted and moved[0].state == {"seq": 2}
    assert sandbox.calls("PUT", "/sale/offer-quantity-change-commands/")[-1]["status"] == 201  # a new change


def test_push_reports_offer_not_found_in_plain_words(handle, sandbox):
    adapter, client, _ = handle
    refs = sandbox.listings()
    results = adapter.push(client, pushes_for(refs, {SKUS[0]: 4, "GONE": 4}) +
                           [StockPush(9, "GONE-0", "1234567", "", 0, {})])
    by_id = {r.listing_id: r for r in results}
    assert by_id[1].accepted
    assert "OfferNotFound" in by_id[2].error and "Allegro refused stock 4 for offer GONE" in by_id[2].error
    assert "1234567" in by_id[9].error and not by_id[9].accepted


def test_zero_ends_the_offer_and_stock_reactivates_it(handle, sandbox):
    adapter, client, _ = handle
    refs = sandbox.listings()
    [zero] = adapter.push(client, pushes_for(refs, {SKUS[0]: 0}, {SKUS[0]: {"seq": 3}}))
    assert zero.accepted and zero.state == {"seq": 4, "ended": True}
    assert [c["method"] for c in sandbox.calls("PATCH", "/sale/product-offers/")] == ["PATCH"]
    sandbox.control("/process")
    assert sandbox.detail(SKUS[0]) == {"offer_id": refs[SKUS[0]], "available": 0, "status": "ENDED"}
    [back] = adapter.push(client, pushes_for(refs, {SKUS[0]: 6}, {SKUS[0]: zero.state}))
    assert back.accepted and back.state == {"seq": 5}
    assert sandbox.detail(SKUS[0]) == {"offer_id": refs[SKUS[0]], "available": 6, "status": "ACTIVE"}
    assert [c["status"] for c in sandbox.calls("PUT", "/sale/offer-publication-commands/")] == [201]


def test_a_draft_offer_is_never_published_by_a_push(handle, sandbox):
    adapter, client, _ = handle
    [draft] = sandbox.control("/listings", {"items": [{"sku": "DRAFT-1", "quantity": 0}]})["created"]
    assert draft["status"] == "INACTIVE"
    [zero] = adapter.push(client, [StockPush(1, "DRAFT-1", draft["ref"], "", 0, {})])
    assert zero.accepted and zero.state == {"seq": 1}  # not "ended": nothing to re-activate later
    [three] = adapter.push(client, [StockPush(1, "DRAFT-1", draft["ref"], "", 3, zero.state)])
    assert three.accepted and sandbox.detail("DRAFT-1")["status"] == "INACTIVE"
    assert not sandbox.calls("PUT", "/sale/offer-publication-commands/")


def test_an_unfinished_command_asks_for_a_retry(handle, sandbox):
    adapter, client, _ = handle
    refs = sandbox.listings()
    sandbox.state.config["ASYNC_DELAY"] = 30  # Allegro is slow today
    pushes = pushes_for(refs, {SKUS[0]: 9})
    [later] = adapter.push(client, pushes)
    assert later.retry_in == 3 and later.state is None and not later.accepted
    sandbox.control("/process")
    [done] = adapter.push(client, pushes)  # same logical change: same command id, 409, read its report
    assert done.accepted and sandbox.detail(SKUS[0])["available"] == 9
    assert [c["status"] for c in sandbox.calls("PUT", "/sale/offer-quantity-change-commands/")] == [201, 409]


def test_offers(handle, sandbox):
    adapter, client, _ = handle
    refs = sandbox.listings(quantity=11)
    offers = {o.sku: o for o in adapter.offers(client)}
    assert {sku: (o.ref, o.quantity) for sku, o in offers.items()} == {s: (refs[s], 11) for s in SKUS}


# -- the shared rate gate ---------------------------------------------------------------------------

def test_a_429_blocks_every_account_of_the_client_id(env, engine, redis, handle, sandbox):
    _, client, _ = handle
    sandbox.control("/fail", {"status": 429, "count": 1})
    with pytest.raises(RateLimited):
        client.latest_event_id()
    other_id = account(engine, sandbox, name="allegro-second")
    _, other = adapter_client(engine, env["redis_url"], other_id)
    calls = len(sandbox.all_calls())
    with pytest.raises(RateLimited) as caught:
        other.latest_event_id()
    assert caught.value.retry_after > 50  # the default block: Allegro sends no Retry-After
    assert len(sandbox.all_calls()) == calls  # nothing was sent
    assert 50_000 < redis.pttl(f"sb:budget:allegro:{CLIENT_ID}:block") <= 60_000


def test_the_sandbox_limit_trips_the_gate(handle, sandbox):
    adapter, client, _ = handle
    sandbox.control("/rate", {"limit": 3, "window": 60, "block": 5})
    for _ in range(3):
        client.latest_event_id()
    with pytest.raises(RateLimited):
        client.latest_event_id()
    with pytest.raises(RateLimited):
        list(adapter.offers(client))


# -- status back ------------------------------------------------------------------------------------

def test_send_each_target_once(handle, sandbox):
    adapter, client, _ = handle
    sandbox.listings()
    form_id = sandbox.order()
    assert adapter.send(client, form_id, StatusChange("confirmed")) == "fulfillment PROCESSING"
    assert adapter.send(client, form_id, StatusChange("confirmed")) == "already so"
    packed = StatusChange("packed", tracking_number="680000123456789012345678", carrier="inpost")
    assert adapter.send(client, form_id, packed) == "waybill added (INPOST), fulfillment READY_FOR_SHIPMENT"
    assert adapter.send(client, form_id, packed) == "already so"
    assert adapter.send(client, form_id, StatusChange("confirmed")) == "already so"  # never backwards
    assert adapter.send(client, form_id, StatusChange("shipped")) == "fulfillment SENT"
    with pytest.raises(UnsupportedOperation):
        adapter.send(client, form_id, StatusChange("cancelled", reason="other"))
    assert adapter.send(client, form_id, StatusChange("delivered")) == "fulfillment PICKED_UP"
    state = sandbox.form(form_id)
    assert state["fulfillment"] == "PICKED_UP"
    assert state["tracking"] == [{"carrierId": "INPOST", "waybill": packed.tracking_number, "carrierName": None}]


def test_send_cancel_and_other_carriers(handle, sandbox):
    adapter, client, _ = handle
    sandbox.listings()
    cancelled, other, by_buyer = sandbox.order(), sandbox.order(SKUS[1]), sandbox.order(SKUS[2])
    assert adapter.send(client, cancelled, StatusChange("cancelled", reason="out_of_stock")) == "fulfillment CANCELLED"
    assert adapter.send(client, cancelled, StatusChange("cancelled", reason="out_of_stock")) == "already so"
    shipped = StatusChange("shipped", tracking_number="20450000123456", carrier="novaposhta")
    assert adapter.send(client, other, shipped) == "waybill added (OTHER), fulfillment SENT"
    assert sandbox.form(other)["tracking"] == [{"carrierId": "OTHER", "waybill": "20450000123456",
                                                "carrierName": "novaposhta"}]
    sandbox.control(f"/orders/{by_buyer}/event", {"action": "buyer_cancel"})
    assert adapter.send(client, by_buyer, StatusChange("confirmed")) == "already so"
    with pytest.raises(UnsupportedOperation):
        adapter.send(client, by_buyer, StatusChange("returned"))


def test_send_retries_once_on_a_stale_revision(handle, sandbox):
    adapter, client, _ = handle
    sandbox.listings()
    form_id = sandbox.order()
    read = client.checkout_form

    def read_then_change(form):
        body = read(form)
        if not hasattr(read_then_change, "done"):
            read_then_change.done = True  # the buyer's bank confirms again meanwhile: a new revision
            sandbox.control(f"/orders/{form_id}/event", {"action": "pay"})
        return body
    client.checkout_form = read_then_change
    assert adapter.send(client, form_id, StatusChange("confirmed")) == "fulfillment PROCESSING"
    statuses = [c["status"] for c in sandbox.calls("PUT", f"/order/checkout-forms/{form_id}/fulfillment")]
    assert statuses == [409, 204] and sandbox.form(form_id)["fulfillment"] == "PROCESSING"


def test_a_second_stale_revision_is_raised(handle, sandbox):
    adapter, client, _ = handle
    sandbox.listings()
    form_id = sandbox.order()
    read = client.checkout_form

    def always_stale(form):
        body = read(form)
        sandbox.control(f"/orders/{form_id}/event", {"action": "pay"})
        return body
    client.checkout_form = always_stale
    with pytest.raises(Conflict):
        adapter.send(client, form_id, StatusChange("confirmed"))


# -- through the generic jobs -----------------------------------------------------------------------

def test_a_journal_event_without_a_form_is_parked_not_blocking(handle, engine):
    adapter, _, channel_id = handle

    class Journal:  # an anomaly the sandbox cannot produce: an event naming no checkout form
        def events(self, after, limit):
            return [{"id": "MTAwMQ", "type": "BOUGHT", "order": {}}] if after == "MTAwMA" else []

    ctx = poll_context(engine, channel_id, {"from": "MTAwMA"})
    adapter.poll(Journal(), ctx)
    assert ctx.checkpoint["from"] == "MTAwMQ" and ctx.stored == 1
    with pytest.raises(ValidationError):  # the ingest parks it as failed, for an operator
        adapter.order(json.loads(inbox(engine, channel_id)[0].body), channel_of(engine, channel_id))


def test_poll_and_push_jobs_drive_the_adapter(env, engine, redis, sandbox):
    from connector import ledger
    from connector.models import Checkpoint, Listing
    from workers.marketplace_poll import poll_channel
    from workers.stock_push import push_channel
    from workers.queue import mark_dirty

    refs = sandbox.listings()
    channel_id = account(engine, sandbox)
    with transaction(engine) as session:
        ledger.set_on_hand(session, SKUS[0], 8, ledger.Cause("count"))
        session.add(Listing(channel_id=channel_id, sku=SKUS[0], product_ref=refs[SKUS[0]], variation_ref=""))
    assert "0 new order states" in poll_channel(channel_id)
    sandbox.order(SKUS[1])
    assert poll_channel(channel_id).startswith("3 new order states")
    assert poll_channel(channel_id, sweep=True).startswith("1 new order states")
    with transaction(engine) as session:
        saved = session.scalar(select(Checkpoint).where(Checkpoint.channel_id == channel_id)).value
    assert saved["from"] and saved["swept"]

    def push(on_hand: int) -> dict:
        with transaction(engine) as session:
            ledger.set_on_hand(session, SKUS[0], on_hand, ledger.Cause("count"))
        mark_dirty(redis, [(channel_id, SKUS[0])])
        push_channel(channel_id)
        sandbox.control("/process")
        with transaction(engine) as session:
            listing = session.scalar(select(Listing).where(Listing.channel_id == channel_id))
            return {"pushed": listing.last_pushed, "state": listing.state, "error": listing.push_error,
                    **sandbox.detail(SKUS[0])}
    assert push(8) == {"pushed": 8, "state": {"seq": 1}, "error": None, "offer_id": refs[SKUS[0]],
                       "available": 8, "status": "ACTIVE"}
    assert push(0) == {"pushed": 0, "state": {"seq": 2, "ended": True}, "error": None, "offer_id": refs[SKUS[0]],
                       "available": 0, "status": "ENDED"}
    assert push(4) == {"pushed": 4, "state": {"seq": 3}, "error": None, "offer_id": refs[SKUS[0]],
                       "available": 4, "status": "ACTIVE"}
