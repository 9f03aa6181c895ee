"""Item endpoints: ``GET /goods/all`` and ``PUT /items/mass-update``."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from flask import Blueprint, current_app, jsonify, request

from .envelope import fail, ok, page_number, paginate
from .serialize import item_json, language
from .store import CENT, Item, Store

bp = Blueprint("rozetka_items", __name__)
NOT_FOUND = "Товар не знайдено"
BAD_QUANTITY = "Некоректне значення stock_quantity"
BAD_PRICE = "Некоректне значення price"


def _state():
    return current_app.extensions["rozetka_sandbox"]


def _page_size(raw: str | None) -> int:
    """``pageSize``: default 20, clamped to 1..100 (Yii2 ``pageSizeLimit``) [unv: clamp, not refuse]."""
    try:
        return min(100, max(1, int(str(raw))))
    except (TypeError, ValueError):
        return 20


def _matches(item: Item, args) -> bool:
    checks = {
        "price_offer_id": lambda v: item.price_offer_id == v,
        "rz_item_id": lambda v: str(item.rz_item_id) == v,
        "available": lambda v: str(item.available) == v,
        "article": lambda v: item.article == v,
        "name": lambda v: v.lower() in item.name_ua.lower() or v.lower() in item.name_ru.lower(),
    }
    return all(check(args[key].strip()) for key, check in checks.items() if args.get(key, "").strip())


@bp.get("/goods/all")
def goods_all():
    """``GET /goods/all?page=&pageSize=&price_offer_id=&rz_item_id=&available=&article=&name=`` (exact matches,
    ``name`` a substring) -> ``{"count", "items", "_meta"}``, ``rz_item_id`` ascending; ``count`` = totalCount [unv]."""
    store, lang = _state().store, language(request.headers.get("Content-Language"))
    with store.lock:
        found = [i for _, i in sorted(store.items.items()) if _matches(i, request.args)]
        page, meta = paginate(found, page_number(request.args.get("page")), _page_size(request.args.get("pageSize")))
        rows = [item_json(i, lang) for i in page]
    return ok({"count": meta["totalCount"], "items": rows, "_meta": meta})


def _reason(text: str) -> dict:
    return {"reason": [{"id": 1, "value": [text]}]}


def _quantity(value: object) -> int | None:
    """A stock quantity >= 0 (ints or digit strings), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    return int(value) if isinstance(value, str) and value.strip().isdigit() else None


def _price(value: object) -> Decimal | None:
    try:
        price = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    ok = price.is_finite() and price > 0 and not isinstance(value, bool)
    return price.quantize(CENT) if ok else None


def _update_one(store: Store, entry: object) -> tuple[str, str] | None:
    """Apply one UpdatingItem; (key, reason) when refused. Price jumps (> x1.5 up, > x2 down) are not
    applied but held for moderation as ``updated_price`` (the reference's rule), without an error."""
    if not isinstance(entry, dict):
        return str(entry), NOT_FOUND
    key = str(entry.get("item_rz_id"))
    item = store.items.get(entry["item_rz_id"]) if isinstance(entry.get("item_rz_id"), int) else \
        store.items.get(int(key)) if key.isdigit() else None
    if item is None:
        return key, NOT_FOUND
    quantity = _quantity(entry["stock_quantity"]) if "stock_quantity" in entry else item.stock_quantity
    price = _price(entry["price"]) if "price" in entry else item.price
    if quantity is None:
        return key, BAD_QUANTITY
    if price is None:
        return key, BAD_PRICE
    item.stock_quantity = quantity
    if price > item.price * Decimal("1.5") or price * 2 < item.price:
        item.updated_price = price
    else:
        item.price, item.updated_price = price, None
    return None


@bp.put("/items/mass-update")
def mass_update():
    """``PUT /items/mass-update {"items": [{"item_rz_id", "stock_quantity"?, "price"?}]}``.

    More than MASS_UPDATE_MAX (100) items -> ``too_many_items`` 1030, nothing applied; no ``items`` list ->
    ``required_parameter`` 1001 [unv]. Otherwise every valid item IS applied and the others come back as
    ``{"success": false, "errors": {"<item id>": {"reason": [{"id": 1, "value": ["..."]}]}}}`` (partial
    success, quirk); all valid -> ``{"success": true, "content": null}``."""
    state = _state()
    body = request.get_json(silent=True, force=True)
    items = body.get("items") if isinstance(body, dict) else None
    if not isinstance(items, list):
        return fail("required_parameter", 1001, ["items"])
    if len(items) > int(state.config["MASS_UPDATE_MAX"]):
        return fail("too_many_items", 1030, [])
    errors: dict[str, dict] = {}
    with state.store.lock:
        for entry in items:
            refused = _update_one(state.store, entry)
            if refused is not None:
                errors[refused[0]] = _reason(refused[1])
    if errors:
        return jsonify({"success": False, "errors": errors})
    return ok(None)
