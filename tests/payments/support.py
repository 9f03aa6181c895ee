"""Test support for payments: signers written independently of the code under test, a recording
webhook receiver, an in-thread server for the sandboxes, and the shared-fixture locator."""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import requests
from werkzeug.serving import make_server

from tests.conftest import shared_fixture  # noqa: E402

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
logging.getLogger("werkzeug").setLevel(logging.WARNING)


def shared_payments(*parts: str) -> Path:
    """A file under ``../shared/fixtures/payments``; skips with the reason on a clone without it."""
    return shared_fixture("payments", *parts)


def load_shared(*parts: str):
    return json.loads(shared_payments(*parts).read_text(encoding="utf-8"))


# --------------------------------------------------------------------------- independent signers

def _json_value(value: object) -> str:
    """A JSON scalar by hand: integers bare, strings with only ``\\`` and ``"`` escaped."""
    if isinstance(value, bool) or value is None:
        raise TypeError("not used in P24 signs")
    if isinstance(value, int):
        return str(value)
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def p24_sign_by_hand(pairs: list[tuple[str, object]], crc: str) -> str:
    """SHA-384 over ``{"k":v,...,"crc":"..."}`` assembled as a string, not with ``json``."""
    members = [f'"{name}":{_json_value(value)}' for name, value in [*pairs, ("crc", crc)]]
    return hashlib.sha384(("{" + ",".join(members) + "}").encode("utf-8")).hexdigest()


NOTIFICATION_ORDER = ("merchantId", "posId", "sessionId", "amount", "originAmount", "currency", "orderId",
                      "methodId", "statement")
REFUND_ORDER = ("orderId", "sessionId", "refundsUuid", "merchantId", "amount", "currency", "status")


def p24_notification(crc: str, **overrides) -> dict:
    """A transaction notification body, signed by hand."""
    body = {"merchantId": 11111, "posId": 11111, "sessionId": "WC-2001-a", "amount": 12999,
            "originAmount": 12999, "currency": "PLN", "orderId": 4_294_967_297, "methodId": 154,
            "statement": "p24-K7L-M8N-P9Q", **overrides}
    body["sign"] = p24_sign_by_hand([(name, body[name]) for name in NOTIFICATION_ORDER], crc)
    return body


def p24_refund_notification(crc: str, **overrides) -> dict:
    body = {"orderId": 4_294_967_297, "sessionId": "WC-2001-a", "merchantId": 11111, "requestId": "rq-2001-1",
            "refundsUuid": "uu-2001-1", "amount": 5000, "currency": "PLN", "timestamp": 1790000000, "status": 0,
            **overrides}
    body["sign"] = p24_sign_by_hand([(name, body[name]) for name in REFUND_ORDER], crc)
    return body


def payu_header(body: bytes, key: str, algorithm: str = "SHA-256", *, sender: str = "checkout",
                order: tuple[str, ...] = ("sender", "signature", "algorithm", "content")) -> str:
    """An OpenPayu-Signature value for ``body``, parameters in the given order."""
    name = {"MD5": "md5", "SHA-1": "sha1", "SHA-256": "sha256", "SHA256": "sha256", "SHA-384": "sha384",
            "SHA-512": "sha512"}[algorithm]
    values = {"sender": sender, "signature": hashlib.new(name, body + key.encode()).hexdigest(),
              "algorithm": algorithm, "content": "DOCUMENT"}
    return ";".join(f"{part}={values[part]}" for part in order)


# --------------------------------------------------------------------------- servers

@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self):
        return json.loads(self.body)


class Receiver:
    """An HTTP endpoint that records POSTs; ``respond(received, index) -> status`` decides the answer."""

    def __init__(self, respond: Callable[[Received, int], int] | None = None):
        self.received: list[Received] = []
        self.respond = respond or (lambda received, index: 200)
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server API
                item = Received(self.path, dict(self.headers.items()),
                                self.rfile.read(int(self.headers.get("Content-Length", 0))))
                with receiver.lock:
                    receiver.received.append(item)
                    index = len(receiver.received) - 1
                status = receiver.respond(item, index)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()

    def wait(self, count: int = 1, timeout: float = 10.0) -> list[Received]:
        """Block until at least ``count`` requests arrived; returns them all."""
        deadline = time.monotonic() + timeout
        while len(self.received) < count:
            assert time.monotonic() < deadline, f"{len(self.received)} of {count} requests arrived"
            time.sleep(0.005)
        return list(self.received)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class Served:
    """A sandbox app on a free 127.0.0.1 port, in a thread."""

    def __init__(self, app, extension: str):
        self.app = app
        self.state = app.extensions[extension]
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()

    def control(self, action: str, **body) -> dict:
        return requests.post(f"{self.url}/__sandbox__/{action}", json=body, timeout=60).json()

    def notifications(self, **params) -> list[dict]:
        return requests.get(f"{self.url}/__sandbox__/notifications", params=params, timeout=10).json()["notifications"]

    def flush(self, timeout: float = 15, fast_forward: bool = False) -> None:
        answer = self.control("flush", timeout=timeout, fast_forward=fast_forward)
        assert answer["flushed"], answer

    def close(self) -> None:
        self.state.close()
        self.server.shutdown()
        self.server.server_close()


@contextlib.contextmanager
def closing_all():
    """Collects servers/receivers and closes them at the end."""
    opened: list = []
    try:
        yield opened
    finally:
        for item in reversed(opened):
            item.close()
