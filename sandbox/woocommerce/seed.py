"""Demo catalog, customer checkout and the order trickle.

The ``demo`` catalog (SKU -> stock):

* simple, managed: ``KUB-ZOLC-330`` 25, ``SWI-LAKA-180`` 12, ``NOT-GES-A5`` 40,
  ``TOR-ZDZB`` 3 (Polish names with ą ę ł ó ś ź ż and typographic quotes);
* variable ``TSH-VYSH`` "Футболка «Вишиванка»" with the global attribute
  "Розмір" (``pa_rozmir``) and three managed variations ``TSH-VYSH-S`` 8,
  ``TSH-VYSH-M`` 5, ``TSH-VYSH-L`` 2 (the parent does not manage stock);
* one managed simple product *without* a SKU (stock 30), to exercise code
  that maps products by SKU.

:func:`place_order` is what a shopper does at checkout: it refuses lines
the shop cannot supply (unless ``allow_oversell``), creates the order with
``created_via: "checkout"`` and fires the same hooks as WooCommerce.
"""

from __future__ import annotations

import random
import secrets
import threading
from typing import Any

from . import catalog
from .orders import create_order
from .serialize import display_name, stock_holder
from .store import Shop
from .wpjson import WPError, php_intval

SIMPLE_PRODUCTS = [
    {"name": "Kubek ceramiczny „Żółć” 330 ml", "sku": "KUB-ZOLC-330", "regular_price": "39.90",
     "stock_quantity": 25, "weight": "0.45"},
    {"name": "Świeca sojowa «Łąka» 180 g", "sku": "SWI-LAKA-180", "regular_price": "49.00",
     "stock_quantity": 12, "weight": "0.30"},
    {"name": "Notes w kropki A5 – Gęś", "sku": "NOT-GES-A5", "regular_price": "24.50",
     "stock_quantity": 40, "weight": "0.25"},
    {"name": "Torba lniana „Źdźbło”", "sku": "TOR-ZDZB", "regular_price": "59.99",
     "stock_quantity": 3, "weight": "0.20"},
]
NO_SKU_PRODUCT = {"name": "Pocztówka „Kraków nocą”", "regular_price": "6.50", "stock_quantity": 30}
VARIABLE_PRODUCT = {"name": "Футболка «Вишиванка»", "sku": "TSH-VYSH"}
VARIATIONS = [("S", "TSH-VYSH-S", "120.00", 8), ("M", "TSH-VYSH-M", "120.00", 5),
              ("L", "TSH-VYSH-L", "135.00", 2)]
SIZE_ATTRIBUTE = {"name": "Розмір", "slug": "pa_rozmir"}

BUYERS = [
    ("Małgorzata", "Wiśniewska-Łęcka", "ul. Świętokrzyska 12/4", "Łódź", "90-001", "PL", "+48 600 100 200"),
    ("Jędrzej", "Kaźmierczak", "ul. Żeglarska 7", "Gdańsk", "80-831", "PL", "+48 501 234 567"),
    ("Zofia", "Łukasiewicz", "al. Róż 3 m. 15", "Kraków", "31-008", "PL", "+48 602 345 678"),
    ("Grzegorz", "Brzęczyszczykiewicz", "ul. Źródlana 21", "Wrocław", "50-142", "PL", "+48 790 111 222"),
    ("Bożena", "Dąbrowska", "os. Słoneczne 5", "Poznań", "61-001", "PL", "+48 512 987 654"),
    ("Олена", "Ковальчук", "вул. Хрещатик, 22, кв. 5", "Київ", "01001", "UA", "+380 67 123 4567"),
    ("Тарас", "Шевчук", "просп. Свободи, 14", "Львів", "79000", "UA", "+380 50 765 4321"),
    ("Ганна", "Мельник", "вул. Дерибасівська, 9", "Одеса", "65000", "UA", "+380 63 222 3344"),
    ("Богдан", "Гнатюк", "вул. Сумська, 40", "Харків", "61000", "UA", "+380 97 555 6677"),
]
_TRANSLIT = str.maketrans({"ł": "l", "ą": "a", "ę": "e", "ś": "s", "ź": "z", "ż": "z", "ó": "o",
                           "ć": "c", "ń": "n"})
SHIPPING = {
    "PL": {"method_id": "flat_rate", "method_title": "InPost Paczkomat 24/7", "total": "12.99"},
    "UA": {"method_id": "flat_rate", "method_title": "Нова Пошта — до відділення", "total": "80.00"},
}
PAYMENTS = {"processing": ("przelewy24", "Przelewy24"), "pending": ("przelewy24", "Przelewy24"),
            "on-hold": ("bacs", "Przelew bankowy"), "completed": ("przelewy24", "Przelewy24")}


def seed_demo(shop: Shop) -> list[int]:
    """Create the demo catalog (fires ``product.created`` like the real shop)."""
    with shop.lock:
        shop.attributes.setdefault(1, dict(SIZE_ATTRIBUTE))
        created = []
        for spec in SIMPLE_PRODUCTS + [NO_SKU_PRODUCT]:
            created.append(catalog.create_product(shop, {**spec, "manage_stock": True}).id)
        parent = catalog.create_product(shop, {
            **VARIABLE_PRODUCT, "type": "variable",
            "attributes": [{"id": 1, "options": [size for size, *_ in VARIATIONS], "variation": True}]})
        created.append(parent.id)
        for size, sku, price, stock in VARIATIONS:
            created.append(catalog.create_variation(shop, parent, {
                "sku": sku, "regular_price": price, "manage_stock": True, "stock_quantity": stock,
                "attributes": [{"id": 1, "option": size}]}).id)
        return created


CATALOGS = {"demo": seed_demo}


def random_billing(rng: random.Random) -> dict[str, str]:
    """A plausible Polish or Ukrainian buyer (e-mails on example.com)."""
    first, last, street, city, postcode, country, phone = rng.choice(BUYERS)
    local = f"{first}.{last}".lower().translate(_TRANSLIT)
    if not local.isascii():
        local = f"buyer{rng.randint(1000, 9999)}"
    return {"first_name": first, "last_name": last, "company": "", "address_1": street, "address_2": "",
            "city": city, "state": "", "postcode": postcode, "country": country,
            "email": f"{local}@example.com", "phone": phone}


def _check_availability(shop: Shop, lines: list[dict[str, Any]]) -> None:
    for line in lines:
        product = shop.product_by_sku(str(line.get("sku", ""))) if line.get("sku") else \
            shop.product(line.get("variation_id") or line.get("product_id"))
        if product is None or product.status != "publish" or product.type == "variable":
            raise WPError("woocommerce_sandbox_invalid_line", f"Unknown or unpurchasable product: {line}", 400)
        holder = stock_holder(shop, product)
        quantity = php_intval(line.get("quantity", 1))
        if holder is not None and holder.backorders == "no" and quantity > (holder.stock_quantity or 0):
            name = display_name(shop, product)
            raise WPError("woocommerce_sandbox_out_of_stock",
                          f'Sorry, we do not have enough "{name}" in stock to fulfill your order '
                          f'({max(holder.stock_quantity or 0, 0)} available). '
                          "We apologize for any inconvenience caused.", 409)


def place_order(shop: Shop, body: dict[str, Any], rng: random.Random | None = None):
    """Checkout: validate stock, create the order, pay it when ``processing``."""
    rng = rng or random.Random()
    lines = [line for line in body.get("lines", []) if isinstance(line, dict)]
    if not lines:
        raise WPError("woocommerce_sandbox_invalid_line", "An order needs at least one line.", 400)
    status = str(body.get("status", "processing"))
    billing = {**random_billing(rng), **(body.get("billing") or {})}
    shipping = {key: value for key, value in billing.items() if key != "email"}
    method, title = PAYMENTS.get(status, ("przelewy24", "Przelewy24"))
    params: dict[str, Any] = {
        "status": "pending" if status == "processing" else status,
        "currency": str(body.get("currency", shop.currency)), "billing": billing,
        "shipping": {**shipping, **(body.get("shipping") or {})},
        "payment_method": body.get("payment_method", method),
        "payment_method_title": body.get("payment_method_title", title),
        "customer_note": str(body.get("customer_note", "")),
        "line_items": [{key: line[key] for key in ("sku", "product_id", "variation_id", "quantity")
                        if key in line} for line in lines],
        "shipping_lines": body.get("shipping_lines") or [SHIPPING.get(billing.get("country"), SHIPPING["PL"])],
        "meta_data": body.get("meta_data", []),
    }
    if status == "processing":
        params["set_paid"] = True
        params["transaction_id"] = f"P24-{rng.randint(10**9, 10**10 - 1)}"
    with shop.lock:
        if not body.get("allow_oversell"):
            _check_availability(shop, lines)
        order = create_order(shop, params, strict=False, created_via="checkout")
        order.customer_ip_address = f"203.0.113.{rng.randint(1, 254)}"
        order.customer_user_agent = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
        return order


class OrderTrickle:
    """Places a small random order from the catalog every ``interval`` seconds."""

    def __init__(self, shop: Shop, interval: float, seed: int | None = None) -> None:
        self.shop = shop
        self.interval = interval
        self.rng = random.Random(seed if seed is not None else secrets.randbits(32))
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="wc-sandbox-trickle", daemon=True)

    def start(self) -> None:
        """Begin placing orders in the background."""
        self._thread.start()

    def stop(self) -> None:
        """Stop after the current order."""
        self._stop.set()

    def _lines(self) -> list[dict[str, Any]]:
        with self.shop.lock:
            buyable = [p for p in self.shop.products.values()
                       if p.sku and p.status == "publish" and p.type != "variable"
                       and (stock_holder(self.shop, p) is None
                            or (stock_holder(self.shop, p).stock_quantity or 0) > 0)]
        picks = self.rng.sample(buyable, k=min(len(buyable), self.rng.choice((1, 1, 2))))
        lines = []
        for product in picks:
            holder = stock_holder(self.shop, product)
            most = min(2, holder.stock_quantity) if holder is not None else 2
            lines.append({"sku": product.sku, "quantity": self.rng.randint(1, max(1, most))})
        return lines

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            lines = self._lines()
            if not lines:
                continue
            status = self.rng.choices(("processing", "on-hold", "pending"), weights=(7, 2, 1))[0]
            try:
                place_order(self.shop, {"lines": lines, "status": status}, self.rng)
            except WPError:
                continue
