"""WooCommerce deliveries for the benchmarks, built and signed here (not with the code under test).

Bodies follow the WooCommerce v3 order representation (the webhook body *is* the REST order),
serialised like PHP's ``wp_json_encode`` (non-ASCII as ``\\uXXXX``, ``/`` as ``\\/``), about 2.4 KB
each. Every order id is distinct, so no delivery is a duplicate of another. The signature is
``base64(HMAC-SHA256(webhook secret, raw body))`` in ``X-WC-Webhook-Signature``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import datetime, timedelta

BASE_TIME = datetime(2026, 11, 22, 7, 0, 0)


def php_json(body) -> bytes:
    return json.dumps(body, separators=(",", ":"), ensure_ascii=True).replace("/", "\\/").encode("ascii")


def sign(secret: str, raw: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode("utf-8"), raw, hashlib.sha256).digest()).decode("ascii")


def order_body(order_id: int, lines: list[tuple], status: str = "processing", *, seconds: int = 0) -> dict:
    """A realistic order: billing/shipping in Polish, meta data, a parcel-locker shipping line.

    ``lines`` are ``(sku, quantity)`` or ``(sku, quantity, product_id)``.
    """
    modified = (BASE_TIME + timedelta(seconds=seconds)).isoformat()
    items = []
    for i, line in enumerate(lines, start=1):
        sku, qty = line[0], line[1]
        product_id = line[2] if len(line) > 2 else 1000 + i
        items.append({
            "id": order_id * 10 + i, "name": f"Kubek „{sku}” / Чашка", "product_id": product_id, "variation_id": 0,
            "quantity": qty, "tax_class": "", "subtotal": f"{19.99 * qty:.2f}", "subtotal_tax": "0.00",
            "total": f"{19.99 * qty:.2f}", "total_tax": "0.00", "taxes": [], "sku": sku, "price": 19.99,
            "image": {"id": "", "src": ""}, "parent_name": None,
            "meta_data": [{"id": order_id * 10 + i, "key": "_reduced_stock", "value": str(qty),
                           "display_key": "_reduced_stock", "display_value": str(qty)}],
        })
    total = 19.99 * sum(line[1] for line in lines) + 12.99
    return {
        "id": order_id, "parent_id": 0, "status": status, "currency": "PLN", "version": "9.4.0",
        "prices_include_tax": True, "date_created": modified, "date_modified": modified,
        "discount_total": "0.00", "discount_tax": "0.00", "shipping_total": "12.99", "shipping_tax": "0.00",
        "cart_tax": "0.00", "total": f"{total:.2f}", "total_tax": "0.00", "customer_id": 0,
        "order_key": f"wc_order_{hashlib.md5(str(order_id).encode()).hexdigest()[:13]}",
        "billing": {"first_name": "Zażółć", "last_name": "Gęślą", "company": "", "address_1": "ul. Świętokrzyska 1/2",
                    "address_2": "", "city": "Łódź", "state": "", "postcode": "90-001", "country": "PL",
                    "email": "buyer@example.com", "phone": "+48 600 000 000"},
        "shipping": {"first_name": "Zażółć", "last_name": "Gęślą", "company": "", "address_1": "ul. Świętokrzyska 1/2",
                     "address_2": "", "city": "Łódź", "state": "", "postcode": "90-001", "country": "PL", "phone": ""},
        "payment_method": "przelewy24", "payment_method_title": "Przelewy24", "transaction_id": "",
        "customer_ip_address": "", "customer_user_agent": "", "created_via": "checkout", "customer_note": "",
        "date_completed": None, "date_paid": modified if status == "processing" else None, "cart_hash": "",
        "number": str(order_id), "meta_data": [{"id": 1, "key": "_wc_order_attribution_source_type", "value": "typein"}],
        "line_items": items, "tax_lines": [],
        "shipping_lines": [{"id": order_id * 10, "method_title": "InPost Paczkomat", "method_id": "flat_rate",
                            "instance_id": "1", "total": "12.99", "total_tax": "0.00", "taxes": [],
                            "meta_data": [{"id": 9, "key": "paczkomat_id", "value": "WAW01M"}]}],
        "fee_lines": [], "coupon_lines": [], "refunds": [], "payment_url": "", "is_editable": False,
        "needs_payment": False, "needs_processing": True, "date_created_gmt": modified,
        "date_modified_gmt": modified, "date_completed_gmt": None,
        "date_paid_gmt": modified if status == "processing" else None, "currency_symbol": "zł",
        "_links": {"self": [{"href": f"https://shop.example/wp-json/wc/v3/orders/{order_id}"}],
                   "collection": [{"href": "https://shop.example/wp-json/wc/v3/orders"}]},
    }


def woo_headers(topic: str, raw: bytes, secret: str, *, webhook_id: int = 1, delivery_seq: int = 0) -> dict:
    resource, event = topic.split(".")
    return {
        "Content-Type": "application/json",
        "User-Agent": "WooCommerce/9.4.0 Hookshot (WordPress/6.5.5)",
        "X-WC-Webhook-Source": "https://shop.example/",
        "X-WC-Webhook-Topic": topic,
        "X-WC-Webhook-Resource": resource,
        "X-WC-Webhook-Event": event,
        "X-WC-Webhook-Signature": sign(secret, raw),
        "X-WC-Webhook-ID": str(webhook_id),
        "X-WC-Webhook-Delivery-ID": hashlib.md5(f"{webhook_id}:{delivery_seq}".encode()).hexdigest(),
    }


def raw_http_request(host: str, port: int, path: str, headers: dict, body: bytes) -> bytes:
    """One complete HTTP/1.1 keep-alive request, ready for ``socket.sendall``."""
    lines = [f"POST {path} HTTP/1.1", f"Host: {host}:{port}", f"Content-Length: {len(body)}",
             "Connection: keep-alive"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def signed_order_request(host: str, port: int, shop: str, secret: str, order_id: int,
                         lines: list[tuple[str, int]] | None = None) -> bytes:
    """A signed ``order.created`` delivery of a unique order, as raw HTTP bytes."""
    raw = php_json(order_body(order_id, lines or [("BENCH-SKU-1", 1)]))
    return raw_http_request(host, port, f"/webhooks/woocommerce/{shop}",
                            woo_headers("order.created", raw, secret, delivery_seq=order_id), raw)
