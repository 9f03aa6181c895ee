"""Rozetka: orders polled by ``changed_from`` (5 min overlap, Kyiv time at the edge) plus a sweep of the orders
in processing (``types=2``) and of the recently closed ones (``types=6``): a change can keep its old
``changed`` (Rozetka's clock lag) and slip past the window. Stock by ``rz_item_id`` through
``/items/mass-update`` (partial success); statuses and the TTN back through ``PUT /orders/{id}``, read first
(``mappers.rozetka``, ``connector.clients.rozetka``). Session logins go through the account's TokenStore.
"""

from __future__ import annotations

from datetime import timedelta

from connector.clients.rozetka import RozetkaClient, RozetkaSettings
from connector.marketplaces import PushResult, StatusChange, StockPush
from connector.models import utcnow
from connector.ratelimit import Budget
from connector.tokens import Grant, TokenStore
from mappers import rozetka
from workers.marketplaces.base import Adapter, PollContext

OVERLAP = timedelta(minutes=5)
IN_PROCESSING, UNSUCCESSFUL = 2, 6
#: How far back (by creation) the sweep re-reads closed orders, for a cancellation whose ``changed`` lagged.
CLOSED_DAYS = 14


class RozetkaAdapter(Adapter):
    kind, title = "rozetka", "Rozetka"
    #: Rozetka documents no limit: conservative; a 429 (Retry-After) blocks the account for everyone.
    budget = Budget(limit=300, window=60, block=60)

    def client(self, channel, cfg, redis, engine) -> RozetkaClient:
        creds = channel.credentials or {}
        settings = RozetkaSettings(channel.base_url, username=creds.get("username", ""),
                                   password=creds.get("password", ""), api_token=creds.get("api_token", ""),
                                   timeout=cfg.http_timeout, language=(channel.settings or {}).get("language", "uk"))
        client = RozetkaClient(settings, gate=self.gate(channel, redis))
        if not settings.api_token:
            client.tokens = TokenStore(engine, redis, channel.id, client.obtain)
        return client

    def poll(self, client: RozetkaClient, ctx: PollContext) -> None:
        """``GET /orders/search?changed_from=`` (checkpoint - 5 min, Kyiv) over every page; the checkpoint (UTC)
        moves to the newest ``changed`` fed."""
        since = rozetka.kyiv_stamp(ctx.since("changed", OVERLAP))
        newest = None
        for order in client.iter_orders(changed_from=since, expand=rozetka.EXPAND):
            ctx.feed(str(order["id"]), rozetka.inbox_key(order), order)
            newest = max(filter(None, (newest, rozetka.changed_at(order))), default=None)
        ctx.advance("changed", newest)

    def sweep(self, client: RozetkaClient, ctx: PollContext) -> None:
        """Every order in processing (``types=2``), whatever its ``changed`` says, and those closed unsuccessfully
        (``types=6``) created in the last ``sweep_closed_days`` (default 14; 0 = off): a lost cancellation."""
        for order in client.iter_orders(types=IN_PROCESSING, expand=rozetka.EXPAND):
            ctx.feed(str(order["id"]), rozetka.inbox_key(order), order, meta={"via": "sweep"})
        days = ctx.settings.get("sweep_closed_days", CLOSED_DAYS)
        if not days:
            return
        created_from = rozetka.kyiv_stamp(utcnow() - timedelta(days=float(days)))
        for order in client.iter_orders(types=UNSUCCESSFUL, created_from=created_from, expand=rozetka.EXPAND):
            ctx.feed(str(order["id"]), rozetka.inbox_key(order), order, meta={"via": "sweep"})

    def order(self, body: dict, channel):
        return rozetka.order_from_rozetka(body)

    def push(self, client: RozetkaClient, pushes: list[StockPush]) -> list[PushResult]:
        """``PUT /items/mass-update``, 100 items a request; a ref that is no ``rz_item_id`` is refused unsent."""
        valid, results = [], []
        for push in pushes:
            if push.ref.strip().isdigit():
                valid.append(push)
            else:
                results.append(PushResult(push.listing_id, push.figure,
                                          error=f"{push.ref!r} is not a Rozetka item id (rz_item_id)"))
        for start in range(0, len(valid), rozetka.BATCH):
            chunk = valid[start:start + rozetka.BATCH]
            results += rozetka.stock_results(chunk, client.mass_update([rozetka.stock_item(p) for p in chunk]))
        return results

    def offers(self, client: RozetkaClient):
        return filter(None, (rozetka.offer_from_rozetka(item) for item in client.iter_goods()))

    def connect(self, client: RozetkaClient, channel, say) -> Grant | None:
        """Log in (``POST /sites``) and keep the session token, or probe the static token with ``/goods/all``."""
        if client.settings.api_token:
            next(iter(client.iter_goods(page_size=1)), None)
            say(f"Rozetka accepted the API token of {channel.name}")
            return None
        grant = client.login()
        say(f"Rozetka accepted the login of {channel.name}")
        return grant

    def send(self, client: RozetkaClient, external_id: str, change: StatusChange) -> str:
        """Read the order (``expand=status_available``), then send only what it does not show yet."""
        order = client.order(external_id, expand="status_available")
        body, what = rozetka.status_request(change, order)
        if body is None:
            return what
        client.update_order(external_id, body)
        return what


ADAPTER = RozetkaAdapter()
