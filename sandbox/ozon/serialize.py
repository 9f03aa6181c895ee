"""JSON of postings (the v3 FBS posting object) and push notification bodies.

The posting carries every key of the fixtures ``v3_posting_fbs_unfulfilled_list_response.json``,
``v3_posting_fbs_list_response.json`` and ``v3_posting_fbs_get_response.json`` for every endpoint.
Optional blocks follow ``with``: ``analytics_data``, ``financial_data``, ``barcodes`` (else null);
``customer`` / ``addressee`` are null unless ``with.customer`` / ``with.addressee`` [unv]; ``translit`` is
accepted and ignored. ``financial_data.products[].product_id`` is the SKU, as on Ozon.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from .models import Line, Posting, Warehouse, money, stamp, stamp_ms

OZON_LOGISTICS = (24, "Ozon Логистика")
OWN_DELIVERY = (0, "Доставка продавцом")  # rFBS [unv]
ITEM_SERVICES = ("fulfillment", "pickup", "dropoff_pvz", "dropoff_sc", "dropoff_ff", "direct_flow_trans",
                 "return_flow_trans", "deliv_to_customer", "return_not_deliv_to_customer",
                 "return_part_goods_customer", "return_after_deliv_to_customer")
COMMISSION = Decimal("0.15")
EMPTY_CANCELLATION = {"cancel_reason_id": 0, "cancel_reason": "", "cancellation_type": "",
                      "cancelled_after_ship": False, "affect_cancellation_rating": False,
                      "cancellation_initiator": ""}
TARIFF = {"current_tariff_rate": 0, "current_tariff_type": "", "current_tariff_charge": "",
          "current_tariff_charge_currency_code": "", "next_tariff_rate": 0, "next_tariff_type": "",
          "next_tariff_charge": "", "next_tariff_starts_at": None, "next_tariff_charge_currency_code": ""}


def _provider(posting: Posting) -> tuple[int, str]:
    return OWN_DELIVERY if posting.rfbs else OZON_LOGISTICS


def delivery_method(posting: Posting, warehouse: Warehouse) -> dict:
    provider_id, provider = _provider(posting)
    city = posting.buyer.get("city", "Москва")
    name = f"Доставка силами продавца, {city}" if posting.rfbs else f"Ozon Логистика курьеру, {city}"
    return {"id": warehouse.id + (7 if posting.rfbs else 0), "name": name, "warehouse_id": warehouse.id,
            "warehouse": warehouse.name, "tpl_provider_id": provider_id, "tpl_provider": provider}


def _line(line: Line) -> dict:
    return {"currency_code": "RUB", "is_blr_traceable": False, "price": money(line.price), "offer_id": line.offer_id,
            "name": line.name, "sku": line.sku, "quantity": line.quantity,
            "dimensions": {"height": "40.00", "length": "240.00", "weight": "300", "width": "140.00"}}


def _customer(posting: Posting) -> dict:
    buyer = posting.buyer
    return {"customer_id": buyer.get("customer_id", 0), "name": buyer.get("name", ""), "phone": buyer.get("phone", ""),
            "address": {"address_tail": buyer.get("address", ""), "city": buyer.get("city", ""), "comment": "",
                        "country": "Россия", "district": "", "latitude": 0, "longitude": 0,
                        "provider_pvz_code": "", "pvz_code": 0, "region": buyer.get("region", ""),
                        "zip_code": buyer.get("zip_code", "")}}


def _analytics(posting: Posting, warehouse: Warehouse) -> dict:
    provider_id, provider = _provider(posting)
    begin = posting.shipment_date + timedelta(days=2)
    cod = posting.payment == "cod"
    return {"region": posting.buyer.get("region", ""), "city": posting.buyer.get("city", ""),
            "delivery_type": posting.delivery.get("type", "PVZ"), "is_premium": False,
            "payment_type_group_name": "Оплата при получении" if cod else "Карты оплаты",
            "warehouse_id": warehouse.id, "warehouse": warehouse.name, "tpl_provider_id": provider_id,
            "tpl_provider": provider, "delivery_date_begin": stamp(begin),
            "delivery_date_end": stamp(begin + timedelta(hours=4)), "is_legal": False}


def _financial(posting: Posting) -> dict:
    services = {f"marketplace_service_item_{name}": 0 for name in ITEM_SERVICES}
    products = []
    for line in posting.lines:
        total = line.price * line.quantity
        commission = (total * COMMISSION).quantize(Decimal("0.01"))
        products.append({"commission_amount": float(commission), "commission_percent": 15,
                         "payout": float(total - commission), "product_id": line.sku, "old_price": float(line.price),
                         "price": float(line.price), "total_discount_value": 0, "total_discount_percent": 0,
                         "actions": [], "picking": None, "quantity": line.quantity, "client_price": "",
                         "item_services": dict(services)})
    return {"products": products, "posting_services": dict(services)}


def posting_json(posting: Posting, warehouse: Warehouse, flags: dict[str, bool]) -> dict:
    """The v3 FBS posting object."""
    return {
        "posting_number": posting.posting_number, "order_id": posting.order_id,
        "order_number": posting.order_number, "parent_posting_number": posting.parent_posting_number,
        "pickup_code_verified_at": None, "status": posting.status, "substatus": posting.substatus,
        "previous_substatus": posting.previous_substatus, "delivery_method": delivery_method(posting, warehouse),
        "tracking_number": posting.tracking_number,
        "tpl_integration_type": "non_integrated" if posting.rfbs else "ozon",
        "in_process_at": stamp(posting.in_process_at), "shipment_date": stamp(posting.shipment_date),
        "delivering_date": stamp(posting.delivering_date), "provider_status": "", "delivery_price": "",
        "optional": {"products_with_possible_mandatory_mark": []},
        "cancellation": dict(posting.cancellation or EMPTY_CANCELLATION),
        "customer": _customer(posting) if flags.get("customer") else None,
        "addressee": ({"name": posting.buyer.get("name", ""), "phone": posting.buyer.get("phone", "")}
                      if flags.get("addressee") else None),
        "products": [_line(line) for line in posting.lines],
        "barcodes": ({"upper_barcode": f"%101%{posting.order_id}",
                      "lower_barcode": posting.posting_number.replace("-", "")} if flags.get("barcodes") else None),
        "analytics_data": _analytics(posting, warehouse) if flags.get("analytics_data") else None,
        "financial_data": _financial(posting) if flags.get("financial_data") else None,
        "additional_data": [], "is_express": False, "quantum_id": 0,
        "requirements": {"products_requiring_gtd": [], "products_requiring_country": [],
                         "products_requiring_mandatory_mark": []},
        "product_exemplars": None, "tariffication": [dict(TARIFF)],
    }


# ---- push notifications (fixtures push_type_*.json)

def _products(posting: Posting) -> list[dict]:
    return [{"sku": line.sku, "quantity": line.quantity} for line in posting.lines]


def new_posting_push(posting: Posting, seller_id: int | str) -> dict:
    return {"message_type": "TYPE_NEW_POSTING", "posting_number": posting.posting_number,
            "products": _products(posting), "in_process_at": stamp(posting.in_process_at),
            "warehouse_id": posting.warehouse_id, "seller_id": seller_id}


def cancelled_push(posting: Posting, old_state: str, new_state: str, changed_at: datetime, reason: dict,
                   seller_id: int | str) -> dict:
    return {"message_type": "TYPE_POSTING_CANCELLED", "posting_number": posting.posting_number,
            "products": _products(posting), "old_state": old_state, "new_state": new_state,
            "changed_state_date": stamp_ms(changed_at), "reason": dict(reason),
            "warehouse_id": posting.warehouse_id, "seller_id": seller_id}


def state_changed_push(posting: Posting, new_state: str, changed_at: datetime, seller_id: int | str) -> dict:
    return {"message_type": "TYPE_STATE_CHANGED", "posting_number": posting.posting_number,
            "new_state": new_state, "changed_state_date": stamp_ms(changed_at),
            "warehouse_id": posting.warehouse_id, "seller_id": seller_id}
