"""Building and sending one webhook request (``WC_Webhook::deliver()``/``deliver_ping()``).

The HTTP side mimics ``wp_safe_remote_request()`` with the curl transport:
the URL is checked with ``wp_http_validate_url()`` unless
``ALLOW_ANY_PORT`` (standing in for the ``http_request_host_is_external`` /
``http_allowed_safe_ports`` filters), redirects are not followed, and
network failures are reported with curl's messages as
``http_request_failed`` errors.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import requests

from .models import HOOKSHOT_USER_AGENT, Webhook
from .serialize import order_json, product_json
from .store import Shop
from .urlcheck import INVALID_URL_MESSAGE, is_safe_url
from .wpjson import php_json

if TYPE_CHECKING:
    from .sender import SenderOptions

TIMEOUT_MESSAGE = "cURL error 28: Operation timed out after 60001 milliseconds with 0 bytes received"


_SPECIALCHARS = {"&lt;": "<", "&#060;": "<", "&gt;": ">", "&#062;": ">", "&quot;": '"', "&#034;": '"',
                 "&#x22;": '"', "&#039;": "'", "&#x27;": "'", "&amp;": "&", "&#038;": "&", "&#x26;": "&"}
_SPECIALCHARS_RE = re.compile("|".join(re.escape(entity) for entity in _SPECIALCHARS))


def wp_specialchars_decode(text: str) -> str:
    """``wp_specialchars_decode($text, ENT_QUOTES)``: one pass, like PHP ``strtr``."""
    return _SPECIALCHARS_RE.sub(lambda match: _SPECIALCHARS[match.group(0)], text)


def signature(secret: str, body: bytes) -> str:
    """``WC_Webhook::generate_signature()``: base64(HMAC-SHA256(key, raw body)).

    The key is the webhook secret passed through ``wp_specialchars_decode``,
    so a secret saved as ``a&amp;b`` signs with ``a&b``.
    """
    key = wp_specialchars_decode(secret).encode("utf-8")
    return base64.b64encode(hmac.new(key, body, hashlib.sha256).digest()).decode()


def delivery_id(salt: str, webhook_id: int) -> str:
    """``wp_hash($webhook_id . time())``: 32 hex chars, equal within one second."""
    return hmac.new(salt.encode(), f"{webhook_id}{int(time.time())}".encode(), hashlib.md5).hexdigest()


def build_payload(shop: Shop, webhook: Webhook, arg: Any) -> Any:
    """``build_payload()``: the REST view of the resource *now* (shop.lock held)."""
    if webhook.resource == "action":
        return {"action": webhook.hooks[0], "arg": arg}
    if webhook.event == "deleted":
        return {"id": arg}
    if webhook.resource == "order":
        order = shop.order(arg)
        if order is not None:
            return order_json(shop, order)
        return {"code": "woocommerce_rest_shop_order_invalid_id", "message": "Invalid ID.",
                "data": {"status": 404}}
    if webhook.resource == "product":
        product = shop.product(arg)
        if product is not None:
            return product_json(shop, product)
        return {"code": "woocommerce_rest_product_invalid_id", "message": "Invalid ID.",
                "data": {"status": 404}}
    return {}


@dataclass
class DeliveryRequest:
    """A fully built delivery, ready to be sent outside the shop lock."""

    url: str
    headers: dict[str, str]
    body: bytes
    delivery_id: str

    def send(self, options: "SenderOptions", fault: int | str | None, home_url: str) -> dict[str, Any]:
        """POST it (or simulate ``fault``); returns the outcome for the log."""
        result: dict[str, Any] = {"url": self.url, "body": self.body.decode("ascii")}
        if fault == "timeout":
            result.update(ok=False, status=None, dropped=True,
                          error=f"http_request_failed: {TIMEOUT_MESSAGE}")
            return result
        if isinstance(fault, int):
            result.update(ok=200 <= fault < 303, status=fault, dropped=True, error=None)
            return result
        result.update(http_post(options, self.url, self.body, self.headers, options.timeout, home_url))
        return result


def deliver_payload(shop: Shop, webhook: Webhook, arg: Any) -> DeliveryRequest:
    """Serialise, sign and address one delivery (shop.lock held)."""
    body = php_json(build_payload(shop, webhook, arg)).strip()
    ident = delivery_id(shop.salt, webhook.id)
    headers = {
        "User-Agent": HOOKSHOT_USER_AGENT, "Accept": "*/*", "Connection": "close",
        "Content-Type": "application/json",
        "X-WC-Webhook-Source": shop.home_url,
        "X-WC-Webhook-Topic": webhook.topic,
        "X-WC-Webhook-Resource": webhook.resource,
        "X-WC-Webhook-Event": webhook.event,
        "X-WC-Webhook-Signature": signature(webhook.secret, body),
        "X-WC-Webhook-ID": str(webhook.id),
        "X-WC-Webhook-Delivery-ID": ident,
    }
    return DeliveryRequest(webhook.delivery_url, headers, body, ident)


def send_ping(options: "SenderOptions", webhook_id: int, url: str, home_url: str) -> dict[str, Any]:
    """``deliver_ping()``: form-encoded ``webhook_id=<id>``, no X-WC headers."""
    body = f"webhook_id={webhook_id}".encode()
    headers = {"User-Agent": HOOKSHOT_USER_AGENT, "Accept": "*/*", "Connection": "close",
               "Content-Type": "application/x-www-form-urlencoded"}
    result: dict[str, Any] = {"url": url, "body": body.decode()}
    result.update(http_post(options, url, body, headers, options.ping_timeout, home_url))
    return result


def _curl_error(url: str, exc: requests.RequestException, timeout: float, elapsed: float) -> str:
    parts = urlsplit(url)
    if isinstance(exc, requests.Timeout):
        return (f"cURL error 28: Operation timed out after {int(timeout * 1000) + 1} milliseconds "
                "with 0 bytes received")
    if isinstance(exc, requests.ConnectionError):
        port = parts.port or (443 if parts.scheme == "https" else 80)
        return (f"cURL error 7: Failed to connect to {parts.hostname} port {port} after "
                f"{int(elapsed * 1000)} ms: Couldn't connect to server")
    return f"cURL error: {exc}"


def http_post(options: "SenderOptions", url: str, body: bytes, headers: dict[str, str],
              timeout: float, home_url: str) -> dict[str, Any]:
    """One ``wp_safe_remote_request`` POST; never raises."""
    if not options.allow_any_port and not is_safe_url(url, home_url):
        return {"ok": False, "status": None, "error": f"http_request_failed: {INVALID_URL_MESSAGE}",
                "duration_ms": 0}
    started = time.monotonic()
    try:
        response = requests.post(url, data=body, headers=headers, timeout=timeout, allow_redirects=False)
    except requests.RequestException as exc:
        elapsed = time.monotonic() - started
        return {"ok": False, "status": None, "duration_ms": int(elapsed * 1000),
                "error": f"http_request_failed: {_curl_error(url, exc, timeout, elapsed)}"}
    elapsed = time.monotonic() - started
    return {"ok": 200 <= response.status_code < 303, "status": response.status_code, "error": None,
            "duration_ms": int(elapsed * 1000)}
