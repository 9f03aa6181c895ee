"""``PUT /orders/{id}`` rules: status through the transition table, TTN, seller comment.

Body ``{"status"?: N, "ttn"?: "20450000000000", "seller_comment"?: "..."}`` (at least one, else
``required_parameter`` 1001 [unv]). Checked in this order, nothing applied on a refusal (HTTP 200,
``success: false``):

1. ``status`` not an integer, ``ttn`` not 4-40 letters/digits -> ``incorrect_data_format`` 1002 [unv];
2. ``status`` different from the current one and not a seller child of it in the table ->
   ``status_not_available`` 1021 [unv] (the buyer-only 45 included). The SAME status is no transition: a PUT
   that repeats the current status is accepted (idempotent retries);
3. the target is 3 or 61 and neither the body nor the order has a TTN -> ``ttn_required`` 1022 [unv];
4. applied: the TTN is stored, the comment appended, the status set; an order left in 2 with a TTN moves on
   to 61 by itself (history shows 2 then 61). Any real change bumps ``changed`` once (unless ``lose``).
"""

from __future__ import annotations

import re

from . import statuses
from .clock import stamp
from .serialize import SELLER_FIO
from .store import Order, Store

TTN_RE = re.compile(r"^[0-9A-Za-z]{4,40}$")


class UpdateRefused(Exception):
    def __init__(self, message: str, code: int, details: list | None = None):
        super().__init__(message)
        self.message, self.code, self.details = message, code, details or []


def _status(value: object) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not str(value).strip().isdigit():
        raise UpdateRefused("incorrect_data_format", 1002, ["status"])
    return int(str(value).strip())


def _ttn(value: object) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    text = str(value).strip()
    if isinstance(value, bool) or not TTN_RE.match(text):
        raise UpdateRefused("incorrect_data_format", 1002, ["ttn"])
    return text


def check(order: Order, body: object) -> tuple[int, str | None, str]:
    """Validate a PUT body against ``order``: (target status, new TTN or None, comment). Raises UpdateRefused."""
    if not isinstance(body, dict):
        raise UpdateRefused("incorrect_data_format", 1002, [])
    status, ttn = _status(body.get("status")), _ttn(body.get("ttn"))
    comment = str(body.get("seller_comment") or "").strip()
    if status is None and ttn is None and not comment:
        raise UpdateRefused("required_parameter", 1001, ["status"])
    target = order.status if status is None else status
    if target != order.status and target not in statuses.seller_children(order.status):
        raise UpdateRefused("status_not_available", 1021,
                            [{"status": target, "available": list(statuses.seller_children(order.status))}])
    if target in statuses.TTN_REQUIRED and not (ttn or order.ttn):
        raise UpdateRefused("ttn_required", 1022, ["ttn"])
    return target, ttn, comment


def apply(store: Store, order: Order, body: object) -> bool:
    """Check then apply a PUT body; True when something changed. Raises UpdateRefused."""
    with store.lock:
        target, ttn, comment = check(order, body)
        changed = False
        if ttn is not None and ttn != order.ttn:
            order.ttn, changed = ttn, True
        if comment:
            order.seller_comments.append({"comment": comment, "created": stamp(store.clock.seconds()),
                                          "seller_id": 41872, "seller_fio": SELLER_FIO})
            changed = True
        if target != order.status:
            store.set_status(order, target)
            changed = True
        if order.status == 2 and order.ttn:
            store.set_status(order, 61)
            changed = True
        if changed:
            store.touch(order)
        order.is_viewed = True
        return changed
