"""WooCommerce REST authentication (``WC_REST_Authentication``), re-implemented.

Quirks reproduced on purpose:

* Over plain HTTP only OAuth 1.0a "one-legged" works (params in the query,
  a form body or an ``Authorization: OAuth`` header; HMAC-SHA1 or
  HMAC-SHA256; key = ``consumer_secret + "&"``).  The base string is built
  from the site's *home URL* + request path, not from the Host header, so a
  client that signs another host name fails.
* Basic auth over plain HTTP is silently ignored: the request continues
  unauthenticated and the route's permission check answers 401
  ``woocommerce_rest_cannot_view`` (or ``_cannot_create`` ...).
* A request counts as HTTPS when ``X-Forwarded-Proto: https`` is present;
  then Basic auth and ``consumer_key``/``consumer_secret`` query params work.
* Timestamps must be within +/-15 minutes; nonces are remembered per key in
  a map *keyed by timestamp* (as WooCommerce stores them), so only the last
  nonce seen for a given second is protected against replay.
* Duplicate query parameters keep their last value (PHP ``$_GET``), which is
  why wc-api-python's "params appended twice" quirk is harmless.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, unquote, unquote_plus, urlsplit

from flask import Request

from .wpjson import WPError, php_parse_query

OAUTH_PARAMS = ("oauth_consumer_key", "oauth_timestamp", "oauth_nonce",
                "oauth_signature", "oauth_signature_method")
NONCE_WINDOW = 15 * 60
BASIC_REALM = ('Basic realm="WooCommerce API. Use a consumer key in the username field '
               'and a consumer secret in the password field."')

PERMISSION_ERRORS = {
    ("collection", "GET"): ("woocommerce_rest_cannot_view", "Sorry, you cannot list resources."),
    ("collection", "POST"): ("woocommerce_rest_cannot_create",
                             "Sorry, you are not allowed to create resources."),
    ("item", "GET"): ("woocommerce_rest_cannot_view", "Sorry, you cannot view this resource."),
    ("item", "PUT"): ("woocommerce_rest_cannot_edit", "Sorry, you are not allowed to edit this resource."),
    ("item", "DELETE"): ("woocommerce_rest_cannot_delete",
                         "Sorry, you are not allowed to delete this resource."),
    ("batch", "POST"): ("woocommerce_rest_cannot_batch",
                        "Sorry, you are not allowed to batch manipulate this resource."),
}


@dataclass
class ApiKey:
    """One row of ``wp_woocommerce_api_keys``."""

    consumer_key: str
    consumer_secret: str
    permissions: str = "read_write"
    user: str = "admin"


class NonceStore:
    """Used OAuth nonces per consumer key, ``{timestamp: nonce}`` like WooCommerce."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_key: dict[str, dict[int, str]] = {}

    def check_and_store(self, key: str, timestamp: int, nonce: str) -> bool:
        """False when the nonce was already used; otherwise remember it."""
        now = int(time.time())
        with self._lock:
            used = self._by_key.setdefault(key, {})
            if nonce in used.values():
                return False
            used[timestamp] = nonce
            for stamp in [stamp for stamp in used if stamp < now - NONCE_WINDOW]:
                del used[stamp]
            return True

    def clear(self) -> None:
        """Forget every nonce (sandbox reset)."""
        with self._lock:
            self._by_key.clear()


def is_ssl(request: Request) -> bool:
    """WordPress ``is_ssl()`` as seen behind a TLS-terminating proxy."""
    forwarded = request.headers.get("X-Forwarded-Proto", "")
    return request.scheme == "https" or forwarded.split(",")[0].strip().lower() == "https"


def _php_empty(value: Any) -> bool:
    return value in (None, "", "0", 0, [], {})


def _rfc3986(value: str) -> str:
    """``wc_rest_urlencode_rfc3986()`` = PHP ``rawurlencode``."""
    return quote(value, safe="")


def _join_with_equals_sign(params: dict[str, Any], prefix: str = "") -> list[str]:
    pairs: list[str] = []
    for key, value in params.items():
        if prefix:
            key = f"{prefix}%5B{key}%5D"
        if isinstance(value, dict):
            pairs.extend(_join_with_equals_sign(value, key))
        elif isinstance(value, list):
            pairs.extend(_join_with_equals_sign({str(i): v for i, v in enumerate(value)}, key))
        else:
            pairs.append(_rfc3986(f"{key}={value}"))
    return pairs


def _normalize(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _normalize(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_normalize(v) for v in value]
    return _rfc3986(str(value))


def signature_base_string(method: str, base_url: str, params: dict[str, Any]) -> str:
    """The string WooCommerce signs (``check_oauth_signature``)."""
    ordered = {key: params[key] for key in sorted(params, key=lambda k: k.encode("utf-8"))}
    normalized = {_rfc3986(key): _normalize(value) for key, value in ordered.items()}
    query = "%26".join(_join_with_equals_sign(normalized))
    return f"{method.upper()}&{_rfc3986(base_url)}&{query}"


def signing_url(home_url: str, path: str, ssl: bool) -> str:
    """``get_home_url(null, $request_path, is_ssl() ? 'https' : 'http')``."""
    home = urlsplit(home_url)
    wp_base = (home.path.rstrip("/") or "") + "/"
    if path.startswith(wp_base):
        path = path[len(wp_base):]
    netloc = home.netloc
    base = home.path.rstrip("/")
    return f"{'https' if ssl else 'http'}://{netloc}{base}/{path.lstrip('/')}"


def parse_authorization_header(header: str) -> dict[str, str]:
    """``WC_REST_Authentication::parse_header()``."""
    header = header.strip()
    if not header.startswith("OAuth "):
        return {}
    params: dict[str, str] = {}
    for name, quoted, bare in re.findall(r'(oauth_[a-z_-]*)=(?::?"([^"]*)"|([^,]*))', header):
        params[name] = unquote_plus(quoted or bare)
    return params


class Authenticator:
    """Decides who a REST request is, or which authentication error it gets."""

    def __init__(self, keys: list[ApiKey], home_url: str) -> None:
        self.keys = {key.consumer_key: key for key in keys}
        self.home_url = home_url
        self.nonces = NonceStore()

    def authenticate(self, request: Request) -> ApiKey | None:
        """Return the API key, None when anonymous, raise :class:`WPError` on failure."""
        query = php_parse_query(request.query_string.decode("utf-8", "replace"))
        if is_ssl(request):
            key, error = self._basic(request, query)
            if key:
                return key
            oauth_key = self._oauth(request, query, ssl=True)
            if oauth_key or error is None:
                return oauth_key
            raise error
        return self._oauth(request, query, ssl=False)

    def _basic(self, request: Request, query: dict[str, Any]) -> tuple[ApiKey | None, WPError | None]:
        ck, cs = query.get("consumer_key"), query.get("consumer_secret")
        if _php_empty(ck) or _php_empty(cs):
            auth = request.authorization
            ck, cs = (auth.username, auth.password) if auth and auth.type == "basic" else (None, None)
        if _php_empty(ck) or _php_empty(cs):
            return None, None
        key = self.keys.get(str(ck))
        if key is None:
            return None, None
        if not hmac.compare_digest(key.consumer_secret.encode(), str(cs).encode()):
            return None, WPError("woocommerce_rest_authentication_error", "Consumer secret is invalid.",
                                 401, headers={"WWW-Authenticate": BASIC_REALM})
        return key, None

    def _oauth_params(self, request: Request, query: dict[str, Any]) -> dict[str, Any]:
        params = dict(query)
        if request.mimetype == "application/x-www-form-urlencoded":
            params.update(php_parse_query(request.get_data(as_text=True)))
        params.update(parse_authorization_header(request.headers.get("Authorization", "")))
        return params

    def _oauth(self, request: Request, query: dict[str, Any], ssl: bool) -> ApiKey | None:
        params = self._oauth_params(request, query)
        missing = [name for name in OAUTH_PARAMS if _php_empty(params.get(name))]
        if len(missing) == len(OAUTH_PARAMS):
            return None
        if missing:
            noun = "parameter" if len(missing) == 1 else "parameters"
            raise WPError("woocommerce_rest_authentication_missing_parameter",
                          f"Missing OAuth {noun} {', '.join(missing)}", 401)
        key = self.keys.get(str(params["oauth_consumer_key"]))
        if key is None:
            raise WPError("woocommerce_rest_authentication_error", "Consumer key is invalid.", 401)
        self._check_signature(key, request, params, ssl)
        self._check_timestamp_and_nonce(key, params)
        return key

    def _check_signature(self, key: ApiKey, request: Request, params: dict[str, Any], ssl: bool) -> None:
        consumer_signature = unquote(str(params["oauth_signature"]).replace(" ", "+"))
        signed = {name: value for name, value in params.items() if name != "oauth_signature"}
        method = signed.get("oauth_signature_method")
        if method not in ("HMAC-SHA1", "HMAC-SHA256"):
            raise WPError("woocommerce_rest_authentication_error",
                          "Invalid signature - signature method is invalid.", 401)
        base = signature_base_string(request.method, signing_url(self.home_url, request.path, ssl), signed)
        digest = hashlib.sha1 if method == "HMAC-SHA1" else hashlib.sha256
        expected = base64.b64encode(
            hmac.new(f"{key.consumer_secret}&".encode(), base.encode("utf-8"), digest).digest()).decode()
        if not hmac.compare_digest(expected, consumer_signature):
            raise WPError("woocommerce_rest_authentication_error",
                          "Invalid signature - provided signature does not match.", 401)

    def _check_timestamp_and_nonce(self, key: ApiKey, params: dict[str, Any]) -> None:
        try:
            timestamp = int(str(params["oauth_timestamp"]))
        except ValueError:
            timestamp = 0
        if abs(timestamp - int(time.time())) > NONCE_WINDOW:
            raise WPError("woocommerce_rest_authentication_error", "Invalid timestamp.", 401)
        if not self.nonces.check_and_store(key.consumer_key, timestamp, str(params["oauth_nonce"])):
            raise WPError("woocommerce_rest_authentication_error",
                          "Invalid nonce - nonce has already been used.", 401)


def permission_error(kind: str, method: str) -> WPError:
    """The 401 a route's ``permission_callback`` gives an anonymous request."""
    if kind == "batch":
        verb = "POST"
    elif method in ("GET", "HEAD", "OPTIONS"):
        verb = "GET"
    elif kind == "item":
        verb = "DELETE" if method == "DELETE" else "PUT"
    else:
        verb = "POST"
    code, message = PERMISSION_ERRORS.get((kind, verb), PERMISSION_ERRORS[("collection", "GET")])
    return WPError(code, message, 401)


def key_permission_error(key: ApiKey, method: str) -> WPError | None:
    """``check_permissions()``: read-only keys cannot write and vice versa."""
    if method in ("GET", "HEAD"):
        if key.permissions not in ("read", "read_write"):
            return WPError("woocommerce_rest_authentication_error",
                           "The API key provided does not have read permissions.", 401)
    elif method in ("POST", "PUT", "PATCH", "DELETE"):
        if key.permissions not in ("write", "read_write"):
            return WPError("woocommerce_rest_authentication_error",
                           "The API key provided does not have write permissions.", 401)
    return None
