"""Carrier webhook events (source ``carrier``): find the shipment, then re-read it from the carrier.

The handler itself does no remote call: it queues ``workers.tracking.refresh_shipment`` for after
the commit, which asks the carrier's API for the truth (the webhook is unsigned).
"""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from connector.models import Channel, InboxEvent, Shipment
from connector.settings import Settings
from workers.effects import Effects


def handle_carrier_event(session: Session, account: Channel, event: InboxEvent, cfg: Settings):
    ref = event.resource_id
    shipment = session.scalar(select(Shipment).where(
        Shipment.carrier == account.name, or_(Shipment.carrier_ref == ref, Shipment.tracking_number == ref)))
    if shipment is None:
        return "ignored", f"no shipment {ref} of {account.name} here", Effects()
    effects = Effects()
    effects.refreshes.append((shipment.id, f"re-read {account.name} shipment {shipment.reference}"))
    return "processed", "", effects
