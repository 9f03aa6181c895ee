"""Reading and packing postings: ``/v3/posting/fbs/unfulfilled/list``, ``/v3/posting/fbs/list``,
``/v3/posting/fbs/get``, ``/v4/posting/fbs/ship``.

Lists are sorted by ``in_process_at`` (then posting number), ``dir`` ASC|DESC, paged by ``offset``/``limit``
(1..1000). A queued ``duplicate`` makes the next list answer repeat every posting twice (``count`` and
``has_next`` unchanged).
"""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify

from . import lifecycle
from .errors import ApiError, invalid, json_body
from .models import STATUSES, UNFULFILLED, Posting
from .serialize import delivery_method
from .validation import direction, flags, int_list, limit, offset, window

bp = Blueprint("ozon_postings", __name__)


def sandbox():
    return current_app.extensions["ozon_sandbox"]


def _filter(body: dict) -> dict:
    query = body.get("filter")
    if query is None:
        return {}
    if not isinstance(query, dict):
        raise invalid("filter must be an object")
    return query


def _common(query: dict):
    """The predicate of ``status``, ``warehouse_id[]``, ``delivery_method_id[]``, ``provider_id[]``."""
    status = str(query.get("status") or "")
    if status and status not in STATUSES:
        raise invalid(f"filter.status: unknown status {status!r}")
    warehouses = set(int_list(query.get("warehouse_id"), "filter.warehouse_id"))
    methods = set(int_list(query.get("delivery_method_id"), "filter.delivery_method_id"))
    providers = set(int_list(query.get("provider_id"), "filter.provider_id"))
    store = sandbox().store

    def accepts(posting: Posting) -> bool:
        method = delivery_method(posting, store.warehouses[posting.warehouse_id])
        return ((not status or posting.status == status) and (not warehouses or posting.warehouse_id in warehouses)
                and (not methods or method["id"] in methods)
                and (not providers or method["tpl_provider_id"] in providers))
    return accepts


def _page(body: dict, matches: list[Posting]) -> tuple[list[dict], int]:
    """The requested page as JSON (``with`` applied, duplicated when a ``duplicate`` is queued); the total."""
    descending, size, skip, wanted = direction(body), limit(body), offset(body), flags(body)
    state = sandbox()
    matches.sort(key=lambda p: (p.in_process_at, p.posting_number), reverse=descending)
    with state.store.lock:
        page = [state.posting_json(posting, wanted) for posting in matches[skip:skip + size]]
    if state.take_duplicate():
        page = [item for posting in page for item in (posting, posting)]
    return page, len(matches)


def _unfulfilled_window(query: dict):
    cutoff = any(query.get(key) for key in ("cutoff_from", "cutoff_to"))
    delivering = any(query.get(key) for key in ("delivering_date_from", "delivering_date_to"))
    if cutoff == delivering:
        raise invalid("filter: set either cutoff_from/cutoff_to or delivering_date_from/delivering_date_to")
    if cutoff:
        return window(query.get("cutoff_from"), query.get("cutoff_to"), "filter.cutoff_from", "filter.cutoff_to")
    return window(query.get("delivering_date_from"), query.get("delivering_date_to"),
                  "filter.delivering_date_from", "filter.delivering_date_to")


@bp.post("/v3/posting/fbs/unfulfilled/list")
def unfulfilled_list():
    """Postings still to be handled (awaiting_registration .. awaiting_deliver) whose ``shipment_date``
    (cutoff) lies in the window. EITHER cutoff_from/to OR delivering_date_from/to (both or neither -> 400
    code 3; at most a year). The delivering_date window is matched against the shipment date too [unv].
    -> ``{"result": {"postings", "count": total}}``."""
    body = json_body()
    query = _filter(body)
    start, end = _unfulfilled_window(query)
    accepts = _common(query)
    with sandbox().store.lock:
        matches = [p for p in sandbox().store.all_postings()
                   if p.status in UNFULFILLED and start <= p.shipment_date <= end and accepts(p)]
    postings, total = _page(body, matches)
    return jsonify({"result": {"postings": postings, "count": total}})


@bp.post("/v3/posting/fbs/list")
def posting_list():
    """Postings created (``in_process_at``) in ``since..to`` (both required, <= 1 year), optionally only those
    whose status changed in ``last_changed_status_date {from, to}``. -> ``{"result": {"postings", "has_next"}}``."""
    body = json_body()
    query = _filter(body)
    since, to = window(query.get("since"), query.get("to"), "filter.since", "filter.to")
    changed = query.get("last_changed_status_date")
    if changed is not None and not isinstance(changed, dict):
        raise invalid("filter.last_changed_status_date must be an object")
    changed_from, changed_to = (window(changed.get("from"), changed.get("to"), "last_changed_status_date.from",
                                       "last_changed_status_date.to") if changed else (None, None))
    accepts = _common(query)
    with sandbox().store.lock:
        matches = [p for p in sandbox().store.all_postings() if since <= p.in_process_at <= to and accepts(p)
                   and (changed_from is None or changed_from <= p.status_changed_at <= changed_to)]
    postings, total = _page(body, matches)
    return jsonify({"result": {"postings": postings, "has_next": offset(body) + limit(body) < total}})


def find(number: object) -> Posting:
    """The posting or 404 code 5 ``POSTING_NOT_FOUND`` [unv message]."""
    if not isinstance(number, str) or not number:
        raise invalid("posting_number is required")
    posting = sandbox().store.posting(number)
    if posting is None:
        raise ApiError(404, "POSTING_NOT_FOUND")
    return posting


@bp.post("/v3/posting/fbs/get")
def posting_get():
    """``{"posting_number", "with"}`` -> ``{"result": posting}``; unknown -> 404 code 5."""
    body = json_body()
    posting = find(body.get("posting_number"))
    state = sandbox()
    with state.store.lock:
        return jsonify({"result": state.posting_json(posting, flags(body))})


@bp.post("/v4/posting/fbs/ship")
def ship():
    """``{"posting_number", "packages": [{"products": [{"product_id", "quantity"}]}], "with"}`` -> ``{"result":
    [posting numbers]}`` (+ ``additional_data`` when ``with.additional_data``).

    Only from awaiting_packaging (else 400 code 3 POSTING_ALREADY_SHIPPED / INVALID_POSTING_STATE). One package:
    the posting -> awaiting_deliver, result = [its number]. Several: new postings ``<order>-<n>`` with
    ``parent_posting_number``, each awaiting_deliver; the original -> cancelled_from_split_pending."""
    body = json_body()
    posting = find(body.get("posting_number"))
    state = sandbox()
    with state.store.lock:  # the push is queued in the order of the moves
        numbers, changes = lifecycle.ship(state.store, posting, body.get("packages"))
        state.emit(changes)
    answer: dict = {"result": numbers}
    if flags(body).get("additional_data"):
        with state.store.lock:
            answer["additional_data"] = [
                {"posting_number": number, "products": state.posting_json(state.store.posting(number), {})["products"]}
                for number in numbers]
    return jsonify(answer)
