"""Records of the Prom sandbox (products, orders, order lines) and Prom's vocabularies.

Titles come in two languages, ``(uk, ru)``: the ``X-LANGUAGE`` header picks one (default ``uk``).
Seller-defined custom statuses (``custom-<id>``) have one title, as the seller typed it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

LANGUAGES = ("uk", "ru")
#: Native order statuses: numeric id in ``/order_status_options/list`` [3p] and (uk, ru) titles.
STATUSES: dict[str, tuple[int | None, str, str]] = {
    "pending": (0, "Новий", "Новый"),
    "received": (1, "Прийнято", "Принят"),
    "delivered": (3, "Виконано", "Выполнен"),
    "canceled": (4, "Скасовано", "Отменен"),
    "paid": (6, "Оплачено", "Оплачен"),
    "draft": (None, "Чернетка", "Черновик"),
}
#: What ``POST /orders/set_status`` accepts besides ``custom-<id>`` (``draft`` is Prom's own state).
SETTABLE_STATUSES = ("pending", "received", "paid", "delivered", "canceled")
CANCELLATION_REASONS: dict[str, tuple[str, str]] = {
    "not_available": ("Немає в наявності", "Нет в наличии"),
    "price_changed": ("Ціна змінилась", "Цена была изменена"),
    "buyers_request": ("Покупець відмовився", "Покупатель отказался"),
    "not_enough_fields": ("Недостатньо даних", "Недостаточно данных"),
    "duplicate": ("Дублікат замовлення", "Дубликат заказа"),
    "invalid_phone_number": ("Неправильний телефон замовника", "Неправильный телефон заказчика"),
    "less_than_minimal_price": ("Ціна менша за мінімальну", "Цена меньше минимальной"),
    "another": ("Інше", "Другое"),
}
TEXT_REQUIRED_REASONS = frozenset({"price_changed", "not_enough_fields", "another"})
PRESENCES = ("available", "not_available", "order", "waiting")
DELIVERY_TYPES = ("nova_poshta", "ukrposhta", "meest", "justin")
#: delivery_option per provider: (id, name) as a seller's delivery settings show them [unv ids].
DELIVERY_OPTIONS = {"nova_poshta": (18781193, "Нова Пошта"), "ukrposhta": (18781194, "Укрпошта"),
                    "meest": (18781195, "Meest ПОШТА"), "justin": (18781196, "Justin")}
#: payment_option per checkout payment kind (names as Prom shows them, the contract's spelling).
PAYMENT_OPTIONS = {"cod": (10827897, "Наложенный платеж"), "online": (7547964, "Пром-оплата")}
CENT = Decimal("0.01")
CPA_RATE = Decimal("0.15")


def localized(titles: tuple[str, str], lang: str) -> str:
    """The ``uk`` or ``ru`` title of a ``(uk, ru)`` pair."""
    return titles[1] if lang == "ru" else titles[0]


def format_price(amount: Decimal, thousands: str = "\u2009") -> str:
    """Prom's money string: ``"244 грн"``, ``"1<thin space>244,50 грн"`` (quirk: a string, comma decimals)."""
    cents = int((amount.quantize(CENT, rounding=ROUND_HALF_UP) * 100).to_integral_value())
    whole, rest = divmod(cents, 100)
    grouped = f"{whole:,}".replace(",", thousands)
    return f"{grouped},{rest:02d} грн" if rest else f"{grouped} грн"


def iso(moment: datetime) -> str:
    """``2025-04-07T06:46:43.570150+00:00`` (always microseconds and the offset)."""
    return moment.isoformat(timespec="microseconds")


@dataclass
class Product:
    """A Prom product; ``external_id`` is the seller's SKU, ``sku`` Prom's own article code."""

    id: int
    external_id: str
    sku: str
    name_uk: str
    name_ru: str
    price: Decimal
    quantity_in_stock: int | None
    presence: str
    date_modified: datetime
    group: tuple[int, str] | None = None
    variation_group_id: int | None = None

    def name(self, lang: str) -> str:
        return self.name_ru if lang == "ru" else self.name_uk

    def buyable(self) -> int | None:
        """Units a buyer can order now (None = unlimited): 0 unless ``available``/``order``."""
        if self.presence not in ("available", "order"):
            return 0
        return self.quantity_in_stock


@dataclass
class OrderLine:
    """One ``products[]`` entry, frozen at checkout (name and price as they were then)."""

    product_id: int
    external_id: str
    sku: str
    name_uk: str
    name_ru: str
    price: Decimal
    quantity: int

    @property
    def total(self) -> Decimal:
        return self.price * self.quantity


@dataclass
class Order:
    """A Prom order; ``payment`` is ``cod`` or ``online`` (``payment_status`` None for cod)."""

    id: int
    date_created: datetime
    date_modified: datetime
    buyer: dict
    delivery: dict
    payment: str
    payment_status: str | None
    payment_modified: datetime | None
    lines: list[OrderLine]
    client_id: int
    status: str = "pending"
    source: str = "portal"
    client_notes: str = ""
    cancellation: tuple[str, str | None] | None = None  # (reason, text)
    seller_calls: list[dict] = field(default_factory=list)

    @property
    def total(self) -> Decimal:
        return sum((line.total for line in self.lines), Decimal("0"))
