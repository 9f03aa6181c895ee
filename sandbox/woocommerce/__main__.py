"""``python -m sandbox.woocommerce``: serve the sandbox with werkzeug's threaded server."""

from __future__ import annotations

import argparse
import logging
import sys


from sandbox.serving import serve

from .app import create_app


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(prog="python -m sandbox.woocommerce",
                                     description="Fake WooCommerce shop (REST API + webhooks).")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8089)
    parser.add_argument("--consumer-key", default="ck_sandbox")
    parser.add_argument("--consumer-secret", default="cs_sandbox")
    parser.add_argument("--home-url", default=None, help="site URL (default http://HOST:PORT/)")
    parser.add_argument("--seed", choices=["demo"], default=None)
    parser.add_argument("--order-trickle", type=float, default=0.0, metavar="SECONDS",
                        help="place a random checkout order every SECONDS")
    parser.add_argument("--currency", default="PLN")
    parser.add_argument("--strict-urls", action="store_true",
                        help="apply WordPress' safe-URL rules to webhook delivery URLs")
    parser.add_argument("--delivery-delay", type=float, default=0.0, metavar="SECONDS",
                        help="queue latency before a delivery may run (Action Scheduler lag)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run until interrupted."""
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    app = create_app({
        "HOST": args.host, "PORT": args.port, "HOME_URL": args.home_url,
        "CONSUMER_KEY": args.consumer_key, "CONSUMER_SECRET": args.consumer_secret,
        "SEED": args.seed, "ORDER_TRICKLE": args.order_trickle, "CURRENCY": args.currency,
        "ALLOW_ANY_PORT": not args.strict_urls, "DELIVERY_DELAY": args.delivery_delay,
    })
    state = app.extensions["wc_sandbox"]
    return serve(app, args.host, args.port,
                 lambda port: f"WooCommerce sandbox on {state.shop.home_url} (REST: {state.shop.rest_url('')})",
                 on_close=state.close)


if __name__ == "__main__":
    sys.exit(main())
