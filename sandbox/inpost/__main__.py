"""``python -m sandbox.inpost``: serve the InPost ShipX sandbox with werkzeug's threaded server."""

from __future__ import annotations

import argparse
import logging
import sys


from sandbox.serving import serve

from .app import create_app


def _seconds_or_none(text: str) -> float | None:
    return None if text.lower() in ("none", "never", "") else float(text)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m sandbox.inpost",
                                     description="Fake InPost ShipX API: async creation, labels, tracking, webhooks.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8093)
    parser.add_argument("--token", default="sandbox-token", help="the Bearer token the API accepts")
    parser.add_argument("--organization-id", default="1234")
    parser.add_argument("--confirm-delay", type=_seconds_or_none, default=2.0, metavar="SECONDS|none",
                        help="created -> confirmed after this long; 'none' = only POST /__sandbox__/advance")
    parser.add_argument("--webhook-url", default=None, help="where webhooks are POSTed")
    parser.add_argument("--delay", type=float, default=0.0, metavar="SECONDS",
                        help="latency added to every API request")
    parser.add_argument("--hang-seconds", type=float, default=5.0, help="duration of a 'timeout' fault")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    app = create_app({"TOKEN": args.token, "ORGANIZATION_ID": args.organization_id,
                      "CONFIRM_DELAY": args.confirm_delay, "WEBHOOK_URL": args.webhook_url, "DELAY": args.delay,
                      "HANG_SECONDS": args.hang_seconds})
    return serve(app, args.host, args.port, lambda port: f"InPost ShipX sandbox on http://{args.host}:{port}",
                 on_close=app.extensions["inpost_sandbox"].close)


if __name__ == "__main__":
    sys.exit(main())
