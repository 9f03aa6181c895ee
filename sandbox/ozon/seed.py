"""The demo catalog, demo buyers, a buyer's checkout and the order trickle.

Demo: the WooCommerce demo's SKUs (simple products and the ``TSH-VYSH-*`` variations, not the SKU-less
postcard) as Ozon products with ``offer_id`` = SKU, Russian names, in the one FBS warehouse
22142605386000, present 5-20, nothing reserved.
"""

from __future__ import annotations

import random
import secrets
import threading
from collections.abc import Callable
from decimal import Decimal

from .lifecycle import OutOfStock
from .store import Store

DEMO_PRODUCTS = [
    ("KUB-ZOLC-330", "Кружка керамическая «Жёлтая» 330 мл", "790", 15),
    ("SWI-LAKA-180", "Свеча соевая «Луг» 180 г", "990", 9),
    ("NOT-GES-A5", "Блокнот в точку A5 «Гусь»", "490", 20),
    ("TOR-ZDZB", "Сумка льняная «Стебелёк»", "1190", 5),
    ("TSH-VYSH-S", "Футболка «Вышиванка», размер S", "2400", 8),
    ("TSH-VYSH-M", "Футболка «Вышиванка», размер M", "2400", 6),
    ("TSH-VYSH-L", "Футболка «Вышиванка», размер L", "2700", 5),
]
BUYERS = [
    {"customer_id": 31_000_001, "name": "Щукин Аркадий Петрович", "phone": "+79161234567", "city": "Москва",
     "region": "Москва", "address": "ул. Тверская, д. 7, кв. 12", "zip_code": "125009"},
    {"customer_id": 31_000_002, "name": "Ёлкина Алёна Сергеевна", "phone": "+79219876543",
     "city": "Санкт-Петербург", "region": "Санкт-Петербург", "address": "Невский пр., д. 28, кв. 3",
     "zip_code": "191186"},
    {"customer_id": 31_000_003, "name": "Жуков Фёдор Ильич", "phone": "+79031112233", "city": "Казань",
     "region": "Республика Татарстан", "address": "ул. Баумана, д. 15", "zip_code": "420111"},
    {"customer_id": 31_000_004, "name": "Воробьёва Людмила Юрьевна", "phone": "+79124445566",
     "city": "Екатеринбург", "region": "Свердловская область", "address": "ул. Малышева, д. 51, кв. 40",
     "zip_code": "620014"},
]


def seed_demo(store: Store) -> list[dict]:
    """Create the demo products; ``[{"sku", "product_id", "ozon_sku", "warehouse_id"}]``."""
    warehouse = store.default_warehouse.id
    created = []
    for offer_id, name, price, present in DEMO_PRODUCTS:
        product = store.list_product(offer_id, name, Decimal(price), present, warehouse)
        created.append({"sku": offer_id, "product_id": product.product_id, "ozon_sku": product.sku,
                        "warehouse_id": warehouse})
    return created


CATALOGS: dict[str, Callable[[Store], list[dict]]] = {"demo": seed_demo}


def random_buyer(rng: random.Random) -> dict:
    return dict(rng.choice(BUYERS))


class OrderTrickle:
    """Every ``interval`` seconds, a random checkout of 1-2 demo lines (quantity 1-2) that the listing can
    supply; ``place(lines)`` is the sandbox's checkout and may refuse (then nothing happens)."""

    def __init__(self, store: Store, place: Callable[[list[dict]], object], interval: float, seed: int | None = None):
        self.store, self.place, self.interval = store, place, float(interval)
        self.rng = random.Random(seed if seed is not None else secrets.randbits(32))
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="ozon-sandbox-trickle", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def lines(self) -> list[dict]:
        demo = {offer_id for offer_id, *_ in DEMO_PRODUCTS}
        with self.store.lock:
            buyable = [(p.offer_id, p.available) for p in self.store.sorted_products()
                       if p.offer_id in demo and p.available > 0]
        picks = self.rng.sample(buyable, k=min(len(buyable), self.rng.choice((1, 2))))
        return [{"sku": offer_id, "quantity": self.rng.randint(1, min(2, available))} for offer_id, available in picks]

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            lines = self.lines()
            if lines:
                try:
                    self.place(lines)
                except OutOfStock:  # sold meanwhile: skip this round
                    continue
