"""Label files the courier sandboxes hand out: PDF (reportlab), ZPL and EPL2 (shared with ``sandbox.dhl_poland``).

PDF pages are exactly A6 (105 x 148 mm, 297.6 x 419.5 pt) or A4 with the A6 label in the top-left
corner (InPost ``type=normal``, DHL ``LBLP``). Text is set in DejaVu Sans so Polish letters render;
if the font file is missing the label is refused with :class:`LabelFontMissing` (the API answers
``label_generation_failed``) rather than printing boxes instead of "ą" and "ł".

ZPL is native (never a rasterised PDF): ``^PW``/``^LL`` give the A6 size in dots of the requested
resolution (203 dpi: 839 x 1183; 300 dpi: 1240 x 1748), ``^CI28`` selects UTF-8.
"""

from __future__ import annotations

import hashlib
import io
import os
from dataclasses import dataclass, field

from reportlab.graphics.barcode.code128 import Code128
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

DEFAULT_FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
A6_MM = (105, 148)
A6 = (A6_MM[0] * mm, A6_MM[1] * mm)


class LabelFontMissing(RuntimeError):
    """The TrueType font for labels is not installed (Debian: ``apt-get install fonts-dejavu-core``)."""


@dataclass(frozen=True)
class LabelData:
    """What is printed: a title, the barcode value and free lines (already in display order)."""

    carrier: str
    barcode: str
    service: str = ""
    lines: tuple[str, ...] = field(default_factory=tuple)


def register_font(path: str) -> str:
    """Register the TrueType font once per path; its reportlab name. LabelFontMissing if absent."""
    name = "SandboxLabel-" + hashlib.sha1(os.path.abspath(path).encode()).hexdigest()[:12]
    if not os.path.exists(path):
        raise LabelFontMissing(f"label font not found at {path}: install fonts-dejavu-core "
                               "or configure LABEL_FONT with a TrueType font that has Polish letters")
    if name not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(name, path))
    return name


def _draw_label(canvas: Canvas, data: LabelData, font: str, top: float) -> None:
    """The A6 label with its top edge at ``top`` (points from the bottom of the page)."""
    width, height = A6
    canvas.rect(3 * mm, top - height + 3 * mm, width - 6 * mm, height - 6 * mm)
    canvas.setFont(font, 16)
    canvas.drawString(8 * mm, top - 15 * mm, data.carrier)
    canvas.setFont(font, 9)
    canvas.drawRightString(width - 8 * mm, top - 15 * mm, data.service)
    barcode = Code128(data.barcode, barHeight=18 * mm, barWidth=0.3 * mm)
    barcode.drawOn(canvas, 6 * mm, top - 40 * mm)
    canvas.drawString(8 * mm, top - 45 * mm, data.barcode)
    y = top - 55 * mm
    for line in data.lines:
        canvas.drawString(8 * mm, y, line[:60])
        y -= 5 * mm


def pdf_label(data: LabelData, *, page: str = "A6", font_path: str = DEFAULT_FONT) -> bytes:
    """One-page PDF: ``page`` ``"A6"`` (the label itself) or ``"A4"`` (label in the top-left corner)."""
    font = register_font(font_path)
    size = A4 if page.upper() == "A4" else A6
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=size)
    canvas.setTitle(f"{data.carrier} {data.barcode}")
    _draw_label(canvas, data, font, size[1])
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def dots(millimetres: float, dpi: int) -> int:
    """Printer dots for a length: ``dots(105, 203) == 839``."""
    return round(millimetres / 25.4 * dpi)


def _field(text: str) -> str:
    """ZPL field data cannot hold the command prefixes ``^`` and ``~``."""
    return text.replace("^", " ").replace("~", " ")


def zpl_label(data: LabelData, *, dpi: int = 203) -> str:
    """A native ZPL II A6 label for a ``dpi`` (203 or 300) print head."""
    scale = dpi / 203
    width, height = dots(A6_MM[0], dpi), dots(A6_MM[1], dpi)
    at = lambda x, y: f"^FO{round(x * scale)},{round(y * scale)}"  # noqa: E731 - tiny local helper
    parts = ["^XA", "^CI28", f"^PW{width}", f"^LL{height}",
             f"{at(40, 40)}^A0N,{round(40 * scale)},{round(40 * scale)}^FD{_field(data.carrier)}^FS",
             f"{at(40, 100)}^A0N,{round(24 * scale)},{round(24 * scale)}^FD{_field(data.service)}^FS",
             f"{at(40, 150)}^BY{max(2, round(2 * scale))}^BCN,{round(150 * scale)},Y,N,N^FD{_field(data.barcode)}^FS"]
    for index, line in enumerate(data.lines):
        parts.append(f"{at(40, 380 + index * 40)}^A0N,{round(28 * scale)},{round(28 * scale)}^FD{_field(line)}^FS")
    parts.append("^XZ")
    return "\n".join(parts) + "\n"


def epl_label(data: LabelData) -> str:
    """An EPL2 A6 label at 203 dpi (InPost ``format=Epl``)."""
    lines = ["", "N", "q839", "Q1183,24", f'A40,40,0,4,1,1,N,"{data.carrier}"',
             f'B40,120,0,1,2,4,150,B,"{data.barcode}"']
    lines += [f'A40,{360 + i * 40},0,3,1,1,N,"{line.replace(chr(34), chr(39))}"' for i, line in enumerate(data.lines)]
    return "\n".join([*lines, "P1", ""])
