"""``python -m sandbox.dhl_poland``: serve the DHL24 WebAPI2 sandbox with werkzeug's threaded server."""

from __future__ import annotations

import argparse
import logging
import sys


from sandbox.serving import serve

from .app import create_app


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m sandbox.dhl_poland",
                                     description="Fake DHL24 WebAPI2 (SOAP 1.1): shipments, labels, tracking.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8094)
    parser.add_argument("--username", default="sandbox-user")
    parser.add_argument("--password", default="sandbox-password")
    parser.add_argument("--delay", type=float, default=0.0, metavar="SECONDS",
                        help="latency added to every SOAP request")
    parser.add_argument("--hang-seconds", type=float, default=5.0, help="duration of a 'timeout' fault")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    app = create_app({"USERNAME": args.username, "PASSWORD": args.password, "DELAY": args.delay,
                      "HANG_SECONDS": args.hang_seconds})
    return serve(app, args.host, args.port, lambda port: f"DHL24 WebAPI2 sandbox on http://{args.host}:{port}/webapi2/provider/service.html?ws=1",
                 on_close=app.extensions["dhl_sandbox"].close)


if __name__ == "__main__":
    sys.exit(main())
