"""Manual channels (Oozor): no API to poll or push. Orders come from the operator's CSV import
(``stockbridge manual import``), the stock figure goes out as a CSV export (``stockbridge manual export``)."""

from __future__ import annotations

from mappers import manual
from workers.marketplaces.base import Adapter


class ManualAdapter(Adapter):
    kind, title = "manual", "manual channel"

    def client(self, channel, cfg, redis, engine):
        return None

    def order(self, body: dict, channel):
        return manual.order_from_manual(body)

    def push(self, client, pushes):
        return []  # manual listings carry no product_ref, so nothing is ever pushed to them


ADAPTER = ManualAdapter()
