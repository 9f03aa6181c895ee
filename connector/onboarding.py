"""Connecting a shop: create or update Stockbridge's webhooks in WooCommerce through its REST API.

Re-running is safe: a webhook with the same topic and delivery URL is updated (secret, active)
instead of duplicated. WooCommerce refuses delivery URLs that resolve to private addresses or use
ports other than 80/443/8080 ("A valid URL was not provided.", ``reference/woocommerce.md`` fact 16).
"""

from __future__ import annotations

from dataclasses import dataclass

from connector.clients.woocommerce import WooCommerceClient
from connector.errors import PermanentError

TOPICS = ("order.created", "order.updated", "order.deleted", "order.restored", "product.updated")


class DeliveryUrlRefused(PermanentError):
    """WooCommerce would not accept our public URL as a delivery URL."""


@dataclass(frozen=True)
class WebhookResult:
    topic: str
    action: str  # created | updated
    webhook_id: int
    status: str


def delivery_url(public_url: str, shop_name: str) -> str:
    return f"{public_url.rstrip('/')}/webhooks/woocommerce/{shop_name}"


def _refusal(exc: PermanentError, url: str) -> DeliveryUrlRefused:
    return DeliveryUrlRefused(
        f"WooCommerce refused the delivery URL {url}: {exc}. WordPress only delivers to public hosts on ports "
        "80, 443 or 8080 (private addresses such as 127.0.0.1, 10.x, 172.16-31.x, 192.168.x are rejected); "
        "give --public-url an address the shop can reach, e.g. https://stockbridge.example.com")


def ensure_webhooks(client: WooCommerceClient, *, url: str, secret: str, label: str) -> list[WebhookResult]:
    """Create or update one webhook per topic in :data:`TOPICS` pointing at ``url``."""
    existing = {(h.get("topic"), h.get("delivery_url")): h for h in client.list_webhooks()}
    results = []
    for topic in TOPICS:
        body = {"name": f"{label} {topic}", "topic": topic, "delivery_url": url, "secret": secret, "status": "active"}
        try:
            found = existing.get((topic, url))
            hook = client.update_webhook(found["id"], body) if found else client.create_webhook(body)
        except PermanentError as exc:
            if exc.status == 400 or "valid URL" in str(exc):
                raise _refusal(exc, url) from exc
            raise
        results.append(WebhookResult(topic, "updated" if found else "created", int(hook["id"]), hook.get("status", "")))
    return results


def ours(hooks: list[dict], url: str) -> list[dict]:
    return [h for h in hooks if h.get("delivery_url") == url and h.get("topic") in TOPICS]
