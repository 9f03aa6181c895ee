"""The pull behind the push, refund proposals on cancellation (asked or automatic), the woo_paid
performer's look-up-before-write, the console's payment forms and the ``pay`` CLI."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner


@pytest.mark.parametrize("gateway", ["p24", "payu"])
def test_blocked_notice_is_found_by_the_poll(flow, gateway):
    from workers.payment_poll import poll_pending_payments

    flow.configure(public_url="http://127.0.0.1:9")                     # notices go nowhere (a firewall)
    flow.order(4001, "pending")
    made = flow.link(4001, gateway)
    flow.pay_p24(made) if gateway == "p24" else flow.pay_payu(made)
    assert "0 pending payments asked" in poll_pending_payments()        # not pending long enough yet
    flow.configure(public_url="http://127.0.0.1:9", poll_after_minutes=0)
    assert "1 changes fed" in poll_pending_payments()
    assert "0 changes fed" in poll_pending_payments()                   # the same state again: a duplicate
    flow.process()
    assert flow.payment(made["session_id"]).status == "paid"
    assert flow.order_row(4001).status == "paid"
    source = "przelewy24" if gateway == "p24" else "payu"
    [event] = flow.events(source)
    assert event.meta == {"via": "poll"} and event.status == "processed"
    assert "kupujacy" not in event.body.decode() and "@" not in event.body.decode()   # no e-mail stored


def test_paid_order_cancelled_in_the_shop_proposes_then_auto_refunds(flow):
    flow.configure(auto_refund=True)
    flow.order(4002, "pending")
    made = flow.link(4002, "payu")
    flow.pay_payu(made)
    flow.wait_events("payu", 2)
    flow.process()
    flow.order(4002, "cancelled", minute=3)
    payment = flow.payment(made["session_id"])
    assert payment.refund_status == "requested" and payment.refund_request_id.startswith(f"sb{payment.id}r")
    [intent] = flow.intents("payment_refund")
    assert intent.payload == {"payment_id": payment.id}
    from workers.intents import perform_intent

    assert perform_intent(intent.id).startswith("done")
    flow.wait_events("payu", 3)
    flow.process()
    assert flow.payment(made["session_id"]).refund_status == "done"
    assert flow.order_row(4002).status == "cancelled"
    assert len(flow.intents("woo_order_note")) == 1                     # "refund confirmed" note for the shop


def test_second_payment_for_a_paid_order_is_refused(flow):
    flow.order(4003, "pending")
    first = flow.link(4003, "p24")
    second = flow.link(4003, "payu")
    flow.pay_p24(first)
    flow.wait_events("przelewy24")
    flow.process()
    flow.pay_payu(second)
    flow.wait_events("payu", 2)
    flow.process()
    payment = flow.payment(second["session_id"])
    assert payment.status == "mismatch" and payment.refund_status == "proposed"
    assert "payment_duplicate" in flow.order_row(4003).flags


class FakeWoo:
    def __init__(self, order: dict, notes: list[dict]):
        self.order, self.notes, self.calls = order, notes, []

    def get_order(self, order_id):
        self.calls.append(("get", order_id))
        return self.order

    def update_order(self, order_id, changes):
        self.calls.append(("put", changes))

    def list_order_notes(self, order_id):
        return self.notes

    def add_order_note(self, order_id, note, customer_note=False):
        self.calls.append(("note", customer_note))
        return {"id": 7}


def test_woo_paid_looks_before_it_writes():
    from workers.intents import PERFORMERS

    payload = {"transaction_id": "5000000001", "note": "Stockbridge: paid"}
    fresh = FakeWoo({"status": "pending", "transaction_id": ""}, [])
    PERFORMERS["woo_paid"](fresh, "10", payload)
    assert fresh.calls == [("get", "10"), ("put", {"set_paid": True, "transaction_id": "5000000001"}),
                           ("note", False)]
    done = FakeWoo({"status": "processing", "transaction_id": "5000000001"}, [{"id": 7, "note": "Stockbridge: paid"}])
    PERFORMERS["woo_paid"](done, "10", payload)                          # a retry after a lost answer
    assert done.calls == [("get", "10")]


def test_console_order_page_creates_links_and_confirms_refunds(flow, redis):
    from tests.console.conftest import csrf_token, login

    client = flow.client
    assert login(client).status_code == 302
    flow.order(4004, "pending")
    page = client.get("/console/orders/shop1/4004").get_data(as_text=True)
    assert "Create P24 link" in page and "Create PayU link" in page and "No payments." in page
    form = {"channel": "shop1", "external_id": "4004", "gateway": "payu"}
    assert client.post("/console/payments/link", data=form).status_code == 400          # no CSRF token
    token = csrf_token(client, "/console/orders/shop1/4004")
    answer = client.post("/console/payments/link", data={**form, "csrf_token": token}, follow_redirects=True)
    page = answer.get_data(as_text=True)
    link = re.search(r"PayU link: (http\S+/pay/\?orderId=\w+)", page)
    assert link and 'id="payments"' in page and "32.98 PLN" in page
    made = {"session_id": flow.payment_for_order(4004).session_id}
    flow.pay_payu(made)
    flow.wait_events("payu", 2)
    flow.process()
    flow.order(4004, "cancelled", minute=2)
    page = client.get("/console/orders/shop1/4004").get_data(as_text=True)
    assert "Confirm refund" in page and "proposed" in page
    payment = flow.payment(made["session_id"])
    token = csrf_token(client, "/console/orders/shop1/4004")
    page = client.post(f"/console/payments/{payment.id}/refund", data={"csrf_token": token},
                       follow_redirects=True).get_data(as_text=True)
    assert f"Refund of payment {payment.id} requested." in page
    assert flow.payment(made["session_id"]).refund_status == "requested"
    assert redis.exists(f"rq:job:intent-{flow.intents('payment_refund')[0].id}")


def test_pay_cli_setup_link_list_refund(flow):
    from connector.cli import main

    runner = CliRunner()
    refused = runner.invoke(main, ["pay", "setup", "shop1", "--gateway", "p24", "--merchant-id", "11111",
                                   "--pos-id", "22222", "--api-key", "wrong", "--crc", "c", "--url", flow.p24.url])
    assert refused.exit_code == 1 and "refused the keys" in refused.output
    ok = runner.invoke(main, ["pay", "setup", "shop1", "--gateway", "payu", "--pos-id", "300746",
                              "--client-secret", "sekret-oauth-ł", "--second-key", "drugi-klucz-ó",
                              "--url", flow.payu.url, "--allow-md5", "--poll-after-minutes", "5"])
    assert ok.exit_code == 0, ok.output
    assert f"notices go to {flow.ours.url}/webhooks/payu/shop1" in ok.output
    flow.order(4005, "pending")
    first = runner.invoke(main, ["pay", "link", "shop1", "4005", "--gateway", "payu"])
    again = runner.invoke(main, ["pay", "link", "shop1", "4005", "--gateway", "payu"])
    assert first.exit_code == 0 and first.stdout.strip() == again.stdout.strip()
    assert "/pay/?orderId=" in first.stdout and "reused" in again.stderr
    listed = runner.invoke(main, ["pay", "list", "--status", "pending"])
    assert "4005-payu-" in listed.output and "32.98 PLN" in listed.output
    payment = flow.payment_for_order(4005)
    refused = runner.invoke(main, ["pay", "refund", str(payment.id)])
    assert refused.exit_code == 1 and "add --confirm" in refused.output
    nothing = runner.invoke(main, ["pay", "refund", str(payment.id), "--confirm"])
    assert nothing.exit_code == 1 and "no refund to confirm" in nothing.output
    paid = runner.invoke(main, ["pay", "link", "shop1", "4005", "--gateway", "p24"])
    assert paid.exit_code == 0                                          # both gateways may hold a link
    flow.order(4005, "processing", minute=2)
    late = runner.invoke(main, ["pay", "link", "shop1", "4005", "--gateway", "p24"])
    assert late.exit_code == 1 and "is paid; no payment link needed" in late.output
