"""Authentication: the JSON API's ``Authorization: Bearer <STOCKBRIDGE_ADMIN_TOKEN>`` and the console's login.

Both compare in constant time (:func:`hmac.compare_digest`). The console session (a signed Flask cookie,
HttpOnly, SameSite=Lax) stores a keyed fingerprint of the credential used, never the credential.

Roles: the admin token and ``STOCKBRIDGE_CONSOLE_PASSWORD`` open everything (:func:`logged_in`);
``STOCKBRIDGE_WAREHOUSE_PASSWORD`` opens the label station only (:func:`warehouse_logged_in`; the
guard in ``console.web`` keeps it to ``/console/labels...``). Its fingerprint is keyed apart, so a
warehouse session never passes :func:`logged_in` (and so never reaches ``/rq`` either).
"""

from __future__ import annotations

import functools
import hmac

from flask import current_app, jsonify, request, session
from redis.exceptions import RedisError


def token_valid(presented: str) -> bool:
    expected = current_app.extensions["stockbridge.settings"].admin_token
    return bool(expected) and hmac.compare_digest(presented.encode("utf-8"), expected.encode("utf-8"))


def bearer_required(view):
    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        header = request.headers.get("Authorization", "")
        scheme, _, presented = header.partition(" ")
        if scheme.lower() != "bearer" or not token_valid(presented.strip()):
            response = jsonify(status=401, message="missing or wrong bearer token")
            response.headers["WWW-Authenticate"] = 'Bearer realm="stockbridge"'
            return response, 401
        return view(*args, **kwargs)

    return wrapper


# --- console login (cookie session) -------------------------------------------------------------

SESSION_KEY = "console_login"
LOGIN_FAIL_LIMIT = 10
LOGIN_FAIL_WINDOW = 15 * 60


def _credentials() -> list[str]:
    """The secrets that open the console: the admin token and ``STOCKBRIDGE_CONSOLE_PASSWORD``."""
    settings = current_app.extensions["stockbridge.settings"]
    return [value for value in (settings.admin_token, settings.console_password) if value]


def _warehouse_credentials() -> list[str]:
    """``STOCKBRIDGE_WAREHOUSE_PASSWORD``: the label station only."""
    password = current_app.extensions["stockbridge.settings"].warehouse_password
    return [password] if password else []


def _fingerprint(secret: str, role: str = "console") -> str:
    """Stored in the session instead of the secret: rotating the token or password logs everyone out."""
    key = str(current_app.config["SECRET_KEY"]).encode("utf-8")
    return hmac.new(key, f"{role}-login:".encode() + secret.encode("utf-8"), "sha256").hexdigest()[:32]


def check_password(presented: str) -> str | None:
    """The fingerprint of the credential ``presented`` matches (constant time per credential), else None.

    An admin credential wins over the warehouse password when both are the same string."""
    matched = None
    for role, secrets in (("warehouse", _warehouse_credentials()), ("console", _credentials())):
        for secret in secrets:
            if hmac.compare_digest(presented.encode("utf-8"), secret.encode("utf-8")):
                matched = _fingerprint(secret, role)
    return matched


def _session_matches(secrets: list[str], role: str) -> bool:
    stored = session.get(SESSION_KEY)
    if not isinstance(stored, str):
        return False
    return any(hmac.compare_digest(stored, _fingerprint(secret, role)) for secret in secrets)


def logged_in() -> bool:
    """True when the session carries the fingerprint of an admin credential that is still configured."""
    return _session_matches(_credentials(), "console")


def warehouse_logged_in() -> bool:
    """True for a session opened with the warehouse password (the label station only)."""
    return _session_matches(_warehouse_credentials(), "warehouse")


def start_session(fingerprint: str) -> None:
    """A fresh session (new CSRF token too) after a successful login."""
    session.clear()
    session.permanent = True
    session[SESSION_KEY] = fingerprint


def end_session() -> None:
    session.clear()


def _fail_key() -> str:
    return f"sb:console:login-fail:{request.remote_addr or 'unknown'}"


def login_throttled() -> bool:
    """Too many wrong passwords from this address lately (best effort: no Redis, no throttle)."""
    try:
        count = current_app.extensions["stockbridge.redis"].get(_fail_key())
    except RedisError:
        return False
    return count is not None and int(count) >= LOGIN_FAIL_LIMIT


def record_login_failure() -> None:
    try:
        redis = current_app.extensions["stockbridge.redis"]
        pipe = redis.pipeline()
        pipe.incr(_fail_key())
        pipe.expire(_fail_key(), LOGIN_FAIL_WINDOW)
        pipe.execute()
    except RedisError:
        pass


def clear_login_failures() -> None:
    try:
        current_app.extensions["stockbridge.redis"].delete(_fail_key())
    except RedisError:
        pass


def safe_next(target: str | None) -> str | None:
    """Only a local console or dashboard path may follow the login (no open redirect)."""
    if not target or not target.startswith(("/console", "/rq")) or "\\" in target or "//" in target:
        return None
    return target
