"""The stock ledger: one ``stock_items`` row per SKU per warehouse, reservations keyed by (order, line).

Every change is a single guarded ``UPDATE ... WHERE on_hand - reserved >= :qty RETURNING``: under
READ COMMITTED a concurrent updater waits for the row, then re-evaluates the WHERE clause on the
committed version, so two workers can never both take the last unit (measured in
``reference/reliability_performance.md`` section 3). The CHECK constraints
``0 <= reserved <= on_hand`` are the backstop. Every change writes a ``stock_journal`` row.

Reservation states: ``held`` (optionally with ``expires_at``) -> ``committed`` (units left:
on hand goes down) | ``released`` (cancelled) | ``expired`` (unpaid hold ran out).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Integer, and_, insert, literal, select, update
from sqlalchemy.orm import Session

from connector.errors import PermanentError
from connector.models import JournalEntry, Reservation, StockItem, utcnow

ACTIVE = ("held", "committed")
DEFAULT_WAREHOUSE = "main"


class LedgerRefused(PermanentError):
    """A change the ledger will not make (it would drive ``available`` below zero)."""


@dataclass(frozen=True)
class Cause:
    """Why a change happens: written to every journal row."""

    reason: str
    order_id: int | None = None
    event_id: int | None = None
    note: str = ""


@dataclass(frozen=True)
class LineOutcome:
    """``changed`` (ledger moved), ``unchanged``, ``short`` (not enough available), ``unknown_sku``."""

    sku: str
    result: str


def _guarded(session: Session, sku: str, warehouse: str, values: dict, guard) -> tuple[int, int] | None:
    stmt = (
        update(StockItem)
        .where(StockItem.sku == sku, StockItem.warehouse == warehouse, guard)
        .values(updated_at=utcnow(), **values)
        .returning(StockItem.on_hand, StockItem.reserved)
    )
    row = session.execute(stmt).first()
    return (row[0], row[1]) if row else None


def _journal(session: Session, sku: str, warehouse: str, after: tuple[int, int], d_on_hand: int,
             d_reserved: int, cause: Cause) -> None:
    session.execute(
        insert(JournalEntry).values(
            sku=sku, warehouse=warehouse, delta_on_hand=d_on_hand, delta_reserved=d_reserved,
            on_hand_after=after[0], reserved_after=after[1], reason=cause.reason,
            order_id=cause.order_id, event_id=cause.event_id, note=cause.note, created_at=utcnow(),
        )
    )


def _change(session: Session, sku: str, warehouse: str, values: dict, guard, d_on_hand: int, d_reserved: int,
            cause: Cause) -> tuple[int, int] | None:
    """Guarded update plus its journal row; the new (on_hand, reserved), or None when the guard refused.

    On PostgreSQL both go in ONE statement (``WITH s AS (UPDATE ... RETURNING) INSERT ... SELECT FROM s``)
    and it is the last statement before the commit, so the hot stock row stays locked for one round
    trip plus the commit. SQLite serialises whole write transactions anyway: two plain statements.
    """
    if session.get_bind().dialect.name != "postgresql":
        after = _guarded(session, sku, warehouse, values, guard)
        if after is not None:
            _journal(session, sku, warehouse, after, d_on_hand, d_reserved, cause)
        return after
    moved = (update(StockItem).where(StockItem.sku == sku, StockItem.warehouse == warehouse, guard)
             .values(updated_at=utcnow(), **values).returning(StockItem.on_hand, StockItem.reserved).cte("moved"))
    row = session.execute(insert(JournalEntry).from_select(
        ["sku", "warehouse", "delta_on_hand", "delta_reserved", "on_hand_after", "reserved_after", "reason",
         "order_id", "event_id", "note", "created_at"],
        select(literal(sku), literal(warehouse), literal(d_on_hand), literal(d_reserved), moved.c.on_hand,
               moved.c.reserved, literal(cause.reason), literal(cause.order_id, Integer),
               literal(cause.event_id, Integer), literal(cause.note), literal(utcnow(), JournalEntry.created_at.type)),
    ).returning(JournalEntry.on_hand_after, JournalEntry.reserved_after)).first()
    return (row[0], row[1]) if row else None


def _take(session: Session, sku: str, warehouse: str, qty: int, cause: Cause, *, commit: bool) -> bool:
    """Reserve ``qty`` more units, or with ``commit`` take them off hand directly."""
    available = StockItem.on_hand - StockItem.reserved >= qty
    values = {"on_hand": StockItem.on_hand - qty} if commit else {"reserved": StockItem.reserved + qty}
    return _change(session, sku, warehouse, values, available, -qty if commit else 0, 0 if commit else qty,
                   cause) is not None


def _give_back(session: Session, sku: str, warehouse: str, qty: int, cause: Cause, *, commit: bool) -> None:
    """Drop ``qty`` reserved units; with ``commit`` they also leave on hand (shipped)."""
    values = {"reserved": StockItem.reserved - qty}
    if commit:
        values["on_hand"] = StockItem.on_hand - qty
    after = _change(session, sku, warehouse, values, StockItem.reserved >= qty, -qty if commit else 0, -qty, cause)
    if after is None:  # only possible if the row was edited outside the ledger
        raise LedgerRefused(f"ledger inconsistent for {sku}: fewer than {qty} reserved")


def sku_exists(session: Session, sku: str, warehouse: str = DEFAULT_WAREHOUSE) -> bool:
    return session.scalar(select(StockItem.id).where(StockItem.sku == sku, StockItem.warehouse == warehouse)) is not None


def _short_or_unknown(session: Session, sku: str, warehouse: str) -> LineOutcome:
    return LineOutcome(sku, "short" if sku_exists(session, sku, warehouse) else "unknown_sku")


def _reservation(session: Session, order_id: int, line_id: int) -> Reservation | None:
    return session.scalar(
        select(Reservation).where(and_(Reservation.order_id == order_id, Reservation.line_id == line_id))
    )


def reserve(session: Session, *, order_id: int, line_id: int, sku: str, quantity: int,
            expires_at: datetime | None, cause: Cause, warehouse: str = DEFAULT_WAREHOUSE) -> LineOutcome:
    """Make the (order, line) reservation hold exactly ``quantity`` units; reserving twice is a no-op."""
    res = _reservation(session, order_id, line_id)
    if res is not None and res.state == "committed":
        return LineOutcome(sku, "unchanged")
    if res is not None and res.state == "held" and res.sku == sku:
        return _resize(session, res, quantity, expires_at, cause)
    return _take_afresh(session, res, order_id, line_id, sku, warehouse, quantity, "held", expires_at, cause)


def _resize(session: Session, res: Reservation, quantity: int, expires_at: datetime | None,
            cause: Cause) -> LineOutcome:
    res.expires_at = expires_at
    delta = quantity - res.quantity
    if delta == 0:
        return LineOutcome(res.sku, "unchanged")
    if quantity <= 0:
        release_reservation(session, res, cause)
        return LineOutcome(res.sku, "changed")
    if delta > 0 and not _take(session, res.sku, res.warehouse, delta, cause, commit=False):
        return LineOutcome(res.sku, "short")
    if delta < 0:
        _give_back(session, res.sku, res.warehouse, -delta, cause, commit=False)
    res.quantity = quantity
    return LineOutcome(res.sku, "changed")


def _take_afresh(session: Session, res: Reservation | None, order_id: int, line_id: int, sku: str, warehouse: str,
                 quantity: int, state: str, expires_at: datetime | None, cause: Cause) -> LineOutcome:
    """Drop whatever the line held before (another SKU or quantity), then take ``quantity`` units anew."""
    if res is not None and res.state == "held":
        release_reservation(session, res, cause)
    if quantity <= 0:
        return LineOutcome(sku, "unchanged")
    # The reservation row is written first and the hot stock row last, so its lock is held briefly.
    before = None if res is None else (res.sku, res.warehouse, res.quantity, res.state, res.expires_at)
    res = _activate(session, res, order_id, line_id, sku, warehouse, quantity, state, expires_at)
    if _take(session, sku, warehouse, quantity, cause, commit=state == "committed"):
        return LineOutcome(sku, "changed")
    if before is None:
        session.delete(res)
    else:
        res.sku, res.warehouse, res.quantity, res.state, res.expires_at = before
    session.flush()
    return _short_or_unknown(session, sku, warehouse)


def _activate(session: Session, res: Reservation | None, order_id: int, line_id: int, sku: str,
              warehouse: str, quantity: int, state: str, expires_at: datetime | None) -> Reservation:
    if res is None:
        res = Reservation(order_id=order_id, line_id=line_id, sku=sku, warehouse=warehouse,
                          quantity=quantity, state=state, expires_at=expires_at)
        session.add(res)
    else:
        res.sku, res.warehouse, res.quantity, res.state, res.expires_at = sku, warehouse, quantity, state, expires_at
    session.flush()
    return res


def commit(session: Session, *, order_id: int, line_id: int, sku: str, quantity: int, cause: Cause,
           warehouse: str = DEFAULT_WAREHOUSE) -> LineOutcome:
    """Units left the warehouse: a held reservation becomes committed and on hand goes down.

    An order first seen already shipped (no reservation) takes its units straight off hand,
    guarded like a reservation.
    """
    res = _reservation(session, order_id, line_id)
    if res is not None and res.state == "committed":
        return LineOutcome(sku, "unchanged")
    if res is not None and res.state == "held" and res.sku == sku and res.quantity == quantity:
        _give_back(session, sku, res.warehouse, quantity, cause, commit=True)
        res.state, res.expires_at = "committed", None
        return LineOutcome(sku, "changed")
    return _take_afresh(session, res, order_id, line_id, sku, warehouse, quantity, "committed", None, cause)


def release(session: Session, *, order_id: int, line_id: int, sku: str, cause: Cause,
            state: str = "released") -> LineOutcome:
    """Give back a held reservation (cancelled, failed, trashed, expired). Committed units stay gone."""
    res = _reservation(session, order_id, line_id)
    if res is None or res.state != "held":
        return LineOutcome(sku, "unchanged")
    release_reservation(session, res, cause, state=state)
    return LineOutcome(res.sku, "changed")


def release_reservation(session: Session, res: Reservation, cause: Cause, state: str = "released") -> None:
    _give_back(session, res.sku, res.warehouse, res.quantity, cause, commit=False)
    res.state, res.expires_at = state, None


def return_to_stock(session: Session, *, order_id: int, line_id: int, cause: Cause) -> LineOutcome | None:
    """A shipped line came back (parcel returned to sender): its units are on hand again, journaled."""
    res = _reservation(session, order_id, line_id)
    if res is None or res.state != "committed":
        return None
    _change(session, res.sku, res.warehouse, {"on_hand": StockItem.on_hand + res.quantity}, StockItem.id > 0,
            res.quantity, 0, cause)
    res.state = "returned"
    return LineOutcome(res.sku, "changed")


def ensure_item(session: Session, sku: str, warehouse: str = DEFAULT_WAREHOUSE) -> None:
    """Create the stock row at zero if it does not exist (portable 'insert if absent')."""
    if not sku_exists(session, sku, warehouse):
        with session.begin_nested():
            session.add(StockItem(sku=sku, warehouse=warehouse, on_hand=0, reserved=0))


def set_on_hand(session: Session, sku: str, quantity: int, cause: Cause,
                warehouse: str = DEFAULT_WAREHOUSE) -> tuple[int, int]:
    """Set the physical count. Refused when it would leave fewer units than are reserved."""
    if quantity < 0:
        raise LedgerRefused(f"on hand cannot be negative ({quantity})")
    ensure_item(session, sku, warehouse)
    before = session.execute(
        select(StockItem.on_hand).where(StockItem.sku == sku, StockItem.warehouse == warehouse).with_for_update()
    ).scalar_one()
    after = _guarded(session, sku, warehouse, {"on_hand": quantity}, StockItem.reserved <= quantity)
    if after is None:
        raise LedgerRefused(f"cannot set {sku} on hand to {quantity}: more units than that are reserved")
    if after[0] != before:
        _journal(session, sku, warehouse, after, after[0] - before, 0, cause)
    return after


def levels(session: Session, sku: str, warehouse: str = DEFAULT_WAREHOUSE) -> tuple[int, int] | None:
    """(on_hand, reserved) or None for an unknown SKU."""
    row = session.execute(
        select(StockItem.on_hand, StockItem.reserved).where(StockItem.sku == sku, StockItem.warehouse == warehouse)
    ).first()
    return (row[0], row[1]) if row else None


def expired_holds(session: Session, now: datetime, limit: int = 500) -> list[Reservation]:
    return list(session.scalars(
        select(Reservation).where(Reservation.state == "held", Reservation.expires_at.is_not(None),
                                  Reservation.expires_at <= now).limit(limit)
    ))
