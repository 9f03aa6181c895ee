"""rq-dashboard 0.9.0 mounted at ``/rq`` behind the console login.

The package's blueprint is a module-level object shared by every app, so nothing is added to it:
the login guard and the CSRF cookie are registered on the application under the blueprint's name
(``app.before_request_funcs["rq_dashboard"]``), the guard ahead of the dashboard's own hook.
The dashboard's JavaScript sends the ``_csrf_token`` cookie back as ``X-CSRFToken`` on its POSTs
(delete, requeue, empty), so those pass the application's CSRF check like the console's forms.
"""

from __future__ import annotations

import rq_dashboard
from flask import Flask, redirect, request, url_for
from flask_wtf.csrf import generate_csrf
from rq_dashboard.web import setup_rq_connection

from console.auth import logged_in

URL_PREFIX = "/rq"
CSRF_COOKIE = "_csrf_token"


def mount(app: Flask, redis_url: str) -> None:
    """Register the dashboard at ``/rq`` for ``redis_url``, guarded by the console login."""
    app.config.setdefault("RQ_DASHBOARD_REDIS_URL", redis_url)
    app.config.setdefault("RQ_DASHBOARD_POLL_INTERVAL", 2500)
    app.register_blueprint(rq_dashboard.blueprint, url_prefix=URL_PREFIX)
    setup_rq_connection(app)
    app.before_request_funcs.setdefault(rq_dashboard.blueprint.name, []).insert(0, _require_login)
    app.after_request_funcs.setdefault(rq_dashboard.blueprint.name, []).append(_csrf_cookie)


def _require_login():
    """Not logged in: pages go to the login, data and actions get 401. Requeue-all only by POST."""
    if not logged_in():
        if request.method == "GET" and not request.path.endswith(".json"):
            return redirect(url_for("console.login", next=request.full_path.rstrip("?")))
        return {"status": 401, "message": "log in to the console first"}, 401
    if request.endpoint == "rq_dashboard.requeue_all" and request.method != "POST":
        return {"status": 405, "message": "requeue-all needs POST"}, 405
    return None


def _csrf_cookie(response):
    """The token the dashboard's script reads (same path, SameSite=Strict; not a credential by itself)."""
    if logged_in():
        response.set_cookie(CSRF_COOKIE, generate_csrf(), path=URL_PREFIX, samesite="Strict", httponly=False,
                            secure=request.is_secure)
    return response
