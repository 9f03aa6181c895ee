"""Packing slips as PDF: one order per A6 or A4 page, in DejaVu Sans so Polish and Cyrillic print.

A slip tells the packer what goes in the box: shop, order number, channel, date, buyer, delivery
method and pickup point, the lines (SKU, name, quantity), the cash-on-delivery amount, and Code128
barcodes of our shipment reference and the carrier's tracking number for the scanner at the packing
table. Lines that do not fit continue on a further page marked "continued", with the same barcodes.

Fonts: reportlab's built-in Helvetica has no Cyrillic and no ``ł``, so DejaVu Sans (Debian's
``fonts-dejavu-core``, ``/usr/share/fonts/truetype/dejavu``) is embedded as a TrueType subset. The
barcodes use 0.33 mm (A6) / 0.4 mm (A4) modules at most, thinner only for very long values; below
about 0.19 mm (a 203 dpi head's 1.5 dots) scanners start to fail, so keep references short.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Literal

from reportlab.graphics.barcode.code128 import Code128
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from connector.labels_base import A4_PT, A6_PT, MM

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")  #: Debian's fonts-dejavu-core
REGULAR, BOLD = "DejaVuSans", "DejaVuSans-Bold"
#: Captions printed on the slip; replace the values to translate them.
CAPTIONS = {"order": "Order", "buyer": "Buyer", "delivery": "Delivery", "point": "Point", "cod": "COD",
            "sku": "SKU", "name": "Product", "qty": "Qty", "items": "Items", "reference": "Ref",
            "tracking": "Tracking", "continued": "continued"}


@dataclass(frozen=True)
class PackingSlip:
    """What one packing slip shows. ``lines`` are ``(sku, name, quantity)``.

    ``delivery`` is the method in words ("InPost Paczkomat", "Нова Пошта: відділення");
    ``pickup_point`` the locker / warehouse / PVZ code, printed large. ``reference`` is our shipment
    reference ("<shop>-<order number>-<n>"); when empty the order number is barcoded instead.
    ``placed_at`` is shown as given; a naive value is taken as UTC, like every time in the models.
    """

    shop: str
    channel: str
    order_number: str
    placed_at: datetime | None
    buyer_name: str
    delivery: str
    lines: Sequence[tuple[str, str, int]]
    cod_amount: Decimal | None = None
    currency: str = ""
    tracking_number: str = ""
    reference: str = ""
    pickup_point: str = ""

    @property
    def barcode_value(self) -> str:
        return self.reference or self.order_number


@dataclass(frozen=True)
class _Style:
    margin: float
    title: float  # font sizes in points
    body: float
    small: float
    point: float
    bar_height: float
    max_module: float


_STYLES = {"A6": _Style(5 * MM, 11, 8, 6.5, 14, 10 * MM, 0.33 * MM),
           "A4": _Style(15 * MM, 18, 11, 9, 22, 15 * MM, 0.4 * MM)}


@functools.cache
def register_fonts(font_dir: str = str(FONT_DIR)) -> tuple[str, str]:
    """Register DejaVu Sans and DejaVu Sans Bold with reportlab once; returns their names."""
    for name in (REGULAR, BOLD):
        path = Path(font_dir) / f"{name}.ttf"
        if not path.is_file():
            raise FileNotFoundError(f"{path} is missing: install Debian's fonts-dejavu-core")
        pdfmetrics.registerFont(TTFont(name, str(path)))
    return REGULAR, BOLD


def packing_slip_pdf(slips: list[PackingSlip], page: Literal["A6", "A4"] = "A6") -> bytes:
    """One PDF with a page per order (more when its lines overflow), A6 (105×148 mm) or A4 (210×297 mm)."""
    if page not in _STYLES:
        raise ValueError(f"unknown page {page!r}: use 'A6' or 'A4'")
    if not slips:
        raise ValueError("no packing slips to print")
    for slip in slips:
        for value in (slip.barcode_value, slip.tracking_number):
            check_code128(value)
    register_fonts()
    out = io.BytesIO()
    size = A6_PT if page == "A6" else A4_PT
    canvas = Canvas(out, pagesize=size, invariant=True, pageCompression=1,
                    initialFontName=REGULAR)  # else every page lists Helvetica, a font that is not embedded
    canvas.setTitle("Packing slips")
    canvas.setCreator("Stockbridge")
    for slip in slips:
        _SlipWriter(canvas, size, slip, _STYLES[page]).draw()
    canvas.save()
    return out.getvalue()


def check_code128(value: str) -> None:
    """Code128 encodes printable ASCII only; an empty value means "no barcode"."""
    if value and not (value.isascii() and value.isprintable()):
        raise ValueError(f"{value!r} cannot be a Code128 barcode: printable ASCII only")


def wrap(text: str, font: str, size: float, width: float, max_lines: int) -> list[str]:
    """``text`` broken into at most ``max_lines`` lines of ``width`` points; words longer than a line
    (SKUs) are cut by character, and the last line ends in "…" when text was left out."""
    lines: list[str] = []
    current = ""
    for word in " ".join(str(text).split()).split(" "):
        candidate = f"{current} {word}".strip()
        if pdfmetrics.stringWidth(candidate, font, size) <= width:
            current = candidate
            continue
        if current:
            lines.append(current)
        current = word
        while pdfmetrics.stringWidth(current, font, size) > width and len(current) > 1:
            cut = _longest_prefix(current, font, size, width)
            lines.append(current[:cut])
            current = current[cut:]
    if current:
        lines.append(current)
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = _with_ellipsis(lines[-1], font, size, width)
    return lines


def _longest_prefix(text: str, font: str, size: float, width: float) -> int:
    cut = len(text)
    while cut > 1 and pdfmetrics.stringWidth(text[:cut], font, size) > width:
        cut -= 1
    return cut


def _with_ellipsis(text: str, font: str, size: float, width: float) -> str:
    while text and pdfmetrics.stringWidth(text + "…", font, size) > width:
        text = text[:-1]
    return text + "…"


def _format_placed(placed_at: datetime | None) -> str:
    if placed_at is None:
        return ""
    return placed_at.strftime("%Y-%m-%d %H:%M") + (" UTC" if placed_at.tzinfo is None else "")


def format_cod(slip: PackingSlip) -> str:
    """"123.40 PLN" for a COD order, "" for a prepaid one."""
    if slip.cod_amount is None:
        return ""
    return f"{Decimal(slip.cod_amount):.2f} {slip.currency}".strip()


class _SlipWriter:
    """Draws one slip from the top down; ``y`` is the baseline cursor in points."""

    def __init__(self, canvas: Canvas, size: tuple[float, float], slip: PackingSlip, style: _Style) -> None:
        self.c, self.slip, self.st = canvas, slip, style
        self.width, self.height = size
        self.left, self.right = style.margin, self.width - style.margin
        self.y = 0.0
        self.bottom = style.margin  # top of the barcode area, set per page

    def draw(self) -> None:
        self._page(continued=False)
        self._table_head()
        for sku, name, qty in self.slip.lines:
            self._row(str(sku), str(name), int(qty))
        total = sum(int(qty) for _, _, qty in self.slip.lines)
        self._text(self.left, self._advance(self.st.body * 1.9), f"{CAPTIONS['items']}: {total}", self.st.body, True)
        self.c.showPage()

    def _advance(self, step: float) -> float:
        self.y -= step
        return self.y

    def _text(self, x: float, y: float, text: str, size: float, bold: bool = False, right: bool = False) -> None:
        self.c.setFont(BOLD if bold else REGULAR, size)
        (self.c.drawRightString if right else self.c.drawString)(x, y, text)

    def _fitted(self, text: str, size: float, width: float, bold: bool = False) -> str:
        return wrap(text, BOLD if bold else REGULAR, size, width, 1)[0] if text.strip() else ""

    def _rule(self) -> None:
        self.c.setLineWidth(0.6)
        self.c.line(self.left, self._advance(self.st.body * 0.6), self.right, self.y)

    def _page(self, continued: bool) -> None:
        """Header on every page, barcodes at the bottom of every page."""
        st, s = self.st, self.slip
        self.bottom = self._barcodes()
        self.y = self.height - st.margin
        date = _format_placed(s.placed_at)
        self._text(self.right, self._advance(st.title), date, st.small, right=True)
        shop_width = self.right - self.left - pdfmetrics.stringWidth(date, REGULAR, st.small) - 2 * MM
        self._text(self.left, self.y, self._fitted(s.shop, st.title, shop_width, True), st.title, True)
        order = f"{CAPTIONS['order']} {s.order_number} · {s.channel}"
        if continued:
            order += f" ({CAPTIONS['continued']})"
        self._text(self.left, self._advance(st.body * 1.5), self._fitted(order, st.body, self.right - self.left, True),
                   st.body, True)
        self._rule()
        if not continued:
            self._parties()

    def _parties(self) -> None:
        st, s = self.st, self.slip
        width = self.right - self.left
        for caption, value in (("buyer", s.buyer_name), ("delivery", s.delivery)):
            text = self._fitted(f"{CAPTIONS[caption]}: {value}", st.body, width)
            self._text(self.left, self._advance(st.body * 1.4), text, st.body)
        if s.pickup_point:
            text = self._fitted(f"{CAPTIONS['point']}: {s.pickup_point}", st.point, width, True)
            self._text(self.left, self._advance(st.point * 1.25), text, st.point, True)
        cod = format_cod(s)
        if cod:
            size = st.point * 0.85
            self._advance(size * 1.5)
            self.c.setLineWidth(1.2)
            self.c.rect(self.left, self.y - size * 0.35, width, size * 1.4)
            self._text(self.left + 2 * MM, self.y, f"{CAPTIONS['cod']}: {cod}", size, True)
            self._advance(size * 0.3)
        self._rule()

    def _table_head(self) -> None:
        st = self.st
        width = self.right - self.left
        self.sku_x, self.name_x, self.qty_right = self.left, self.left + width * 0.3, self.right
        self.sku_w, self.name_w = width * 0.3 - 2 * MM, width * 0.58
        y = self._advance(st.body * 1.4)
        self._text(self.sku_x, y, CAPTIONS["sku"], st.small, True)
        self._text(self.name_x, y, CAPTIONS["name"], st.small, True)
        self._text(self.qty_right, y, CAPTIONS["qty"], st.small, True, right=True)

    def _row(self, sku: str, name: str, qty: int) -> None:
        st = self.st
        sku_lines = wrap(sku, BOLD, st.body, self.sku_w, 2)
        name_lines = wrap(name, REGULAR, st.body, self.name_w, 2)
        rows = max(len(sku_lines), len(name_lines), 1)
        if self.y - st.body * (1.35 * rows + 2.5) < self.bottom:  # room for the row and "Items"
            self.c.showPage()
            self._page(continued=True)
            self._table_head()
        top = self._advance(st.body * 1.35)
        for i in range(rows):
            y = top - i * st.body * 1.2
            if i < len(sku_lines):
                self._text(self.sku_x, y, sku_lines[i], st.body, True)
            if i < len(name_lines):
                self._text(self.name_x, y, name_lines[i], st.body)
        self._text(self.qty_right, top, f"× {qty}" if qty != 1 else "1", st.body, qty != 1, right=True)
        self.y = top - (rows - 1) * st.body * 1.2
        self.c.setLineWidth(0.25)
        self.c.line(self.left, self.y - st.body * 0.45, self.right, self.y - st.body * 0.45)

    def _barcodes(self) -> float:
        """Draw the reference and tracking barcodes bottom up; returns the top of that area."""
        y = self.st.margin
        for caption, value in (("tracking", self.slip.tracking_number), ("reference", self.slip.barcode_value)):
            if value:
                y = self._barcode(f"{CAPTIONS[caption]}: {value}", value, y) + 2 * MM
        return y

    def _barcode(self, caption: str, value: str, y: float) -> float:
        st = self.st
        width = self.right - self.left
        self._text(self.width / 2 - pdfmetrics.stringWidth(caption, REGULAR, st.small) / 2, y, caption, st.small)
        y += st.small * 1.1
        barcode = code128_barcode(value, width, st.bar_height, st.max_module)
        barcode.drawOn(self.c, self.left + (width - barcode.width) / 2, y)
        return y + st.bar_height


def code128_barcode(value: str, width: float, bar_height: float, max_module: float) -> Code128:
    """A reportlab Code128 barcode at most ``width`` wide with its 10-module quiet zones around it.

    Drawn straight onto the canvas (``drawOn``) rather than through a graphics Drawing, whose
    renderer would list Helvetica, a font that is not embedded, on every page.
    """
    check_code128(value)
    modules = Code128(value, barWidth=1, barHeight=bar_height, quiet=False, humanReadable=False).wrap(width, 0)[0]
    barcode = Code128(value, barWidth=min(max_module, width / (modules + 20)), barHeight=bar_height,
                      quiet=False, humanReadable=False)
    barcode.wrap(width, bar_height)
    return barcode
