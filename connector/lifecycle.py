"""Order lifecycle: ``new -> confirmed|awaiting_payment -> paid -> packed -> shipped -> delivered``,
with ``cancelled`` and ``returned`` as exits (DESIGN section 4).

``confirmed`` and ``awaiting_payment`` share a rank: WooCommerce moves ``pending`` (awaiting payment)
to ``on-hold`` (confirmed, e.g. bank transfer) and back. Anything not in :data:`TRANSITIONS` is a
logged no-op. Stock follows the status through :func:`stock_action`.
"""

from __future__ import annotations

RANK = {
    "new": 0,
    "confirmed": 1,
    "awaiting_payment": 1,
    "paid": 2,
    "packed": 3,
    "shipped": 4,
    "delivered": 5,
}
EXITS = {"cancelled", "returned"}
STATUSES = tuple(RANK) + tuple(sorted(EXITS))


def _build_transitions() -> dict[str, frozenset[str]]:
    table: dict[str, frozenset[str]] = {}
    for current, rank in RANK.items():
        forward = {s for s, r in RANK.items() if r >= rank and s != current}
        exits = {"cancelled", "returned"} if rank < RANK["shipped"] else {"returned"}
        table[current] = frozenset(forward | exits)
    table["cancelled"] = frozenset()
    table["returned"] = frozenset()
    return table


TRANSITIONS = _build_transitions()


def can_transition(current: str, target: str, *, reopen: bool = False) -> bool:
    """True when ``current -> target`` is allowed.

    ``reopen`` lets an exit state move again: WooCommerce's ``order.restored`` (untrash) and a
    ``failed`` order paid on a second attempt both legitimately leave ``cancelled``.
    """
    if current == target:
        return False
    if current in EXITS:
        return reopen and target not in EXITS
    return target in TRANSITIONS[current]


def stock_action(status: str) -> str:
    """What the ledger should hold for an order in ``status``.

    ``hold`` = reserve with expiry (unpaid), ``reserve`` = reserve without expiry, ``commit`` =
    units left the warehouse (on hand goes down), ``release`` = give reserved units back.
    """
    if status == "awaiting_payment":
        return "hold"
    if status in ("new", "confirmed", "paid", "packed"):
        return "reserve"
    if status in ("shipped", "delivered"):
        return "commit"
    return "release"
