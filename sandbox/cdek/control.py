"""Test controls of the CDEK sandbox (no auth, JSON, under ``/__sandbox__/``)."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify

from ..controls import json_options, problem

bp = Blueprint("cdek_control", __name__)
PVZ_PATH = ("CREATED", "RECEIVED_AT_SHIPMENT_WAREHOUSE", "READY_FOR_SHIPMENT_IN_SENDER_CITY",
            "TAKEN_BY_TRANSPORTER_FROM_SENDER_CITY", "SENT_TO_RECIPIENT_CITY", "ACCEPTED_IN_RECIPIENT_CITY",
            "ACCEPTED_AT_PICK_UP_POINT", "DELIVERED")
DOOR_PATH = PVZ_PATH[:6] + ("ACCEPTED_AT_RECIPIENT_CITY_WAREHOUSE", "TAKEN_BY_COURIER", "DELIVERED")


def _state():
    return current_app.extensions["cdek_sandbox"]


def _next_code(order) -> str | None:
    path = PVZ_PATH if order.body.get("delivery_point") else DOOR_PATH
    return path[path.index(order.status) + 1] if order.status in path[:-1] else None


@bp.post("/__sandbox__/advance")
def advance():
    """``{"uuid" | "cdek_number" | "im_number", "code"?, "is_return"?, "city"?}``: a new status, and its
    ``ORDER_STATUS`` webhook to every subscribed URL and ``WEBHOOK_URL`` (sent before this answers).

    Without ``code`` the order takes the next step of its journey (to a pick-up point or a door).
    """
    options, state = json_options(), _state()
    keys = {k: str(options[k]) for k in ("uuid", "cdek_number", "im_number") if options.get(k)}
    order = state.store.find(**keys) if keys else None
    if order is None:
        return problem(404, "unknown order")
    with state.store.lock:
        if not order.cdek_number:
            return problem(409, "the order is not validated (SUCCESSFUL) yet; POST /__sandbox__/process")
        code = str(options.get("code") or _next_code(order) or "")
        if not code:
            return problem(409, "the order has no next status")
        order.is_return = bool(options.get("is_return", order.is_return))
        status = order.add_status(code, str(options.get("city") or "Офис СДЭК"))
    sent = state.notify(order, status)
    state.notifier.flush()
    deliveries = [d for d in state.notifier.log() if d["uuid"] == order.uuid and d["code"] == code][-sent:] if sent else []
    return jsonify({"uuid": order.uuid, "cdek_number": order.cdek_number, "code": code, "deliveries": deliveries})


@bp.post("/__sandbox__/process")
def process():
    """Finish every pending order validation and print job now, whatever the delays."""
    return jsonify(_state().tick(force=True))


@bp.post("/__sandbox__/fail")
def fail():
    """``{"status": 500 | "timeout" | "lost", "count": 1, "path": ""}`` (see ``faults.py``)."""
    options = json_options()
    try:
        queued = _state().faults.add(options.get("status", 500), int(options.get("count", 1)), options.get("path", ""))
    except (TypeError, ValueError) as exc:
        return problem(400, str(exc))
    return jsonify({"queued": queued})


@bp.post("/__sandbox__/expire_tokens")
def expire_tokens():
    """Invalidate every issued token (the next API call answers 401 ``v2_token_expired``)."""
    with _state().store.lock:
        _state().store.tokens.clear()
    return jsonify({"ok": True})


@bp.post("/__sandbox__/reset")
def reset():
    _state().reset()
    return jsonify({"ok": True})


@bp.get("/__sandbox__/orders")
def orders():
    return jsonify({"orders": [{"uuid": o.uuid, "number": o.body.get("number"), "cdek_number": o.cdek_number,
                                "state": o.state, "status": o.status} for o in _state().store.orders.values()]})


@bp.get("/__sandbox__/webhooks")
def deliveries():
    """The webhook delivery log: ``[{url, type, uuid, code, status, error, time, duration_ms}]``."""
    return jsonify({"deliveries": _state().notifier.log()})


@bp.get("/__sandbox__/calls")
def calls():
    """Requests per ``METHOD /path`` (uuids folded to ``{uuid}``)."""
    return jsonify({"calls": dict(_state().store.calls)})
