"""Read models for the API, console and CLI: plain dicts, no personal data beyond what is asked for.

Times are ISO strings in UTC ending in ``Z``. Personal data (buyer, addresses, delivery point) is
only in :func:`order_view` with ``personal=True`` (the console's order page); nothing here logs.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from connector import deadlines, ledger
from connector.inbox import list_events
from connector.models import (Alert, Checkpoint, Channel, InboxEvent, JournalEntry, Listing, Order, Reservation, StockItem,
                              utcnow)
from connector.stock import channel_figure


def _iso(value) -> str | None:
    return value.isoformat() + "Z" if value else None


def stock_view(session: Session, sku: str, journal_limit: int = 50) -> dict | None:
    found = ledger.levels(session, sku)
    if found is None:
        return None
    on_hand, reserved = found
    channels = {}
    for listing in session.scalars(select(Listing).where(Listing.sku == sku)):
        channels[listing.channel.name] = {
            "figure": channel_figure(on_hand, reserved, listing.buffer), "buffer": listing.buffer,
            "last_pushed": listing.last_pushed, "last_pushed_at": _iso(listing.last_pushed_at),
            "last_seen": listing.last_seen, "push_error": listing.push_error,
            "product_ref": listing.product_ref, "variation_ref": listing.variation_ref,
        }
    journal = session.scalars(select(JournalEntry).where(JournalEntry.sku == sku)
                              .order_by(JournalEntry.id.desc()).limit(journal_limit))
    return {"sku": sku, "on_hand": on_hand, "reserved": reserved, "available": on_hand - reserved,
            "channels": channels, "journal": [_journal_row(session, j) for j in journal]}


def _journal_row(session: Session, entry: JournalEntry) -> dict:
    order = session.get(Order, entry.order_id) if entry.order_id else None
    return {"id": entry.id, "at": _iso(entry.created_at), "reason": entry.reason,
            "delta_on_hand": entry.delta_on_hand, "delta_reserved": entry.delta_reserved,
            "on_hand": entry.on_hand_after, "reserved": entry.reserved_after,
            "available": entry.on_hand_after - entry.reserved_after,
            "order": f"{order.channel.name}/{order.external_id}" if order else None,
            "order_channel": order.channel.name if order else None,
            "order_external_id": order.external_id if order else None,
            "order_number": order.number if order else None,
            "event_id": entry.event_id, "note": entry.note}


def order_view(session: Session, channel_name: str, external_id: str, *, personal: bool = False,
               now: datetime | None = None) -> dict | None:
    """One order with lines, reservations and its handling deadline; buyer data only when ``personal``."""
    order = session.scalar(select(Order).join(Channel).where(Channel.name == channel_name,
                                                            Order.external_id == external_id))
    if order is None:
        return None
    reservations = session.scalars(select(Reservation).where(Reservation.order_id == order.id).order_by(Reservation.id))
    view = {"channel": channel_name, "external_id": order.external_id, "number": order.number,
            "status": order.status, "raw_status": order.raw_status, "payment_status": order.payment_status,
            "currency": order.currency, "total": str(order.total), "flags": list(order.flags or []),
            "lines": [{"sku": l.sku, "quantity": l.quantity, "name": l.name, "unit_price": str(l.unit_price)}
                      for l in order.lines],
            "reservations": [{"sku": r.sku, "quantity": r.quantity, "state": r.state,
                              "expires_at": _iso(r.expires_at)} for r in reservations],
            "updated_at": _iso(order.source_updated_at),
            "id": order.id, "created_at": _iso(order.created_at), "placed_at": _iso(order.placed_at),
            "payment_method": order.payment_method,
            "deadline": deadline_view(order, now or utcnow())}
    if personal:
        view.update(buyer=dict(order.buyer or {}), shipping_address=dict(order.shipping_address or {}),
                    delivery=dict(order.delivery or {}), transaction_id=order.transaction_id,
                    cod_amount=None if order.cod_amount is None else str(order.cod_amount))
    return view


def deadline_view(order: Order, now: datetime) -> dict | None:
    """The handling deadline of an open order under its channel's rule, counted from when the buyer placed
    it (``placed_at``, the channel's time) or else from when we received it; None once handled."""
    if not deadlines.has_deadline(order.status):
        return None
    rule, rule_error = deadlines.rule_for(order.channel.settings if order.channel else None)
    due = deadlines.deadline_for(order.placed_at or order.created_at, rule)
    left = deadlines.seconds_left(due, now)
    return {"at": _iso(due), "local": deadlines.local_time(due, rule).strftime("%Y-%m-%d %H:%M"),
            "timezone": rule.timezone, "seconds_left": left, "breached": left < 0,
            "text": deadlines.describe_left(left), "rule_error": rule_error}


def order_list(session: Session, *, channel: str | None = None, status: str | None = None,
               search: str | None = None, limit: int = 200, now: datetime | None = None) -> list[dict]:
    """Orders for the console list, newest first. ``status="open"`` means every status with a deadline;
    ``search`` matches the order number or the channel's external id (exact or contained)."""
    query = select(Order).join(Channel).order_by(Order.id.desc()).limit(limit)
    if channel:
        query = query.where(Channel.name == channel)
    if status == "open":
        query = query.where(Order.status.in_(deadlines.OPEN_STATUSES))
    elif status:
        query = query.where(Order.status == status)
    if search:
        query = query.where(or_(Order.number == search, Order.external_id == search,
                                Order.number.contains(search, autoescape=True),
                                Order.external_id.contains(search, autoescape=True)))
    orders = list(session.scalars(query))
    held = _reservation_totals(session, [o.id for o in orders])
    now = now or utcnow()
    return [{"id": o.id, "channel": o.channel.name, "external_id": o.external_id, "number": o.number,
             "status": o.status, "payment_status": o.payment_status, "flags": list(o.flags or []),
             "total": str(o.total), "currency": o.currency, "created_at": _iso(o.created_at),
             "placed_at": _iso(o.placed_at or o.created_at),
             "reservations": held.get(o.id, {}), "deadline": deadline_view(o, now)} for o in orders]


def _reservation_totals(session: Session, order_ids: list[int]) -> dict[int, dict[str, int]]:
    """``{order id: {state: units}}`` in one grouped query."""
    if not order_ids:
        return {}
    rows = session.execute(select(Reservation.order_id, Reservation.state, func.sum(Reservation.quantity))
                           .where(Reservation.order_id.in_(order_ids))
                           .group_by(Reservation.order_id, Reservation.state))
    totals: dict[int, dict[str, int]] = {}
    for order_id, state, units in rows:
        totals.setdefault(order_id, {})[state] = int(units)
    return totals


def stock_list(session: Session, *, search: str | None = None, limit: int = 500) -> list[dict]:
    """Every stock row with its listing count and push errors (for the console's stock page)."""
    query = select(StockItem).order_by(StockItem.sku, StockItem.warehouse).limit(limit)
    if search:
        query = query.where(StockItem.sku.contains(search, autoescape=True))
    items = list(session.scalars(query))
    listings: dict[str, list[Listing]] = {}
    skus = sorted({i.sku for i in items})
    if skus:
        for listing in session.scalars(select(Listing).where(Listing.sku.in_(skus))):
            listings.setdefault(listing.sku, []).append(listing)
    return [{"sku": i.sku, "warehouse": i.warehouse, "on_hand": i.on_hand, "reserved": i.reserved,
             "available": i.on_hand - i.reserved, "updated_at": _iso(i.updated_at),
             "channels": sorted(l.channel.name for l in listings.get(i.sku, [])),
             "push_errors": sum(1 for l in listings.get(i.sku, []) if l.push_error)} for i in items]


def channel_names(session: Session) -> dict[int, str]:
    return dict(session.execute(select(Channel.id, Channel.name)).all())


def event_rows(session: Session, status: str, *, channel_id: int | None = None, limit: int = 200) -> list[dict]:
    """Inbox events of one status, newest first, with channel names (uses :func:`event_row`)."""
    names = channel_names(session)
    return [event_row(e, names.get(e.channel_id)) for e in list_events(session, channel_id, status, limit)]


def channel_rows(session: Session) -> list[dict]:
    """Channel health from the database: last success and error, webhook state, deadline rule, failures."""
    failed = dict(session.execute(select(InboxEvent.channel_id, func.count()).where(InboxEvent.status == "failed")
                                  .group_by(InboxEvent.channel_id)).all())
    rows = []
    for channel in session.scalars(select(Channel).order_by(Channel.name)):
        settings = channel.settings or {}
        rule, rule_error = deadlines.rule_for(settings)
        rows.append({"id": channel.id, "name": channel.name, "kind": channel.kind, "url": channel.base_url,
                     "last_success_at": _iso(channel.last_success_at), "last_error": channel.last_error,
                     "last_error_at": _iso(channel.last_error_at), "webhooks": settings.get("webhooks"),
                     "deadline_rule": settings.get("deadline") or deadlines.DEFAULT_RULE,
                     "deadline_text": deadlines.describe_rule(rule), "deadline_error": rule_error,
                     "failed_events": failed.get(channel.id, 0)})
    return rows


def alert_rows(session: Session, alerts: list[Alert]) -> list[dict]:
    """Alerts (from ``connector.alerts.open_alerts``) with their channel and order resolved for links."""
    names = channel_names(session)
    rows = []
    for alert in alerts:
        order = session.get(Order, alert.order_id) if alert.order_id else None
        rows.append({"id": alert.id, "kind": alert.kind, "message": alert.message, "count": alert.count,
                     "channel": names.get(alert.channel_id), "created_at": _iso(alert.created_at),
                     "last_seen_at": _iso(alert.last_seen_at),
                     "order": {"channel": order.channel.name, "external_id": order.external_id,
                               "number": order.number} if order else None})
    return rows


def event_row(event: InboxEvent, channel_name: str | None = None) -> dict:
    return {"id": event.id, "channel": channel_name, "topic": event.topic, "resource_id": event.resource_id,
            "status": event.status, "error": event.error, "attempts": event.attempts,
            "received_at": _iso(event.received_at), "processed_at": _iso(event.processed_at)}


def event_view(session: Session, event_id: int) -> dict | None:
    """One inbox event: its row, delivery metadata and the ledger changes it caused (never its body)."""
    event = session.get(InboxEvent, event_id)
    if event is None:
        return None
    view = event_row(event, channel_names(session).get(event.channel_id))
    journal = session.scalars(select(JournalEntry).where(JournalEntry.event_id == event_id).order_by(JournalEntry.id))
    view.update(source=event.source, meta=dict(event.meta or {}), body_bytes=len(event.body or b""),
                not_before=_iso(event.not_before), journal=[dict(_journal_row(session, j), sku=j.sku) for j in journal])
    return view


def marketplace_rows(session: Session) -> list[dict]:
    """Marketplace accounts for the console: rules, poll cursor, listings and what failed to push."""
    from connector.marketplaces import TITLES, accounts

    rows = []
    for channel in accounts(session):
        settings = channel.settings or {}
        listings = list(session.scalars(select(Listing).where(Listing.channel_id == channel.id)))
        cursor = session.scalar(select(Checkpoint.value).where(Checkpoint.channel_id == channel.id,
                                                               Checkpoint.name == "marketplace_poll"))
        rows.append({"id": channel.id, "name": channel.name, "kind": channel.kind, "title": TITLES[channel.kind],
                     "url": channel.base_url, "poll_seconds": settings.get("poll_seconds"),
                     "sweep_seconds": settings.get("sweep_seconds"), "out_of_stock": settings.get("out_of_stock"),
                     "mirror_to": settings.get("mirror_to"), "buffer": settings.get("buffer", 0),
                     "paused": bool(settings.get("paused")), "cursor": cursor or {},
                     "listings": len(listings), "push_errors": [(l.sku, l.push_error) for l in listings if l.push_error],
                     "last_success_at": _iso(channel.last_success_at), "last_error": channel.last_error,
                     "connected": bool((channel.credentials or {}).get("access_token")) or channel.kind != "allegro"})
    return rows
