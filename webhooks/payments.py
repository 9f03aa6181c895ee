"""``POST /webhooks/przelewy24/<shop>`` and ``POST /webhooks/payu/<shop>``: gateway notices, stored first.

Pipeline (DESIGN section 2): unknown shop or gateway not set up (404) -> size limit (413) -> raw
bytes -> signature (401, nothing stored) -> inbox row under the notice's dedup key -> drain trigger
-> 200. No gateway call and no business logic here: verifying, reading back and paying happen in
``workers.payment_events``. Bodies, signatures and keys are never logged.

* Przelewy24 (``reference/payments.md`` facts 3-7, 11): a JSON body; ``sign`` is SHA-384 over the
  documented fields plus ``crc`` as compact JSON with unicode and slashes unescaped, so it is
  rebuilt from the parsed fields (the body itself may be PHP-escaped). A transaction notice and a
  refund notice (``refundsUuid``) arrive on the same URL. Answering 200 does not stop P24's
  re-sends; only ``transaction/verify`` does (repeats are duplicates here).
* PayU (facts 21-26): ``OpenPayu-Signature`` (or ``X-OpenPayU-Signature``) =
  ``hex(HASH(raw body + second key))``, checked over the bytes as received; MD5 only when the
  shop's ``payments.allow_md5`` is on (pitfall 11). 200 stops PayU's 20 re-sends.

A signed notice our mapper rejects is still stored (dedup key over its bytes) so the worker fails it
visibly with the reason, instead of the gateway re-sending it for days.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from dataclasses import dataclass

from flask import Blueprint, current_app, jsonify, request
from marshmallow import ValidationError
from redis.exceptions import RedisError
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from connector import inbox, payments
from connector.clients import payu as payu_client
from connector.clients import przelewy24 as p24_client
from connector.inbox import InboxUnavailable
from connector.models import Channel
from mappers import payments as maps
from workers.queue import trigger_drain

log = logging.getLogger(__name__)
p24_bp = Blueprint("przelewy24_webhooks", __name__)
payu_bp = Blueprint("payu_webhooks", __name__)

#: Gateway notices are a few hundred bytes; anything near this is not one.
MAX_NOTICE_BYTES = 64 * 1024
CACHE_SECONDS = 5.0


@dataclass(frozen=True)
class GatewayKeys:
    """One shop's account at one gateway, as the receiver needs it (kept out of logs by ``repr``)."""

    channel_id: int
    shop: str
    account: dict
    options: dict

    def __repr__(self) -> str:
        return f"GatewayKeys(shop={self.shop!r})"


class _Directory:
    """(shop, gateway) -> GatewayKeys with a few seconds of per-process cache (only saves a read)."""

    def __init__(self):
        self._cache: dict[tuple[str, str], tuple[float, GatewayKeys | None]] = {}
        self._lock = threading.Lock()

    def get(self, engine, shop: str, gateway: str) -> GatewayKeys | None:
        now = time.monotonic()
        with self._lock:
            hit = self._cache.get((shop, gateway))
        if hit and now - hit[0] < CACHE_SECONDS:
            return hit[1]
        with engine.connect() as conn:
            channel = conn.execute(select(Channel.id, Channel.name, Channel.credentials, Channel.settings)
                                   .where(Channel.name == shop)).first()
            conn.rollback()
        keys = None
        if channel is not None:
            found = payments.account(channel, gateway)
            keys = GatewayKeys(channel.id, channel.name, found, payments.options(channel)) if found else None
        with self._lock:
            self._cache[(shop, gateway)] = (now, keys)
        return keys


_directory = _Directory()


def _reply(status: int, message: str, **extra):
    return jsonify({"status": status, "message": message, **extra}), status


def _keys(shop: str, gateway: str) -> GatewayKeys | None:
    return _directory.get(current_app.extensions["stockbridge.engine"], shop, gateway)


def _raw() -> bytes:
    configured = current_app.config.get("MAX_CONTENT_LENGTH") or MAX_NOTICE_BYTES
    request.max_content_length = min(MAX_NOTICE_BYTES, configured)
    return request.get_data(cache=False)


# --------------------------------------------------------------------------- Przelewy24

@p24_bp.post("/<shop>")
def receive_p24(shop: str):
    keys = _keys(shop, maps.PRZELEWY24)
    if keys is None:
        return _reply(404, f"unknown shop {shop!r} or no Przelewy24 account set up for it")
    raw = _raw()
    try:
        payload = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return _reply(400, "body is not valid JSON")
    if not isinstance(payload, dict):
        return _reply(400, "body is not a JSON object")
    refund = "refundsUuid" in payload
    if not _p24_signed(payload, keys.account, refund):
        return _reply(401, "sign does not match this shop's Przelewy24 CRC key and account")
    mapper = maps.from_p24_refund_notification if refund else maps.from_p24_notification
    return _store(keys, maps.PRZELEWY24, "refund" if refund else "transaction", payload.get("sessionId"),
                  mapper, payload, raw)


def _p24_signed(payload: dict, account: dict, refund: bool) -> bool:
    """``check_notification`` with our CRC, merchantId and posId (``check_refund_notification``:
    merchantId only, the refund notice carries no posId)."""
    crc, merchant = str(account["crc"]), int(account["merchant_id"])
    if refund:
        return p24_client.check_refund_notification(payload, crc, merchant_id=merchant)
    return p24_client.check_notification(payload, crc, merchant_id=merchant, pos_id=int(account["pos_id"]))


# --------------------------------------------------------------------------- PayU

@payu_bp.post("/<shop>")
def receive_payu(shop: str):
    keys = _keys(shop, maps.PAYU)
    if keys is None:
        return _reply(404, f"unknown shop {shop!r} or no PayU account set up for it")
    raw = _raw()
    header = payu_client.signature_header(request.headers)
    if not header:
        return _reply(401, "missing OpenPayu-Signature header")
    allow_md5 = bool(keys.options.get("allow_md5"))
    if not _payu_signed(raw, header, str(keys.account["second_key"]), allow_md5):
        return _reply(401, _payu_refusal(header, allow_md5))
    try:
        payload = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return _reply(400, "body is not valid JSON")
    if not isinstance(payload, dict):
        return _reply(400, "body is not a JSON object")
    refund = isinstance(payload.get("refund"), dict) and not isinstance(payload.get("order"), dict)
    order = payload.get("order") if isinstance(payload.get("order"), dict) else payload
    return _store(keys, maps.PAYU, "refund" if refund else "order", order.get("extOrderId") or order.get("orderId"),
                  maps.from_payu_notification, payload, raw)


def _payu_signed(raw: bytes, header: str, second_key: str, allow_md5: bool) -> bool:
    """Over the bytes as received; PayU's own SDK hashes the body after ``trim()``, so a body that
    only gained surrounding whitespace on the way is checked trimmed as well."""
    if payu_client.check_signature(raw, header, second_key, allow_md5=allow_md5):
        return True
    trimmed = raw.strip()
    return trimmed != raw and payu_client.check_signature(trimmed, header, second_key, allow_md5=allow_md5)


def _payu_refusal(header: str, allow_md5: bool) -> str:
    parts = payu_client.parse_signature_header(header)
    if parts is None:
        return "OpenPayu-Signature header is garbled"
    name = payu_client.hash_name(parts["algorithm"])
    if name is None:
        return "signature algorithm not supported"
    if name in payu_client.WEAK_ALGORITHMS and not allow_md5:
        return "MD5/SHA-1 signatures are refused for this shop (settings payments.allow_md5)"
    return "signature does not match this shop's PayU second key"


# --------------------------------------------------------------------------- storing

def _store(keys: GatewayKeys, gateway: str, topic: str, reference, mapper, payload: dict, raw: bytes):
    """Inbox row under the notice's dedup key (or a digest of the bytes when the mapper refuses it)."""
    try:
        notice = mapper(payload)
        dedup_key, reference = notice.dedup_key, notice.reference or notice.transaction_id
    except ValidationError:
        dedup_key = f"{gateway}:raw:{hashlib.sha256(raw).hexdigest()[:40]}"
    resource = _resource(keys, str(reference or ""))
    try:
        event_id = inbox.record(current_app.extensions["stockbridge.engine"], channel_id=keys.channel_id,
                                source=gateway, topic=topic, resource_id=resource, dedup_key=dedup_key[:200],
                                body=raw, meta={"gateway": gateway})
    except (SQLAlchemyError, InboxUnavailable) as exc:  # no traceback: it could carry the body
        log.error("inbox write failed for %s notice to shop %s (%s)", gateway, keys.shop, type(exc).__name__)
        return _reply(503, "could not store the notice; not acknowledged")
    if event_id is None:
        return _reply(200, "duplicate notice; already stored")
    try:
        trigger_drain(current_app.extensions["stockbridge.redis"], keys.channel_id, keys.shop)
    except RedisError:
        log.warning("redis unavailable; %s notice for shop %s left for the sweeper", gateway, keys.shop)
    return _reply(200, "stored", event=event_id)


def _resource(keys: GatewayKeys, reference: str) -> str:
    """The shop order id the session maps to (so a waiting notice is woken when that order
    arrives), else the session id itself."""
    return (payments.match_order_ref(keys.options["session_pattern"], reference) or reference)[:64]
