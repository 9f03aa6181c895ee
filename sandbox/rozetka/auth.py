"""Authorisation of the Rozetka sandbox: ``POST /sites`` sessions and the static API token.

- ``POST /sites {"username", "password": base64(password)}`` -> the ``auth_login_response.json`` shape with a
  new ``content.access_token`` (32 alphanumerics [unv]) valid TOKEN_TTL seconds. Wrong user, wrong password or
  a password that is not base64 of the configured one (also: missing fields [unv]) -> HTTP 200
  ``{"success": false, "errors": {"message": "invalid_credentials", "code": 5401, "details": []}}``.
  Logging in again gives a new token; older ones stay valid until they expire.
- API calls: ``Authorization: Bearer <token>``; an expired session token -> HTTP 401 ``session_expired``
  6001; a missing/unknown one -> HTTP 401 ``incorrect_token`` 1020 [unv]. The static API_TOKEN (cabinet
  "Безпека API") is sent the same way and never expires.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import secrets
import string
import threading

from flask import Blueprint, current_app, request

from .clock import Clock
from .envelope import fail, ok
from .serialize import SELLER_FIO

bp = Blueprint("rozetka_auth", __name__)
ALPHABET = string.ascii_letters + string.digits


class Sessions:
    """Issued session tokens and their expiry (sandbox clock); expired ones are kept to answer 6001."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._expiry: dict[str, float] = {}

    def issue(self, ttl: float) -> str:
        token = "".join(secrets.choice(ALPHABET) for _ in range(32))
        with self._lock:
            self._expiry[token] = self._clock.time() + float(ttl)
        return token

    def state(self, token: str) -> str:
        """"valid", "expired" or "unknown"."""
        with self._lock:
            expiry = self._expiry.get(token)
        if expiry is None:
            return "unknown"
        return "valid" if self._clock.time() < expiry else "expired"

    def clear(self) -> None:
        """Forget every session token (they answer 1020 from now on)."""
        with self._lock:
            self._expiry.clear()

    def expire_all(self) -> int:
        """Every session token expires now (``POST /__sandbox__/expire_tokens``); how many."""
        with self._lock:
            now = self._clock.time()
            for token in self._expiry:
                self._expiry[token] = min(self._expiry[token], now)
            return len(self._expiry)


def _same(given: object, expected: object) -> bool:
    return hmac.compare_digest(str(given).encode(), str(expected).encode())


def _decoded(password: object) -> str | None:
    try:
        return base64.b64decode(str(password).encode("ascii"), validate=True).decode("utf-8")
    except (binascii.Error, ValueError, UnicodeError):
        return None


def _login_content(token: str, username: str) -> dict:
    return {
        "id": 41872, "access_token": token, "permissions": ["order_edit", "correspondence", "items_edit"],
        "roles": ["default_owner"],
        "seller": {"fio": SELLER_FIO, "email": f"{username}@example.com",
                   "first_phone": {"id": 1947, "phone_number": "+380671112233", "confirmed": True}, "wizard": False},
        "market": {"id": 27315, "logo": "https://rozetka.com.ua/storage/seller/stockbridge-demo.png",
                   "business_model": "b2c", "title": "Stockbridge Demo", "title_translit": "stockbridge_demo",
                   "market_url": "https://rozetka.com.ua/seller/stockbridge_demo", "war_block": False,
                   "status": "6", "status_label": "Активний", "status_description": "Ваші товари активні для продажу.",
                   "fulfillment_available": False, "status_transfer_reason": {"label": "", "description": ""}},
        "needInterview": False, "lang": "uk", "poll_link": "",
    }


@bp.post("/sites")
def login():
    """``POST /sites``: username + base64 password -> a session token; refusals are HTTP 200 (quirk)."""
    state = current_app.extensions["rozetka_sandbox"]
    body = request.get_json(silent=True, force=True)
    body = body if isinstance(body, dict) else request.form.to_dict()
    username, password = body.get("username"), body.get("password")
    plain = _decoded(password) if isinstance(password, str) else None
    if not (isinstance(username, str) and plain is not None and _same(username, state.config["USERNAME"])
            and _same(plain, state.config["PASSWORD"])):
        return fail("invalid_credentials", 5401)
    return ok(_login_content(state.sessions.issue(float(state.config["TOKEN_TTL"])), username))


def refusal(sessions: Sessions, api_token: str | None):
    """None when the request's Bearer token is valid, else the 401 answer (6001 or 1020)."""
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    given = given.strip()
    if scheme.lower() == "bearer" and given:
        if api_token and _same(given, api_token):
            return None
        verdict = sessions.state(given)
        if verdict == "valid":
            return None
        if verdict == "expired":
            return fail("session_expired", 6001, status=401)
    return fail("incorrect_token", 1020, status=401)
