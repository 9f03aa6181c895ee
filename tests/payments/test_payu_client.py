"""PayUClient against the PayU sandbox over real HTTP."""

from __future__ import annotations

from decimal import Decimal

import pytest
import requests

from connector.clients.payu import PayUClient
from connector.errors import AmbiguousError, AuthError, NotFound, PermanentError, RateLimited, TransientError
from mappers.payments import from_payu_notification, from_payu_order, to_minor

from .conftest import PAYU_ACCOUNT


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def client(server, *, timeout=(2.0, 5.0), session=None, clock=None, **overrides) -> PayUClient:
    account = {"pos_id": PAYU_ACCOUNT["POS_ID"], "client_id": PAYU_ACCOUNT["POS_ID"],
               "client_secret": PAYU_ACCOUNT["CLIENT_SECRET"], "second_key": PAYU_ACCOUNT["SECOND_KEY"], **overrides}
    extra = {"clock": clock} if clock else {}
    return PayUClient(base_url=server.url, timeout=timeout, session=session, **account, **extra)


def create(payu: PayUClient, notify_url: str = "http://127.0.0.1:9/none", ext: str = "3001_a", amount: int = 12999):
    return payu.create_order(ext_order_id=ext, total_amount=amount, currency="PLN", description="Zamówienie 3001",
                             customer_ip="127.0.0.1", notify_url=notify_url,
                             continue_url="https://shop.example/thanks", buyer={"email": "jan@example.com"})


def test_token_is_cached_until_expiry_then_renewed(payu_server):
    clock = Clock()
    payu = client(payu_server(), clock=clock)
    first = payu.access_token()
    assert payu.access_token() == first
    clock.now += 43199 - 61
    assert payu.access_token() == first
    clock.now += 2
    assert payu.access_token() != first


def test_oauth_refuses_bad_secret_and_json_bodies(payu_server):
    server = payu_server()
    with pytest.raises(AuthError, match="invalid_client"):
        client(server, client_secret="wrong").access_token()
    form = {"grant_type": "client_credentials", "client_id": PAYU_ACCOUNT["POS_ID"],
            "client_secret": PAYU_ACCOUNT["CLIENT_SECRET"]}
    assert requests.post(f"{server.url}/pl/standard/user/oauth/authorize", json=form, timeout=5).status_code == 401
    assert requests.post(f"{server.url}/pl/standard/user/oauth/authorize", data=form, timeout=5).status_code == 200


def test_create_order_reads_the_302_and_never_follows_it(payu_server):
    server, seen = payu_server(), []
    session = requests.Session()
    session.hooks["response"].append(lambda response, *a, **k: seen.append((response.request.method,
                                                                            response.request.path_url,
                                                                            response.status_code)))
    created = create(client(server, session=session), amount=to_minor(Decimal("129.99")))
    assert created.redirect_uri.startswith(f"{server.url}/pay/") and created.status_code == "SUCCESS"
    assert created.ext_order_id == "3001_a" and created.order_id.endswith("GUEST000P01")
    assert ("POST", "/api/v2_1/orders", 302) in seen
    assert not any(path.startswith("/pay/") for _, path, _ in seen)


def test_retrieve_and_not_found(payu_server):
    server = payu_server()
    payu = client(server)
    created = create(payu)
    order = payu.retrieve_order(created.order_id)
    assert (order["status"], order["totalAmount"], order["extOrderId"]) == ("NEW", "12999", "3001_a")
    assert from_payu_order(order).status == "pending"
    with pytest.raises(NotFound, match="DATA_NOT_FOUND"):
        payu.retrieve_order("NOSUCHORDER0000GUEST000P01")


def test_ext_order_id_must_be_unique(payu_server):
    payu = client(payu_server())
    create(payu)
    with pytest.raises(PermanentError, match="ERROR_ORDER_NOT_UNIQUE"):
        create(payu)


def test_payment_notifications_are_signed_and_map(payu_server, receiver):
    server, hook = payu_server(), receiver()
    payu = client(server)
    created = create(payu, notify_url=hook.url + "/payu")
    server.control("pay", orderId=created.order_id)
    server.flush()
    notices = []
    for item in hook.received:
        assert payu.check_notification(item.body, item.headers)
        notices.append(from_payu_notification(item.json()))
    assert [n.raw_status for n in notices] == ["PENDING", "COMPLETED"]
    assert notices[-1].status == "paid" and notices[-1].amount == Decimal("129.99")
    assert payu.retrieve_order(created.order_id)["status"] == "COMPLETED"


def test_md5_signed_notifications_need_allow_md5(payu_server, receiver):
    server, hook = payu_server(SIGNATURE_ALGORITHM="MD5"), receiver()
    payu = client(server)
    server.control("pay", orderId=create(payu, notify_url=hook.url).order_id)
    item = hook.wait(1)[0]
    assert "algorithm=MD5" in item.headers["OpenPayu-Signature"]
    assert not payu.check_notification(item.body, item.headers)
    assert payu.check_notification(item.body, item.headers, allow_md5=True)


def test_refunds_are_idempotent_on_ext_refund_id(payu_server, receiver):
    server, hook = payu_server(), receiver()
    payu = client(server)
    created = create(payu, notify_url=hook.url)
    server.control("pay", orderId=created.order_id)
    first = payu.refund(created.order_id, ext_refund_id="wc-3001-r1", amount=5000)
    assert (first["status"], first["amount"]) == ("PENDING", "5000")
    assert payu.refund(created.order_id, ext_refund_id="wc-3001-r1", amount=5000)["refundId"] == first["refundId"]
    with pytest.raises(PermanentError, match="REFUND_IDEMPOTENCY_MISMATCH"):
        payu.refund(created.order_id, ext_refund_id="wc-3001-r1", amount=4000)
    with pytest.raises(PermanentError, match="AMOUNT_TO_BIG"):
        payu.refund(created.order_id, ext_refund_id="wc-3001-r2", amount=8000)
    server.flush()
    assert [r["status"] for r in payu.list_refunds(created.order_id)] == ["FINALIZED"]
    refund_notice = from_payu_notification(hook.received[-1].json())
    assert (refund_notice.kind, refund_notice.status, refund_notice.refund_id) == ("refund", "refunded",
                                                                                   first["refundId"])
    assert payu.check_notification(hook.received[-1].body, hook.received[-1].headers)


def test_refund_of_an_unpaid_order_is_refused(payu_server):
    payu = client(payu_server())
    with pytest.raises(PermanentError, match="TRANS_NOT_ENDED"):
        payu.refund(create(payu).order_id, ext_refund_id="r1")


def test_cancel_and_capture(payu_server, receiver):
    server, hook = payu_server(AUTO_RECEIVE=False), receiver()
    payu = client(server)
    waiting = create(payu, notify_url=hook.url, ext="3001_w")
    server.control("pay", orderId=waiting.order_id)
    assert payu.retrieve_order(waiting.order_id)["status"] == "WAITING_FOR_CONFIRMATION"
    payu.capture(waiting.order_id)
    assert payu.retrieve_order(waiting.order_id)["status"] == "COMPLETED"
    abandoned = create(payu, notify_url=hook.url, ext="3001_c")
    assert payu.cancel(abandoned.order_id)["status"]["statusCode"] == "SUCCESS"
    server.flush()
    statuses = [from_payu_notification(item.json()) for item in hook.received]
    assert [(n.raw_status, n.action) for n in statuses if n.transaction_id == waiting.order_id] == \
        [("PENDING", None), ("WAITING_FOR_CONFIRMATION", "capture"), ("COMPLETED", None)]
    assert [n.status for n in statuses if n.transaction_id == abandoned.order_id] == ["cancelled"]
    with pytest.raises(PermanentError):
        payu.cancel(waiting.order_id)


def test_a_revoked_token_is_renewed_once(payu_server):
    server = payu_server()
    payu = client(server)
    created = create(payu)
    token = payu.access_token()
    server.control("revoke_tokens")
    assert payu.retrieve_order(created.order_id)["orderId"] == created.order_id
    assert payu.access_token() != token


def test_timeouts_and_injected_failures(payu_server):
    server = payu_server()
    payu = client(server, timeout=(2.0, 0.25))
    payu.access_token()
    server.control("delay", seconds=0.6, path="/api/")
    with pytest.raises(AmbiguousError):
        create(payu, ext="3001_slow")
    with pytest.raises(TransientError, match="read timeout"):
        payu.list_refunds("ANY")
    server.control("delay", seconds=0)
    server.control("fail", status=429, count=1, retry_after=3)
    with pytest.raises(RateLimited) as caught:
        payu.retrieve_order("ANY")
    assert caught.value.retry_after == 3
    server.control("fail", status=503, count=1)
    with pytest.raises(TransientError, match="GENERAL_ERROR"):
        payu.retrieve_order("ANY")


def test_amounts_must_be_minor_units(payu_server):
    with pytest.raises(TypeError):
        create(client(payu_server()), amount=Decimal("129.99"))
