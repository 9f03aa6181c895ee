"""``/wp-json/wc/v3/products`` and ``/products/<pid>/variations`` routes.

Quirks kept: ``GET /products?sku=X`` also returns variations (product
shape, ``type: "variation"``); ``GET /products/<variation id>`` works;
unknown ids give 404 on read but 400 on update (``WC_REST_CRUD_Controller``);
``DELETE`` returns the resource as it was before; batch deletes are forced
(no ``product.deleted`` webhook).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint

from . import catalog
from .models import Product
from .restkit import (bool_param, paged_response, query_params, request_params, rest_kind,
                      run_batch, shop)
from .serialize import product_json, variation_json
from .wpjson import WPError, parse_list, php_intval, wp_response

bp = Blueprint("wc_products", __name__)
ORDERBY = {"id": lambda p: p.id, "title": lambda p: p.name.lower(), "slug": lambda p: p.slug,
           "modified": lambda p: (p.date_modified, p.id), "date": lambda p: (p.date_created, p.id),
           "include": lambda p: p.id, "menu_order": lambda p: p.id}


def _invalid_product(status: int) -> WPError:
    return WPError("woocommerce_rest_product_invalid_id", "Invalid ID.", status)


def _invalid_variation(status: int) -> WPError:
    return WPError("woocommerce_rest_product_variation_invalid_id", "Invalid ID.", status)


def _sorted(products: list[Product], params: dict[str, Any]) -> list[Product]:
    orderby = str(params.get("orderby", "date"))
    key = ORDERBY.get(orderby, ORDERBY["date"])
    return sorted(products, key=key, reverse=str(params.get("order", "desc")).lower() != "asc")


def _matches(product: Product, params: dict[str, Any]) -> bool:
    status = str(params.get("status", "any"))
    if status == "any" and product.status == "trash":
        return False
    if status not in ("any", product.status):
        return False
    if params.get("type") and product.type != params["type"]:
        return False
    include = {php_intval(value) for value in parse_list(params.get("include"))}
    if include and product.id not in include:
        return False
    search = str(params.get("search", "")).lower()
    return not search or search in product.name.lower()


@bp.get("/products")
@rest_kind("collection")
def list_products():
    """``GET /products``: paged; ``sku`` (comma list) also matches variations."""
    params = query_params()
    skus = set(parse_list(params.get("sku")))
    with shop().lock:
        candidates = [p for p in shop().products.values() if _matches(p, params)]
        if skus:
            candidates = [p for p in candidates if p.sku in skus]
        else:
            candidates = [p for p in candidates if p.type != "variation"]
        return paged_response(_sorted(candidates, params), lambda p: product_json(shop(), p),
                              "products", params)


@bp.post("/products")
@rest_kind("collection")
def create_product():
    """``POST /products`` -> 201 + ``Location``."""
    params = request_params()
    with shop().lock:
        product = catalog.create_product(shop(), params)
        body = product_json(shop(), product)
    return wp_response(body, 201, {"Location": shop().rest_url(f"products/{product.id}")})


@bp.get("/products/<int:product_id>")
@rest_kind("item")
def get_product(product_id: int):
    """``GET /products/<id>`` (variations included)."""
    with shop().lock:
        product = shop().product(product_id)
        if product is None:
            raise _invalid_product(404)
        return wp_response(product_json(shop(), product))


@bp.route("/products/<int:product_id>", methods=["PUT", "PATCH", "POST"])
@rest_kind("item")
def update_product(product_id: int):
    """``PUT /products/<id>``: ``stock_quantity`` is absolute."""
    params = request_params()
    with shop().lock:
        product = shop().product(product_id)
        if product is None:
            raise _invalid_product(400)
        catalog.update_product(shop(), product, params)
        return wp_response(product_json(shop(), product))


@bp.delete("/products/<int:product_id>")
@rest_kind("item")
def delete_product(product_id: int):
    """``DELETE /products/<id>[?force=true]``."""
    params = request_params()
    with shop().lock:
        product = shop().product(product_id)
        if product is None:
            raise _invalid_product(404)
        body = product_json(shop(), product)
        catalog.delete_product(shop(), product, bool_param(params, "force"))
        return wp_response(body)


def _batch_update_product(item: dict[str, Any]) -> dict[str, Any]:
    product = shop().product(item.get("id"))
    if product is None:
        raise _invalid_product(400)
    catalog.update_product(shop(), product, item, strict=False)
    return product_json(shop(), product)


def _batch_delete_product(item_id: Any) -> dict[str, Any]:
    product = shop().product(item_id)
    if product is None:
        raise _invalid_product(404)
    body = product_json(shop(), product)
    catalog.delete_product(shop(), product, force=True)
    return body


@bp.route("/products/batch", methods=["POST", "PUT", "PATCH"])
@rest_kind("batch")
def batch_products():
    """``POST /products/batch``: max 100 items, per-item errors."""
    params = request_params()
    with shop().lock:
        return run_batch(
            params,
            lambda item: product_json(shop(), catalog.create_product(shop(), item, strict=False)),
            _batch_update_product, _batch_delete_product)


# ----------------------------------------------------------------------
# variations
# ----------------------------------------------------------------------
def _variation(parent_id: int, variation_id: Any, status: int) -> Product:
    variation = shop().product(variation_id)
    if variation is None or variation.type != "variation" or variation.parent_id != parent_id:
        raise _invalid_variation(status)
    return variation


@bp.get("/products/<int:parent_id>/variations")
@rest_kind("collection")
def list_variations(parent_id: int):
    """``GET /products/<pid>/variations``: paged."""
    params = query_params()
    with shop().lock:
        parent = shop().product(parent_id)
        children = shop().variations_of(parent) if parent else []
        children = [child for child in children if _matches(child, params)]
        skus = set(parse_list(params.get("sku")))
        children = [child for child in children if not skus or child.sku in skus]
        return paged_response(_sorted(children, params), lambda v: variation_json(shop(), v),
                              f"products/{parent_id}/variations", params)


@bp.post("/products/<int:parent_id>/variations")
@rest_kind("collection")
def create_variation(parent_id: int):
    """``POST /products/<pid>/variations`` -> 201."""
    params = request_params()
    with shop().lock:
        variation = catalog.create_variation(shop(), shop().product(parent_id), params)
        body = variation_json(shop(), variation)
    return wp_response(body, 201, {"Location": shop().rest_url(
        f"products/{parent_id}/variations/{variation.id}")})


@bp.get("/products/<int:parent_id>/variations/<int:variation_id>")
@rest_kind("item")
def get_variation(parent_id: int, variation_id: int):
    """``GET /products/<pid>/variations/<id>``."""
    with shop().lock:
        return wp_response(variation_json(shop(), _variation(parent_id, variation_id, 404)))


@bp.route("/products/<int:parent_id>/variations/<int:variation_id>", methods=["PUT", "PATCH", "POST"])
@rest_kind("item")
def update_variation(parent_id: int, variation_id: int):
    """``PUT /products/<pid>/variations/<id>``: fires ``product.updated`` for the variation."""
    params = request_params()
    with shop().lock:
        variation = _variation(parent_id, variation_id, 400)
        catalog.update_variation(shop(), variation, params)
        return wp_response(variation_json(shop(), variation))


@bp.delete("/products/<int:parent_id>/variations/<int:variation_id>")
@rest_kind("item")
def delete_variation(parent_id: int, variation_id: int):
    """``DELETE /products/<pid>/variations/<id>[?force=true]``."""
    params = request_params()
    with shop().lock:
        variation = _variation(parent_id, variation_id, 404)
        body = variation_json(shop(), variation)
        catalog.delete_product(shop(), variation, bool_param(params, "force"))
        return wp_response(body)


@bp.route("/products/<int:parent_id>/variations/batch", methods=["POST", "PUT", "PATCH"])
@rest_kind("batch")
def batch_variations(parent_id: int):
    """``POST /products/<pid>/variations/batch``: same 100-item limit."""
    params = request_params()

    def create(item: dict[str, Any]) -> dict[str, Any]:
        return variation_json(shop(), catalog.create_variation(shop(), shop().product(parent_id), item,
                                                               strict=False))

    def update(item: dict[str, Any]) -> dict[str, Any]:
        variation = _variation(parent_id, item.get("id"), 400)
        catalog.update_variation(shop(), variation, item, strict=False)
        return variation_json(shop(), variation)

    def delete(item_id: Any) -> dict[str, Any]:
        variation = _variation(parent_id, item_id, 404)
        body = variation_json(shop(), variation)
        catalog.delete_product(shop(), variation, force=True)
        return body

    with shop().lock:
        return run_batch(params, create, update, delete)
