"""Offers/products of a marketplace account -> our SKUs (``stockbridge channel map``).

An offer matches, in this order: a mapping the operator gave (``ref -> SKU``, from a CSV), its seller
code (Allegro ``external.id``, Rozetka ``price_offer_id``, Ozon ``offer_id``, Prom ``external_id``)
equal to a SKU of the ledger, or its EAN equal to the EAN of a shop product (``global_unique_id``,
kept with the shop's listing). Each match becomes the account's listing of the SKU (what stock is
pushed to); the report lists what did not match, so the operator can fix codes or give a mapping.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from connector.marketplaces import Offer
from connector.models import Channel, Listing, StockItem
from connector.orders import learn_listing


@dataclass
class MappingReport:
    matched: list[tuple[str, str, str]] = field(default_factory=list)  # (ref, sku, how)
    unmatched: list[Offer] = field(default_factory=list)
    conflicts: list[tuple[str, str]] = field(default_factory=list)  # (ref, sku already mapped to another ref)

    def as_dict(self) -> dict:
        return {"matched": len(self.matched), "by": _count(how for *_, how in self.matched),
                "unmatched": [{"ref": o.ref, "code": o.sku, "ean": o.ean, "name": o.name} for o in self.unmatched],
                "conflicts": [{"ref": ref, "sku": sku} for ref, sku in self.conflicts]}


def _count(values) -> dict:
    counts: dict = {}
    for value in values:
        counts[value] = counts.get(value, 0) + 1
    return counts


def _eans(session: Session) -> dict[str, str]:
    """EAN -> SKU from the shops' listings (the catalog import keeps ``state["ean"]``)."""
    rows = session.execute(select(Listing.sku, Listing.state).join(Channel).where(Channel.kind == "woocommerce"))
    return {str(state["ean"]): sku for sku, state in rows if state and state.get("ean")}


def _match(offer: Offer, given: dict[str, str], skus: set[str], eans: dict[str, str]) -> tuple[str, str] | None:
    if offer.ref in given:
        return given[offer.ref], "mapping"
    if offer.sku and offer.sku in skus:
        return offer.sku, "sku"
    if offer.ean and offer.ean in eans:
        return eans[offer.ean], "ean"
    return None


def map_offers(session: Session, channel: Channel, offers, given: dict[str, str] | None = None) -> MappingReport:
    """Create or update ``channel``'s listings from ``offers``; returns what matched and what did not."""
    report, given = MappingReport(), dict(given or {})
    skus = set(session.scalars(select(StockItem.sku)))
    eans = _eans(session)
    for offer in offers:
        found = _match(offer, given, skus, eans)
        if found is None:
            report.unmatched.append(offer)
            continue
        sku, how = found
        existing = session.scalar(select(Listing).where(Listing.channel_id == channel.id, Listing.sku == sku))
        if existing is not None and existing.product_ref not in ("", offer.ref):
            report.conflicts.append((offer.ref, sku))
            continue
        learn_listing(session, channel, sku, offer.ref, offer.location)
        report.matched.append((offer.ref, sku, how))
    return report
