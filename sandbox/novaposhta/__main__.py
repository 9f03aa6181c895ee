"""``python -m sandbox.novaposhta``: serve the Nova Poshta sandbox with werkzeug's threaded server."""

from __future__ import annotations

import argparse
import logging
import sys


from sandbox.serving import serve

from .app import create_app


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m sandbox.novaposhta",
                                     description="Fake Nova Poshta API 2.0 (JSON endpoint and printed forms).")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8093)
    parser.add_argument("--api-key", default="sandbox-np-key")
    parser.add_argument("--today", default=None, metavar="DD.MM.YYYY", help="pin the Kyiv date")
    parser.add_argument("--hang-seconds", type=float, default=5.0, help="hold time of timeout/lost faults")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    app = create_app({"API_KEY": args.api_key, "TODAY": args.today, "HANG_SECONDS": args.hang_seconds})
    return serve(app, args.host, args.port, lambda port: f"Nova Poshta sandbox on http://{args.host}:{port}")


if __name__ == "__main__":
    sys.exit(main())
