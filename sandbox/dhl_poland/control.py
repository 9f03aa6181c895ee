"""Test controls of the DHL24 sandbox (no auth, JSON, under ``/__sandbox__``)."""

from __future__ import annotations

import re

from flask import Blueprint, current_app, jsonify

from ..controls import json_options, problem

bp = Blueprint("dhl_control", __name__, url_prefix="/__sandbox__")
EVENT_CODE = re.compile(r"^[A-Z][A-Z0-9_]{1,20}$")


def sandbox():
    return current_app.extensions["dhl_sandbox"]


@bp.post("/advance")
def advance():
    """``{"id": "90012000001", "status": "DWP", "terminal": "WAW", "received_by": "..."}``: add a tracking event.

    Any upper-case event code is accepted (DHL's list is not published in our reference).
    ``received_by`` fills ``receivedBy`` (delivered). After any event but ``EDWP`` deletion is refused.
    """
    options = json_options()
    code = str(options.get("status") or "")
    if not EVENT_CODE.match(code):
        return problem(400, "status must be a DHL24 event code, e.g. DWP, LK, DOR")
    store = sandbox().store
    shipment = store.get(str(options.get("id") or ""))
    if shipment is None:
        return problem(404, "unknown shipment id")
    store.add_event(shipment, code, str(options.get("terminal") or ""), str(options.get("received_by") or ""))
    return jsonify({"id": shipment.id, "events": [event[0] for event in shipment.events],
                    "received_by": shipment.received_by})


@bp.post("/fail")
def fail():
    """``{"status": 500 | "timeout", "count": 1}``: the next SOAP requests fail before being processed."""
    options = json_options()
    try:
        queued = sandbox().faults.add_failures(options.get("status", 500), int(options.get("count", 1)))
    except (TypeError, ValueError) as exc:
        return problem(400, str(exc))
    return jsonify({"queued_faults": queued})


@bp.post("/delay")
def delay():
    options = json_options()
    sandbox().faults.set_delay(float(options.get("seconds", 0)), str(options.get("path") or ""))
    return jsonify({"delay": sandbox().faults.delay})


@bp.post("/lose_answer")
def lose_answer():
    """``{"count": 1}``: the next createShipment calls succeed but the connection drops unanswered."""
    return jsonify({"lost_answers_queued": sandbox().faults.lose_answers(int(json_options().get("count", 1)))})


@bp.get("/shipments")
def shipments():
    store = sandbox().store
    with store.lock:
        listed = [{"id": s.id, "reference": s.reference, "service": s.service, "deleted": s.deleted,
                   "created": s.created.isoformat(), "events": [event[0] for event in s.events],
                   "received_by": s.received_by} for s in store.shipments.values()]
    return jsonify({"shipments": listed})


@bp.post("/reset")
def reset():
    sandbox().reset()
    return jsonify({"ok": True})
