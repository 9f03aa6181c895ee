"""REST: offers and their single-offer asynchronous edit (``/sale/offers``, ``/sale/product-offers``).

``GET /sale/offers?limit=1..1000 (20)&offset=&external.id=&publication.status=`` (both repeatable).
``GET /sale/product-offers/{id}`` -> the offer; unknown -> 404 ``NotFoundException``.
``PATCH /sale/product-offers/{id}`` ``{"stock": {"available"}, "publication": {"status"}}`` -> 202, header
    ``Location: /sale/product-offers/{id}/operations/{op}``, body = the offer as it will be; applied
    ASYNC_DELAY later. ``available = 0`` ENDS an ACTIVE offer; > 0 does NOT re-activate an ENDED one
    (quirk: ACTIVE is a separate change). stock < 0 -> 422; ACTIVE with stock 0 -> 422 ``OfferStockTooLow`` [unv].
    Other fields of the body are accepted and ignored.
``GET /sale/product-offers/{id}/operations/{op}`` -> 200 ``{"id", "status": IN_PROGRESS|SUCCESS|FAIL, ...}``
    [unv shape; FAIL only when the offer changed meanwhile so that the change became impossible].
"""

from __future__ import annotations

import copy
import uuid

from flask import Blueprint, current_app, request

from .replies import ApiError, int_arg, json_body, now, stamp, validation, vnd
from .store import OFFER_STATUSES, Offer, Store

bp = Blueprint("allegro_offers", __name__)
SETTABLE_PUBLICATION = ("ACTIVE", "ENDED")


def _sandbox():
    return current_app.extensions["allegro_sandbox"]


def find_offer(store: Store, offer_id: str) -> Offer:
    offer = store.offers.get(offer_id)
    if offer is None:
        raise ApiError(404, "NotFoundException", f"Offer {offer_id} not found")
    return offer


@bp.get("/sale/offers")
def list_offers():
    limit = int_arg("limit", 20, 1, 1000)
    offset = int_arg("offset", 0, 0, 10**9)
    skus = set(request.args.getlist("external.id"))
    statuses = set(request.args.getlist("publication.status"))
    if statuses - set(OFFER_STATUSES):
        raise validation("publication.status must be ACTIVE, ENDED, ACTIVATING or INACTIVE", "publication.status")
    store = _sandbox().store
    with store.lock:
        found = [o for o in sorted(store.offers.values(), key=lambda o: int(o.id))
                 if (not skus or o.sku in skus) and (not statuses or o.status in statuses)]
        page = [o.as_json() for o in found[offset:offset + limit]]
    return vnd({"offers": page, "count": len(page), "totalCount": len(found)})


@bp.get("/sale/product-offers/<offer_id>")
def get_offer(offer_id: str):
    store = _sandbox().store
    with store.lock:
        return vnd(find_offer(store, offer_id).as_json())


def _change(body: dict) -> tuple[int | None, str | None]:
    available = status = None
    if "stock" in body:
        stock = body["stock"]
        available = stock.get("available") if isinstance(stock, dict) else None
        if not isinstance(available, int) or isinstance(available, bool) or available < 0:
            raise validation("stock.available must be an integer >= 0", "stock.available")
    if "publication" in body:
        publication = body["publication"]
        status = publication.get("status") if isinstance(publication, dict) else None
        if status not in SETTABLE_PUBLICATION:
            raise validation("publication.status must be ACTIVE or ENDED", "publication.status")
    return available, status


@bp.patch("/sale/product-offers/<offer_id>")
def patch_offer(offer_id: str):
    body = json_body()
    state = _sandbox()
    store = state.store
    with store.lock:
        offer = find_offer(store, offer_id)
        available, status = _change(body)
        preview = copy.deepcopy(offer)
        refusal = preview.apply(available, status)
        if refusal:
            raise ApiError(422, refusal, "An offer without stock cannot be activated", "publication.status")
        operation_id = str(uuid.uuid4())
        store.operations[operation_id] = {"id": operation_id, "offer": {"id": offer_id}, "status": "IN_PROGRESS",
                                          "createdAt": stamp(now()), "completedAt": None, "errors": []}
    state.worker.schedule(float(state.config["ASYNC_DELAY"]),
                          lambda: _apply(store, offer_id, operation_id, available, status))
    location = f"/sale/product-offers/{offer_id}/operations/{operation_id}"
    return vnd(preview.as_json(), 202, {"Location": location})


def _apply(store: Store, offer_id: str, operation_id: str, available: int | None, status: str | None) -> None:
    """The asynchronous half of PATCH (the worker runs it ASYNC_DELAY later)."""
    with store.lock:
        operation = store.operations.get(operation_id)
        offer = store.offers.get(offer_id)
        if operation is None or offer is None:
            return
        refusal = offer.apply(available, status)
        operation.update(status="FAIL" if refusal else "SUCCESS", completedAt=stamp(now()))
        if refusal:
            operation["errors"] = [{"code": refusal, "message": "An offer without stock cannot be activated",
                                    "details": None, "path": "publication.status", "userMessage": refusal}]


@bp.get("/sale/product-offers/<offer_id>/operations/<operation_id>")
def operation(offer_id: str, operation_id: str):
    store = _sandbox().store
    with store.lock:
        found = store.operations.get(operation_id)
        if found is None or found["offer"]["id"] != offer_id:
            raise ApiError(404, "NotFoundException", f"Operation {operation_id} not found")
        return vnd(copy.deepcopy(found))
