"""The ShipX endpoints the sandbox serves (Bearer auth and faults are applied in ``app``)."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify, request

from .faults import drop_connection
from .labels import LabelData, LabelFontMissing, epl_label, pdf_label, zpl_label
from .store import CANCELLABLE, DPI300_SERVICES, NOT_BOUGHT, STATUSES, Shipment
from .validation import validate_shipment

bp = Blueprint("inpost_api", __name__, url_prefix="/v1")
VALIDATION_MESSAGE = "There are some validation errors Check details object for more info."
FORMATS = {"pdf": "Pdf", "zpl": "Zpl", "epl": "Epl"}
TYPES = ("normal", "A6", "dpi300")


def sandbox():
    return current_app.extensions["inpost_sandbox"]


def error(status: int, key: str, message: str, details: dict | None = None):
    """ShipX's error object: ``{"status", "error", "message", "details"}``."""
    response = jsonify({"status": status, "error": key, "message": message, "details": details or {}})
    response.status_code = status
    return response


def _host() -> str:
    return request.host_url.rstrip("/")


def _own_organization(organization_id: str):
    if organization_id != sandbox().config["ORGANIZATION_ID"]:
        return error(403, "forbidden", "Access to this organization is forbidden.")
    return None


def _shipment(shipment_id: int) -> Shipment | None:
    shipment = sandbox().store.get(shipment_id)
    return shipment if shipment is not None and shipment.organization_id == sandbox().config["ORGANIZATION_ID"] \
        else None


def _not_found():
    return error(404, "resource_not_found", "Resource not found.")


@bp.post("/organizations/<organization_id>/shipments")
def create_shipment(organization_id: str):
    """Simplified mode: 201 ``created`` with ``tracking_number: null``; confirmed later (CONFIRM_DELAY)."""
    refused = _own_organization(organization_id)
    if refused is not None:
        return refused
    body = request.get_json(silent=True, force=True)
    details = validate_shipment(body)
    if details:
        return error(400, "validation_failed", VALIDATION_MESSAGE, details)
    state = sandbox()
    shipment = state.store.create(organization_id, body)
    state.schedule_confirmation(shipment)
    response = jsonify(shipment.as_json(_host()))
    response.status_code = 201
    if state.faults.take_lost_answer():
        drop_connection(request.environ)
    return response


@bp.get("/organizations/<organization_id>/shipments")
def search_shipments(organization_id: str):
    """Collection ``{href, count, page, per_page, items}`` filtered by id, reference, tracking_number, status."""
    refused = _own_organization(organization_id)
    if refused is not None:
        return refused
    found = sandbox().store.search(organization_id, request.args.to_dict())
    per_page = min(max(request.args.get("per_page", 100, type=int) or 100, 1), 100)
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    items = found[(page - 1) * per_page: page * per_page]
    return jsonify({"href": request.url, "count": len(found), "page": page, "per_page": per_page,
                    "items": [shipment.as_json(_host()) for shipment in items]})


@bp.get("/shipments/<int:shipment_id>")
def get_shipment(shipment_id: int):
    shipment = _shipment(shipment_id)
    return jsonify(shipment.as_json(_host())) if shipment else _not_found()


@bp.delete("/shipments/<int:shipment_id>")
def cancel_shipment(shipment_id: int):
    """204 in ``created``/``offers_prepared`` only; otherwise ``invalid_action``."""
    shipment = _shipment(shipment_id)
    if shipment is None:
        return _not_found()
    if not sandbox().store.cancel(shipment):
        return error(400, "invalid_action", f"Action is not allowed in status {shipment.status}; "
                                            f"allowed in: {', '.join(CANCELLABLE)}.")
    return Response(status=204)


def _label_request(shipment: Shipment) -> tuple[str, str] | Response:
    fmt = FORMATS.get(request.args.get("format", "Pdf").lower())
    kind = request.args.get("type", "normal")
    kind = "A6" if kind.lower() == "a6" else kind
    if fmt is None or kind not in TYPES:
        return error(400, "validation_failed", VALIDATION_MESSAGE,
                     {"format" if fmt is None else "type": ["invalid"]})
    if kind == "dpi300" and (fmt != "Zpl" or shipment.service not in DPI300_SERVICES):
        return error(400, "validation_failed", VALIDATION_MESSAGE, {"type": ["invalid"]})
    if kind == "normal" and not shipment.is_locker:
        kind = "A6"  # courier services have no "normal": always A6
    return fmt, kind


def _label_data(shipment: Shipment) -> LabelData:
    body = shipment.body
    receiver = body.get("receiver") or {}
    name = " ".join(filter(None, (receiver.get("first_name"), receiver.get("last_name")))) or receiver.get(
        "company_name", "")
    address = receiver.get("address") or {}
    target = (body.get("custom_attributes") or {}).get("target_point", "")
    lines = [f"Odbiorca: {name}", " ".join(filter(None, (address.get("street"), address.get("building_number")))),
             " ".join(filter(None, (address.get("post_code"), address.get("city")))),
             f"Paczkomat: {target}" if shipment.is_locker else "",
             f"Pobranie: {body['cod']['amount']:.2f} {body['cod']['currency']}" if body.get("cod") else "",
             f"Ref: {body.get('reference') or ''}"]
    return LabelData("InPost", shipment.tracking_number or "", shipment.service, tuple(line for line in lines if line))


@bp.get("/shipments/<int:shipment_id>/label")
def label(shipment_id: int):
    """``?format=Pdf|Zpl|Epl&type=normal|A6|dpi300``; only from ``confirmed`` on (else ``invalid_action``)."""
    shipment = _shipment(shipment_id)
    if shipment is None:
        return _not_found()
    if shipment.status in NOT_BOUGHT or shipment.status == "canceled":
        return error(400, "invalid_action", f"Action is not allowed in status {shipment.status}; "
                                            "labels exist from confirmed on.")
    chosen = _label_request(shipment)
    if isinstance(chosen, Response):
        return chosen
    fmt, kind = chosen
    data = _label_data(shipment)
    if fmt == "Zpl":
        return Response(zpl_label(data, dpi=300 if kind == "dpi300" else 203), mimetype="text/plain")
    if fmt == "Epl":
        return Response(epl_label(data), mimetype="text/plain")
    try:
        pdf = pdf_label(data, page="A4" if kind == "normal" else "A6", font_path=sandbox().config["LABEL_FONT"])
    except LabelFontMissing as exc:
        return error(500, "label_generation_failed", str(exc))
    return Response(pdf, mimetype="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="label_{shipment.id}.pdf"'})


@bp.get("/tracking/<tracking_number>")
def tracking(tracking_number: str):
    shipment = sandbox().store.by_tracking(tracking_number)
    return jsonify(shipment.tracking_json()) if shipment else _not_found()


@bp.get("/statuses")
def statuses():
    """``GET /v1/statuses`` (public): the names the sandbox uses; InPost's titles are not copied [unv]."""
    items = [{"name": name, "title": name, "description": name} for name in STATUSES]
    return jsonify({"href": request.url, "items": items})
