"""The sandboxes' notifiers follow the real retry schedules (compressed with TIME_SCALE)."""

from __future__ import annotations

import socket

import requests

from connector.clients.payu import PayUClient
from connector.clients.przelewy24 import Przelewy24Client

from .conftest import P24_ACCOUNT, P24_FAST, PAYU_ACCOUNT

P24_SCHEDULE = [0, 3, 5, 15, 30, 60, 150, 450]
PAYU_SCHEDULE = [0, 1, 2, 5, 10, 30, *(h * 60 for h in (1, 2, 3, 6, 9, 12, 15, 18, 21, 24, 36, 48, 60, 72))]


def p24_client(server) -> Przelewy24Client:
    return Przelewy24Client(P24_ACCOUNT["POS_ID"], P24_ACCOUNT["MERCHANT_ID"], P24_ACCOUNT["API_KEY"],
                            P24_ACCOUNT["CRC"], server.url, timeout=(2, 5))


def p24_paid(server, url_status: str, session_id: str = "WC-4001") -> None:
    p24_client(server).register(session_id=session_id, amount=4999, currency="PLN", description="Zamówienie 4001",
                                email="a@example.com", url_return="https://shop.example/", url_status=url_status)
    server.control("pay", sessionId=session_id)


def test_p24_resends_on_its_schedule_until_verified_even_after_http_200(p24_server, receiver):
    server, hook = p24_server(), receiver(lambda item, index: 200)
    p24_paid(server, hook.url)
    server.flush()
    log = server.notifications(kind="transaction")
    assert [entry["scheduled_minute"] for entry in log] == P24_SCHEDULE
    assert [entry["attempt"] for entry in log] == list(range(1, 9)) and len(hook.received) == 8
    elapsed = [entry["elapsed_s"] for entry in log]
    assert elapsed == sorted(elapsed)
    assert elapsed[-1] >= 450 * 60 * P24_FAST * 0.95          # the whole schedule, compressed
    assert all(entry["status"] == 200 for entry in log)
    assert len({item.body for item in hook.received}) == 1    # the same signed body every time


def test_p24_stops_once_the_merchant_verifies(p24_server, receiver):
    server = p24_server()
    p24 = p24_client(server)

    def verify_on_third(item, index):
        if index == 2:
            body = item.json()
            p24.verify(session_id=body["sessionId"], order_id=body["orderId"], amount=4999, currency="PLN")
        return 200

    hook = receiver(verify_on_third)
    p24_paid(server, hook.url)
    server.flush()
    assert [entry["scheduled_minute"] for entry in server.notifications()] == [0, 3, 5]
    assert p24.by_session_id("WC-4001")["status"] == 2


def test_p24_unreachable_url_status_is_retried_and_logged(p24_server):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = p24_server()
    p24_paid(server, f"http://127.0.0.1:{port}/gone")
    server.flush()
    log = server.notifications()
    assert len(log) == 8 and all(entry["status"] is None and entry["error"] for entry in log)


def test_fast_forward_flush_skips_real_time(p24_server, receiver):
    server, hook = p24_server(TIME_SCALE=1.0), receiver()      # real minutes: 7.5 hours of schedule
    p24_paid(server, hook.url, session_id="WC-4002")
    server.flush(timeout=10, fast_forward=True)
    assert [entry["scheduled_minute"] for entry in server.notifications()] == P24_SCHEDULE


def test_flush_times_out_with_504_while_notifications_wait(p24_server, receiver):
    server, hook = p24_server(TIME_SCALE=1.0), receiver()
    p24_paid(server, hook.url, session_id="WC-4003")
    answer = requests.post(f"{server.url}/__sandbox__/flush", json={"timeout": 0.2}, timeout=5)
    assert answer.status_code == 504 and answer.json()["pending"] == 1
    assert len(hook.wait(1)) == 1


def test_payu_resends_twenty_times_over_72_hours_until_200(payu_server, receiver):
    server, hook = payu_server(), receiver(lambda item, index: 500)
    payu = PayUClient(PAYU_ACCOUNT["POS_ID"], PAYU_ACCOUNT["POS_ID"], PAYU_ACCOUNT["CLIENT_SECRET"],
                      PAYU_ACCOUNT["SECOND_KEY"], server.url)
    created = payu.create_order(ext_order_id="4001_a", total_amount=4999, currency="PLN", description="4001",
                                customer_ip="127.0.0.1", notify_url=hook.url)
    server.control("pay", orderId=created.order_id, outcome="CANCELED")
    server.flush()
    for status in ("PENDING", "CANCELED"):
        log = server.notifications(key=f"order:{created.order_id}:{status}")
        assert [entry["scheduled_minute"] for entry in log] == PAYU_SCHEDULE
        assert len(log) == 20 and all(entry["status"] == 500 for entry in log)


def test_payu_stops_at_the_first_200(payu_server, receiver):
    server, hook = payu_server(), receiver(lambda item, index: 200 if index >= 2 else 503)
    payu = PayUClient(PAYU_ACCOUNT["POS_ID"], PAYU_ACCOUNT["POS_ID"], PAYU_ACCOUNT["CLIENT_SECRET"],
                      PAYU_ACCOUNT["SECOND_KEY"], server.url)
    created = payu.create_order(ext_order_id="4002_a", total_amount=100, currency="PLN", description="4002",
                                customer_ip="127.0.0.1", notify_url=hook.url)
    payu.cancel(created.order_id)
    server.flush()
    log = server.notifications(bodies="1")
    assert [(entry["scheduled_minute"], entry["status"]) for entry in log] == [(0, 503), (1, 503), (2, 200)]
    assert '"status":"CANCELED"' in log[0]["body"]
