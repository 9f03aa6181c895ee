"""Catalog import: learn every listing of a shop and, when the shop is the stock master, its on-hand.

One page of products (with their variations) is applied in one transaction together with the
checkpoint of the next page, so an interrupted import resumes exactly where it stopped.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from connector import ledger
from connector.stock import count_stock
from connector.canonical import ProductStock, synthetic_sku
from connector.models import Channel, Checkpoint
from connector.orders import learn_listing

CHECKPOINT = "catalog_import"
MASTERS = ("shop", "ledger")


@dataclass
class PageResult:
    listed: int = 0
    counted: int = 0
    skus: tuple[str, ...] = ()
    changed: frozenset[str] = frozenset()  # figures moved by orders that waited for a SKU


def import_item(session: Session, channel: Channel, product: ProductStock, master: str) -> tuple[str, set[str] | None]:
    """Learn one product/variation; with ``master == "shop"`` take its stock figure.

    Returns (sku, None when not counted, else the SKUs whose figure orders waiting for it changed)."""
    sku = product.sku or synthetic_sku(channel.name, product.product_ref, product.variation_ref)
    listing = learn_listing(session, channel, sku, product.product_ref, product.variation_ref)
    if product.ean and (listing.state or {}).get("ean") != product.ean:
        listing.state = {**(listing.state or {}), "ean": product.ean}
    if not product.manage_stock or product.quantity is None:
        return sku, None
    listing.last_seen = product.quantity
    if master != "shop":
        return sku, None
    reserved = (ledger.levels(session, sku) or (0, 0))[1]
    changed = count_stock(session, sku, max(product.quantity, 0) + reserved, shown=True,
                          cause=ledger.Cause(f"catalog import from {channel.name}", note=f"shop showed {product.quantity}"))
    listing.last_pushed = product.quantity
    return sku, changed


def apply_page(session: Session, channel: Channel, products: list[ProductStock], master: str,
               next_page: int, total_pages: int) -> PageResult:
    result = PageResult()
    skus, changed = [], set()
    for product in products:
        sku, moved = import_item(session, channel, product, master)
        skus.append(sku)
        result.listed += 1
        result.counted += int(moved is not None)
        changed |= moved or set()
    result.skus, result.changed = tuple(skus), frozenset(changed)
    save_progress(session, channel, {"next_page": next_page, "total_pages": total_pages, "master": master,
                                     "done": next_page > total_pages})
    return result


def progress(session: Session, channel: Channel) -> dict | None:
    cp = session.scalar(select(Checkpoint).where(Checkpoint.channel_id == channel.id, Checkpoint.name == CHECKPOINT))
    return dict(cp.value) if cp else None


def save_progress(session: Session, channel: Channel, value: dict) -> None:
    cp = session.scalar(select(Checkpoint).where(Checkpoint.channel_id == channel.id, Checkpoint.name == CHECKPOINT))
    if cp is None:
        cp = Checkpoint(channel_id=channel.id, name=CHECKPOINT, value=value)
        session.add(cp)
    cp.value = value
