"""Request-body checks of the Przelewy24 sandbox: JSON types and maximum lengths per field.

P24 answers any violation with 400 ``{"error": "Invalid input data", "code": 400}`` (refunds:
"Invalid input parameters"); it does not say which field, so neither do we in the body. Integers
must be JSON integers (booleans are not), strings JSON strings.
"""

from __future__ import annotations

#: field -> (type, max length or None, required)
REGISTER = {
    "merchantId": (int, None, True), "posId": (int, None, True), "sessionId": (str, 100, True),
    "amount": (int, None, True), "currency": (str, 3, True), "description": (str, 1024, True),
    "email": (str, 50, True), "country": (str, 2, True), "language": (str, 2, True),
    "urlReturn": (str, 250, True), "urlStatus": (str, 250, False), "sign": (str, None, True),
    "client": (str, 40, False), "timeLimit": (int, None, False), "channel": (int, None, False),
    "method": (int, None, False), "waitForResult": (bool, None, False), "regulationAccept": (bool, None, False),
    "transferLabel": (str, 20, False), "encoding": (str, 15, False),
}
VERIFY = {
    "merchantId": (int, None, True), "posId": (int, None, True), "sessionId": (str, 100, True),
    "amount": (int, None, True), "currency": (str, 3, True), "orderId": (int, None, True), "sign": (str, None, True),
}
REFUND = {"requestId": (str, 45, True), "refundsUuid": (str, 35, True), "urlStatus": (str, 250, False)}
REFUND_ITEM = {"orderId": (int, None, True), "sessionId": (str, 100, True), "amount": (int, None, True)}
CURRENCIES = frozenset({"PLN", "EUR", "GBP", "CZK"})


def _type_ok(value: object, kind: type) -> bool:
    if kind is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, kind)


def problems(body: object, spec: dict[str, tuple[type, int | None, bool]]) -> list[str]:
    """Names of the fields of ``body`` that are missing, mistyped or too long."""
    if not isinstance(body, dict):
        return ["<body>"]
    found = []
    for name, (kind, max_len, required) in spec.items():
        if name not in body or body[name] is None:
            if required:
                found.append(name)
            continue
        value = body[name]
        if not _type_ok(value, kind) or (max_len is not None and len(value) > max_len):
            found.append(name)
    return found


def refund_problems(body: object) -> list[str]:
    """``problems`` for a refund request including every ``refunds[]`` item."""
    found = problems(body, REFUND)
    items = body.get("refunds") if isinstance(body, dict) else None
    if not isinstance(items, list) or not items:
        return found + ["refunds"]
    for index, item in enumerate(items):
        found += [f"refunds[{index}].{name}" for name in problems(item, REFUND_ITEM)]
        if isinstance(item, dict):
            description = item.get("description")
            if description is not None and (not isinstance(description, str) or len(description) > 35):
                found.append(f"refunds[{index}].description")
            if _type_ok(item.get("amount"), int) and item["amount"] <= 0:
                found.append(f"refunds[{index}].amount")
    return found
