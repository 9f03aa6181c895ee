"""Printed forms of the Nova Poshta sandbox: ``GET /orders/<form>/orders[]/<Ref|TTN,...>/type/<type>/apiKey/<key>``.

Like the real ``my.novaposhta.ua``, the API key sits in the URL path and failures (wrong key,
unknown or deleted document) come back as an HTML page with HTTP 200, never as JSON. Forms:
``printMarking100x100`` (type ``pdf``, optional trailing ``/zebra``), ``printMarking85x85``
(type ``pdf8``) and ``printDocument`` (A4). The PDF has one page per document, in DejaVu Sans so
that Cyrillic names print (and can be extracted as text).
"""

from __future__ import annotations

import hmac
import io
from html import escape
import threading
from decimal import Decimal

from flask import Blueprint, Response, current_app
from reportlab.graphics.barcode.code128 import Code128
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

from .store import Document
from .validation import number

bp = Blueprint("np_print", __name__)
FORMS = {"printMarking100x100": (100, 100), "printMarking85x85": (85, 85), "printDocument": (210, 297)}
FONT = "SandboxDejaVuSans"
_font_lock = threading.Lock()


def _font(path: str) -> str:
    with _font_lock:
        if FONT not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(TTFont(FONT, path))
    return FONT


def parse_path(rest: str) -> tuple[list[str], dict[str, str], bool] | None:
    """``orders[]/<ids>/type/pdf/apiKey/<key>[/zebra]`` -> (ids, {"type", "apiKey"}, zebra)."""
    parts = [p for p in rest.split("/") if p]
    if len(parts) < 2 or parts[0] not in ("orders[]", "orders"):
        return None
    ids, options, zebra, rest_parts = parts[1].split(","), {}, False, parts[2:]
    while rest_parts:
        name = rest_parts.pop(0)
        if name == "zebra":
            zebra = True
        elif rest_parts:
            options[name] = rest_parts.pop(0)
    return [i.strip() for i in ids if i.strip()], options, zebra


def _html(message: str) -> Response:
    page = (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>Нова пошта</title></head>"
            f"<body><p>{message}</p></body></html>")
    return Response(page, mimetype="text/html")


def _amount(value: Decimal) -> str:
    return f"{value:.2f}"


def _lines(doc: Document) -> list[tuple[str, float]]:
    """(text, font size at 100 mm) for one sticker."""
    p = doc.props
    name = p.get("RecipientName") or "Одержувач (контрагент)"
    where = p.get("RecipientCityName") or "Місто одержувача: " + str(p.get("CityRecipient", ""))[:8]
    point = (f"{p.get('RecipientAddressName', '')} {p.get('RecipientHouse', '')}".strip()
             if str(p.get("ServiceType", "")).endswith("Doors") else
             ("Поштомат " if str(p.get("ServiceType", "")).endswith("Postomat") else "Відділення ")
             + str(p.get("RecipientAddress", ""))[:8])
    lines = [("НОВА ПОШТА", 12), (" ".join((doc.number[:2], doc.number[2:6], doc.number[6:10], doc.number[10:])), 15),
             ("Одержувач: " + name, 9), (where, 8), (point, 8),
             (f"Вага: {p.get('Weight')} кг   Місць: {p.get('SeatsAmount')}", 8)]
    cod = sum((number(i.get("RedeliveryString")) or 0 for i in p.get("BackwardDeliveryData") or [] if isinstance(i, dict)),
              Decimal(0))
    if cod:
        lines.append((f"Накладений платіж: {_amount(cod)} грн", 9))
    if p.get("AfterpaymentOnGoodsCost"):
        lines.append((f"Контроль оплати: {_amount(number(p['AfterpaymentOnGoodsCost']) or Decimal(0))} грн", 9))
    lines.append((f"Дата: {doc.ship_date:%d.%m.%Y}   Замовлення: {p.get('InfoRegClientBarcodes', '')}", 7))
    return lines


def _draw(pdf: canvas.Canvas, doc: Document, width: float, height: float, font: str) -> None:
    scale = min(width / (100 * mm), 1.6)
    x, y = 5 * mm * scale, height - 9 * mm * scale
    barcode = Code128(doc.number, barHeight=13 * mm * scale, barWidth=0.35 * mm * scale, quiet=False)
    for index, (text, size) in enumerate(_lines(doc)):
        pdf.setFont(font, size * scale)
        pdf.drawString(x, y, text)
        y -= (size + 3) * scale
        if index == 1:
            barcode.drawOn(pdf, x, y - 13 * mm * scale + 6 * scale)
            y -= 13 * mm * scale + 2 * scale


def render(docs: list[Document], size_mm: tuple[int, int], font_path: str) -> bytes:
    """One page of ``size_mm`` per document."""
    font = _font(font_path)
    width, height = size_mm[0] * mm, size_mm[1] * mm
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=(width, height))
    pdf.setTitle("Nova Poshta sandbox marking")
    for doc in docs:
        _draw(pdf, doc, width, height, font)
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


@bp.get("/orders/<form>/<path:rest>")
def printed_form(form: str, rest: str):
    state = current_app.extensions["np_sandbox"]
    parsed = parse_path(rest)
    if form not in FORMS or parsed is None:
        return _html("Сторінку не знайдено")
    ids, options, _zebra = parsed
    key = options.get("apiKey", "")
    if not key or not hmac.compare_digest(key.encode(), str(state.config["API_KEY"]).encode()):
        return _html("Невірний ключ API. Увійдіть до особистого кабінету.")
    docs = [state.store.find(i) for i in ids]
    if not docs or any(d is None or d.deleted for d in docs):
        return _html("Документ не знайдено")
    if options.get("type", "pdf") not in ("pdf", "pdf8"):
        return _html("<br>".join(escape(text) for d in docs for text, _ in _lines(d)))
    return Response(render(docs, FORMS[form], state.config["FONT_PATH"]), mimetype="application/pdf")
