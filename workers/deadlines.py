"""Handling deadlines: orders still open past their channel's deadline raise an alert (``deadline_breach``);
the alert resolves once the order moves on. Rules per channel: ``connector.deadlines``."""

from __future__ import annotations

from sqlalchemy import select

from connector import alerts
from connector.db import transaction
from connector.deadlines import OPEN_STATUSES, deadline_for, rule_for
from connector.models import Alert, Channel, Order, utcnow
from workers import context


def check_deadlines() -> str:
    now, breached = utcnow(), 0
    with transaction(context.engine()) as session:
        rules = {c.id: (c, rule_for(c.settings)[0]) for c in session.scalars(select(Channel))}
        for order in session.scalars(select(Order).where(Order.status.in_(OPEN_STATUSES))):
            channel, rule = rules[order.channel_id]
            deadline = deadline_for(order.placed_at or order.created_at, rule)
            if deadline <= now:
                breached += 1
                alerts.raise_alert(session, kind="deadline_breach", key=f"deadline:{order.id}", channel_id=channel.id,
                                   order_id=order.id, message=f"{channel.name} order {order.number}: handling "
                                                              f"deadline {deadline:%Y-%m-%d %H:%M} UTC passed")
        _resolve_moved_on(session)
    return f"{breached} orders past their deadline"


def _resolve_moved_on(session) -> None:
    stale = session.execute(select(Alert.key).join(Order, Order.id == Alert.order_id).where(
        Alert.kind == "deadline_breach", Alert.resolved_at.is_(None), Order.status.not_in(OPEN_STATUSES)))
    for (key,) in stale:
        alerts.resolve(session, key)
