"""The label station in-process: one file per batch (page count and size, four a sheet, ZPL per dpi), what is
left out and why, packing slips, retry/cancel, carrier key expiry, and what the warehouse login may open.

Labels are drawn here with reportlab (their own font registration) and read back with pypdf."""

from __future__ import annotations

import io
from datetime import timedelta
from decimal import Decimal

import pytest
from pypdf import PdfReader
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from sqlalchemy import select

from connector.db import transaction
from connector.models import Alert, Label, Order, OrderLine, Shipment, utcnow
from tests.conftest import ADMIN_TOKEN
from tests.helpers import add_shop
from tests.shipping.conftest import NP_KEY, add_carriers, csrf_token, warehouse_login

A6 = (297.6, 419.5)
A4 = (595.3, 841.9)
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


def label_pdf(width_mm: float, height_mm: float, *lines: str) -> bytes:
    if "StationTestSans" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont("StationTestSans", FONT))
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=(width_mm * mm, height_mm * mm))
    canvas.setFont("StationTestSans", 11)
    canvas.rect(4 * mm, 4 * mm, (width_mm - 8) * mm, (height_mm - 8) * mm)
    for i, line in enumerate(lines):
        canvas.drawString(8 * mm, (height_mm - 14 - 7 * i) * mm, line)
    canvas.save()
    return out.getvalue()


def zpl(text: str, *, pw: int | None = None) -> bytes:
    size = f"^PW{pw}^LL{round(pw * 1.5)}" if pw else ""
    return f"^XA{size}^FO40,40^A0N,40,40^FD{text}^FS^XZ".encode()


def _order(session, shop_id: int, number: str, *, currency="PLN", name="Zofia Wójcik", cod=None) -> Order:
    order = Order(channel_id=shop_id, external_id=number, number=number, status="paid", payment_status="paid",
                  currency=currency, total=Decimal("52.97"), cod_amount=cod, placed_at=utcnow(),
                  buyer={"first_name": name.split()[0], "last_name": name.split()[1]},
                  delivery={"method_title": "InPost Paczkomat" if currency == "PLN" else "Нова Пошта", "meta": {}},
                  lines=[OrderLine(line_key="1", sku="KUB-ZOLC-330", name="Kubek „Żółć” / Чашка", quantity=2,
                                   unit_price=Decimal("19.99"))])
    session.add(order)
    session.flush()
    return order


def _shipment(session, order: Order, carrier: str, n: int, status: str, *, tracking="", labels=(), **kw) -> Shipment:
    shipment = Shipment(order_id=order.id, reference=f"SB-shop1-{order.number}-{n}", carrier=carrier,
                        service="inpost_locker_standard" if carrier == "inpost" else "WarehouseWarehouse",
                        status=status, tracking_number=tracking, carrier_ref=str(1000 + order.id) if tracking else "",
                        request={"carrier": "inpost" if carrier == "inpost" else "novaposhta", "pickup_point": "WAW01M",
                                 "receiver": {"name": " ".join(order.buyer.values())}}, **kw)
    session.add(shipment)
    session.flush()
    for fmt, content in labels:
        session.add(Label(shipment_id=shipment.id, fmt=fmt, content=content))
    return shipment


@pytest.fixture
def station(warehouse_env, engine):
    """A shop, the two carrier accounts (NP key expiring in 12 days), and today's shipments in every state."""
    add_shop(engine, "shop1")
    add_carriers(engine, "http://127.0.0.1:9", "http://127.0.0.1:9",
                 np_expires=(utcnow().date() + timedelta(days=12)).isoformat())
    ids = {}
    with transaction(engine) as session:
        shop_id = _shop_id(session)
        for i in range(4):  # four InPost labels (PDF + ZPL); the last ZPL was made for 203 dpi
            order = _order(session, shop_id, f"10{i}")
            ids[f"inpost{i}"] = _shipment(session, order, "inpost", 1, "confirmed", tracking=f"52000000000000000000{i}",
                                          labels=[("pdf", label_pdf(105, 148, "InPost", f"Paczkomat WAW01M {i}")),
                                                  ("zpl", zpl(f"InPost {i}", pw=799 if i == 3 else None))]).id
        order = _order(session, shop_id, "200", currency="UAH", name="Олена Коваль", cod=Decimal("1499.00"))
        ids["np"] = _shipment(session, order, "np", 1, "confirmed", tracking="20450000000001", cod_amount=Decimal("1499"),
                              labels=[("pdf", label_pdf(100, 100, "НОВА ПОШТА", "Одержувач: Олена Коваль"))]).id
        ids["pending"] = _shipment(session, _order(session, shop_id, "300"), "inpost", 1, "created").id
        ids["failed"] = _shipment(session, _order(session, shop_id, "400"), "inpost", 1, "failed",
                                  error="InPost: receiver.phone: receiver phone has an invalid format").id
        ids["unknown"] = _shipment(session, _order(session, shop_id, "500"), "inpost", 1, "intent", attempts=1).id
    return ids


def _shop_id(session) -> int:
    from connector.channels import by_name

    return by_name(session, "shop1").id


@pytest.fixture
def client(station):
    from webhooks import create_app

    client = create_app().test_client()
    assert warehouse_login(client).status_code == 302
    return client


def post(client, path: str, **data):
    token = csrf_token(client.get("/console/labels").get_data(as_text=True))
    return client.post(path, data={"csrf_token": token, **data})


def pages(content: bytes) -> list[tuple[float, float]]:
    return [(round(float(p.mediabox.width), 1), round(float(p.mediabox.height), 1))
            for p in PdfReader(io.BytesIO(content)).pages]


def text(content: bytes) -> str:
    return "\n".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(content)).pages)


def test_print_all_new_four_a_sheet_then_nothing_new(client, station):
    answer = post(client, "/console/labels/print", layout="A4x4")
    assert answer.status_code == 200 and answer.mimetype == "application/pdf"
    assert answer.headers["Content-Disposition"].startswith("attachment; filename=\"labels-")
    assert pages(answer.data) == [A4, A4]  # five labels: a full sheet and a quarter of the next
    assert "Олена Коваль" in text(answer.data) and "Paczkomat WAW01M 3" in text(answer.data)
    assert answer.headers["X-Labels-Printed"] == "5" and answer.headers["X-Labels-Left-Out"] == "1"  # pending one
    page = client.get("/console/labels").get_data(as_text=True)
    assert "SB-shop1-300-1: label pending" in page  # the note flashed after the download
    again = post(client, "/console/labels/print", layout="A6")
    assert again.status_code == 302
    assert "Nothing to print" in client.get("/console/labels").get_data(as_text=True)


def test_reprint_in_a6_one_label_a_page(client, station):
    answer = post(client, "/console/labels/reprint", layout="A6", ids=[station["np"], station["inpost0"]])
    assert pages(answer.data) == [A6, A6]
    assert "Олена Коваль" in text(answer.data)


def test_zpl_batches_carry_the_size_of_the_chosen_head(client, station):
    answer = post(client, "/console/labels/print", layout="zpl203")
    stream = answer.data
    assert answer.mimetype == "application/zpl" and stream.count(b"^XA") == 4
    assert stream.count(b"^PW799") == 4 and stream.count(b"^LL1199") == 4
    notes = client.get("/console/labels").get_data(as_text=True)
    assert "Нова Пошта prints PDF only" in notes
    ids = [station[f"inpost{i}"] for i in range(4)]
    at300 = post(client, "/console/labels/reprint", layout="zpl300", ids=ids).data
    assert at300.count(b"^XA") == 3 and at300.count(b"^PW1181") == 3 and at300.count(b"^LL1772") == 3
    assert "made for a lower dpi than 300" in client.get("/console/labels").get_data(as_text=True)


def test_station_shows_groups_states_errors_and_key_expiry(client, station):
    page = client.get("/console/labels").get_data(as_text=True)
    assert 'id="carrier-inpost"' in page and 'id="carrier-np"' in page and "Нова Пошта" in page
    assert "label pending" in page and "not created yet (1 attempt)" in page
    assert "receiver.phone: receiver phone has an invalid format" in page
    assert "1499.00 UAH" in page and "expires soon" in page and "(12 days)" in page
    assert NP_KEY not in page and "apiKey" not in page and "http://127.0.0.1:9" not in page
    assert "/console/orders/" not in page  # no links into the operator pages for the warehouse


def test_warehouse_login_opens_the_station_only(client, station):
    for path in ("/console/", "/console/stock", "/console/events", "/console/orders/shop1/100"):
        assert client.get(path).status_code == 403, path
    assert client.post("/console/events/replay-failed",
                       data={"csrf_token": csrf_token(client.get("/console/labels").get_data(as_text=True))}
                       ).status_code == 403
    assert client.get("/rq/").status_code == 302  # the dashboard wants an operator login
    assert client.get("/console/login?next=/console/stock").headers["Location"].endswith("/console/labels")
    from webhooks import create_app

    admin = create_app().test_client()
    token = csrf_token(admin.get("/console/login").get_data(as_text=True))
    admin.post("/console/login", data={"password": ADMIN_TOKEN, "csrf_token": token})
    station_page = admin.get("/console/labels").get_data(as_text=True)
    assert "/console/orders/shop1/100" in station_page and admin.get("/console/").status_code == 200
    assert warehouse_login(create_app().test_client(), "wrong").status_code == 401


def test_packing_slips_one_page_per_order(client, station):
    answer = post(client, "/console/labels/slips", page="A4", ids=[station["np"], station["inpost1"]])
    assert answer.mimetype == "application/pdf" and pages(answer.data) == [A4, A4]
    words = text(answer.data)
    assert "KUB-ZOLC-330" in words and "20450000000001" in words and "Олена Коваль" in words
    whole_day = post(client, "/console/labels/slips", page="A6")
    assert len(pages(whole_day.data)) == 7 and set(pages(whole_day.data)) == {A6}  # all but the failed one


def test_retry_and_cancel(client, station, engine, redis):
    answer = post(client, f"/console/labels/{station['unknown']}/cancel")
    assert answer.status_code == 302
    assert "Retry first (it looks the shipment up by reference)" in client.get("/console/labels").get_data(as_text=True)
    post(client, f"/console/labels/{station['unknown']}/retry")
    post(client, f"/console/labels/{station['pending']}/retry")
    queued = [j.decode() for j in redis.lrange("rq:queue:outbound", 0, -1)]
    assert any(j.startswith(f"create_shipment-{station['unknown']}-retry-") for j in queued)
    assert any(j.startswith(f"fetch_label-{station['pending']}-retry-") for j in queued)
    with transaction(engine) as session:
        session.get(Shipment, station["pending"]).status = "intent"  # never called: cancelled here only
    post(client, f"/console/labels/{station['pending']}/cancel")
    with transaction(engine) as session:
        assert session.get(Shipment, station["pending"]).status == "cancelled"


def test_expiring_key_raises_an_alert_until_renewed(station, engine):
    from connector import channels
    from workers.credentials import check_credentials

    assert check_credentials().startswith("1 ")
    with transaction(engine) as session:
        [alert] = session.scalars(select(Alert).where(Alert.kind == "credentials_expiring", Alert.resolved_at.is_(None)))
        assert "carrier account np" in alert.message and "in 12 days" in alert.message
        account = channels.by_name(session, "np")
        account.settings = {**account.settings, "credentials_expire_at": (utcnow().date() + timedelta(days=365)).isoformat()}
    check_credentials()
    with transaction(engine) as session:
        assert session.scalar(select(Alert).where(Alert.kind == "credentials_expiring")).resolved_at is not None


def test_expires_option_of_carrier_add(warehouse_env, engine):
    from connector import channels
    from tests.helpers import cli
    from tests.shipping.conftest import carrier_add_args

    inpost, np = carrier_add_args("http://127.0.0.1:9", "http://127.0.0.1:9", np_expires="2027-11-01", inpost_zpl="300")
    cli(*np)
    cli(*inpost)
    assert "invalid" in cli("carrier", "add", "x", "--integration", "cdek", "--url", "http://h", "--expires", "1.11.27",
                            ok=False).stderr.lower()
    with transaction(engine) as session:
        assert channels.by_name(session, "np").settings["credentials_expire_at"] == "2027-11-01"
        assert channels.by_name(session, "inpost").settings["zpl_dpi"] == 300

