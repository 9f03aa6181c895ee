"""The ack baseline: a bare Flask app whose webhook endpoint reads the body and answers 200 JSON.

Served by exactly the same gunicorn settings as ``stockbridge web`` (``connector.server.serve``
with the same workers/threads), at the same path, so the difference to Stockbridge is what our
receiver does: shop look-up, signature check, JSON parse, durable inbox insert, drain trigger.

    python -m benchmarks.bare_app --host 127.0.0.1 --port 8001 --workers 2 --threads 4
"""

from __future__ import annotations

import argparse

from flask import Flask, jsonify, request


def create_app() -> Flask:
    app = Flask(__name__)

    @app.post("/webhooks/woocommerce/<shop_name>")
    def receive(shop_name: str):
        raw = request.get_data(cache=False)
        return jsonify({"status": 200, "message": "stored", "bytes": len(raw)}), 200

    @app.get("/healthz")
    def healthz():
        return jsonify(status="ok")

    return app


def main(argv: list[str] | None = None) -> None:
    from connector.server import serve

    parser = argparse.ArgumentParser(prog="python -m benchmarks.bare_app")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args(argv)
    serve(create_app, host=args.host, port=args.port, workers=args.workers, threads=args.threads)


if __name__ == "__main__":
    main()
