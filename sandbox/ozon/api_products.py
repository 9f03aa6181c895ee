"""Warehouses, products and stocks: ``/v1/warehouse/list``, ``/v3/product/list``, ``/v4/product/info/stocks``,
``/v1/product/info/stocks-by-warehouse/fbs`` and ``/v2/products/stocks`` (per-item errors inside HTTP 200)."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify

from .errors import invalid, json_body
from .models import Product
from .validation import int_list, integer, limit, string_list

bp = Blueprint("ozon_products", __name__)
#: ``filter.visibility`` values the sandbox understands (Ozon has more); ALL excludes archived products.
VISIBILITY = {
    "ALL": lambda p: not p.archived,
    "VISIBLE": lambda p: not p.archived and p.state == "price_sent",
    "IN_SALE": lambda p: not p.archived and p.state == "price_sent" and p.available > 0,
    "INVISIBLE": lambda p: not p.archived and p.state != "price_sent",
    "EMPTY_STOCK": lambda p: not p.archived and p.available == 0,
    "ARCHIVED": lambda p: p.archived,
}
STOCK_ERRORS = {
    "NOT_FOUND": "Product not found",
    "WAREHOUSE_NOT_FOUND": "Warehouse not found",
    "PRODUCT_IS_NOT_CREATED": "The product is not created yet: stocks can be set after the price_sent status",
    "INVALID_STOCK": "stock must be a non-negative integer",
    "TOO_MANY_REQUESTS": "Too many requests: a product stock can be updated once per {interval:g} seconds "
                         "per warehouse",
}


def sandbox():
    return current_app.extensions["ozon_sandbox"]


@bp.post("/v1/warehouse/list")
def warehouse_list():
    """The seller's warehouses (the demo: one FBS warehouse, 22142605386000)."""
    json_body()
    with sandbox().store.lock:
        warehouses = list(sandbox().store.warehouses.values())
    return jsonify({"result": [{"warehouse_id": w.id, "name": w.name, "is_rfbs": w.is_rfbs, "status": w.status}
                               for w in warehouses]})


def _filtered(body: dict) -> list[Product]:
    """Products matching ``filter {offer_id[], product_id[], visibility}``, by product_id."""
    query = body.get("filter") or {}
    if not isinstance(query, dict):
        raise invalid("filter must be an object")
    visibility = str(query.get("visibility") or "ALL").upper()
    if visibility not in VISIBILITY:
        raise invalid(f"filter.visibility: unknown value {visibility!r}")
    offers = set(string_list(query.get("offer_id"), "filter.offer_id"))
    ids = set(int_list(query.get("product_id"), "filter.product_id"))
    with sandbox().store.lock:
        return [p for p in sandbox().store.sorted_products() if VISIBILITY[visibility](p)
                and (not offers or p.offer_id in offers) and (not ids or p.product_id in ids)]


def _page(products: list[Product], after: str, size: int) -> tuple[list[Product], str]:
    """Keyset paging by product_id: the page after ``after`` and the next token ("" when no more) [unv]."""
    start = integer(after, "last_id", 0) if after else 0
    rest = [p for p in products if p.product_id > start]
    page = rest[:size]
    return page, str(page[-1].product_id) if len(rest) > size else ""


@bp.post("/v3/product/list")
def product_list():
    """``{"filter", "last_id", "limit"}`` -> ``{"result": {"items", "total", "last_id"}}``."""
    body = json_body()
    products = _filtered(body)
    page, last_id = _page(products, str(body.get("last_id") or ""), limit(body))
    items = [{"product_id": p.product_id, "offer_id": p.offer_id, "archived": p.archived, "has_fbo_stocks": False,
              "has_fbs_stocks": p.present > 0, "is_discounted": False, "quants": []} for p in page]
    return jsonify({"result": {"items": items, "total": len(products), "last_id": last_id}})


def _stock_item(product: Product) -> dict:
    with sandbox().store.lock:
        fbs = list(product.stocks)
        entry = {"present": product.present, "reserved": product.reserved, "shipment_type": "SHIPMENT_TYPE_GENERAL",
                 "sku": product.sku, "type": "fbs", "warehouse_ids": fbs}
    return {"offer_id": product.offer_id, "product_id": product.product_id, "stocks": [entry]}


@bp.post("/v4/product/info/stocks")
def info_stocks():
    """``{"filter", "cursor", "limit"}`` -> ``{"cursor", "items", "total"}``; one ``fbs`` entry per item with
    present/reserved summed over the FBS warehouses. ``cursor`` is "" on the last page [unv]."""
    body = json_body()
    products = _filtered(body)
    page, cursor = _page(products, str(body.get("cursor") or ""), limit(body))
    return jsonify({"cursor": cursor, "items": [_stock_item(p) for p in page], "total": len(products)})


@bp.post("/v1/product/info/stocks-by-warehouse/fbs")
def stocks_by_warehouse():
    """``{"sku": [Ozon SKUs]}`` (1..500) -> one row per (product, warehouse); unknown SKUs are left out."""
    skus = int_list(json_body().get("sku"), "sku")
    if not 1 <= len(skus) <= 500:
        raise invalid("sku: 1 to 500 items")
    state = sandbox()
    rows = []
    with state.store.lock:
        for sku in skus:
            product = state.store.by_sku(sku)
            for warehouse_id, stock in (product.stocks.items() if product else ()):
                rows.append({"sku": product.sku, "product_id": product.product_id, "present": stock.present,
                             "reserved": stock.reserved, "warehouse_id": warehouse_id,
                             "warehouse_name": state.store.warehouses[warehouse_id].name})
    return jsonify({"result": rows})


def _target(item: dict) -> Product | None:
    """``offer_id`` wins over ``product_id`` when both are sent."""
    store = sandbox().store
    if item.get("offer_id") not in (None, ""):
        return store.by_offer(str(item["offer_id"]))
    if item.get("product_id") not in (None, "", 0):
        return store.by_product_id(integer(item["product_id"], "stocks[].product_id"))
    return None


def _refusal(product: Product | None, warehouse_id: int, stock: object) -> tuple[str, str] | None:
    state = sandbox()
    if product is None:
        return "NOT_FOUND", STOCK_ERRORS["NOT_FOUND"]
    if state.store.warehouse(warehouse_id) is None:
        return "WAREHOUSE_NOT_FOUND", STOCK_ERRORS["WAREHOUSE_NOT_FOUND"]
    if product.state != "price_sent":
        return "PRODUCT_IS_NOT_CREATED", STOCK_ERRORS["PRODUCT_IS_NOT_CREATED"]
    if not isinstance(stock, int) or isinstance(stock, bool) or stock < 0:
        return "INVALID_STOCK", STOCK_ERRORS["INVALID_STOCK"]
    if state.store.pair_wait(product, warehouse_id, state.pair_interval) > 0:
        return "TOO_MANY_REQUESTS", STOCK_ERRORS["TOO_MANY_REQUESTS"].format(interval=state.pair_interval)
    return None


def _check(item: object) -> None:
    """Structural errors refuse the whole request (nothing is applied)."""
    if not isinstance(item, dict):
        raise invalid("stocks[] must be objects")
    integer(item.get("warehouse_id"), "stocks[].warehouse_id")
    if item.get("offer_id") in (None, ""):
        integer(item.get("product_id"), "stocks[].product_id", default=0)


def _update(item: dict) -> dict:
    warehouse_id = integer(item.get("warehouse_id"), "stocks[].warehouse_id")
    store = sandbox().store
    with store.lock:
        product = _target(item)
        refusal = _refusal(product, warehouse_id, item.get("stock"))
        if refusal is None:
            store.set_stock(product, warehouse_id, item["stock"])
    return {"warehouse_id": warehouse_id,
            "product_id": product.product_id if product else integer(item.get("product_id"), "product_id", default=0),
            "offer_id": product.offer_id if product else str(item.get("offer_id") or ""),
            "updated": refusal is None,
            "errors": [] if refusal is None else [{"code": refusal[0], "message": refusal[1]}]}


@bp.post("/v2/products/stocks")
def set_stocks():
    """``{"stocks": [{"offer_id", "product_id"?, "stock", "warehouse_id"}]}`` (1..100, else 400 code 3).

    ``stock`` = units available EXCLUDING Ozon's reservations: present = stock + reserved. Refusals are
    per item inside HTTP 200 (``updated: false``): TOO_MANY_REQUESTS when the pair was updated less than
    PAIR_INTERVAL ago (so also the second of one pair in the same request), NOT_FOUND, WAREHOUSE_NOT_FOUND,
    PRODUCT_IS_NOT_CREATED, INVALID_STOCK [unv codes]. Structural errors (not objects, no warehouse_id) refuse
    the whole request with 400 code 3 and apply nothing."""
    stocks = json_body().get("stocks")
    if not isinstance(stocks, list) or not 1 <= len(stocks) <= 100:
        raise invalid("stocks: 1 to 100 items")
    for item in stocks:
        _check(item)
    return jsonify({"result": [_update(item) for item in stocks]})
