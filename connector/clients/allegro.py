"""Allegro REST API client (I/O only): https://developer.allegro.pl/ , API ``https://api.allegro.pl``, OAuth site
``https://allegro.pl`` (``reference/marketplaces.md`` section 1).

Every API call sends ``Accept: application/vnd.allegro.public.v1+json`` (bodies the same Content-Type:
anything else is 406/415, 1.4) and a Bearer token from the account's :class:`connector.tokens.TokenStore`
(one refresh at a time, the rotated pair persisted before use: pitfall 6); a 401 ``invalid_token`` is
refreshed once and the call retried once. OAuth parameters go in the FORM BODY with HTTP Basic client
auth (a query string is refused, A-GH#12574). The rate budget is the application's (per Client_ID, shared by
every seller account of the app: the gate passed in); a 429 blocks it for everyone (no Retry-After, 1.5).
Errors come as ``{"errors": [{"code", "message", ...}]}`` and become the typed errors of ``connector.errors``.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass

import requests

from connector.clients.http import HttpClient, remote_reason
from connector.errors import AuthError, NotFound, PermanentError, RateLimited, TransientError
from connector.tokens import Grant, ReconnectNeeded

VND = "application/vnd.allegro.public.v1+json"
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
EVENTS_PAGE = 1000
FORMS_PAGE = 100
FORMS_WINDOW = 10000  # offset + limit may not exceed this
OFFERS_PAGE = 1000
TASKS_PAGE = 1000
COMMANDS = {"quantity": "/sale/offer-quantity-change-commands", "publication": "/sale/offer-publication-commands"}
DEVICE_WAITING = ("authorization_pending", "slow_down", "access_denied", "expired_token", "invalid_grant")


@dataclass(frozen=True)
class AllegroSettings:
    base_url: str
    client_id: str
    client_secret: str
    auth_url: str = "https://allegro.pl"
    account: str = ""  # the channel's name, for the operator's messages
    account_id: int = 0  # the channel's id: with the client id, the namespace of our command ids
    timeout: float = 30.0

    @property
    def scope(self) -> str:
        return f"{self.client_id}:{self.account_id}"


class Conflict(PermanentError):
    """HTTP 409: a stale ``checkoutForm.revision``, or a command id that exists already."""


def allegro_reason(response: requests.Response) -> tuple[str | None, str]:
    """(code, message) of Allegro's ``{"errors": [...]}`` body, else of an OAuth / other body."""
    try:
        body = response.json()
    except ValueError:
        body = None
    errors = body.get("errors") if isinstance(body, dict) else None
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        first = errors[0]
        return (str(first["code"]) if first.get("code") else None), str(first.get("message") or "")[:300]
    if isinstance(body, dict) and isinstance(body.get("error"), str):  # OAuth: {"error", "error_description"?}
        return body["error"], str(body.get("error_description") or "")[:300]
    return remote_reason(response)


def check(response: requests.Response, what: str) -> None:
    """Raise the typed error for a failed answer (the message names Allegro's code, never a body)."""
    status = response.status_code
    if status < 300:
        return
    code, message = allegro_reason(response)
    text = f"{what}: HTTP {status}" + (f" {code}" if code else "") + (f": {message}" if message else "")
    if status == 429:
        raise RateLimited(text, status=status, code=code)
    if status >= 500:
        raise TransientError(text, status=status, code=code)
    kind = {401: AuthError, 403: AuthError, 404: NotFound, 409: Conflict}.get(status, PermanentError)
    raise kind(text, status=status, code=code)


class AllegroClient:
    """One seller account. ``tokens`` (a TokenStore) is set by the adapter; ``sleep`` is injectable (tests)."""

    def __init__(self, settings: AllegroSettings, *, gate=None, tokens=None, session=None, sleep=time.sleep):
        self.settings, self.tokens, self.sleep = settings, tokens, sleep
        self.api = HttpClient(settings.base_url, name="Allegro", timeout=settings.timeout, session=session,
                              gate=gate, headers={"Accept": VND})
        self.oauth = HttpClient(settings.auth_url, name="Allegro OAuth", timeout=settings.timeout,
                                auth=(settings.client_id, settings.client_secret),
                                headers={"Accept": "application/json"})

    # -- transport ------------------------------------------------------------------------------------
    def _token(self) -> str:
        if self.tokens is None:
            raise ReconnectNeeded(self._reconnect("has no tokens"))
        return self.tokens.access_token()

    def _send(self, method: str, path: str, token: str, body, params, idempotent) -> requests.Response:
        headers = {"Authorization": f"Bearer {token}", **({"Content-Type": VND} if body is not None else {})}
        return self.api.send(method, path, params=params, json=body, headers=headers, idempotent=idempotent)

    def call(self, method: str, path: str, *, body=None, params=None, idempotent=None) -> requests.Response:
        """One API request; a refused (expired, rotated-out) token is refreshed once and the request retried once."""
        token = self._token()
        response = self._send(method, path, token, body, params, idempotent)
        if response.status_code == 401 and allegro_reason(response)[0] == "invalid_token":
            response = self._send(method, path, self.tokens.refresh(token), body, params, idempotent)
        check(response, f"Allegro {method} {path}")
        return response

    def json(self, method: str, path: str, **kwargs):
        response = self.call(method, path, **kwargs)
        return self.api.decode(response, method, path, idempotent=kwargs.get("idempotent"))

    # -- OAuth (allegro.pl/auth/oauth) ------------------------------------------------------------------
    def _reconnect(self, why: str) -> str:
        name = self.settings.account or "<name>"
        return f"Allegro account {name} {why}: run `stockbridge channel connect {name}`"

    def _oauth(self, path: str, form: dict) -> requests.Response:
        """POST with the parameters in the form body and Basic client auth (never the query string)."""
        response = self.oauth.send("POST", path, data=form, idempotent=False)
        if response.status_code == 401:
            raise AuthError(f"Allegro refused the client id / secret of {self.settings.account or 'the app'} "
                            "(invalid_client)", status=401, code="invalid_client")
        return response

    @staticmethod
    def _grant(body: dict) -> Grant:
        return Grant(access_token=body["access_token"], expires_in=body.get("expires_in"),
                     refresh_token=body.get("refresh_token"))

    def start_device(self) -> dict:
        """``POST /auth/oauth/device`` -> ``{device_code, user_code, verification_uri(_complete), interval, ...}``."""
        response = self._oauth("/auth/oauth/device", {"client_id": self.settings.client_id})
        check(response, "Allegro OAuth device")
        return self.oauth.decode(response, "POST", "/auth/oauth/device")

    def poll_device(self, device_code: str) -> Grant | str:
        """One ``device_code`` grant poll: the Grant, or the OAuth error while waiting (pending, slow_down...)."""
        response = self._oauth("/auth/oauth/token", {"grant_type": DEVICE_GRANT, "device_code": device_code})
        code = allegro_reason(response)[0] if response.status_code == 400 else None
        if code in DEVICE_WAITING:
            return code
        check(response, "Allegro OAuth token")
        return self._grant(self.oauth.decode(response, "POST", "/auth/oauth/token"))

    def refresh_grant(self, refresh_token: str | None) -> Grant:
        """``refresh_token`` grant = TokenStore's ``obtain``: a NEW pair, the old one dies (rotation)."""
        if not refresh_token:
            raise ReconnectNeeded(self._reconnect("is not connected"))
        response = self._oauth("/auth/oauth/token", {"grant_type": "refresh_token", "refresh_token": refresh_token})
        if response.status_code == 400 and allegro_reason(response)[0] == "invalid_grant":
            raise ReconnectNeeded(self._reconnect("lost its authorisation (refresh token refused)"),
                                  status=400, code="invalid_grant")
        check(response, "Allegro OAuth refresh")
        return self._grant(self.oauth.decode(response, "POST", "/auth/oauth/token"))

    # -- orders ---------------------------------------------------------------------------------------
    def latest_event_id(self) -> str:
        """``GET /order/event-stats``: the starting cursor of a fresh account (never from 0: pitfall 2)."""
        return str(self.json("GET", "/order/event-stats")["latestEvent"]["id"])

    def events(self, after: str, limit: int = EVENTS_PAGE) -> list[dict]:
        """``GET /order/events?from=`` -> events AFTER ``after``, oldest first (ids are opaque)."""
        return self.json("GET", "/order/events", params={"from": after, "limit": limit}).get("events") or []

    def checkout_form(self, form_id: str) -> dict:
        return self.json("GET", f"/order/checkout-forms/{form_id}")

    def iter_checkout_forms(self, **filters) -> Iterator[dict]:
        """``GET /order/checkout-forms`` (newest first, offset paging, offset + limit <= 10000)."""
        offset = 0
        while offset + FORMS_PAGE <= FORMS_WINDOW:
            page = self.json("GET", "/order/checkout-forms",
                             params={**filters, "limit": FORMS_PAGE, "offset": offset}).get("checkoutForms") or []
            yield from page
            if len(page) < FORMS_PAGE:
                return
            offset += FORMS_PAGE

    def set_fulfillment(self, form_id: str, revision: str, body: dict) -> None:
        """``PUT .../fulfillment?checkoutForm.revision=`` (204); a stale revision raises Conflict (409)."""
        self.call("PUT", f"/order/checkout-forms/{form_id}/fulfillment", body=body,
                  params={"checkoutForm.revision": revision} if revision else None)

    def shipments(self, form_id: str) -> list[dict]:
        return self.json("GET", f"/order/checkout-forms/{form_id}/shipments").get("shipments") or []

    def add_shipment(self, form_id: str, body: dict) -> dict:
        """``POST .../shipments`` (not idempotent: Allegro duplicates a waybill added twice; look up first)."""
        return self.json("POST", f"/order/checkout-forms/{form_id}/shipments", body=body)

    # -- offers and stock -------------------------------------------------------------------------------
    def iter_offers(self, **filters) -> Iterator[dict]:
        """``GET /sale/offers`` across pages (``limit`` 1000, offset)."""
        offset = 0
        while True:
            page = self.json("GET", "/sale/offers",
                             params={**filters, "limit": OFFERS_PAGE, "offset": offset}).get("offers") or []
            yield from page
            if len(page) < OFFERS_PAGE:
                return
            offset += OFFERS_PAGE

    def patch_offer(self, offer_id: str, body: dict) -> dict:
        """``PATCH /sale/product-offers/{id}`` -> 202 (applied asynchronously); repeatable."""
        return self.json("PATCH", f"/sale/product-offers/{offer_id}", body=body, idempotent=True)

    def put_command(self, kind: str, command_id: str, body: dict) -> dict:
        """``PUT <command>/{uuid}`` -> the GeneralReport; an existing id (409) answers its current report."""
        try:
            return self.json("PUT", f"{COMMANDS[kind]}/{command_id}", body=body)
        except Conflict:
            return self.command_report(kind, command_id)

    def command_report(self, kind: str, command_id: str) -> dict:
        return self.json("GET", f"{COMMANDS[kind]}/{command_id}")

    def command_tasks(self, kind: str, command_id: str) -> list[dict]:
        """``GET <command>/{uuid}/tasks`` across pages."""
        tasks, offset = [], 0
        while True:
            page = self.json("GET", f"{COMMANDS[kind]}/{command_id}/tasks",
                             params={"limit": TASKS_PAGE, "offset": offset}).get("tasks") or []
            tasks += page
            if len(page) < TASKS_PAGE:
                return tasks
            offset += TASKS_PAGE

    def close(self) -> None:
        self.api.close()
        self.oauth.close()

