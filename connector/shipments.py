"""Planning shipments: which carrier and service an order ships with, and the request we send.

A shop's ``settings["shipping_methods"]`` maps its delivery methods to carrier accounts::

    [{"title_contains": "Paczkomat", "carrier": "inpost", "service": "inpost_locker_standard",
      "point_meta": "paczkomat_id", "template": "small"},
     {"method_id": "flat_rate", "title_contains": "Нова Пошта", "carrier": "np", "service": "WarehouseWarehouse",
      "point_meta": "np_warehouse_ref"}]

``carrier`` names a carrier account (a channel of kind ``carrier``, created with ``stockbridge carrier
add``); its settings hold the sender and the default parcel. ``settings["ship_when"]`` says when an
order is ready: ``paid`` (default) or ``paid_or_cod`` (cash-on-delivery orders ship once confirmed).
A rule may also name ``city_meta`` (the shipping-line meta holding the carrier's city id, Nova Poshta's
``CityRecipient`` Ref) and ``"cod": true`` (the method is cash on delivery whatever the order says).

Cash on delivery is sent only for an order whose payment method is cash on delivery
(``settings["cod_methods"]``, default ``["cod"]``) and that was not paid online since (no transaction
id): a COD amount on a prepaid order would charge the buyer twice, so it is refused in plain words.
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from connector.errors import PermanentError
from connector.models import Channel, Order, Shipment
from connector.shipping import Parcel, Party, ShipmentRequest

READY_PAID = ("paid", "packed")
READY_COD = ("confirmed", "paid", "packed")


class NoShippingRule(PermanentError):
    """No delivery-method rule of the shop matches the order (or a locker / warehouse id is missing)."""


def is_ready(order: Order, shop: Channel) -> bool:
    rule = (shop.settings or {}).get("ship_when", "paid")
    if order.cod_amount is not None and rule == "paid_or_cod":
        return order.status in READY_COD
    return order.status in READY_PAID and order.payment_status == "paid"


def match_rule(shop: Channel, delivery: dict) -> dict:
    title, method_id = delivery.get("method_title", ""), delivery.get("method_id", "")
    for rule in (shop.settings or {}).get("shipping_methods", []):
        if rule.get("method_id") and rule["method_id"] != method_id:
            continue
        if rule.get("title_contains") and rule["title_contains"].lower() not in title.lower():
            continue
        return rule
    raise NoShippingRule(f"no shipping rule of {shop.name} matches delivery method {title or method_id!r}")


def carrier_account(session: Session, name: str) -> Channel:
    account = session.scalar(select(Channel).where(Channel.name == name, Channel.kind == "carrier"))
    if account is None:
        raise NoShippingRule(f"carrier account {name!r} does not exist (stockbridge carrier add)")
    return account


def receiver_of(order: Order) -> Party:
    ship, bill = order.shipping_address or {}, order.buyer or {}
    name = " ".join(p for p in (ship.get("first_name") or bill.get("first_name", ""),
                                 ship.get("last_name") or bill.get("last_name", "")) if p)
    return Party(name=name, phone=ship.get("phone") or bill.get("phone") or "", email=bill.get("email") or "",
                 company=ship.get("company", ""), street=" ".join(filter(None, (ship.get("address_1"), ship.get("address_2")))),
                 city=ship.get("city", ""), postcode=ship.get("postcode", ""), country=ship.get("country") or "PL")


def _meta(order: Order, shop: Channel, rule: dict, key: str, what: str) -> str:
    """The shipping-line meta named by ``rule[key]`` ('' when the rule names none); missing -> NoShippingRule."""
    if not rule.get(key):
        return ""
    value = str((order.delivery or {}).get("meta", {}).get(rule[key], "") or "").strip()
    if not value:
        raise NoShippingRule(f"{shop.name} order {order.number}: {what} ({rule[key]}) is missing")
    return value


def cod_amount(order: Order, shop: Channel, rule: dict) -> Decimal | None:
    """The amount to collect on delivery, or None; refuses COD on an order that is (or was) paid online."""
    methods = (shop.settings or {}).get("cod_methods") or ["cod"]
    label = f"{shop.name} order {order.number}"
    if order.payment_method not in methods:
        if rule.get("cod") or order.cod_amount is not None:
            raise NoShippingRule(f"{label}: cash on delivery refused: the order is prepaid "
                                 f"(payment method {order.payment_method or 'none'}, not cash on delivery)")
        return None
    if order.transaction_id:
        raise NoShippingRule(f"{label}: cash on delivery refused: the order was already paid online (it has a "
                             "transaction id); collecting again would charge the buyer twice")
    return order.cod_amount if order.cod_amount is not None else order.total


def build_request(order: Order, shop: Channel, account: Channel, rule: dict, reference: str) -> ShipmentRequest:
    """The canonical request for ``order``; raises NoShippingRule when a locker/warehouse id or city id is
    missing, or when cash on delivery is asked of a prepaid order."""
    point = _meta(order, shop, rule, "point_meta", "pickup point")
    city_ref = _meta(order, shop, rule, "city_meta", "carrier city id")
    cod = cod_amount(order, shop, rule)
    parcel = {**(account.settings or {}).get("parcel", {"weight_kg": "1.0"}), **({"template": rule["template"]}
                                                                               if rule.get("template") else {})}
    return ShipmentRequest(
        reference=reference, carrier=(account.settings or {}).get("carrier", ""), service=rule["service"],
        receiver=dataclasses.replace(receiver_of(order), city_ref=city_ref),
        sender=Party(**{"name": shop.name, **((account.settings or {}).get("sender") or {})}),
        parcels=(Parcel(weight_kg=Decimal(str(parcel.get("weight_kg", "1.0"))),
                        length_cm=int(parcel.get("length_cm", 0)), width_cm=int(parcel.get("width_cm", 0)),
                        height_cm=int(parcel.get("height_cm", 0)), template=parcel.get("template", "")),),
        pickup_point=point, cod_amount=cod, currency=order.currency or "PLN",
        declared_value=order.total, description=f"{shop.name} {order.number}")


def request_to_json(request: ShipmentRequest) -> dict:
    return json_safe(dataclasses.asdict(request))


def request_from_json(data: dict) -> ShipmentRequest:
    parcels = tuple(Parcel(**{**p, "weight_kg": Decimal(p["weight_kg"])}) for p in data["parcels"])
    money = {k: Decimal(data[k]) if data.get(k) is not None else None for k in ("cod_amount", "declared_value")}
    return ShipmentRequest(**{**data, **money, "receiver": Party(**data["receiver"]), "sender": Party(**data["sender"]),
                              "parcels": parcels})


def json_safe(value):
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    return str(value) if isinstance(value, Decimal) else value


def plan_shipment(session: Session, order: Order, shop: Channel) -> Shipment:
    """Write the shipment intent for ``order`` (idempotent: one open shipment per order)."""
    existing = session.scalar(select(Shipment).where(Shipment.order_id == order.id,
                                                     Shipment.status.not_in(("cancelled", "failed"))))
    if existing is not None:
        return existing
    rule = match_rule(shop, order.delivery or {})
    account = carrier_account(session, rule["carrier"])
    count = session.scalar(select(func.count()).select_from(Shipment).where(Shipment.order_id == order.id))
    reference = f"SB-{shop.name}-{order.number}-{count + 1}"
    request = build_request(order, shop, account, rule, reference)
    shipment = Shipment(order_id=order.id, reference=reference, carrier=account.name, service=rule["service"],
                        status="intent", cod_amount=request.cod_amount, request=request_to_json(request))
    with session.begin_nested():
        session.add(shipment)
    return shipment
