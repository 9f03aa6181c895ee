"""``python -m sandbox.rozetka``: serve the Rozetka Seller API sandbox with werkzeug's threaded server."""

from __future__ import annotations

import argparse
import logging
import sys

from sandbox.serving import serve

from .app import create_app


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m sandbox.rozetka",
                                     description="Fake Rozetka Seller API: orders, statuses, items and stock.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8096, help="0 picks a free port (the first line names it)")
    parser.add_argument("--username", default="demo")
    parser.add_argument("--password", default="demo-pass", help="plain; POST /sites sends it base64-encoded")
    parser.add_argument("--api-token", default=None, help="a static Bearer token that never expires")
    parser.add_argument("--token-ttl", type=float, default=86400.0, metavar="SECONDS",
                        help="lifetime of a POST /sites session token")
    parser.add_argument("--seed", choices=["demo"], default=None)
    parser.add_argument("--order-trickle", type=float, default=0.0, metavar="SECONDS",
                        help="place a random buyer checkout every SECONDS (0 = off)")
    parser.add_argument("--hang-seconds", type=float, default=5.0, help="duration of 'timeout'/'lost' faults")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    app = create_app({"USERNAME": args.username, "PASSWORD": args.password, "API_TOKEN": args.api_token,
                      "TOKEN_TTL": args.token_ttl, "SEED": args.seed, "ORDER_TRICKLE": args.order_trickle,
                      "HANG_SECONDS": args.hang_seconds})
    return serve(app, args.host, args.port, lambda port: f"Rozetka sandbox on http://{args.host}:{port}",
                 on_close=app.extensions["rozetka_sandbox"].close)


if __name__ == "__main__":
    sys.exit(main())
