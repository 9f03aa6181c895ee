"""Operations: inbox events (failed and ignored, replay one or all failed), channel health, open alerts."""

from __future__ import annotations

import logging

from flask import flash, redirect, request, url_for
from redis.exceptions import RedisError
from sqlalchemy import select

from connector import alerts, inbox
from connector.db import transaction
from connector.models import Channel, InboxEvent
from connector.views import alert_rows, channel_rows, event_rows, event_view
from console.auth import safe_next
from console.web import bp, engine, not_found, page, read, redis
from workers.queue import enqueue_replay

log = logging.getLogger(__name__)

EVENT_STATUSES = ("failed", "ignored", "received", "stale", "processed")
LIST_LIMIT = 200
REPLAY_ALL_LIMIT = 5000


def _channel_id(session, name: str) -> int | None:
    return session.scalar(select(Channel.id).where(Channel.name == name)) if name else None


@bp.get("/events")
def events():
    """Failed and ignored events by default; ``?status=`` shows one status, ``?channel=`` one channel."""
    status = request.args.get("status", "")
    channel = request.args.get("channel", "").strip()[:64]
    shown = (status,) if status in EVENT_STATUSES else ("failed", "ignored")
    with read() as session:
        channel_id = _channel_id(session, channel)
        if channel and channel_id is None:
            channel_id = -1  # unknown channel: show nothing rather than everything
        sections = {s: event_rows(session, s, channel_id=channel_id, limit=LIST_LIMIT) for s in shown}
        channels = list(session.scalars(select(Channel.name).order_by(Channel.name)))
    return page("console_events.html", sections=sections, channel=channel, channels=channels,
                status=status if status in EVENT_STATUSES else "", statuses=EVENT_STATUSES, limit=LIST_LIMIT)


def _trigger(channels: dict[int, tuple[str, int]]) -> bool:
    """Queue a drain per channel after a replay; False when Redis is down (the sweeper catches up)."""
    try:
        for channel_id, (name, event_id) in channels.items():
            enqueue_replay(redis(), event_id, channel_id, name)
    except RedisError:
        log.warning("redis unavailable; replayed events wait for the sweeper")
        return False
    return True


def _back():
    return redirect(safe_next(request.form.get("back")) or url_for("console.events"))


@bp.post("/events/<int:event_id>/replay")
def replay(event_id: int):
    with transaction(engine()) as session:
        event = inbox.requeue(session, event_id)
        if event is None:
            flash(f"Event {event_id} does not exist.", "error")
            return _back()
        channel = session.get(Channel, event.channel_id)
        target = {channel.id: (channel.name, event_id)}
    queued = _trigger(target)
    flash(f"Event {event_id} is back to received" + ("." if queued else "; Redis is down, the sweeper will run it."),
          "ok" if queued else "error")
    return _back()


@bp.post("/events/replay-failed")
def replay_failed():
    """Every failed event (of one channel when ``channel`` is given) back to received."""
    name = request.form.get("channel", "").strip()
    with transaction(engine()) as session:
        query = select(InboxEvent.id, InboxEvent.channel_id).where(InboxEvent.status == "failed") \
            .order_by(InboxEvent.id).limit(REPLAY_ALL_LIMIT)
        if name:
            query = query.where(InboxEvent.channel_id == _channel_id(session, name))
        found = session.execute(query).all()
        names = dict(session.execute(select(Channel.id, Channel.name)).all())
        for event_id, _ in found:
            inbox.requeue(session, event_id)
    targets = {channel_id: (names[channel_id], event_id) for event_id, channel_id in found}
    queued = _trigger(targets) if targets else True
    flash(f"{len(found)} failed event(s) back to received" + ("." if queued else "; Redis is down, the sweeper "
                                                            "will run them."), "ok" if queued else "error")
    return _back()


def rate_limit_state(channel_id: int) -> dict | str | None:
    """What ``sb:ratelimit:<channel id>`` holds (a string or hash), with its TTL; None when absent."""
    key = f"sb:ratelimit:{channel_id}"
    try:
        client = redis()
        kind = client.type(key).decode()
        if kind == "none":
            return None
        if kind == "string":
            value = client.get(key).decode("utf-8", "replace")
        elif kind == "hash":
            value = {k.decode("utf-8", "replace"): v.decode("utf-8", "replace")
                     for k, v in sorted(client.hgetall(key).items())}
        else:
            value = f"({kind})"
        ttl = client.ttl(key)
    except RedisError:
        return "Redis unavailable"
    return {"value": value, "ttl": ttl if ttl and ttl > 0 else None}


@bp.get("/channels")
def channels():
    with read() as session:
        rows = channel_rows(session)
    for row in rows:
        row["rate_limit"] = rate_limit_state(row["id"])
    return page("console_channels.html", rows=rows)


@bp.get("/alerts", endpoint="alerts")
def alerts_page():
    with read() as session:
        rows = alert_rows(session, alerts.open_alerts(session))
    return page("console_alerts.html", rows=rows)


@bp.get("/events/<int:event_id>")
def event(event_id: int):
    with read() as session:
        view = event_view(session, event_id)
    if view is None:
        return not_found(f"event {event_id}")
    return page("console_event.html", event=view)
