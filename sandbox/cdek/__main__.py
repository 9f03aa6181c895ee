"""``python -m sandbox.cdek``: serve the CDEK sandbox with werkzeug's threaded server."""

from __future__ import annotations

import argparse
import logging
import sys


from sandbox.serving import serve

from .app import create_app


def _delay(text: str) -> float | None:
    return None if text.lower() in ("none", "manual") else float(text)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m sandbox.cdek",
                                     description="Fake CDEK API v2: OAuth, asynchronous orders and labels, webhooks.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8094)
    parser.add_argument("--client-id", default="sandbox-cdek-account")
    parser.add_argument("--client-secret", default="sandbox-cdek-secret")
    parser.add_argument("--order-delay", type=_delay, default=0.5, help="seconds until validation, or 'manual'")
    parser.add_argument("--print-delay", type=_delay, default=0.5, help="seconds until a label is ready, or 'manual'")
    parser.add_argument("--webhook-url", default=None, help="also send every ORDER_STATUS webhook here")
    parser.add_argument("--hang-seconds", type=float, default=5.0, help="hold time of timeout/lost faults")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    app = create_app({"CLIENT_ID": args.client_id, "CLIENT_SECRET": args.client_secret,
                      "ORDER_DELAY": args.order_delay, "PRINT_DELAY": args.print_delay,
                      "WEBHOOK_URL": args.webhook_url, "HANG_SECONDS": args.hang_seconds})
    return serve(app, args.host, args.port, lambda port: f"CDEK sandbox on http://{args.host}:{port}", on_close=app.extensions["cdek_sandbox"].close)


if __name__ == "__main__":
    sys.exit(main())
