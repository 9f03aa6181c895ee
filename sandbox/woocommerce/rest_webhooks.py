"""``/wp-json/wc/v3/webhooks`` routes (``WC_REST_Webhooks_V1/V2_Controller``).

Quirks kept:

* ``POST /webhooks`` always creates an *active* webhook (a ``status`` in the
  request is ignored), with ``pending_delivery`` true, a generated secret
  when none is given, and sends the ping synchronously after preparing the
  201 response; a failed ping does not fail the request.
* Saving an active webhook that is still ``pending_delivery``, or changing
  the ``delivery_url`` of an active one, pings again.
* The response never shows ``secret``, ``failure_count`` or
  ``pending_delivery`` (use ``GET /__sandbox__/webhooks`` to see them).
* Unknown ids: 400 "ID is invalid." on read and update, 404 on delete;
  ``DELETE`` without ``force=true`` -> 501 (webhooks cannot be trashed).
"""

from __future__ import annotations

import secrets
import string
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, current_app

from .models import WEBHOOK_STATUSES, Webhook, now, topic_is_valid
from .restkit import bool_param, paged_response, query_params, request_params, rest_kind, run_batch, shop
from .serialize import webhook_json
from .wpjson import WPError, missing_params, wp_response

bp = Blueprint("wc_webhooks", __name__)
SECRET_ALPHABET = string.ascii_letters + string.digits + "!@#$%^&*()-_ []{}<>~`+=,.;:/?|"


def _sender():
    return current_app.extensions["wc_sandbox"].sender


def is_valid_url(url: Any) -> bool:
    """``wc_is_valid_url()``: http(s) scheme and a host."""
    if not isinstance(url, str) or not url.startswith(("http://", "https://")) or " " in url:
        return False
    try:
        return bool(urlsplit(url).hostname)
    except ValueError:
        return False


def _invalid_id(status: int, message: str = "ID is invalid.") -> WPError:
    return WPError("woocommerce_rest_shop_webhook_invalid_id", message, status)


def _create(params: dict[str, Any]) -> Webhook:
    """``create_item()`` minus the ping (shop.lock held)."""
    if params.get("id"):
        raise WPError("woocommerce_rest_shop_webhook_exists", "Cannot create existing shop_webhook.", 400)
    missing = [name for name in ("topic", "delivery_url") if name not in params]
    if missing:
        raise missing_params(missing)
    topic = str(params.get("topic") or "").lower()
    if not topic or not topic_is_valid(topic):
        raise WPError("woocommerce_rest_shop_webhook_invalid_topic",
                      "Webhook topic is required and must be valid.", 400)
    if not is_valid_url(params.get("delivery_url")):
        raise WPError("woocommerce_rest_shop_webhook_invalid_delivery_url",
                      "Webhook delivery URL must be a valid URL starting with http:// or https://.", 400)
    stamp = now()
    name = params.get("name") or f"Webhook created on {stamp.strftime('%b %d, %Y @ %I:%M %p')}"
    secret = params.get("secret") or "".join(secrets.choice(SECRET_ALPHABET) for _ in range(50))
    webhook = Webhook(id=shop().next_webhook_id(), name=str(name), status="active", topic=topic,
                      delivery_url=str(params["delivery_url"]), secret=str(secret), date_created=stamp)
    shop().webhooks[webhook.id] = webhook
    return webhook


def _update(webhook: Webhook, params: dict[str, Any]) -> bool:
    """``update_item()``; returns whether the save must ping (shop.lock held)."""
    if params.get("topic"):
        if not topic_is_valid(str(params["topic"]).lower()):
            raise WPError("woocommerce_rest_shop_webhook_invalid_topic", "Webhook topic must be valid.", 400)
    url_changed = False
    if params.get("delivery_url"):
        if not is_valid_url(params["delivery_url"]):
            raise WPError("woocommerce_rest_shop_webhook_invalid_delivery_url",
                          "Webhook delivery URL must be a valid URL starting with http:// or https://.", 400)
        url_changed = params["delivery_url"] != webhook.delivery_url
    if params.get("status") and str(params["status"]).lower() not in WEBHOOK_STATUSES:
        raise WPError("woocommerce_rest_shop_webhook_invalid_status", "Webhook status must be valid.", 400)
    if params.get("topic"):
        webhook.topic = str(params["topic"]).lower()
    if url_changed:
        webhook.delivery_url = str(params["delivery_url"])
    if params.get("secret"):
        webhook.secret = str(params["secret"])
    if params.get("status"):
        webhook.status = str(params["status"]).lower()
    if "name" in params and params["name"] is not None:
        webhook.name = str(params["name"])
    webhook.date_modified = now()
    return webhook.status == "active" and (url_changed or webhook.pending_delivery)


@bp.get("/webhooks")
@rest_kind("collection")
def list_webhooks():
    """``GET /webhooks[?status=all|active|paused|disabled]``, paged."""
    params = query_params()
    status = str(params.get("status", "all"))
    descending = str(params.get("order", "desc")).lower() != "asc"
    by_name = str(params.get("orderby", "date")) in ("title", "name")
    with shop().lock:
        found = [w for w in shop().webhooks.values() if status == "all" or w.status == status]
        found.sort(key=(lambda w: (w.name, w.id)) if by_name else (lambda w: (w.date_created, w.id)),
                   reverse=descending)
        return paged_response(found, lambda w: webhook_json(shop(), w), "webhooks", params)


@bp.post("/webhooks")
@rest_kind("collection")
def create_webhook():
    """``POST /webhooks`` -> 201, then the ping (synchronous, result ignored)."""
    params = request_params()
    with shop().lock:
        webhook = _create(params)
        body = webhook_json(shop(), webhook)
    _sender().ping(webhook.id)
    return wp_response(body, 201, {"Location": shop().rest_url(f"webhooks/{webhook.id}")})


@bp.get("/webhooks/<int:webhook_id>")
@rest_kind("item")
def get_webhook(webhook_id: int):
    """``GET /webhooks/<id>``."""
    with shop().lock:
        webhook = shop().webhook(webhook_id)
        if webhook is None:
            raise _invalid_id(400)
        return wp_response(webhook_json(shop(), webhook))


@bp.route("/webhooks/<int:webhook_id>", methods=["PUT", "PATCH", "POST"])
@rest_kind("item")
def update_webhook(webhook_id: int):
    """``PUT /webhooks/<id>``: re-activating a pending webhook pings it."""
    params = request_params()
    with shop().lock:
        webhook = shop().webhook(webhook_id)
        if webhook is None:
            raise _invalid_id(400)
        must_ping = _update(webhook, params)
    if must_ping:
        _sender().ping(webhook_id)
    with shop().lock:
        return wp_response(webhook_json(shop(), webhook))


@bp.delete("/webhooks/<int:webhook_id>")
@rest_kind("item")
def delete_webhook(webhook_id: int):
    """``DELETE /webhooks/<id>?force=true``."""
    if not bool_param(request_params(), "force"):
        raise WPError("woocommerce_rest_trash_not_supported", "Webhooks do not support trashing.", 501)
    with shop().lock:
        webhook = shop().webhook(webhook_id)
        if webhook is None:
            raise _invalid_id(404, "Invalid ID.")
        body = webhook_json(shop(), webhook)
        del shop().webhooks[webhook_id]
        return wp_response(body)


@bp.route("/webhooks/batch", methods=["POST", "PUT", "PATCH"])
@rest_kind("batch")
def batch_webhooks():
    """``POST /webhooks/batch``; pings run after the batch, outside the lock."""
    params = request_params()
    to_ping: list[int] = []

    def create(item: dict[str, Any]) -> dict[str, Any]:
        webhook = _create(item)
        to_ping.append(webhook.id)
        return webhook_json(shop(), webhook)

    def update(item: dict[str, Any]) -> dict[str, Any]:
        webhook = shop().webhook(item.get("id"))
        if webhook is None:
            raise _invalid_id(400)
        if _update(webhook, item):
            to_ping.append(webhook.id)
        return webhook_json(shop(), webhook)

    def delete(item_id: Any) -> dict[str, Any]:
        webhook = shop().webhook(item_id)
        if webhook is None:
            raise _invalid_id(404, "Invalid ID.")
        del shop().webhooks[webhook.id]
        return webhook_json(shop(), webhook)

    with shop().lock:
        response = run_batch(params, create, update, delete)
    for webhook_id in to_ping:
        _sender().ping(webhook_id)
    return response
