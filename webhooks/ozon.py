"""``POST /webhooks/ozon/<account>``: Ozon's push notifications, a trigger for an early poll, never the truth.

Ozon signs nothing; it sends from 195.34.21.0/24, 185.73.192.0/22 and 91.223.93.0/24 (the account's
``settings["push_sources"]`` overrides the list). It wants an answer within 5 s and suspends pushes
to an endpoint that is slow or fails, and a new-posting push may come late or not at all
(``reference/marketplaces.md`` 3.5, pitfall 10): so a push is recorded (visible on the console) and
starts a poll of the unfulfilled list, which is what changes orders. ``TYPE_PING`` is answered with
``{"version", "name", "time"}``, everything else with ``{"result": true}``; errors use Ozon's shape
``{"error": {"code": "ERROR_UNKNOWN" | "ERROR_PARAMETER_VALUE_MISSED", "message", "details"}}``.
"""

from __future__ import annotations

import hashlib
import json
import logging
from datetime import datetime, timezone

from flask import Blueprint, current_app, jsonify, request
from redis.exceptions import RedisError
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from connector import inbox
from connector.inbox import InboxUnavailable
from connector.models import Channel
from webhooks.sources import source_allowed
from workers.marketplace_poll import trigger_poll

log = logging.getLogger(__name__)
bp = Blueprint("ozon_webhooks", __name__)
OZON_SOURCES = ["195.34.21.0/24", "185.73.192.0/22", "91.223.93.0/24"]


def _error(status: int, code: str, message: str):
    return jsonify({"error": {"code": code, "message": message, "details": None}}), status


def _account(name: str):
    with current_app.extensions["stockbridge.engine"].connect() as conn:
        return conn.execute(select(Channel.id, Channel.name, Channel.settings)
                            .where(Channel.name == name, Channel.kind == "ozon")).first()


def _parse(raw: bytes) -> dict | None:
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return None
    return body if isinstance(body, dict) and isinstance(body.get("message_type"), str) else None


@bp.post("/<account_name>")
def receive(account_name: str):
    account = _account(account_name)
    if account is None:
        return _error(404, "ERROR_UNKNOWN", f"unknown Ozon account {account_name!r}")
    if not source_allowed((account.settings or {}).get("push_sources", OZON_SOURCES)):
        return _error(403, "ERROR_UNKNOWN", "request not from Ozon's push addresses")
    raw = request.get_data(cache=False)
    body = _parse(raw)
    if body is None:
        return _error(400, "ERROR_PARAMETER_VALUE_MISSED", "body is not an Ozon notification (JSON with message_type)")
    if body["message_type"] == "TYPE_PING":
        return jsonify(version="1.0.0", name="stockbridge", time=datetime.now(timezone.utc).isoformat())
    return _record(account, body, raw)


def _record(account, body: dict, raw: bytes):
    key = f"push:{body['message_type']}:{body.get('posting_number', '')}:{hashlib.sha256(raw).hexdigest()[:24]}"
    try:
        event_id = inbox.record(current_app.extensions["stockbridge.engine"], channel_id=account.id, source="ozon",
                                topic=body["message_type"].lower(), resource_id=str(body.get("posting_number", "")),
                                dedup_key=key, body=raw, meta={"push": True}, status="processed",
                                error="push notification: triggered a poll of the unfulfilled list")
    except (SQLAlchemyError, InboxUnavailable):
        return _error(503, "ERROR_UNKNOWN", "could not store the notification; send it again")
    if event_id is not None:
        try:
            trigger_poll(current_app.extensions["stockbridge.redis"], account.id, account.name)
        except RedisError:
            log.warning("redis unavailable; the scheduled poll of %s will find the posting", account.name)
    return jsonify(result=True)
