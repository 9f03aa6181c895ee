"""Order endpoints: ``GET /orders/search``, ``GET|PUT /orders/{id}``, ``GET /order-statuses/search``."""

from __future__ import annotations

from flask import Blueprint, current_app, request

from . import statuses, updates
from .clock import parse_stamp, stamp
from .envelope import fail, ok, page_number, paginate
from .serialize import control_order, language, order_json, parse_expand, total_fields
from .store import Order

bp = Blueprint("rozetka_orders", __name__)
PER_PAGE = 20
DATE_FILTERS = (("created_from", "created", False), ("created_to", "created", True),
                ("changed_from", "changed", False), ("changed_to", "changed", True))


class BadParameter(Exception):
    pass


def _state():
    return current_app.extensions["rozetka_sandbox"]


def _int_list(name: str) -> set[int] | None:
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    try:
        return {int(part) for part in raw.split(",") if part.strip()}
    except ValueError:
        raise BadParameter(name) from None


def _filters() -> list:
    """Predicates of ``status``, ``types``, ``created_from/to``, ``changed_from/to`` (inclusive bounds)."""
    tests = []
    wanted = _int_list("status")
    if wanted is not None:
        tests.append(lambda o: o.status in wanted)
    types = _int_list("types")
    if types is not None:
        if not types <= {1, 2, 3, 4, 5, 6}:
            raise BadParameter("types")
        tests.append(lambda o: any(statuses.matches_type(o.status, t) for t in types))
    for name, field, upper in DATE_FILTERS:
        raw = request.args.get(name, "").strip()
        if not raw:
            continue
        try:
            bound = parse_stamp(raw, end_of_day=upper)
        except ValueError:
            raise BadParameter(name) from None
        tests.append((lambda o, f=field, b=bound: getattr(o, f) <= b) if upper
                     else (lambda o, f=field, b=bound: getattr(o, f) >= b))
    return tests


@bp.get("/orders/search")
def search():
    """``GET /orders/search``: filters ANDed, id descending, 20 per page fixed, ``_meta`` + ``totalFields``.
    After ``POST /__sandbox__/duplicate`` an answer lists every order of its page twice (quirk)."""
    try:
        tests = _filters()
    except BadParameter as exc:
        return fail("incorrect_data_format", 1002, [str(exc)])
    expand, store = parse_expand(request.args.get("expand")), _state().store
    lang = language(request.headers.get("Content-Language"))
    with store.lock:
        found = sorted((o for o in store.orders.values() if all(t(o) for t in tests)), key=lambda o: -o.id)
        page, meta = paginate(found, page_number(request.args.get("page")), PER_PAGE)
        rows = [order_json(o, expand, lang) for o in page]
        if store.take_duplicate():
            rows = [copy for row in rows for copy in (row, dict(row))]
        totals = total_fields(found)
    return ok({"orders": rows, "_meta": meta, "totalFields": totals})


def _record(order: Order, entry: dict) -> None:
    order.calls.append({"method": request.method, "time": stamp(_state().store.clock.seconds()), **entry})


@bp.get("/orders/<int:order_id>")
def one(order_id: int):
    """``GET /orders/{id}?expand=``; unknown -> HTTP 200 ``not_found`` code 3 [unv]."""
    store = _state().store
    with store.lock:
        order = store.orders.get(order_id)
        if order is None:
            return fail("not_found", 3)
        order.is_viewed = True
        _record(order, {"success": True})
        return ok(order_json(order, parse_expand(request.args.get("expand")),
                             language(request.headers.get("Content-Language"))))


@bp.put("/orders/<int:order_id>")
def update(order_id: int):
    """``PUT /orders/{id}`` (rules in ``updates.py``) -> the order (``order_update_status_response`` shape)."""
    store = _state().store
    body = request.get_json(silent=True, force=True)
    with store.lock:
        order = store.orders.get(order_id)
        if order is None:
            return fail("not_found", 3)
        asked = {key: body.get(key) for key in ("status", "ttn") if key in body} if isinstance(body, dict) else {}
        try:
            updates.apply(store, order, body)
        except updates.UpdateRefused as refused:
            _record(order, {**asked, "success": False, "code": refused.code})
            return fail(refused.message, refused.code, refused.details)
        _record(order, {**asked, "success": True, "result_status": order.status})
        return ok(order_json(order, parse_expand(request.args.get("expand")),
                             language(request.headers.get("Content-Language"))))


@bp.get("/order-statuses/search")
def order_statuses():
    """``GET /order-statuses/search?expand=status_available&id=&page=``: the statuses the sandbox uses, 20 per
    page (``orderStatus`` + ``_meta``)."""
    wanted = request.args.get("id", "").strip()
    ids = [s for s in sorted(statuses.STATUSES) if not wanted or str(s) in wanted.split(",")]
    page, meta = paginate(ids, page_number(request.args.get("page")), PER_PAGE)
    expand = parse_expand(request.args.get("expand"))
    return ok({"orderStatus": [statuses.catalog_entry(s, expand) for s in page], "_meta": meta})


def snapshot(store) -> list[dict]:
    """Every order for ``GET /__sandbox__/orders`` (id ascending)."""
    with store.lock:
        return [control_order(o) for o in sorted(store.orders.values(), key=lambda o: o.id)]
