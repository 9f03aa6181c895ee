"""Label printing: the day's carrier labels as ONE print job (pure: bytes and dataclasses in, bytes out).

Public API, all importable from here (everything else is private):

* :func:`merge_pdf_labels` — carrier label PDFs (A6, A4 with the label in a quarter, Nova Poshta's
  100×100 mm, several pages) into one PDF for an A6 label printer or for A4 office paper, four per sheet.
* :func:`connector.labels_zpl.zpl_batch` — ZPL labels into one stream for a 203/300 dpi thermal printer.
* :class:`connector.labels_slips.PackingSlip`, :func:`connector.labels_slips.packing_slip_pdf` and
  :func:`connector.labels_zpl.slip_zpl` — packing slips on A6/A4 paper or a thermal printer.
* :class:`LabelError` — a label that cannot be used (``ValueError``; ``index`` says which one).

Modules: this one merges PDFs; :mod:`connector.labels_content_box` finds the ink on a page,
:mod:`connector.labels_zpl` does ZPL, :mod:`connector.labels_slips` draws PDF slips and
:mod:`connector.labels_base` holds the sizes and :class:`LabelError`.

Sizes: A6 is 105×148 mm (297.6×419.5 pt), not 4×6 in (101.6×152.4 mm) and not Nova Poshta's
100×100 mm; A4 is 210×297 mm (595.3×841.9 pt) and its quarter is 105×148.5 mm. Printer quirks the
output is built around:

* Print these PDFs at **actual size** ("100 %", not "fit to page"): drivers that fit to the
  printable area shrink each label by a few per cent, and a Zebra driver given a PDF without the
  media size shrinks or cuts it. Set the thermal printer's media to A6 for the ``"A6"`` layout.
* Office lasers cannot print the outer ~4 mm of a sheet. A4x4 fills each quarter edge to edge
  (right for A4 sheets of four A6 stickers); pass ``margin_mm`` when the outer edge of a label gets cut.
"""

from __future__ import annotations

import io
from typing import Literal

from pypdf import PageObject, PdfReader, PdfWriter, Transformation
from pypdf.errors import PyPdfError
from pypdf.generic import RectangleObject

from connector.labels_base import A4_PT, A6_PT, MM, LabelError
from connector.labels_content_box import Box, content_box
from connector.labels_slips import PackingSlip, packing_slip_pdf
from connector.labels_zpl import slip_zpl, zpl_batch, zpl_dots

_A4_TOLERANCE = 3 * MM  # a page within 3 mm of A4 (Letter is 6 mm off) counts as A4
_QUARTER_SLACK = 2 * MM  # content may overshoot a quarter by this much and still count as inside
_ROTATE_GAIN = 1.05  # turn a page by 90° only when that makes it at least 5 % larger

Layout = Literal["A6", "A4x4"]


def merge_pdf_labels(labels: list[bytes], layout: Layout = "A6", *, margin_mm: float = 0.0,
                     crop_a4: bool = True) -> bytes:
    """Carrier label PDFs -> one PDF to print in a single job.

    ``layout="A6"``: one 105×148 mm page per label page. ``layout="A4x4"``: A4 sheets, each split
    into four 105×148.5 mm quarters filled left to right, top to bottom; the last sheet may be partial.
    Every label page is scaled to fit its cell (aspect kept, centred, ``margin_mm`` kept free on
    every side), and turned by 90° when that makes it at least 5 % larger (a landscape label on a
    portrait cell). A page with ``/Rotate`` prints as a viewer shows it.

    With ``crop_a4`` an A4 page whose marks all lie in one quarter (DHL ``LBLP``: an A6 label on
    A4 paper) is cut to that quarter, so the label prints at full size instead of half size. The
    quarter is found from the page's content stream (:mod:`connector.labels_content_box`); when
    anything lies outside one quarter, or the content cannot be bounded, the whole page is scaled.

    Raises :class:`LabelError` for bytes that are not a readable PDF (Nova Poshta answers errors
    with an HTML page) and ``ValueError`` for an empty list or an unknown layout.
    """
    if layout not in ("A6", "A4x4"):
        raise ValueError(f"unknown layout {layout!r}: use 'A6' or 'A4x4'")
    if not labels:
        raise ValueError("no labels to merge")
    writer = PdfWriter()
    cells = _cells(layout, margin_mm * MM)
    sheet = None
    count = 0
    for index, data in enumerate(labels):
        for page in _read_pages(index, data):
            slot = count % len(cells)
            if slot == 0:
                sheet = writer.add_blank_page(*(A6_PT if layout == "A6" else A4_PT))
            try:
                place_page(sheet, page, _label_area(page) if crop_a4 else _page_box(page), cells[slot])
            except (PyPdfError, ValueError, KeyError, TypeError) as exc:  # a broken content stream or box
                raise LabelError(index, f"cannot draw page: {exc}") from exc
            count += 1
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _cells(layout: Layout, margin: float) -> list[Box]:
    """The cells of one output sheet, in filling order, as (x0, y0, x1, y1) minus ``margin``."""
    if layout == "A6":
        boxes = [(0.0, 0.0, *A6_PT)]
    else:
        w, h = A4_PT[0] / 2, A4_PT[1] / 2
        boxes = [(0.0, h, w, 2 * h), (w, h, 2 * w, 2 * h), (0.0, 0.0, w, h), (w, 0.0, 2 * w, h)]
    return [(x0 + margin, y0 + margin, x1 - margin, y1 - margin) for x0, y0, x1, y1 in boxes]


def _read_pages(index: int, data: bytes) -> list[PageObject]:
    """The pages of one label PDF; :class:`LabelError` when it is not a readable PDF."""
    if not isinstance(data, (bytes, bytearray)) or b"%PDF-" not in bytes(data[:1024]):
        head = bytes(data[:40]) if isinstance(data, (bytes, bytearray)) else type(data).__name__
        raise LabelError(index, f"not a PDF (starts with {head!r})")
    try:
        reader = PdfReader(io.BytesIO(bytes(data)))
        if reader.is_encrypted:
            reader.decrypt("")
        pages = list(reader.pages)
    except (PyPdfError, ValueError, KeyError, TypeError, NotImplementedError) as exc:
        raise LabelError(index, f"unreadable PDF ({exc})") from exc
    if not pages:
        raise LabelError(index, "PDF has no pages")
    return pages


def _page_box(page: PageObject) -> Box:
    """The visible part of the page (its crop box, which defaults to the media box)."""
    box = page.cropbox
    return (float(box.left), float(box.bottom), float(box.right), float(box.top))


def _is_a4(box: Box) -> bool:
    sides = sorted((box[2] - box[0], box[3] - box[1]))
    return abs(sides[0] - A4_PT[0]) <= _A4_TOLERANCE and abs(sides[1] - A4_PT[1]) <= _A4_TOLERANCE


def _quarters(box: Box) -> list[Box]:
    x0, y0, x1, y1 = box
    xm, ym = (x0 + x1) / 2, (y0 + y1) / 2
    return [(x0, ym, xm, y1), (xm, ym, x1, y1), (x0, y0, xm, ym), (xm, y0, x1, ym)]


def _inside(inner: Box, outer: Box, slack: float) -> bool:
    return (inner[0] >= outer[0] - slack and inner[1] >= outer[1] - slack
            and inner[2] <= outer[2] + slack and inner[3] <= outer[3] + slack)


def _label_area(page: PageObject) -> Box:
    """The part of ``page`` to print: the quarter holding all marks of an A4 page, else the whole page."""
    box = _page_box(page)
    if not _is_a4(box):
        return box
    marks = content_box(page)
    if marks is None:
        return box
    for quarter in _quarters(box):
        if _inside(marks, quarter, _QUARTER_SLACK):
            return quarter
    return box


def _turned(base: Transformation, w: float, h: float, angle: int) -> tuple[Transformation, float, float]:
    """``base``, then the box (0, 0, w, h) turned counter-clockwise by ``angle`` (0/90/180/270) back onto
    (0, 0, w', h'); returns the transformation, w' and h'."""
    shift = {0: (0, 0), 90: (h, 0), 180: (w, h), 270: (0, w)}[angle]
    size = (w, h) if angle in (0, 180) else (h, w)
    return base.rotate(angle).translate(*shift), *size


def place_page(sheet: PageObject, page: PageObject, area: Box, cell: Box) -> None:
    """Draw ``area`` of ``page`` into ``cell`` of ``sheet``: upright, scaled to fit, centred, clipped to ``area``.

    The page's ``/Rotate`` is applied to the content (pypdf's merge ignores it), and the label is
    turned a further 90° when that makes it at least 5 % larger in the cell (back to the content's
    own orientation when ``/Rotate`` was 90 or 270, else counter-clockwise). pypdf's
    ``merge_transformed_page`` clips the merged content to the source page's crop box, so
    ``page.cropbox`` is set to ``area`` first: the rest of a cropped A4 page stays out of the
    neighbouring cells.
    """
    x0, y0, x1, y1 = area
    cw, ch = cell[2] - cell[0], cell[3] - cell[1]
    if x1 <= x0 or y1 <= y0 or cw <= 0 or ch <= 0:
        raise ValueError(f"nothing to place: area {area}, cell {cell}")
    to_origin = Transformation().translate(-x0, -y0)
    transform, w, h = _turned(to_origin, x1 - x0, y1 - y0, -page.rotation % 360)  # upright as displayed
    if min(cw / h, ch / w) > _ROTATE_GAIN * min(cw / w, ch / h):
        # turn a quarter: back to the content's own orientation when /Rotate was 90 or 270, else counter-clockwise
        transform, w, h = _turned(to_origin, x1 - x0, y1 - y0, 0 if page.rotation % 180 == 90 else 90)
    scale = min(cw / w, ch / h)
    transform = transform.scale(scale, scale).translate(cell[0] + (cw - w * scale) / 2, cell[1] + (ch - h * scale) / 2)
    page.cropbox = RectangleObject(area)
    sheet.merge_transformed_page(page, transform, over=True, expand=False)


__all__ = ["A4_PT", "A6_PT", "MM", "LabelError", "PackingSlip", "merge_pdf_labels", "packing_slip_pdf",
           "place_page", "slip_zpl", "zpl_batch", "zpl_dots"]
