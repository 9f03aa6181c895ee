"""Builders for the payments flow tests: shop set-up, orders, signed notices, and look-ups.

Signatures come from ``tests.payments.support`` (written independently of the code under test)."""

from __future__ import annotations

import json
import time

import requests
from sqlalchemy import func, select, update

from connector.db import transaction
from connector.models import Alert, Channel, InboxEvent, Intent, Order, Payment, Reservation
from tests.helpers import deliver, woo_order
from tests.payments.support import p24_notification, payu_header

P24_ACCOUNT = {"MERCHANT_ID": 11111, "POS_ID": 22222, "API_KEY": "klucz-raportów-ąę", "CRC": "crc-ążś/1"}
PAYU_ACCOUNT = {"POS_ID": "300746", "CLIENT_SECRET": "sekret-oauth-ł", "SECOND_KEY": "drugi-klucz-ó"}


class Flow:
    def __init__(self, engine, ours, p24, payu):
        self.engine, self.ours, self.p24, self.payu = engine, ours, p24, payu
        self.client = ours.app.test_client()

    # ---- set-up

    def configure(self, **options) -> None:
        with transaction(self.engine) as session:
            shop = session.scalar(select(Channel).where(Channel.name == "shop1"))
            shop.credentials = {**shop.credentials, "przelewy24": {
                "merchant_id": P24_ACCOUNT["MERCHANT_ID"], "pos_id": P24_ACCOUNT["POS_ID"],
                "api_key": P24_ACCOUNT["API_KEY"], "crc": P24_ACCOUNT["CRC"], "base_url": self.p24.url},
                "payu": {"pos_id": PAYU_ACCOUNT["POS_ID"], "client_id": PAYU_ACCOUNT["POS_ID"],
                         "client_secret": PAYU_ACCOUNT["CLIENT_SECRET"], "second_key": PAYU_ACCOUNT["SECOND_KEY"],
                         "base_url": self.payu.url}}
            shop.settings = {**shop.settings, "public_url": options.pop("public_url", self.ours.url),
                             "payments": {"poll_after_minutes": 15, **options}}
            self.channel_id = shop.id
        from webhooks import payments as receivers

        receivers._directory._cache.clear()

    # ---- orders and processing

    def order(self, order_id: int, status: str = "pending", *, total: str | None = None, minute: int = 0) -> None:
        body = woo_order(order_id, status, [("SKU-1", 1)], minute=minute)
        if total is not None:
            body["total"] = total
        assert deliver(self.client, "shop1", "order.updated", body).status_code == 200
        self.process()

    def process(self) -> None:
        from workers.ingest import drain_inbox

        drain_inbox(self.channel_id)

    def link(self, order_id: int, gateway: str) -> dict:
        from workers.intents import create_payment_link

        return create_payment_link("shop1", str(order_id), gateway)

    def pay_p24(self, made: dict, **options) -> dict:
        return self.p24.control("pay", sessionId=made["session_id"], **options)

    def pay_payu(self, made: dict, outcome: str = "COMPLETED") -> dict:
        return self.payu.control("pay", extOrderId=made["session_id"], outcome=outcome)

    def wait_events(self, source: str, count: int = 1, timeout: float = 10) -> None:
        deadline = time.monotonic() + timeout
        while self.count_events(source=source) < count:
            assert time.monotonic() < deadline, f"{count} {source} events did not arrive"
            time.sleep(0.02)

    def p24_sent_body(self, timeout: float = 10) -> bytes:
        """The first transaction notice the P24 sandbox sent (its log entry is written after our answer)."""
        deadline = time.monotonic() + timeout
        while not (sent := self.p24.notifications(kind="transaction", bodies="1")):
            assert time.monotonic() < deadline, "the P24 sandbox logged no notice"
            time.sleep(0.02)
        return sent[0]["body"].encode()

    def make_due(self) -> None:
        """Skip the backoff of postponed events (as the clock would)."""
        with transaction(self.engine) as session:
            session.execute(update(InboxEvent).values(not_before=None))

    # ---- notices

    def post_p24(self, body: dict, raw: bytes | None = None):
        raw = raw if raw is not None else json.dumps(body, ensure_ascii=False).encode()
        return self.client.post("/webhooks/przelewy24/shop1", data=raw, content_type="application/json")

    def p24_notice(self, session_id: str, order_id: int, amount: int, **extra) -> dict:
        fields = {"merchantId": P24_ACCOUNT["MERCHANT_ID"], "posId": P24_ACCOUNT["POS_ID"], "sessionId": session_id,
                  "orderId": order_id, "amount": amount, "originAmount": amount, **extra}
        return p24_notification(P24_ACCOUNT["CRC"], **fields)

    def post_payu(self, body: dict | bytes, *, algorithm: str = "SHA-256", key: str | None = None,
                  header: str | None = None, signed: bytes | None = None):
        raw = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
        value = header if header is not None else payu_header(signed if signed is not None else raw,
                                                              key or PAYU_ACCOUNT["SECOND_KEY"], algorithm)
        headers = {"OpenPayu-Signature": value} if value else {}
        return self.client.post("/webhooks/payu/shop1", data=raw, headers=headers,
                                content_type="application/json;charset=UTF-8")

    # ---- look-ups

    def payment(self, session_id: str) -> Payment:
        with transaction(self.engine) as session:
            return session.scalar(select(Payment).where(Payment.session_id == session_id))

    def payment_for_order(self, order_id: int) -> Payment:
        with transaction(self.engine) as session:
            return session.scalar(select(Payment).where(Payment.order_ref == str(order_id)).order_by(Payment.id))

    def order_row(self, order_id: int) -> Order:
        with transaction(self.engine) as session:
            return session.scalar(select(Order).where(Order.external_id == str(order_id)))

    def holds(self, order_id: int) -> list[tuple[str, object]]:
        """(state, expires_at) of the order's reservations."""
        with transaction(self.engine) as session:
            order = session.scalar(select(Order).where(Order.external_id == str(order_id)))
            return [(r.state, r.expires_at) for r in session.scalars(
                select(Reservation).where(Reservation.order_id == order.id))]

    def count_events(self, **where) -> int:
        with transaction(self.engine) as session:
            query = select(func.count()).select_from(InboxEvent)
            for key, value in where.items():
                query = query.where(getattr(InboxEvent, key) == value)
            return session.scalar(query)

    def events(self, source: str) -> list[InboxEvent]:
        with transaction(self.engine) as session:
            return list(session.scalars(select(InboxEvent).where(InboxEvent.source == source)
                                        .order_by(InboxEvent.id)))

    def intents(self, kind: str) -> list[Intent]:
        with transaction(self.engine) as session:
            return list(session.scalars(select(Intent).where(Intent.kind == kind)))

    def alerts(self, kind: str) -> list[Alert]:
        with transaction(self.engine) as session:
            return list(session.scalars(select(Alert).where(Alert.kind == kind, Alert.resolved_at.is_(None))))

    def sandbox_p24(self, session_id: str) -> dict:
        listed = requests.get(self.p24.url + "/__sandbox__/transactions", timeout=5).json()["transactions"]
        return next(t for t in listed if t["sessionId"] == session_id)


def payu_body(order_id: str, ext_order_id: str, status: str, amount: int = 3298, currency: str = "PLN") -> dict:
    """A PayU order notification as the docs show it (amounts as strings)."""
    order = {"orderId": order_id, "extOrderId": ext_order_id, "orderCreateDate": "2026-11-22T08:00:00.000+01:00",
             "notifyUrl": "https://example/", "customerIp": "127.0.0.1", "merchantPosId": "300746",
             "description": "Zamówienie / test", "currencyCode": currency, "totalAmount": str(amount),
             "status": status, "products": [{"name": "Kubek „Żółć”", "unitPrice": str(amount), "quantity": "1"}]}
    return {"order": order, "localReceiptDateTime": "2026-11-22T08:00:05.000+01:00"}
