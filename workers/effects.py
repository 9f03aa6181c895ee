"""What an event's handler asks of Redis once its transaction has committed."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from connector.stock import listings_for


@dataclass
class Effects:
    dirty: list[tuple[int, str]] = field(default_factory=list)
    force: set[tuple[int, str]] = field(default_factory=set)
    intents: list[tuple[int, str]] = field(default_factory=list)
    refusals: int = 0
    shipments: list[tuple[int, str]] = field(default_factory=list)
    refreshes: list[tuple[int, str]] = field(default_factory=list)

    def touch(self, session: Session, skus: set[str]) -> None:
        """Every channel listing one of ``skus`` must hear the new figure."""
        self.dirty.extend(listings_for(session, skus))

    def force_push(self, channel_id: int, skus: set[str]) -> None:
        """Push these figures to ``channel_id`` even if they equal what we pushed last."""
        self.force |= {(channel_id, sku) for sku in skus}
