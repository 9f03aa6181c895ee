"""Marketplace inbox events -> the core: the same guarded lifecycle and ledger as the shop's orders.

The body of every marketplace event is the order as the marketplace showed it (a checkout form, a
posting, an order), stored by a poll (``workers.marketplace_poll``). Mapping is the adapter's; what
follows is common: reserve in the one ledger (an order the ledger cannot cover is flagged
``out_of_stock:<SKU>`` and alerted, and with ``settings["out_of_stock"] == "cancel"`` the marketplace
is told to cancel it with its out-of-stock reason), plan the shipment when the account has shipping
rules, and mirror the order into the shop (``settings["mirror_to"]``).
"""

from __future__ import annotations

import json

from connector import alerts
from connector.marketplaces import DEFAULTS, StatusChange
from connector.models import Channel, InboxEvent
from connector.orders import apply_order
from connector.settings import Settings
from workers import mirror
from workers.effects import Effects
from workers.marketplace_status import tell
from workers.marketplaces import adapter_for
from workers.shipping import plan_if_ready


def handle_marketplace_event(session, channel: Channel, event: InboxEvent, cfg: Settings):
    settings = {**DEFAULTS.get(channel.kind, {}), **(channel.settings or {})}
    canon, payment_status = adapter_for(channel.kind).order(json.loads(event.body), channel)
    result = apply_order(session, channel, canon, payment_status=payment_status, event_id=event.id,
                         hold_minutes=int(settings.get("hold_minutes", cfg.hold_minutes)))
    effects = Effects()
    if result.outcome == "stale":
        return "stale", result.note, effects
    effects.touch(session, result.touched_skus)
    # The marketplace moves its own listing with its orders (down at a sale, up again when Ozon releases a
    # cancelled posting's reservation): whatever the ledger did, this channel hears our figure again.
    effects.force_push(channel.id, {line.sku for line in result.order.lines})
    alerts.raise_order_alerts(session, channel, result)
    effects.refusals = len(result.short_skus)
    if result.short_skus and settings.get("out_of_stock") == "cancel" and result.order.status != "cancelled":
        effects.intents.extend(filter(None, [tell(session, result.order, StatusChange("cancelled", reason="out_of_stock"))]))
    plan_if_ready(session, channel, result.order, effects)
    mirror.on_marketplace_order(session, channel, result.order, effects)
    return "processed", result.describe(), effects

