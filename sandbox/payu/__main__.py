"""``python -m sandbox.payu``: serve the PayU sandbox with werkzeug's threaded server."""

from __future__ import annotations

import argparse
import logging
import sys


from sandbox.serving import serve

from .app import create_app


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m sandbox.payu", description=(
        "Fake PayU REST API v2.1 with OAuth and signed, retried notifications."))
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8092)
    parser.add_argument("--pos-id", default="300746")
    parser.add_argument("--client-id", default=None, help="OAuth client_id (default: the POS id)")
    parser.add_argument("--client-secret", default="sandbox-client-secret")
    parser.add_argument("--second-key", default="sandbox-second-key")
    parser.add_argument("--algorithm", default="SHA-256", choices=["MD5", "SHA-256", "SHA-384", "SHA-512"],
                        help="notification signature algorithm")
    parser.add_argument("--no-auto-receive", action="store_true",
                        help="paid orders wait in WAITING_FOR_CONFIRMATION until captured")
    parser.add_argument("--time-scale", type=float, default=1.0,
                        help="scale of the retry schedule (0.0001 turns 72 h into 26 s)")
    parser.add_argument("--delay", type=float, default=0.0, metavar="SECONDS",
                        help="latency added to every API request")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    app = create_app({
        "POS_ID": args.pos_id, "CLIENT_ID": args.client_id, "CLIENT_SECRET": args.client_secret,
        "SECOND_KEY": args.second_key, "SIGNATURE_ALGORITHM": args.algorithm,
        "AUTO_RECEIVE": not args.no_auto_receive, "TIME_SCALE": args.time_scale, "DELAY": args.delay,
    })
    return serve(app, args.host, args.port, lambda port: f"PayU sandbox on http://{args.host}:{port}",
                 on_close=app.extensions["payu_sandbox"].close)


if __name__ == "__main__":
    sys.exit(main())
