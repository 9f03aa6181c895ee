"""Ozon (FBS/rFBS): postings polled from the unfulfilled list (the source of truth, pitfall 10) plus the list
of postings whose status changed (cancelled, delivering, delivered: they leave the unfulfilled list); stock
per (offer_id, warehouse) pair with Ozon's one-update-per-pair-per-30-s rule; packing, rFBS delivery
statuses and cancellations back (``mappers.ozon``, ``connector.clients.ozon``)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from connector.clients.ozon import OzonClient, OzonSettings
from connector.errors import PermanentError, TransientError, UnsupportedOperation
from connector.lifecycle import RANK
from connector.marketplaces import PushResult, StatusChange, StockPush
from connector.ratelimit import Budget, RateGate
from mappers import ozon
from workers.marketplaces.base import Adapter, PollContext

OVERLAP = timedelta(minutes=5)
LOOKBACK = timedelta(days=30)
#: Postings Ozon does not let the seller pack yet (they become awaiting_packaging by themselves).
NOT_YET = ("awaiting_registration", "acceptance_in_progress", "awaiting_verification", "awaiting_approve")
#: The seller's own delivery (rFBS): (status before, endpoint, status after), in Ozon's order.
RFBS_MOVES = (("awaiting_deliver", "/v2/fbs/posting/delivering", "delivering"),
              ("delivering", "/v2/fbs/posting/delivered", "delivered"))


def _utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def _client_id(channel) -> str:
    return str((channel.credentials or {}).get("client_id", ""))


def _setting_int(value) -> int | None:
    text = str(value if value is not None else "").strip()
    return int(text) if text.isdigit() else None


class OzonAdapter(Adapter):
    kind, title = "ozon", "Ozon"
    #: 50 requests a second per Client-Id over every method; a 429 blocks the account for 2 s.
    budget = Budget(limit=50, window=1, block=2)
    #: ``/v2/products/stocks``: 80 requests a minute per seller on top of the account's budget.
    stock_budget = Budget(limit=80, window=60, block=60)

    def gate(self, channel, redis) -> RateGate:
        """Ozon counts per Client-Id (scope ``ozon:<client_id>``), whichever of our accounts uses it."""
        return RateGate(redis, f"ozon:{_client_id(channel)}", self.budget, channel_id=channel.id)

    def stock_gate(self, channel, redis) -> RateGate:
        """``/v2/products/stocks``' own budget (scope ``ozon-stocks:<client_id>``), passed per call."""
        return RateGate(redis, f"ozon-stocks:{_client_id(channel)}", self.stock_budget, channel_id=channel.id)

    def client(self, channel, cfg, redis, engine) -> OzonClient:
        settings, credentials = channel.settings or {}, channel.credentials or {}
        ozon_settings = OzonSettings(
            channel.base_url, _client_id(channel), str(credentials.get("api_key", "")),
            timeout=cfg.http_timeout, warehouse_id=_setting_int(settings.get("warehouse_id")),
            pair_interval=float(settings.get("pair_interval", 30)))
        return OzonClient(ozon_settings, gate=self.gate(channel, redis), stock_gate=self.stock_gate(channel, redis))

    # ---- orders in

    def poll(self, client: OzonClient, ctx: PollContext) -> None:
        """Postings whose status changed since the checkpoint (5 min overlap) and every unfulfilled posting
        with a cutoff within 30 days either side; the checkpoint moves to the start of this poll."""
        now = _utcnow()
        changed_from = min(max(ctx.since("changed", OVERLAP), now - LOOKBACK), now)
        postings = list(client.postings(now - LOOKBACK, now, changed=(changed_from, now)))
        postings += client.unfulfilled(now - LOOKBACK, now + LOOKBACK)
        self._feed(ctx, postings, "poll")
        ctx.advance("changed", now)

    def sweep(self, client: OzonClient, ctx: PollContext) -> None:
        """Every posting created in the last 30 days, whatever its status-change time says, but none created
        before the account: a posting delivered before we counted the stock would take its units off hand
        a second time (an older open posting is in the poll's unfulfilled list anyway)."""
        now = _utcnow()
        since = min(max(now - LOOKBACK, ctx.created_at - OVERLAP), now)
        self._feed(ctx, list(client.postings(since, now)), "sweep")

    @staticmethod
    def _feed(ctx: PollContext, postings: list[dict], via: str) -> None:
        """Cancellations first, so a split parent releases its units before its parts reserve them."""
        postings.sort(key=lambda p: ozon.canonical_status(p.get("status")) != "cancelled")
        for posting in postings:
            ctx.feed(str(posting["posting_number"]), ozon.inbox_key(posting), posting, meta={"via": via})

    def order(self, body: dict, channel):
        return ozon.order_from_ozon(body)

    # ---- stock out

    def push(self, client: OzonClient, pushes: list[StockPush]) -> list[PushResult]:
        """``/v2/products/stocks``, 100 pairs a request. ``stock`` is the quantity available EXCLUDING Ozon's
        reservations (pitfall 12): our ledger's figure already excludes every reservation, Ozon's orders
        included, so it is sent as is (sending on-hand would count Ozon's reserved units twice). A pair
        sent less than ``pair_interval`` seconds ago is not sent (retry_in = the rest of the interval)."""
        now, interval = datetime.now(timezone.utc), client.settings.pair_interval
        results, due = [], []
        for push in pushes:
            wait = ozon.wait_before_sending(push, now, interval)
            if wait > 0:
                results.append(PushResult(push.listing_id, push.figure, retry_in=wait))
            else:
                due.append(push)
        for start in range(0, len(due), ozon.BATCH):
            results += self._push_batch(client, due[start:start + ozon.BATCH], now, interval)
        return results

    def _push_batch(self, client: OzonClient, pushes: list[StockPush], now: datetime, interval: float):
        items = [ozon.stock_item(push, self._warehouse(client, push)) for push in pushes]
        answers = {ozon.result_key(a.get("offer_id"), a.get("warehouse_id")): a for a in client.set_stocks(items)}
        return [ozon.stock_result(push, answers.get(ozon.result_key(item["offer_id"], item["warehouse_id"])),
                                  now, interval) for push, item in zip(pushes, items)]

    @staticmethod
    def _warehouse(client: OzonClient, push: StockPush) -> int:
        """The listing's warehouse (``variation_ref``), else the account's."""
        return int(push.location) if str(push.location).isdigit() else client.warehouse_id()

    def offers(self, client: OzonClient):
        """``/v3/product/list``: every product at the account's warehouse."""
        warehouse = client.warehouse_id()
        return filter(None, (ozon.offer_from_ozon(item, warehouse) for item in client.iter_products()))

    def shown(self, client: OzonClient) -> dict[str, tuple[int, bool]]:
        """``/v4/product/info/stocks``: present - reserved, what buyers can buy (pitfall 12)."""
        return {ref: (units, True) for ref, units in map(ozon.buyable, client.iter_stocks()) if ref}

    def connect(self, client: OzonClient, channel, say):
        """Check the keys with ``/v1/warehouse/list`` and say which warehouse stock goes to."""
        listed = client.warehouses()
        warehouses = {int(w["warehouse_id"]): w for w in listed}
        chosen = client.settings.warehouse_id
        if chosen is not None and chosen not in warehouses:
            raise PermanentError(f"warehouse_id {chosen} is not a warehouse of this Ozon account "
                                 f"(it has {', '.join(map(str, warehouses)) or 'none'})")
        if chosen is None:
            chosen = int(client.first_fbs_warehouse(listed)["warehouse_id"])
            say(f"Ozon: no warehouse_id set for {channel.name}; using the first FBS warehouse {chosen} "
                f"({warehouses[chosen].get('name', '')}); to choose: stockbridge channel add {channel.name} "
                f"--kind ozon --set warehouse_id=<id>")
        else:
            say(f"Ozon: stock of {channel.name} goes to warehouse {chosen} ({warehouses[chosen].get('name', '')})")
        say(f"{self.title} accepted the credentials of {channel.name}")

    # ---- status back

    def send(self, client: OzonClient, external_id: str, change: StatusChange) -> str:
        """Read the posting, then send only what it does not show yet, in Ozon's order."""
        posting = client.posting(external_id)
        if change.target == "cancelled":
            return self._cancel(client, posting, change)
        if change.target == "confirmed":
            raise UnsupportedOperation("Ozon postings need no confirmation (they arrive awaiting packaging)")
        if change.target in ("shipped", "delivered") and not ozon.is_rfbs(posting):
            raise UnsupportedOperation("Ozon moves FBS postings itself")
        return self._advance(client, posting, change)

    def _advance(self, client: OzonClient, posting: dict, change: StatusChange) -> str:
        """Pack (one package), the rFBS tracking number, then rFBS delivering / delivered, up to the target."""
        number, status, target = posting["posting_number"], posting["status"], RANK[change.target]
        self._check_movable(posting)
        done = []
        if status == "awaiting_packaging":
            client.ship(ozon.ship_body(posting))
            status = "awaiting_deliver"
            done.append("/v4/posting/fbs/ship")
        tracking = change.tracking_number
        if ozon.is_rfbs(posting) and tracking and posting.get("tracking_number") != tracking:
            client.set_tracking(number, tracking)
            done.append("/v2/fbs/posting/tracking-number/set")
        for before, path, after in RFBS_MOVES:
            if status == before and target >= RANK[ozon.canonical_status(after)]:
                client.move(path, number)
                status = after
                done.append(path)
        return ", ".join(done) or f"already {posting['status']}"

    @staticmethod
    def _check_movable(posting: dict) -> None:
        status, number = posting["status"], posting["posting_number"]
        if status in NOT_YET:
            raise TransientError(f"Ozon posting {number} is still {status}: it can be packed from awaiting_packaging")
        if ozon.canonical_status(status) in (None, "cancelled"):
            raise PermanentError(f"Ozon posting {number} is {status}: it cannot be moved on")

    @staticmethod
    def _cancel(client: OzonClient, posting: dict, change: StatusChange) -> str:
        """``/v1/posting/fbs/cancel-reason`` first: 352 (out of stock) or 402 (other, with a message), if offered."""
        number, status = posting["posting_number"], posting["status"]
        if ozon.canonical_status(status) == "cancelled":
            return f"already {status}"
        available = client.cancel_reasons(number)
        picked = ozon.cancel_reason(change.reason, available)
        if picked is None:
            offered = ", ".join(str(r.get("id")) for r in available) or "none"
            raise PermanentError(f"Ozon does not let posting {number} ({status}) be cancelled for "
                                 f"{change.reason or 'other'} now (reasons offered: {offered})")
        client.cancel(number, *picked)
        return f"/v2/posting/fbs/cancel (reason {picked[0]})"


ADAPTER = OzonAdapter()
