"""Przelewy24Client against the Przelewy24 sandbox over real HTTP."""

from __future__ import annotations

import socket
import time
from decimal import Decimal

import pytest
import requests

from connector.clients.przelewy24 import (
    DuplicateRefundRequest,
    Przelewy24Client,
    RefundItem,
    check_refund_notification,
)
from connector.errors import AmbiguousError, AuthError, NotFound, PermanentError, RateLimited, TransientError
from mappers.payments import from_p24_notification, from_p24_refund_notification, from_p24_transaction, to_minor

from .conftest import P24_ACCOUNT

SESSION = "WC-3001/próba-ąę"


def client(server, *, timeout=(2.0, 5.0), **overrides) -> Przelewy24Client:
    account = {"pos_id": P24_ACCOUNT["POS_ID"], "merchant_id": P24_ACCOUNT["MERCHANT_ID"],
               "api_key": P24_ACCOUNT["API_KEY"], "crc": P24_ACCOUNT["CRC"], **overrides}
    return Przelewy24Client(base_url=server.url, timeout=timeout, **account)


def register(p24: Przelewy24Client, url_status: str | None = None, session_id: str = SESSION, amount: int = 12999):
    return p24.register(session_id=session_id, amount=amount, currency="PLN", description="Zamówienie 3001/A",
                        email="jan@example.com", url_return="https://shop.example/return", url_status=url_status)


def paid_transaction(server, receiver, amount: int = 12999):
    """Register, pay in the sandbox, wait for the first notification; returns (client, notification)."""
    p24, hook = client(server), receiver()
    register(p24, url_status=hook.url + "/p24/status", amount=amount)
    server.control("pay", sessionId=SESSION)
    return p24, hook.wait(1)[0].json()


def test_test_access_and_bad_credentials(p24_server):
    server = p24_server()
    assert client(server).test_access() is True
    with pytest.raises(AuthError, match="Incorrect authentication"):
        client(server, api_key="wrong").test_access()
    with pytest.raises(AuthError):
        client(server, pos_id=1).test_access()


def test_unreachable_gateway_is_transient():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(TransientError):
        Przelewy24Client(1, 1, "k", "c", f"http://127.0.0.1:{port}").test_access()


def test_register_returns_token_and_redirect(p24_server):
    server = p24_server()
    registration = register(client(server))
    assert registration.redirect_url == f"{server.url}/trnRequest/{registration.token}"
    page = requests.get(registration.redirect_url, timeout=5)
    assert page.status_code == 200 and "Zamówienie 3001/A" in page.text
    assert client(server).by_session_id(SESSION)["status"] == 0


def test_register_with_a_wrong_crc_is_refused_as_the_reference_says(p24_server):
    with pytest.raises(PermanentError, match="Incorrect CRC value") as caught:
        register(client(p24_server(), crc="not-the-crc"))
    assert caught.value.status == 400


def test_register_takes_only_integer_minor_units(p24_server):
    with pytest.raises(TypeError):
        register(client(p24_server()), amount=Decimal("129.99"))
    assert register(client(p24_server()), amount=to_minor(Decimal("1.005"))).token


def test_full_payment_verify_and_refund(p24_server, receiver):
    server = p24_server()
    p24, body = paid_transaction(server, receiver)
    assert p24.check_notification(body)
    notice = from_p24_notification(body)
    assert (notice.reference, notice.amount, notice.action) == (SESSION, Decimal("129.99"), "verify")
    assert int(notice.transaction_id) > 2**32
    assert from_p24_transaction(p24.by_session_id(SESSION)).action == "verify"     # advance payment
    p24.verify(session_id=SESSION, order_id=int(notice.transaction_id), amount=12999, currency="PLN")
    p24.verify(session_id=SESSION, order_id=int(notice.transaction_id), amount=12999, currency="PLN")  # idempotent
    assert p24.by_session_id(SESSION)["status"] == 2
    refund_hook = receiver()
    item = RefundItem(int(notice.transaction_id), SESSION, 12999, "Zwrot 3001/A")
    results = p24.refund(request_id="rf-3001-1", refunds_uuid="u-3001-1", refunds=[item],
                         url_status=refund_hook.url + "/p24/refund")
    assert results[0]["status"] is True and results[0]["message"] == "success"
    server.flush()
    refund_body = refund_hook.received[0].json()
    assert check_refund_notification(refund_body, P24_ACCOUNT["CRC"], merchant_id=P24_ACCOUNT["MERCHANT_ID"])
    assert from_p24_refund_notification(refund_body).status == "refunded"
    assert p24.refunds_by_order_id(int(notice.transaction_id))["refunds"][0]["status"] == 1
    assert p24.by_session_id(SESSION)["status"] == 3


def test_verify_with_another_amount_or_before_payment_fails(p24_server, receiver):
    server = p24_server()
    p24 = client(server)
    register(p24, session_id="WC-unpaid")
    with pytest.raises(PermanentError, match="Invalid input data"):
        p24.verify(session_id="WC-unpaid", order_id=1, amount=12999, currency="PLN")
    _, body = paid_transaction(server, receiver)
    with pytest.raises(PermanentError, match="Invalid input data"):
        p24.verify(session_id=SESSION, order_id=body["orderId"], amount=12998, currency="PLN")
    with pytest.raises(PermanentError, match="Incorrect CRC value"):
        client(server, crc="other").verify(session_id=SESSION, order_id=body["orderId"], amount=12999,
                                           currency="PLN")
    assert p24.by_session_id(SESSION)["status"] == 1


def test_a_buyer_paying_less_cannot_be_verified_with_our_amount(p24_server, receiver):
    server, hook = p24_server(), receiver()
    p24 = client(server)
    register(p24, url_status=hook.url)
    server.control("pay", sessionId=SESSION, amount=100)
    body = hook.wait(1)[0].json()
    assert (body["amount"], body["originAmount"]) == (100, 12999) and p24.check_notification(body)
    with pytest.raises(PermanentError):
        p24.verify(session_id=SESSION, order_id=body["orderId"], amount=12999, currency="PLN")


def test_refund_idempotency_and_refusals(p24_server, receiver):
    server = p24_server()
    p24, body = paid_transaction(server, receiver)
    item = RefundItem(body["orderId"], SESSION, 5000, "Zwrot")
    with pytest.raises(PermanentError, match="wrong status") as caught:  # not verified yet
        p24.refund(request_id="rf-1", refunds_uuid="u-1", refunds=[item])
    assert caught.value.status == 409
    p24.verify(session_id=SESSION, order_id=body["orderId"], amount=12999, currency="PLN")
    p24.refund(request_id="rf-1", refunds_uuid="u-1", refunds=[item])
    with pytest.raises(DuplicateRefundRequest):
        p24.refund(request_id="rf-1", refunds_uuid="u-1", refunds=[item])
    with pytest.raises(PermanentError, match="exceeds available amount") as caught:
        p24.refund(request_id="rf-2", refunds_uuid="u-2", refunds=[RefundItem(body["orderId"], SESSION, 8000)])
    assert caught.value.status == 409
    with pytest.raises(PermanentError, match="Transaction not found"):
        p24.refund(request_id="rf-3", refunds_uuid="u-3", refunds=[RefundItem(12345, SESSION, 1)])
    with pytest.raises(ValueError):
        p24.refund(request_id="x" * 46, refunds_uuid="u", refunds=[item])


def test_unknown_session_is_not_found(p24_server):
    with pytest.raises(NotFound, match="Transaction not found"):
        client(p24_server()).by_session_id("WC-404/nie-ma")


def test_read_timeouts_map_by_idempotency(p24_server):
    server = p24_server()
    slow = client(server, timeout=(2.0, 0.25))
    server.control("delay", seconds=0.6)
    with pytest.raises(AmbiguousError):
        register(slow, session_id="WC-slow")                      # may have been registered...
    with pytest.raises(TransientError, match="read timeout"):
        slow.by_session_id("WC-slow")
    server.control("delay", seconds=0)
    assert _eventually(lambda: client(server).by_session_id("WC-slow"))["status"] == 0  # ...and it was


def _eventually(call, attempts: int = 40):
    """``call()`` once the sandbox has finished the slow request still running in its thread."""
    for _ in range(attempts - 1):
        try:
            return call()
        except NotFound:
            time.sleep(0.05)
    return call()


def test_rate_limits_and_server_errors(p24_server):
    server = p24_server()
    server.control("fail", status=429, count=1, retry_after=30)
    with pytest.raises(RateLimited) as caught:
        client(server).test_access()
    assert caught.value.retry_after == 30
    server.control("fail", status=500, count=1)
    with pytest.raises(TransientError, match="Unknown error"):
        client(server).test_access()
    assert client(server).test_access()


def test_payment_page_pays_and_returns_the_buyer(p24_server, receiver):
    server, hook = p24_server(), receiver()
    registration = register(client(server), url_status=hook.url)
    answer = requests.post(registration.redirect_url, allow_redirects=False, timeout=5)
    assert answer.status_code == 302 and answer.headers["Location"] == "https://shop.example/return"
    assert client(server).check_notification(hook.wait(1)[0].json())
