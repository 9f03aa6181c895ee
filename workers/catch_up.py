"""Never miss an event: the catch-up poll, webhook health and the stock drift check (WooCommerce).

WooCommerce never retries a failed delivery and disables a webhook after 7 failures in a row
(``reference/woocommerce.md`` facts 7-8), so a scheduled poll reads orders ``modified_after`` the
last checkpoint minus an overlap and feeds them through the same inbox (the dedup key makes an
order state already delivered by webhook a duplicate). It also re-enables our disabled webhooks and
raises an alert. The drift check compares every listing's figure in the shop with the ledger,
journals what differs and pushes the ledger's figure.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta

from sqlalchemy import select

from connector import alerts, inbox
from connector.db import transaction
from connector.errors import StockbridgeError
from connector.models import Channel, Checkpoint, utcnow
from connector.onboarding import delivery_url, ours
from mappers import woocommerce as woo
from workers import context
from workers.queue import trigger_drain
from workers.stock_push import record_channel_error
from workers.woocommerce_events import client_for

log = logging.getLogger(__name__)
OVERLAP = timedelta(minutes=5)
CHECKPOINT = "orders_modified_after"


def catch_up_all() -> str:
    """Scheduled: poll every WooCommerce shop; one shop failing does not stop the others."""
    with transaction(context.engine()) as session:
        ids = list(session.scalars(select(Channel.id).where(Channel.kind == "woocommerce").order_by(Channel.id)))
    found = 0
    for channel_id in ids:
        try:
            found += catch_up_channel(channel_id)
            check_webhooks(channel_id)
        except StockbridgeError as exc:
            _record_failure(channel_id, exc)
    return f"{found} missed order states fed to the inbox"


def _checkpoint(session, channel: Channel) -> Checkpoint:
    cp = session.scalar(select(Checkpoint).where(Checkpoint.channel_id == channel.id, Checkpoint.name == CHECKPOINT))
    if cp is None:
        cp = Checkpoint(channel_id=channel.id, name=CHECKPOINT, value={"gmt": (channel.created_at - OVERLAP).isoformat()})
        session.add(cp)
        session.flush()
    return cp


def catch_up_channel(channel_id: int) -> int:
    """Feed orders modified since the checkpoint (minus the overlap) to the inbox; returns how many were new."""
    with transaction(context.engine()) as session:
        channel = session.get(Channel, channel_id)
        since = datetime.fromisoformat(_checkpoint(session, channel).value["gmt"]) - OVERLAP
        client, name = client_for(channel, context.settings()), channel.name
    new, newest = 0, since
    for page in client.iter_orders_modified_after(since.replace(microsecond=0).isoformat()):
        for order in page:
            new += _feed(channel_id, order)
            modified = order.get("date_modified_gmt")
            if modified:
                newest = max(newest, datetime.fromisoformat(modified))
    _advance(channel_id, newest)
    if new:
        trigger_drain(context.redis(), channel_id, name)
    return new


def _feed(channel_id: int, order: dict) -> int:
    raw = json.dumps(order, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    event_id = inbox.record(context.engine(), channel_id=channel_id, source="woocommerce", topic="order.updated",
                            resource_id=str(order.get("id", "")), dedup_key=woo.inbox_key("order.updated", order, raw, ""),
                            body=raw, meta={"via": "catch-up"})
    return 1 if event_id else 0


def _advance(channel_id: int, newest: datetime) -> None:
    with transaction(context.engine()) as session:
        cp = _checkpoint(session, session.get(Channel, channel_id))
        if newest > datetime.fromisoformat(cp.value["gmt"]):
            cp.value = {"gmt": newest.isoformat()}
        channel = session.get(Channel, channel_id)
        channel.last_success_at = utcnow()
        alerts.resolve(session, f"channel-failing:{channel_id}")


def check_webhooks(channel_id: int) -> list[str]:
    """Re-enable our webhooks that WooCommerce disabled or paused; returns the topics re-enabled."""
    with transaction(context.engine()) as session:
        channel = session.get(Channel, channel_id)
        public_url = (channel.settings or {}).get("public_url")
        client, name = client_for(channel, context.settings()), channel.name
    if not public_url:
        return []
    url = delivery_url(public_url, name)
    hooks = ours(client.list_webhooks(), url)
    revived = []
    for hook in hooks:
        if hook.get("status") != "active":
            client.update_webhook(hook["id"], {"status": "active"})
            revived.append(hook["topic"])
    _record_webhooks(channel_id, hooks, revived)
    return revived


def _record_webhooks(channel_id: int, hooks: list[dict], revived: list[str]) -> None:
    with transaction(context.engine()) as session:
        channel = session.get(Channel, channel_id)
        state = {h["topic"]: {"id": h["id"], "status": "active" if h["topic"] in revived else h.get("status"),
                              "checked_at": utcnow().isoformat() + "Z"} for h in hooks}
        channel.settings = {**(channel.settings or {}), "webhooks": state}
        if revived:
            alerts.raise_alert(session, kind="webhook_disabled", key=f"webhook-disabled:{channel_id}",
                               channel_id=channel_id,
                               message=f"{channel.name}: WooCommerce had disabled webhooks {', '.join(sorted(revived))} "
                                       "after failed deliveries; re-enabled, missed orders caught up by the poll")


def _record_failure(channel_id: int, exc: StockbridgeError) -> None:
    log.warning("catch-up for channel %s failed: %s", channel_id, type(exc).__name__)
    with transaction(context.engine()) as session:
        record_channel_error(session, session.get(Channel, channel_id), f"catch-up: {exc}")
