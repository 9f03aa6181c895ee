"""Orders: ``POST /v2/orders`` (202, validated later), ``GET /v2/orders/{uuid}``,
``GET /v2/orders?im_number=|cdek_number=``, ``DELETE /v2/orders/{uuid}``."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request

from . import validation
from .store import Order, new_uuid, now_iso

bp = Blueprint("cdek_orders", __name__)
#: Statuses from which an order may still be deleted (before the cargo reaches a CDEK warehouse).
DELETABLE = frozenset({"ACCEPTED", "CREATED"})


def _state():
    return current_app.extensions["cdek_sandbox"]


def _not_found(what: str, value: str, code: str = "v2_entity_not_found", kind: str = "GET"):
    return _state().problem(400, [{"code": code, "message": f"Entity is not found by {what} {value}"}], kind=kind)


def _location(value: object, cities: dict) -> object:
    if isinstance(value, dict) and value.get("code") in cities:
        return {**value, "city": cities[value["code"]], "country_code": "RU"}
    return value


def order_json(order: Order) -> dict:
    body, cities = order.body, _state().config["CITIES"]
    entity = {"uuid": order.uuid, "type": body.get("type", 1), "is_return": order.is_return, "is_reverse": False,
              "number": body.get("number"), "tariff_code": body.get("tariff_code"), "comment": body.get("comment", ""),
              "recipient": body.get("recipient"), "sender": body.get("sender"),
              "packages": [{**p, "barcode": f"{order.cdek_number or 0:0>12}"[-12:]} for p in body.get("packages") or []],
              "statuses": order.statuses}
    for key in ("to_location", "from_location", "delivery_point", "shipment_point"):
        if key in body:
            entity[key] = _location(body[key], cities)
    if order.cdek_number:
        entity["cdek_number"] = order.cdek_number
    return {"entity": entity, "requests": order.requests, "related_entities": []}


@bp.post("/v2/orders")
def create():
    """202 with ``entity.uuid`` and ``requests[CREATE ACCEPTED]``; malformed input -> 400 at once."""
    body = request.get_json(silent=True, force=True)
    errors = validation.sync_errors(body)
    if errors:
        return _state().problem(400, errors)
    order = _state().store.add_order(body)
    return jsonify({"entity": {"uuid": order.uuid}, "requests": [order.requests[0]], "related_entities": []}), 202


@bp.get("/v2/orders")
def lookup():
    """By ``im_number`` (our number; the most recent order with it) or ``cdek_number``."""
    im_number, cdek_number = request.args.get("im_number"), request.args.get("cdek_number")
    if not im_number and not cdek_number:
        return _state().problem(400, [{"code": "v2_parameters_empty", "message": "All parameters are empty"}], kind="GET")
    order = _state().store.find(im_number=im_number) if im_number else _state().store.find(cdek_number=cdek_number)
    if order is None:
        return _not_found("im_number", im_number, "v2_entity_not_found_im_number") if im_number else \
            _not_found("cdek_number", cdek_number)
    return jsonify(order_json(order))


@bp.get("/v2/orders/<uuid>")
def read(uuid: str):
    order = _state().store.find(uuid=uuid)
    return jsonify(order_json(order)) if order else _not_found("uuid", uuid)


@bp.delete("/v2/orders/<uuid>")
def delete(uuid: str):
    """202 while the order is ACCEPTED or CREATED (it becomes REMOVED); later 400 [unv: code]."""
    store = _state().store
    with store.lock:
        order = store.find(uuid=uuid)
        if order is None or order.status == "REMOVED":
            return _not_found("uuid", uuid, kind="DELETE")
        if order.status not in DELETABLE:
            return _state().problem(400, [{"code": "v2_entity_invalid",
                                           "message": "Order can not be deleted: the cargo is already at CDEK"}],
                                    kind="DELETE")
        entry = {"request_uuid": new_uuid(), "type": "DELETE", "date_time": now_iso(), "state": "ACCEPTED"}
        order.requests.append({**entry, "state": "SUCCESSFUL"})
        status = order.add_status("REMOVED")
    _state().notify(order, status)
    return jsonify({"entity": {"uuid": uuid}, "requests": [entry], "related_entities": []}), 202
