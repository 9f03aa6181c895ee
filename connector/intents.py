"""Outbound intents: a row written before any call that creates something remotely.

APIs like WooCommerce order notes have no idempotency key, so the worker that performs an
intent first looks for its result remotely (look-up-before-create), then creates it, then marks
the row ``done`` with the remote reference. A crash between the remote create and our commit is
harmless: the retry finds the note and only records it.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from connector.models import Channel, Intent, Order


def ensure(session: Session, *, kind: str, channel: Channel, order: Order | None, key: str,
           payload: dict) -> Intent:
    """The intent with ``key``, created ``pending`` if it does not exist yet."""
    intent = session.scalar(select(Intent).where(Intent.key == key))
    if intent is None:
        intent = Intent(key=key, kind=kind, channel_id=channel.id, order_id=order.id if order else None,
                        payload=payload, status="pending")
        with session.begin_nested():
            session.add(intent)
    return intent


def pending(session: Session, limit: int = 200) -> list[Intent]:
    return list(session.scalars(select(Intent).where(Intent.status == "pending").order_by(Intent.id).limit(limit)))
