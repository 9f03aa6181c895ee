"""HTTP plumbing shared by every client: mandatory timeouts and typed errors.

Mapping (the retry rule travels with the error class, ``connector.errors``):
connection refused / connect timeout -> TransientError (nothing reached the server);
read timeout -> AmbiguousError for a call that creates something, TransientError otherwise;
429 -> RateLimited (``Retry-After`` honoured); 5xx -> TransientError; 401/403 -> AuthError;
404 -> NotFound; other 4xx -> PermanentError. Messages carry the remote error code and message,
never a request or response body and never a credential.

Two ways in: the ``translate_exceptions`` / ``raise_for_response`` pair for clients built on a
vendor SDK (WooCommerce), and ``HttpClient`` for clients that speak plain ``requests``
(Przelewy24, PayU): a ``requests.Session`` with a base URL, a timeout that cannot be switched off,
and redirects never followed (PayU answers a create with a 302 that must be read, not followed).
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Mapping
from typing import Any

import requests
import urllib3

from connector.errors import (
    AmbiguousError,
    AuthError,
    ConfigurationError,
    NotFound,
    PermanentError,
    RateLimited,
    TransientError,
)

DEFAULT_TIMEOUT = (5.0, 30.0)
#: Methods whose repetition cannot create a second effect; a read timeout on them is transient.
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})

log = logging.getLogger(__name__)


@contextlib.contextmanager
def translate_exceptions(what: str, *, idempotent: bool = True):
    """Turn ``requests`` exceptions raised inside the block into typed errors."""
    try:
        yield
    except requests.exceptions.ConnectTimeout as exc:
        raise TransientError(f"{what}: connect timeout") from exc
    except requests.exceptions.ReadTimeout as exc:
        if idempotent:
            raise TransientError(f"{what}: read timeout") from exc
        raise AmbiguousError(f"{what}: read timeout; the remote side may have acted") from exc
    except requests.exceptions.ConnectionError as exc:
        if not idempotent and _dropped_after_sending(exc):
            raise AmbiguousError(f"{what}: connection closed before the answer; the remote side may have acted") \
                from exc
        raise TransientError(f"{what}: cannot connect ({type(exc).__name__})") from exc
    except requests.exceptions.RequestException as exc:
        raise TransientError(f"{what}: {type(exc).__name__}") from exc


def _dropped_after_sending(exc: requests.exceptions.ConnectionError) -> bool:
    """The server took the request and closed the connection without answering (urllib3 ProtocolError),
    as opposed to refusing the connection: for a call that creates something, that is ambiguous."""
    reason = exc.args[0] if exc.args else None
    return isinstance(reason, urllib3.exceptions.ProtocolError)


def _retry_after(response: requests.Response) -> float | None:
    try:
        return float(response.headers.get("Retry-After", ""))
    except ValueError:
        return None


def _json_or_none(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _item_messages(items: list) -> str:
    """Per-item error messages (Przelewy24's 409 refund answer lists one result per refund)."""
    messages = [str(item.get("message")) for item in items if isinstance(item, dict) and item.get("message")]
    return "; ".join(dict.fromkeys(messages))


def remote_reason(response: requests.Response) -> tuple[str | None, str]:
    """(code, message) from a JSON error body, for any of the shapes our remotes use.

    WordPress ``{"code","message"}``; OAuth ``{"error","error_description"}``; Przelewy24
    ``{"error": "text" | [items], "code": 400}``; PayU ``{"status": {"statusCode", "codeLiteral",
    "statusDesc"}}``. A body that is not JSON is described (type, size), never echoed.
    """
    body = _json_or_none(response)
    if not isinstance(body, dict):
        kind = response.headers.get("Content-Type", "no content type").split(";")[0]
        return None, f"non-JSON answer ({kind}, {len(response.content)} bytes)"
    status = body.get("status")
    if isinstance(status, dict):
        code = status.get("codeLiteral") or status.get("statusCode")
        return (str(code) if code else None), str(status.get("statusDesc") or "")[:300]
    error = body.get("error")
    code = body.get("code")
    message = body.get("message") or body.get("error_description") or body.get("errorMessage") or ""
    if "error_description" in body and code is None:
        code = error
    elif isinstance(error, str) and not message:
        message = error
    elif isinstance(error, list) and not message:
        message = _item_messages(error)
    elif code is None:
        code = error
    return (str(code) if code is not None else None), str(message)[:300]


def raise_for_response(response: requests.Response, what: str) -> None:
    """Raise the typed error for a non-2xx/3xx answer; return quietly otherwise."""
    status = response.status_code
    if status < 400:
        return
    code, message = remote_reason(response)
    label = code if code and code != str(status) else None
    text = f"{what}: HTTP {status}" + (f" {label}" if label else "") + (f": {message}" if message else "")
    if status == 429:
        raise RateLimited(text, status=status, code=code, retry_after=_retry_after(response))
    if status >= 500:
        raise TransientError(text, status=status, code=code, retry_after=_retry_after(response))
    if status in (401, 403):
        raise AuthError(text, status=status, code=code)
    if status == 404:
        raise NotFound(text, status=status, code=code)
    raise PermanentError(text, status=status, code=code)


class HttpClient:
    """A ``requests.Session`` bound to one base URL, with a mandatory timeout and typed errors.

    ``timeout`` is seconds or ``(connect, read)``; ``None`` is refused because a call without a
    timeout can hang a worker for ever. Redirects are never followed: a 3xx comes back to the
    caller when ``allow_redirect=True`` and is a PermanentError otherwise. Logs carry the method,
    path, status and duration only.
    """

    def __init__(self, base_url: str, *, name: str, timeout: float | tuple[float, float] = DEFAULT_TIMEOUT,
                 session: requests.Session | None = None, auth: Any = None,
                 headers: Mapping[str, str] | None = None, gate: Any = None):
        if timeout is None:
            raise ConfigurationError(f"{name}: an HTTP timeout is mandatory")
        self.base_url = base_url.rstrip("/")
        self.name = name
        self.timeout = timeout
        self.session = session if session is not None else requests.Session()
        if isinstance(auth, tuple):  # Basic auth: requests would encode as latin-1 and crash on "ą"
            auth = tuple(part.encode("utf-8") if isinstance(part, str) else part for part in auth)
        self.auth = auth  # per request, so a session passed in is not changed
        self.headers = dict(headers or {})
        self.gate = gate  # connector.ratelimit.RateGate: the account's shared budget, or None

    def url(self, path: str) -> str:
        """Absolute URL of ``path`` (which starts with ``/``)."""
        return self.base_url + path

    def send(self, method: str, path: str, *, idempotent: bool | None = None, **kwargs) -> requests.Response:
        """Send one request; transport failures become typed errors, every HTTP status comes back.

        ``idempotent`` defaults from the method (POST is not); it decides whether a read timeout is
        transient or ambiguous. ``kwargs`` go to ``requests`` (``json``, ``data``, ``params``,
        ``headers``, ``auth``); ``timeout`` may be overridden but not set to None. ``gate`` adds the budget
        of one endpoint (Ozon's stock updates) to the account's (``self.gate``); a 429 blocks the account.
        """
        gates = [g for g in (self.gate, kwargs.pop("gate", None)) if g is not None]
        for gate in gates:
            gate.take()
        method = method.upper()
        idempotent = method in IDEMPOTENT_METHODS if idempotent is None else idempotent
        kwargs["timeout"] = kwargs.get("timeout") or self.timeout
        kwargs["allow_redirects"] = False
        kwargs["headers"] = {**self.headers, **(kwargs.get("headers") or {})}
        if self.auth is not None:
            kwargs.setdefault("auth", self.auth)
        what = f"{self.name} {method} {path}"
        started = time.monotonic()
        with translate_exceptions(what, idempotent=idempotent):
            response = self.session.request(method, self.url(path), **kwargs)
        log.debug("%s -> %s in %.0f ms", what, response.status_code, (time.monotonic() - started) * 1000)
        if response.status_code == 429 and gates:
            gates[-1].block(_retry_after(response), f"{method} {path}")
        return response

    def request(self, method: str, path: str, *, allow_redirect: bool = False, **kwargs) -> requests.Response:
        """``send`` plus status checking: 4xx/5xx raise typed errors, an unexpected 3xx too."""
        response = self.send(method, path, **kwargs)
        self.check(response, f"{self.name} {method.upper()} {path}", allow_redirect=allow_redirect)
        return response

    def request_json(self, method: str, path: str, **kwargs) -> Any:
        """``request`` and decode the JSON answer (see ``decode``)."""
        response = self.request(method, path, **kwargs)
        return self.decode(response, method, path, idempotent=kwargs.get("idempotent"))

    def decode(self, response: requests.Response, method: str, path: str, *, idempotent: bool | None = None) -> Any:
        """The JSON body of a successful answer.

        A success whose body is not JSON (a proxy's HTML page) is transient for an idempotent call
        and ambiguous otherwise: we cannot tell whether the remote side acted.
        """
        body = _json_or_none(response)
        if body is not None:
            return body
        method = method.upper()
        idempotent = method in IDEMPOTENT_METHODS if idempotent is None else idempotent
        error = TransientError if idempotent else AmbiguousError
        raise error(f"{self.name} {method} {path}: HTTP {response.status_code} without a JSON body",
                    status=response.status_code)

    @staticmethod
    def check(response: requests.Response, what: str, *, allow_redirect: bool = False) -> None:
        """Raise the typed error for ``response`` (see the module docstring)."""
        raise_for_response(response, what)
        if 300 <= response.status_code < 400 and not allow_redirect:
            raise PermanentError(f"{what}: unexpected redirect (HTTP {response.status_code})",
                                 status=response.status_code)

    def close(self) -> None:
        """Close the pooled connections."""
        self.session.close()
