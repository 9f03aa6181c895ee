"""Demo catalog (the SKUs of the WooCommerce demo, as Allegro offers) and the order trickle.

``demo``: one ACTIVE offer per SKU, ``external.id`` = the seller SKU, Polish names, stock 5-20:
``KUB-ZOLC-330`` 18, ``SWI-LAKA-180`` 12, ``NOT-GES-A5`` 20, ``TOR-ZDZB`` 5, ``TSH-VYSH-S`` 8,
``TSH-VYSH-M`` 6, ``TSH-VYSH-L`` 5 (the SKU-less WooCommerce product has no offer).
"""

from __future__ import annotations

import logging
import random
import secrets
import threading

from .checkout import CheckoutRefused, place
from .store import Store

log = logging.getLogger(__name__)
DEMO = [
    ("KUB-ZOLC-330", "Kubek ceramiczny „Żółć” 330 ml", "39.90", 18),
    ("SWI-LAKA-180", "Świeca sojowa „Łąka” 180 g", "49.00", 12),
    ("NOT-GES-A5", "Notes w kropki A5 – Gęś", "24.50", 20),
    ("TOR-ZDZB", "Torba lniana „Źdźbło”", "59.99", 5),
    ("TSH-VYSH-S", "Koszulka „Wyszywanka” – rozmiar S", "120.00", 8),
    ("TSH-VYSH-M", "Koszulka „Wyszywanka” – rozmiar M", "120.00", 6),
    ("TSH-VYSH-L", "Koszulka „Wyszywanka” – rozmiar L", "135.00", 5),
]


def seed_demo(store: Store) -> list[dict]:
    """Create the demo offers; ``[{"sku", "ref"}]``."""
    with store.lock:
        return [{"sku": sku, "ref": store.add_offer(sku, name, price, quantity).id}
                for sku, name, price, quantity in DEMO]


CATALOGS = {"demo": seed_demo}


class OrderTrickle:
    """Every ``interval`` s a random buyer buys 1-2 lines (quantity 1-2) of what is on sale; short -> skip."""

    def __init__(self, store: Store, interval: float, seed: int | None = None) -> None:
        self.store, self.interval = store, float(interval)
        self.rng = random.Random(seed if seed is not None else secrets.randbits(32))
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="allegro-sandbox-trickle", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout=2)

    def order_body(self) -> dict | None:
        with self.store.lock:
            skus = sorted({o.sku for o in self.store.offers.values() if o.buyable > 0})
        if not skus:
            return None
        picks = self.rng.sample(skus, k=min(len(skus), self.rng.choice((1, 1, 2))))
        payment = self.rng.choices(("online", "cod", "unpaid"), weights=(7, 2, 1))[0]
        return {"lines": [{"sku": sku, "quantity": self.rng.randint(1, 2)} for sku in picks], "payment": payment,
                "delivery": {"type": self.rng.choice(("locker", "locker", "courier"))}}

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            body = self.order_body()
            if body is None:
                continue
            try:
                place(self.store, body, self.rng)
            except CheckoutRefused as refused:
                log.debug("trickle order skipped: %s", refused.error)
