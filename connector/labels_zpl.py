"""ZPL for thermal printers: one stream from many carrier labels, and packing slips in ZPL.

Sizes are in printer dots: ``round(mm / 25.4 * dpi)``, so 100 mm is 799 dots on a 203 dpi head
and 1181 on a 300 dpi one; 150 mm is 1199 / 1772. Printer quirks this module is built around:

* ``^PW`` (print width) and ``^LL`` (label length) persist in the printer from one format to the
  next. In a mixed batch (InPost 100×150, Nova Poshta 100×100) a label without them inherits the
  previous label's values, so every block gets the batch's own.
* A label built for 300 dpi prints 1.5× too large on a 203 dpi head (and cut off); one built for
  203 dpi prints at 2/3 size on a 300 dpi head. ``^PW`` betrays it, and such a label is refused
  rather than rewritten, because rewriting ``^PW`` cannot rescale the label.
* Text on a slip: ``^CI28`` selects UTF-8 and every non-ASCII byte (and ``^ ~ _``) is written as a
  ``^FH`` hex escape (``_C5_82`` for ``ł``), so the stream is pure ASCII and no spooler code-page
  conversion can mangle it. The built-in font ``0`` has no Cyrillic or Polish glyphs, so the
  slip uses the resident Unicode TrueType font ``E:TT0003M_.FNT`` (Swiss 721, on Zebra printers
  with current firmware); pass ``font=`` to use another one stored on the printer.
* ``^CI`` persists too, so the slip ends with ``^CI0``; carrier labels keep their own ``^CI``.
"""

from __future__ import annotations

import re
from typing import Literal

from connector.labels_base import LabelError
from connector.labels_slips import CAPTIONS, PackingSlip, check_code128, format_cod

SIZES_MM = {"100x150": (100, 150), "100x100": (100, 100)}  #: label stock: width × length in mm
DPIS = (203, 300)
DEFAULT_FONT = "E:TT0003M_.FNT"
_BLOCK = re.compile(rb"\^XA(.*?)\^XZ", re.S | re.I)
_START = re.compile(rb"\^XA", re.I)
_PW = re.compile(rb"\^PW(\d+)", re.I)
_LL = re.compile(rb"\^LL(\d+)", re.I)
_UNITS = re.compile(rb"\^MU[IM]", re.I)
_SAME_HEAD = (0.85, 1.18)  # ^PW within this ratio of ours was made for our head's dpi
_NOT_ZPL = {b"%PDF": "a PDF", b"<": "HTML or XML", b"{": "JSON", b"[": "JSON", b"N\r\n": "EPL", b"N\n": "EPL"}


def zpl_dots(mm: float, dpi: int) -> int:
    """Millimetres to printer dots: 100 mm -> 799 at 203 dpi, 1181 at 300 dpi."""
    return round(mm * dpi / 25.4)


def _media(dpi: int, size: str) -> tuple[int, int]:
    if dpi not in DPIS:
        raise ValueError(f"unsupported dpi {dpi!r}: use 203 or 300")
    if size not in SIZES_MM:
        raise ValueError(f"unsupported size {size!r}: use {' or '.join(SIZES_MM)}")
    width, length = SIZES_MM[size]
    return zpl_dots(width, dpi), zpl_dots(length, dpi)


def zpl_batch(labels: list[bytes], dpi: Literal[203, 300] = 203,
              size: Literal["100x150", "100x100"] = "100x150") -> bytes:
    """ZPL labels -> one stream for a ``dpi`` printer loaded with ``size`` mm stock.

    Every ``^XA … ^XZ`` block of every label is kept, in order, with what lies between blocks
    (``~DG`` graphics downloads, ``~CC``/``~CT`` prefixes). Each block gets ``^PW``/``^LL`` for the
    stock right after ``^XA`` when it has none; existing values are set to the stock's (the media
    loaded decides). A ``^PW`` outside 85–118 % of the stock's width means another dpi, and an
    ``^LL`` over 18 % longer than the stock a label that would be cut: both raise :class:`LabelError`. A shorter ``^LL``
    (a 100×100 label on 100×150 stock) is lengthened: the label prints with blank stock below.

    Raises :class:`LabelError` for input that is not ZPL (PDF, HTML, EPL, no complete
    ``^XA … ^XZ``, an ``^XA`` without ``^XZ``) or uses ``^MU`` units other than dots.
    """
    width, length = _media(dpi, size)
    if not labels:
        raise ValueError("no labels to batch")
    parts = [_fix_label(index, data, width, length, dpi) for index, data in enumerate(labels)]
    return b"\n".join(parts) + b"\n"


def _fix_label(index: int, data: bytes, width: int, length: int, dpi: int) -> bytes:
    """One carrier label with every block sized for the stock; :class:`LabelError` when it is not ZPL."""
    if not isinstance(data, (bytes, bytearray)):
        raise LabelError(index, f"expected bytes, got {type(data).__name__}")
    data = bytes(data).removeprefix(b"\xef\xbb\xbf").strip()
    for magic, kind in _NOT_ZPL.items():
        if data.startswith(magic):
            raise LabelError(index, f"this is {kind}, not ZPL (starts with {data[:20]!r})")
    blocks = list(_BLOCK.finditer(data))
    if not blocks:
        raise LabelError(index, f"no ^XA ... ^XZ label format (starts with {data[:20]!r})")
    if _START.search(data, blocks[-1].end()) or any(_START.search(b.group(1)) for b in blocks):
        raise LabelError(index, "^XA without a matching ^XZ")
    out, pos = [], 0
    for block in blocks:
        out.append(data[pos:block.start()])
        out.append(b"^XA" + _sized(index, block.group(1), width, length, dpi) + b"^XZ")
        pos = block.end()
    out.append(data[pos:])
    return b"".join(out)


def _sized(index: int, body: bytes, width: int, length: int, dpi: int) -> bytes:
    """A block body with ``^PW``/``^LL`` for the stock: inserted at the front, or rewritten in place."""
    if _UNITS.search(body):
        raise LabelError(index, "uses ^MU inches/millimetres; only dot units can be resized")
    for value in _PW.findall(body):
        ratio = int(value) / width
        if not _SAME_HEAD[0] <= ratio <= _SAME_HEAD[1]:
            made_for = "a higher" if ratio > 1 else "a lower"
            raise LabelError(index, f"^PW{int(value)} was made for {made_for} dpi than {dpi} "
                             f"(100 mm = {width} dots): ask the carrier for {dpi} dpi ZPL")
    for value in _LL.findall(body):
        if int(value) > length * _SAME_HEAD[1]:
            raise LabelError(index, f"^LL{int(value)} is longer than the stock ({length} dots at {dpi} dpi): "
                             "it would be cut; load longer labels or ask the carrier for this size")
    prefix = (b"" if _PW.search(body) else b"^PW%d" % width) + (b"" if _LL.search(body) else b"^LL%d" % length)
    body = _PW.sub(b"^PW%d" % width, body)
    body = _LL.sub(b"^LL%d" % length, body)
    return prefix + body


# --- packing slips in ZPL -------------------------------------------------------------------------

def field_data(text: str, *, barcode: bool = False) -> tuple[str, bool]:
    """``(data, needs ^FH)``: non-ASCII as UTF-8 ``_XX`` escapes (with ``^CI28``), ``^ ~ _`` escaped too.

    Control characters become spaces. In Code128 data ``>`` starts an invocation, so it is doubled as ``><``.
    """
    out, escaped = [], False
    for ch in " ".join(str(text).split()):
        if ch.isascii() and ch.isprintable() and ch not in "^~_":
            out.append("><" if barcode and ch == ">" else ch)
        else:
            out.append("".join(f"_{b:02X}" for b in ch.encode("utf-8")))
            escaped = True
    return "".join(out), escaped


def _clip(text: str, height: int, width: int) -> str:
    """Cut ``text`` to what fits ``width`` dots at ``height``: the font has no metrics here, so
    assume 0.62 em a character (Swiss 721 averages about 0.55)."""
    fits = max(1, int(width / (height * 0.62)))
    text = " ".join(str(text).split())
    return text if len(text) <= fits else text[:max(1, fits - 3)] + "..."


class _SlipZpl:
    """Builds the ZPL of one slip; coordinates in dots from the top left."""

    def __init__(self, slip: PackingSlip, dpi: int, size: str, font: str) -> None:
        self.slip, self.dpi, self.font = slip, dpi, font
        self.width, self.length = _media(dpi, size)
        self.margin = self.d(3)
        self.inner = self.width - 2 * self.margin
        self.body = self.d(3.2)  # text height of a line

    def d(self, mm: float) -> int:
        return zpl_dots(mm, self.dpi)

    def text(self, x: int, y: int, text: str, height: int, block: tuple[int, int, str] | None = None) -> str:
        data, hexed = field_data(text)
        fb = f"^FB{block[0]},{block[1]},0,{block[2]},0" if block else ""
        return f"^FO{x},{y}^AZN,{height},{height}{fb}{'^FH' if hexed else ''}^FD{data}^FS"

    def barcode(self, y: int, value: str, caption: str) -> tuple[list[str], int]:
        """Code128 subset B (``>:`` start, works on any firmware), centred; returns commands and the height used."""
        check_code128(value)
        modules = 11 * len(value) + 35 + 20  # start, check, stop, 10-module quiet zones
        module = min(2 if self.dpi == 203 else 3, self.inner // modules)
        if module < 1:
            raise ValueError(f"{value!r} is too long for a Code128 barcode {self.inner} dots wide")
        height = self.d(10)
        x = self.margin + (self.inner - (modules - 20) * module) // 2
        data, hexed = field_data(value, barcode=True)
        cmds = [f"^BY{module},2,{height}^FO{x},{y}^BCN,{height},N,N,N,N{'^FH' if hexed else ''}^FD>:{data}^FS",
                self.text(self.margin, y + height + self.d(1), _clip(caption, self.d(2.6), self.inner),
                          self.d(2.6), (self.inner, 1, "C"))]
        return cmds, height + self.d(5)

    def footer(self) -> tuple[list[str], int]:
        """Barcodes at the bottom of each label; returns commands and the top of the footer."""
        y, cmds = self.length - self.margin, []
        for caption, value in (("tracking", self.slip.tracking_number), ("reference", self.slip.barcode_value)):
            if value:
                y -= self.d(15)  # what barcode() uses: 10 mm of bars, caption and gap
                cmds += self.barcode(y, value, f"{CAPTIONS[caption]}: {value}")[0]
        return cmds, y

    def header(self, continued: bool) -> tuple[list[str], int]:
        s, m, title = self.slip, self.margin, self.d(5)
        date = s.placed_at.strftime("%Y-%m-%d") if s.placed_at else ""
        order = f"{CAPTIONS['order']} {s.order_number} · {s.channel}"
        order += f" ({CAPTIONS['continued']})" if continued else ""
        cmds = [self.text(m, m, _clip(s.shop, title, self.inner - self.d(25)), title),
                self.text(m, m + self.d(1), date, self.d(2.6), (self.inner, 1, "R")),
                self.text(m, m + title + self.d(1.5), _clip(order, self.body, self.inner), self.body)]
        y = m + title + self.body + self.d(3)
        cmds.append(f"^FO{m},{y}^GB{self.inner},2,2^FS")
        return cmds, y + self.d(2)

    def parties(self, y: int) -> tuple[list[str], int]:
        s, m, cmds = self.slip, self.margin, []
        for caption, value in (("buyer", s.buyer_name), ("delivery", s.delivery)):
            cmds.append(self.text(m, y, _clip(f"{CAPTIONS[caption]}: {value}", self.body, self.inner), self.body))
            y += self.body + self.d(1.2)
        if s.pickup_point:
            big = self.d(6)
            cmds.append(self.text(m, y, _clip(f"{CAPTIONS['point']}: {s.pickup_point}", big, self.inner), big))
            y += big + self.d(1.5)
        cod = format_cod(s)
        if cod:
            big = self.d(5)
            cmds.append(f"^FO{m},{y}^GB{self.inner},{big + self.d(3)},4^FS")
            cmds.append(self.text(m + self.d(2), y + self.d(1.5), f"{CAPTIONS['cod']}: {cod}", big))
            y += big + self.d(5)
        cmds.append(f"^FO{m},{y}^GB{self.inner},2,2^FS")
        return cmds, y + self.d(2)

    def row(self, y: int, sku: str, name: str, qty: int) -> list[str]:
        m, sku_w, qty_w = self.margin, self.inner * 3 // 10, self.inner // 8
        name_w = self.inner - sku_w - qty_w
        return [self.text(m, y, _clip(sku, self.body, sku_w - self.d(1)), self.body),
                self.text(m + sku_w, y, _clip(name, self.body, 2 * name_w - self.d(4)), self.body, (name_w, 2, "L")),
                self.text(m + sku_w + name_w, y, f"× {qty}" if qty != 1 else "1", self.body, (qty_w, 1, "R"))]

    def formats(self) -> list[str]:
        """The slip as one or more ``^XA … ^XZ`` formats (more when the lines do not fit one label)."""
        lines = [(str(sku), str(name), int(qty)) for sku, name, qty in self.slip.lines]
        pages, continued = [], False
        row_height = 2 * self.body + self.d(2)
        while True:
            cmds, y = self.header(continued)
            if not continued:
                more, y = self.parties(y)
                cmds += more
            footer, bottom = self.footer()
            placed = 0
            while lines and y + row_height + self.body <= bottom:
                cmds += self.row(y, *lines.pop(0))
                y += row_height
                placed += 1
            if lines and continued and not placed:
                raise ValueError("the label stock is too short for one line of the slip")
            if not lines:
                total = sum(int(q) for _, _, q in self.slip.lines)
                cmds.append(self.text(self.margin, y, f"{CAPTIONS['items']}: {total}", self.body))
            pages.append(self.wrap(cmds + footer))
            if not lines:
                return pages
            continued = True

    def wrap(self, cmds: list[str]) -> str:
        head = f"^XA^CI28^PW{self.width}^LL{self.length}^LH0,0^CWZ,{self.font}"
        return "\n".join([head, *cmds, "^CI0^XZ"])  # ^CI persists: give the next format the default back


def slip_zpl(slip: PackingSlip, dpi: Literal[203, 300] = 203, size: Literal["100x150", "100x100"] = "100x150",
             *, font: str = DEFAULT_FONT) -> bytes:
    """A packing slip as ZPL for thermal-only warehouses: the same facts as the PDF slip, pure ASCII bytes."""
    return ("\n".join(_SlipZpl(slip, dpi, size, font).formats()) + "\n").encode("ascii")
