"""What every marketplace adapter offers the generic jobs, and the context a poll writes into.

An adapter never touches the database itself: a poll hands each order state it finds to
:meth:`PollContext.feed`, which commits it to the inbox (the system of record) before returning, so
a cursor is only ever advanced over states that are safely stored (``reference/marketplaces.md``
pitfall 1). The runner (``workers.marketplace_poll``) saves ``checkpoint`` whatever happens.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from connector import inbox
from connector.canonical import CanonicalOrder
from connector.errors import UnsupportedOperation
from connector.marketplaces import Offer, PushResult, StatusChange, StockPush
from connector.models import Channel
from connector.ratelimit import Budget, RateGate
from connector.settings import Settings
from connector.tokens import Grant


@dataclass
class PollContext:
    """One poll of one account: where it starts (``checkpoint``) and what it stored."""

    engine: object
    channel_id: int
    source: str
    created_at: datetime
    settings: dict
    checkpoint: dict = field(default_factory=dict)
    stored: int = 0
    seen: int = 0

    def feed(self, resource_id: str, dedup_key: str, body: dict, meta: dict | None = None,
             topic: str = "order") -> bool:
        """Commit one order state to the inbox; True when it was new (a duplicate is already stored)."""
        raw = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        self.seen += 1
        event_id = inbox.record(self.engine, channel_id=self.channel_id, source=self.source, topic=topic,
                                resource_id=str(resource_id), dedup_key=dedup_key[:200], body=raw, meta=meta or {})
        self.stored += event_id is not None
        return event_id is not None

    def since(self, name: str, overlap: timedelta) -> datetime:
        """The checkpoint time ``name`` minus ``overlap`` (a new account starts at its creation)."""
        value = self.checkpoint.get(name)
        return (datetime.fromisoformat(value) if value else self.created_at) - overlap

    def advance(self, name: str, moment: datetime | None) -> None:
        """Move the checkpoint time ``name`` forward to ``moment`` (never back)."""
        current = self.checkpoint.get(name)
        if moment is not None and (current is None or moment > datetime.fromisoformat(current)):
            self.checkpoint[name] = moment.isoformat()


class Adapter:
    """The marketplace-specific half of every mirror job. Subclasses set ``kind``/``budget`` and override."""

    kind = ""
    title = ""
    #: The account's request budget when the marketplace documents none: conservative.
    budget = Budget(limit=300, window=60, block=60)

    def gate(self, channel: Channel, redis) -> RateGate:
        """The account's shared budget (one per channel unless the marketplace counts per app)."""
        return RateGate(redis, f"{self.kind}:{channel.id}", self.budget, channel_id=channel.id)

    def client(self, channel: Channel, cfg: Settings, redis, engine):
        raise NotImplementedError

    def poll(self, client, ctx: PollContext) -> None:
        """Feed every order state changed since the checkpoint."""
        raise NotImplementedError

    def sweep(self, client, ctx: PollContext) -> None:
        """Feed every open order (the pull behind a feed that can lose changes); default: nothing more."""

    def order(self, body: dict, channel: Channel) -> tuple[CanonicalOrder, str]:
        """(canonical order, payment status) of an inbox body."""
        raise NotImplementedError

    def push(self, client, pushes: list[StockPush]) -> list[PushResult]:
        raise NotImplementedError

    def offers(self, client) -> Iterable[Offer]:
        raise UnsupportedOperation(f"{self.title} offers cannot be listed")

    def shown(self, client) -> dict[str, tuple[int, bool]]:
        """{ref: (units buyers can buy now, on sale)} for the drift check (``workers.marketplace_drift``)."""
        return {o.ref: (o.quantity or 0, o.active) for o in self.offers(client) if o.quantity is not None}

    def connect(self, client, channel: Channel, say) -> Grant | None:
        """Check the credentials (``stockbridge channel connect``); a token-based account returns its first grant.

        ``say`` prints to the operator (the device flow's URL and code)."""
        for _ in self.offers(client):
            break
        say(f"{self.title} accepted the credentials of {channel.name}")
        return None

    def send(self, client, external_id: str, change: StatusChange) -> str:
        """Tell the marketplace ``change`` (looking the order up first); returns what was done."""
        raise UnsupportedOperation(f"{self.title} has no status API")

