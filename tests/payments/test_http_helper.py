"""connector.clients.http.HttpClient: statuses and transport failures become the right typed errors."""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from connector.clients.http import HttpClient
from connector.errors import (
    AmbiguousError,
    AuthError,
    ConfigurationError,
    NotFound,
    PermanentError,
    RateLimited,
    TransientError,
)

SECRET = "hunter2-ąę"
ANSWERS = {
    "/429": (429, {"Retry-After": "7"}, b'{"error":"Too many requests","code":429}'),
    "/503": (503, {}, b"<html>secret page body</html>"),
    "/401": (401, {}, b'{"error":"Incorrect authentication","code":401}'),
    "/403": (403, {}, b'{"status":{"statusCode":"UNAUTHORIZED","statusDesc":"no"}}'),
    "/404": (404, {}, b'{"error":"Transaction not found","responseCode":0}'),
    "/422": (422, {}, b'{"status":{"statusCode":"ERROR_VALUE_INVALID","codeLiteral":"X","statusDesc":"bad"}}'),
    "/302": (302, {"Location": "/elsewhere"}, b'{"redirectUri":"/elsewhere"}'),
    "/html": (200, {"Content-Type": "text/html"}, b"<html>ok</html>"),
    "/ok": (200, {}, b'{"data":true}'),
}


class Handler(BaseHTTPRequestHandler):
    def _answer(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self.path == "/slow":
            time.sleep(1.0)
        status, headers, body = ANSWERS.get(self.path, (200, {}, b"{}"))
        self.send_response(status)
        for name, value in {"Content-Type": "application/json", **headers}.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            self.wfile.write(body)
        except OSError:
            pass

    do_GET = do_POST = do_PUT = _answer  # noqa: N815

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    httpd.server_close()


def client(url: str, timeout=(2.0, 0.3)) -> HttpClient:
    return HttpClient(url, name="Test", timeout=timeout, auth=("user", SECRET))


@pytest.mark.parametrize("path, error", [("/503", TransientError), ("/401", AuthError), ("/403", AuthError),
                                         ("/404", NotFound), ("/422", PermanentError)])
def test_statuses_map_to_typed_errors(server, path, error):
    with pytest.raises(error) as caught:
        client(server).request("GET", path)
    assert type(caught.value) is error and caught.value.status == int(path[1:])


def test_429_is_rate_limited_with_retry_after(server):
    with pytest.raises(RateLimited) as caught:
        client(server).request("POST", "/429", json={})
    assert caught.value.retry_after == 7.0 and caught.value.retry == "transient"


def test_error_messages_carry_the_remote_reason_but_never_a_body(server):
    with pytest.raises(NotFound, match="Transaction not found"):
        client(server).request("GET", "/404")
    with pytest.raises(PermanentError, match="X: bad"):
        client(server).request("GET", "/422")
    with pytest.raises(TransientError) as caught:
        client(server).request("GET", "/503")
    assert "secret page body" not in str(caught.value) and "text/html" not in str(caught.value)


def test_redirects_are_never_followed(server):
    with pytest.raises(PermanentError, match="unexpected redirect"):
        client(server).request("POST", "/302", json={})
    response = client(server).request("POST", "/302", json={}, allow_redirect=True)
    assert response.status_code == 302 and response.json() == {"redirectUri": "/elsewhere"}
    assert not response.history


def test_read_timeout_is_transient_when_idempotent_and_ambiguous_otherwise(server):
    with pytest.raises(TransientError, match="read timeout"):
        client(server).request("GET", "/slow")
    with pytest.raises(TransientError, match="read timeout"):
        client(server).request("PUT", "/slow", json={})
    with pytest.raises(AmbiguousError, match="may have acted"):
        client(server).request("POST", "/slow", json={})
    with pytest.raises(TransientError):
        client(server).request("POST", "/slow", json={}, idempotent=True)


def test_connection_refused_is_transient():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(TransientError, match="cannot connect"):
        client(f"http://127.0.0.1:{port}").request("POST", "/x", json={})


def test_connect_timeout_is_transient_even_for_a_create():
    class Stalling(requests.Session):
        def request(self, *args, **kwargs):
            raise requests.exceptions.ConnectTimeout("stalled")

    with pytest.raises(TransientError, match="connect timeout"):
        HttpClient("http://192.0.2.1", name="Test", session=Stalling()).request("POST", "/x", json={})


def test_timeout_is_mandatory_and_always_passed():
    with pytest.raises(ConfigurationError):
        HttpClient("http://x", name="Test", timeout=None)
    seen = {}

    class Recording(requests.Session):
        def request(self, method, url, **kwargs):
            seen.update(kwargs)
            response = requests.Response()
            response.status_code, response._content = 200, b"{}"
            return response

    HttpClient("http://x", name="Test", timeout=(1.0, 2.0), session=Recording()).request_json("GET", "/")
    assert seen["timeout"] == (1.0, 2.0) and seen["allow_redirects"] is False


def test_non_json_success_is_transient_or_ambiguous(server):
    with pytest.raises(TransientError, match="without a JSON body"):
        client(server).request_json("GET", "/html")
    with pytest.raises(AmbiguousError):
        client(server).request_json("POST", "/html", json={})
    assert client(server).request_json("GET", "/ok") == {"data": True}


def test_logs_name_the_call_but_hold_no_secret_or_body(server, caplog):
    caplog.set_level(logging.DEBUG)
    client(server).request_json("POST", "/ok", json={"email": "jan@example.com", "password": SECRET})
    with pytest.raises(TransientError):
        client(server).request("GET", "/503")
    text = caplog.text + json.dumps([r.args for r in caplog.records], default=str)
    assert "Test POST /ok -> 200" in caplog.text
    for leaked in (SECRET, "jan@example.com", "secret page body", "data"):
        assert leaked not in text
