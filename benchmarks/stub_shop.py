"""A minimal WooCommerce stand-in for the processing benchmark: it accepts stock batch updates.

Every order the workers process makes its SKUs' figures dirty and the coalesced stock pusher sends
them to the shop (``POST /wp-json/wc/v3/products/batch``). In production the shop is another
machine; here a full fake shop would take CPU from the workers being measured, so this stub only
answers batch updates the way WooCommerce does (``{"update": [item, ...]}``, 200), ignores the
OAuth parameters, and counts what it received (``GET /__stats__``). Anything else answers 404.

    python -m benchmarks.stub_shop --port 8091
"""

from __future__ import annotations

import argparse
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

STATS = {"batch_requests": 0, "items": 0, "last": {}}
LOCK = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args) -> None:  # quiet
        pass

    def _send(self, status: int, body: dict) -> None:
        raw = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def do_GET(self) -> None:  # noqa: N802
        if self.path.startswith("/__stats__"):
            with LOCK:
                self._send(200, STATS)
            return
        self._send(404, {"code": "rest_no_route", "message": "No route was found.", "data": {"status": 404}})

    def do_POST(self) -> None:  # noqa: N802
        length = int(self.headers.get("Content-Length") or 0)
        data = json.loads(self.rfile.read(length) or b"{}")
        path = self.path.split("?", 1)[0]
        if path.endswith("/batch") and "/wp-json/wc/v3/products" in path:
            items = data.get("update", [])
            with LOCK:
                STATS["batch_requests"] += 1
                STATS["items"] += len(items)
                for item in items:
                    STATS["last"][str(item.get("id"))] = item.get("stock_quantity")
            self._send(200, {"create": [], "update": [{**item, "date_modified_gmt": "2026-11-22T07:00:00"}
                                                      for item in items], "delete": []})
            return
        self._send(404, {"code": "rest_no_route", "message": "No route was found.", "data": {"status": 404}})


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.stub_shop")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8091)
    args = parser.parse_args(argv)
    ThreadingHTTPServer((args.host, args.port), Handler).serve_forever()


if __name__ == "__main__":
    main()
