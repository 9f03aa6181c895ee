"""Done-when, over real HTTP and real processes: the WooCommerce sandbox, the InPost and Nova Poshta sandboxes,
``stockbridge web`` (gunicorn) and a worker. A paid Polish order to an InPost locker and a cash-on-delivery
Ukrainian order to a Nova Poshta branch each get a shipment and a label; the label station prints both in ONE
file (A4 four-up, A6, ZPL); the tracking numbers reach the shop (customer note + Shipment Tracking meta).
The station is also driven in headless Chromium (Debian's chromium, Playwright) with the warehouse login.

The stack is built once per database backend (module scope) and read by the tests below; each test starts
from "nothing printed".
"""

from __future__ import annotations

import io
import os
import shutil
from datetime import timedelta

import pytest
import requests
from pypdf import PdfReader
from redis import Redis
from sqlalchemy import text, update

from tests.conftest import ADMIN_TOKEN, _truncate
from tests.processes import CK, CS, start_sandbox, start_web, start_worker, wait_for
from tests.helpers import cli
from tests.shipping.conftest import (NP_KEY, PL_NAME, SKU, UA_NAME, WAREHOUSE_PASSWORD, carrier_add_args,
                                     csrf_token, pl_checkout, reader, set_shop_rules, start_inpost, start_np, ua_checkout)

A6 = (297.6, 419.5)
A4 = (595.3, 841.9)
WOO = {"params": {"consumer_key": CK, "consumer_secret": CS}, "headers": {"X-Forwarded-Proto": "https"}, "timeout": 5}
CHROMIUM = os.environ.get("STOCKBRIDGE_TEST_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"


def _environment(mp, database_url: str, redis_url: str, data_dir) -> None:
    _truncate(database_url)
    Redis.from_url(redis_url).flushdb()
    for name, value in (("DATABASE_URL", database_url), ("REDIS_URL", redis_url), ("ADMIN_TOKEN", ADMIN_TOKEN),
                        ("WAREHOUSE_PASSWORD", WAREHOUSE_PASSWORD), ("DATA_DIR", str(data_dir))):
        mp.setenv(f"STOCKBRIDGE_{name}", value)
    mp.delenv("STOCKBRIDGE_CONSOLE_PASSWORD", raising=False)


def _configure(shop: str, inpost: str, np: str, web: str, database_url: str) -> None:
    from connector.db import get_engine
    from connector.models import utcnow

    cli("shop", "add", "shop1", "--url", shop, "--consumer-key", CK, "--consumer-secret", CS,
        "--webhook-secret", "set-by-connect")
    cli("shop", "connect", "shop1", "--public-url", web)
    cli("stock", "set", SKU, "10")
    set_shop_rules(get_engine(database_url))
    expires = (utcnow().date() + timedelta(days=20)).isoformat()
    for args in carrier_add_args(inpost, np, np_expires=expires, inpost_zpl="203"):
        cli(*args)


def _labelled(database_url: str) -> bool:
    with reader(database_url).connect() as conn:
        return conn.scalar(text("SELECT count(*) FROM shipments s JOIN labels l ON l.shipment_id = s.id "
                                "WHERE l.fmt = 'pdf' AND s.tracking_number <> ''")) == 2


def _woo(shop: str, path: str):
    return requests.get(f"{shop}/wp-json/wc/v3/{path}", **WOO).json()


def _tracking_in_shop(shop: str, order_id: int) -> str | None:
    """The tracking number when both the customer note and the plugin meta carry it."""
    meta = {m["key"]: m["value"] for m in _woo(shop, f"orders/{order_id}")["meta_data"]}
    items = meta.get("_wc_shipment_tracking_items") or []
    notes = " ".join(n["note"] for n in _woo(shop, f"orders/{order_id}/notes") if n.get("customer_note"))
    return items[0]["tracking_number"] if items and items[0]["tracking_number"] in notes else None


@pytest.fixture(scope="module")
def stack(database_url, redis_server, tmp_path_factory):
    from workers import context

    procs = []
    with pytest.MonkeyPatch.context() as mp:
        _environment(mp, database_url, redis_server, tmp_path_factory.mktemp("e2e"))
        context.reset()
        try:
            for start in (lambda: start_sandbox("--seed", "demo"), lambda: start_inpost("0.3"), start_np, start_web):
                procs.append(start())
            (shop_proc, shop), (_, inpost), (_, np), (_, web) = procs
            procs.append((start_worker("ship"), None))
            _configure(shop, inpost, np, web, database_url)
            pl = requests.post(shop + "/__sandbox__/orders", json=pl_checkout(), timeout=10).json()
            ua = requests.post(shop + "/__sandbox__/orders", json=ua_checkout(), timeout=10).json()
            wait_for(lambda: _labelled(database_url), timeout=40, interval=0.2, what="two shipments with labels")
            tracking = {o["id"]: wait_for(lambda o=o: _tracking_in_shop(shop, o["id"]), timeout=20, interval=0.2,
                                          what="tracking in the shop") for o in (pl, ua)}
            yield {"shop": shop, "inpost": inpost, "np": np, "web": web, "pl": pl, "ua": ua, "tracking": tracking,
                   "database_url": database_url}
        finally:
            for proc, _url in reversed(procs):
                proc.stop()
            context.reset()


@pytest.fixture
def unprinted(stack):
    from connector.db import get_engine
    from connector.models import Shipment

    with get_engine(stack["database_url"]).begin() as conn:
        conn.execute(update(Shipment).values(printed_at=None))
    return stack


def rows(database_url: str) -> list:
    with reader(database_url).connect() as conn:
        return list(conn.execute(text("SELECT s.carrier, s.status, s.tracking_number, s.cod_amount, s.reference, "
                                      "o.external_id FROM shipments s JOIN orders o ON o.id = s.order_id "
                                      "ORDER BY s.carrier")))


def test_both_orders_get_one_shipment_a_label_and_tracking_in_the_shop(stack):
    inpost, np = rows(stack["database_url"])
    assert (inpost.carrier, np.carrier) == ("inpost", "np")
    assert inpost.status == np.status == "confirmed"
    assert inpost.cod_amount is None and float(np.cod_amount) == float(stack["ua"]["total"])  # COD = order total
    assert len(np.tracking_number) == 14 and np.tracking_number.startswith("2045")
    assert stack["tracking"] == {stack["pl"]["id"]: inpost.tracking_number, stack["ua"]["id"]: np.tracking_number}
    remote = requests.get(stack["inpost"] + "/__sandbox__/shipments", timeout=5).json()["shipments"]
    assert [s["reference"] for s in remote] == [inpost.reference]  # exactly one at the carrier
    documents = requests.get(stack["np"] + "/__sandbox__/documents", timeout=5).json()
    assert [d["reference"] for d in documents["documents"]] == [np.reference]


def station(stack) -> requests.Session:
    """A warehouse session on the real server."""
    session = requests.Session()
    login = session.get(stack["web"] + "/console/labels", timeout=5)
    assert "/console/login" in login.url
    answer = session.post(stack["web"] + "/console/login", timeout=5, allow_redirects=False,
                          data={"password": WAREHOUSE_PASSWORD, "csrf_token": csrf_token(login.text),
                                "next": "/console/labels"})
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/console/labels")
    return session


def post(session, stack, path: str, **data) -> requests.Response:
    token = csrf_token(session.get(stack["web"] + "/console/labels", timeout=5).text)
    return session.post(stack["web"] + path, data={"csrf_token": token, **data}, timeout=30, allow_redirects=False)


def pdf_pages(content: bytes) -> tuple[list, str]:
    reader_ = PdfReader(io.BytesIO(content))
    sizes = [(round(float(p.mediabox.width), 1), round(float(p.mediabox.height), 1)) for p in reader_.pages]
    return sizes, "\n".join(p.extract_text() or "" for p in reader_.pages)


def test_print_all_new_makes_one_file(unprinted):
    stack, session = unprinted, station(unprinted)
    page = session.get(stack["web"] + "/console/labels", timeout=5).text
    for tracking in stack["tracking"].values():
        assert tracking in page
    assert 'id="carrier-inpost"' in page and 'id="carrier-np"' in page
    assert NP_KEY not in page and "apiKey" not in page and stack["np"] not in page and stack["inpost"] not in page

    a4 = post(session, stack, "/console/labels/print", layout="A4x4")
    assert a4.status_code == 200 and a4.headers["Content-Type"] == "application/pdf"
    assert "attachment" in a4.headers["Content-Disposition"]
    sizes, words = pdf_pages(a4.content)
    assert sizes == [A4] and " ".join(UA_NAME) in words  # both labels on one sheet, the Cyrillic name readable
    assert post(session, stack, "/console/labels/print", layout="A6").status_code == 302  # nothing new any more

    ids = [r for r in session.get(stack["web"] + "/console/labels", timeout=5).text.split('name="ids" value="')[1:]]
    ids = [i.split('"')[0] for i in ids]
    a6 = post(session, stack, "/console/labels/reprint", layout="A6", ids=ids)
    sizes, words = pdf_pages(a6.content)
    assert sizes == [A6, A6] and " ".join(UA_NAME) in words
    thermal = post(session, stack, "/console/labels/reprint", layout="zpl203", ids=ids)
    assert thermal.content.count(b"^XA") == 1 and b"^PW799" in thermal.content and b"^LL1199" in thermal.content
    assert thermal.headers["X-Labels-Left-Out"] == "1"  # Nova Poshta prints PDF only
    slips = post(session, stack, "/console/labels/slips", page="A6", ids=ids)
    sizes, words = pdf_pages(slips.content)
    assert sizes == [A6, A6] and SKU in words and all(t in words for t in stack["tracking"].values())
    assert PL_NAME[1] in words and UA_NAME[1] in words


def test_label_station_in_chromium(unprinted, tmp_path):
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"Chromium not found at {CHROMIUM}: install Debian's chromium or set STOCKBRIDGE_TEST_CHROMIUM")
    from playwright.sync_api import expect, sync_playwright

    from tests.console.test_console_browser import CHROMIUM_ARGS

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(base_url=unprinted["web"], accept_downloads=True)
            page.set_default_timeout(10_000)
            page.goto("/console/labels")
            page.fill("#password", WAREHOUSE_PASSWORD)
            page.click("text=Log in")
            expect(page.locator("h1")).to_contain_text("Label station")
            expect(page.locator("section.carrier")).to_have_count(2)
            expect(page.locator("#carrier-inpost h2")).to_contain_text("InPost")
            expect(page.locator("#carrier-np h2")).to_contain_text("Нова Пошта")
            expect(page.locator("td.printed-at", has_text="not printed")).to_have_count(2)
            page.select_option("#layout", "A6")
            with page.expect_download() as download:
                page.click("#print-new")
            path = tmp_path / download.value.suggested_filename
            download.value.save_as(path)
            sizes, words = pdf_pages(path.read_bytes())
            assert sizes == [A6, A6] and " ".join(UA_NAME) in words
            page.reload()
            expect(page.locator("td.printed-at", has_text="printed 20")).to_have_count(2)
            expect(page.locator(".flash")).to_contain_text("2 label(s) in labels-")
            page.screenshot(path=str(tmp_path / "station.png"), full_page=True)
            forbidden = page.goto("/console/")
            assert forbidden.status == 403
            expect(page.locator("h1")).to_have_text("Not allowed")
        finally:
            browser.close()
