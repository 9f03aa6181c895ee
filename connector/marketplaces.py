"""Marketplace accounts (Allegro, Rozetka, Ozon, Prom.ua, manual channels): the mirror's shared vocabulary.

A marketplace account is a channel whose ``kind`` is one of :data:`KINDS`. Its listings carry, in
``product_ref``, the id we push stock to (Allegro offer id, Rozetka ``rz_item_id``, Ozon ``offer_id``,
Prom ``external_id``) and, in ``variation_ref``, a location where the marketplace needs one (Ozon's
warehouse id). Mappers (``mappers/<kind>.py``) speak these types; clients stay I/O only; the
composition per marketplace lives in ``workers/marketplaces/<kind>.py``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from connector.errors import ConfigurationError
from connector.models import Channel

KINDS = ("allegro", "rozetka", "ozon", "prom", "manual")
TITLES = {"allegro": "Allegro", "rozetka": "Rozetka", "ozon": "Ozon", "prom": "Prom.ua", "manual": "manual channel"}

#: Per kind, the settings a new account starts with (each can be changed with ``channel add --set``).
#: ``hold_minutes``: an unpaid marketplace order keeps its units until the marketplace cancels it (the
#: marketplace itself keeps them off sale meanwhile), so holds last a week rather than an hour.
#: poll_seconds: Allegro (9,000 requests/min per Client_ID) and Ozon (50/s) allow a poll a second; Rozetka and
#: Prom document no limit, so they are asked every 3 s (an Ozon push notice triggers an early poll).
DEFAULTS = {
    "allegro": {"poll_seconds": 1, "sweep_seconds": 600, "drift_seconds": 300, "hold_minutes": 10080, "out_of_stock": "suspend"},
    "rozetka": {"poll_seconds": 3, "sweep_seconds": 600, "drift_seconds": 300, "hold_minutes": 10080, "out_of_stock": "cancel"},
    "ozon": {"poll_seconds": 1, "sweep_seconds": 600, "drift_seconds": 300, "hold_minutes": 10080, "out_of_stock": "cancel"},
    "prom": {"poll_seconds": 3, "sweep_seconds": 600, "drift_seconds": 300, "hold_minutes": 10080, "out_of_stock": "cancel"},
    "manual": {"hold_minutes": 10080, "out_of_stock": "alert"},
}


def is_marketplace(channel: Channel) -> bool:
    return channel.kind in KINDS


def accounts(session: Session, kind: str | None = None) -> list[Channel]:
    query = select(Channel).where(Channel.kind.in_([kind] if kind else list(KINDS))).order_by(Channel.id)
    return list(session.scalars(query))


def add_account(session: Session, name: str, kind: str, *, url: str, credentials: dict,
                settings: dict | None = None) -> Channel:
    """Create or update marketplace account NAME (credentials merged, settings over the kind's defaults)."""
    if kind not in KINDS:
        raise ConfigurationError(f"unknown marketplace {kind!r}: one of {', '.join(KINDS)}")
    if not name.replace("-", "").replace("_", "").isalnum():
        raise ConfigurationError("channel names are letters, digits, '-' and '_' (they appear in URLs)")
    channel = session.scalar(select(Channel).where(Channel.name == name))
    if channel is not None and channel.kind != kind:
        raise ConfigurationError(f"{name} is a {channel.kind} channel, not {kind}")
    channel = channel or Channel(name=name, kind=kind, settings=dict(DEFAULTS[kind]), credentials={})
    channel.base_url = url.rstrip("/")
    channel.credentials = {**(channel.credentials or {}), **{k: v for k, v in credentials.items() if v}}
    channel.settings = {**(channel.settings or {}), **(settings or {})}
    session.add(channel)
    session.flush()
    return channel


@dataclass(frozen=True)
class Offer:
    """A marketplace's offer/product/item, read to map it to one of our SKUs."""

    ref: str  # what stock is pushed to
    sku: str = ""  # the seller's own code as the marketplace stores it (Allegro external.id, Rozetka price_offer_id)
    name: str = ""
    ean: str = ""
    quantity: int | None = None
    location: str = ""  # Ozon warehouse id
    active: bool = True  # False: the offer was ended (Allegro ENDED, e.g. sold out) and needs re-activating


@dataclass(frozen=True)
class StockPush:
    """One figure for one listing."""

    listing_id: int
    sku: str
    ref: str
    location: str
    figure: int
    state: dict = field(default_factory=dict)  # the listing's remembered state (read-only here)


@dataclass(frozen=True)
class PushResult:
    """The marketplace's answer for one figure. ``error`` empty = accepted; ``retry_in`` = not applied yet,
    send again after that many seconds (Ozon's one update per pair per 30 s); ``state`` replaces the listing's."""

    listing_id: int
    figure: int
    error: str = ""
    retry_in: float | None = None
    state: dict | None = None

    @property
    def accepted(self) -> bool:
        return not self.error and self.retry_in is None


@dataclass(frozen=True)
class StatusChange:
    """What to tell a marketplace about one of its orders, in canonical words.

    ``target``: ``confirmed`` | ``packed`` | ``shipped`` | ``delivered`` | ``cancelled``; ``tracking_number``
    and ``carrier`` (our carrier integration name: inpost, novaposhta, dhl_poland, cdek) go with ``shipped``;
    ``reason`` (``out_of_stock`` | ``other``) with ``cancelled``.
    """

    target: str
    tracking_number: str = ""
    carrier: str = ""
    reason: str = ""

    def key(self) -> str:
        return ":".join((self.target, self.tracking_number, self.reason))

