"""Orders: the list (``/console/``) with deadlines and search, and one order (``/console/orders/<ch>/<id>``)."""

from __future__ import annotations

from flask import request
from sqlalchemy import select

from connector.lifecycle import STATUSES
from connector.models import Channel, InboxEvent
from connector.views import event_row, order_list, order_view
from console.pages_payments import order_payments
from console.web import bp, not_found, page, read

LIST_LIMIT = 300


def _filters() -> dict:
    """The list's query parameters, trimmed; unknown statuses are dropped."""
    status = request.args.get("status", "").strip()
    return {"q": request.args.get("q", "").strip()[:100], "channel": request.args.get("channel", "").strip()[:64],
            "status": status if status in STATUSES or status == "open" else ""}


@bp.get("/")
def orders():
    filters = _filters()
    with read() as session:
        rows = order_list(session, channel=filters["channel"] or None, status=filters["status"] or None,
                          search=filters["q"] or None, limit=LIST_LIMIT)
        channels = list(session.scalars(select(Channel.name).order_by(Channel.name)))
    breached = sum(1 for r in rows if r["deadline"] and r["deadline"]["breached"])
    return page("console_orders.html", rows=rows, filters=filters, channels=channels, statuses=STATUSES,
                breached=breached, limit=LIST_LIMIT)


def _order_events(session, channel_name: str, external_id: str) -> list[dict]:
    """Inbox events about this order (newest first) so an operator sees what changed it."""
    channel_id = session.scalar(select(Channel.id).where(Channel.name == channel_name))
    events = session.scalars(select(InboxEvent).where(InboxEvent.channel_id == channel_id,
                                                      InboxEvent.resource_id == external_id,
                                                      InboxEvent.topic.like("order.%"))
                             .order_by(InboxEvent.id.desc()).limit(50))
    return [event_row(e, channel_name) for e in events]


@bp.get("/orders/<channel>/<path:external_id>")
def order(channel: str, external_id: str):
    with read() as session:
        view = order_view(session, channel, external_id, personal=True)
        if view is None:
            return not_found(f"order {channel}/{external_id}")
        events = _order_events(session, channel, external_id)
        payments = order_payments(session, view["id"])
    return page("console_order.html", order=view, events=events, payments=payments)
