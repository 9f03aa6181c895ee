"""Alerts for operators: raised by the core, shown on the console, mailed by ``workers.alerts``.

One open alert per ``key``: raising it again only bumps ``count`` and ``last_seen_at``. Messages
name orders by channel and number and SKUs, never a buyer's name, e-mail, phone or address.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from connector.models import Alert, utcnow

KINDS = ("out_of_stock", "unknown_sku", "unknown_status", "deadline_breach", "webhook_disabled",
         "channel_failing", "event_failed", "credentials_expiring", "shipment_failed")


def raise_alert(session: Session, *, kind: str, key: str, message: str, channel_id: int | None = None,
                order_id: int | None = None) -> Alert:
    alert = session.scalar(select(Alert).where(Alert.key == key))
    now = utcnow()
    if alert is None:
        alert = Alert(key=key, kind=kind, channel_id=channel_id, order_id=order_id, message=message,
                      count=1, created_at=now, last_seen_at=now)
        with session.begin_nested():
            session.add(alert)
        return alert
    alert.count, alert.last_seen_at, alert.message = alert.count + 1, now, message
    alert.resolved_at = None
    return alert


def resolve(session: Session, key: str) -> None:
    alert = session.scalar(select(Alert).where(Alert.key == key, Alert.resolved_at.is_(None)))
    if alert is not None:
        alert.resolved_at = utcnow()


def open_alerts(session: Session, limit: int = 200) -> list[Alert]:
    return list(session.scalars(select(Alert).where(Alert.resolved_at.is_(None)).order_by(Alert.id.desc()).limit(limit)))


def raise_order_alerts(session: Session, channel, result) -> None:
    """Alerts for an applied order (``connector.orders.ApplyResult``): out of stock, unknown SKU or status.

    Each is raised while its condition holds and resolved once it no longer does.
    """
    order, label = result.order, f"{channel.name} order {result.order.number}"
    if result.short_skus:
        raise_alert(session, kind="out_of_stock", key=f"oos:{order.id}", channel_id=channel.id, order_id=order.id,
                    message=f"{label}: not enough stock for {', '.join(sorted(result.short_skus))}")
    elif result.was_short:
        resolve(session, f"oos:{order.id}")
    if result.unknown_skus:
        raise_alert(session, kind="unknown_sku", key=f"unknown-sku:{order.id}", channel_id=channel.id,
                    order_id=order.id, message=f"{label}: unknown SKU {', '.join(sorted(result.unknown_skus))}")
    else:
        resolve(session, f"unknown-sku:{order.id}")
    for flag in order.flags or []:
        if flag.startswith("unknown_status:"):
            raise_alert(session, kind="unknown_status", key=f"status:{order.id}:{flag}", channel_id=channel.id,
                        order_id=order.id, message=f"{label}: unknown status {flag.split(':', 1)[1]!r}")
