"""REST representations, shaped like the captured WooCommerce 9.4 responses.

The same functions build the REST responses and the webhook payloads (a
webhook body *is* the REST response of ``/wc/v3/{resource}s/{id}``).
Details kept from the captures: variations seen through ``/products/<id>``
are named "Parent - Option" and carry ``total_sales`` as a string while
``/products/<pid>/variations`` names them by option only; money is a string
with two decimals but ``line_items[].price`` is a number; a simple product's
line-item image id is ``""`` while a variation's is ``0``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from .models import (CURRENCY_SYMBOL_ENTITIES, CURRENCY_SYMBOLS, EDITABLE_STATUSES, WC_VERSION,
                     LineItem, Note, Order, Product, Webhook, iso)
from .store import Shop
from .wpjson import money, php_number

EMPTY_DIMENSIONS = {"length": "", "width": "", "height": ""}


# ----------------------------------------------------------------------
# products
# ----------------------------------------------------------------------
def stock_holder(shop: Shop, product: Product) -> Product | None:
    """The product whose stock is used: itself, the managing parent, or None."""
    if product.manage_stock:
        return product
    parent = shop.parent_of(product)
    return parent if parent is not None and parent.manage_stock else None


def stock_status(shop: Shop, product: Product) -> str:
    """``instock``/``outofstock``/``onbackorder``, derived like WooCommerce."""
    if product.type == "variable":
        statuses = [stock_status(shop, child) for child in shop.variations_of(product)
                    if child.status == "publish"]
        for candidate in ("instock", "onbackorder"):
            if candidate in statuses:
                return candidate
        return "outofstock" if statuses else product.manual_stock_status
    holder = stock_holder(shop, product)
    if holder is None:
        return product.manual_stock_status
    if (holder.stock_quantity or 0) > 0:
        return "instock"
    return "onbackorder" if holder.backorders != "no" else "outofstock"


def display_name(shop: Shop, product: Product) -> str:
    """A variation is called "Parent - M" outside the variations endpoint."""
    parent = shop.parent_of(product)
    if parent is None:
        return product.name
    options = ", ".join(attr["option"] for attr in product.attributes)
    return f"{parent.name} - {options}" if options else parent.name


def permalink(shop: Shop, product: Product) -> str:
    """``/product/<slug>/`` (``?attribute_<slug>=<option>`` for variations)."""
    parent = shop.parent_of(product)
    if parent is None:
        return f"{shop.home_url}product/{product.slug}/"
    query = "&".join(f"attribute_{attr['slug']}={attr['option'].lower()}" for attr in product.attributes)
    return f"{shop.home_url}product/{parent.slug}/?{query}"


def _price_span(shop: Shop, amount: str) -> str:
    symbol = CURRENCY_SYMBOL_ENTITIES.get(shop.currency, shop.currency)
    return ('<span class="woocommerce-Price-amount amount"><bdi><span class="woocommerce-Price-'
            f'currencySymbol">{symbol}</span>{money(amount)}</bdi></span>')


def _variable_prices(shop: Shop, product: Product) -> list[Decimal]:
    return sorted(Decimal(child.price) for child in shop.variations_of(product)
                  if child.price and child.status == "publish")


def active_price(shop: Shop, product: Product) -> str:
    """``price``: a variable product shows its cheapest variation."""
    if product.type == "variable":
        prices = _variable_prices(shop, product)
        return money(prices[0]) if prices else ""
    return product.price


def price_html(shop: Shop, product: Product) -> str:
    """``price_html``, a range for variable products."""
    if product.type == "variable":
        prices = _variable_prices(shop, product)
        if not prices:
            return ""
        if prices[0] == prices[-1]:
            return _price_span(shop, str(prices[0]))
        return f"{_price_span(shop, str(prices[0]))} &ndash; {_price_span(shop, str(prices[-1]))}"
    return _price_span(shop, product.price) if product.price else ""


def _on_sale(product: Product) -> bool:
    return bool(product.sale_price) and bool(product.regular_price) and \
        Decimal(product.sale_price) < Decimal(product.regular_price)


def _meta(rows: list[Any]) -> list[dict[str, Any]]:
    return [{"id": row.id, "key": row.key, "value": row.value} for row in rows]


def _manage_stock_field(shop: Shop, product: Product) -> bool | str:
    if product.manage_stock:
        return True
    parent = shop.parent_of(product)
    return "parent" if parent is not None and parent.manage_stock else False


def _stock_fields(shop: Shop, product: Product) -> dict[str, Any]:
    holder = stock_holder(shop, product)
    status = stock_status(shop, product)
    backorders = (holder or product).backorders
    return {
        "manage_stock": _manage_stock_field(shop, product),
        "stock_quantity": holder.stock_quantity if holder else None,
        "backorders": backorders,
        "backorders_allowed": backorders != "no",
        "backordered": status == "onbackorder",
        "low_stock_amount": None,
    }


def product_json(shop: Shop, product: Product) -> dict[str, Any]:
    """``GET /wc/v3/products/<id>`` (also for variations) = product webhook body."""
    parent = shop.parent_of(product)
    is_variation = parent is not None or product.type == "variation"
    stock = _stock_fields(shop, product)
    links: dict[str, Any] = {"self": [{"href": shop.rest_url(f"products/{product.id}")}],
                             "collection": [{"href": shop.rest_url("products")}]}
    if is_variation:
        links["up"] = [{"href": shop.rest_url(f"products/{product.parent_id}")}]
    return {
        "id": product.id, "name": display_name(shop, product),
        "slug": _variation_slug(shop, product) if is_variation else product.slug,
        "permalink": permalink(shop, product),
        "date_created": iso(product.date_created), "date_created_gmt": iso(product.date_created),
        "date_modified": iso(product.date_modified), "date_modified_gmt": iso(product.date_modified),
        "type": product.type, "status": product.status, "featured": False,
        "catalog_visibility": "visible", "description": product.description,
        "short_description": product.short_description, "sku": product.sku,
        "price": active_price(shop, product),
        "regular_price": "" if product.type == "variable" else product.regular_price,
        "sale_price": product.sale_price,
        "date_on_sale_from": None, "date_on_sale_from_gmt": None,
        "date_on_sale_to": None, "date_on_sale_to_gmt": None,
        "on_sale": _on_sale(product), "purchasable": bool(active_price(shop, product)),
        "total_sales": str(product.total_sales) if is_variation else product.total_sales,
        "virtual": False, "downloadable": False, "downloads": [], "download_limit": -1,
        "download_expiry": -1, "external_url": "", "button_text": "", "tax_status": "taxable",
        "tax_class": "", "manage_stock": stock["manage_stock"],
        "stock_quantity": stock["stock_quantity"], "backorders": stock["backorders"],
        "backorders_allowed": stock["backorders_allowed"], "backordered": stock["backordered"],
        "low_stock_amount": None, "sold_individually": False, "weight": product.weight,
        "dimensions": dict(EMPTY_DIMENSIONS), "shipping_required": True, "shipping_taxable": True,
        "shipping_class": "", "shipping_class_id": 0, "reviews_allowed": not is_variation,
        "average_rating": "0.00", "rating_count": 0, "upsell_ids": [], "cross_sell_ids": [],
        "parent_id": product.parent_id, "purchase_note": "",
        "categories": [] if is_variation else [{"id": 15, "name": "Uncategorized", "slug": "uncategorized"}],
        "tags": [], "images": [], "attributes": [dict(attr) for attr in product.attributes],
        "default_attributes": [], "variations": list(product.children) if product.type == "variable" else [],
        "grouped_products": [], "menu_order": 0, "price_html": price_html(shop, product),
        "related_ids": [], "meta_data": _meta(product.meta_data),
        "stock_status": stock_status(shop, product), "has_options": product.type == "variable",
        "post_password": "", "global_unique_id": "", "_links": links,
    }


def _variation_slug(shop: Shop, product: Product) -> str:
    parent = shop.parent_of(product)
    options = "-".join(attr["option"].lower() for attr in product.attributes)
    return f"{parent.slug}-{options}" if parent is not None else product.slug


def variation_json(shop: Shop, variation: Product) -> dict[str, Any]:
    """``GET /wc/v3/products/<pid>/variations/<id>``."""
    stock = _stock_fields(shop, variation)
    base = f"products/{variation.parent_id}/variations"
    return {
        "id": variation.id, "type": "variation",
        "date_created": iso(variation.date_created), "date_created_gmt": iso(variation.date_created),
        "date_modified": iso(variation.date_modified), "date_modified_gmt": iso(variation.date_modified),
        "description": variation.description, "permalink": permalink(shop, variation),
        "sku": variation.sku, "global_unique_id": "", "price": variation.price,
        "regular_price": variation.regular_price, "sale_price": variation.sale_price,
        "date_on_sale_from": None, "date_on_sale_from_gmt": None,
        "date_on_sale_to": None, "date_on_sale_to_gmt": None, "on_sale": _on_sale(variation),
        "status": variation.status, "purchasable": bool(variation.price), "virtual": False,
        "downloadable": False, "downloads": [], "download_limit": -1, "download_expiry": -1,
        "tax_status": "taxable", "tax_class": "", "manage_stock": stock["manage_stock"],
        "stock_quantity": stock["stock_quantity"], "stock_status": stock_status(shop, variation),
        "backorders": stock["backorders"], "backorders_allowed": stock["backorders_allowed"],
        "backordered": stock["backordered"], "low_stock_amount": None, "weight": variation.weight,
        "dimensions": dict(EMPTY_DIMENSIONS), "shipping_class": "", "shipping_class_id": 0,
        "image": None, "attributes": [dict(attr) for attr in variation.attributes], "menu_order": 0,
        "meta_data": _meta(variation.meta_data),
        "name": ", ".join(attr["option"] for attr in variation.attributes) or variation.name,
        "parent_id": variation.parent_id,
        "_links": {"self": [{"href": shop.rest_url(f"{base}/{variation.id}")}],
                   "collection": [{"href": shop.rest_url(base)}],
                   "up": [{"href": shop.rest_url(f"products/{variation.parent_id}")}]},
    }


# ----------------------------------------------------------------------
# orders
# ----------------------------------------------------------------------
def _item_meta(item: LineItem) -> list[dict[str, Any]]:
    return [dict(row) for row in item.meta]


def line_item_json(shop: Shop, item: LineItem) -> dict[str, Any]:
    """One ``line_items[]`` entry (sku and parent name are read live)."""
    product = shop.product(item.variation_id or item.product_id)
    parent = shop.product(item.product_id) if item.variation_id else None
    price = Decimal(item.total) / item.quantity if item.quantity else Decimal(0)
    return {
        "id": item.id, "name": item.name, "product_id": item.product_id,
        "variation_id": item.variation_id, "quantity": item.quantity, "tax_class": "",
        "subtotal": item.subtotal, "subtotal_tax": "0.00", "total": item.total, "total_tax": "0.00",
        "taxes": [], "meta_data": _item_meta(item), "sku": product.sku if product else None,
        "price": php_number(price), "image": {"id": 0 if item.variation_id else "", "src": ""},
        "parent_name": parent.name if parent else None,
    }


def shipping_line_json(item: LineItem) -> dict[str, Any]:
    """One ``shipping_lines[]`` entry."""
    return {"id": item.id, "method_title": item.method_title, "method_id": item.method_id,
            "instance_id": item.instance_id, "total": item.total, "total_tax": "0.00",
            "taxes": [], "meta_data": _item_meta(item)}


def fee_line_json(item: LineItem) -> dict[str, Any]:
    """One ``fee_lines[]`` entry."""
    return {"id": item.id, "name": item.name, "tax_class": "", "tax_status": "none", "amount": "",
            "total": item.total, "total_tax": "0.00", "taxes": [], "meta_data": _item_meta(item)}


def order_totals(order: Order) -> dict[str, str]:
    """``shipping_total`` and ``total`` (no taxes, no coupons in the sandbox)."""
    shipping = sum((Decimal(item.total) for item in order.lines("shipping")), Decimal(0))
    rest = sum((Decimal(item.total) for item in order.items if item.kind != "shipping"), Decimal(0))
    return {"shipping_total": money(shipping), "total": money(shipping + rest)}


def needs_payment(order: Order) -> bool:
    """``WC_Order::needs_payment()``."""
    return order.status in ("pending", "failed") and Decimal(order_totals(order)["total"]) > 0


def order_json(shop: Shop, order: Order) -> dict[str, Any]:
    """``GET /wc/v3/orders/<id>`` = order webhook body."""
    totals = order_totals(order)
    return {
        "id": order.id, "parent_id": 0, "status": order.status, "currency": order.currency,
        "version": WC_VERSION, "prices_include_tax": False,
        "date_created": iso(order.date_created), "date_modified": iso(order.date_modified),
        "discount_total": "0.00", "discount_tax": "0.00", "shipping_total": totals["shipping_total"],
        "shipping_tax": "0.00", "cart_tax": "0.00", "total": totals["total"], "total_tax": "0.00",
        "customer_id": order.customer_id, "order_key": order.order_key,
        "billing": dict(order.billing), "shipping": dict(order.shipping),
        "payment_method": order.payment_method, "payment_method_title": order.payment_method_title,
        "transaction_id": order.transaction_id, "customer_ip_address": order.customer_ip_address,
        "customer_user_agent": order.customer_user_agent, "created_via": order.created_via,
        "customer_note": order.customer_note, "date_completed": iso(order.date_completed),
        "date_paid": iso(order.date_paid), "cart_hash": "", "number": str(order.id),
        "meta_data": _meta(order.meta_data),
        "line_items": [line_item_json(shop, item) for item in order.lines("line_item")],
        "tax_lines": [], "shipping_lines": [shipping_line_json(item) for item in order.lines("shipping")],
        "fee_lines": [fee_line_json(item) for item in order.lines("fee")], "coupon_lines": [],
        "refunds": [],
        "payment_url": (f"{shop.home_url}checkout/order-pay/{order.id}/?pay_for_order=true"
                        f"&key={order.order_key}"),
        "is_editable": order.status in EDITABLE_STATUSES, "needs_payment": needs_payment(order),
        "needs_processing": True,
        "date_created_gmt": iso(order.date_created), "date_modified_gmt": iso(order.date_modified),
        "date_completed_gmt": iso(order.date_completed), "date_paid_gmt": iso(order.date_paid),
        "currency_symbol": CURRENCY_SYMBOLS.get(order.currency, order.currency),
        "_links": {"self": [{"href": shop.rest_url(f"orders/{order.id}")}],
                   "collection": [{"href": shop.rest_url("orders")}]},
    }


def note_json(shop: Shop, note: Note) -> dict[str, Any]:
    """``GET /wc/v3/orders/<id>/notes/<note_id>``."""
    base = f"orders/{note.order_id}/notes"
    return {
        "id": note.id, "author": note.author,
        "date_created": iso(note.date_created), "date_created_gmt": iso(note.date_created),
        "note": note.note, "customer_note": note.customer_note,
        "_links": {"self": [{"href": shop.rest_url(f"{base}/{note.id}")}],
                   "collection": [{"href": shop.rest_url(base)}],
                   "up": [{"href": shop.rest_url(f"orders/{note.order_id}")}]},
    }


def webhook_json(shop: Shop, webhook: Webhook) -> dict[str, Any]:
    """``GET /wc/v3/webhooks/<id>``: WooCommerce does not expose the secret,
    ``failure_count`` or ``pending_delivery`` over REST (see ``/__sandbox__/webhooks``)."""
    return {
        "id": webhook.id, "name": webhook.name, "status": webhook.status, "topic": webhook.topic,
        "resource": webhook.resource, "event": webhook.event, "hooks": webhook.hooks,
        "delivery_url": webhook.delivery_url,
        "date_created": iso(webhook.date_created), "date_created_gmt": iso(webhook.date_created),
        "date_modified": iso(webhook.date_modified), "date_modified_gmt": iso(webhook.date_modified),
        "_links": {"self": [{"href": shop.rest_url(f"webhooks/{webhook.id}")}],
                   "collection": [{"href": shop.rest_url("webhooks")}]},
    }


def webhook_internals(webhook: Webhook) -> dict[str, Any]:
    """The ``wc_webhooks`` row as the sandbox control API shows it."""
    return {
        "id": webhook.id, "name": webhook.name, "status": webhook.status, "topic": webhook.topic,
        "delivery_url": webhook.delivery_url, "secret": webhook.secret,
        "api_version": f"wp_api_v{webhook.api_version}", "failure_count": webhook.failure_count,
        "pending_delivery": webhook.pending_delivery,
        "date_created": iso(webhook.date_created), "date_modified": iso(webhook.date_modified),
    }
