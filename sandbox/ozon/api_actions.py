"""Seller actions on postings: tracking numbers, rFBS delivery statuses, cancel reasons and cancel.

``/v2/fbs/posting/tracking-number/set``, ``/v2/fbs/posting/delivering``, ``/v2/fbs/posting/last-mile``,
``/v2/fbs/posting/delivered`` answer per posting inside HTTP 200 (``{"posting_number", "result", "error": []}``);
they apply to rFBS postings only: an FBS posting gets ``result: false, error: ["POSTING_NOT_RFBS"]`` [unv].
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, current_app, jsonify

from . import lifecycle
from .api_postings import find
from .errors import ApiError, invalid, json_body
from .models import Posting
from .validation import integer, posting_numbers

bp = Blueprint("ozon_actions", __name__)

#: ``/v2/posting/fbs/cancel-reason/list`` (titles as a Russian-language account sees them).
CANCEL_REASONS = [
    (352, "Закончился товар на складе продавца", True),
    (400, "Остался только бракованный товар", True),
    (401, "Продавец отклоняет арбитраж", False),
    (402, "Другое (вина продавца)", True),
    (665, "Покупатель не забрал заказ", False),
    (666, "Возврат из службы доставки: нет доставки в указанный регион", False),
    (667, "Заказ утерян службой доставки", False),
]
#: Reasons the seller may use now, while a posting is awaiting_packaging / awaiting_deliver.
AVAILABLE = (352, 400, 402)
TITLES = {reason_id: title for reason_id, title, _ in CANCEL_REASONS}


def sandbox():
    return current_app.extensions["ozon_sandbox"]


def _item(number: str, error: str | None) -> dict:
    return {"posting_number": number, "result": error is None, "error": [] if error is None else [error]}


@bp.post("/v2/fbs/posting/tracking-number/set")
def tracking_number_set():
    """``{"tracking_numbers": [{"posting_number", "tracking_number"}]}`` (1..20, else 400 code 3).

    Per item: POSTING_NOT_FOUND, POSTING_NOT_RFBS (FBS: Ozon delivers and numbers it), INVALID_POSTING_STATE
    (cancelled / delivered) [unv codes]; else the number is stored."""
    items = json_body().get("tracking_numbers")
    if not isinstance(items, list) or not 1 <= len(items) <= 20:
        raise invalid("tracking_numbers: 1 to 20 items")
    if not all(isinstance(item, dict) and item.get("posting_number") and item.get("tracking_number")
               for item in items):
        raise invalid("tracking_numbers[]: posting_number and tracking_number are required")
    store, answers = sandbox().store, []
    with store.lock:
        for item in items:
            posting = store.posting(str(item["posting_number"]))
            error = ("POSTING_NOT_FOUND" if posting is None else "POSTING_NOT_RFBS" if not posting.rfbs
                     else "INVALID_POSTING_STATE" if posting.status in ("cancelled", "delivered",
                                                                         "cancelled_from_split_pending") else None)
            if error is None:
                posting.tracking_number = str(item["tracking_number"])
            answers.append(_item(str(item["posting_number"]), error))
    return jsonify({"result": answers})


def _rfbs_moves(move: Callable) -> tuple[dict, int]:
    numbers = posting_numbers(json_body().get("posting_number"))
    state, answers = sandbox(), []
    with state.store.lock:
        for number in numbers:
            posting = state.store.posting(number)
            if posting is None or not posting.rfbs:
                answers.append(_item(number, "POSTING_NOT_FOUND" if posting is None else "POSTING_NOT_RFBS"))
                continue
            try:
                state.emit(move(state.store, posting))
            except ApiError as exc:
                answers.append(_item(number, exc.message))
                continue
            answers.append(_item(number, None))
    return {"result": answers}, 200


@bp.post("/v2/fbs/posting/delivering")
def delivering():
    """rFBS ``awaiting_deliver -> delivering``: handed to the seller's carrier (present and reserved drop)."""
    return _rfbs_moves(lifecycle.handover)


@bp.post("/v2/fbs/posting/last-mile")
def last_mile():
    """rFBS ``delivering`` -> last mile (substatus ``posting_in_courier_service``) [unv substatus]."""
    return _rfbs_moves(lifecycle.last_mile)


@bp.post("/v2/fbs/posting/delivered")
def delivered():
    """rFBS ``delivering -> delivered``."""
    return _rfbs_moves(_delivered)


def _delivered(store, posting: Posting) -> list:
    if posting.status != "delivering":
        raise ApiError(400, "INVALID_POSTING_STATE")
    return lifecycle.deliver(store, posting)


@bp.post("/v2/posting/fbs/cancel-reason/list")
def cancel_reason_list():
    """Every seller cancellation reason with ``is_available_for_cancellation``."""
    json_body()
    return jsonify({"result": [{"id": reason_id, "title": title, "type_id": "seller",
                                "is_available_for_cancellation": available}
                               for reason_id, title, available in CANCEL_REASONS]})


def _reasons(posting: Posting | None) -> list[dict]:
    if posting is None or not lifecycle.cancellable(posting):
        return []
    return [{"id": reason_id, "title": TITLES[reason_id], "type_id": "seller"} for reason_id in AVAILABLE]


@bp.post("/v1/posting/fbs/cancel-reason")
def cancel_reasons_for_postings():
    """``{"related_posting_numbers": [...]}`` -> per posting the reasons available now (352, 400, 402 while
    awaiting_packaging / awaiting_deliver; none later; an unknown posting gets none) [unv]."""
    numbers = posting_numbers(json_body().get("related_posting_numbers"), "related_posting_numbers")
    store = sandbox().store
    with store.lock:
        return jsonify({"result": [{"posting_number": n, "reasons": _reasons(store.posting(n))} for n in numbers]})


@bp.post("/v2/posting/fbs/cancel")
def cancel():
    """``{"posting_number", "cancel_reason_id", "cancel_reason_message"}`` -> ``{"result": true}``.

    Unknown posting -> 404 code 5; a reason not available for the posting now -> 400 code 3; 402 without a
    message -> 400 code 3. Releases Ozon's reservation (present unchanged); pushes TYPE_POSTING_CANCELLED."""
    body = json_body()
    posting = find(body.get("posting_number"))
    reason_id = integer(body.get("cancel_reason_id"), "cancel_reason_id")
    message = str(body.get("cancel_reason_message") or "").strip()
    state = sandbox()
    with state.store.lock:
        if reason_id not in [reason["id"] for reason in _reasons(posting)]:
            raise invalid(f"cancel_reason_id {reason_id} is not available for posting {posting.posting_number} "
                          f"in status {posting.status}")
        if reason_id == 402 and not message:
            raise invalid("cancel_reason_message is required for cancel_reason_id 402")
        state.emit(lifecycle.cancel(state.store, posting, reason_id, TITLES[reason_id], message))
    return jsonify({"result": True})
