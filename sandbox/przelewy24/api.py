"""The Przelewy24 REST API v1 subset, as the sandbox serves it (Basic auth is checked in ``app``)."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request

from . import validation
from .signing import sign_ok
from .store import ADVANCE, PAID, Refund, Transaction

bp = Blueprint("p24_api", __name__, url_prefix="/api/v1")


def sandbox():
    return current_app.extensions["p24_sandbox"]


def error(status: int, message: str | list):
    """P24's error body: ``{"error": message, "code": status}`` (409: a list of refused items)."""
    response = jsonify({"error": message, "code": status})
    response.status_code = status
    return response


def not_found():
    response = jsonify({"error": "Transaction not found", "responseCode": 0})
    response.status_code = 404
    return response


def json_body() -> object:
    return request.get_json(silent=True, force=True)


def _account_ok(body: dict) -> bool:
    config = sandbox().config
    return body["merchantId"] == int(config["MERCHANT_ID"]) and body["posId"] == int(config["POS_ID"])


@bp.get("/testAccess")
def test_access():
    return jsonify({"data": True, "error": ""})


@bp.post("/transaction/register")
def register():
    """Sign over sessionId, merchantId, amount, currency; a wrong one is 400 "Incorrect CRC value"."""
    body = json_body()
    if validation.problems(body, validation.REGISTER) or not _account_ok(body) or body["amount"] <= 0 \
            or body["currency"] not in validation.CURRENCIES:
        return error(400, "Invalid input data")
    state = sandbox()
    if not sign_ok("register", body, state.config["CRC"]):
        return error(400, "Incorrect CRC value")
    with state.store.lock:
        if body["sessionId"] in state.store.by_session:  # [unv] P24 wants a new sessionId per attempt
            return error(400, "Invalid input data")
        tx = Transaction(body["sessionId"], body["merchantId"], body["posId"], body["amount"], body["currency"],
                         body["description"], body["email"], body["urlReturn"], body.get("urlStatus"),
                         state.store.new_token())
        state.store.add(tx)
    return jsonify({"data": {"token": tx.token}, "responseCode": 0})


@bp.put("/transaction/verify")
def verify():
    """Verify with the amount actually paid; again after success is success (idempotent)."""
    body = json_body()
    if validation.problems(body, validation.VERIFY) or not _account_ok(body):
        return error(400, "Invalid input data")
    state = sandbox()
    if not sign_ok("verify", body, state.config["CRC"]):
        return error(400, "Incorrect CRC value")
    with state.store.lock:
        tx = state.store.by_session.get(body["sessionId"])
        if tx is None or tx.order_id != body["orderId"] or tx.status not in (ADVANCE, PAID) \
                or body["amount"] != tx.paid_amount or body["currency"] != tx.currency:
            return error(400, "Invalid input data")
        if tx.status == ADVANCE:
            tx.status = PAID
    state.notifier.cancel(f"transaction:{tx.session_id}")
    return jsonify({"data": {"status": "success"}, "responseCode": 0})


@bp.get("/transaction/by/sessionId/<path:session_id>")
def by_session_id(session_id: str):
    state = sandbox()
    with state.store.lock:
        tx = state.store.by_session.get(session_id)
        if tx is None:
            return not_found()
        return jsonify({"data": tx.as_found(), "responseCode": 0})


def _item_error(item: dict, message: str) -> dict:
    return {"orderId": item["orderId"], "sessionId": item["sessionId"], "amount": item["amount"],
            "description": item.get("description"), "status": False, "message": message}


def _refund_refusals(items: list[dict]) -> list[dict]:
    """Per-item 409 errors; amounts are checked cumulatively within the request."""
    store, wanted, refusals = sandbox().store, {}, []
    for item in items:
        tx = store.by_order.get(item["orderId"])
        if tx is None or tx.session_id != item["sessionId"]:
            refusals.append(_item_error(item, "Transaction not found"))
        elif tx.status != PAID:
            refusals.append(_item_error(item, "Transaction in wrong status - cannot refund"))
        else:
            wanted[tx.order_id] = wanted.get(tx.order_id, 0) + item["amount"]
            if wanted[tx.order_id] > tx.refundable():
                refusals.append(_item_error(item, "The amount of refund exceeds available amount for the transaction"))
    return refusals


@bp.post("/transaction/refund")
def refund():
    """201 with one result per item; a reused requestId is 400 "Request already exists"; item
    refusals are 409 with the refused items, and then nothing is refunded."""
    body = json_body()
    if validation.refund_problems(body):
        return error(400, "Invalid input parameters")
    state = sandbox()
    with state.store.lock:
        if body["requestId"] in state.store.refund_requests:
            return error(400, "Request already exists")
        refusals = _refund_refusals(body["refunds"])
        if refusals:
            return error(409, refusals)
        state.store.refund_requests.add(body["requestId"])
        created = [_record_refund(body, item) for item in body["refunds"]]
    for tx, entry in created:
        state.notify_refund(tx, entry)
    data = [{"orderId": e.order_id, "sessionId": e.session_id, "amount": e.amount,
             "description": e.description or None, "status": True, "message": "success"} for _, e in created]
    response = jsonify({"data": data, "responseCode": 0})
    response.status_code = 201
    return response


def _record_refund(body: dict, item: dict) -> tuple[Transaction, Refund]:
    tx = sandbox().store.by_order[item["orderId"]]
    entry = Refund(body["requestId"], body["refundsUuid"], tx.order_id, tx.session_id, item["amount"],
                   item.get("description") or "", body.get("urlStatus"))
    tx.refunds.append(entry)
    return tx, entry


@bp.get("/refund/by/orderId/<int:order_id>")
def refunds_by_order_id(order_id: int):
    state = sandbox()
    with state.store.lock:
        tx = state.store.by_order.get(order_id)
        if tx is None:
            return not_found()
        data = {"orderId": tx.order_id, "sessionId": tx.session_id, "amount": tx.paid_amount,
                "currency": tx.currency, "refunds": [r.as_listed() for r in tx.refunds]}
    return jsonify({"data": data, "responseCode": 0})
