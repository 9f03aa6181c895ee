"""Webhook subscriptions (``/v2/webhooks``) and the sender of ``ORDER_STATUS`` events.

Like CDEK: one POST per event, a 3 s timeout (``WEBHOOK_TIMEOUT``), and **no retry** whatever
the answer. Deliveries run on one background thread, in order; ``Notifier.flush`` waits for them
(the control endpoint ``/__sandbox__/advance`` does, so tests need no sleeps).
"""

from __future__ import annotations

import json
import queue
import threading
import time

import requests
from flask import Blueprint, current_app, jsonify, request

from .store import STATUS_NAMES, Order, new_uuid, now_iso

bp = Blueprint("cdek_webhooks", __name__)
TYPES = ("ORDER_STATUS", "PRINT_FORM", "PREALERT_CLOSED", "ACCOMPANYING_WAYBILL", "OFFICE_AVAILABILITY")


class Notifier:
    def __init__(self, timeout: float):
        self.timeout = timeout
        self._queue: queue.Queue = queue.Queue()
        self._lock = threading.Lock()
        self._log: list[dict] = []
        self._thread = threading.Thread(target=self._run, name="cdek-sandbox-webhooks", daemon=True)
        self._thread.start()

    def send(self, url: str, body: dict) -> None:
        self._queue.put((url, body))

    def flush(self, timeout: float = 15.0) -> bool:
        deadline = time.monotonic() + timeout
        while self._queue.unfinished_tasks and time.monotonic() < deadline:
            time.sleep(0.01)
        return not self._queue.unfinished_tasks

    def log(self) -> list[dict]:
        with self._lock:
            return list(self._log)

    def reset(self) -> None:
        self.flush()
        with self._lock:
            self._log.clear()

    def stop(self) -> None:
        self._queue.put(None)

    def _run(self) -> None:
        while (item := self._queue.get()) is not None:
            try:
                self._deliver(*item)
            finally:
                self._queue.task_done()

    def _deliver(self, url: str, body: dict) -> None:
        entry = {"url": url, "type": body["type"], "uuid": body["uuid"], "code": body["attributes"].get("code"),
                 "status": None, "error": None, "time": now_iso()}
        started = time.monotonic()
        try:
            response = requests.post(url, data=json.dumps(body, ensure_ascii=False).encode(), timeout=self.timeout,
                                     headers={"Content-Type": "application/json"})
            entry["status"] = response.status_code
        except requests.RequestException as exc:
            entry["error"] = type(exc).__name__
        entry["duration_ms"] = round((time.monotonic() - started) * 1000)
        with self._lock:
            self._log.append(entry)


def order_status_body(order: Order, entry: dict, cities: dict) -> dict:
    """The ``ORDER_STATUS`` body: ``{type, date_time, uuid, attributes{...}}``."""
    numeric = STATUS_NAMES.get(entry["code"], ("", None))[1]
    location = order.body.get("to_location") or {}
    return {"type": "ORDER_STATUS", "date_time": entry["date_time"], "uuid": order.uuid,
            "attributes": {"is_return": order.is_return, "cdek_number": order.cdek_number,
                           "number": order.body.get("number"), "status_code": str(numeric or 1000),
                           "status_date_time": entry["date_time"], "city_name": entry.get("city", ""),
                           "city_code": str(location.get("code", "")), "code": entry["code"]}}


def _state():
    return current_app.extensions["cdek_sandbox"]


@bp.post("/v2/webhooks")
def subscribe():
    """``{type, url}`` -> 200 ``{entity: {uuid}}``; a second subscription of a type replaces the first [unv]."""
    body = request.get_json(silent=True, force=True) or {}
    kind, url = body.get("type"), str(body.get("url") or "")
    if kind not in TYPES or not url.startswith(("http://", "https://")):
        return _state().problem(400, [{"code": "v2_invalid_format", "message": "[type] or [url] is invalid"}])
    store = _state().store
    with store.lock:
        for key in [k for k, v in store.webhooks.items() if v["type"] == kind]:
            del store.webhooks[key]
        uuid = new_uuid()
        store.webhooks[uuid] = {"uuid": uuid, "type": kind, "url": url}
    return jsonify({"entity": {"uuid": uuid}, "requests": [{"request_uuid": new_uuid(), "type": "CREATE",
                                                             "date_time": now_iso(), "state": "SUCCESSFUL"}]})


@bp.get("/v2/webhooks")
def subscriptions():
    return jsonify(list(_state().store.webhooks.values()))


@bp.delete("/v2/webhooks/<uuid>")
def unsubscribe(uuid: str):
    store = _state().store
    with store.lock:
        if store.webhooks.pop(uuid, None) is None:
            return _state().problem(400, [{"code": "v2_entity_not_found", "message": f"Entity is not found by uuid {uuid}"}],
                                    kind="DELETE")
    return jsonify({"entity": {"uuid": uuid}, "requests": [{"type": "DELETE", "state": "SUCCESSFUL"}]})
