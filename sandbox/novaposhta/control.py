"""Test controls of the Nova Poshta sandbox (no auth, JSON, under ``/__sandbox__/``)."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify

from ..controls import json_options, problem
from .store import STATUS_TEXT, Document

bp = Blueprint("np_control", __name__)


def _state():
    return current_app.extensions["np_sandbox"]


def _advance(doc: Document, code: str | None) -> bool:
    target = code or doc.next_status()
    if target is None or doc.deleted:
        return False
    doc.set_status(target)
    return True


@bp.post("/__sandbox__/advance")
def advance():
    """``{"number" | "ref", "status_code"?}`` or ``{"all": true}``: move documents on.

    Without ``status_code`` a document takes the next step of its journey (1, 4, 5, 6, 7 | 8 | 101,
    9, then 10 and 11 with a COD transfer). Returns the documents that moved.
    """
    options, store = json_options(), _state().store
    code = str(options["status_code"]) if options.get("status_code") is not None else None
    if code is not None and code not in STATUS_TEXT:
        return problem(400, "unknown status_code")
    with store.lock:
        if options.get("all"):
            docs = store.documents()
        else:
            doc = store.find(str(options.get("number") or options.get("ref") or ""))
            if doc is None:
                return problem(404, "unknown document")
            docs = [doc]
        moved = [d for d in docs if _advance(d, code)]
        return jsonify({"documents": [{"number": d.number, "ref": d.ref, "status_code": d.status} for d in moved]})


@bp.post("/__sandbox__/fail")
def fail():
    """``{"status": 500 | "timeout" | "lost", "count": 1, "path": ""}`` (see ``faults.py``)."""
    options = json_options()
    try:
        queued = _state().faults.add(options.get("status", 500), int(options.get("count", 1)), options.get("path", ""))
    except (TypeError, ValueError) as exc:
        return problem(400, str(exc))
    return jsonify({"queued": queued})


@bp.post("/__sandbox__/reset")
def reset():
    state = _state()
    state.store.reset()
    state.faults.reset()
    return jsonify({"ok": True})


@bp.get("/__sandbox__/documents")
def documents():
    """Every document: number, Ref, status, our reference, deleted."""
    return jsonify({"documents": [{"number": d.number, "ref": d.ref, "status_code": d.status, "deleted": d.deleted,
                                   "reference": d.props.get("InfoRegClientBarcodes", "")}
                                  for d in _state().store.documents()]})


@bp.get("/__sandbox__/calls")
def calls():
    """How many times each ``modelName.calledMethod`` was called (``POST /__sandbox__/reset`` clears)."""
    return jsonify({"calls": dict(_state().store.calls)})
