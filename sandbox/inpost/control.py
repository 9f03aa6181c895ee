"""Test controls of the InPost sandbox (no auth, JSON, under ``/__sandbox__``)."""

from __future__ import annotations

import re

from flask import Blueprint, current_app, jsonify, request

from ..controls import json_options, problem

bp = Blueprint("inpost_control", __name__, url_prefix="/__sandbox__")
STATUS_NAME = re.compile(r"^[a-z][a-z0-9_]{1,60}$")


def sandbox():
    return current_app.extensions["inpost_sandbox"]


@bp.post("/advance")
def advance():
    """``{"id": 1000000001, "status": "confirmed"}``: move a shipment and POST its webhook.

    Any lower-case status name is accepted (InPost adds statuses without notice). Leaving the
    pre-purchase statuses assigns the tracking number. Answers the delivery log entry.
    """
    options = json_options()
    status = str(options.get("status") or "")
    if not STATUS_NAME.match(status):
        return problem(400, "status must be a ShipX status name, e.g. confirmed")
    shipment = sandbox().store.get(int(options.get("id") or 0)) if str(options.get("id", "")).isdigit() else None
    if shipment is None:
        return problem(404, "unknown shipment id")
    delivery = sandbox().advance(shipment, status)
    return jsonify({"id": shipment.id, "status": shipment.status, "tracking_number": shipment.tracking_number,
                    "webhook": delivery})


@bp.post("/fail")
def fail():
    """``{"status": 500 | "timeout", "count": 1}``: the next API requests fail (see ``faults.py``)."""
    options = json_options()
    try:
        queued = sandbox().faults.add_failures(options.get("status", 500), int(options.get("count", 1)))
    except (TypeError, ValueError) as exc:
        return problem(400, str(exc))
    return jsonify({"queued_faults": queued})


@bp.post("/delay")
def delay():
    """``{"seconds": 2.0, "path": "/v1/"}``: slow API answers down (0 clears)."""
    options = json_options()
    sandbox().faults.set_delay(float(options.get("seconds", 0)), str(options.get("path") or ""))
    return jsonify({"delay": sandbox().faults.delay})


@bp.post("/lose_answer")
def lose_answer():
    """``{"count": 1}``: the next creates succeed but the connection closes before the answer."""
    return jsonify({"lost_answers_queued": sandbox().faults.lose_answers(int(json_options().get("count", 1)))})


@bp.post("/webhook_url")
def webhook_url():
    """``{"url": "..."}``: register the organization's webhook URL; it must answer 200 to a GET."""
    url = str(json_options().get("url") or "")
    if not url.startswith(("http://", "https://")):
        return problem(400, "url must be an http(s) URL")
    refusal = sandbox().webhooks.register(url)
    return problem(400, refusal) if refusal else jsonify({"url": url})


@bp.get("/webhooks")
def webhooks():
    """The delivery log: ``{"webhooks": [{"seq", "event", "shipment_id", "status", "url", "http_status",
    "error", "duration_ms", "body"}]}``."""
    return jsonify({"webhooks": sandbox().webhooks.log()})


@bp.get("/shipments")
def shipments():
    state = sandbox()
    with state.store.lock:
        listed = [shipment.as_json(request.host_url.rstrip("/")) for shipment in state.store.shipments.values()]
    return jsonify({"shipments": listed})


@bp.post("/reset")
def reset():
    sandbox().reset()
    return jsonify({"ok": True})
