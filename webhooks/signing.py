"""Signature checks over raw bytes, constant time."""

from __future__ import annotations

import base64
import hashlib
import hmac


def woo_signature(secret: str, raw_body: bytes) -> str:
    """``base64(HMAC-SHA256(secret, body))`` as WooCommerce's ``X-WC-Webhook-Signature`` (fact 3)."""
    return base64.b64encode(hmac.new(secret.encode("utf-8"), raw_body, hashlib.sha256).digest()).decode("ascii")


def woo_signature_valid(secret: str, raw_body: bytes, header_value: str) -> bool:
    return hmac.compare_digest(woo_signature(secret, raw_body).encode("ascii"), header_value.strip().encode("utf-8"))
