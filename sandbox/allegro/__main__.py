"""``python -m sandbox.allegro``: serve the Allegro sandbox with werkzeug's threaded server."""

from __future__ import annotations

import argparse
import logging
import sys

from sandbox.serving import serve

from .app import create_app


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m sandbox.allegro",
                                     description="Fake Allegro seller API: OAuth device flow, order journal, "
                                                 "checkout forms, offers, async stock commands.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8095)
    parser.add_argument("--client-id", default="sandbox-client")
    parser.add_argument("--client-secret", default="sandbox-secret")
    parser.add_argument("--seed", choices=["demo"], default=None)
    parser.add_argument("--order-trickle", type=float, default=0.0, metavar="SECONDS",
                        help="a random buyer checkout every SECONDS (0 = off)")
    parser.add_argument("--auto-approve", action="store_true",
                        help="approve a device code on its first poll (no browser step)")
    parser.add_argument("--access-ttl", type=int, default=43199, metavar="SECONDS")
    parser.add_argument("--device-interval", type=float, default=5.0, metavar="SECONDS",
                        help="the device flow's polling interval")
    parser.add_argument("--async-delay", type=float, default=0.1, metavar="SECONDS",
                        help="delay of asynchronous offer operations and command tasks")
    parser.add_argument("--hang-seconds", type=float, default=5.0, help="duration of 'timeout'/'lost' faults")
    parser.add_argument("--public-url", default=None, help="base URL of verification_uri (default: request host)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    app = create_app({"CLIENT_ID": args.client_id, "CLIENT_SECRET": args.client_secret, "SEED": args.seed,
                      "ORDER_TRICKLE": args.order_trickle, "AUTO_APPROVE": args.auto_approve,
                      "ACCESS_TTL": args.access_ttl, "DEVICE_INTERVAL": args.device_interval,
                      "ASYNC_DELAY": args.async_delay, "HANG_SECONDS": args.hang_seconds,
                      "PUBLIC_URL": args.public_url})
    return serve(app, args.host, args.port, lambda port: f"Allegro sandbox on http://{args.host}:{port}",
                 on_close=app.extensions["allegro_sandbox"].close)


if __name__ == "__main__":
    sys.exit(main())
