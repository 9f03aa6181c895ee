"""``python -m sandbox.ozon``: serve the Ozon Seller API sandbox with werkzeug's threaded server."""

from __future__ import annotations

import argparse
import logging
import sys

from sandbox.serving import serve

from .app import create_app


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m sandbox.ozon",
                                     description="Fake Ozon Seller API (FBS): postings, stocks, push notifications.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8097, help="0 picks a free port (printed first)")
    parser.add_argument("--client-id", default="123456")
    parser.add_argument("--api-key", default="demo-key")
    parser.add_argument("--seed", choices=["demo"], default=None)
    parser.add_argument("--order-trickle", type=float, default=0.0, metavar="SECONDS",
                        help="a random buyer checkout every SECONDS (0 = off)")
    parser.add_argument("--pair-interval", type=float, default=30.0, metavar="SECONDS",
                        help="minimum time between stock updates of one (offer, warehouse) pair")
    parser.add_argument("--push-url", default=None, help="where push notifications are POSTed")
    parser.add_argument("--push-retries", type=int, default=3)
    parser.add_argument("--push-retry-interval", type=float, default=1.0, metavar="SECONDS")
    parser.add_argument("--hang-seconds", type=float, default=5.0, help="duration of 'timeout'/'lost' faults")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    app = create_app({"CLIENT_ID": args.client_id, "API_KEY": args.api_key, "SEED": args.seed,
                      "ORDER_TRICKLE": args.order_trickle, "PAIR_INTERVAL": args.pair_interval,
                      "PUSH_URL": args.push_url, "PUSH_RETRIES": args.push_retries,
                      "PUSH_RETRY_INTERVAL": args.push_retry_interval, "HANG_SECONDS": args.hang_seconds})
    return serve(app, args.host, args.port, lambda port: f"Ozon sandbox on http://{args.host}:{port}",
                 on_close=app.extensions["ozon_sandbox"].close)


if __name__ == "__main__":
    sys.exit(main())
