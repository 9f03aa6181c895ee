"""Test controls of the Allegro sandbox (no auth, JSON in and out, under ``/__sandbox__``).

See the package docstring for every endpoint. These do what a test needs but a seller API cannot:
create listings, play buyers and Allegro itself, inject faults, read the state and the call log.
"""

from __future__ import annotations

import copy

from flask import Blueprint, current_app

from .checkout import CheckoutRefused, pay, place, set_fulfillment, step
from .replies import control_body, plain_json, problem
from .store import OFFER_STATUSES

bp = Blueprint("allegro_control", __name__, url_prefix="/__sandbox__")
CANCELS = {"buyer_cancel": "BUYER_CANCELLED", "auto_cancel": "AUTO_CANCELLED"}


def _sandbox():
    return current_app.extensions["allegro_sandbox"]


def _count(body: dict) -> int:
    count = body.get("count", 1)
    return max(0, int(count)) if isinstance(count, int) or str(count).isdigit() else 1


@bp.post("/reset")
def reset():
    """``{"seed": "demo"|null, "tokens": false}``: empty marketplace state (+ seed); tokens kept unless asked."""
    body = control_body()
    seed = body.get("seed", _sandbox().config.get("SEED"))
    try:
        seeded = _sandbox().reset(seed, drop_tokens=bool(body.get("tokens", False)))
    except ValueError as exc:
        return problem(400, str(exc))
    return plain_json({"ok": True, "seeded": seeded})


def _listing(store, item: dict) -> dict:
    sku, quantity = str(item.get("sku") or ""), item.get("quantity", 10)
    status = item.get("status")
    if not sku or not isinstance(quantity, int) or quantity < 0 or status not in (None, *OFFER_STATUSES):
        raise ValueError(f"bad listing item {item!r}: sku, quantity >= 0, status in {OFFER_STATUSES}")
    offer = store.offer_by_sku(sku)
    existing = offer is not None
    if offer is None:
        offer = store.add_offer(sku, str(item.get("name") or sku), str(item.get("price") or "49.00"), quantity, status)
    else:
        offer.name, offer.price = str(item.get("name") or offer.name), str(item.get("price") or offer.price)
        offer.available, offer.status = quantity, status or ("ACTIVE" if quantity > 0 else "INACTIVE")
    return {"sku": sku, "ref": offer.id, "offer_id": offer.id, "status": offer.status, "existing": existing}


@bp.post("/listings")
def listings():
    """``{"items": [{"sku", "quantity", "name", "price", "status"?}]}``: one offer per SKU (an existing one is
    re-listed with these values) -> ``{"created": [{"sku", "ref", "offer_id", "status", "existing"}]}``."""
    items = control_body().get("items")
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        return problem(400, "items must be a list of objects")
    store = _sandbox().store
    try:
        with store.lock:
            return plain_json({"created": [_listing(store, item) for item in items]})
    except ValueError as exc:
        return problem(400, str(exc))


@bp.get("/stock")
def stock():
    """``{sku: what buyers can buy (available if ACTIVE else 0), "_detail": {sku: {offer_id, available, status}}}``."""
    store = _sandbox().store
    with store.lock:
        offers = {sku: store.offer_by_sku(sku) for sku in sorted({o.sku for o in store.offers.values()})}
        answer: dict = {sku: offer.buyable for sku, offer in offers.items()}
        answer["_detail"] = {sku: {"offer_id": o.id, "available": o.available, "status": o.status}
                             for sku, o in offers.items()}
    return plain_json(answer)


def _form_answer(form, status: int = 200):
    with _sandbox().store.lock:
        return plain_json({**copy.deepcopy(form.body), "_id": form.id}, status)


@bp.post("/orders")
def checkout():
    """A buyer checkout (see ``checkout.place``): 201 full checkout form + ``_id``; 409 ``out_of_stock``."""
    try:
        form = place(_sandbox().store, control_body())
    except CheckoutRefused as refused:
        return problem(refused.status, refused.error, **refused.extra)
    return _form_answer(form, 201)


@bp.post("/orders/<form_id>/event")
def order_event(form_id: str):
    """``{"action": "buyer_cancel" | "auto_cancel" | "pay" | "returned"}``: a buyer/Allegro move."""
    store = _sandbox().store
    action = control_body().get("action")
    with store.lock:
        form = store.forms.get(form_id)
        if form is None:
            return problem(404, "unknown_order")
        status = form.body["status"]
        if action in CANCELS:
            if status == "CANCELLED":
                return problem(409, "already_cancelled")
            step(store, form, "CANCELLED", CANCELS[action])
        elif action == "pay":
            if status == "CANCELLED":
                return problem(409, "cancelled")
            pay(store, form)
        elif action == "returned":
            if not set_fulfillment(store, form, "RETURNED"):
                return problem(409, "already_returned")
        else:
            return problem(400, "action must be buyer_cancel, auto_cancel, pay or returned")
        return _form_answer(form)


@bp.get("/orders")
def orders():
    """Every checkout form: status, fulfillment, revision, lines, tracking numbers, seller calls on it."""
    store = _sandbox().store
    with store.lock:
        listed = [{"id": f.id, "status": f.body["status"], "fulfillment": f.body["fulfillment"]["status"],
                   "revision": f.body["revision"], "updatedAt": f.body["updatedAt"],
                   "payment": f.body["payment"]["type"],
                   "lines": [{"sku": i["offer"]["external"]["id"], "offer_id": i["offer"]["id"],
                              "quantity": i["quantity"]} for i in f.body["lineItems"]],
                   "tracking": [{k: s[k] for k in ("carrierId", "waybill", "carrierName")} for s in f.shipments],
                   "calls": [c for c in store.calls if f.id in c["path"]]}
                  for f in store.forms.values()]
    return plain_json({"orders": copy.deepcopy(listed)})


@bp.get("/calls")
def calls():
    """The seller call log, oldest first: a bare list ``[{"method", "path", "status", "time"}]`` (no bodies)."""
    store = _sandbox().store
    with store.lock:
        return plain_json(copy.deepcopy(store.calls))


@bp.post("/fail")
def fail():
    """``{"status": 500|429|503|"timeout"|"lost", "count": 1, "path": "/order/"}``; 429 never has Retry-After
    (Allegro sends none): ``retry_after`` is accepted and ignored."""
    body = control_body()
    mode = body.get("status", 500)
    mode = int(mode) if isinstance(mode, str) and mode.isdigit() else mode
    try:
        queued = _sandbox().faults.add(mode, _count(body), str(body.get("path") or ""))
    except ValueError as exc:
        return problem(400, str(exc))
    return plain_json({"queued_faults": queued})


@bp.post("/lose")
def lose():
    """``{"count": N}``: the next N journal events are not written (the checkout forms still change)."""
    store = _sandbox().store
    with store.lock:
        store.lose_events += _count(control_body())
        return plain_json({"lose_events": store.lose_events})


@bp.post("/duplicate")
def duplicate():
    """``{"count": N}``: the next N non-empty ``/order/events`` answers repeat each event twice."""
    store = _sandbox().store
    with store.lock:
        store.duplicate_answers += _count(control_body())
        return plain_json({"duplicate_answers": store.duplicate_answers})


@bp.post("/rate")
def rate():
    """``{"limit": 30, "window": 60, "block": 5}``: reconfigure the per-Client_ID limit (counters reset)."""
    body, state = control_body(), _sandbox()
    config = state.config
    try:
        state.limiter.configure(int(body.get("limit", config["RATE_LIMIT"])),
                                float(body.get("window", config["RATE_WINDOW"])),
                                float(body.get("block", config["RATE_BLOCK"])))
    except (TypeError, ValueError):
        return problem(400, "limit, window and block must be numbers")
    return plain_json(state.limiter.state())


@bp.post("/oauth/approve")
def approve():
    """``{"user_code": "K7QM2XWD"}``: what the seller's "Pozwól" click does."""
    if _sandbox().tokens.decide(str(control_body().get("user_code") or ""), True) is None:
        return problem(404, "unknown_or_expired_user_code")
    return plain_json({"approved": True})


@bp.post("/oauth/issue")
def issue():
    """A token pair without the device dance (the token answer of ``/auth/oauth/token``)."""
    config = _sandbox().config
    grant = _sandbox().tokens.issue(config["CLIENT_ID"], float(config["ACCESS_TTL"]), float(config["REFRESH_TTL"]))
    return plain_json(grant.token_json(int(config["ACCESS_TTL"])))


@bp.post("/oauth/expire")
def expire():
    """Every access token expires now (refresh tokens keep working)."""
    return plain_json({"expired": _sandbox().tokens.expire_access()})


@bp.post("/process")
def process():
    """Apply every pending asynchronous change (PATCH operations, command tasks) now."""
    return plain_json({"processed": _sandbox().worker.run_all()})
