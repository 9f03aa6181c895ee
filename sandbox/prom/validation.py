"""Request checks, answered as 400 ``{"error": "Validation error", "errors": {"<field>": "<text>"}}`` [unv].

Query dates are ISO ``2025-04-07T06:46:43`` in UTC (fractions and an explicit offset are accepted too);
``limit`` is 1..100; ``last_id`` a positive integer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation

from werkzeug.datastructures import MultiDict

from .models import (CANCELLATION_REASONS, DELIVERY_TYPES, PRESENCES, SETTABLE_STATUSES, STATUSES,
                     TEXT_REQUIRED_REASONS)
from .store import OrderFilter, Page

MAX_LIMIT = 100
MAX_IDS = 100          # set_status ids per call [unv]
MAX_EDIT_ITEMS = 100   # edit_by_external_id items per call [unv]
OFFSET_AS_SPACE = re.compile(r"^(.+\d{2}:\d{2}:\d{2}(?:\.\d+)?) (\d{2}:?\d{2})$")
DECLARATION = re.compile(r"^[A-Za-z0-9-]{1,40}$")
NOT_FOUND_TEXT = "Товар не знайдено"


class Invalid(Exception):
    """A 400 answer: ``errors`` maps field -> text."""

    def __init__(self, errors: dict[str, str]):
        super().__init__(errors)
        self.errors = errors


def _integer(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None


def parse_moment(name: str, text: str | None) -> datetime | None:
    """``2025-04-07T06:46:43`` (UTC when naive) or None when absent."""
    if text in (None, ""):
        return None
    text = OFFSET_AS_SPACE.sub(r"\1+\2", text.strip())  # an unencoded "+" in the query arrives as " "
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise Invalid({name: "Invalid datetime, expected YYYY-MM-DDTHH:MM:SS"}) from None
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment


def page(args: MultiDict) -> Page:
    """``limit`` (1..100, default 100) and the ``last_id`` cursor."""
    errors = {}
    limit = _integer(args.get("limit", "100"))
    if limit is None or not 1 <= limit <= MAX_LIMIT:
        errors["limit"] = f"Must be an integer from 1 to {MAX_LIMIT}"
    last_id = _integer(args.get("last_id")) if args.get("last_id") not in (None, "") else None
    if args.get("last_id") not in (None, "") and (last_id is None or last_id < 1):
        errors["last_id"] = "Must be a positive integer"
    if errors:
        raise Invalid(errors)
    return Page(limit, last_id)


def known_status(status: str, custom_ids: set[int], settable: bool) -> bool:
    """A native status (only the settable ones for set_status) or ``custom-<id>`` of a defined status."""
    if status.startswith("custom-"):
        return status[7:].isdigit() and int(status[7:]) in custom_ids
    return status in (SETTABLE_STATUSES if settable else STATUSES)


def order_filter(args: MultiDict, custom_ids: set[int]) -> OrderFilter:
    """``status``, ``date_from``/``date_to`` (created), ``last_modified_from``/``last_modified_to``."""
    status = args.get("status") or None
    if status is not None and not known_status(status, custom_ids, settable=False):
        raise Invalid({"status": "Unknown status"})
    moments = {name: parse_moment(name, args.get(name))
               for name in ("date_from", "date_to", "last_modified_from", "last_modified_to")}
    return OrderFilter(status, moments["date_from"], moments["date_to"], moments["last_modified_from"],
                       moments["last_modified_to"])


def sort_dir(args: MultiDict) -> str:
    """``sort_dir=desc`` (default) or ``asc``: asc only reverses the page [unv]."""
    value = (args.get("sort_dir") or "desc").lower()
    if value not in ("asc", "desc"):
        raise Invalid({"sort_dir": "Must be asc or desc"})
    return value


@dataclass(frozen=True)
class StatusChange:
    ids: list[int]
    status: str
    reason: str | None = None
    text: str | None = None


def _ids(value: object) -> list[int]:
    if not isinstance(value, list) or not value or len(value) > MAX_IDS:
        raise Invalid({"ids": f"Must be a list of 1 to {MAX_IDS} order ids"})
    ids = [item for item in value if isinstance(item, int) and not isinstance(item, bool)]
    if len(ids) != len(value):
        raise Invalid({"ids": "Order ids must be integers"})
    return list(dict.fromkeys(ids))


def status_change(body: object, custom_ids: set[int]) -> StatusChange:
    """``POST /orders/set_status`` body; canceled needs a reason, some reasons need a text."""
    if not isinstance(body, dict):
        raise Invalid({"body": "Expected a JSON object"})
    ids = _ids(body.get("ids"))
    status = body.get("status")
    if not isinstance(status, str) or not known_status(status, custom_ids, settable=True):
        raise Invalid({"status": "Unknown status"})
    if status != "canceled":
        return StatusChange(ids, status)
    reason = body.get("cancellation_reason")
    if reason not in CANCELLATION_REASONS:
        raise Invalid({"cancellation_reason": "Required for status canceled: one of "
                                              + ", ".join(CANCELLATION_REASONS)})
    text = body.get("cancellation_text")
    text = text.strip() if isinstance(text, str) else None
    if reason in TEXT_REQUIRED_REASONS and not text:
        raise Invalid({"cancellation_text": f"Required for cancellation_reason {reason}"})
    return StatusChange(ids, status, reason, text or None)


def declaration(body: object) -> tuple[int, str, str]:
    """``POST /delivery/save_declaration_id`` body -> (order_id, declaration_id, delivery_type)."""
    if not isinstance(body, dict):
        raise Invalid({"body": "Expected a JSON object"})
    errors = {}
    order_id = body.get("order_id")
    if not isinstance(order_id, int) or isinstance(order_id, bool):
        errors["order_id"] = "Must be an integer order id"
    number = body.get("declaration_id")
    number = str(number) if isinstance(number, (str, int)) and not isinstance(number, bool) else ""
    if not DECLARATION.match(number):
        errors["declaration_id"] = "Must be a declaration (waybill) number"
    if body.get("delivery_type") not in DELIVERY_TYPES:
        errors["delivery_type"] = "Must be one of " + ", ".join(DELIVERY_TYPES)
    if errors:
        raise Invalid(errors)
    return order_id, number, body["delivery_type"]


def edit_items(body: object) -> list[dict]:
    """``edit_by_external_id`` needs a JSON ARRAY of objects that each have an ``id`` (quirk)."""
    if not isinstance(body, list):
        raise Invalid({"body": "Expected a JSON array of products"})
    if len(body) > MAX_EDIT_ITEMS:
        raise Invalid({"body": f"At most {MAX_EDIT_ITEMS} products per request"})
    for index, item in enumerate(body):
        if not isinstance(item, dict) or not isinstance(item.get("id"), (str, int)) or item.get("id") == "":
            raise Invalid({str(index): "Each product needs an id (your external_id)"})
    return body


def edit_changes(item: dict) -> tuple[dict, str | None]:
    """The changes one item asks for, or the error text for it (per item, inside HTTP 200)."""
    changes: dict = {}
    if "quantity_in_stock" in item:
        quantity = item["quantity_in_stock"]
        if quantity is not None and (isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 0):
            return {}, "Некоректне значення quantity_in_stock"
        changes["quantity_in_stock"] = quantity
    if "presence" in item:
        if item["presence"] not in PRESENCES:
            return {}, "Некоректне значення presence"
        changes["presence"] = item["presence"]
    if "price" in item:
        try:
            price = Decimal(str(item["price"]))
        except InvalidOperation:
            price = Decimal("-1")
        if isinstance(item["price"], bool) or not price.is_finite() or price <= 0:
            return {}, "Некоректне значення price"
        changes["price"] = price
    return changes, None
