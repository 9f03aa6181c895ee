"""``POST /webhooks/carrier/<account>``: InPost ShipX and CDEK tracking webhooks.

Neither carrier signs its webhooks (InPost: a fixed sending range, 91.216.25.0/24; CDEK: nothing,
3 s timeout, no retry), so a body proves nothing: it is stored, and processing re-reads the shipment
from the carrier's API before anything changes. Optional checks per account: ``settings
["webhook_sources"]`` (CIDRs the request must come from) and ``credentials["webhook_token"]`` (a
secret ``?token=`` in the URL we give the carrier, compared in constant time). Unusable bodies from
an accepted source are answered 200 and recorded as ignored so the carrier does not retry forever.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging

from flask import Blueprint, current_app, jsonify, request
from marshmallow import ValidationError
from redis.exceptions import RedisError
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from connector import inbox
from connector.inbox import InboxUnavailable
from connector.models import Channel
from webhooks.sources import source_allowed
from workers.queue import trigger_drain

log = logging.getLogger(__name__)
bp = Blueprint("carrier_webhooks", __name__)


def _reply(status: int, message: str, **extra):
    return jsonify({"status": status, "message": message, **extra}), status


def _account(name: str) -> Channel | None:
    with current_app.extensions["stockbridge.engine"].connect() as conn:
        row = conn.execute(select(Channel.id, Channel.name, Channel.kind, Channel.settings, Channel.credentials)
                           .where(Channel.name == name, Channel.kind == "carrier")).first()
    return row


def _token_ok(credentials: dict) -> bool:
    expected = (credentials or {}).get("webhook_token")
    if not expected:
        return True
    return hmac.compare_digest(request.args.get("token", "").encode(), str(expected).encode())


def describe(integration: str, body: dict) -> tuple[str, str] | None:
    """(resource id, dedup key) of a usable webhook, else None. Raises ValidationError/ValueError when malformed."""
    if integration == "inpost":
        from mappers.inpost import webhook_event

        event = webhook_event(body)
        return event.shipment_id, event.dedup_key
    if integration == "cdek":
        from mappers.cdek import parse_webhook

        update = parse_webhook(body)
        if update is None:
            return None
        digest = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:16]
        return update.tracking_number, f"cdek:{update.tracking_number}:{update.raw_status}:{digest}"
    return None


@bp.post("/<account_name>")
def receive(account_name: str):
    account = _account(account_name)
    if account is None:
        return _reply(404, f"unknown carrier account {account_name!r}")
    if not source_allowed((account.settings or {}).get("webhook_sources")) or not _token_ok(account.credentials):
        return _reply(403, "request not from this carrier's webhook sources")
    raw = request.get_data(cache=False)
    try:
        body = json.loads(raw)
        described = describe((account.settings or {}).get("carrier", ""), body) if isinstance(body, dict) else None
    except (ValueError, ValidationError):
        return _reply(400, "body is not a webhook this carrier sends")
    topic = "shipment.webhook" if described else "carrier.other"
    resource, key = described or ("", "other:" + hashlib.sha256(raw).hexdigest()[:32])
    try:
        event_id = inbox.record(current_app.extensions["stockbridge.engine"], channel_id=account.id, source="carrier",
                                topic=topic, resource_id=resource, dedup_key=key, body=raw, meta={},
                                status="received" if described else "ignored",
                                error=None if described else "webhook type not used")
    except (SQLAlchemyError, InboxUnavailable):
        return _reply(503, "could not store the event; not acknowledged")
    if event_id and described:
        try:
            trigger_drain(current_app.extensions["stockbridge.redis"], account.id, account.name)
        except RedisError:
            log.warning("redis unavailable; carrier event left for the sweeper")
    return _reply(200, "stored" if event_id else "duplicate delivery; already stored")
