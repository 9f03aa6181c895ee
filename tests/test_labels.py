"""Label printing: merged carrier PDFs, ZPL batches, packing slips (connector.labels).

The carrier-like labels are drawn here with reportlab (own font registration, own layouts) and
every result is read back with pypdf, independently of the code under test.
"""

from __future__ import annotations

import io
import re
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from pypdf import PdfReader, PdfWriter
from pypdf.generic import DecodedStreamObject, NameObject
from reportlab.graphics.barcode import code128
from reportlab.lib.pagesizes import A4, A6, landscape
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from connector import labels
from connector.labels import LabelError, PackingSlip, merge_pdf_labels, packing_slip_pdf, slip_zpl, zpl_batch
from connector.labels_content_box import content_box

DEJAVU = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")

POLISH = "Łucja Wąsowska-Źdźbło"
UKRAINIAN = "Олександр Ґалицький-Їжак"
RUSSIAN = "Ёлкин Ыржан"
A6_SIZE = (297.6, 419.5)
A4_SIZE = (595.3, 841.9)


def _font() -> str:
    assert DEJAVU.is_file(), "install Debian's fonts-dejavu-core (scripts/setup.sh does with the test extras)"
    if "LabelTestSans" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont("LabelTestSans", str(DEJAVU)))
    return "LabelTestSans"


def _draw_label(c: Canvas, x: float, y: float, w: float, h: float, carrier: str, receiver: str, tracking: str):
    """A carrier-like label in the box (x, y, w, h): frame, carrier, receiver, barcode, tracking."""
    c.setLineWidth(1.5)
    c.rect(x + 3 * mm, y + 3 * mm, w - 6 * mm, h - 6 * mm)
    c.setFont(_font(), 16)
    c.drawString(x + 7 * mm, y + h - 14 * mm, carrier)
    c.setFont(_font(), 10)
    c.drawString(x + 7 * mm, y + h - 24 * mm, receiver)
    c.drawString(x + 7 * mm, y + h - 30 * mm, "ul. Żółkiewskiego 5, 00-950 Łódź")
    barcode = code128.Code128(tracking, barWidth=0.33 * mm, barHeight=18 * mm)
    barcode.drawOn(c, x + 6 * mm, y + 16 * mm)
    c.drawString(x + 7 * mm, y + 9 * mm, tracking)


def carrier_pdf(pagesize, labels_on_pages, area=None) -> bytes:
    """One PDF; ``labels_on_pages`` is a list of (carrier, receiver, tracking), one per page;
    ``area(page_w, page_h)`` gives the label's box on the page (default: the whole page)."""
    out = io.BytesIO()
    c = Canvas(out, pagesize=pagesize)
    for carrier, receiver, tracking in labels_on_pages:
        box = area(*pagesize) if area else (0, 0, *pagesize)
        _draw_label(c, *box, carrier, receiver, tracking)
        c.showPage()
    c.save()
    return out.getvalue()


def inpost_a6() -> bytes:
    return carrier_pdf(A6, [("InPost Paczkomat", POLISH, "620000000000000000000001")])


def dhl_lblp() -> bytes:
    """DHL LBLP-like: an A6 label in the top-left quarter of an A4 page."""
    return carrier_pdf(A4, [("DHL Parcel", POLISH, "JJD000030000001")], area=lambda w, h: (0, h / 2, w / 2, h / 2))


def np_100() -> bytes:
    return carrier_pdf((100 * mm, 100 * mm), [("Нова Пошта", UKRAINIAN, "20450000000001")])


def cdek_two_pages() -> bytes:
    return carrier_pdf((100 * mm, 150 * mm), [("СДЭК 1/2", RUSSIAN, "1500000001"), ("СДЭК 2/2", RUSSIAN, "1500000002")])


def cdek_a4_full() -> bytes:
    """CDEK A4-like: the label spans the whole A4 page, so it cannot be cropped to a quarter."""
    return carrier_pdf(A4, [("СДЭК A4", RUSSIAN, "1500000003")])


def pages_of(pdf: bytes):
    return PdfReader(io.BytesIO(pdf)).pages


def size_of(page) -> tuple[float, float]:
    return round(float(page.mediabox.width), 1), round(float(page.mediabox.height), 1)


def text_origins(page) -> dict[str, tuple[float, float, float]]:
    """Each shown string's device origin and horizontal scale, read with pypdf's text visitor."""
    found = {}

    def visit(text, cm, tm, font, size):
        if text.strip():
            x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
            y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
            found[text.strip()] = (x, y, (tm[0] * cm[0] + tm[1] * cm[2]))
    page.extract_text(visitor_text=visit)
    return found


# --- merge_pdf_labels ---------------------------------------------------------------------------

def test_a6_merge_gives_one_a6_page_per_label_page():
    merged = merge_pdf_labels([inpost_a6(), dhl_lblp(), np_100(), cdek_two_pages()], "A6")
    pages = pages_of(merged)
    assert len(pages) == 1 + 1 + 1 + 2
    assert all(size_of(p) == A6_SIZE for p in pages)
    text = "\n".join(p.extract_text() for p in pages)
    for name in (POLISH, UKRAINIAN, RUSSIAN, "Нова Пошта", "СДЭК 2/2", "Żółkiewskiego"):
        assert name in text


def test_a4x4_puts_four_labels_on_a_sheet_and_fills_in_order():
    sources = [inpost_a6(), dhl_lblp(), np_100(), cdek_a4_full()] * 2 + [inpost_a6()]
    pages = pages_of(merge_pdf_labels(sources, "A4x4"))
    assert len(pages) == 3
    assert all(size_of(p) == A4_SIZE for p in pages)
    first = text_origins(pages[0])
    w, h = A4_SIZE[0] / 2, A4_SIZE[1] / 2
    quarters = {"InPost Paczkomat": (0, h), "DHL Parcel": (w, h), "Нова Пошта": (0, 0), "СДЭК A4": (w, 0)}
    for carrier, (qx, qy) in quarters.items():
        x, y, _ = first[carrier]
        assert qx < x < qx + w and qy < y < qy + h, carrier
    assert len(text_origins(pages[2])) == 4  # one InPost label: carrier, receiver, address, tracking
    assert POLISH in pages[2].extract_text()


def test_a4_page_with_label_in_a_quarter_is_cropped_to_it():
    source = pages_of(dhl_lblp())[0]
    merged = pages_of(merge_pdf_labels([dhl_lblp()], "A6"))[0]
    x_src, y_src, _ = text_origins(source)["DHL Parcel"]
    x, y, scale = text_origins(merged)["DHL Parcel"]
    quarter_h = A4_SIZE[1] / 2
    assert scale == pytest.approx(A6_SIZE[1] / quarter_h, abs=0.01)  # full size, not half size
    assert x == pytest.approx(x_src * scale, abs=2)
    assert y == pytest.approx((y_src - quarter_h) * scale, abs=2)


def test_a4_page_with_content_everywhere_is_scaled_whole():
    merged = pages_of(merge_pdf_labels([cdek_a4_full()], "A6"))[0]
    _, _, scale = text_origins(merged)["СДЭК A4"]
    assert scale == pytest.approx(A6_SIZE[0] / A4_SIZE[0], abs=0.01)
    assert size_of(merged) == A6_SIZE


def test_cropping_can_be_turned_off():
    merged = pages_of(merge_pdf_labels([dhl_lblp()], "A6", crop_a4=False))[0]
    assert text_origins(merged)["DHL Parcel"][2] == pytest.approx(0.5, abs=0.01)


def test_landscape_label_is_turned_to_fill_a_portrait_cell():
    pdf = carrier_pdf(landscape(A6), [("DHL BLP", POLISH, "JJD000030000002")])
    merged = pages_of(merge_pdf_labels([pdf], "A6"))[0]
    visited = []
    merged.extract_text(visitor_text=lambda t, cm, tm, f, s: visited.append(cm) if t.strip() else None)
    a, b, c, d = visited[0][:4]
    assert abs(a) < 0.01 and abs(d) < 0.01 and b == pytest.approx(-c, abs=0.01)
    assert abs(b) == pytest.approx(1.0, abs=0.02)  # turned by 90 degrees at nearly full size


@pytest.mark.parametrize("rotate, expected_a", [(180, -1.0), (90, 1.0), (270, 1.0)])
def test_rotated_page_prints_as_a_viewer_shows_it(rotate, expected_a):
    """/Rotate 180 stays upside down, as displayed; /Rotate 90 or 270 displays landscape, so it is turned back."""
    writer = PdfWriter(clone_from=io.BytesIO(inpost_a6()))
    writer.pages[0].rotate(rotate)
    out = io.BytesIO()
    writer.write(out)
    merged = pages_of(merge_pdf_labels([out.getvalue()], "A6"))[0]
    assert size_of(merged) == A6_SIZE
    assert POLISH in merged.extract_text()
    visited = []
    merged.extract_text(visitor_text=lambda t, cm, tm, f, s: visited.append(cm) if t.strip() else None)
    assert visited[0][0] == pytest.approx(expected_a, abs=0.01)


@pytest.mark.parametrize("bad", [b"<html><body>Error: wrong apiKey</body></html>", b"", b"%PDF-1.4 truncated"])
def test_merge_rejects_what_is_not_a_pdf(bad):
    with pytest.raises(LabelError) as info:
        merge_pdf_labels([inpost_a6(), bad], "A6")
    assert info.value.index == 1


def test_merge_rejects_empty_input_and_unknown_layout():
    with pytest.raises(ValueError):
        merge_pdf_labels([], "A6")
    with pytest.raises(ValueError):
        merge_pdf_labels([inpost_a6()], "Letter")


def a4_with_form_label(footer: bool) -> bytes:
    """An A4 page whose label is a form XObject with a logo image, placed in the bottom-right quarter."""
    from PIL import Image
    from reportlab.lib.utils import ImageReader

    out = io.BytesIO()
    c = Canvas(out, pagesize=A4)
    w, h = A4[0] / 2, A4[1] / 2
    c.beginForm("label", lowerx=0, lowery=0, upperx=w, uppery=h)
    _draw_label(c, 0, 0, w, h, "DHL Parcel", POLISH, "JJD000030000003")
    c.drawImage(ImageReader(Image.new("L", (40, 20), 0)), w - 30 * mm, h - 20 * mm, 20 * mm, 10 * mm)
    c.endForm()
    c.saveState()
    c.translate(w, 0)
    c.doForm("label")
    c.restoreState()
    if footer:
        c.setFont(_font(), 8)
        c.drawString(20 * mm, h + 20 * mm, "Wydruk z systemu DHL24")
    c.showPage()
    c.save()
    return out.getvalue()


def test_label_drawn_as_form_with_image_is_found_in_its_quarter():
    merged = pages_of(merge_pdf_labels([a4_with_form_label(footer=False), a4_with_form_label(footer=True)], "A6"))
    # pypdf's text visitor reports text inside a form without the page's matrix, so measure the ink
    cropped, whole = content_box(merged[0]), content_box(merged[1])
    assert cropped[3] - cropped[1] > 0.9 * A6_SIZE[1]  # the label fills the A6 page
    assert whole[3] - whole[1] < 0.6 * A6_SIZE[1]  # the footer outside the quarter: the whole A4 at half size
    assert text_origins(merged[1])["Wydruk z systemu DHL24"][2] == pytest.approx(A6_SIZE[0] / A4_SIZE[0], abs=0.01)


def test_content_box_ignores_white_background_and_gives_up_on_shadings():
    page = pages_of(dhl_lblp())[0]
    box = content_box(page)
    assert box[2] < A4_SIZE[0] / 2 and box[1] > A4_SIZE[1] / 2
    writer = PdfWriter()
    writer.add_page(page)
    writer.pages[0].replace_contents(None)
    stream = b"1 g 0 0 595 842 re f 0 g 10 500 100 100 re f"
    content = DecodedStreamObject()
    content.set_data(stream)
    writer.pages[0][NameObject("/Contents")] = writer._add_object(content)
    assert content_box(writer.pages[0]) == pytest.approx((10, 500, 110, 600))
    content.set_data(stream + b" /Sh0 sh")
    assert content_box(writer.pages[0]) is None


# --- zpl_batch ----------------------------------------------------------------------------------

PLAIN = b"^XA^FO50,50^A0N,30,30^FDInPost 1^FS^XZ"


def test_zpl_size_commands_are_inserted_for_203_dpi():
    out = zpl_batch([PLAIN], 203, "100x150")
    assert out.startswith(b"^XA^PW799^LL1199^FO50,50")
    assert zpl_batch([PLAIN], 203, "100x100").startswith(b"^XA^PW799^LL799")


def test_zpl_300_dpi_values():
    assert zpl_batch([PLAIN], 300, "100x150").startswith(b"^XA^PW1181^LL1772")
    assert zpl_batch([PLAIN], 300, "100x100").startswith(b"^XA^PW1181^LL1181")


def test_zpl_keeps_correct_sizes_and_fixes_the_length_of_shorter_labels():
    np_label = b"^XA^PW799^LL799^FDNP^FS^XZ"
    out = zpl_batch([b"^XA^PW799^LL1199^FDok^FS^XZ", np_label], 203, "100x150")
    assert out.count(b"^PW799") == 2 and out.count(b"^LL1199") == 2 and b"^LL799" not in out


def test_zpl_batch_keeps_every_label_and_what_lies_between():
    two_blocks = b"~DGR:LOGO.GRF,4,1,FF00FF00\n^XA^FDa^FS^XZ\n^XA^FDb^FS^XZ"
    out = zpl_batch([PLAIN, two_blocks, b"\xef\xbb\xbf^XA^FDc^FS^XZ"], 203)
    assert re.findall(rb"\^FD(.*?)\^FS", out) == [b"InPost 1", b"a", b"b", b"c"]
    assert out.count(b"^XA") == out.count(b"^XZ") == 4
    assert b"~DGR:LOGO.GRF,4,1,FF00FF00" in out
    assert out.count(b"^PW799^LL1199") == 4


@pytest.mark.parametrize("bad", [b"%PDF-1.4\n...", b"<html>error</html>", b"N\nA50,50,0,3,1,1,N,\"EPL\"\nP1\n",
                                 b"\x00\x01\x02garbage", b"", b"^XA^FDnever closed^FS", b"^XA^FDa^XA^FDb^XZ"])
def test_zpl_batch_rejects_non_zpl(bad):
    with pytest.raises(ValueError) as info:
        zpl_batch([PLAIN, bad], 203)
    assert isinstance(info.value, LabelError) and info.value.index == 1


def test_zpl_label_for_another_dpi_is_refused():
    with pytest.raises(LabelError, match="dpi"):
        zpl_batch([b"^XA^PW1181^FDx^FS^XZ"], 203)
    with pytest.raises(LabelError, match="longer"):
        zpl_batch([b"^XA^LL1199^FDx^FS^XZ"], 203, "100x100")
    with pytest.raises(ValueError):
        zpl_batch([PLAIN], 600)


# --- packing slips ------------------------------------------------------------------------------

def slip(**changes) -> PackingSlip:
    values = dict(shop="Sklep Żółw", channel="woo-pl", order_number="10045", placed_at=datetime(2025, 3, 1, 9, 30),
                  buyer_name=POLISH, delivery="InPost Paczkomat 24/7",
                  lines=[("KUB-ŻÓŁ-01", "Kubek żółty ąęłńóśźż", 2), ("ЧАЙ-ҐЇ-7", f"Чай «Ґудзик» {RUSSIAN}", 1)],
                  cod_amount=Decimal("149.9"), currency="PLN", tracking_number="620000000000000000000001",
                  reference="sklep-10045-1", pickup_point="KRA01M")
    values.update(changes)
    return PackingSlip(**values)


def embedded_font_files(page) -> list[str]:
    """BaseFont of each font on the page whose descriptor carries a TrueType file (/FontFile2)."""
    found = []
    for font in page["/Resources"]["/Font"].values():
        descriptor = font.get_object().get("/FontDescriptor")
        if descriptor is not None and "/FontFile2" in descriptor.get_object():
            found.append(str(font.get_object()["/BaseFont"]))
    return found


def test_packing_slip_shows_the_order_in_an_embedded_unicode_font():
    ua = slip(shop="Магазин", buyer_name=UKRAINIAN, currency="UAH", pickup_point="Відділення №12", order_number="77")
    pages = pages_of(packing_slip_pdf([slip(), ua], "A6"))
    assert len(pages) == 2 and all(size_of(p) == A6_SIZE for p in pages)
    first, second = pages[0].extract_text(), pages[1].extract_text()
    for expected in (POLISH, "KUB-ŻÓŁ-01", "ąęłńóśźż", RUSSIAN, "ЧАЙ-ҐЇ-7", "10045", "woo-pl", "KRA01M",
                     "149.90 PLN", "sklep-10045-1", "620000000000000000000001", "2025-03-01"):
        assert expected in first, expected
    assert UKRAINIAN in second and "Відділення №12" in second and "149.90 UAH" in second
    for page in pages:
        fonts = embedded_font_files(page)
        assert fonts and all("DejaVuSans" in f for f in fonts)
        assert len(fonts) == len(page["/Resources"]["/Font"])  # no font left unembedded


def test_packing_slip_draws_code128_barcodes():
    content = pages_of(packing_slip_pdf([slip()], "A6"))[0].get_contents().get_data()
    with_tracking = content.count(b" re")
    without = pages_of(packing_slip_pdf([slip(tracking_number="")], "A6"))[0].get_contents().get_data().count(b" re")
    assert without > 20  # the reference's bars
    assert with_tracking - without > 20  # and the tracking number's


def test_packing_slip_on_a4_and_overflowing_lines():
    many = [(f"SKU-{i:03d}", f"Produkt numer {i} — бавовна", 1) for i in range(60)]
    pages = pages_of(packing_slip_pdf([slip(lines=many)], "A6"))
    assert len(pages) > 1
    text = "\n".join(p.extract_text() for p in pages)
    assert "SKU-000" in text and "SKU-059" in text and "continued" in pages[1].extract_text()
    a4 = pages_of(packing_slip_pdf([slip(), slip(cod_amount=None)], "A4"))
    assert len(a4) == 2 and all(size_of(p) == A4_SIZE for p in a4)
    assert "COD" not in a4[1].extract_text()


def test_packing_slip_rejects_a_reference_code128_cannot_carry():
    with pytest.raises(ValueError):
        packing_slip_pdf([slip(reference="zamówienie-1")], "A6")
    with pytest.raises(ValueError):
        packing_slip_pdf([], "A6")


def unhex(field: str) -> str:
    """ZPL ^FH field data back to text: ``_XX`` are bytes of UTF-8 (^CI28)."""
    return re.sub(rb"_([0-9A-F]{2})", lambda m: bytes([int(m.group(1), 16)]), field.encode("ascii")).decode("utf-8")


def test_slip_zpl_is_ascii_utf8_hex_with_sizes():
    out = slip_zpl(slip(), 203)
    text = out.decode("ascii")
    assert text.startswith("^XA^CI28^PW799^LL1199")
    assert text.count("^XA") == text.count("^XZ") == 1
    assert "_C5_81ucja" in text  # Ł as UTF-8 under ^FH
    assert "^FH^FD_D0_A7_D0_90_D0_99" in text  # the SKU ЧАЙ
    assert ">:sklep-10045-1" in text and ">:620000000000000000000001" in text
    decoded = [unhex(field) for field in re.findall(r"\^FH\^FD([^\^]*)\^FS", text)]
    assert any(POLISH in d for d in decoded) and any("Ґудзик" in d for d in decoded)
    assert zpl_batch([out], 203) == out  # already sized: the batch leaves it alone
    assert slip_zpl(slip(), 300).startswith(b"^XA^CI28^PW1181^LL1772")


def test_slip_zpl_continues_on_further_labels():
    many = [(f"SKU-{i:03d}", "Produkt", 1) for i in range(30)]
    text = slip_zpl(slip(lines=many), 203, "100x100").decode("ascii")
    assert text.count("^XA") > 2 and text.count("^XA") == text.count("^XZ")
    assert "SKU-029" in text and "(continued)" in text


def test_public_api():
    assert {"merge_pdf_labels", "zpl_batch", "packing_slip_pdf", "slip_zpl", "PackingSlip",
            "LabelError"} <= set(labels.__all__)
