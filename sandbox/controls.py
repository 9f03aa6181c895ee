"""Helpers shared by the sandboxes' ``/__sandbox__`` test controls (no auth, JSON in and out)."""

from __future__ import annotations

from flask import Response, jsonify, request


def problem(status: int, message: str, **extra) -> Response:
    """A control refused: ``{"error": message, ...}`` with ``status``."""
    response = jsonify({"error": message, **extra})
    response.status_code = status
    return response


def json_options() -> dict:
    """The control's JSON body as a dict; anything else (no body, a list, garbage) counts as no options."""
    body = request.get_json(silent=True, force=True)
    return body if isinstance(body, dict) else {}
