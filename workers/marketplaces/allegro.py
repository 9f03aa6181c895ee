"""Allegro: orders from the event journal (plus a sweep over open checkout forms: Allegro loses events),
stock through quantity-change commands (zero through a PATCH that ends the offer, then ACTIVATE when stock
comes back), fulfillment and waybills back; the device flow connects an account (``mappers.allegro``,
``connector.clients.allegro``; ``reference/marketplaces.md`` section 1 and pitfalls 1-8).
"""

from __future__ import annotations

import time
from datetime import timedelta

from marshmallow import ValidationError

from connector.clients.allegro import EVENTS_PAGE, AllegroClient, AllegroSettings, Conflict
from connector.errors import AuthError, NotFound, PermanentError, UnsupportedOperation
from connector.marketplaces import PushResult, StatusChange, StockPush
from connector.models import utcnow
from connector.ratelimit import Budget, RateGate
from connector.tokens import Grant, TokenStore
from mappers import allegro
from workers.marketplaces.base import Adapter, PollContext

API_URL, AUTH_URL = "https://api.allegro.pl", "https://allegro.pl"
#: Pauses while an asynchronous command report is not final (about 3 s in all); then ``retry_in``.
WAIT_STEPS = (0.2, 0.3, 0.5, 1.0, 1.0)
RETRY_IN = 3.0
SLOW_DOWN = 5.0
SWEEP_OVERLAP = timedelta(minutes=15)
#: The sweep's filters: paid forms still in the seller's hands, and unpaid ones (pitfall 3).
OPEN_FILTERS = ({"status": "READY_FOR_PROCESSING", "fulfillment.status": list(allegro.OPEN_FULFILLMENT)},
                {"status": list(allegro.UNPAID_CHECKOUT)})


def _refused(exc: Exception) -> bool:
    """A refusal of this one item (404, 422...), as opposed to auth failures, which stop the whole push."""
    return isinstance(exc, PermanentError) and not isinstance(exc, AuthError)


class AllegroAdapter(Adapter):
    kind, title = "allegro", "Allegro"
    budget = Budget(limit=9000, window=60, block=60)  # per Client_ID; no Retry-After: the block applies

    def gate(self, channel, redis) -> RateGate:
        """One budget per Client_ID, shared by every account of the app (pitfall 8)."""
        client_id = (channel.credentials or {}).get("client_id", "")
        return RateGate(redis, f"allegro:{client_id}", self.budget, channel_id=channel.id)

    def client(self, channel, cfg, redis, engine) -> AllegroClient:
        creds, settings = channel.credentials or {}, channel.settings or {}
        client = AllegroClient(AllegroSettings(
            channel.base_url or API_URL, creds.get("client_id", ""), creds.get("client_secret", ""),
            auth_url=(settings.get("auth_url") or AUTH_URL).rstrip("/"), account=channel.name,
            account_id=channel.id, timeout=cfg.http_timeout), gate=self.gate(channel, redis))
        client.tokens = TokenStore(engine, redis, channel.id, client.refresh_grant)
        return client

    # -- orders ---------------------------------------------------------------------------------------
    def poll(self, client: AllegroClient, ctx: PollContext) -> None:
        """``GET /order/events`` from ``checkpoint["from"]`` (a fresh account: ``/order/event-stats``, never
        from nothing: pitfall 2), pages of 1000; the cursor moves after each fed event only (pitfall 1)."""
        if not ctx.checkpoint.get("from"):
            ctx.checkpoint["from"] = client.latest_event_id()
        forms: dict[str, dict] = {}
        while True:
            events = self._events(client, ctx)
            for event in events:
                self._feed_event(client, ctx, event, forms)
            if len(events) < EVENTS_PAGE:
                return

    @staticmethod
    def _events(client: AllegroClient, ctx: PollContext) -> list[dict]:
        """One journal page; a cursor Allegro no longer knows (older than its 60 days) restarts at the newest
        event and is reported (the sweep recovers the open orders in between)."""
        try:
            return client.events(ctx.checkpoint["from"], EVENTS_PAGE)
        except PermanentError as exc:
            if exc.code != "InvalidEventIdException":
                raise
            ctx.checkpoint["from"] = client.latest_event_id()
            raise PermanentError("Allegro no longer knows the journal cursor; restarted at the newest event "
                                 "(the sweep recovers open orders)", status=exc.status, code=exc.code) from exc

    @staticmethod
    def _feed_event(client: AllegroClient, ctx: PollContext, event: dict, forms: dict[str, dict]) -> None:
        """The event's checkout form as it is now (read once per form per poll), keyed by the event id.

        An event naming no checkout form is fed as it is: the inbox parks it as failed (visible, replayable)
        instead of the journal stopping on it for ever."""
        try:
            form_id = allegro.event_form_id(event)
        except ValidationError:
            ctx.feed(str(event.get("id")), allegro.event_key(event), event, meta=allegro.event_meta(event))
        else:
            if form_id not in forms:
                forms[form_id] = client.checkout_form(form_id)
            ctx.feed(form_id, allegro.event_key(event), forms[form_id], meta=allegro.event_meta(event))
        ctx.checkpoint["from"] = event["id"]

    def sweep(self, client: AllegroClient, ctx: PollContext) -> None:
        """Open forms by status, plus forms updated since the last sweep (a lost BUYER_CANCELLED leaves no open
        form behind): recovers what the journal lost (pitfall 3), keyed by form revision."""
        started = utcnow()
        changed = {"updatedAt.gte": allegro.stamp(ctx.since("swept", SWEEP_OVERLAP))}
        for filters in (*OPEN_FILTERS, changed):
            for form in client.iter_checkout_forms(**filters):
                ctx.feed(form["id"], allegro.form_key(form), form, meta={"via": "sweep"})
        ctx.advance("swept", started)

    def order(self, body: dict, channel):
        return allegro.order_from_allegro(body)

    # -- stock ----------------------------------------------------------------------------------------
    def push(self, client: AllegroClient, pushes: list[StockPush]) -> list[PushResult]:
        results = [self._zero(client, push) for push in pushes if push.figure <= 0]
        return results + self._quantities(client, [push for push in pushes if push.figure > 0])

    @staticmethod
    def _zero(client: AllegroClient, push: StockPush) -> PushResult:
        """Zero: ``PATCH /sale/product-offers/{id}`` stock 0 (commands refuse it); Allegro ends the offer."""
        try:
            answer = client.patch_offer(push.ref, allegro.zero_stock_body())
        except NotFound:
            return PushResult(push.listing_id, 0, error=f"Allegro has no offer {push.ref} (OfferNotFound)")
        except PermanentError as exc:
            if not _refused(exc):
                raise
            return PushResult(push.listing_id, 0, error=f"Allegro refused stock 0 for offer {push.ref}: {exc}")
        return PushResult(push.listing_id, 0, state=allegro.next_state(push, ended=allegro.ends_offer(answer)))

    def _quantities(self, client: AllegroClient, pushes: list[StockPush]) -> list[PushResult]:
        """FIXED commands grouped by figure; offers that we ended get ACTIVATE once their stock is set."""
        results, sent, scope = [], {}, client.settings.scope
        for figure, group in allegro.plan_quantity(pushes):
            command = allegro.command_id(scope, "quantity", figure, group)
            try:
                sent[command] = (group, client.put_command("quantity", command, allegro.quantity_body(figure, group)))
            except PermanentError as exc:
                if not _refused(exc):
                    raise
                results += [PushResult(p.listing_id, p.figure, state=allegro.next_state(p),
                                       error=f"Allegro refused stock {figure}: {exc}") for p in group]
        outcomes = self._await(client, "quantity", {cid: report for cid, (_, report) in sent.items()})
        settled = [allegro.quantity_result(p, outcomes.get(cid, {}).get(p.ref) if cid in outcomes else None, RETRY_IN)
                   for cid, (group, _) in sent.items() for p in group]
        by_listing = {p.listing_id: p for p in pushes}
        ended = [by_listing[r.listing_id] for r in settled if r.accepted and allegro.is_ended(by_listing[r.listing_id])]
        activated = {r.listing_id: r for r in self._activate(client, ended)}
        return results + [activated.get(r.listing_id, r) for r in settled]

    def _activate(self, client: AllegroClient, pushes: list[StockPush]) -> list[PushResult]:
        """``PUT /sale/offer-publication-commands/{uuid}`` ACTIVATE: stock > 0 alone leaves an ENDED offer
        ended (pitfall 7); success clears ``ended``."""
        if not pushes:
            return []
        command = allegro.command_id(client.settings.scope, "activate", 0, pushes)
        try:
            report = client.put_command("publication", command, allegro.publication_body("ACTIVATE", pushes))
        except PermanentError as exc:
            if not _refused(exc):
                raise
            return [self._activation_result(p, ("FAIL", str(exc))) for p in pushes]
        outcomes = self._await(client, "publication", {command: report}).get(command)
        return [self._activation_result(p, None if outcomes is None else outcomes.get(p.ref)) for p in pushes]

    @staticmethod
    def _activation_result(push: StockPush, outcome: tuple[str, str] | None) -> PushResult:
        if outcome is None or outcome[0] not in ("SUCCESS", "FAIL"):
            return PushResult(push.listing_id, push.figure, retry_in=RETRY_IN)
        if outcome[0] == "FAIL":
            return PushResult(push.listing_id, push.figure, state=allegro.next_state(push),
                              error=f"Allegro took stock {push.figure} for offer {push.ref} but did not "
                                    f"activate it: {outcome[1] or 'failed'}")
        return PushResult(push.listing_id, push.figure, state=allegro.next_state(push, ended=False))

    @staticmethod
    def _await(client: AllegroClient, kind: str, reports: dict[str, dict]) -> dict[str, dict]:
        """Poll ``GET <command>/{uuid}`` a few times (~3 s); command id -> task outcomes of those that finished."""
        pending = [cid for cid, report in reports.items() if not allegro.is_done(report)]
        for delay in WAIT_STEPS:
            if not pending:
                break
            client.sleep(delay)
            pending = [cid for cid in pending if not allegro.is_done(client.command_report(kind, cid))]
        return {cid: allegro.task_outcomes(client.command_tasks(kind, cid)) for cid in reports if cid not in pending}

    def offers(self, client: AllegroClient):
        return (allegro.offer_from_allegro(offer) for offer in client.iter_offers())

    # -- account --------------------------------------------------------------------------------------
    def connect(self, client: AllegroClient, channel, say) -> Grant:
        """Device flow: ``POST /auth/oauth/device``, the seller opens the link and allows the app, we poll
        ``/auth/oauth/token`` every ``interval`` (``slow_down`` adds 5 s) until it answers the first pair."""
        device = client.start_device()
        say(f"Open {device['verification_uri_complete']} and allow the application for {channel.name} "
            f"(code {device['user_code']}); waiting...")
        interval = float(device.get("interval") or 5)
        deadline = time.monotonic() + float(device.get("expires_in") or 3600)
        while time.monotonic() < deadline:
            client.sleep(interval)
            answer = client.poll_device(device["device_code"])
            if isinstance(answer, Grant):
                say(f"Allegro authorised the application for {channel.name}")
                return answer
            interval += SLOW_DOWN if answer == "slow_down" else 0
            if answer == "access_denied":
                raise AuthError(f"the seller refused the application for {channel.name} on allegro.pl")
            if answer in ("expired_token", "invalid_grant"):
                break
        raise PermanentError(f"the Allegro code for {channel.name} expired before it was approved; "
                             f"run `stockbridge channel connect {channel.name}` again")

    # -- status back ----------------------------------------------------------------------------------
    def send(self, client: AllegroClient, external_id: str, change: StatusChange) -> str:
        """Read the form; add the waybill unless listed; move fulfillment forward only, with the revision."""
        if change.target not in allegro.TARGETS:
            raise UnsupportedOperation(f"Allegro has no status for {change.target!r}")
        form = client.checkout_form(external_id)
        if allegro.too_late_to_cancel(change, form):
            raise UnsupportedOperation("the Allegro order is already sent; it cannot be cancelled")
        done = [self._waybill(client, form, change)]
        done.append(self._fulfillment(client, form, change))
        return ", ".join(filter(None, done)) or "already so"

    @staticmethod
    def _waybill(client: AllegroClient, form: dict, change: StatusChange) -> str:
        """``POST .../shipments`` unless ``GET .../shipments`` lists the number (Allegro would duplicate it)."""
        if not change.tracking_number or change.target not in ("packed", "shipped") or allegro.is_closed(form):
            return ""
        if allegro.has_waybill(client.shipments(form["id"]), change.tracking_number):
            return ""
        body = allegro.waybill_body(change)
        client.add_shipment(form["id"], body)
        return f"waybill added ({body['carrierId']})"

    @staticmethod
    def _fulfillment(client: AllegroClient, form: dict, change: StatusChange) -> str:
        """``PUT .../fulfillment`` with ``checkoutForm.revision``; a 409 (stale) re-reads the form, retries once."""
        status = allegro.fulfillment_target(change, form)
        if status is None:
            return ""
        try:
            client.set_fulfillment(form["id"], form.get("revision") or "", allegro.fulfillment_body(status))
        except Conflict:
            form = client.checkout_form(form["id"])
            status = allegro.fulfillment_target(change, form)
            if status is None:
                return ""
            client.set_fulfillment(form["id"], form.get("revision") or "", allegro.fulfillment_body(status))
        return f"fulfillment {status}"


ADAPTER = AllegroAdapter()
