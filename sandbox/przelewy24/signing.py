"""The sandbox's own Przelewy24 ``sign`` (written separately from the middleware's, to check it).

SHA-384 hex over a compact JSON object: the documented fields in the documented order, then
``"crc"``; UTF-8 and ``/`` left unescaped (PHP ``JSON_UNESCAPED_UNICODE|JSON_UNESCAPED_SLASHES``).
"""

from __future__ import annotations

import hashlib
import hmac
import json

FIELD_ORDER = {
    "register": ("sessionId", "merchantId", "amount", "currency"),
    "verify": ("sessionId", "orderId", "amount", "currency"),
    "notification": ("merchantId", "posId", "sessionId", "amount", "originAmount", "currency", "orderId",
                     "methodId", "statement"),
    "refund_notification": ("orderId", "sessionId", "refundsUuid", "merchantId", "amount", "currency", "status"),
}


def _member(name: str, value: object) -> str:
    return json.dumps(name) + ":" + json.dumps(value, ensure_ascii=False)


def p24_sign(message: str, values: dict, crc: str) -> str:
    """Sign ``values`` as the ``message`` kind (``register``, ``verify``, ``notification``, ...)."""
    members = [_member(name, values[name]) for name in FIELD_ORDER[message]] + [_member("crc", crc)]
    text = "{" + ",".join(members) + "}"
    return hashlib.sha384(text.encode("utf-8")).hexdigest()


def sign_ok(message: str, body: dict, crc: str) -> bool:
    """Whether ``body["sign"]`` is right for the fields in ``body`` (constant-time)."""
    given = body.get("sign")
    if not isinstance(given, str):
        return False
    try:
        expected = p24_sign(message, body, crc)
    except KeyError:
        return False
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("ascii"))


def php_json(value: object) -> bytes:
    """Serialise like PHP ``json_encode`` with default flags: ``\\uXXXX`` and ``\\/`` escapes.

    Notification bodies go out this way so that a receiver that hashes the body instead of
    re-building the sign JSON fails in tests (real P24 escaping of bodies is not documented).
    """
    return json.dumps(value, separators=(",", ":"), ensure_ascii=True).replace("/", "\\/").encode("ascii")
