"""Read models for the API, console and CLI: plain dicts, no personal data beyond what is asked for."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from connector import ledger
from connector.models import Channel, InboxEvent, JournalEntry, Listing, Order, Reservation
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
            "event_id": entry.event_id, "note": entry.note}


def order_view(session: Session, channel_name: str, external_id: str) -> dict | None:
    order = session.scalar(select(Order).join(Channel).where(Channel.name == channel_name,
                                                            Order.external_id == external_id))
    if order is None:
        return None
    reservations = session.scalars(select(Reservation).where(Reservation.order_id == order.id).order_by(Reservation.id))
    return {"channel": channel_name, "external_id": order.external_id, "number": order.number,
            "status": order.status, "raw_status": order.raw_status, "payment_status": order.payment_status,
            "currency": order.currency, "total": str(order.total), "flags": list(order.flags or []),
            "lines": [{"sku": l.sku, "quantity": l.quantity, "name": l.name, "unit_price": str(l.unit_price)}
                      for l in order.lines],
            "reservations": [{"sku": r.sku, "quantity": r.quantity, "state": r.state,
                              "expires_at": _iso(r.expires_at)} for r in reservations],
            "updated_at": _iso(order.source_updated_at)}


def event_row(event: InboxEvent, channel_name: str | None = None) -> dict:
    return {"id": event.id, "channel": channel_name, "topic": event.topic, "resource_id": event.resource_id,
            "status": event.status, "error": event.error, "attempts": event.attempts,
            "received_at": _iso(event.received_at), "processed_at": _iso(event.processed_at)}
