"""Przelewy24 REST API v1: ``sign`` routines (pure) and an I/O-only client.

Reference: ``reference/payments.md`` section 1; https://developers.przelewy24.pl (REST API 1.0.16).

``sign`` = lowercase hex SHA-384 over the UTF-8 bytes of a *compact* JSON object holding the
documented fields in the documented order with the CRC key appended as ``"crc"``; non-ASCII and
``/`` are NOT escaped (PHP ``JSON_UNESCAPED_UNICODE|JSON_UNESCAPED_SLASHES``). Integer fields must
stay JSON integers: ``"amount":"1500"`` hashes differently from ``"amount":1500``.

A valid notification ``sign`` is not a payment: the money reaches the merchant only after
``PUT /api/v1/transaction/verify``, and P24 keeps re-sending the notification until that call
succeeds (3, 5, 15, 30, 60, 150, 450 min). No notification is ever sent for a failed payment.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import quote

from connector.clients.http import DEFAULT_TIMEOUT, HttpClient, remote_reason
from connector.errors import PermanentError

SANDBOX_URL = "https://sandbox.przelewy24.pl"
PRODUCTION_URL = "https://secure.przelewy24.pl"

REGISTER_FIELDS = ("sessionId", "merchantId", "amount", "currency")
VERIFY_FIELDS = ("sessionId", "orderId", "amount", "currency")
NOTIFICATION_FIELDS = ("merchantId", "posId", "sessionId", "amount", "originAmount", "currency", "orderId",
                       "methodId", "statement")
#: ``requestId`` and ``timestamp`` are in the refund notification body but not in its sign.
REFUND_NOTIFICATION_FIELDS = ("orderId", "sessionId", "refundsUuid", "merchantId", "amount", "currency", "status")
INTEGER_FIELDS = frozenset({"merchantId", "posId", "amount", "originAmount", "orderId", "methodId", "status"})


# --------------------------------------------------------------------------- signing (pure)

def canonical_json(obj: Mapping[str, object]) -> str:
    """Compact JSON with non-ASCII and ``/`` unescaped, keys in their given order (PHP
    ``json_encode(..., JSON_UNESCAPED_UNICODE|JSON_UNESCAPED_SLASHES)``)."""
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


def sign_json(fields: Mapping[str, object], crc: str) -> str:
    """The exact JSON text that is hashed: ``fields`` in their order, then ``"crc"``."""
    return canonical_json({**fields, "crc": crc})


def sign(fields: Mapping[str, object], crc: str) -> str:
    """Hex SHA-384 of ``sign_json(fields, crc)``; ``fields`` must already be in the documented order."""
    return hashlib.sha384(sign_json(fields, crc).encode("utf-8")).hexdigest()


def register_sign(*, session_id: str, merchant_id: int, amount: int, currency: str, crc: str) -> str:
    """``sign`` of ``POST /transaction/register``: sessionId, merchantId, amount, currency, crc."""
    return sign({"sessionId": session_id, "merchantId": merchant_id, "amount": amount, "currency": currency}, crc)


def verify_sign(*, session_id: str, order_id: int, amount: int, currency: str, crc: str) -> str:
    """``sign`` of ``PUT /transaction/verify``: sessionId, orderId, amount, currency, crc."""
    return sign({"sessionId": session_id, "orderId": order_id, "amount": amount, "currency": currency}, crc)


def _typed(name: str, value: object) -> object:
    """Coerce one field to its JSON type (integers arrive as strings if a body was form-encoded)."""
    if name in INTEGER_FIELDS:
        if isinstance(value, bool) or not isinstance(value, (int, str)):
            raise ValueError(f"{name} is not an integer")
        return int(value)
    return value if value is None else str(value)


def _fields_of(payload: Mapping[str, object], names: Sequence[str]) -> dict[str, object]:
    """The named fields of ``payload``, typed, in sign order. KeyError/ValueError when unusable."""
    return {name: _typed(name, payload[name]) for name in names}


def notification_sign(payload: Mapping[str, object], crc: str) -> str:
    """Expected ``sign`` of a transaction notification (the urlStatus POST body, parsed).

    Raises KeyError for a missing field and ValueError for a non-integer where an integer belongs.
    """
    return sign(_fields_of(payload, NOTIFICATION_FIELDS), crc)


def refund_notification_sign(payload: Mapping[str, object], crc: str) -> str:
    """Expected ``sign`` of a refund notification (errors as ``notification_sign``)."""
    return sign(_fields_of(payload, REFUND_NOTIFICATION_FIELDS), crc)


def _matches(payload: Mapping[str, object], expected: str) -> bool:
    given = payload.get("sign")
    if not isinstance(given, str):
        return False
    return hmac.compare_digest(given.strip().lower().encode("utf-8"), expected.encode("ascii"))


def _account_matches(payload: Mapping[str, object], merchant_id: int | None, pos_id: int | None) -> bool:
    try:
        if merchant_id is not None and int(payload["merchantId"]) != int(merchant_id):
            return False
        return pos_id is None or int(payload["posId"]) == int(pos_id)
    except (KeyError, TypeError, ValueError):
        return False


def check_notification(payload: Mapping[str, object], crc: str, *, merchant_id: int | None = None,
                       pos_id: int | None = None) -> bool:
    """True when a parsed transaction notification carries the right ``sign`` (constant-time compare).

    ``payload`` is the JSON body as a dict (form-encoded bodies work too: integers are cast).
    With ``merchant_id``/``pos_id`` the body must also name our account: a sign made with a CRC
    shared by several POS proves nothing about which POS was paid. Never raises; a missing or
    mistyped field is False. True still does not mean "paid": call ``Przelewy24Client.verify``.
    """
    try:
        expected = notification_sign(payload, crc)
    except (KeyError, TypeError, ValueError):
        return False
    return _matches(payload, expected) and _account_matches(payload, merchant_id, pos_id)


def check_refund_notification(payload: Mapping[str, object], crc: str, *, merchant_id: int | None = None) -> bool:
    """True when a parsed refund notification carries the right ``sign`` (``status`` 0 done, 1 rejected)."""
    try:
        expected = refund_notification_sign(payload, crc)
    except (KeyError, TypeError, ValueError):
        return False
    return _matches(payload, expected) and _account_matches(payload, merchant_id, None)


# --------------------------------------------------------------------------- client (I/O only)

class DuplicateRefundRequest(PermanentError):
    """P24 already holds a refund with this ``requestId`` (400 "Request already exists").

    After an ambiguous refund call this means the first attempt went through: look it up with
    ``Przelewy24Client.refunds_by_order_id`` instead of retrying.
    """


@dataclass(frozen=True)
class Przelewy24Settings:
    """One point of sale. ``api_key`` is the panel's reports key; ``crc`` signs, never authenticates."""

    pos_id: int
    merchant_id: int
    api_key: str
    crc: str
    base_url: str = SANDBOX_URL
    timeout: float | tuple[float, float] = DEFAULT_TIMEOUT

    def __repr__(self) -> str:  # keep the keys out of tracebacks and logs
        return f"Przelewy24Settings(pos_id={self.pos_id}, merchant_id={self.merchant_id}, base_url={self.base_url!r})"


@dataclass(frozen=True)
class Registration:
    """Answer of ``register``: the transaction token and where to send the buyer."""

    token: str
    redirect_url: str


@dataclass(frozen=True)
class RefundItem:
    """One entry of a refund request; ``amount`` in grosze, ``description`` at most 35 characters."""

    order_id: int
    session_id: str
    amount: int
    description: str = ""

    def as_json(self) -> dict:
        return {"orderId": self.order_id, "sessionId": self.session_id, "amount": self.amount,
                "description": self.description}


def _require_minor(amount: object) -> int:
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise TypeError("P24 amounts are integers in grosze (use mappers.payments.to_minor)")
    return amount


def _host(base_url: str) -> str:
    """Accept ``https://host`` as well as ``https://host/api/v1``."""
    base = base_url.rstrip("/")
    return base[: -len("/api/v1")] if base.endswith("/api/v1") else base


class Przelewy24Client:
    """HTTP Basic (user = posId, password = API key) over ``/api/v1``; every call has a timeout and
    raises the typed errors of ``connector.errors``. Amounts are integers in the lowest unit."""

    def __init__(self, pos_id: int, merchant_id: int, api_key: str, crc: str, base_url: str = SANDBOX_URL, *,
                 timeout: float | tuple[float, float] = DEFAULT_TIMEOUT, session=None):
        self.settings = Przelewy24Settings(int(pos_id), int(merchant_id), api_key, crc, _host(base_url), timeout)
        self.http = HttpClient(self.settings.base_url, name="Przelewy24", timeout=timeout, session=session,
                               auth=(str(self.settings.pos_id), api_key))

    @classmethod
    def from_settings(cls, settings: Przelewy24Settings, session=None) -> Przelewy24Client:
        return cls(settings.pos_id, settings.merchant_id, settings.api_key, settings.crc, settings.base_url,
                   timeout=settings.timeout, session=session)

    def test_access(self) -> bool:
        """``GET /api/v1/testAccess``: True when the posId / API key pair is accepted (401 -> AuthError)."""
        return self.http.request_json("GET", "/api/v1/testAccess").get("data") is True

    def register(self, *, session_id: str, amount: int, currency: str, description: str, email: str,
                 url_return: str, url_status: str | None = None, country: str = "PL", language: str = "pl",
                 extra: Mapping[str, object] | None = None) -> Registration:
        """``POST /api/v1/transaction/register`` -> token and ``https://{host}/trnRequest/{token}``.

        ``session_id`` (<= 100 chars) must be new for every payment attempt. ``extra`` adds optional
        P24 fields by their API names (``timeLimit``, ``channel``, ``method``, ``client``, ...).
        A wrong sign answers 400 "Incorrect CRC value" (PermanentError). Not idempotent: a read
        timeout is an AmbiguousError (query ``by_session_id`` before registering again).
        """
        body = {**(extra or {}), "merchantId": self.settings.merchant_id, "posId": self.settings.pos_id,
                "sessionId": session_id, "amount": _require_minor(amount), "currency": currency,
                "description": description, "email": email, "country": country, "language": language,
                "urlReturn": url_return,
                "sign": register_sign(session_id=session_id, merchant_id=self.settings.merchant_id,
                                      amount=amount, currency=currency, crc=self.settings.crc)}
        if url_status:
            body["urlStatus"] = url_status
        data = self.http.request_json("POST", "/api/v1/transaction/register", json=body).get("data") or {}
        token = data.get("token")
        if not token:
            raise PermanentError("Przelewy24 register: answer without a token")
        return Registration(token, f"{self.settings.base_url}/trnRequest/{token}")

    def verify(self, *, session_id: str, order_id: int, amount: int, currency: str) -> None:
        """``PUT /api/v1/transaction/verify``: accept the payment; without it P24 keeps the money.

        Pass OUR expected ``amount`` (the one stored for ``session_id``), never the notification's:
        P24 refuses a verify whose amount differs from what was paid. Verifying again is harmless,
        so read timeouts are transient. Returns on ``{"data":{"status":"success"}}``.
        """
        body = {"merchantId": self.settings.merchant_id, "posId": self.settings.pos_id, "sessionId": session_id,
                "amount": _require_minor(amount), "currency": currency, "orderId": int(order_id),
                "sign": verify_sign(session_id=session_id, order_id=int(order_id), amount=amount,
                                    currency=currency, crc=self.settings.crc)}
        data = self.http.request_json("PUT", "/api/v1/transaction/verify", json=body).get("data") or {}
        if data.get("status") != "success":
            raise PermanentError(f"Przelewy24 verify: status {data.get('status')!r}")

    def by_session_id(self, session_id: str) -> dict:
        """``GET /api/v1/transaction/by/sessionId/{sessionId}`` -> the ``data`` object.

        ``data.status``: 0 no payment, 1 advance payment (paid, not verified), 2 payment made,
        3 payment returned. 404 "Transaction not found" -> NotFound.
        """
        path = f"/api/v1/transaction/by/sessionId/{quote(session_id, safe='')}"
        return self.http.request_json("GET", path).get("data") or {}

    def refund(self, *, request_id: str, refunds_uuid: str, refunds: Sequence[RefundItem],
               url_status: str | None = None) -> list[dict]:
        """``POST /api/v1/transaction/refund`` (201) -> one result per item (``status``/``message``).

        ``request_id`` (<= 45) and ``refunds_uuid`` (<= 35) are OUR idempotency keys: derive them
        from the refund intent so a retry repeats them; P24 then answers 400 "Request already
        exists", raised as DuplicateRefundRequest. Per-item refusals (amount too high, wrong
        status) are 409 -> PermanentError. The request carries no sign (Basic auth only).
        """
        if len(request_id) > 45 or len(refunds_uuid) > 35:
            raise ValueError("requestId is at most 45 characters, refundsUuid at most 35")
        body = {"requestId": request_id, "refundsUuid": refunds_uuid,
                "refunds": [item.as_json() for item in refunds]}
        if url_status:
            body["urlStatus"] = url_status
        response = self.http.send("POST", "/api/v1/transaction/refund", json=body)
        if response.status_code == 400 and "already exists" in remote_reason(response)[1].lower():
            raise DuplicateRefundRequest(f"Przelewy24 refund {request_id}: request already exists", status=400)
        self.http.check(response, "Przelewy24 POST /api/v1/transaction/refund")
        return self.http.decode(response, "POST", "/api/v1/transaction/refund").get("data") or []

    def refunds_by_order_id(self, order_id: int) -> dict:
        """``GET /api/v1/refund/by/orderId/{orderId}`` -> ``data`` with ``refunds[]``.

        Refund statuses here differ from the refund notification: 1 completed, 2 pending,
        3 awaiting P24 acceptance, 4 rejected.
        """
        return self.http.request_json("GET", f"/api/v1/refund/by/orderId/{int(order_id)}").get("data") or {}

    def check_notification(self, payload: Mapping[str, object]) -> bool:
        """``check_notification`` with this POS's CRC, merchantId and posId."""
        return check_notification(payload, self.settings.crc, merchant_id=self.settings.merchant_id,
                                  pos_id=self.settings.pos_id)

