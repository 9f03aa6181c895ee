"""PayU processing against the PayU sandbox over HTTP: statuses only go up, COMPLETED is read back."""

from __future__ import annotations

from sqlalchemy import delete

from connector.db import transaction
from connector.models import InboxEvent
from pay_support import payu_body


def paid_by_payu(flow, order_id: int) -> dict:
    flow.order(order_id, "pending")
    made = flow.link(order_id, "payu")
    assert flow.pay_payu(made)["statuses"] == ["PENDING", "COMPLETED"]
    flow.wait_events("payu", 2)
    flow.process()
    return made


def test_link_pay_notices_read_back_paid(flow):
    made = paid_by_payu(flow, 3001)
    assert "/pay/?orderId=" in made["link"]                          # the 302's redirectUri, not followed
    payment = flow.payment(made["session_id"])
    assert (payment.status, payment.raw_status) == ("paid", "COMPLETED")
    assert flow.order_row(3001).status == "paid"
    assert [e.status for e in flow.events("payu")] == ["processed", "processed"]
    assert len(flow.intents("woo_paid")) == 1


def test_stale_pending_after_completed_never_moves_back(flow):
    made = paid_by_payu(flow, 3002)
    payment = flow.payment(made["session_id"])
    late = payu_body(payment.gateway_order_id, made["session_id"], "PENDING")
    assert flow.post_payu(late).json["message"].startswith("duplicate")   # (orderId, status) seen before
    with transaction(flow.engine) as session:                             # out of order: PENDING never seen
        session.execute(delete(InboxEvent).where(InboxEvent.dedup_key.like("%:PENDING")))
    assert flow.post_payu(late).json["message"] == "stored"
    flow.process()
    assert flow.events("payu")[-1].status == "stale"
    assert "PENDING after COMPLETED" in flow.events("payu")[-1].error
    assert flow.payment(made["session_id"]).status == "paid" and flow.order_row(3002).status == "paid"
    assert flow.holds(3002) == [("held", None)]                       # nothing restocked


def test_waiting_for_confirmation_is_captured(flow):
    flow.payu.state.config["AUTO_RECEIVE"] = False
    flow.order(3003, "pending")
    made = flow.link(3003, "payu")
    assert flow.pay_payu(made)["statuses"] == ["PENDING", "WAITING_FOR_CONFIRMATION"]
    flow.wait_events("payu", 2)
    flow.process()
    flow.wait_events("payu", 3)                                       # COMPLETED after our capture
    flow.process()
    assert flow.payment(made["session_id"]).status == "paid"
    assert [e.topic + ":" + e.status for e in flow.events("payu")] == ["order:processed"] * 3


def test_cancelled_at_payu_takes_no_money(flow):
    flow.order(3004, "pending")
    made = flow.link(3004, "payu")
    flow.pay_payu(made, outcome="CANCELED")
    flow.wait_events("payu", 2)
    flow.process()
    assert flow.payment(made["session_id"]).status == "cancelled"
    assert flow.order_row(3004).status == "awaiting_payment"          # the hold expires on its own


def test_completed_for_a_cancelled_order_proposes_a_refund_then_refund_notice_marks_it_done(flow):
    flow.order(3005, "pending")
    made = flow.link(3005, "payu")
    flow.order(3005, "cancelled", minute=1)
    flow.pay_payu(made)
    flow.wait_events("payu", 2)
    flow.process()
    payment = flow.payment(made["session_id"])
    assert (payment.status, payment.refund_status) == ("mismatch", "proposed")
    assert "payment_for_cancelled_order" in flow.order_row(3005).flags
    from connector import payments as core
    from connector.models import Payment
    from workers.intents import issue_refund

    with transaction(flow.engine) as session:
        core.confirm_refund(session, session.get(Payment, payment.id))
    key = flow.payment(made["session_id"]).refund_request_id
    first, again = issue_refund(payment.id), issue_refund(payment.id)  # a retry repeats our extRefundId
    assert first == again
    [refund] = flow.payu.state.store.orders[payment.gateway_order_id].refunds
    assert refund.ext_refund_id == key and refund.amount == 3298
    flow.wait_events("payu", 3)
    flow.process()
    assert flow.payment(made["session_id"]).refund_status == "done"
    assert flow.order_row(3005).status == "cancelled"


def test_amount_mismatch_is_parked(flow):
    flow.order(3006, "pending")
    made = flow.link(3006, "payu")
    body = payu_body("FORGED3006", made["session_id"], "COMPLETED", amount=100)   # signed, wrong amount
    assert flow.post_payu(body).status_code == 200
    flow.process()
    payment = flow.payment(made["session_id"])
    assert payment.status == "mismatch" and "1.00 PLN instead of 32.98 PLN" in payment.error
    assert "payment_mismatch" in flow.order_row(3006).flags
    assert flow.order_row(3006).status == "awaiting_payment"


def test_read_back_lag_retries(flow):
    """A signed COMPLETED arrives while PayU still reads back PENDING (pitfall 13): the event waits."""
    flow.order(3007, "pending")
    made = flow.link(3007, "payu")
    payment = flow.payment(made["session_id"])
    body = payu_body(payment.gateway_order_id, made["session_id"], "COMPLETED")
    flow.post_payu(body)
    flow.process()
    [event] = flow.events("payu")
    assert event.status == "received" and "read-back still shows NEW" in event.error
    flow.pay_payu(made)
    flow.wait_events("payu", 2)                                       # PENDING; COMPLETED is a duplicate
    flow.make_due()
    flow.process()
    assert flow.payment(made["session_id"]).status == "paid"
    assert [e.status for e in flow.events("payu")] == ["processed", "stale"]
