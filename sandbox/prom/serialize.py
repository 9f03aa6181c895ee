"""JSON of orders, products and status options as Prom's public API v1 answers them.

Order shape = fixtures ``order_get_response.json`` / ``orders_list_response.json`` (every key they have).
Quirks kept on purpose: money as strings with a currency suffix (``"1 199 грн"``), line quantities as
floats (``1.0``), ``status: "custom-<id>"`` with the seller's ``status_name``.
"""

from __future__ import annotations

from dataclasses import dataclass

from .models import (CANCELLATION_REASONS, CPA_RATE, CENT, DELIVERY_OPTIONS, PAYMENT_OPTIONS, STATUSES, Order,
                     OrderLine, Product, format_price, iso, localized)


@dataclass(frozen=True)
class View:
    """How to render: language (``X-LANGUAGE``), custom statuses, thousands separator, shop URL."""

    lang: str = "uk"
    custom_statuses: tuple[tuple[int, str], ...] = ((137639, "Підтверджено"),)
    thousands: str = "\u2009"
    shop_url: str = "https://stockbridge-demo.prom.ua"

    def money(self, amount) -> str:
        return format_price(amount, self.thousands)


def status_name(status: str, view: View) -> str:
    """``status_name``: the native title in the view's language, or the seller's custom title."""
    if status.startswith("custom-"):
        return dict(view.custom_statuses).get(int(status[7:]), status)
    _, uk, ru = STATUSES[status]
    return localized((uk, ru), view.lang)


def status_options(view: View) -> list[dict]:
    """``GET /order_status_options/list`` entries [unv shape]: natives with an id, then custom ones."""
    natives = [{"id": number, "name": name, "title": localized((uk, ru), view.lang)}
               for name, (number, uk, ru) in STATUSES.items() if number is not None]
    customs = [{"id": number, "name": f"custom-{number}", "title": title} for number, title in view.custom_statuses]
    return natives + customs


def _person(buyer: dict) -> dict:
    return {"first_name": buyer["first_name"], "last_name": buyer["last_name"],
            "second_name": buyer.get("second_name", ""), "phone": buyer["phone"]}


def _provider_data(delivery: dict) -> dict:
    return {"provider": delivery["provider"], "type": delivery.get("type", "W2W"), "sender_warehouse_id": None,
            "recipient_warehouse_id": delivery["warehouse_id"],
            "declaration_number": delivery.get("declaration_number"),
            "unified_status": delivery.get("unified_status"),
            "recipient_address": {"city_id": delivery["city_id"], "city_name": delivery["city_name"],
                                  "city_katottg": delivery["city_katottg"], "warehouse_id": delivery["warehouse_id"],
                                  "street_id": None, "street_name": None, "building_number": None,
                                  "apartment_number": None}}


def _line(line: OrderLine, view: View) -> dict:
    return {"id": line.product_id, "external_id": line.external_id,
            "name": line.name_ru if view.lang == "ru" else line.name_uk,
            "name_multilang": {"ru": line.name_ru, "uk": line.name_uk}, "sku": line.sku,
            "price": view.money(line.price), "quantity": float(line.quantity), "measure_unit": "шт.",
            "image": f"https://images.prom.ua/{line.product_id}_w100_h100_item.jpg",
            "url": f"{view.shop_url}/p{line.product_id}-item.html", "total_price": view.money(line.total),
            "cpa_commission": {"amount": str((line.total * CPA_RATE).quantize(CENT))}}


def _payment(order: Order) -> tuple[dict, dict | None]:
    number, name = PAYMENT_OPTIONS[order.payment]
    data = None if order.payment_status is None else {
        "type": "evopay", "status": order.payment_status,
        "status_modified": iso(order.payment_modified) if order.payment_modified else None}
    return {"id": number, "name": name}, data


def _cancellation(order: Order, view: View) -> dict | None:
    if order.cancellation is None:
        return None
    reason, _text = order.cancellation
    return {"reason": reason, "title": localized(CANCELLATION_REASONS[reason], view.lang)}


def order_json(order: Order, view: View) -> dict:
    """One order, as in ``GET /orders/{id}`` (``{"order": ...}``) and ``GET /orders/list``."""
    buyer, delivery = order.buyer, order.delivery
    option_id, option_name = DELIVERY_OPTIONS[delivery["option"]]
    payment_option, payment_data = _payment(order)
    price = view.money(order.total)
    client = {**_person(buyer), "id": order.client_id}
    return {
        "id": order.id, "date_created": iso(order.date_created), "date_modified": iso(order.date_modified),
        "client_first_name": buyer["first_name"], "client_second_name": buyer.get("second_name", ""),
        "client_last_name": buyer["last_name"], "client_id": order.client_id, "client": client,
        "delivery_recipient": _person(buyer), "email": buyer.get("email"), "phone": buyer["phone"],
        "delivery_option": {"id": option_id, "name": option_name, "shipping_service": None},
        "delivery_address": f"{delivery['city_name']}, {delivery['warehouse']}",
        "delivery_provider_data": _provider_data(delivery), "delivery_cost": 0,
        "payment_option": payment_option, "payment_data": payment_data, "price": price, "full_price": price,
        "client_notes": order.client_notes, "products": [_line(line, view) for line in order.lines],
        "status": order.status, "status_name": status_name(order.status, view), "source": order.source,
        "price_with_special_offer": None, "special_offer_discount": None, "special_offer_promocode": None,
        "has_order_promo_free_delivery": False,
        "cpa_commission": {"amount": str((order.total * CPA_RATE).quantize(CENT)), "is_refunded": False},
        "utm": {"medium": "", "source": "", "campaign": ""}, "dont_call_customer_back": False,
        "ps_promotion": None, "cancellation": _cancellation(order, view),
    }


def product_json(product: Product, view: View) -> dict:
    """One product of ``GET /products/list`` / ``by_external_id``; ``price`` is a number here [unv]."""
    group = {"id": product.group[0], "name": product.group[1]} if product.group else None
    return {
        "id": product.id, "external_id": product.external_id, "name": product.name(view.lang),
        "name_multilang": {"uk": product.name_uk, "ru": product.name_ru}, "sku": product.sku,
        "keywords": "", "description": "", "selling_type": "retail", "presence": product.presence,
        "presence_sure": True, "price": float(product.price), "minimum_order_quantity": None, "discount": None,
        "prices": [], "currency": "UAH", "group": group,
        "main_image": f"https://images.prom.ua/{product.id}_w640_h640_item.jpg", "images": [],
        "measure_unit": "шт.", "status": "on_display", "quantity_in_stock": product.quantity_in_stock,
        "is_variation": product.variation_group_id is not None, "variation_group_id": product.variation_group_id,
    }
