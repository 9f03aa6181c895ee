"""Console flows in headless Chromium (Debian's package, driven by Playwright) against a real server.

Log in, find an order by number and open it, read Polish and Cyrillic text, see a SKU's figure
explained by its journal, replay a failed event (received, then failed again after a worker run)
and see the queued job's readable name in the mounted rq-dashboard.
"""

from __future__ import annotations

import os
import re
import shutil
import threading

import pytest
from werkzeug.serving import make_server

from tests.conftest import ADMIN_TOKEN, free_port
from tests.console.conftest import SHOP, SKU
from tests.helpers import drain

CHROMIUM = os.environ.get("STOCKBRIDGE_TEST_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture
def server(seeded):
    """The real WSGI app on a free 127.0.0.1 port in a thread (werkzeug's threaded server)."""
    from webhooks import create_app

    port = free_port()
    httpd = make_server("127.0.0.1", port, create_app(), threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, name="console-test-server", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}"
    httpd.shutdown()
    thread.join(timeout=10)


@pytest.fixture
def page(server):
    """A fresh headless Chromium page; fails (never skips) when Debian's chromium is missing."""
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"Chromium not found at {CHROMIUM}: install Debian's package (apt-get install chromium "
                    "fonts-dejavu-core; ./scripts/test.sh does it) or set STOCKBRIDGE_TEST_CHROMIUM")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        page = browser.new_page(base_url=server, locale="pl-PL")
        page.set_default_timeout(10_000)
        page.errors = []
        page.on("pageerror", lambda exc: page.errors.append(str(exc)))
        page.on("console", lambda msg: page.errors.append(msg.text) if msg.type == "error" else None)
        try:
            yield page
        finally:
            browser.close()


def log_in(page) -> None:
    page.goto("/console/")
    assert re.search(r"/console/login\?next=", page.url)
    page.fill("#password", ADMIN_TOKEN)
    page.click("text=Log in")
    page.wait_for_selector("h1:has-text('Orders')")


def test_find_an_order_and_see_its_stock_explained(page, tmp_path):
    from playwright.sync_api import expect

    log_in(page)
    page.fill("input[name=q]", "1042")
    page.click("form[role=search] button")
    rows = page.locator("#orders tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_class(re.compile("breached"))
    expect(rows.first.locator(".countdown")).to_contain_text("overdue by")
    page.click("text=sklep-1 #1042")
    expect(page.locator(".order-number")).to_have_text(f"{SHOP} #1042")
    body = page.inner_text("body")
    assert "Zażółć Gęślą" in body and "Łódź" in body and "Чашка" in body
    page.screenshot(path=str(tmp_path / "order.png"), full_page=True)
    assert (tmp_path / "order.png").stat().st_size > 10_000

    page.click(f"#lines >> text={SKU}")
    expect(page.locator("#available")).to_have_text("21")
    expect(page.locator("#on-hand")).to_have_text("24")
    paid = page.locator("#journal tbody tr", has_text=f"{SHOP} #1042")
    expect(paid).to_contain_text("order paid")
    expect(page.locator("#journal tbody tr", has_text="stock count")).to_contain_text("+25")
    paid.locator(f"text={SHOP} #1042").click()
    expect(page.locator(".order-number")).to_have_text(f"{SHOP} #1042")
    assert page.errors == []


def test_replay_a_failed_event(page, seeded):
    from playwright.sync_api import expect

    log_in(page)
    page.click("nav >> text=Events")
    event_id = seeded["failed_event_id"]
    failed = page.locator(f"tr[data-event-id='{event_id}']")
    expect(failed).to_contain_text("payload rejected")
    failed.locator(f"text=#{event_id}").click()
    status = page.locator("h1 .status")
    expect(status).to_have_text("failed")
    page.click(f"button[data-replay='{event_id}']")
    expect(page.locator(".flash")).to_contain_text("back to received")
    expect(status).to_have_text("received")

    page.goto("/rq/0/view/jobs/ingest/queued/8/asc/1")
    expect(page.locator("body")).to_contain_text(f"process new events from {SHOP}")

    drain()
    page.goto(f"/console/events/{event_id}")
    expect(page.locator("h1 .status")).to_have_text("failed")
    expect(page.locator(f"tr[data-event-id='{event_id}'] .error")).to_contain_text("line_items")
