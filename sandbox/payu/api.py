"""The PayU REST API v2.1 subset and OAuth endpoint, as the sandbox serves them.

Bearer tokens are checked in ``app``. Error bodies follow ``{"status": {"statusCode", "code"?,
"codeLiteral"?, "statusDesc", "severity"?}}``; codes the reference does not give are marked [unv].
"""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request

from .store import Order, Refund

bp = Blueprint("payu_api", __name__)
SUCCESS = {"statusCode": "SUCCESS", "statusDesc": "Request processing successful"}


def sandbox():
    return current_app.extensions["payu_sandbox"]


def status_error(http_status: int, status_code: str, description: str, **extra):
    response = jsonify({"status": {"statusCode": status_code, "severity": "ERROR", **extra,
                                   "statusDesc": description}})
    response.status_code = http_status
    return response


def not_found():
    response = jsonify({"status": {"statusCode": "DATA_NOT_FOUND", "severity": "INFO",
                                   "statusDesc": "Could not find data for given criteria."}})
    response.status_code = 404
    return response


def minor_units(value: object) -> int | None:
    """A positive amount sent as a JSON integer or a digit string; None otherwise."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value > 0 else None
    if isinstance(value, str) and value.isascii() and value.isdigit() and int(value) > 0:
        return int(value)
    return None


def json_body() -> dict | None:
    body = request.get_json(silent=True, force=True)
    return body if isinstance(body, dict) else None


# --------------------------------------------------------------------------- OAuth

@bp.post("/pl/standard/user/oauth/authorize")
def authorize():
    """client_credentials only, form-encoded only (a JSON body is refused with 401)."""
    config = sandbox().config
    if request.mimetype != "application/x-www-form-urlencoded":
        return _oauth_error(401, "invalid_client", "Bad client credentials")
    if request.form.get("grant_type") != "client_credentials":
        return _oauth_error(400, "unsupported_grant_type", "Unsupported grant type")
    if request.form.get("client_id") != str(config["CLIENT_ID"]) \
            or request.form.get("client_secret") != str(config["CLIENT_SECRET"]):
        return _oauth_error(401, "invalid_client", "Bad client credentials")
    ttl = int(config["TOKEN_TTL"])
    with sandbox().store.lock:
        token = sandbox().store.issue_token(str(config["CLIENT_ID"]), ttl)
    return jsonify({"access_token": token, "token_type": "bearer", "expires_in": ttl,
                    "grant_type": "client_credentials"})


def _oauth_error(status: int, error: str, description: str):
    response = jsonify({"error": error, "error_description": description})
    response.status_code = status
    return response


# --------------------------------------------------------------------------- orders

REQUIRED_ORDER_FIELDS = ("customerIp", "merchantPosId", "description", "currencyCode", "totalAmount", "products")


def _order_problem(body: dict | None):
    """The 400 answer for an invalid create-order body, or None."""
    if body is None:
        return status_error(400, "ERROR_SYNTAX", "Bad syntax")
    for name in REQUIRED_ORDER_FIELDS:
        if body.get(name) in (None, "", []):
            return status_error(400, "ERROR_VALUE_MISSING", f"Missing required field: {name}")
    if minor_units(body["totalAmount"]) is None or not isinstance(body["products"], list):
        return status_error(400, "ERROR_VALUE_INVALID", "Invalid field value")
    if str(body["merchantPosId"]) != str(sandbox().config["POS_ID"]):  # [unv] code
        return status_error(400, "ERROR_VALUE_INVALID", "Invalid merchantPosId")
    return None


@bp.post("/api/v2_1/orders")
def create_order():
    """302 + JSON ``{"status": SUCCESS, "redirectUri", "orderId", "extOrderId"}``; a reused
    extOrderId on this POS is 400 ERROR_ORDER_NOT_UNIQUE."""
    body = json_body()
    problem = _order_problem(body)
    if problem is not None:
        return problem
    state = sandbox()
    pos_id, ext_id = str(body["merchantPosId"]), str(body.get("extOrderId") or "")
    with state.store.lock:
        if ext_id and (pos_id, ext_id) in state.store.ext_ids:
            return status_error(400, "ERROR_ORDER_NOT_UNIQUE", "Order with given extOrderId already exists")
        order = Order(state.store.new_order_id(), ext_id, pos_id, body.get("notifyUrl"), body.get("continueUrl"),
                      str(body["customerIp"]), str(body["description"]), str(body["currencyCode"]),
                      minor_units(body["totalAmount"]), body.get("buyer"), body["products"])
        state.store.add(order)
    redirect_uri = f"{request.host_url}pay/?orderId={order.order_id}"
    response = jsonify({"status": {"statusCode": "SUCCESS"}, "redirectUri": redirect_uri,
                        "orderId": order.order_id, "extOrderId": order.ext_order_id})
    response.status_code = 302
    response.headers["Location"] = redirect_uri
    return response


@bp.get("/api/v2_1/orders/<order_id>")
def retrieve_order(order_id: str):
    state = sandbox()
    with state.store.lock:
        order = state.store.orders.get(order_id)
        if order is None:
            return not_found()
        answer = {"orders": [order.as_json()], "status": SUCCESS}
        if order.payment_id:
            answer["properties"] = [{"name": "PAYMENT_ID", "value": order.payment_id}]
    return jsonify(answer)


@bp.delete("/api/v2_1/orders/<order_id>")
def cancel_order(order_id: str):
    """NEW/PENDING/WAITING_FOR_CONFIRMATION -> CANCELED (notified); cancelling again succeeds;
    a COMPLETED order cannot be cancelled [unv code]."""
    state = sandbox()
    with state.store.lock:
        order = state.store.orders.get(order_id)
        if order is None:
            return not_found()
        if order.status == "COMPLETED":
            return status_error(400, "ERROR_VALUE_INVALID", "Order is completed and cannot be canceled")
        changed = state.move(order, "CANCELED")
    if changed:
        state.notify_order(order)
    return jsonify({"status": SUCCESS, "orderId": order.order_id, "extOrderId": order.ext_order_id})


@bp.post("/api/v2_1/orders/<order_id>/captures")
def capture_order(order_id: str):
    """WAITING_FOR_CONFIRMATION -> COMPLETED (notified); capturing a completed order succeeds."""
    state = sandbox()
    with state.store.lock:
        order = state.store.orders.get(order_id)
        if order is None:
            return not_found()
        if order.status not in ("WAITING_FOR_CONFIRMATION", "COMPLETED"):
            return status_error(400, "ERROR_VALUE_INVALID", f"Order in status {order.status} cannot be captured")
        changed = state.move(order, "COMPLETED")
    if changed:
        state.notify_order(order)
    return jsonify({"status": SUCCESS})


# --------------------------------------------------------------------------- refunds

def _refund_request(order: Order, section: dict):
    """(refund to create, None) or (None, error answer). [unv] codes 9101/9103/9112."""
    amount = order.refundable() if section.get("amount") is None else minor_units(section["amount"])
    ext_id = section.get("extRefundId")
    if not section.get("description") or amount is None or (ext_id is not None and not isinstance(ext_id, str)):
        return None, status_error(400, "ERROR_VALUE_INVALID", "Invalid field value")
    if order.status != "COMPLETED":
        return None, status_error(400, "ERROR_VALUE_INVALID", "Transaction not ended", code="9101",
                                  codeLiteral="TRANS_NOT_ENDED")
    if amount <= 0 or amount > order.refundable():
        return None, status_error(400, "ERROR_VALUE_INVALID", "Refund amount exceeds the order balance",
                                  code="9103", codeLiteral="AMOUNT_TO_BIG")
    refund = Refund(sandbox().store.new_refund_id(), ext_id, amount, order.currency, str(section["description"]))
    return refund, None


def _refund_answer(order: Order, refund: Refund):
    return jsonify({"orderId": order.order_id, "refund": refund.as_json(),
                    "status": {"statusCode": "SUCCESS", "statusDesc": "Refund queued for processing"}})


@bp.post("/api/v2_1/orders/<order_id>/refunds")
def create_refund(order_id: str):
    """Refund PENDING now, FINALIZED (and notified) REFUND_DELAY_MINUTES later. A repeated
    extRefundId with the same amount answers the existing refund; with another amount 400
    REFUND_IDEMPOTENCY_MISMATCH [unv]."""
    body = json_body()
    if body is None or not isinstance(body.get("refund"), dict):
        return status_error(400, "ERROR_VALUE_MISSING", "Missing required field", code="8300",
                            codeLiteral="MISSING_REFUND_SECTION")
    state = sandbox()
    with state.store.lock:
        order = state.store.orders.get(order_id)
        if order is None:
            return not_found()
        section = body["refund"]
        earlier = next((r for r in order.refunds if section.get("extRefundId")
                        and r.ext_refund_id == section["extRefundId"]), None)
        if earlier is not None:
            if section.get("amount") is not None and minor_units(section["amount"]) != earlier.amount:
                return status_error(400, "ERROR_VALUE_INVALID", "Refund with this extRefundId differs",
                                    code="9112", codeLiteral="REFUND_IDEMPOTENCY_MISMATCH")
            return _refund_answer(order, earlier)
        refund, problem = _refund_request(order, section)
        if problem is not None:
            return problem
        order.refunds.append(refund)
    state.notify_refund(order, refund)
    return _refund_answer(order, refund)


@bp.get("/api/v2_1/orders/<order_id>/refunds")
def list_refunds(order_id: str):
    state = sandbox()
    with state.store.lock:
        order = state.store.orders.get(order_id)
        if order is None:
            return not_found()
        return jsonify({"refunds": [r.as_json() for r in order.refunds]})
