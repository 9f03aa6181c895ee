"""Alerts reach the operator by e-mail (a real SMTP server on loopback), not more often than the setting."""

from __future__ import annotations

import pytest
from aiosmtpd.controller import Controller

from connector.db import transaction
from tests.conftest import free_port
from tests.helpers import add_shop, deliver, drain, woo_order


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        self.messages.append(envelope.content.decode("utf-8", "replace"))
        return "250 OK"


@pytest.fixture
def smtp(env, monkeypatch):
    handler, port = Inbox(), free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setenv("STOCKBRIDGE_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("STOCKBRIDGE_SMTP_PORT", str(port))
    monkeypatch.setenv("STOCKBRIDGE_SMTP_STARTTLS", "no")
    monkeypatch.setenv("STOCKBRIDGE_ALERT_TO", "ops@example.com")
    from workers import context

    context.reset()
    yield handler
    controller.stop()


def test_out_of_stock_alert_is_mailed_once_per_interval(smtp, engine):
    from webhooks import create_app
    from workers.alerts import send_alerts

    add_shop(engine, "shop1", stock={"SKU-1": 1})
    client = create_app().test_client()
    deliver(client, "shop1", "order.created", woo_order(501, "processing", [("SKU-1", 3)], name="Ołena Коваль"))
    drain()
    assert send_alerts() == "1 alerts mailed"
    assert len(smtp.messages) == 1
    mail = smtp.messages[0]
    assert "shop1 order 501" in mail and "SKU-1" in mail
    assert "Коваль" not in mail and "buyer@example.com" not in mail  # no personal data
    assert send_alerts() == "nothing due"  # not repeated within the interval
    assert len(smtp.messages) == 1


def test_without_smtp_alerts_stay_on_the_console(env):
    from workers.alerts import send_alerts

    assert "not configured" in send_alerts()


def test_deadline_breach_raises_and_resolves(env, engine):
    from datetime import timedelta

    from sqlalchemy import update

    from connector.alerts import open_alerts
    from connector.deadlines import ROZETKA_RULE
    from connector.models import Order, utcnow
    from webhooks import create_app
    from workers.deadlines import check_deadlines

    add_shop(engine, "shop1", stock={"SKU-1": 5}, settings={"deadline": ROZETKA_RULE})
    client = create_app().test_client()
    deliver(client, "shop1", "order.created", woo_order(601, "processing", [("SKU-1", 1)]))
    drain()
    with transaction(engine) as session:
        session.execute(update(Order).values(placed_at=utcnow() - timedelta(hours=25)))
    assert check_deadlines() == "1 orders past their deadline"
    with transaction(engine) as session:
        assert [a.kind for a in open_alerts(session) if a.kind == "deadline_breach"] == ["deadline_breach"]
    deliver(client, "shop1", "order.updated", woo_order(601, "completed", [("SKU-1", 1)], minute=30))
    drain()
    assert check_deadlines() == "0 orders past their deadline"
    with transaction(engine) as session:
        assert [a for a in open_alerts(session) if a.kind == "deadline_breach"] == []
