"""REST: tracking numbers of a checkout form and the carrier list.

``GET /order/carriers``  the carrierId values ``POST .../shipments`` accepts.
``POST /order/checkout-forms/{id}/shipments``  ``{carrierId, waybill, carrierName?, lineItems?}`` -> 201.
    carrierId not listed -> 422; carrierName only (and required) with OTHER; waybill 1..64 chars.
    The same waybill twice is ACCEPTED and creates a duplicate (Allegro does): look up before adding.
    Adding a waybill does not touch the checkout form (no revision, event or ``updatedAt`` change) [unv].
``GET  /order/checkout-forms/{id}/shipments``  ``{"shipments": [...]}`` oldest first.
"""

from __future__ import annotations

import base64
import copy

from flask import Blueprint, current_app

from .orders import find_form
from .replies import json_body, now, stamp, validation, vnd

bp = Blueprint("allegro_shipments", __name__)
CARRIERS = [{"id": "INPOST", "name": "InPost"}, {"id": "DHL", "name": "DHL"}, {"id": "DPD", "name": "DPD"},
            {"id": "POCZTA_POLSKA", "name": "Poczta Polska"}, {"id": "ALLEGRO", "name": "Allegro Delivery"},
            {"id": "OTHER", "name": "Inny przewoźnik"}]
CARRIER_IDS = frozenset(c["id"] for c in CARRIERS)


def _store():
    return current_app.extensions["allegro_sandbox"].store


@bp.get("/order/carriers")
def carriers():
    return vnd({"carriers": copy.deepcopy(CARRIERS)})


def _validated(body: dict, form_items: list[dict]) -> tuple[str, str, str | None, list[dict]]:
    carrier = body.get("carrierId")
    if carrier not in CARRIER_IDS:
        raise validation("carrierId must be one of GET /order/carriers", "carrierId")
    waybill = body.get("waybill")
    if not isinstance(waybill, str) or not 1 <= len(waybill.strip()) <= 64:
        raise validation("waybill is required (at most 64 characters)", "waybill")
    name = body.get("carrierName")
    if carrier == "OTHER" and (not isinstance(name, str) or not 1 <= len(name.strip()) <= 30):
        raise validation("carrierName is required with carrierId OTHER (at most 30 characters)", "carrierName")
    if carrier != "OTHER" and name not in (None, ""):
        raise validation("carrierName is allowed only with carrierId OTHER", "carrierName")
    wanted = body.get("lineItems") or []
    known = {item["id"] for item in form_items}
    if not isinstance(wanted, list) or any(not isinstance(i, dict) or i.get("id") not in known for i in wanted):
        raise validation("lineItems must be line items of this checkout form", "lineItems")
    items = [{"id": i["id"]} for i in wanted] or [{"id": item["id"]} for item in form_items]
    return carrier, waybill.strip(), name if carrier == "OTHER" else None, items


@bp.post("/order/checkout-forms/<form_id>/shipments")
def add_shipment(form_id: str):
    body = json_body()
    store = _store()
    with store.lock:
        form = find_form(form_id)
        carrier, waybill, name, items = _validated(body, form.body["lineItems"])
        raw = f"{carrier}:{waybill}"
        same = sum(1 for s in form.shipments if s["carrierId"] == carrier and s["waybill"] == waybill)
        raw += f"#{same + 1}" if same else ""
        shipment = {"id": base64.b64encode(raw.encode()).decode(), "waybill": waybill, "carrierId": carrier,
                    "carrierName": name, "lineItems": items, "createdAt": stamp(now())}
        form.shipments.append(shipment)
        return vnd(copy.deepcopy(shipment), 201)


@bp.get("/order/checkout-forms/<form_id>/shipments")
def list_shipments(form_id: str):
    store = _store()
    with store.lock:
        return vnd({"shipments": copy.deepcopy(find_form(form_id).shipments)})
