"""The Rozetka adapter against ``sandbox/rozetka`` over real HTTP, with the real Redis (rate gate, token lock)
and database (inbox, account credentials), built exactly as the workers build it."""

from __future__ import annotations

import json
import threading
from types import SimpleNamespace
from urllib.parse import parse_qs

import pytest
import requests
from sqlalchemy import select

from connector.db import transaction
from connector.errors import AuthError, NotFound, PermanentError, RateLimited, TransientError
from connector.marketplaces import StatusChange, StockPush
from connector.models import Channel, InboxEvent
from connector.tokens import Grant, store_grant
from mappers import rozetka
from sandbox.rozetka import create_app
from tests.marketplaces.conftest import adapter_client, add_account, poll_context, serve
from workers import marketplace_status
from workers.marketplaces.rozetka import OVERLAP

USER, PASSWORD, STATIC = "продавець-ґ", "пароль-Zażółć-1", "static-api-token-0123456789"
TTN = "20450000000000"
PACKED = StatusChange("packed", TTN, "novaposhta")


class Sandbox:
    """The control side of a served Rozetka sandbox."""

    def __init__(self, url: str):
        self.url = url

    def control(self, method: str, path: str, body: dict | None = None):
        response = requests.request(method, f"{self.url}/__sandbox__{path}", json=body, timeout=10)
        assert response.status_code < 300, response.text
        return response.json()

    def listings(self, stock: dict[str, int]) -> dict[str, str]:
        items = [{"sku": sku, "quantity": qty, "name": f"Товар «{sku}» – Zażółć", "price": "19.99"}
                 for sku, qty in stock.items()]
        return {row["sku"]: str(row["ref"]) for row in self.control("POST", "/listings", {"items": items})["created"]}

    def checkout(self, lines: dict[str, int], payment: str = "cod") -> dict:
        return self.control("POST", "/orders", {"lines": [{"sku": s, "quantity": q} for s, q in lines.items()],
                                                "payment": payment})

    def order(self, order_id: int) -> dict:
        return next(o for o in self.control("GET", "/orders")["orders"] if o["id"] == order_id)

    def calls(self, method: str | None = None, path: str | None = None) -> list[dict]:
        return [c for c in self.control("GET", "/calls")["calls"]
                if (method is None or c["method"] == method) and (path is None or c["path"] == path)]

    def logins(self) -> int:
        return len(self.calls("POST", "/sites"))


@pytest.fixture
def sandbox():
    app = create_app({"USERNAME": USER, "PASSWORD": PASSWORD, "API_TOKEN": STATIC, "HANG_SECONDS": 0.3})
    with serve(app) as url:
        yield Sandbox(url)
    app.extensions["rozetka_sandbox"].close()


def account(engine, sandbox: Sandbox, **credentials) -> int:
    return add_account(engine, "rozetka-ua", "rozetka", sandbox.url,
                       credentials or {"username": USER, "password": PASSWORD})


def handle(env, engine, channel_id: int):
    return adapter_client(engine, env["redis_url"], channel_id)


def credentials(engine, channel_id: int) -> dict:
    with transaction(engine) as session:
        return dict(session.get(Channel, channel_id).credentials)


def inbox(engine, channel_id: int) -> list[InboxEvent]:
    with transaction(engine) as session:
        rows = session.scalars(select(InboxEvent).where(InboxEvent.channel_id == channel_id).order_by(InboxEvent.id))
        return [SimpleNamespace(body=json.loads(r.body), meta=dict(r.meta), key=r.dedup_key) for r in rows]


def puts(sandbox: Sandbox, order_id: int) -> list[dict]:
    return [c for c in sandbox.order(order_id)["calls"] if c["method"] == "PUT"]


# -- auth ---------------------------------------------------------------------------------------------------
def run_together(handles) -> list:
    barrier, results = threading.Barrier(len(handles)), []

    def offers(adapter, client):
        barrier.wait()
        results.append(list(adapter.offers(client)))

    threads = [threading.Thread(target=offers, args=h) for h in handles]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return results


def test_workers_log_in_once_and_once_more_after_the_session_expires(env, engine, sandbox):
    cid = account(engine, sandbox)
    sandbox.listings({"KUB-1": 5})
    assert len(run_together([handle(env, engine, cid) for _ in range(6)])) == 6
    assert sandbox.logins() == 1
    stored = credentials(engine, cid)
    assert stored["access_token"] and stored["token_expires_at"] is None
    sandbox.control("POST", "/clock", {"shift": 86400 + 5})  # TOKEN_TTL passed: 401 session_expired 6001
    results = run_together([handle(env, engine, cid) for _ in range(6)])
    assert [len(r) for r in results] == [1] * 6
    assert sandbox.logins() == 2
    assert any(c["status"] == 401 for c in sandbox.calls("GET", "/goods/all"))
    assert credentials(engine, cid)["access_token"] != stored["access_token"]


def test_expired_session_mid_poll_is_replaced_and_the_request_repeated(env, engine, sandbox):
    cid = account(engine, sandbox)
    sandbox.listings({"KUB-1": 5})
    adapter, client = handle(env, engine, cid)
    list(adapter.offers(client))
    sandbox.control("POST", "/expire_tokens")
    sandbox.checkout({"KUB-1": 1})
    ctx = poll_context(engine, cid)
    adapter.poll(client, ctx)
    assert (ctx.stored, sandbox.logins()) == (1, 2)
    assert [c["status"] for c in sandbox.calls("GET", "/orders/search")] == [401, 200]


def test_static_api_token_never_logs_in_and_a_wrong_one_is_an_auth_error(env, engine, sandbox):
    sandbox.listings({"KUB-1": 5})
    adapter, client = handle(env, engine, account(engine, sandbox, api_token=STATIC))
    assert [o.sku for o in adapter.offers(client)] == ["KUB-1"]
    assert client.tokens is None
    adapter, wrong = handle(env, engine, add_account(engine, "rozetka-b", "rozetka", sandbox.url,
                                                     {"api_token": "revoked-token"}))
    with pytest.raises(AuthError, match="incorrect_token.*refused the access token"):
        list(adapter.offers(wrong))
    assert sandbox.logins() == 0


def test_connect_logs_in_and_returns_the_grant(env, engine, sandbox):
    cid = account(engine, sandbox)
    adapter, client = handle(env, engine, cid)
    said = []
    grant = adapter.connect(client, SimpleNamespace(name="rozetka-ua"), said.append)
    assert isinstance(grant, Grant) and grant.access_token and grant.expires_in is None
    assert said == ["Rozetka accepted the login of rozetka-ua"]
    with transaction(engine) as session:
        store_grant(session, session.get(Channel, cid), grant)
    list(adapter.offers(handle(env, engine, cid)[1]))
    assert sandbox.logins() == 1  # the stored session token is used


def test_connect_refuses_a_wrong_password_naming_the_cause(env, engine, sandbox):
    adapter, client = handle(env, engine, account(engine, sandbox, username=USER, password="не той"))
    with pytest.raises(AuthError, match="invalid_credentials.*5401.*username or password") as caught:
        adapter.connect(client, SimpleNamespace(name="rozetka-ua"), print)
    assert "не той" not in str(caught.value) and USER not in str(caught.value)


def test_connect_probes_a_static_token(env, engine, sandbox):
    adapter, client = handle(env, engine, account(engine, sandbox, api_token=STATIC))
    said = []
    assert adapter.connect(client, SimpleNamespace(name="rozetka-ua"), said.append) is None
    assert said == ["Rozetka accepted the API token of rozetka-ua"]
    (probe,) = sandbox.calls("GET", "/goods/all")
    assert parse_qs(probe["query"])["pageSize"] == ["1"]


# -- poll and sweep -----------------------------------------------------------------------------------------
def test_poll_feeds_changed_orders_with_an_overlap_and_maps_them(env, engine, sandbox):
    cid = account(engine, sandbox)
    refs = sandbox.listings({"KUB-1": 5, "SWI-2": 3})
    placed = sandbox.checkout({"KUB-1": 2, "SWI-2": 1})
    adapter, client = handle(env, engine, cid)
    first = poll_context(engine, cid)
    adapter.poll(client, first)
    changed = rozetka.from_kyiv(placed["changed"])
    assert (first.seen, first.stored, first.checkpoint) == (1, 1, {"changed": changed.isoformat()})
    again = poll_context(engine, cid, first.checkpoint)
    adapter.poll(client, again)
    assert (again.seen, again.stored) == (1, 0)  # the overlap sees it again; the dedup key ignores it
    query = parse_qs(sandbox.calls("GET", "/orders/search")[-1]["query"])
    assert query["changed_from"] == [rozetka.kyiv_stamp(changed - OVERLAP)]
    assert query["expand"] == ["purchases,delivery,status_available"]
    (event,) = inbox(engine, cid)
    canon, paid = adapter.order(event.body, None)
    assert (canon.external_id, canon.status, canon.payment_method, paid) == (str(placed["id"]), "new", "cod", "pending")
    assert {(line.sku, line.product_ref, line.quantity) for line in canon.lines} == \
        {("KUB-1", refs["KUB-1"], 2), ("SWI-2", refs["SWI-2"], 1)}
    assert canon.cod_amount == canon.total and str(canon.total) == "59.97"


def test_poll_reads_every_page(env, engine, sandbox):
    cid = account(engine, sandbox, api_token=STATIC)
    sandbox.listings({"KUB-1": 50})
    for _ in range(23):
        sandbox.checkout({"KUB-1": 1})
    adapter, client = handle(env, engine, cid)
    ctx = poll_context(engine, cid)
    adapter.poll(client, ctx)
    assert (ctx.seen, ctx.stored) == (23, 23)
    assert [parse_qs(c["query"])["page"] for c in sandbox.calls("GET", "/orders/search")] == [["1"], ["2"]]


def test_duplicated_answers_are_ignored_by_the_dedup_key(env, engine, sandbox):
    cid = account(engine, sandbox, api_token=STATIC)
    sandbox.listings({"KUB-1": 5})
    sandbox.checkout({"KUB-1": 1})
    sandbox.control("POST", "/duplicate", {"count": 1})
    adapter, client = handle(env, engine, cid)
    ctx = poll_context(engine, cid)
    adapter.poll(client, ctx)
    assert (ctx.seen, ctx.stored) == (2, 1)


def test_a_lost_change_is_recovered_by_the_sweep(env, engine, sandbox):
    cid = account(engine, sandbox, api_token=STATIC)
    sandbox.listings({"KUB-1": 5})
    early = sandbox.checkout({"KUB-1": 1})["id"]
    adapter, client = handle(env, engine, cid)
    ctx = poll_context(engine, cid)
    adapter.poll(client, ctx)
    sandbox.control("POST", "/clock", {"shift": 3600})
    sandbox.checkout({"KUB-1": 1})
    ctx = poll_context(engine, cid, ctx.checkpoint)
    adapter.poll(client, ctx)  # the checkpoint is now an hour past the early order's `changed`
    sandbox.control("POST", "/lose", {"count": 2})
    assert adapter.send(client, str(early), StatusChange("confirmed")) == "status 26"
    assert sandbox.order(early)["lost_changes"] == 1
    missed = poll_context(engine, cid, ctx.checkpoint)
    adapter.poll(client, missed)
    assert missed.stored == 0
    sweep = poll_context(engine, cid, ctx.checkpoint)
    adapter.sweep(client, sweep)
    assert sweep.stored == 1 and inbox(engine, cid)[-1].body["status"] == 26
    sandbox.control("POST", f"/orders/{early}/event", {"action": "buyer_cancel"})  # lost too; group 3 now
    missed = poll_context(engine, cid, ctx.checkpoint)
    adapter.poll(client, missed)
    assert missed.stored == 0
    sweep = poll_context(engine, cid, ctx.checkpoint)
    adapter.sweep(client, sweep)
    last = inbox(engine, cid)[-1]
    assert sweep.stored == 1 and last.meta == {"via": "sweep"}
    assert adapter.order(last.body, None)[0].status == "cancelled"


# -- stock --------------------------------------------------------------------------------------------------
def test_push_partial_success_refuses_unknown_items_in_plain_words(env, engine, sandbox):
    refs = sandbox.listings({"KUB-1": 5, "SWI-2": 3})
    adapter, client = handle(env, engine, account(engine, sandbox, api_token=STATIC))
    pushes = [StockPush(1, "KUB-1", refs["KUB-1"], "", 9), StockPush(2, "GONE", "499999999", "", 1),
              StockPush(3, "ODD", "KUB-1", "", 1), StockPush(4, "SWI-2", refs["SWI-2"], "", 0)]
    results = {r.listing_id: r for r in adapter.push(client, pushes)}
    assert results[1].accepted and results[4].accepted
    assert results[2].error == "Rozetka refused item 499999999: Товар не знайдено"
    assert "not a Rozetka item id" in results[3].error
    stock = sandbox.control("GET", "/stock")
    assert (stock["KUB-1"], stock["SWI-2"]) == (9, 0)
    assert len(sandbox.calls("PUT", "/items/mass-update")) == 1


def test_push_sends_100_items_a_request(env, engine, sandbox):
    refs = sandbox.listings({f"SKU-{n:03}": 1 for n in range(150)})
    adapter, client = handle(env, engine, account(engine, sandbox, api_token=STATIC))
    pushes = [StockPush(n, sku, ref, "", 7) for n, (sku, ref) in enumerate(refs.items())]
    assert all(r.accepted for r in adapter.push(client, pushes))
    assert len(sandbox.calls("PUT", "/items/mass-update")) == 2
    assert {v for k, v in sandbox.control("GET", "/stock").items() if k != "_detail"} == {7}


def test_offers_list_every_item_over_pages(env, engine, sandbox):
    refs = sandbox.listings({f"SKU-{n:03}": n for n in range(105)})
    adapter, client = handle(env, engine, account(engine, sandbox, api_token=STATIC))
    offers = {o.sku: o for o in adapter.offers(client)}
    assert len(offers) == 105 and offers["SKU-042"].ref == refs["SKU-042"] and offers["SKU-042"].quantity == 42
    assert offers["SKU-042"].name == "Товар «SKU-042» – Zażółć"
    assert len(sandbox.calls("GET", "/goods/all")) == 2


def test_a_429_blocks_the_account_for_the_next_caller(env, engine, sandbox):
    cid = account(engine, sandbox, api_token=STATIC)
    sandbox.control("POST", "/rate", {"limit": 2, "window": 60, "block": 60})
    adapter, client = handle(env, engine, cid)
    list(adapter.offers(client))
    list(adapter.offers(client))
    with pytest.raises(RateLimited) as caught:
        list(adapter.offers(client))
    assert caught.value.retry_after == 60
    sent = len(sandbox.calls())
    _, other = handle(env, engine, cid)
    with pytest.raises(RateLimited):
        adapter.push(other, [StockPush(1, "X", "410000001", "", 1)])
    assert len(sandbox.calls()) == sent  # the shared gate refused it: no request went out


# -- status back --------------------------------------------------------------------------------------------
def placed_order(env, engine, sandbox, payment="cod"):
    sandbox.listings({"KUB-1": 5})
    adapter, client = handle(env, engine, account(engine, sandbox, api_token=STATIC))
    return adapter, client, sandbox.checkout({"KUB-1": 1}, payment)["id"]


def test_send_packed_puts_61_with_the_ttn_then_rozetka_tracks_the_parcel(env, engine, sandbox):
    adapter, client, oid = placed_order(env, engine, sandbox)
    assert adapter.send(client, str(oid), PACKED) == "status 61 with the TTN"
    assert (sandbox.order(oid)["status"], sandbox.order(oid)["ttn"]) == (61, TTN)
    assert adapter.send(client, str(oid), PACKED) == "already packed with this TTN"
    sandbox.control("POST", f"/orders/{oid}/event", {"action": "handed"})
    assert adapter.send(client, str(oid), StatusChange("shipped", TTN, "novaposhta")) == rozetka.TRACKS
    assert adapter.send(client, str(oid), StatusChange("delivered")) == rozetka.TRACKS
    assert [(c["status"], c["ttn"]) for c in puts(sandbox, oid)] == [(61, TTN)]


def test_send_packed_with_2_when_61_is_not_offered_and_rozetka_moves_it_on(env, engine, sandbox, monkeypatch):
    adapter, client, oid = placed_order(env, engine, sandbox)
    read = client.order

    def without_61(order_id, expand="status_available"):
        body = read(order_id, expand=expand)
        return {**body, "status_available": [r for r in body["status_available"] if r["child_id"] != 61]}

    monkeypatch.setattr(client, "order", without_61)
    assert adapter.send(client, str(oid), PACKED) == "status 2 with the TTN"
    state = sandbox.order(oid)
    assert (state["status"], [h["status"] for h in state["history"]]) == (61, [1, 2, 61])
    monkeypatch.undo()
    assert adapter.send(client, str(oid), PACKED) == "already packed with this TTN"


def test_send_confirmed_once(env, engine, sandbox):
    adapter, client, oid = placed_order(env, engine, sandbox)
    assert adapter.send(client, str(oid), StatusChange("confirmed")) == "status 26"
    assert adapter.send(client, str(oid), StatusChange("confirmed")) == "already confirmed"
    assert [c["status"] for c in puts(sandbox, oid)] == [26]


def test_send_cancelled_out_of_stock_is_42_and_another_reason_is_not_sent(env, engine, sandbox):
    adapter, client, oid = placed_order(env, engine, sandbox)
    note = marketplace_status.perform((adapter, client), str(oid), {"target": "cancelled", "reason": "other"})
    assert note == ("not sent: Rozetka has no cancel status for reason 'other'; "
                    "available from status 1: 26, 2, 61, 42, 18, 28, 29")
    cancel = StatusChange("cancelled", reason="out_of_stock")
    assert adapter.send(client, str(oid), cancel) == "status 42"
    assert adapter.send(client, str(oid), cancel) == "already cancelled"
    assert sandbox.order(oid)["status"] == 42 and [c["status"] for c in puts(sandbox, oid)] == [42]


def test_send_a_status_not_available_is_refused_before_any_put(env, engine, sandbox):
    adapter, client, oid = placed_order(env, engine, sandbox, payment="unpaid")
    with pytest.raises(PermanentError, match=r"status 55 .*status 61 is not available.*available: 26, 50"):
        adapter.send(client, str(oid), PACKED)
    assert puts(sandbox, oid) == []
    with pytest.raises(NotFound):
        adapter.send(client, "999", PACKED)


def test_the_checkpoint_is_utc_and_the_filter_kyiv_time(env, engine, sandbox):
    """The checkpoint holds UTC; the filter sent is Kyiv local time (3 h ahead in summer, 2 in winter)."""
    cid = account(engine, sandbox, api_token=STATIC)
    adapter, client = handle(env, engine, cid)
    ctx = poll_context(engine, cid, {"changed": "2024-07-01T09:30:15"})
    adapter.poll(client, ctx)
    assert parse_qs(sandbox.calls("GET", "/orders/search")[-1]["query"])["changed_from"] == ["2024-07-01 12:25:15"]
    assert ctx.checkpoint == {"changed": "2024-07-01T09:30:15"}


def test_server_trouble_is_transient_and_the_checkpoint_stays(env, engine, sandbox):
    cid = account(engine, sandbox, api_token=STATIC)
    sandbox.listings({"KUB-1": 5})
    sandbox.checkout({"KUB-1": 1})
    sandbox.control("POST", "/fail", {"status": 503, "count": 1, "path": "/orders/search"})
    adapter, client = handle(env, engine, cid)
    ctx = poll_context(engine, cid)
    with pytest.raises(TransientError, match="503 technical_maintenance"):
        adapter.poll(client, ctx)
    assert (ctx.stored, ctx.checkpoint) == (0, {})


def test_a_lost_put_answer_is_transient_and_the_retry_finds_it_done(env, engine, sandbox, monkeypatch):
    adapter, client, oid = placed_order(env, engine, sandbox)
    read = client.order

    def read_then_lose_the_next_answer(order_id, expand="status_available"):
        body = read(order_id, expand=expand)
        sandbox.control("POST", "/fail", {"status": "lost", "count": 1, "path": f"/orders/{oid}"})
        return body

    monkeypatch.setattr(client, "order", read_then_lose_the_next_answer)
    with pytest.raises(TransientError):
        adapter.send(client, str(oid), PACKED)
    monkeypatch.undo()
    assert sandbox.order(oid)["status"] == 61  # Rozetka did it; the answer was lost
    assert adapter.send(client, str(oid), PACKED) == "already packed with this TTN"
