"""Inbox processing: ``drain_inbox`` leases a channel's due events and applies them one by one.

Each event gets its own transaction, and its status is written in that same transaction, so an
event is applied exactly once or not at all. Effects on Redis (dirty stock marks, outbound jobs)
happen after the commit; if they are lost, the reconcile pass finds the difference in the database.
"""

from __future__ import annotations

import json
import logging
import time
from datetime import timedelta

from marshmallow import ValidationError
from sqlalchemy.exc import IntegrityError, OperationalError

from connector import alerts, inbox
from connector.marketplaces import KINDS as MARKETPLACE_KINDS
from connector.db import transaction
from connector.errors import PermanentError, TransientError
from connector.models import Channel, InboxEvent, utcnow
from workers import context, metrics_store, shipping
from workers.carrier_events import handle_carrier_event
from workers.effects import Effects
from workers.payment_events import handle_payu, handle_przelewy24
from workers.queue import drain_flag, enqueue_intent, mark_dirty, queue, trigger_drain
from workers.marketplace_events import handle_marketplace_event
from workers.woocommerce_events import handle_woo_event

log = logging.getLogger(__name__)
BACKOFF = (2, 5, 15, 60, 300, 900, 1800, 3600)


HANDLERS = {"woocommerce": handle_woo_event, "przelewy24": handle_przelewy24, "payu": handle_payu,
            "carrier": handle_carrier_event, **{kind: handle_marketplace_event for kind in MARKETPLACE_KINDS}}


def drain_inbox(channel_id: int) -> str:
    """Job: process every due event of one channel, oldest first, within a time budget."""
    cfg, redis = context.settings(), context.redis()
    redis.delete(drain_flag(channel_id))
    done, started, exhausted = 0, time.monotonic(), False
    while time.monotonic() - started < cfg.drain_time_budget:
        with transaction(context.engine()) as session:
            ids = inbox.claim(session, channel_id, cfg.drain_batch, cfg.event_claim_seconds)
        if not ids:
            exhausted = True
            break
        for event_id in ids:
            apply_event(event_id)
            done += 1
    if not exhausted:  # the time budget ran out with work left: hand over to a fresh job
        with transaction(context.engine()) as session:
            trigger_drain(redis, channel_id, session.get(Channel, channel_id).name)
    _reschedule_if_waiting(channel_id)
    return f"{done} events processed"


def _reschedule_if_waiting(channel_id: int) -> None:
    """Events not yet due (backoff, product grace) get a delayed drain instead of a busy loop.

    The ``:later`` key holds when the next delayed drain runs; a new one is queued only when none is due
    by then, so a burst of stock echoes (each waiting out the product grace) yields one delayed drain.
    """
    with transaction(context.engine()) as session:
        due = inbox.next_due_at(session, channel_id)
        name = session.get(Channel, channel_id).name
    if due is None:
        return
    delay = max((due - utcnow()).total_seconds(), 0) + 0.5
    redis, now = context.redis(), time.time()
    key = drain_flag(channel_id) + ":later"
    planned = float(redis.get(key) or 0)
    if now < planned <= now + delay + 0.05:
        return
    redis.set(key, now + delay, ex=int(delay) + 30)
    queue(redis, "ingest").enqueue_in(
        _seconds(delay), "workers.ingest.drain_inbox", channel_id,
        description=f"process delayed events from {name}", result_ttl=300)


def _seconds(delay: float) -> timedelta:
    return timedelta(seconds=delay)


def process_event(event_id: int) -> str:
    """Job: lease and apply one specific event (used when a single event is queued on its own)."""
    with transaction(context.engine()) as session:
        if not inbox.claim_one(session, event_id, context.settings().event_claim_seconds):
            return "not due or already taken"
    return apply_event(event_id)


def apply_event(event_id: int) -> str:
    """Apply one leased inbox event; returns its final status. Never raises for a bad event."""
    cfg = context.settings()
    try:
        with transaction(context.engine()) as session:
            event = session.get(InboxEvent, event_id)
            if event is None or event.status != "received":
                return "skipped"
            channel = session.get(Channel, event.channel_id)
            status, note, effects = HANDLERS[event.source](session, channel, event, cfg)
            inbox.finish(session, event, status, note or None)
    except (TransientError, OperationalError, IntegrityError) as exc:
        return _postpone(event_id, exc, cfg.event_max_attempts)
    except (PermanentError, ValidationError, ValueError, KeyError) as exc:
        return _fail(event_id, _describe(exc))
    except Exception as exc:  # noqa: BLE001 - a bad event must be parked, never lost
        log.exception("event %s: unexpected error", event_id)
        return _fail(event_id, f"internal error ({type(exc).__name__}); see worker log")
    _after_commit(effects)
    return status


def _describe(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "payload rejected: " + json.dumps(exc.messages, ensure_ascii=False, sort_keys=True)[:1000]
    return f"{type(exc).__name__}: {exc}"[:1000]


def _postpone(event_id: int, exc: Exception, max_attempts: int) -> str:
    with transaction(context.engine()) as session:
        event = session.get(InboxEvent, event_id)
        delay = BACKOFF[min(event.attempts, len(BACKOFF) - 1)]
        inbox.postpone(session, event, f"{type(exc).__name__}: {str(exc)[:300]}", delay, max_attempts)
        return event.status


def _fail(event_id: int, error: str) -> str:
    with transaction(context.engine()) as session:
        event = session.get(InboxEvent, event_id)
        inbox.finish(session, event, "failed", error)
        channel = session.get(Channel, event.channel_id)
        alerts.raise_alert(session, kind="event_failed", key=f"event-failed:{channel.id}", channel_id=channel.id,
                           message=f"{channel.name}: event #{event.id} ({event.topic}) failed and waits for a replay")
    return "failed"


def _after_commit(effects: Effects) -> None:
    redis = context.redis()
    mark_dirty(redis, effects.dirty, effects.force)
    for intent_id, description in effects.intents:
        enqueue_intent(redis, intent_id, description)
    for shipment_id, description in effects.shipments:
        shipping.enqueue(redis, "create_shipment", shipment_id, description)
    for shipment_id, description in effects.refreshes:
        shipping.enqueue(redis, "refresh_shipment", shipment_id, description)
    if effects.refusals:
        metrics_store.increment(redis, "oversell_refusals", effects.refusals)
