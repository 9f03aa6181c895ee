"""``python -m sandbox.przelewy24``: serve the Przelewy24 sandbox with werkzeug's threaded server."""

from __future__ import annotations

import argparse
import logging
import sys


from sandbox.serving import serve

from .app import create_app


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m sandbox.przelewy24",
                                     description="Fake Przelewy24 REST API v1 with signed, retried notifications.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8091)
    parser.add_argument("--merchant-id", type=int, default=12345)
    parser.add_argument("--pos-id", type=int, default=12345)
    parser.add_argument("--api-key", default="sandbox-api-key")
    parser.add_argument("--crc", default="sandbox-crc")
    parser.add_argument("--time-scale", type=float, default=1.0,
                        help="scale of the retry schedule (0.001 turns minutes into 60 ms)")
    parser.add_argument("--delay", type=float, default=0.0, metavar="SECONDS",
                        help="latency added to every API request")
    parser.add_argument("--refund-url-status", default=None, help="the panel's default refund urlStatus")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    app = create_app({
        "MERCHANT_ID": args.merchant_id, "POS_ID": args.pos_id, "API_KEY": args.api_key, "CRC": args.crc,
        "TIME_SCALE": args.time_scale, "DELAY": args.delay, "REFUND_URL_STATUS": args.refund_url_status,
    })
    return serve(app, args.host, args.port, lambda port: f"Przelewy24 sandbox on http://{args.host}:{port}",
                 on_close=app.extensions["p24_sandbox"].close)


if __name__ == "__main__":
    sys.exit(main())
