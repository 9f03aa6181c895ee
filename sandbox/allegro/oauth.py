"""The OAuth site (``https://allegro.pl``): device flow, token grants, the consent page.

``POST /auth/oauth/device``  form ``client_id``, HTTP Basic ``client_id:client_secret`` -> device + user code.
``POST /auth/oauth/token``   Basic client auth, parameters in the FORM BODY only (any OAuth parameter in
    the query string -> 400 ``invalid_request``, allegro-api#12574): device_code and refresh_token grants.
``GET|POST /skojarz-aplikacje``  the page where the seller types/confirms the user code ("Pozwól").
"""

from __future__ import annotations

import hmac
from html import escape

from flask import Blueprint, Response, current_app, request

from .replies import oauth_error, plain_json

bp = Blueprint("allegro_oauth", __name__)
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
OAUTH_PARAMS = frozenset({"grant_type", "device_code", "refresh_token", "client_id", "client_secret", "code",
                          "redirect_uri", "code_verifier", "scope", "username", "password"})
CONSENT_PATH = "/skojarz-aplikacje"


def _sandbox():
    return current_app.extensions["allegro_sandbox"]


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else float(value)


def _client_refusal() -> Response | None:
    """Basic ``client_id:client_secret`` must match; else 401 ``invalid_client``."""
    config = _sandbox().config
    auth = request.authorization
    ok = auth is not None and (auth.type or "").lower() == "basic" and \
        hmac.compare_digest(str(auth.username or "").encode(), str(config["CLIENT_ID"]).encode()) and \
        hmac.compare_digest(str(auth.password or "").encode(), str(config["CLIENT_SECRET"]).encode())
    if ok:
        return None
    return oauth_error(401, "invalid_client", "Bad client credentials",
                       {"WWW-Authenticate": 'Basic realm="allegro"'})


def _query_refusal() -> Response | None:
    if OAUTH_PARAMS & set(request.args.keys()):
        return oauth_error(400, "invalid_request", "OAuth parameters must be sent in the request body")
    return None


@bp.post("/auth/oauth/device")
def device():
    """Start the device flow; ``verification_uri_complete`` opens the consent page with the code filled in."""
    refusal = _query_refusal() or _client_refusal()
    if refusal is not None:
        return refusal
    config = _sandbox().config
    if request.form.get("client_id") != config["CLIENT_ID"]:
        return oauth_error(400, "invalid_request", "Missing or wrong client_id in the request body")
    started = _sandbox().tokens.start_device(config["CLIENT_ID"], float(config["DEVICE_TTL"]),
                                             float(config["DEVICE_INTERVAL"]))
    base = (config.get("PUBLIC_URL") or request.host_url).rstrip("/")
    return plain_json({"device_code": started.device_code, "user_code": started.user_code,
                       "verification_uri": f"{base}{CONSENT_PATH}",
                       "verification_uri_complete": f"{base}{CONSENT_PATH}?code={started.user_code}",
                       "expires_in": _number(config["DEVICE_TTL"]), "interval": _number(config["DEVICE_INTERVAL"])})


@bp.post("/auth/oauth/token")
def token():
    """device_code grant (pending / slow_down / invalid_grant / tokens once) or refresh_token (rotation)."""
    refusal = _query_refusal() or _client_refusal()
    if refusal is not None:
        return refusal
    grant_type = request.form.get("grant_type", "")
    if grant_type == DEVICE_GRANT:
        return _device_grant(request.form.get("device_code", ""))
    if grant_type == "refresh_token":
        return _refresh_grant(request.form.get("refresh_token", ""))
    if not grant_type:
        return oauth_error(400, "invalid_request", "Missing grant_type")
    return oauth_error(400, "unsupported_grant_type", f"Unsupported grant type: {grant_type}")


def _pair(grant) -> Response:
    return plain_json(grant.token_json(int(_sandbox().config["ACCESS_TTL"])))


def _device_grant(device_code: str) -> Response:
    state = _sandbox()
    config = state.config
    if not device_code:
        return oauth_error(400, "invalid_request", "Missing device_code")
    outcome = state.tokens.poll(device_code, config["CLIENT_ID"], bool(config["AUTO_APPROVE"]))
    if isinstance(outcome, str):
        return oauth_error(400, outcome, {"invalid_grant": "Invalid device code",
                                          "access_denied": "The user denied access"}.get(outcome))
    return _pair(state.tokens.issue(config["CLIENT_ID"], float(config["ACCESS_TTL"]), float(config["REFRESH_TTL"])))


def _refresh_grant(refresh_token: str) -> Response:
    config = _sandbox().config
    grant = _sandbox().tokens.rotate(refresh_token, config["CLIENT_ID"], float(config["ACCESS_TTL"]),
                                     float(config["REFRESH_TTL"]))
    if grant is None:
        return oauth_error(400, "invalid_grant", "Invalid refresh token")
    return _pair(grant)


PAGE = """<!doctype html>
<html lang="pl"><head><meta charset="utf-8"><title>Powiąż aplikację | Allegro (sandbox)</title></head>
<body><h1>Powiąż aplikację z kontem Allegro</h1>{content}</body></html>"""


def _page(content: str, status: int = 200) -> Response:
    return Response(PAGE.format(content=content), status=status, mimetype="text/html")


@bp.get(CONSENT_PATH)
def consent_page():
    """The page ``verification_uri(_complete)`` opens: with a valid code a "Pozwól" form, else a code box."""
    code = request.args.get("code", "").strip()
    if code and _sandbox().tokens.pending(code) is not None:
        name = escape(str(_sandbox().config["APP_NAME"]))
        return _page(f"""<p>Aplikacja <b>{name}</b> prosi o dostęp do Twojego konta.</p>
<p>Kod: <code>{escape(code.upper())}</code></p>
<form method="post" action="{CONSENT_PATH}"><input type="hidden" name="code" value="{escape(code)}">
<button type="submit" name="decision" value="allow">Pozwól</button>
<button type="submit" name="decision" value="deny">Anuluj</button></form>""")
    note = "<p>Kod jest nieprawidłowy lub wygasł.</p>" if code else ""
    return _page(f"""{note}<form method="get" action="{CONSENT_PATH}"><label>Kod z aplikacji
<input name="code" maxlength="9"></label> <button type="submit">Dalej</button></form>""")


@bp.post(CONSENT_PATH)
def consent_submit():
    """The seller's decision: ``code`` + ``decision=allow|deny`` (allow when omitted)."""
    allow = request.form.get("decision", "allow") != "deny"
    decided = _sandbox().tokens.decide(request.form.get("code", ""), allow)
    if decided is None:
        return _page("<p>Kod jest nieprawidłowy lub wygasł.</p>", 400)
    text = "Aplikacja została powiązana z Twoim kontem." if allow else "Odmówiono dostępu aplikacji."
    return _page(f"<p>{text} Możesz wrócić do aplikacji.</p>")
