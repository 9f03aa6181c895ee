"""Prom.ua: orders polled by ``last_modified_from`` (5 min overlap) plus a sweep by open status; stock by
external id; statuses and the TTN back (``mappers.prom``, ``connector.clients.prom``)."""

from __future__ import annotations

from datetime import timedelta

from connector.clients.prom import PromClient, PromSettings
from connector.marketplaces import StatusChange
from mappers import prom
from workers.marketplaces.base import Adapter, PollContext

OVERLAP = timedelta(minutes=5)
OPEN_STATUSES = ("pending", "received", "paid")


class PromAdapter(Adapter):
    kind, title = "prom", "Prom.ua"

    def client(self, channel, cfg, redis, engine) -> PromClient:
        settings = PromSettings(channel.base_url, channel.credentials.get("token", ""), timeout=cfg.http_timeout,
                                language=(channel.settings or {}).get("language", "uk"))
        return PromClient(settings, gate=self.gate(channel, redis))

    def poll(self, client: PromClient, ctx: PollContext) -> None:
        newest = None
        for order in client.iter_orders(modified_from=ctx.since("modified", OVERLAP)):
            ctx.feed(str(order["id"]), prom.inbox_key(order), order)
            newest = max(filter(None, (newest, prom.modified_at(order))), default=None)
        ctx.advance("modified", newest)

    def sweep(self, client: PromClient, ctx: PollContext) -> None:
        """Open orders by status, whatever their ``date_modified`` says (a lost change keeps the old one)."""
        custom = [raw for raw in (ctx.settings.get("status_map") or {}) if raw.startswith("custom-")]
        for status in (*OPEN_STATUSES, *custom):
            for order in client.iter_orders(status=status):
                ctx.feed(str(order["id"]), prom.inbox_key(order), order, meta={"via": "sweep"})

    def order(self, body: dict, channel):
        return prom.order_from_prom(body, (channel.settings or {}).get("status_map"))

    def push(self, client: PromClient, pushes):
        results = []
        for start in range(0, len(pushes), prom.BATCH):
            chunk = pushes[start:start + prom.BATCH]
            results += prom.stock_results(chunk, client.edit_stock(prom.stock_bodies(chunk)[0]))
        return results

    def offers(self, client: PromClient):
        return filter(None, (prom.offer_from_prom(product) for product in client.iter_products()))

    def send(self, client: PromClient, external_id: str, change: StatusChange) -> str:
        request = prom.status_request(change, client.order(external_id))
        if request is None:
            return "already so"
        client.write(*request)
        return request[0]


ADAPTER = PromAdapter()
