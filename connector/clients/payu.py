"""PayU REST API v2.1 (Poland/EMEA): notification signature (pure) and an I/O-only client.

Reference: ``reference/payments.md`` section 2; https://developers.payu.com/europe/docs/ .

Notifications carry ``OpenPayu-Signature`` (also ``X-OpenPayU-Signature``):
``sender=checkout;signature=<hex>;algorithm=MD5|SHA-256|...;content=DOCUMENT`` in any order. The
signature is ``hex(HASH(raw_body_bytes + second_key))``: hash the bytes exactly as received, never
a re-serialised body. Many POS still sign with MD5, which we accept only when asked to.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from urllib.parse import quote

from connector.clients.http import DEFAULT_TIMEOUT, HttpClient
from connector.errors import AuthError, PermanentError

SANDBOX_URL = "https://secure.snd.payu.com"
PRODUCTION_URL = "https://secure.payu.com"
OAUTH_PATH = "/pl/standard/user/oauth/authorize"
SIGNATURE_HEADERS = ("OpenPayu-Signature", "X-OpenPayU-Signature")

#: ``algorithm`` header value (upper case, dashes removed) -> hashlib name.
ALGORITHMS = {"MD5": "md5", "SHA1": "sha1", "SHA256": "sha256", "SHA384": "sha384", "SHA512": "sha512"}
#: Digests accepted only with ``allow_md5=True``.
WEAK_ALGORITHMS = frozenset({"md5", "sha1"})
#: ``status.statusCode`` values of a created order that mean "send the buyer to redirectUri".
CREATE_OK_CODES = frozenset({"SUCCESS", "WARNING_CONTINUE_REDIRECT", "WARNING_CONTINUE_3DS",
                             "WARNING_CONTINUE_CVV"})


# --------------------------------------------------------------------------- signature (pure)

def parse_signature_header(header: str | None) -> dict[str, str] | None:
    """``"sender=..;signature=..;algorithm=..;content=DOCUMENT"`` -> dict with lower-case keys.

    None when the header is absent or garbled (no ``signature`` or no ``algorithm``).
    """
    if not header or not isinstance(header, str):
        return None
    parts: dict[str, str] = {}
    for chunk in header.split(";"):
        key, sep, value = chunk.partition("=")
        if sep:
            parts[key.strip().lower()] = value.strip()
    if not parts.get("signature") or not parts.get("algorithm"):
        return None
    return parts


def hash_name(algorithm: str) -> str | None:
    """hashlib name for a header ``algorithm`` (``SHA-256``, ``SHA256``, ``sha-256``...); None if unknown."""
    return ALGORITHMS.get(algorithm.strip().upper().replace("-", "").replace("_", ""))


def expected_signature(raw_body: bytes, second_key: str, algorithm: str) -> str:
    """``hex(HASH(raw_body + second_key))``; ValueError for an unknown algorithm."""
    name = hash_name(algorithm)
    if name is None:
        raise ValueError(f"unsupported signature algorithm {algorithm!r}")
    return hashlib.new(name, raw_body + second_key.encode("utf-8")).hexdigest()


def check_signature(raw_body: bytes, header: str | None, second_key: str, *, allow_md5: bool = False) -> bool:
    """True when ``header`` (the OpenPayu-Signature value) signs ``raw_body`` with ``second_key``.

    ``raw_body`` must be the request bytes as received (Flask: ``request.get_data()`` before
    ``request.json``). MD5 and SHA-1 count only with ``allow_md5=True``: enable it for POS that
    PayU still signs with MD5, or their notifications are refused. Never raises; a missing,
    garbled or unknown-algorithm header is False. Constant-time comparison.
    """
    parts = parse_signature_header(header)
    if parts is None or not isinstance(raw_body, (bytes, bytearray)):
        return False
    name = hash_name(parts["algorithm"])
    if name is None or (name in WEAK_ALGORITHMS and not allow_md5):
        return False
    expected = expected_signature(bytes(raw_body), second_key, parts["algorithm"])
    return hmac.compare_digest(parts["signature"].lower().encode("utf-8"), expected.encode("ascii"))


def signature_header(headers: Mapping[str, str]) -> str | None:
    """The signature header from any header mapping, matching both names case-insensitively."""
    wanted = {name.lower() for name in SIGNATURE_HEADERS}
    for key, value in headers.items():
        if key.lower() in wanted and value:
            return value
    return None


# --------------------------------------------------------------------------- client (I/O only)

@dataclass(frozen=True)
class PayUSettings:
    """One POS: ``client_id`` is usually the POS id; ``second_key`` checks notifications."""

    pos_id: str
    client_id: str
    client_secret: str
    second_key: str
    base_url: str = SANDBOX_URL
    timeout: float | tuple[float, float] = DEFAULT_TIMEOUT

    def __repr__(self) -> str:  # keep the secrets out of tracebacks and logs
        return f"PayUSettings(pos_id={self.pos_id!r}, client_id={self.client_id!r}, base_url={self.base_url!r})"


@dataclass(frozen=True)
class CreatedOrder:
    """Answer of ``create_order``: send the buyer to ``redirect_uri``; ``order_id`` is PayU's id."""

    order_id: str
    redirect_uri: str
    ext_order_id: str
    status_code: str


def _require_minor(amount: object) -> int:
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise TypeError("PayU amounts are integers in minor units (use mappers.payments.to_minor)")
    return amount


class PayUClient:
    """OAuth ``client_credentials`` bearer token (cached until shortly before it expires) on every
    ``/api/v2_1`` call; typed errors; every call with a timeout; redirects never followed."""

    #: Renew the token this long before PayU's ``expires_in`` runs out (at most a tenth of it).
    TOKEN_MARGIN = 60.0

    def __init__(self, pos_id: str, client_id: str, client_secret: str, second_key: str,
                 base_url: str = SANDBOX_URL, *, timeout: float | tuple[float, float] = DEFAULT_TIMEOUT,
                 session=None, clock: Callable[[], float] = time.monotonic):
        self.settings = PayUSettings(str(pos_id), str(client_id), client_secret, second_key,
                                     base_url.rstrip("/"), timeout)
        self.http = HttpClient(self.settings.base_url, name="PayU", timeout=timeout, session=session)
        self._clock = clock
        self._token: tuple[str, float] | None = None
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: PayUSettings, session=None) -> PayUClient:
        return cls(settings.pos_id, settings.client_id, settings.client_secret, settings.second_key,
                   settings.base_url, timeout=settings.timeout, session=session)

    # ---- OAuth

    def access_token(self) -> str:
        """``POST /pl/standard/user/oauth/authorize`` (form-encoded; a JSON body gets 401).

        Cached in this instance until ``expires_in`` (43199 s) minus a margin. Bad credentials
        -> AuthError.
        """
        with self._lock:
            if self._token and self._clock() < self._token[1]:
                return self._token[0]
            form = {"grant_type": "client_credentials", "client_id": self.settings.client_id,
                    "client_secret": self.settings.client_secret}
            body = self.http.request_json("POST", OAUTH_PATH, data=form, idempotent=True)
            token, ttl = body.get("access_token"), float(body.get("expires_in") or 0)
            if not token:
                raise AuthError("PayU OAuth: answer without access_token")
            self._token = (token, self._clock() + ttl - min(self.TOKEN_MARGIN, ttl / 10))
            return token

    def forget_token(self) -> None:
        """Drop the cached token (the next call fetches a new one)."""
        with self._lock:
            self._token = None

    def _api(self, method: str, path: str, **kwargs):
        """One ``/api/v2_1`` call with the bearer token; a 401/403 drops the token and retries once
        (PayU may have revoked it before ``expires_in``)."""
        try:
            return self.http.request(method, path, headers=self._bearer(), **kwargs)
        except AuthError:
            self.forget_token()
        return self.http.request(method, path, headers=self._bearer(), **kwargs)

    def _bearer(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token()}"}

    def _api_json(self, method: str, path: str, **kwargs):
        response = self._api(method, path, **kwargs)
        return self.http.decode(response, method, path, idempotent=kwargs.get("idempotent"))

    # ---- orders

    def create_order(self, *, ext_order_id: str, total_amount: int, currency: str, description: str,
                     customer_ip: str, notify_url: str, continue_url: str | None = None,
                     buyer: Mapping | None = None, products: list[Mapping] | None = None,
                     extra: Mapping | None = None) -> CreatedOrder:
        """``POST /api/v2_1/orders`` -> CreatedOrder (redirectUri + orderId).

        PayU answers **302** with a JSON body (or 200/201): the redirect is read, never followed,
        or the client would land on the payment page. ``ext_order_id`` must be unique per POS
        (a repeat answers ``ERROR_ORDER_NOT_UNIQUE``), so use one per payment attempt. Amounts are
        minor units; ``products`` default to one line for the whole amount. Not idempotent: a read
        timeout is an AmbiguousError.
        """
        body = {**(extra or {}), "notifyUrl": notify_url, "customerIp": customer_ip,
                "merchantPosId": self.settings.pos_id, "description": description, "currencyCode": currency,
                "totalAmount": str(_require_minor(total_amount)), "extOrderId": ext_order_id,
                "products": list(products or [{"name": description, "unitPrice": str(total_amount),
                                               "quantity": "1"}])}
        if continue_url:
            body["continueUrl"] = continue_url
        if buyer:
            body["buyer"] = dict(buyer)
        answer = self._api_json("POST", "/api/v2_1/orders", json=body, allow_redirect=True)
        code = (answer.get("status") or {}).get("statusCode", "")
        if code not in CREATE_OK_CODES or not answer.get("orderId"):
            raise PermanentError(f"PayU create order: status {code or 'missing'}", code=code or None)
        return CreatedOrder(answer["orderId"], answer.get("redirectUri", ""), answer.get("extOrderId", ext_order_id),
                            code)

    def retrieve_order(self, order_id: str) -> dict:
        """``GET /api/v2_1/orders/{orderId}`` -> the order (``orders[0]``); ``DATA_NOT_FOUND`` -> NotFound.

        Right after a notification this may still show the previous status (read-back lag): trust
        the verified notification.
        """
        answer = self._api_json("GET", f"/api/v2_1/orders/{quote(order_id, safe='')}")
        orders = answer.get("orders") or []
        if not orders:
            raise PermanentError(f"PayU retrieve order {order_id}: no order in the answer")
        return orders[0]

    def capture(self, order_id: str) -> None:
        """``POST /api/v2_1/orders/{orderId}/captures``: accept a WAITING_FOR_CONFIRMATION payment."""
        self._api_json("POST", f"/api/v2_1/orders/{quote(order_id, safe='')}/captures", idempotent=True)

    def cancel(self, order_id: str) -> dict:
        """``DELETE /api/v2_1/orders/{orderId}`` -> ``{"status", "orderId", "extOrderId"}``."""
        return self._api_json("DELETE", f"/api/v2_1/orders/{quote(order_id, safe='')}")

    # ---- refunds

    def refund(self, order_id: str, *, ext_refund_id: str, amount: int | None = None,
               description: str = "Refund") -> dict:
        """``POST /api/v2_1/orders/{orderId}/refunds`` -> the ``refund`` object (status PENDING).

        No ``amount`` = full refund. ``ext_refund_id`` is OUR idempotency key (derive it from the
        refund intent): PayU needs it for concurrent partial refunds and a retry repeats it. A
        read timeout is an AmbiguousError: look the refund up in ``list_refunds`` before retrying.
        """
        refund = {"description": description, "extRefundId": ext_refund_id}
        if amount is not None:
            refund["amount"] = _require_minor(amount)
        answer = self._api_json("POST", f"/api/v2_1/orders/{quote(order_id, safe='')}/refunds",
                                json={"refund": refund})
        return answer.get("refund") or {}

    def list_refunds(self, order_id: str) -> list[dict]:
        """``GET /api/v2_1/orders/{orderId}/refunds`` -> refunds (statuses PENDING, FINALIZED, CANCELED)."""
        return self._api_json("GET", f"/api/v2_1/orders/{quote(order_id, safe='')}/refunds").get("refunds") or []

    def check_notification(self, raw_body: bytes, headers: Mapping[str, str], *, allow_md5: bool = False) -> bool:
        """``check_signature`` with this POS's second key, reading either signature header."""
        return check_signature(raw_body, signature_header(headers), self.settings.second_key, allow_md5=allow_md5)
