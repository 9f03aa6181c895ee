"""Package stickers ("ШК места"): ``POST /v2/print/barcodes``, ``GET /v2/print/barcodes/{uuid}``, the PDF.

Asynchronous like CDEK: the job is ACCEPTED, then PROCESSING, then READY (with ``url``) after
``PRINT_DELAY`` seconds, or INVALID (``v2_entity_empty``) when none of its orders can be printed.
The link lives ``LINK_TTL`` seconds (1 h), then the job is REMOVED. The PDF needs the bearer
token; one page per package and copy, sized A4/A5/A6/A7, in DejaVu Sans for Cyrillic.
"""

from __future__ import annotations

import io
import threading
import time

from flask import Blueprint, Response, current_app, jsonify, request
from reportlab.graphics.barcode.code128 import Code128
from reportlab.lib.pagesizes import A4, A5, A6, A7
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

from .store import Order, PrintJob, Store, new_uuid, now_iso

bp = Blueprint("cdek_print", __name__)
SIZES = {"A4": A4, "A5": A5, "A6": A6, "A7": A7}
FONT = "SandboxCdekDejaVuSans"
_font_lock = threading.Lock()


def _font(path: str) -> str:
    with _font_lock:
        if FONT not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(TTFont(FONT, path))
    return FONT


def _state():
    return current_app.extensions["cdek_sandbox"]


def progress(store: Store, job: PrintJob, *, delay: float | None, link_ttl: float, force: bool = False) -> None:
    """Move one job on (called under the store lock by ``tick``)."""
    elapsed = time.monotonic() - job.created
    if job.status == "ACCEPTED":
        job.add_status("PROCESSING")
    if job.status == "PROCESSING" and (force or (delay is not None and elapsed >= delay)):
        printable = [store.orders.get(u) for u in job.orders]
        if printable and all(o is not None and o.cdek_number and o.status != "REMOVED" for o in printable):
            job.add_status("READY")
            job.ready_at = time.monotonic()
        else:
            job.errors = [{"code": "v2_entity_empty", "message": "Print form is not generated: all orders are invalid"}]
            job.add_status("INVALID")
    if job.status == "READY" and time.monotonic() - job.ready_at >= link_ttl:
        job.add_status("REMOVED")


def _order_refs(body: dict) -> list[str] | None:
    refs = []
    for entry in body.get("orders") or []:
        entry = entry if isinstance(entry, dict) else {}
        order = _state().store.find(uuid=str(entry.get("order_uuid") or "")) if entry.get("order_uuid") else \
            _state().store.find(cdek_number=str(entry.get("cdek_number") or ""))
        refs.append(order.uuid if order else str(entry.get("order_uuid") or entry.get("cdek_number") or ""))
    return refs or None


@bp.post("/v2/print/barcodes")
def create_job():
    body = request.get_json(silent=True, force=True)
    body = body if isinstance(body, dict) else {}
    refs = _order_refs(body)
    if refs is None:
        return _state().problem(400, [{"code": "v2_field_is_empty", "message": "[orders] is empty"}])
    if body.setdefault("format", "A4") not in SIZES:
        return _state().problem(400, [{"code": "v2_invalid_format", "message": "[format] is invalid"}])
    job = PrintJob(new_uuid(), refs, body, time.monotonic())
    job.add_status("ACCEPTED")
    with _state().store.lock:
        _state().store.print_jobs[job.uuid] = job
    return jsonify({"entity": {"uuid": job.uuid}, "requests": [
        {"request_uuid": new_uuid(), "type": "CREATE", "date_time": now_iso(), "state": "ACCEPTED"}],
        "related_entities": []}), 202


def _job_json(job: PrintJob) -> dict:
    state = {"READY": "SUCCESSFUL", "REMOVED": "SUCCESSFUL", "INVALID": "INVALID"}.get(job.status, "ACCEPTED")
    entity = {"uuid": job.uuid, "orders": [{"order_uuid": u} for u in job.orders],
              "copy_count": job.body.get("copy_count", 1), "format": job.body["format"],
              "lang": job.body.get("lang", "RUS"), "statuses": job.statuses}
    if job.status == "READY":
        base = _state().config.get("PUBLIC_URL") or request.host_url
        entity["url"] = f"{base.rstrip('/')}/v2/print/barcodes/{job.uuid}.pdf"
    request_entry = {"request_uuid": new_uuid(), "type": "CREATE", "date_time": now_iso(), "state": state}
    if job.errors:
        request_entry["errors"] = job.errors
    return {"entity": entity, "requests": [request_entry], "related_entities": []}


@bp.get("/v2/print/barcodes/<name>")
def get_job(name: str):
    """The job (``<uuid>``) or, once READY, its PDF (``<uuid>.pdf``)."""
    uuid, pdf = (name[:-4], True) if name.endswith(".pdf") else (name, False)
    job = _state().store.print_jobs.get(uuid)
    if job is None or (pdf and job.status != "READY"):
        return _state().problem(400, [{"code": "v2_entity_not_found", "message": f"Entity is not found by uuid {uuid}"}],
                                kind="GET")
    if not pdf:
        return jsonify(_job_json(job))
    orders = [_state().store.orders[u] for u in job.orders]
    return Response(render(orders, job, _state().config), mimetype="application/pdf")


def _lines(order: Order, index: int, count: int, cities: dict) -> list[tuple[str, float]]:
    body, package = order.body, (order.body.get("packages") or [{}])[index]
    recipient = body.get("recipient") or {}
    to = body.get("to_location") or {}
    where = f"ПВЗ {body['delivery_point']}" if body.get("delivery_point") else \
        f"{cities.get(to.get('code'), to.get('code'))}, {to.get('address', '')}"
    cod = sum(float((i.get("payment") or {}).get("value") or 0) * int(i.get("amount") or 1)
              for p in body.get("packages") or [] for i in p.get("items") or [])
    lines = [("СДЭК", 14), (f"Заказ СДЭК: {order.cdek_number}", 10), (f"Номер ИМ: {body.get('number', '')}", 8),
             (f"Получатель: {recipient.get('name', '')}", 9), (where, 8),
             (f"Место {index + 1}/{count}: {package.get('number', '')}, {package.get('weight', 0)} г", 8)]
    if cod and index == 0:
        lines.append((f"Наложенный платёж: {cod:.2f} {body.get('recipient_currency', 'RUB')}", 9))
    return lines


def _page(pdf: canvas.Canvas, lines, number: str, size, font: str) -> None:
    width, height = size
    scale = min(width / (105 * mm), 1.8)
    y = height - 10 * mm * scale
    for index, (text, points) in enumerate(lines):
        pdf.setFont(font, points * scale)
        pdf.drawString(6 * mm * scale, y, text)
        y -= (points + 4) * scale
        if index == 0:
            Code128(number, barHeight=14 * mm * scale, barWidth=0.4 * mm * scale, quiet=False).drawOn(
                pdf, 6 * mm * scale, y - 14 * mm * scale + 8 * scale)
            y -= 14 * mm * scale + 2 * scale
    pdf.showPage()


def render(orders: list[Order], job: PrintJob, config: dict) -> bytes:
    font, size = _font(config["FONT_PATH"]), SIZES[job.body["format"]]
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=size)
    pdf.setTitle("CDEK sandbox barcodes")
    for order in orders:
        packages = order.body.get("packages") or [{}]
        for index in range(len(packages)):
            for _ in range(int(job.body.get("copy_count") or 1)):
                _page(pdf, _lines(order, index, len(packages), config["CITIES"]), order.cdek_number, size, font)
    pdf.save()
    return buffer.getvalue()
