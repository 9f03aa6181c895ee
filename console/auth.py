"""Authentication for the JSON API: ``Authorization: Bearer <STOCKBRIDGE_ADMIN_TOKEN>``, constant time."""

from __future__ import annotations

import functools
import hmac

from flask import current_app, jsonify, request


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
