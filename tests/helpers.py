"""Builders for tests: WooCommerce-shaped payloads we write ourselves, signed independently."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import traceback
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

SECRET = "whsec-test-ąęł-секрет"
BASE_TIME = datetime(2026, 11, 22, 7, 0, 0)


def php_json(body) -> bytes:
    """Serialise like PHP's ``wp_json_encode``: non-ASCII as \\uXXXX and ``/`` as ``\\/``."""
    return json.dumps(body, separators=(",", ":"), ensure_ascii=True).replace("/", "\\/").encode("ascii")


def sign(secret: str, raw: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode(), raw, hashlib.sha256).digest()).decode()


def woo_order(order_id: int, status: str = "processing", lines=(("SKU-1", 1),), *, minute: int = 0,
              second: int = 0, currency: str = "PLN", payment_method: str = "przelewy24", name: str = "Zażółć Gęślą"):
    """A WooCommerce v3 order body. ``lines`` are (sku, qty) or (sku, qty, product_id, variation_id)."""
    modified = (BASE_TIME + timedelta(minutes=minute, seconds=second)).isoformat()
    items = []
    for i, line in enumerate(lines, start=1):
        sku, qty = line[0], line[1]
        product_id = line[2] if len(line) > 2 else 100 + i
        variation_id = line[3] if len(line) > 3 else 0
        items.append({"id": order_id * 100 + i, "name": f"Kubek „{sku}” / Чашка", "product_id": product_id,
                      "variation_id": variation_id, "quantity": qty, "sku": sku, "price": 19.99,
                      "subtotal": f"{19.99 * qty:.2f}", "total": f"{19.99 * qty:.2f}", "meta_data": []})
    first, _, last = name.partition(" ")
    return {
        "id": order_id, "number": str(order_id), "status": status, "currency": currency,
        "total": f"{19.99 * sum(l[1] for l in lines) + 12.99:.2f}", "date_modified_gmt": modified,
        "date_modified": modified, "payment_method": payment_method, "transaction_id": "",
        "billing": {"first_name": first, "last_name": last, "email": "buyer@example.com", "phone": "+48 600 000 000",
                    "city": "Łódź", "country": "PL"},
        "shipping": {"first_name": first, "last_name": last, "address_1": "ul. Świętokrzyska 1/2", "city": "Łódź",
                     "country": "PL"},
        "line_items": items,
        "shipping_lines": [{"id": 1, "method_id": "flat_rate", "method_title": "InPost Paczkomat", "instance_id": "1",
                            "meta_data": [{"key": "paczkomat_id", "value": "WAW01M"}]}],
    }


def woo_product(product_id: int, sku: str, quantity: int | None, *, parent_id: int = 0, minute: int = 0,
                manage_stock: bool = True):
    modified = (BASE_TIME + timedelta(minutes=minute)).isoformat()
    return {"id": product_id, "parent_id": parent_id, "type": "variation" if parent_id else "simple",
            "name": "Футболка «Вишиванка»", "sku": sku, "manage_stock": manage_stock, "stock_quantity": quantity,
            "stock_status": "instock" if (quantity or 0) > 0 else "outofstock", "date_modified_gmt": modified}


def woo_headers(topic: str, raw: bytes, secret: str = SECRET, *, webhook_id: int = 1, lower: bool = False) -> dict:
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "WooCommerce/9.4.0 Hookshot (WordPress/6.5.5)",
        "X-WC-Webhook-Source": "http://shop.example/",
        "X-WC-Webhook-Topic": topic,
        "X-WC-Webhook-Resource": topic.split(".")[0],
        "X-WC-Webhook-Event": topic.split(".")[1],
        "X-WC-Webhook-Signature": sign(secret, raw),
        "X-WC-Webhook-ID": str(webhook_id),
        "X-WC-Webhook-Delivery-ID": hashlib.md5(f"{webhook_id}{int(datetime.now(timezone.utc).timestamp())}".encode()).hexdigest(),
    }
    return {k.lower(): v for k, v in headers.items()} if lower else headers


def deliver(client, shop: str, topic: str, body, secret: str = SECRET, **kw):
    raw = body if isinstance(body, bytes) else php_json(body)
    return client.post(f"/webhooks/woocommerce/{shop}", data=raw, headers=woo_headers(topic, raw, secret, **kw))


def drain(redis_url: str | None = None) -> None:
    """Run a real RQ worker in this process until the queues are empty (burst)."""
    from workers.runner import build_worker

    build_worker().work(burst=True, with_scheduler=False, logging_level="WARNING")


def add_shop(engine, name: str = "shop1", *, stock: dict | None = None, settings: dict | None = None,
             url: str = "http://127.0.0.1:9") -> None:
    """A shop whose REST API is unreachable (pushes fail transiently), plus on-hand counts."""
    from connector import channels, ledger
    from connector.db import transaction

    with transaction(engine) as session:
        channels.add_shop(session, name, url=url, consumer_key="ck", consumer_secret="cs", webhook_secret=SECRET,
                          settings=settings)
        for sku, quantity in (stock or {}).items():
            ledger.set_on_hand(session, sku, quantity, ledger.Cause("count"))


@contextmanager
def serve(app):
    """Serve a WSGI app (a sandbox, our own app) with werkzeug on a free 127.0.0.1 port in a thread; yields its URL."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(5)
        server.server_close()


def cli(*args: str, ok: bool = True) -> SimpleNamespace:
    """Run ``stockbridge ARGS`` in this process through click's runner: the command's own parsing, output and
    exit code, without a Python start per call (about 1.5 s of CPU each). ``returncode``, ``stdout``,
    ``stderr`` as from a subprocess. Serving commands (web, worker, scheduler, run) start as real processes."""
    from click.testing import CliRunner

    from connector.cli import main

    result = CliRunner().invoke(main, list(args))
    crashed = result.exception is not None and not isinstance(result.exception, SystemExit)
    if crashed or (ok and result.exit_code != 0):
        detail = "".join(traceback.format_exception(*result.exc_info)) if crashed else ""
        raise AssertionError(f"stockbridge {' '.join(args)} -> {result.exit_code}\n{result.stdout}{result.stderr}{detail}")
    return SimpleNamespace(returncode=result.exit_code, stdout=result.stdout, stderr=result.stderr)
