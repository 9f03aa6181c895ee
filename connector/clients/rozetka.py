"""Rozetka Seller API client (I/O only): https://api-seller.rozetka.com.ua/apidoc/ (``reference/marketplaces.md`` 2).

Envelope quirk: every answer is ``{"success": true, "content": ...}`` or ``{"success": false, "errors":
{"message", "code", "details"}}``, and business errors come with HTTP 200, so ``success`` is checked on
every answer, never only the status. Auth: ``POST /sites {"username", "password": base64(password)}`` gives
a session ``access_token`` of undocumented lifetime, or the cabinet's static API token ("Безпека API") is
used; both go as ``Authorization: Bearer``. A session token refused (6001 ``session_expired``, 1020
``incorrect_token``) is replaced through the account's ``TokenStore`` (one login at a time across workers)
and the request sent once more. No idempotency keys: ``PUT /orders/{id}`` and ``PUT /items/mass-update``
set values, so a lost answer is simply retried. ``Content-Language: uk`` on every request.
"""

from __future__ import annotations

import base64
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import requests

from connector.clients.http import HttpClient
from connector.errors import AuthError, NotFound, PermanentError, RateLimited, TransientError
from connector.tokens import Grant

PAGE_SIZE = 100
#: Codes meaning "this session token is no good" (a new login fixes them).
TOKEN_CODES = frozenset({6001, 1018, 1020})
INVALID_CREDENTIALS = 5401
NOT_FOUND_CODES = frozenset({3, 1019, 1404, 5404})
TRANSIENT_CODES = frozenset({0, 1003, 5503})


@dataclass(frozen=True)
class RozetkaSettings:
    base_url: str
    username: str = ""
    password: str = ""  # plain; sent base64-encoded
    api_token: str = ""  # the cabinet's static token: used instead of a login when set
    timeout: float = 30.0
    language: str = "uk"


def _json(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _reason(errors: Any) -> tuple[int | None, str]:
    """(code, message) of an ``errors`` object; per-item errors and odd shapes give (None, a summary)."""
    if isinstance(errors, dict) and ("code" in errors or "message" in errors):
        try:
            code = int(errors.get("code"))
        except (TypeError, ValueError):
            code = None
        return code, str(errors.get("message") or "")[:200]
    return None, "refused without an error code"


def _code_of(response: requests.Response) -> int | None:
    body = _json(response)
    return _reason(body.get("errors"))[0] if isinstance(body, dict) else None


def _text(code: int | None) -> str | None:
    return None if code is None else str(code)


def _code_note(code: int | None) -> str:
    return "" if code is None else f" (code {code})"


def _retry_after(response: requests.Response) -> float | None:
    try:
        return float(response.headers.get("Retry-After", ""))
    except ValueError:
        return None


def http_error(response: requests.Response, what: str) -> Exception:
    """The typed error of a non-2xx answer (the envelope's code and message, never the body)."""
    status = response.status_code
    body = _json(response)
    code, message = _reason(body.get("errors")) if isinstance(body, dict) else (None, "")
    text = f"{what}: HTTP {status}" + (f" {message}" if message else "") + _code_note(code)
    if status == 429:
        return RateLimited(text, status=status, code=_text(code), retry_after=_retry_after(response))
    if status >= 500:
        return TransientError(text, status=status, code=_text(code), retry_after=_retry_after(response))
    if status in (401, 403):
        return AuthError(text + _auth_cause(code), status=status, code=_text(code))
    if status == 404:
        return NotFound(text, status=status, code=_text(code))
    if 300 <= status < 400:
        return PermanentError(f"{what}: unexpected redirect (HTTP {status})", status=status)
    return PermanentError(text, status=status, code=_text(code))


def _auth_cause(code: int | None) -> str:
    if code == INVALID_CREDENTIALS:
        return ": Rozetka refused the account's username or password (fix the credentials)"
    if code in TOKEN_CODES:
        return ": Rozetka refused the access token (expired, revoked or unknown)"
    return ""


def business_error(errors: Any, what: str) -> Exception:
    """The typed error of a ``success: false`` answer (HTTP 200, quirk)."""
    code, message = _reason(errors)
    text = f"{what}: {message or 'refused'}" + _code_note(code)
    if code == INVALID_CREDENTIALS or code in TOKEN_CODES:
        return AuthError(text + _auth_cause(code), code=_text(code))
    if code in NOT_FOUND_CODES:
        return NotFound(text, code=_text(code))
    if code == 429:
        return RateLimited(text, code=_text(code))
    if code in TRANSIENT_CODES:
        return TransientError(text, code=_text(code))
    return PermanentError(text, code=_text(code))


def per_item_errors(errors: Any) -> bool:
    """``{"<item id>": {"reason": [...]}, ...}`` (``PUT /items/mass-update``), not one error."""
    return isinstance(errors, dict) and bool(errors) and all(str(key).isdigit() for key in errors)


class MemoryTokens:
    """A session token kept in this process (scripts, benchmarks); the workers use ``connector.tokens.TokenStore``."""

    def __init__(self, obtain):
        self.obtain, self._token, self._lock = obtain, None, threading.Lock()

    def access_token(self) -> str:
        return self._token or self.refresh(None)

    def refresh(self, stale: str | None) -> str:
        with self._lock:
            if self._token is None or self._token == stale:
                self._token = self.obtain(None).access_token
            return self._token


class RozetkaClient:
    """``tokens``: where session tokens come from (``TokenStore(..., obtain=client.obtain)``); ignored with
    a static ``api_token``."""

    def __init__(self, settings: RozetkaSettings, *, gate=None, session=None, tokens=None):
        self.settings = settings
        self.http = HttpClient(settings.base_url, name="Rozetka", timeout=settings.timeout, session=session, gate=gate,
                               headers={"Content-Language": settings.language, "Accept": "application/json"})
        self.tokens = tokens or (None if settings.api_token else MemoryTokens(self.obtain))

    # -- auth ----------------------------------------------------------------------------------------------
    def login(self) -> Grant:
        """``POST /sites``: username + base64(password) -> a session token (lifetime undocumented: None)."""
        if not (self.settings.username and self.settings.password):
            raise AuthError("Rozetka account has neither username + password nor api_token credentials")
        password = base64.b64encode(self.settings.password.encode("utf-8")).decode("ascii")
        response = self.http.send("POST", "/sites", json={"username": self.settings.username, "password": password},
                                  idempotent=True)
        content = self._content(response, "POST", "/sites")
        token = (content or {}).get("access_token") if isinstance(content, dict) else None
        if not token:
            raise PermanentError("Rozetka POST /sites: answer without an access_token")
        return Grant(access_token=str(token), expires_in=None)

    def obtain(self, _refresh_token: str | None = None) -> Grant:
        """``TokenStore``'s token call: Rozetka has no refresh token, a new login replaces the session."""
        return self.login()

    def _token(self) -> str:
        if self.settings.api_token:
            return self.settings.api_token
        return self.tokens.access_token()

    # -- plumbing ------------------------------------------------------------------------------------------
    def _send(self, method: str, path: str, token: str, **kwargs) -> requests.Response:
        return self.http.send(method, path, headers={"Authorization": f"Bearer {token}"}, **kwargs)

    @staticmethod
    def _token_refused(response: requests.Response) -> bool:
        return response.status_code in (200, 401) and _code_of(response) in TOKEN_CODES

    def _authorized(self, method: str, path: str, **kwargs) -> requests.Response:
        """One call with the account's token; a refused session token is replaced once and the call repeated."""
        token = self._token()
        response = self._send(method, path, token, **kwargs)
        if self._token_refused(response) and not self.settings.api_token:
            response = self._send(method, path, self.tokens.refresh(token), **kwargs)
        return response

    def _envelope(self, response: requests.Response, method: str, path: str) -> dict:
        if response.status_code >= 300:
            raise http_error(response, f"Rozetka {method} {path}")
        body = self.http.decode(response, method, path)
        if not isinstance(body, dict) or not isinstance(body.get("success"), bool):
            raise TransientError(f"Rozetka {method} {path}: HTTP {response.status_code} without the envelope")
        return body

    def _content(self, response: requests.Response, method: str, path: str) -> Any:
        """``content`` of a successful answer; ``success: false`` raises the typed error."""
        body = self._envelope(response, method, path)
        if not body["success"]:
            raise business_error(body.get("errors"), f"Rozetka {method} {path}")
        return body.get("content")

    def call(self, method: str, path: str, **kwargs) -> Any:
        """An authorised call -> its ``content``."""
        return self._content(self._authorized(method, path, **kwargs), method, path)

    def _pages(self, path: str, key: str, params: dict) -> Iterator[dict]:
        """Every row of ``content[key]`` over ``page=1..content._meta.pageCount`` (a page past the end answers
        the last page again, so the count, not an empty page, ends the loop)."""
        page = 1
        while True:
            content = self.call("GET", path, params={**params, "page": page}) or {}
            yield from content.get(key) or []
            if page >= int((content.get("_meta") or {}).get("pageCount") or 0):
                return
            page += 1

    # -- orders --------------------------------------------------------------------------------------------
    def iter_orders(self, *, expand: str = "", **filters) -> Iterator[dict]:
        """``GET /orders/search`` (20 a page, id descending) with ``changed_from``/``types``/... filters
        (dates "YYYY-MM-DD HH:MM:SS" Kyiv) over every page."""
        params = {k: v for k, v in {**filters, "expand": expand}.items() if v not in (None, "")}
        return self._pages("/orders/search", "orders", params)

    def order(self, order_id: int | str, *, expand: str = "status_available") -> dict:
        """``GET /orders/{id}?expand=``; unknown -> NotFound (code 3 inside HTTP 200)."""
        return self.call("GET", f"/orders/{int(order_id)}", params={"expand": expand} if expand else None)

    def update_order(self, order_id: int | str, body: dict) -> dict:
        """``PUT /orders/{id} {"status"?, "ttn"?, "seller_comment"?}`` -> the order; a refusal raises."""
        return self.call("PUT", f"/orders/{int(order_id)}", json=body)

    # -- items ---------------------------------------------------------------------------------------------
    def mass_update(self, items: list[dict]) -> dict:
        """``PUT /items/mass-update``: ``{}`` when all applied, else the per-item errors by item id (the others
        ARE applied: partial success, quirk). A refusal of the whole request raises."""
        response = self._authorized("PUT", "/items/mass-update", json={"items": items})
        body = self._envelope(response, "PUT", "/items/mass-update")
        if body["success"]:
            return {}
        if per_item_errors(body.get("errors")):
            return {str(key): value for key, value in body["errors"].items()}
        raise business_error(body.get("errors"), "Rozetka PUT /items/mass-update")

    def iter_goods(self, page_size: int = PAGE_SIZE) -> Iterator[dict]:
        """``GET /goods/all`` over every page (``pageSize`` up to 100)."""
        return self._pages("/goods/all", "items", {"pageSize": page_size})
