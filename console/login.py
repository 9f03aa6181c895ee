"""``/console/login`` and ``/console/logout``: the admin token or ``STOCKBRIDGE_CONSOLE_PASSWORD``, or
``STOCKBRIDGE_WAREHOUSE_PASSWORD`` for the label station only (it lands there whatever ``next`` says).

The login form carries a CSRF token like every other form (no login CSRF). Wrong passwords are
counted per address in Redis; after ``LOGIN_FAIL_LIMIT`` in ``LOGIN_FAIL_WINDOW`` the form answers 429.
Passwords are never logged.
"""

from __future__ import annotations

import logging

from flask import redirect, request, url_for

from console.auth import (check_password, clear_login_failures, end_session, logged_in, login_throttled, record_login_failure, safe_next,
                          start_session, warehouse_logged_in)
from console.web import bp, page

log = logging.getLogger(__name__)


@bp.get("/login")
def login():
    if logged_in():
        return redirect(safe_next(request.args.get("next")) or url_for("console.orders"))
    if warehouse_logged_in():
        return redirect(_warehouse_target(request.args.get("next")))
    return page("console_login.html", nav=(), next=safe_next(request.args.get("next")) or "")


@bp.post("/login")
def login_submit():
    target = safe_next(request.form.get("next")) or url_for("console.orders")
    if login_throttled():
        return page("console_login.html", 429, nav=(), next=target, error="Too many wrong passwords; try again later.")
    fingerprint = check_password(request.form.get("password", ""))
    if fingerprint is None:
        record_login_failure()
        log.warning("console login refused from %s", request.remote_addr)
        return page("console_login.html", 401, nav=(), next=target, error="Wrong password or token.")
    clear_login_failures()
    start_session(fingerprint)
    return redirect(target if logged_in() else _warehouse_target(request.form.get("next")))


def _warehouse_target(requested: str | None) -> str:
    """Where a warehouse login goes: the label station, or the station page it asked for."""
    target = safe_next(requested)
    if target and target.startswith("/console/labels"):
        return target
    return url_for("console.labels")


@bp.post("/logout")
def logout():
    end_session()
    return redirect(url_for("console.login"))
