"""Przelewy24 processing against the P24 sandbox over HTTP: verify with OUR amount first, then paid."""

from __future__ import annotations

from sqlalchemy import delete

from connector.db import transaction
from connector.models import InboxEvent
from pay_support import P24_ACCOUNT


def test_link_pay_notice_verify_paid(flow):
    flow.order(2001, "pending")
    assert flow.holds(2001)[0][1] is not None                        # unpaid: the hold expires
    made = flow.link(2001, "p24")
    assert made["link"].startswith(flow.p24.url + "/trnRequest/") and made["amount"] == "32.98"
    assert flow.link(2001, "p24")["id"] == made["id"]                 # idempotent: the pending link is reused
    paid = flow.pay_p24(made)
    assert paid["orderId"] > 2**32
    flow.wait_events("przelewy24")
    flow.process()
    payment = flow.payment(made["session_id"])
    assert (payment.status, payment.raw_status, payment.gateway_order_id) == ("paid", "verified", str(paid["orderId"]))
    order = flow.order_row(2001)
    assert (order.status, order.payment_status) == ("paid", "paid")
    assert flow.holds(2001) == [("held", None)]                       # expiry removed, units still reserved
    assert flow.sandbox_p24(made["session_id"])["status"] == 2        # verified at P24
    [intent] = flow.intents("woo_paid")
    assert intent.payload["transaction_id"] == str(paid["orderId"])


def test_amount_mismatch_is_not_verified_and_flagged(flow):
    flow.order(2002, "pending")
    made = flow.link(2002, "p24")
    flow.pay_p24(made, amount=3297)                                   # one grosz short
    flow.wait_events("przelewy24")
    flow.process()
    payment = flow.payment(made["session_id"])
    assert payment.status == "mismatch" and "32.97 PLN instead of 32.98 PLN" in payment.error
    assert "payment_mismatch" in flow.order_row(2002).flags
    assert flow.order_row(2002).status == "awaiting_payment"
    assert flow.sandbox_p24(made["session_id"])["status"] == 1       # never verified
    assert len(flow.alerts("payment_mismatch")) == 1
    assert flow.events("przelewy24")[0].status == "failed"


def test_notice_for_a_cancelled_order_is_refused_not_verified(flow):
    flow.order(2003, "pending")
    made = flow.link(2003, "p24")
    flow.order(2003, "cancelled", minute=1)
    flow.pay_p24(made)
    flow.wait_events("przelewy24")
    flow.process()
    payment = flow.payment(made["session_id"])
    assert payment.status == "mismatch" and payment.refund_status == ""  # P24 keeps the unverified money
    assert "payment_for_cancelled_order" in flow.order_row(2003).flags
    assert flow.order_row(2003).status == "cancelled"
    assert flow.sandbox_p24(made["session_id"])["status"] == 1


def test_19_99_and_1_005_use_decimal_rounding(flow):
    flow.order(2004, "pending", total="19.99")
    made = flow.link(2004, "p24")
    assert flow.sandbox_p24(made["session_id"])["amount"] == 1999     # int(19.99 * 100) would be 1998
    flow.order(2005, "pending", total="1.005")
    odd = flow.link(2005, "p24")
    assert flow.sandbox_p24(odd["session_id"])["amount"] == 101       # half up, explicitly
    flow.pay_p24(made)
    flow.pay_p24(odd)
    flow.wait_events("przelewy24", 2)
    flow.process()
    assert flow.payment(made["session_id"]).status == "paid"
    assert flow.payment(odd["session_id"]).status == "paid"


def test_notice_before_the_order_exists_waits_and_applies_when_it_arrives(flow):
    from connector.clients.przelewy24 import Przelewy24Client

    p24 = Przelewy24Client(P24_ACCOUNT["POS_ID"], P24_ACCOUNT["MERCHANT_ID"], P24_ACCOUNT["API_KEY"],
                           P24_ACCOUNT["CRC"], flow.p24.url)
    p24.register(session_id="2006_checkout", amount=3298, currency="PLN", description="Zamówienie 2006",
                 email="kupujacy@example.com", url_return="https://shop.example/",
                 url_status=flow.ours.url + "/webhooks/przelewy24/shop1")
    flow.p24.control("pay", sessionId="2006_checkout")
    flow.wait_events("przelewy24")
    flow.process()
    [event] = flow.events("przelewy24")
    assert event.status == "received" and "order 2006 not yet known" in event.error and event.not_before
    flow.order(2006, "pending")                                       # the order arrives: the notice is woken
    payment = flow.payment("2006_checkout")
    assert payment is not None and payment.status == "paid" and str(payment.amount) == "32.9800"
    assert flow.order_row(2006).status == "paid"


def test_unknown_session_fails_visibly(flow):
    flow.post_p24(flow.p24_notice("no-order-here", 5_000_000_099, 100))
    flow.process()
    [event] = flow.events("przelewy24")
    assert event.status == "failed" and "unknown session" in event.error


def test_verify_timeout_is_retried_and_never_doubles_the_effect(flow, monkeypatch):
    from workers import payment_events

    monkeypatch.setattr(payment_events, "GATEWAY_TIMEOUT", (2.0, 0.3))
    flow.order(2007, "pending")
    made = flow.link(2007, "p24")
    flow.p24.control("delay", seconds=0.6, path="/api/v1/transaction/verify")
    flow.pay_p24(made)
    flow.wait_events("przelewy24")
    flow.process()
    [event] = flow.events("przelewy24")
    assert event.status == "received" and "read timeout" in event.error and event.attempts == 1
    assert flow.payment(made["session_id"]).status == "pending"
    flow.p24.control("delay", seconds=0)
    flow.make_due()
    flow.process()
    assert flow.payment(made["session_id"]).status == "paid"
    assert len(flow.intents("woo_paid")) == 1 and flow.events("przelewy24")[0].status == "processed"


def test_gateway_5xx_postpones_then_pays(flow):
    flow.order(2008, "pending")
    made = flow.link(2008, "p24")
    flow.p24.control("fail", status=503, count=1)
    flow.pay_p24(made)
    flow.wait_events("przelewy24")
    flow.process()
    event = flow.events("przelewy24")[0]
    assert event.status == "received" and "HTTP 503" in event.error
    flow.make_due()
    flow.process()
    assert flow.payment(made["session_id"]).status == "paid"


def test_months_old_notice_after_a_refund_changes_nothing(flow):
    flow.order(2009, "pending")
    made = flow.link(2009, "p24")
    flow.pay_p24(made)
    flow.wait_events("przelewy24")
    flow.process()
    old = flow.p24_sent_body()
    flow.order(2009, "cancelled", minute=5)                           # paid order cancelled: refund proposed
    payment = flow.payment(made["session_id"])
    assert payment.refund_status == "proposed" and len(flow.alerts("refund_proposed")) == 1
    from connector import payments as core
    from workers.intents import issue_refund

    with transaction(flow.engine) as session:
        core.confirm_refund(session, session.get(type(payment), payment.id))
    issue_refund(payment.id)
    flow.wait_events("przelewy24", 2)                                 # the signed refund notice
    flow.process()
    payment = flow.payment(made["session_id"])
    assert payment.refund_status == "done" and not flow.alerts("refund_proposed")
    with transaction(flow.engine) as session:                         # the integration log was purged
        session.execute(delete(InboxEvent).where(InboxEvent.source == "przelewy24"))
    assert flow.post_p24({}, raw=old).json["message"] == "stored"
    flow.process()
    [event] = flow.events("przelewy24")
    assert event.status == "stale" and "refund done" in event.error
    assert flow.payment(made["session_id"]).refund_status == "done"
    assert flow.order_row(2009).status == "cancelled"
    assert len(flow.intents("woo_paid")) == 1
