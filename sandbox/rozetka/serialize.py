"""JSON of orders and items as the Rozetka Seller API shows them.

Orders (``orders_search_response[_expanded].json`` shapes): the base fields always; ``purchases``,
``delivery``, ``status_available``, ``order_status_history`` and ``user`` ONLY when named in ``expand``
(quirk: without it they are absent, not empty). Unknown expand names are ignored (Yii2 does the same).
``Content-Language: ru`` gives Russian item names in ``item_name``/``name``; anything else Ukrainian [unv].
"""

from __future__ import annotations

from decimal import Decimal

from . import statuses
from .clock import stamp
from .store import Item, Order, Purchase, money

EXPANDABLE = frozenset({"purchases", "delivery", "status_available", "order_status_history", "user"})
PAYMENT_NAMES = {"cash": ("Готівкова", "Оплата під час отримання товару"),
                 "online": ("Безготівкова", "Онлайн-оплата карткою")}
SELLER_FIO = "Ґалина Щербак-Ярошенко"


def parse_expand(raw: str | None) -> set[str]:
    """``expand=purchases,delivery`` -> the set of names (lower-case, trimmed)."""
    return {part.strip().lower() for part in (raw or "").split(",") if part.strip()}


def language(header: str | None) -> str:
    """``Content-Language: uk|ru`` -> "uk" | "ru" (default "uk")."""
    return "ru" if (header or "").strip().lower().startswith("ru") else "uk"


def _title(buyer: dict) -> dict:
    first, last, second = buyer.get("first_name", ""), buyer.get("last_name", ""), buyer.get("second_name", "")
    return {"first_name": first, "last_name": last, "second_name": second,
            "full_name": " ".join(part for part in (last, first, second) if part)}


def _seller_comment_fields(order: Order) -> dict:
    last = order.seller_comments[-1] if order.seller_comments else None
    return {"seller_comment": [dict(c) for c in order.seller_comments],
            "seller_comment_created": last["created"] if last else "",
            "current_seller_comment": last["comment"] if last else ""}


def _base(order: Order, lang: str) -> dict:
    amount = money(order.amount)
    title, name = PAYMENT_NAMES[order.payment_type]
    photos = [{"id": p.item.rz_item_id, "url": p.item.photo, "item_url": p.item.url,
               "item_name": _name(p, lang), "item_price": money(p.price)} for p in order.purchases]
    return {
        "id": order.id, "created": stamp(order.created), "changed": stamp(order.changed),
        "amount": amount, "amount_with_discount": amount, "cost": amount, "cost_with_discount": amount,
        "status": order.status, "status_group": statuses.group(order.status), "items_photos": photos,
        **_seller_comment_fields(order), "comment": order.comment,
        "user_phone": order.buyer.get("phone", ""), "recipient_phone": order.buyer.get("phone", ""),
        "user_title": _title(order.buyer), "recipient_title": _title(order.buyer), "user_rating": 1,
        "from_warehouse": 0, "ttn": order.ttn, "total_quantity": order.total_quantity, "mk_created": False,
        "can_copy": False, "created_type": 4, "is_viewed": order.is_viewed,
        "status_data": statuses.status_data(order.status), "payment_type": order.payment_type,
        "payment_type_title": title, "payment_type_name": name, "credit_status": 0, "credit_info": [],
        "credit_broker": False, "callback_off": 0, "is_fulfillment": False, "duplicate_order_id": None,
        "is_delivery_edit_available": statuses.group(order.status) == 1 and not order.ttn,
        "is_reserve_ending": False, "can_prolong": order.status == 5, "is_review_request_send": 0,
        "review_request_status": "", "last_update_status": stamp(order.last_update_status),
    }


def _name(purchase: Purchase, lang: str) -> str:
    return purchase.name_ru if lang == "ru" else purchase.name_ua


def _item_in_order(item: Item) -> dict:
    category_id, category_name, parent_id, _uk = item.category
    return {"id": item.rz_item_id, "name": item.name_ru, "name_ua": item.name_ua, "article": item.article,
            "price_offer_id": item.price_offer_id, "price": money(item.price),
            "catalog_category": {"id": category_id, "name": category_name, "parent_id": parent_id},
            "catalog_id": category_id, "group_id": item.rz_group_id, "photo_preview": item.photo,
            "photo": [item.photo], "moderation_status": 0, "sla_id": 11558, "url": item.url, "sold": item.sold,
            "uploader_offer_id": item.price_offer_id, "uploader_status": None}


def _purchase(purchase: Purchase, lang: str) -> dict:
    cost = money(purchase.price * purchase.quantity)
    return {"id": purchase.id, "cost": cost, "cost_with_discount": cost, "price": money(purchase.price),
            "price_with_discount": money(purchase.price), "quantity": purchase.quantity,
            "item_id": purchase.item.rz_item_id, "item_name": _name(purchase, lang),
            "item": _item_in_order(purchase.item), "kit_id": 0, "conf_details": None, "ttn": None,
            "order_status": None, "status": 1, "is_additional_item": False, "is_smart": False}


def _user(order: Order) -> dict:
    fio = " ".join(p for p in (order.buyer.get("last_name"), order.buyer.get("first_name")) if p)
    return {"id": order.buyer.get("user_id", 0), "has_email": True, "contact_fio": fio, "email": "true"}


def order_json(order: Order, expand: set[str], lang: str = "uk") -> dict:
    """One order; the expandable parts only when asked for."""
    body = _base(order, lang)
    if "user" in expand:
        body["user"] = _user(order)
    if "delivery" in expand:
        body["delivery"] = {**order.delivery, "city": dict(order.delivery["city"])}
    if "purchases" in expand:
        body["purchases"] = [_purchase(p, lang) for p in order.purchases]
    if "status_available" in expand:
        body["status_available"] = statuses.status_available(order.status)
    if "order_status_history" in expand:
        body["order_status_history"] = [statuses.history_entry(s, t) for s, t in order.history]
    return body


def total_fields(orders: list[Order]) -> dict:
    """``content.totalFields``: sums over every order the search matched."""
    total = money(sum((o.amount for o in orders), Decimal("0")))
    return {"amount": total, "amount_with_discount": total, "cost": total, "cost_with_discount": total}


def number(value: Decimal) -> int | float:
    """Item prices are JSON numbers in ``/goods/all`` (the apidoc types them Integer)."""
    return int(value) if value == value.to_integral_value() else float(value)


def item_json(item: Item, lang: str = "uk") -> dict:
    """One ``GET /goods/all`` item (``name`` in the request's language)."""
    available_title = ("Є в наявності", "Немає в наявності") if lang == "uk" else ("Есть в наличии", "Нет в наличии")
    category_id, category_ru, _parent, category_uk = item.category
    return {
        "rz_item_id": item.rz_item_id, "price_offer_id": item.price_offer_id, "item_id": item.item_id,
        "sync_source_id": 1, "sync_source": {"id": 1, "availability": 4, "is_virtual_source": 0,
                                             "new_flow_old_price": 1},
        "sla_id": 11558, "group_id": item.rz_group_id, "rz_group_id": item.rz_group_id,
        "name": item.name_ru if lang == "ru" else item.name_ua, "name_ua": item.name_ua, "name_ru": item.name_ru,
        "url": item.url, "article": item.article, "price": number(item.price), "price_old": None,
        "price_promo": None, "updated_price": None if item.updated_price is None else number(item.updated_price),
        "rz_category": {"id": category_id, "title": category_ru, "title_ua": category_uk},
        "photo_preview": [item.photo], "photo": [item.photo], "rz_status": 1, "rz_sell_status": 1,
        "available": item.available, "available_title": available_title[0 if item.available else 1],
        "stock_quantity": item.stock_quantity, "sold": item.sold, "is_ff": False, "max_cart_quantity": 0,
        "min_cart_quantity": 0, "created_at": stamp(item.created_at), "state": 1,
    }


def control_order(order: Order) -> dict:
    """``GET /__sandbox__/orders``: status, TTN, lines and the seller calls made on the order."""
    return {"id": order.id, "status": order.status, "status_group": statuses.group(order.status),
            "ttn": order.ttn, "created": stamp(order.created), "changed": stamp(order.changed),
            "payment_type": order.payment_type, "lost_changes": order.lost_changes,
            "history": [{"status": s, "time": stamp(t)} for s, t in order.history],
            "lines": [{"sku": p.item.price_offer_id, "rz_item_id": p.item.rz_item_id, "quantity": p.quantity}
                      for p in order.purchases], "calls": list(order.calls)}
