"""REST: batch commands keyed by the client's UUID (idempotency key), processed asynchronously.

``PUT /sale/offer-quantity-change-commands/{commandId}``  ``{"modification": {"changeType": FIXED|GAIN,
    "value"}, "offerCriteria": [{"type": "CONTAINS_OFFERS", "offers": [{"id"}]}]}`` (1..1000 offers) -> 201
    GeneralReport ``{id, createdAt, completedAt: null, taskCount {total, success: 0, failed: 0}}``.
    FIXED value < 1 -> 422 ``INCORRECT_QUANTITY_VALUE`` (zero is not allowed: quirk); same commandId again
    -> 409 ``CommandAlreadyExistsException`` [unv]; commandId not a UUID -> 422 [unv]. After ASYNC_DELAY
    each task is SUCCESS (stock set; an ENDED offer stays ENDED) or FAIL (``OfferNotFound``; GAIN to < 1 ->
    ``INCORRECT_QUANTITY_VALUE`` [unv]). Until then tasks show status ``NEW`` [unv].
``PUT /sale/offer-publication-commands/{commandId}``  ``{"publication": {"action": ACTIVATE|END},
    "offerCriteria": [...]}`` -> 201 report; ACTIVATE with stock 0 -> task FAIL ``OfferStockTooLow`` [unv].
``GET .../{commandId}`` -> report (``completedAt`` and counts once done); ``GET .../{commandId}/tasks?limit=
    (1..1000, 100)&offset=`` -> ``{"tasks": [{"field", "message", "offer": {"id"}, "status", "errors"}]}``.
"""

from __future__ import annotations

import copy
import uuid

from flask import Blueprint, current_app

from .replies import ApiError, int_arg, json_body, now, validation, vnd
from .store import Command, Store

bp = Blueprint("allegro_commands", __name__)
PATHS = {"quantity": "/sale/offer-quantity-change-commands", "publication": "/sale/offer-publication-commands"}
MESSAGES = {"OfferNotFound": "Offer not found", "OfferStockTooLow": "Offer stock is too low to activate it",
            "INCORRECT_QUANTITY_VALUE": "Quantity must be at least 1"}


def _sandbox():
    return current_app.extensions["allegro_sandbox"]


def _offer_ids(body: dict) -> list[str]:
    criteria = body.get("offerCriteria")
    if not isinstance(criteria, list) or not criteria:
        raise validation("offerCriteria is required", "offerCriteria")
    ids: list[str] = []
    for criterion in criteria:
        criterion = criterion if isinstance(criterion, dict) else {}
        offers = criterion.get("offers")
        if criterion.get("type") != "CONTAINS_OFFERS" or not isinstance(offers, list):
            raise validation("offerCriteria[].type must be CONTAINS_OFFERS with offers", "offerCriteria")
        for offer in offers:
            if not isinstance(offer, dict) or not str(offer.get("id") or ""):
                raise validation("offerCriteria[].offers[].id is required", "offerCriteria")
            ids.append(str(offer["id"]))
    if not 1 <= len(ids) <= 1000:
        raise validation("A command takes 1 to 1000 offers", "offerCriteria")
    return ids


def _modification(body: dict) -> tuple[str, int]:
    modification = body.get("modification")
    kind = modification.get("changeType") if isinstance(modification, dict) else None
    value = modification.get("value") if isinstance(modification, dict) else None
    if kind not in ("FIXED", "GAIN"):
        raise validation("modification.changeType must be FIXED or GAIN", "modification.changeType")
    if not isinstance(value, int) or isinstance(value, bool):
        raise validation("modification.value must be an integer", "modification.value")
    if kind == "FIXED" and value < 1:
        raise validation("Quantity value must be at least 1", "modification.value", code="INCORRECT_QUANTITY_VALUE")
    return kind, value


def _publication(body: dict) -> str:
    publication = body.get("publication")
    action = publication.get("action") if isinstance(publication, dict) else None
    if action not in ("ACTIVATE", "END"):
        raise validation("publication.action must be ACTIVATE or END", "publication.action")
    return action


def _create(kind: str, command_id: str, field: str, runner) -> object:
    """Common PUT: UUID check, 409 on reuse, tasks NEW, run after ASYNC_DELAY."""
    try:
        uuid.UUID(command_id)
    except ValueError:
        raise validation("commandId must be a UUID", "commandId") from None
    body = json_body()
    state = _sandbox()
    store = state.store
    with store.lock:
        if command_id in store.commands[kind]:
            raise ApiError(409, "CommandAlreadyExistsException", f"Command {command_id} already exists")
        parameters = _modification(body) if kind == "quantity" else (_publication(body),)
        tasks = [{"field": field, "message": "", "offer": {"id": offer_id}, "status": "NEW", "errors": []}
                 for offer_id in _offer_ids(body)]
        command = Command(command_id, kind, tasks)
        store.commands[kind][command_id] = command
        report = command.report()
    state.worker.schedule(float(state.config["ASYNC_DELAY"]), lambda: _finish(store, command, runner, *parameters))
    return vnd(report, 201)


def _finish(store: Store, command: Command, runner, *parameters) -> None:
    with store.lock:
        for task in command.tasks:
            offer = store.offers.get(task["offer"]["id"])
            refusal = "OfferNotFound" if offer is None else runner(store, offer, *parameters)
            task["status"] = "FAIL" if refusal else "SUCCESS"
            if refusal:
                task["errors"] = [{"code": refusal, "details": None, "message": MESSAGES[refusal], "path": None,
                                   "userMessage": MESSAGES[refusal], "metadata": {}}]
        command.completed_at = now()


def _quantity(store: Store, offer, kind: str, value: int) -> str | None:
    target = value if kind == "FIXED" else offer.available + value
    if target < 1:
        return "INCORRECT_QUANTITY_VALUE"
    store.set_stock(offer, target)
    return None


def _activation(store: Store, offer, action: str) -> str | None:
    return offer.apply(status="ACTIVE" if action == "ACTIVATE" else "ENDED")


@bp.put(f"{PATHS['quantity']}/<command_id>")
def quantity_command(command_id: str):
    return _create("quantity", command_id, "stock", _quantity)


@bp.put(f"{PATHS['publication']}/<command_id>")
def publication_command(command_id: str):
    return _create("publication", command_id, "publication", _activation)


def _find(kind: str, command_id: str) -> Command:
    command = _sandbox().store.commands[kind].get(command_id)
    if command is None:
        raise ApiError(404, "NotFoundException", f"Command {command_id} not found")
    return command


def _report(kind: str, command_id: str):
    with _sandbox().store.lock:
        return vnd(_find(kind, command_id).report())


def _tasks(kind: str, command_id: str):
    limit = int_arg("limit", 100, 1, 1000)
    offset = int_arg("offset", 0, 0, 10**9)
    with _sandbox().store.lock:
        tasks = _find(kind, command_id).tasks[offset:offset + limit]
        return vnd({"tasks": copy.deepcopy(tasks)})


for _kind, _path in PATHS.items():
    bp.add_url_rule(f"{_path}/<command_id>", f"{_kind}_report", lambda command_id, k=_kind: _report(k, command_id))
    bp.add_url_rule(f"{_path}/<command_id>/tasks", f"{_kind}_tasks",
                    lambda command_id, k=_kind: _tasks(k, command_id))
