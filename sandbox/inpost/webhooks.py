"""ShipX webhooks as InPost sends them: unsigned JSON POSTs to the organization's one URL.

Bodies match the fixtures ``webhook_shipment_confirmed.json`` / ``webhook_shipment_status_changed.json``:
``{"event_ts": "2020-03-20 15:08:06 +0100", "event", "organization_id", "payload": {"shipment_id",
"tracking_number"[, "status"]}}``. No signature, no retry [unv: retries are not documented].
Registering a URL (``POST /__sandbox__/webhook_url``) first GETs it: InPost refuses a URL that does
not answer HTTP 200 to a GET.
"""

from __future__ import annotations

import threading
import time

import requests

from .store import Shipment, now


def webhook_body(event: str, organization_id: str, shipment: Shipment) -> dict:
    payload: dict = {"shipment_id": shipment.id}
    if event != "shipment_confirmed":
        payload["status"] = shipment.status
    payload["tracking_number"] = shipment.tracking_number
    org = int(organization_id) if str(organization_id).isdigit() else organization_id
    return {"event_ts": now().strftime("%Y-%m-%d %H:%M:%S %z"), "event": event, "organization_id": org,
            "payload": payload}


class WebhookSender:
    """Sends webhooks synchronously and keeps a delivery log (``GET /__sandbox__/webhooks``)."""

    def __init__(self, url: str | None, timeout: float = 10.0):
        self.url = url
        self.timeout = timeout
        self._lock = threading.Lock()
        self._log: list[dict] = []

    def register(self, url: str) -> str | None:
        """Check ``url`` answers 200 to a GET, then use it; the refusal reason, else None."""
        try:
            status = requests.get(url, timeout=self.timeout).status_code
        except requests.RequestException as exc:
            return f"GET {url} failed: {type(exc).__name__}"
        if status != 200:
            return f"GET {url} answered HTTP {status}; InPost requires 200"
        self.url = url
        return None

    def send(self, body: dict) -> dict:
        """POST ``body`` to the URL (if any); the log entry."""
        entry = {"seq": 0, "event": body["event"], "shipment_id": body["payload"]["shipment_id"],
                 "status": body["payload"].get("status"), "url": self.url, "http_status": None, "error": None,
                 "body": body}
        started = time.monotonic()
        if self.url:
            try:
                entry["http_status"] = requests.post(self.url, json=body, timeout=self.timeout).status_code
            except requests.RequestException as exc:
                entry["error"] = type(exc).__name__
        entry["duration_ms"] = round((time.monotonic() - started) * 1000)
        with self._lock:
            entry["seq"] = len(self._log) + 1
            self._log.append(entry)
        return entry

    def log(self) -> list[dict]:
        with self._lock:
            return list(self._log)

    def reset(self) -> None:
        with self._lock:
            self._log.clear()
