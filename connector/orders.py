"""Apply a canonical order to the core: guarded lifecycle, lines, and the ledger.

One call = one transaction (the caller's session). The order row is locked first (``FOR UPDATE``
on PostgreSQL; SQLite serialises writers with ``BEGIN IMMEDIATE``), so twin deliveries processed by
two workers at once apply one after the other. A body older than what we have (source
``updated_at``) changes nothing. Lines are handled in SKU order so multi-SKU orders lock stock
rows in one global order (no deadlocks).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import String, cast, or_, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from connector import ledger
from connector.canonical import CanonicalLine, CanonicalOrder, synthetic_sku
from connector.lifecycle import can_transition, stock_action
from connector.models import Channel, Listing, Order, OrderLine, utcnow

log = logging.getLogger(__name__)


@dataclass
class ApplyResult:
    outcome: str  # processed | stale
    order: Order | None = None
    touched_skus: set[str] = field(default_factory=set)
    short_skus: list[str] = field(default_factory=list)
    unknown_skus: list[str] = field(default_factory=list)
    was_short: bool = False
    note: str = ""

    def describe(self) -> str:
        """The inbox row's note: the lifecycle note, then what the ledger could not cover."""
        parts = [self.note] if self.note else []
        parts += ["out of stock: " + ", ".join(sorted(self.short_skus))] if self.short_skus else []
        parts += ["unknown SKU: " + ", ".join(sorted(self.unknown_skus))] if self.unknown_skus else []
        return "; ".join(parts)


def lock_order(session: Session, channel_id: int, external_id: str) -> Order | None:
    return session.scalar(
        select(Order).where(Order.channel_id == channel_id, Order.external_id == external_id).with_for_update(of=Order)
    )


def _create_and_lock(session: Session, channel_id: int, external_id: str) -> Order:
    """Insert the order row unless a concurrent worker just did (twin webhooks), then lock it.

    ``INSERT ... ON CONFLICT DO NOTHING`` waits for the other transaction's row instead of failing
    on the unique constraint, so the twin is applied right after, not retried seconds later.
    """
    dialect_insert = postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(dialect_insert(Order).values(channel_id=channel_id, external_id=external_id, status="new",
                                                 flags=[]).on_conflict_do_nothing(
        index_elements=["channel_id", "external_id"]))
    return lock_order(session, channel_id, external_id)


def _is_stale(order: Order, canon: CanonicalOrder) -> bool:
    return bool(order.source_updated_at and canon.updated_at and canon.updated_at < order.source_updated_at)


def _next_status(order: Order, canon: CanonicalOrder, reopen: bool) -> tuple[str, str]:
    """(new status, note). Unknown raw statuses keep the current state and flag the order."""
    if canon.status is None:
        _add_flag(order, f"unknown_status:{canon.raw_status}")
        return order.status, f"unknown status {canon.raw_status!r} kept {order.status}"
    if canon.status == order.status or can_transition(order.status, canon.status, reopen=reopen):
        return canon.status, ""
    return order.status, f"transition {order.status} -> {canon.status} not allowed (no-op)"


def _add_flag(order: Order, flag: str) -> None:
    if flag not in (order.flags or []):
        order.flags = [*(order.flags or []), flag]


def _set_flags(order: Order, prefix: str, values: list[str]) -> None:
    kept = [f for f in (order.flags or []) if not f.startswith(prefix)]
    order.flags = kept + [prefix + v for v in sorted(values)]


def resolve_sku(session: Session, channel: Channel, line: CanonicalLine) -> str:
    """The line's SKU, else the SKU of the listing for this shop product/variation, else a synthetic one."""
    if line.sku:
        return line.sku
    sku = session.scalar(select(Listing.sku).where(
        Listing.channel_id == channel.id, Listing.product_ref == line.product_ref,
        Listing.variation_ref == line.variation_ref))
    return sku or synthetic_sku(channel.name, line.product_ref, line.variation_ref)


def learn_listing(session: Session, channel: Channel, sku: str, product_ref: str, variation_ref: str) -> Listing:
    """Remember which channel product carries ``sku`` (from order lines, product webhooks, imports)."""
    listing = session.scalar(select(Listing).where(Listing.channel_id == channel.id, Listing.sku == sku))
    if listing is None:
        listing = Listing(channel_id=channel.id, sku=sku, product_ref=product_ref, variation_ref=variation_ref,
                          buffer=int(channel.settings.get("buffer", 0)))
        session.add(listing)
        session.flush()
    elif product_ref and (listing.product_ref, listing.variation_ref) != (product_ref, variation_ref):
        listing.product_ref, listing.variation_ref = product_ref, variation_ref
    return listing


def _upsert_lines(session: Session, channel: Channel, order: Order, canon: CanonicalOrder) -> list[OrderLine]:
    by_key = {line.line_key: line for line in order.lines}
    seen = set()
    for cl in canon.lines:
        line = by_key.get(cl.line_key)
        if line is not None and (line.product_ref, line.variation_ref) == (cl.product_ref, cl.variation_ref) \
                and (line.sku == cl.sku or not cl.sku):
            sku = line.sku  # a known line: its SKU and listing were resolved when it first came
        else:
            sku = resolve_sku(session, channel, cl)
            if cl.product_ref not in ("", "0"):
                learn_listing(session, channel, sku, cl.product_ref, cl.variation_ref)
        if line is None:
            line = OrderLine(line_key=cl.line_key, sku=sku, quantity=cl.quantity)
            order.lines.append(line)
        line.sku, line.quantity, line.unit_price, line.name = sku, cl.quantity, cl.unit_price, cl.name
        line.product_ref, line.variation_ref = cl.product_ref, cl.variation_ref
        seen.add(cl.line_key)
    for key, line in by_key.items():
        if key not in seen:  # line removed by an order edit: its units go back
            line.quantity = 0
    session.flush()
    return sorted(order.lines, key=lambda l: (l.sku, l.id))


def _apply_stock(session: Session, order: Order, lines: list[OrderLine], cause: ledger.Cause,
                 hold_until: datetime | None, result: ApplyResult) -> None:
    action = stock_action(order.status)
    result.was_short = any(f.startswith("out_of_stock:") for f in order.flags or [])
    for line in lines:
        kwargs = dict(order_id=order.id, line_id=line.id, sku=line.sku, cause=cause)
        if action == "release" or line.quantity == 0:
            outcome = ledger.release(session, **kwargs)
        elif action == "commit":
            outcome = ledger.commit(session, quantity=line.quantity, **kwargs)
        else:
            outcome = ledger.reserve(session, quantity=line.quantity,
                                     expires_at=hold_until if action == "hold" else None, **kwargs)
        if outcome.result == "changed":
            result.touched_skus.add(outcome.sku)
        elif outcome.result == "short":
            result.short_skus.append(outcome.sku)
        elif outcome.result == "unknown_sku":
            result.unknown_skus.append(outcome.sku)
    _set_flags(order, "out_of_stock:", result.short_skus)
    _set_flags(order, "unknown_sku:", result.unknown_skus)


def _copy_fields(order: Order, canon: CanonicalOrder, payment_status: str) -> None:
    order.number, order.raw_status, order.currency, order.total = canon.number, canon.raw_status, canon.currency, canon.total
    order.payment_method, order.transaction_id, order.cod_amount = canon.payment_method, canon.transaction_id, canon.cod_amount
    order.buyer, order.shipping_address, order.delivery = canon.buyer, canon.shipping_address, canon.delivery
    order.payment_status = payment_status
    order.placed_at = order.placed_at or canon.placed_at or utcnow()
    if canon.updated_at and (order.source_updated_at is None or canon.updated_at > order.source_updated_at):
        order.source_updated_at = canon.updated_at


def apply_order(session: Session, channel: Channel, canon: CanonicalOrder, *, payment_status: str,
                event_id: int | None, hold_minutes: int, reopen: bool = False,
                reopen_raw: frozenset[str] = frozenset()) -> ApplyResult:
    """Upsert ``canon`` for ``channel`` and move its stock; returns what changed.

    ``reopen`` lets the order leave an exit state (WooCommerce's restore); so does a previous raw
    status in ``reopen_raw`` (a ``failed`` WooCommerce order paid on a second attempt).
    """
    order = lock_order(session, channel.id, canon.external_id)
    reopen = reopen or (order is not None and order.raw_status in reopen_raw)
    if order is None:
        order = _create_and_lock(session, channel.id, canon.external_id)
    elif _is_stale(order, canon):
        return ApplyResult("stale", order, note=f"body from {canon.updated_at} older than {order.source_updated_at}")
    status, note = _next_status(order, canon, reopen)
    order.status = status
    _copy_fields(order, canon, payment_status)
    lines = _upsert_lines(session, channel, order, canon)
    result = ApplyResult("processed", order, note=note)
    cause = ledger.Cause(f"order {status}", order_id=order.id, event_id=event_id)
    _apply_stock(session, order, lines, cause, utcnow() + timedelta(minutes=hold_minutes), result)
    return result


def move_order(session: Session, order: Order, target: str, *, reason: str, event_id: int | None = None) -> ApplyResult:
    """Move ``order`` to ``target`` by our own knowledge (a parcel shipped, delivered, came back).

    Shipping commits the held units; a return puts committed units back on hand. A transition the
    table forbids is a no-op with a note.
    """
    result = ApplyResult("processed", order)
    if order.status == target or not can_transition(order.status, target):
        result.note = f"{order.status} -> {target} not applied"
        return result
    order.status = target
    cause = ledger.Cause(reason, order_id=order.id, event_id=event_id)
    lines = sorted(order.lines, key=lambda l: (l.sku, l.id))
    if target == "returned":
        for line in lines:
            outcome = ledger.return_to_stock(session, order_id=order.id, line_id=line.id, cause=cause)
            if outcome:
                result.touched_skus.add(outcome.sku)
        return result
    _apply_stock(session, order, lines, cause, None, result)
    return result


def cancel_order(session: Session, order: Order, *, event_id: int | None, reason: str) -> ApplyResult:
    """Move ``order`` to cancelled (trash, expiry) and release its held units."""
    result = ApplyResult("processed", order)
    if order.status != "cancelled" and not can_transition(order.status, "cancelled"):
        result.note = f"cannot cancel an order in {order.status}"
        return result
    order.status = "cancelled"
    cause = ledger.Cause(reason, order_id=order.id, event_id=event_id)
    _apply_stock(session, order, sorted(order.lines, key=lambda l: (l.sku, l.id)), cause, None, result)
    return result


def _waiting(session: Session, skus: set[str]):
    """Orders flagged ``unknown_sku:`` for one of ``skus`` (the flag list is JSON text on both backends)."""
    flags = [json.dumps(f"unknown_sku:{sku}") for sku in sorted(skus)]
    return select(Order).where(or_(*(cast(Order.flags, String).like(f"%{flag}%") for flag in flags)))


def waiting_units(session: Session, sku: str) -> int:
    """Units of ``sku`` that orders waiting for it would hold or reserve once it is known."""
    return sum(line.quantity for order in session.scalars(_waiting(session, {sku}))
               if stock_action(order.status) in ("hold", "reserve") for line in order.lines if line.sku == sku)


def reserve_waiting(session: Session, skus: set[str], hold_minutes: int = 60) -> list[ApplyResult]:
    """Orders that came before their SKU was known (flagged ``unknown_sku:``) reserve now that it is.

    Called where a SKU enters the ledger (catalog import, a first product webhook, ``stock set``):
    an order that raced ahead of the import must not stay unreserved, or the stock it sold is sold
    again. Returns one result per order re-applied (their flags and touched SKUs).
    """
    if not skus:
        return []
    results = []
    for order in session.scalars(_waiting(session, skus).order_by(Order.id).with_for_update(of=Order)):
        result = ApplyResult("processed", order)
        cause = ledger.Cause(f"order {order.status}: SKU now known", order_id=order.id)
        _apply_stock(session, order, sorted(order.lines, key=lambda l: (l.sku, l.id)), cause,
                     utcnow() + timedelta(minutes=hold_minutes), result)
        results.append(result)
    return results
