"""Payment gateway notifications -> one small canonical record, plus money helpers (pure, no I/O).

Input is a notification whose signature has ALREADY been checked (``connector.clients.przelewy24.
check_notification`` / ``connector.clients.payu.check_signature``), or a status-query answer. Output
is a ``PaymentNotice``: which gateway, our reference, the gateway's id, the amount as ``Decimal``,
the currency, the payment status it implies (``pending | paid | cancelled | refunded``), an action
the worker must take first, and the inbox dedup key (DESIGN section 5). Malformed input raises
``marshmallow.ValidationError``.

Money: gateways speak integer minor units (P24 ``amount`` 1500, PayU ``"totalAmount":"1500"``);
the core speaks ``Decimal``. Both gateways use two decimals for every currency they take (PayU even
for HUF: "multiply by 100").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate

PENDING, PAID, CANCELLED, REFUNDED = "pending", "paid", "cancelled", "refunded"
PRZELEWY24, PAYU = "przelewy24", "payu"
#: ``action`` values: the worker must do this before the status counts.
VERIFY, CAPTURE = "verify", "capture"
MINOR_EXPONENT = 2


# --------------------------------------------------------------------------- money

def to_minor(amount: Decimal | str | int, exponent: int = MINOR_EXPONENT) -> int:
    """Major units -> integer minor units, rounding half up (away from zero) explicitly.

    ``Decimal("19.99") -> 1999``, ``Decimal("1.005") -> 101``, ``"0.005" -> 1``, ``12 -> 1200``.
    Floats are refused with TypeError: ``1.005`` as a float is 1.00499999... and
    ``int(19.99 * 100)`` is 1998. ValueError for text that is not a finite number.
    """
    if isinstance(amount, (float, bool)) or not isinstance(amount, (Decimal, str, int)):
        raise TypeError(f"money must be Decimal, str or int, not {type(amount).__name__}")
    try:
        value = Decimal(amount.strip() if isinstance(amount, str) else amount)
    except InvalidOperation as exc:
        raise ValueError(f"not an amount: {amount!r}") from exc
    if not value.is_finite():
        raise ValueError(f"not an amount: {amount!r}")
    return int(value.scaleb(exponent).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def from_minor(minor: int | str, exponent: int = MINOR_EXPONENT) -> Decimal:
    """Integer minor units (int or digit string, as PayU sends) -> Decimal: ``"200" -> Decimal("2.00")``.

    ValueError for anything that is not a whole number (``"2.5"``, ``""``, a float, a bool).
    """
    if isinstance(minor, bool) or not isinstance(minor, (int, str)):
        raise ValueError(f"minor units must be an integer, not {type(minor).__name__}")
    text = minor.strip() if isinstance(minor, str) else str(minor)
    if not text.lstrip("-").isdigit() or not text.isascii():
        raise ValueError(f"minor units must be an integer: {minor!r}")
    return Decimal(int(text)).scaleb(-exponent).quantize(Decimal(1).scaleb(-exponent))


# --------------------------------------------------------------------------- canonical record

@dataclass(frozen=True)
class PaymentNotice:
    """What a payment event says, gateway-neutral.

    ``reference``: our id at the gateway (P24 ``sessionId``, PayU ``extOrderId``).
    ``transaction_id``: the gateway's id (P24 ``orderId`` as text, an int64; PayU ``orderId``).
    ``status``: the payment status the event implies. For refunds: ``refunded`` once money went
    back; a pending or rejected refund leaves the payment ``paid``. Partial refunds say
    ``refunded`` too: compare ``amount`` with the order total.
    ``action``: ``verify`` (P24: call ``transaction/verify`` with OUR amount, and only then treat
    the payment as paid) or ``capture`` (PayU WAITING_FOR_CONFIRMATION), else None.
    ``origin_amount_minor``: P24 only, the amount registered (the notification's ``originAmount``).
    """

    gateway: str
    kind: str  # "transaction" | "refund"
    reference: str
    transaction_id: str
    amount: Decimal
    amount_minor: int
    currency: str
    status: str
    raw_status: str
    dedup_key: str
    action: str | None = None
    refund_id: str = ""
    origin_amount_minor: int | None = None


class MinorUnits(fields.Field):
    """An amount in minor units sent as a JSON integer (P24) or a digit string (PayU)."""

    def _deserialize(self, value, attr, data, **kwargs) -> int:
        try:
            minor = int(from_minor(value, 0))
        except ValueError as exc:
            raise ValidationError(f"not an amount in minor units: {value!r}") from exc
        if minor < 0:
            raise ValidationError(f"negative amount: {value!r}")
        return minor


class _Base(Schema):
    class Meta:
        unknown = EXCLUDE


_text = dict(required=True, validate=validate.Length(min=1))


# --------------------------------------------------------------------------- Przelewy24

#: ``transaction/by/sessionId`` ``data.status`` -> (status, action).
P24_TRANSACTION_STATUS = {0: (PENDING, None), 1: (PAID, VERIFY), 2: (PAID, None), 3: (REFUNDED, None)}
#: Refund notification ``status``: 0 completed, 1 rejected.
P24_REFUND_STATUS = {0: (REFUNDED, "completed"), 1: (PAID, "rejected")}


class P24NotificationSchema(_Base):
    merchantId = fields.Integer(required=True, strict=True)  # noqa: N815 - P24 field names
    posId = fields.Integer(required=True, strict=True)  # noqa: N815
    sessionId = fields.String(**_text)  # noqa: N815
    amount = MinorUnits(required=True)
    originAmount = MinorUnits(required=True)  # noqa: N815
    currency = fields.String(**_text)
    orderId = fields.Integer(required=True, strict=True)  # noqa: N815
    methodId = fields.Integer(load_default=None)  # noqa: N815
    statement = fields.String(load_default="", allow_none=True)


class P24RefundNotificationSchema(_Base):
    orderId = fields.Integer(required=True, strict=True)  # noqa: N815
    sessionId = fields.String(**_text)  # noqa: N815
    merchantId = fields.Integer(required=True, strict=True)  # noqa: N815
    requestId = fields.String(**_text)  # noqa: N815
    refundsUuid = fields.String(**_text)  # noqa: N815
    amount = MinorUnits(required=True)
    currency = fields.String(**_text)
    status = fields.Integer(required=True, strict=True, validate=validate.OneOf(list(P24_REFUND_STATUS)))


class P24TransactionSchema(_Base):
    sessionId = fields.String(**_text)  # noqa: N815
    orderId = fields.Integer(load_default=0, allow_none=True)  # noqa: N815
    status = fields.Integer(required=True, strict=True, validate=validate.OneOf(list(P24_TRANSACTION_STATUS)))
    amount = MinorUnits(required=True)
    currency = fields.String(**_text)


def p24_dedup_key(session_id: str, order_id: int | str, status: str = PAID) -> str:
    """``przelewy24:<sessionId>:<orderId>:<status>``: the notification and a status query that
    report the same paid transaction share it (DESIGN section 5: sessionId, orderId)."""
    return f"{PRZELEWY24}:{session_id}:{order_id}:{status}"


def from_p24_notification(payload: Mapping) -> PaymentNotice:
    """A transaction notification (urlStatus JSON body) -> ``paid`` with ``action="verify"``.

    P24 notifies only successful payments. ``amount`` is what the buyer paid; compare it and
    ``currency`` with the order before verifying.
    """
    data = P24NotificationSchema().load(dict(payload))
    return PaymentNotice(
        gateway=PRZELEWY24, kind="transaction", reference=data["sessionId"], transaction_id=str(data["orderId"]),
        amount=from_minor(data["amount"]), amount_minor=data["amount"], currency=data["currency"], status=PAID,
        raw_status="notification", dedup_key=p24_dedup_key(data["sessionId"], data["orderId"]), action=VERIFY,
        origin_amount_minor=data["originAmount"])


def from_p24_refund_notification(payload: Mapping) -> PaymentNotice:
    """A refund notification -> ``refunded`` (status 0) or ``paid`` (1, refund rejected).

    Dedup key ``przelewy24:refund:<requestId>:<refundsUuid>:<orderId>``: one request may refund
    several transactions, each notified on its own.
    """
    data = P24RefundNotificationSchema().load(dict(payload))
    status, raw = P24_REFUND_STATUS[data["status"]]
    key = f"{PRZELEWY24}:refund:{data['requestId']}:{data['refundsUuid']}:{data['orderId']}"
    return PaymentNotice(
        gateway=PRZELEWY24, kind="refund", reference=data["sessionId"], transaction_id=str(data["orderId"]),
        amount=from_minor(data["amount"]), amount_minor=data["amount"], currency=data["currency"], status=status,
        raw_status=raw, dedup_key=key, refund_id=data["requestId"])


def from_p24_transaction(data: Mapping) -> PaymentNotice:
    """The ``data`` of ``GET transaction/by/sessionId`` (the pull path) -> a notice.

    Status 0 no payment -> pending; 1 advance payment -> paid + verify; 2 -> paid; 3 returned ->
    refunded. A paid transaction gets the same dedup key as its notification.
    """
    loaded = P24TransactionSchema().load(dict(data))
    status, action = P24_TRANSACTION_STATUS[loaded["status"]]
    order_id = loaded["orderId"] or 0
    return PaymentNotice(
        gateway=PRZELEWY24, kind="transaction", reference=loaded["sessionId"], transaction_id=str(order_id),
        amount=from_minor(loaded["amount"]), amount_minor=loaded["amount"], currency=loaded["currency"],
        status=status, raw_status=str(loaded["status"]), dedup_key=p24_dedup_key(loaded["sessionId"], order_id, status),
        action=action)


# --------------------------------------------------------------------------- PayU

#: PayU order status -> canonical payment status. WAITING_FOR_CONFIRMATION is authorised but not
#: captured (auto-receive off): pending until we capture. REJECTED is legacy (OpenPayU SDK).
PAYU_STATUS_MAP = {"NEW": PENDING, "PENDING": PENDING, "WAITING_FOR_CONFIRMATION": PENDING,
                   "COMPLETED": PAID, "CANCELED": CANCELLED, "REJECTED": CANCELLED}
#: Order status rank: a later notification with a lower rank is stale (PayU delivers out of order).
PAYU_STATUS_RANK = {"NEW": 0, "PENDING": 1, "WAITING_FOR_CONFIRMATION": 2, "COMPLETED": 3, "CANCELED": 3,
                    "REJECTED": 3}
PAYU_REFUND_STATUS_MAP = {"PENDING": PAID, "FINALIZED": REFUNDED, "CANCELED": PAID}


def payu_status(raw_status: str) -> str:
    """PayU order status -> pending|paid|cancelled; ValidationError for an unknown status."""
    try:
        return PAYU_STATUS_MAP[raw_status]
    except KeyError:
        raise ValidationError(f"unknown PayU order status {raw_status!r}") from None


def payu_supersedes(current_raw: str | None, new_raw: str) -> bool:
    """Whether ``new_raw`` may replace ``current_raw``: terminal statuses (COMPLETED, CANCELED) are
    final and an older status never follows a newer one (PENDING after COMPLETED is ignored)."""
    if current_raw is None or current_raw not in PAYU_STATUS_RANK:
        return True
    current = PAYU_STATUS_RANK[current_raw]
    return current < 3 and PAYU_STATUS_RANK.get(new_raw, -1) > current


class PayUOrderSchema(_Base):
    orderId = fields.String(**_text)  # noqa: N815
    extOrderId = fields.String(load_default="")  # noqa: N815
    currencyCode = fields.String(**_text)  # noqa: N815
    totalAmount = MinorUnits(required=True)  # noqa: N815
    status = fields.String(required=True, validate=validate.OneOf(list(PAYU_STATUS_MAP)))


class PayURefundSchema(_Base):
    refundId = fields.String(**_text)  # noqa: N815
    amount = MinorUnits(required=True)
    currencyCode = fields.String(**_text)  # noqa: N815
    status = fields.String(required=True, validate=validate.OneOf(list(PAYU_REFUND_STATUS_MAP)))


class PayURefundNotificationSchema(_Base):
    orderId = fields.String(**_text)  # noqa: N815
    extOrderId = fields.String(load_default="")  # noqa: N815
    refund = fields.Nested(PayURefundSchema, required=True)


def from_payu_order(order: Mapping) -> PaymentNotice:
    """A PayU order object (notification ``order`` or ``retrieve_order``) -> a notice.

    Dedup key ``payu:order:<orderId>:<status>`` (DESIGN section 5), shared by push and pull.
    """
    data = PayUOrderSchema().load(dict(order))
    raw = data["status"]
    return PaymentNotice(
        gateway=PAYU, kind="transaction", reference=data["extOrderId"], transaction_id=data["orderId"],
        amount=from_minor(data["totalAmount"]), amount_minor=data["totalAmount"], currency=data["currencyCode"],
        status=payu_status(raw), raw_status=raw, dedup_key=f"{PAYU}:order:{data['orderId']}:{raw}",
        action=CAPTURE if raw == "WAITING_FOR_CONFIRMATION" else None)


def from_payu_refund_notification(payload: Mapping) -> PaymentNotice:
    """A refund notification ``{"orderId","extOrderId","refund":{...}}`` -> a notice; dedup key
    ``payu:refund:<refundId>:<status>``."""
    data = PayURefundNotificationSchema().load(dict(payload))
    refund = data["refund"]
    return PaymentNotice(
        gateway=PAYU, kind="refund", reference=data["extOrderId"], transaction_id=data["orderId"],
        amount=from_minor(refund["amount"]), amount_minor=refund["amount"], currency=refund["currencyCode"],
        status=PAYU_REFUND_STATUS_MAP[refund["status"]], raw_status=refund["status"],
        dedup_key=f"{PAYU}:refund:{refund['refundId']}:{refund['status']}", refund_id=refund["refundId"])


def from_payu_notification(payload: Mapping) -> PaymentNotice:
    """Any PayU notification body (parsed JSON): dispatches on ``order`` vs ``refund``."""
    if not isinstance(payload, Mapping):
        raise ValidationError("a PayU notification is a JSON object")
    if isinstance(payload.get("order"), Mapping):
        return from_payu_order(payload["order"])
    if isinstance(payload.get("refund"), Mapping):
        return from_payu_refund_notification(payload)
    raise ValidationError("neither an order nor a refund notification")
