"""Test controls of the Ozon sandbox: no auth, JSON in and out, under ``/__sandbox__`` (see the manual)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from flask import Blueprint, current_app, jsonify

from ..controls import json_options, problem
from . import lifecycle
from .errors import ApiError
from .lifecycle import OutOfStock
from .validation import moment

bp = Blueprint("ozon_control", __name__, url_prefix="/__sandbox__")


def sandbox():
    return current_app.extensions["ozon_sandbox"]


@bp.post("/reset")
def reset():
    """``{"seed": "demo"|null}`` (default: config SEED) -> empty state, then the catalog."""
    options = json_options()
    try:
        seeded = sandbox().reset(options.get("seed", sandbox().config.get("SEED")))
    except ValueError as exc:
        return problem(400, str(exc))
    return jsonify({"ok": True, "seeded": seeded})


@bp.post("/listings")
def listings():
    """``{"items": [{"sku", "quantity", "name", "price", "state": "not_ready"?, "rfbs": true?}]}`` -> products
    with offer_id = sku and ``quantity`` buyable units (present = quantity + reserved)."""
    state, created = sandbox(), []
    for item in json_options().get("items") or []:
        if not isinstance(item, dict) or not item.get("sku"):
            return problem(400, "every item needs a sku")
        try:
            price = Decimal(str(item["price"])) if item.get("price") not in (None, "") else None
            quantity = int(item.get("quantity", 0))
        except (InvalidOperation, TypeError, ValueError):
            return problem(400, f"bad price or quantity in {item}")
        warehouse = state.store.rfbs_warehouse() if item.get("rfbs") else state.store.default_warehouse
        readiness = "not_ready" if item.get("state") == "not_ready" else "price_sent"
        product = state.store.list_product(str(item["sku"]), item.get("name"), price, quantity, warehouse.id,
                                           readiness)
        created.append({"sku": product.offer_id, "ref": f"{product.offer_id}:{warehouse.id}",
                        "offer_id": product.offer_id, "warehouse_id": warehouse.id,
                        "product_id": product.product_id, "ozon_sku": product.sku})
    return jsonify({"created": created})


@bp.get("/stock")
def stock():
    """``{"<offer_id>": present - reserved, "_detail": {"<offer_id>": {"product_id", "sku", "warehouse_id",
    "present", "reserved", "state", "warehouses": {...}}}}`` (a ``not_ready`` product shows 0: buyers cannot
    buy it)."""
    snapshot: dict = {}
    detail: dict = {}
    with sandbox().store.lock:
        for product in sandbox().store.sorted_products():
            snapshot[product.offer_id] = product.available
            detail[product.offer_id] = {
                "product_id": product.product_id, "sku": product.sku, "warehouse_id": next(iter(product.stocks), None),
                "present": product.present, "reserved": product.reserved, "state": product.state,
                "warehouses": {str(w): {"present": s.present, "reserved": s.reserved}
                               for w, s in product.stocks.items()}}
    snapshot["_detail"] = detail
    return jsonify(snapshot)


@bp.post("/orders")
def place_order():
    """A buyer checkout ``{"lines": [{"sku", "quantity"}], "payment", "buyer", "delivery", "rfbs",
    "in_process_at"?, "shipment_date"?}``: 409 out_of_stock when Ozon's listing shows fewer units, else 201
    with the first posting as ``/v3/posting/fbs/get`` returns it (all ``with`` blocks) plus ``_id`` (its
    posting number) and ``_postings`` (every posting number of the order). ``buyer`` overrides the random demo
    buyer's ``name``, ``phone``, ``city``, ``region``, ``address``, ``zip_code``, ``customer_id``; ``delivery``
    may set ``type`` (PVZ|Courier) and ``rfbs``; ``payment`` "cod" only changes analytics' payment group (Ozon
    collects the money either way); the two times are sandbox-only overrides (RFC 3339)."""
    options = json_options()
    lines = [line for line in options.get("lines") or [] if isinstance(line, dict)]
    if not lines:
        return problem(400, "an order needs at least one line")
    state = sandbox()
    try:
        times = {key: moment(options[key], key) for key in ("in_process_at", "shipment_date") if options.get(key)}
        postings = state.checkout(lines, options.get("buyer"), options.get("delivery"),
                                  str(options.get("payment") or "online"),
                                  bool(options.get("rfbs") or (options.get("delivery") or {}).get("rfbs")), **times)
    except OutOfStock as exc:
        return jsonify({"error": "out_of_stock", "sku": str(exc)}), 409
    except ApiError as exc:
        return problem(400, exc.message)
    except (TypeError, ValueError) as exc:
        return problem(400, f"bad line: {exc}")
    everything = {"analytics_data": True, "financial_data": True, "barcodes": True, "customer": True,
                  "addressee": True}
    with state.store.lock:
        answer = state.posting_json(postings[0], everything)
    answer.update({"_id": postings[0].posting_number, "_postings": [p.posting_number for p in postings]})
    return jsonify(answer), 201


def _buyer_cancel(store, posting):
    """The buyer cancels (reason 507 [unv]); reserved units are released."""
    if posting.status in ("cancelled", "delivered", "cancelled_from_split_pending"):
        raise ApiError(400, "INVALID_POSTING_STATE")
    return lifecycle.cancel(store, posting, 507, "Покупатель отменил заказ", "", kind="client")


EVENTS = {"deliver": lifecycle.deliver, "handover": lifecycle.handover, "arbitration": lifecycle.arbitrate,
          "buyer_cancel": _buyer_cancel}


@bp.post("/orders/<number>/event")
def order_event(number: str):
    """``{"action": "deliver"|"handover"|"buyer_cancel"|"arbitration"}``: a marketplace/buyer-side move
    (409 when the posting's status does not allow it); pushes the notification; answers the posting."""
    action = str(json_options().get("action") or "")
    state = sandbox()
    posting = state.store.posting(number)
    if posting is None:
        return problem(404, "unknown posting number")
    if action not in EVENTS:
        return problem(400, f"action must be one of {', '.join(EVENTS)}")
    with state.store.lock:
        try:
            state.emit(EVENTS[action](state.store, posting))
        except ApiError:
            return problem(409, f"{action} is not possible in status {posting.status}")
        return jsonify(state.posting_json(posting, {}))


@bp.get("/orders")
def orders():
    """Every posting: status, tracking number, lines, and the seller calls that named it."""
    with sandbox().store.lock:
        return jsonify({"orders": [{
            "posting_number": p.posting_number, "order_number": p.order_number, "status": p.status,
            "substatus": p.substatus, "tracking_number": p.tracking_number, "rfbs": p.rfbs,
            "parent_posting_number": p.parent_posting_number, "warehouse_id": p.warehouse_id,
            "holds_reserve": p.holds_reserve, "lines": [{"sku": l.offer_id, "ozon_sku": l.sku, "quantity": l.quantity}
                                                       for l in p.lines],
            "calls": list(p.calls)} for p in sandbox().store.all_postings()]})


@bp.get("/calls")
def calls():
    """``[{"method", "path", "status", "time"}]``: every seller API call, oldest first."""
    return jsonify(sandbox().calls())


@bp.post("/fail")
def fail():
    """``{"status": 500|429|503|"timeout"|"lost", "count": 1, "path": "/prefix", "retry_after": null}``.

    - a status: the next N matching API requests get it with Ozon's error body (429: code 8 "... per second")
      and are not processed; Ozon sends no Retry-After, so the header appears only when ``retry_after`` is given;
    - ``"timeout"``: hang ``HANG_SECONDS``, then 504 code 4, unprocessed;
    - ``"lost"``: processed, then the answer is held ``HANG_SECONDS`` and the connection is dropped (under
      the Flask test client, which has no socket, the answer becomes 504 instead).
    """
    options = json_options()
    try:
        retry_after = options.get("retry_after")
        queued = sandbox().faults.add(options.get("status", 500), int(options.get("count", 1)),
                                      str(options.get("path") or ""), int(retry_after) if retry_after else None)
    except (TypeError, ValueError) as exc:
        return problem(400, str(exc))
    return jsonify({"queued_faults": queued})


@bp.post("/lose")
def lose():
    """``{"count": N}``: the next N push notifications are not sent (the poll must still find the postings)."""
    return jsonify({"lost_queued": sandbox().pushes.lose(int(json_options().get("count", 1)))})


@bp.post("/duplicate")
def duplicate():
    """``{"count": N}``: the next N list answers repeat each posting twice."""
    return jsonify({"duplicates_queued": sandbox().duplicate(int(json_options().get("count", 1)))})


@bp.post("/rate")
def rate():
    """``{"limit": N, "window": 60, "path": "/v2/products/stocks", "block": 0, "pair_interval": 30}``."""
    options = json_options()
    state, answer = sandbox(), {}
    try:
        if options.get("pair_interval") is not None:
            state.config["PAIR_INTERVAL"] = answer["pair_interval"] = float(options["pair_interval"])
        if options.get("limit") is not None:
            answer.update(state.limits.configure(int(options["limit"]), float(options.get("window", 60)),
                                                 str(options.get("path") or ""), float(options.get("block", 0))))
    except (TypeError, ValueError) as exc:
        return problem(400, str(exc))
    return jsonify(answer)


@bp.post("/push")
def push():
    """``{"url": "http://..."}``: register the push URL; Ozon first sends TYPE_PING, which must be answered
    200 ``{"version", "name", "time"}`` (else 400, URL not registered)."""
    url = str(json_options().get("url") or "")
    if not url.startswith(("http://", "https://")):
        return problem(400, "url must be an http(s) URL")
    state = sandbox()
    entry = state.pushes.ping(url)
    if not entry["ok"]:
        return problem(400, f"TYPE_PING to {url} was not answered correctly: {entry['error']}")
    state.pushes.url = url
    return jsonify({"url": url, "ping": entry})


@bp.get("/pushes")
def pushes():
    """The delivery log: ``{"pushes": [{"seq", "message_type", "posting_number", "attempt", "url", "http_status",
    "error", "ok", "outcome", "lost", "time", "body"}]}`` (one entry per attempt)."""
    return jsonify({"pushes": sandbox().pushes.log()})


@bp.post("/pushes/flush")
def flush_pushes():
    """``{"timeout": 10}``: wait until no push is queued or in flight (retries included); 504 on timeout."""
    done = sandbox().pushes.wait_idle(float(json_options().get("timeout", 10)))
    return (jsonify({"flushed": True}), 200) if done else problem(504, "pushes still pending")
