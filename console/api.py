"""JSON API (``/api``), bearer-token protected: stock explained, orders, inbox events, replay."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request

from connector import channels, inbox
from connector.db import transaction
from connector.models import Channel
from connector.views import event_row, order_view, stock_view
from console.auth import bearer_required
from workers.queue import enqueue_replay

bp = Blueprint("api", __name__)


def _engine():
    return current_app.extensions["stockbridge.engine"]


def _missing(what: str):
    return jsonify(status=404, message=f"{what} not found"), 404


@bp.get("/stock/<path:sku>")
@bearer_required
def stock(sku: str):
    with transaction(_engine()) as session:
        view = stock_view(session, sku)
    return jsonify(view) if view else _missing(f"SKU {sku!r}")


@bp.get("/orders/<channel>/<external_id>")
@bearer_required
def order(channel: str, external_id: str):
    with transaction(_engine()) as session:
        view = order_view(session, channel, external_id)
    return jsonify(view) if view else _missing(f"order {channel}/{external_id}")


@bp.get("/events")
@bearer_required
def events():
    name = request.args.get("channel")
    limit = min(request.args.get("limit", 200, type=int) or 200, 1000)
    with transaction(_engine()) as session:
        channel = channels.by_name(session, name) if name else None
        if name and channel is None:
            return _missing(f"channel {name!r}")
        rows = inbox.list_events(session, channel.id if channel else None, request.args.get("status"), limit)
        names = {c.id: c.name for c in ([channel] if channel else [])}
        return jsonify([event_row(e, names.get(e.channel_id, name)) for e in rows])


@bp.post("/events/<int:event_id>/replay")
@bearer_required
def replay(event_id: int):
    with transaction(_engine()) as session:
        event = inbox.requeue(session, event_id)
        if event is None:
            return _missing(f"event {event_id}")
        channel_id = event.channel_id
        channel_name = session.get(Channel, channel_id).name
    enqueue_replay(current_app.extensions["stockbridge.redis"], event_id, channel_id, channel_name)
    return jsonify(status="received", id=event_id), 202
