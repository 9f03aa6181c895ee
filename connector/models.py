"""SQLAlchemy models: the system of record.

Tables: ``channels`` (a shop or marketplace account), ``inbox_events`` (every delivery we
acknowledged, frappe-style integration log), ``orders``/``order_lines``, ``stock_items`` (per SKU per
warehouse: ``on_hand`` and ``reserved``, with ``0 <= reserved <= on_hand`` enforced by CHECK
constraints), ``reservations`` keyed by (order, line), ``stock_journal`` (one row per ledger
change), ``listings`` (which channel product carries a SKU, last pushed figure) and ``intents``
(outbound calls that create something: written before the call, looked up before a retry).
"""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


class UTCDateTime(TypeDecorator):
    """Naive UTC datetimes on every backend (SQLite has no time zones)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is not None:
            value = value.astimezone(timezone.utc).replace(tzinfo=None)
        return value


ID = BigInteger().with_variant(Integer, "sqlite")
MONEY = Numeric(18, 4, asdecimal=True)


class Base(DeclarativeBase):
    pass


class Channel(Base):
    __tablename__ = "channels"
    id: Mapped[int] = mapped_column(ID, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    base_url: Mapped[str] = mapped_column(String(500), default="")
    credentials: Mapped[dict] = mapped_column(JSON, default=dict)
    settings: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    last_error_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class InboxEvent(Base):
    __tablename__ = "inbox_events"
    __table_args__ = (
        UniqueConstraint("channel_id", "dedup_key", name="uq_inbox_dedup"),
        Index("ix_inbox_pending", "channel_id", "status", "id"),
    )
    id: Mapped[int] = mapped_column(ID, primary_key=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id"))
    source: Mapped[str] = mapped_column(String(32))
    topic: Mapped[str] = mapped_column(String(64))
    resource_id: Mapped[str] = mapped_column(String(64), default="")
    dedup_key: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), default="received")
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    body: Mapped[bytes] = mapped_column(LargeBinary)
    meta: Mapped[dict] = mapped_column(JSON, default=dict)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    not_before: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    claim_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    claim_token: Mapped[str | None] = mapped_column(String(32), nullable=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class Order(Base):
    __tablename__ = "orders"
    __table_args__ = (UniqueConstraint("channel_id", "external_id", name="uq_order_channel_ext"),)
    id: Mapped[int] = mapped_column(ID, primary_key=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id"))
    external_id: Mapped[str] = mapped_column(String(64))
    number: Mapped[str] = mapped_column(String(64), default="")
    status: Mapped[str] = mapped_column(String(32), default="new")
    payment_status: Mapped[str] = mapped_column(String(32), default="pending")
    raw_status: Mapped[str] = mapped_column(String(64), default="")
    currency: Mapped[str] = mapped_column(String(3), default="")
    total: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0"))
    cod_amount: Mapped[Decimal | None] = mapped_column(MONEY, nullable=True)
    payment_method: Mapped[str] = mapped_column(String(64), default="")
    transaction_id: Mapped[str] = mapped_column(String(128), default="")
    buyer: Mapped[dict] = mapped_column(JSON, default=dict)
    shipping_address: Mapped[dict] = mapped_column(JSON, default=dict)
    delivery: Mapped[dict] = mapped_column(JSON, default=dict)
    flags: Mapped[list] = mapped_column(JSON, default=list)
    source_updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    placed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    channel: Mapped[Channel] = relationship(lazy="joined")
    lines: Mapped[list["OrderLine"]] = relationship(
        back_populates="order", order_by="OrderLine.id", cascade="all, delete-orphan"
    )


class OrderLine(Base):
    __tablename__ = "order_lines"
    __table_args__ = (UniqueConstraint("order_id", "line_key", name="uq_line_order_key"),)
    id: Mapped[int] = mapped_column(ID, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"))
    line_key: Mapped[str] = mapped_column(String(64))
    sku: Mapped[str] = mapped_column(String(128))
    product_ref: Mapped[str] = mapped_column(String(64), default="")
    variation_ref: Mapped[str] = mapped_column(String(64), default="")
    name: Mapped[str] = mapped_column(String(500), default="")
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0"))
    order: Mapped[Order] = relationship(back_populates="lines")


class StockItem(Base):
    __tablename__ = "stock_items"
    __table_args__ = (
        UniqueConstraint("sku", "warehouse", name="uq_stock_sku_wh"),
        CheckConstraint("reserved >= 0", name="ck_stock_reserved_nonneg"),
        CheckConstraint("on_hand >= reserved", name="ck_stock_available_nonneg"),
    )
    id: Mapped[int] = mapped_column(ID, primary_key=True)
    sku: Mapped[str] = mapped_column(String(128))
    warehouse: Mapped[str] = mapped_column(String(64), default="main")
    on_hand: Mapped[int] = mapped_column(Integer, default=0)
    reserved: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Reservation(Base):
    __tablename__ = "reservations"
    __table_args__ = (
        UniqueConstraint("order_id", "line_id", name="uq_reservation_order_line"),
        CheckConstraint("quantity > 0", name="ck_reservation_qty_pos"),
        Index("ix_reservation_expiry", "state", "expires_at"),
    )
    id: Mapped[int] = mapped_column(ID, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"))
    line_id: Mapped[int] = mapped_column(ForeignKey("order_lines.id"))
    sku: Mapped[str] = mapped_column(String(128))
    warehouse: Mapped[str] = mapped_column(String(64), default="main")
    quantity: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(16))
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class JournalEntry(Base):
    __tablename__ = "stock_journal"
    __table_args__ = (Index("ix_journal_sku", "sku", "id"),)
    id: Mapped[int] = mapped_column(ID, primary_key=True)
    sku: Mapped[str] = mapped_column(String(128))
    warehouse: Mapped[str] = mapped_column(String(64), default="main")
    delta_on_hand: Mapped[int] = mapped_column(Integer, default=0)
    delta_reserved: Mapped[int] = mapped_column(Integer, default=0)
    on_hand_after: Mapped[int] = mapped_column(Integer)
    reserved_after: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(64))
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"), nullable=True)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("inbox_events.id"), nullable=True)
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Listing(Base):
    __tablename__ = "listings"
    __table_args__ = (
        UniqueConstraint("channel_id", "sku", name="uq_listing_channel_sku"),
        Index("ix_listing_ref", "channel_id", "product_ref", "variation_ref"),
    )
    id: Mapped[int] = mapped_column(ID, primary_key=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id"))
    sku: Mapped[str] = mapped_column(String(128))
    product_ref: Mapped[str] = mapped_column(String(64), default="")
    variation_ref: Mapped[str] = mapped_column(String(64), default="")
    buffer: Mapped[int] = mapped_column(Integer, default=0)
    last_pushed: Mapped[int | None] = mapped_column(Integer, nullable=True)
    last_pushed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_seen: Mapped[int | None] = mapped_column(Integer, nullable=True)
    push_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    #: What the channel needs remembered per listing (Allegro: offer ENDED at 0; Ozon: when the pair was last sent).
    state: Mapped[dict] = mapped_column(JSON, default=dict, server_default="{}")
    channel: Mapped[Channel] = relationship(lazy="joined")


class Intent(Base):
    __tablename__ = "intents"
    __table_args__ = (UniqueConstraint("key", name="uq_intent_key"),)
    id: Mapped[int] = mapped_column(ID, primary_key=True)
    key: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(64))
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id"))
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"), nullable=True)
    payload: Mapped[dict] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    remote_ref: Mapped[str] = mapped_column(String(128), default="")
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Alert(Base):
    """Something an operator must see (out-of-stock order, deadline breach, disabled webhook, failing channel).

    ``key`` deduplicates: the same condition raises one open alert; ``last_sent_at`` lets the e-mail
    sender respect the minimum interval between repeats.
    """

    __tablename__ = "alerts"
    __table_args__ = (UniqueConstraint("key", name="uq_alert_key"), Index("ix_alert_open", "resolved_at", "id"))
    id: Mapped[int] = mapped_column(ID, primary_key=True)
    key: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(64))
    channel_id: Mapped[int | None] = mapped_column(ForeignKey("channels.id"), nullable=True)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"), nullable=True)
    message: Mapped[str] = mapped_column(Text)
    count: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class Checkpoint(Base):
    """A resumable position: the catch-up poll's ``modified_after``, an import's next page."""

    __tablename__ = "checkpoints"
    __table_args__ = (UniqueConstraint("channel_id", "name", name="uq_checkpoint"),)
    id: Mapped[int] = mapped_column(ID, primary_key=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id"))
    name: Mapped[str] = mapped_column(String(64))
    value: Mapped[dict] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Shipment(Base):
    """One parcel set sent for an order. ``reference`` is ours and unique: the look-up-before-create key.

    ``status``: ``intent`` (row written, carrier not called or answer unknown) -> ``created`` ->
    ``confirmed`` (label available) -> ``in_transit`` -> ``ready_for_pickup`` -> ``delivered`` |
    ``returned`` | ``cancelled``; ``failed`` = the carrier refused it (``error`` says why, in plain words).
    """

    __tablename__ = "shipments"
    __table_args__ = (UniqueConstraint("reference", name="uq_shipment_reference"),
                      Index("ix_shipment_status", "status", "carrier"))
    id: Mapped[int] = mapped_column(ID, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"))
    reference: Mapped[str] = mapped_column(String(100))
    carrier: Mapped[str] = mapped_column(String(32))
    service: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(24), default="intent")
    raw_status: Mapped[str] = mapped_column(String(64), default="")
    carrier_ref: Mapped[str] = mapped_column(String(100), default="")
    tracking_number: Mapped[str] = mapped_column(String(100), default="")
    cod_amount: Mapped[Decimal | None] = mapped_column(MONEY, nullable=True)
    request: Mapped[dict] = mapped_column(JSON, default=dict)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    printed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Label(Base):
    """A carrier label file fetched server-side (its URL may embed an API key), kept for printing."""

    __tablename__ = "labels"
    __table_args__ = (UniqueConstraint("shipment_id", "fmt", name="uq_label_shipment_fmt"),)
    id: Mapped[int] = mapped_column(ID, primary_key=True)
    shipment_id: Mapped[int] = mapped_column(ForeignKey("shipments.id"))
    fmt: Mapped[str] = mapped_column(String(8))  # pdf | zpl
    content: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Payment(Base):
    """One payment attempt at a gateway for an order: what WE expect, and what the gateway confirmed.

    ``session_id`` is the merchant-side reference (P24 ``sessionId``, PayU ``extOrderId``), unique per
    gateway. ``order_id`` may be empty while a notice waits for its WooCommerce order. ``status``:
    ``pending`` -> ``paid`` (only after P24 ``transaction/verify`` / a PayU order read back COMPLETED)
    | ``cancelled`` | ``mismatch`` (amount, currency or order state wrong: an operator decides);
    ``refund_status``: ``proposed`` -> ``requested`` -> ``done`` | ``failed``.
    """

    __tablename__ = "payments"
    __table_args__ = (UniqueConstraint("gateway", "session_id", name="uq_payment_session"),
                      Index("ix_payment_status", "status", "created_at"))
    id: Mapped[int] = mapped_column(ID, primary_key=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id"))
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"), nullable=True)
    order_ref: Mapped[str] = mapped_column(String(64), default="")
    gateway: Mapped[str] = mapped_column(String(16))
    session_id: Mapped[str] = mapped_column(String(100))
    gateway_order_id: Mapped[str] = mapped_column(String(64), default="")
    amount: Mapped[Decimal] = mapped_column(MONEY)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    raw_status: Mapped[str] = mapped_column(String(40), default="")
    link: Mapped[str] = mapped_column(String(500), default="")
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    refund_status: Mapped[str] = mapped_column(String(16), default="")
    refund_request_id: Mapped[str] = mapped_column(String(64), default="")
    refund_amount: Mapped[Decimal | None] = mapped_column(MONEY, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
