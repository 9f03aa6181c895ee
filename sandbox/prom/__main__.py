"""``python -m sandbox.prom``: serve the Prom.ua sandbox with werkzeug's threaded server."""

from __future__ import annotations

import argparse
import logging
import sys

from sandbox.serving import serve

from .app import create_app


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m sandbox.prom",
                                     description="Fake Prom.ua public API v1: orders, statuses, TTN, stock.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8098, help="0 picks a free port (printed first)")
    parser.add_argument("--token", default="sandbox-token", help="the API token (Authorization: Bearer ...)")
    parser.add_argument("--seed", choices=["demo"], default=None)
    parser.add_argument("--order-trickle", type=float, default=0.0, metavar="SECONDS",
                        help="a random buyer checkout every SECONDS (0 = off)")
    parser.add_argument("--language", choices=["uk", "ru"], default="uk", help="names without X-LANGUAGE")
    parser.add_argument("--rate-limit", type=int, default=None, metavar="N", help="requests per --rate-window")
    parser.add_argument("--rate-window", type=float, default=60.0, metavar="SECONDS")
    parser.add_argument("--rate-block", type=float, default=60.0, metavar="SECONDS")
    parser.add_argument("--hang-seconds", type=float, default=5.0, help="hold time of timeout/lost faults")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    app = create_app({"TOKEN": args.token, "SEED": args.seed, "ORDER_TRICKLE": args.order_trickle,
                      "LANGUAGE": args.language, "RATE_LIMIT": args.rate_limit, "RATE_WINDOW": args.rate_window,
                      "RATE_BLOCK": args.rate_block, "HANG_SECONDS": args.hang_seconds})
    return serve(app, args.host, args.port, lambda port: f"Prom.ua sandbox on http://{args.host}:{port}",
                 on_close=app.extensions["prom_sandbox"].close)


if __name__ == "__main__":
    sys.exit(main())
