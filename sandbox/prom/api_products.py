"""Product endpoints of Prom's public API v1: list, one by external id, stock edit by external id."""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from . import validation
from .respond import API_PREFIX, error, json_body, not_found, sandbox, view
from .serialize import product_json

bp = Blueprint("prom_products", __name__, url_prefix=API_PREFIX)


@bp.get("/products/list")
def list_products():
    """``GET /products/list?limit=&last_id=&group_id=`` -> ``{"products": [...], "group_id": <id>|null}``.

    id DESC; ``last_id`` = only ids below it (the cursor, as for orders).
    """
    page = validation.page(request.args)
    group_text = request.args.get("group_id")
    group_id = None
    if group_text not in (None, ""):
        if not group_text.isdigit():
            raise validation.Invalid({"group_id": "Must be a group id"})
        group_id = int(group_text)
    store, rendering = sandbox().store, view()
    with store.lock:
        products = store.list_products(page, group_id)
        return jsonify({"products": [product_json(p, rendering) for p in products], "group_id": group_id})


@bp.get("/products/by_external_id/<path:external_id>")
def product_by_external_id(external_id: str):
    """``GET /products/by_external_id/{external_id}`` -> ``{"product": {...}}`` [unv]; unknown -> 404."""
    store = sandbox().store
    with store.lock:
        product = store.product_by_external_id(external_id)
        return jsonify({"product": product_json(product, view())}) if product else not_found()


@bp.post("/products/edit_by_external_id")
def edit_by_external_id():
    """``POST /products/edit_by_external_id`` with a JSON ARRAY ``[{"id": "<external_id>", ...}]``.

    -> HTTP 200 ``{"processed_ids": [...], "errors": {"<external id>": "<text>"}}`` even when items
    fail (quirk; unknown id -> "Товар не знайдено"); each item is applied whole or not at all.
    An object body (or no JSON) -> 400. Settable: ``quantity_in_stock`` (int >= 0 or null),
    ``presence`` (available|not_available|order|waiting), ``price`` (> 0).
    """
    body = json_body()
    if body is None:
        return error(400, "Validation error", {"body": "Expected a JSON array of products"})
    items = validation.edit_items(body)
    store = sandbox().store
    processed: list[str] = []
    errors: dict[str, str] = {}
    with store.lock:
        for item in items:
            key = str(item["id"])
            product = store.product_by_external_id(key)
            changes, problem = validation.edit_changes(item)
            if product is None or problem:
                errors[key] = validation.NOT_FOUND_TEXT if product is None else problem
                continue
            for name, value in changes.items():
                setattr(product, name, value)
            product.date_modified = store.now()
            if key not in processed:
                processed.append(key)
    return jsonify({"processed_ids": processed, "errors": errors})
