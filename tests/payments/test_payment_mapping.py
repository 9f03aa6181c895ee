"""mappers.payments: money helpers and notification -> PaymentNotice, on real fixtures and our own."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from marshmallow import ValidationError

from mappers import payments as m

from .support import load_shared, p24_notification, p24_refund_notification, shared_payments

CRC = "crc"


# --------------------------------------------------------------------------- money

@pytest.mark.parametrize("major, minor", [
    (Decimal("19.99"), 1999), (Decimal("1.005"), 101), ("0.005", 1), ("0.004", 0), (Decimal("-1.005"), -101),
    (12, 1200), ("  7.5 ", 750), (Decimal("1E+2"), 10000), (Decimal("0.015"), 2), (Decimal("2.675"), 268),
])
def test_to_minor_rounds_half_up(major, minor):
    assert m.to_minor(major) == minor


def test_to_minor_refuses_floats_and_garbage():
    with pytest.raises(TypeError):
        m.to_minor(19.99)
    with pytest.raises(TypeError):
        m.to_minor(True)
    for text in ("abc", "", "NaN", "Infinity"):
        with pytest.raises(ValueError):
            m.to_minor(text)


def test_from_minor_and_round_trip():
    assert m.from_minor("200") == Decimal("2.00") and str(m.from_minor("200")) == "2.00"
    assert m.from_minor(1999) == Decimal("19.99")
    assert m.from_minor(0) == Decimal("0.00")
    for cents in range(0, 100_000, 37):
        assert m.to_minor(m.from_minor(cents)) == cents
    for bad in ("2.5", "", "1e3", "٣", 1.0, True, None):
        with pytest.raises(ValueError):
            m.from_minor(bad)


# --------------------------------------------------------------------------- Przelewy24

def test_p24_notification_fixture():
    notice = m.from_p24_notification(load_shared("przelewy24", "transaction_notification.json"))
    assert notice == m.PaymentNotice(
        gateway="przelewy24", kind="transaction", reference="0beec7", transaction_id="123456789",
        amount=Decimal("15.00"), amount_minor=1500, currency="PLN", status="paid", raw_status="notification",
        dedup_key="przelewy24:0beec7:123456789:paid", action="verify", origin_amount_minor=1500)


def test_p24_notification_of_our_own_keeps_int64_and_polish_text():
    notice = m.from_p24_notification(p24_notification(CRC, sessionId="WC/2001/ąę", amount=1999,
                                                      originAmount=2000, orderId=2**40 + 3))
    assert notice.transaction_id == str(2**40 + 3) and notice.reference == "WC/2001/ąę"
    assert notice.amount == Decimal("19.99") and notice.origin_amount_minor == 2000
    assert notice.status == m.PAID and notice.action == m.VERIFY
    assert notice.dedup_key == f"przelewy24:WC/2001/ąę:{2**40 + 3}:paid"


def test_p24_refund_notifications():
    done = m.from_p24_refund_notification(load_shared("przelewy24", "refund_notification.json"))
    assert (done.kind, done.status, done.raw_status, done.refund_id, done.amount) == \
        ("refund", "refunded", "completed", "ac0efa", Decimal("15.00"))
    assert done.dedup_key == "przelewy24:refund:ac0efa:dda251:123456789"
    rejected = m.from_p24_refund_notification(p24_refund_notification(CRC, status=1))
    assert (rejected.status, rejected.raw_status) == ("paid", "rejected")
    with pytest.raises(ValidationError):
        m.from_p24_refund_notification(p24_refund_notification(CRC, status=7))


def test_p24_status_query_shares_the_notification_key():
    data = load_shared("przelewy24", "transaction_by_session_id_response.json")["data"]
    pulled = m.from_p24_transaction(data)
    pushed = m.from_p24_notification(load_shared("przelewy24", "transaction_notification.json"))
    assert (pulled.status, pulled.action, pulled.dedup_key) == ("paid", "verify", pushed.dedup_key)


@pytest.mark.parametrize("status, expected, action", [(0, "pending", None), (1, "paid", "verify"),
                                                      (2, "paid", None), (3, "refunded", None)])
def test_p24_status_query_statuses(status, expected, action):
    notice = m.from_p24_transaction({"sessionId": "WC-1", "orderId": 0 if status == 0 else 5, "status": status,
                                     "amount": 1500, "currency": "PLN"})
    assert (notice.status, notice.action) == (expected, action)


@pytest.mark.parametrize("change", [{"amount": "15.00"}, {"orderId": "123"}, {"sessionId": ""}, {"amount": -1}])
def test_p24_malformed_notifications_raise_validation_error(change):
    with pytest.raises(ValidationError):
        m.from_p24_notification({**p24_notification(CRC), **change})


# --------------------------------------------------------------------------- PayU

def test_payu_completed_notification_fixture():
    notice = m.from_payu_notification(load_shared("payu", "notification_order_completed.json"))
    assert (notice.gateway, notice.kind, notice.reference, notice.transaction_id) == \
        ("payu", "transaction", "extOrderId9836y", "LDLW5N7MF4140324GUEST000P01")
    assert (notice.amount, notice.currency, notice.status, notice.raw_status) == \
        (Decimal("2.00"), "PLN", "paid", "COMPLETED")
    assert notice.dedup_key == "payu:order:LDLW5N7MF4140324GUEST000P01:COMPLETED" and notice.action is None


def test_payu_raw_pending_body_fixture():
    body = json.loads(shared_payments("payu", "notification_order_pending_sandbox.body").read_bytes())
    notice = m.from_payu_notification(body)
    assert (notice.status, notice.amount, notice.reference) == ("pending", Decimal("150.00"), "57c56b16d22e1")


def test_payu_refund_notification_fixture():
    notice = m.from_payu_notification(load_shared("payu", "notification_refund_finalized.json"))
    assert (notice.kind, notice.status, notice.refund_id, notice.amount) == \
        ("refund", "refunded", "912128", Decimal("155.16"))
    assert notice.dedup_key == "payu:refund:912128:FINALIZED"


def test_payu_retrieve_and_notification_share_keys():
    order = load_shared("payu", "order_retrieve_response.json")["orders"][0]
    pulled = m.from_payu_order(order)
    pushed = m.from_payu_notification({"order": dict(order)})
    assert pulled.dedup_key == pushed.dedup_key == "payu:order:WZHF5FFDRJ140731GUEST000P01:NEW"
    assert pulled.status == "pending"


@pytest.mark.parametrize("raw, status, action", [
    ("NEW", "pending", None), ("PENDING", "pending", None), ("WAITING_FOR_CONFIRMATION", "pending", "capture"),
    ("COMPLETED", "paid", None), ("CANCELED", "cancelled", None), ("REJECTED", "cancelled", None),
])
def test_payu_status_map(raw, status, action):
    order = {"orderId": "X1", "extOrderId": "2001_a", "currencyCode": "PLN", "totalAmount": "100", "status": raw}
    notice = m.from_payu_order(order)
    assert (notice.status, notice.action, m.payu_status(raw)) == (status, action, status)


@pytest.mark.parametrize("refund_status, status", [("PENDING", "paid"), ("FINALIZED", "refunded"),
                                                   ("CANCELED", "paid")])
def test_payu_refund_statuses(refund_status, status):
    body = {"orderId": "X1", "extOrderId": "2001_a", "refund": {"refundId": "77", "amount": "500",
                                                                "currencyCode": "PLN", "status": refund_status}}
    notice = m.from_payu_notification(body)
    assert (notice.status, notice.dedup_key) == (status, f"payu:refund:77:{refund_status}")


@pytest.mark.parametrize("body", [
    {}, {"order": "x"}, [], {"order": {"orderId": "X", "currencyCode": "PLN", "totalAmount": "1", "status": "PAID"}},
    {"order": {"orderId": "X", "currencyCode": "PLN", "totalAmount": "1.5", "status": "NEW"}},
])
def test_payu_bad_notifications_raise_validation_error(body):
    with pytest.raises(ValidationError):
        m.from_payu_notification(body)


def test_payu_status_never_goes_back():
    assert m.payu_supersedes(None, "NEW")
    assert m.payu_supersedes("PENDING", "COMPLETED")
    assert m.payu_supersedes("WAITING_FOR_CONFIRMATION", "CANCELED")
    assert not m.payu_supersedes("COMPLETED", "PENDING")       # openpayu_php #27: PENDING after COMPLETED
    assert not m.payu_supersedes("COMPLETED", "CANCELED")
    assert not m.payu_supersedes("PENDING", "PENDING")
    assert not m.payu_supersedes("PENDING", "NEW")
