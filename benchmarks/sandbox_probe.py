"""The WooCommerce sandbox served exactly as ``python -m sandbox.woocommerce`` serves it, plus a probe.

The sandbox's own entry point builds ``sandbox.woocommerce.create_app(config)`` and serves it with
werkzeug's threaded server; this module does the same with the same options, and subscribes one
extra listener to the shop's hooks (``Shop.subscribe``, the documented way the webhook sender
listens). On every ``product.updated`` (fired on every save of a product or variation, including the
saves done by ``/products/batch`` and ``/variations/batch``) it records the wall-clock time and the
new ``stock_quantity``, under the shop's lock, at the moment the shop holds the new figure. No polling,
no change to the sandbox. ``GET /__bench__/stock-changes?since=N`` returns
``{"changes": [[unix time, product id, sku, stock_quantity], ...], "next": M}``.

    python -m benchmarks.sandbox_probe --port 8089 --consumer-key ck --consumer-secret cs --seed demo
"""

from __future__ import annotations

import logging
import sys
import threading
import time

from flask import jsonify, request
from werkzeug.serving import make_server


def main(argv: list[str] | None = None) -> int:
    from sandbox.woocommerce import create_app
    from sandbox.woocommerce.__main__ import parse_args

    args = parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(message)s")
    app = create_app({
        "HOST": args.host, "PORT": args.port, "HOME_URL": args.home_url,
        "CONSUMER_KEY": args.consumer_key, "CONSUMER_SECRET": args.consumer_secret,
        "SEED": args.seed, "ORDER_TRICKLE": args.order_trickle, "CURRENCY": args.currency,
        "ALLOW_ANY_PORT": not args.strict_urls, "DELIVERY_DELAY": args.delivery_delay,
    })
    state = app.extensions["wc_sandbox"]
    changes: list[list] = []
    guard = threading.Lock()

    def on_change(topic: str, arg) -> None:
        if topic != "product.updated":
            return
        product = state.shop.product(arg)
        if product is None:
            return
        with guard:
            changes.append([time.time(), product.id, product.sku, product.stock_quantity])

    state.shop.subscribe(on_change)

    def stock_changes():
        since = int(request.args.get("since", 0))
        with guard:
            return jsonify({"changes": changes[since:], "next": len(changes)})

    app.add_url_rule("/__bench__/stock-changes", "bench_stock_changes", stock_changes, methods=["GET"])
    server = make_server(args.host, args.port, app, threaded=True)
    print(f"WooCommerce sandbox (with stock-change probe) on {state.shop.home_url}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        state.close()
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
