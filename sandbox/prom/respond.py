"""Helpers shared by the blueprints: the app's state, the render view and Prom's error bodies."""

from __future__ import annotations

from flask import Response, current_app, jsonify, request

from .models import LANGUAGES
from .serialize import View

API_PREFIX = "/api/v1"
NGINX_STATUSES = {502: "Bad Gateway", 503: "Service Temporarily Unavailable", 504: "Gateway Time-out"}


def sandbox():
    return current_app.extensions["prom_sandbox"]


def view() -> View:
    """Rendering for this request: ``X-LANGUAGE: uk|ru`` (else the ``LANGUAGE`` config key)."""
    config = sandbox().config
    lang = (request.headers.get("X-LANGUAGE") or "").strip().lower()
    return View(lang if lang in LANGUAGES else config["LANGUAGE"],
                tuple(sorted(config["CUSTOM_STATUSES"].items())), config["THOUSANDS_SEPARATOR"], config["SHOP_URL"])


def error(status: int, text: str, errors: dict | None = None, headers: dict | None = None) -> Response:
    """Prom's JSON error: ``{"error": text}`` plus ``"errors": {field: text}`` for 400s [unv]."""
    body: dict = {"error": text}
    if errors is not None:
        body["errors"] = errors
    response = jsonify(body)
    response.status_code = status
    response.headers.update(headers or {})
    return response


def not_found() -> Response:
    return error(404, "Not found")


def proxy_page(status: int) -> Response:
    """What the front proxy answers for 502/503/504: an nginx HTML page, not JSON."""
    title = f"{status} {NGINX_STATUSES.get(status, 'Error')}"
    page = f"<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n<center><h1>{title}</h1></center>\r\n" \
           "<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
    return Response(page, status=status, mimetype="text/html")


def json_body() -> object:
    """The request's JSON (any Content-Type), or None when it is not JSON."""
    return request.get_json(silent=True, force=True)
