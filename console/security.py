"""CSRF and response headers for the cookie-authenticated parts (the console and ``/rq``).

CSRF: flask-wtf's :class:`CSRFProtect` checks every POST/PUT/PATCH/DELETE of the application
(fail closed), except the blueprints that are not cookie-authenticated: the webhook receivers
(HMAC-signed) and the bearer-token JSON API. A new receiver blueprint must be exempted here.

Session cookie: HttpOnly, SameSite=Lax, ``Secure`` when ``STOCKBRIDGE_CONSOLE_SECURE_COOKIE=1`` (behind
HTTPS); lifetime :data:`SESSION_HOURS`.
"""

from __future__ import annotations

import os
from datetime import timedelta

from flask import Flask, render_template, request
from flask_wtf.csrf import CSRFError, CSRFProtect

SESSION_HOURS = 12

#: Console pages: our own CSS and the countdown script only; no framing, forms post to us only.
CONSOLE_CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
               "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
COMMON_HEADERS = {"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY",
                  "Referrer-Policy": "same-origin", "Cache-Control": "no-store"}


def init_security(app: Flask, exempt_blueprints) -> CSRFProtect:
    """Configure the session cookie, enable CSRF with ``exempt_blueprints`` exempt, add headers."""
    app.config.update(SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax",
                      SESSION_COOKIE_NAME="stockbridge_session",
                      SESSION_COOKIE_SECURE=os.environ.get("STOCKBRIDGE_CONSOLE_SECURE_COOKIE") == "1",
                      PERMANENT_SESSION_LIFETIME=timedelta(hours=SESSION_HOURS),
                      WTF_CSRF_TIME_LIMIT=SESSION_HOURS * 3600)
    csrf = CSRFProtect(app)
    for blueprint in exempt_blueprints:
        csrf.exempt(blueprint)
    app.after_request(_headers)
    app.register_error_handler(CSRFError, _csrf_failed)
    return csrf


def _headers(response):
    """Security headers on console and dashboard answers (the JSON API and receivers are left alone)."""
    if request.blueprint == "console":
        response.headers.setdefault("Content-Security-Policy", CONSOLE_CSP)
    if request.blueprint in ("console", "rq_dashboard"):
        for name, value in COMMON_HEADERS.items():
            if name != "Cache-Control" or not (request.endpoint or "").endswith(".static"):
                response.headers.setdefault(name, value)
    return response


def _csrf_failed(exc: CSRFError):
    """400 with a readable page (the console) or JSON (anything else)."""
    if request.blueprint == "console":
        return render_template("console_missing.html", nav=(), what=None, csrf_reason=exc.description), 400
    return {"status": 400, "message": f"CSRF check failed: {exc.description}"}, 400
