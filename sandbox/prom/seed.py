"""The ``demo`` seed: the WooCommerce sandbox's SKUs as Prom products, demo buyers and Nova Poshta cities.

Products (``external_id`` = the Woo SKU; UAH prices; Ukrainian names, Russian in ``name_multilang``):
``KUB-ZOLC-330`` 12, ``SWI-LAKA-180`` 8, ``NOT-GES-A5`` 20, ``TOR-ZDZB`` 5, and the variations of
"Футболка «Вишиванка»" ``TSH-VYSH-S`` 10, ``TSH-VYSH-M`` 7, ``TSH-VYSH-L`` 5 (one ``variation_group_id``).
The Woo product without a SKU has no Prom twin (nothing to key it by). No orders are seeded.
"""

from __future__ import annotations

import uuid
import zlib
from decimal import Decimal

from .store import Store

HOME, PAPER, BAGS, CLOTHES = (1000101, "Дім і затишок"), (1000102, "Канцелярія"), (1000103, "Сумки"), \
    (1000104, "Одяг")
SIMPLE_PRODUCTS = [
    ("KUB-ZOLC-330", "Горнятко керамічне «Жовтець» 330 мл", "Кружка керамическая «Лютик» 330 мл", "399", 12, HOME),
    ("SWI-LAKA-180", "Свічка соєва «Луг» 180 г", "Свеча соевая «Луг» 180 г", "449.50", 8, HOME),
    ("NOT-GES-A5", "Блокнот у крапку A5 — «Гуска»", "Блокнот в точку A5 — «Гусь»", "245", 20, PAPER),
    ("TOR-ZDZB", "Торба лляна «Стеблина»", "Сумка льняная «Стебелёк»", "599", 5, BAGS),
]
VARIATIONS = [("TSH-VYSH-S", "S", "1199", 10), ("TSH-VYSH-M", "M", "1199", 7), ("TSH-VYSH-L", "L", "1349", 5)]
VARIATION_GROUP_ID = 84512077
DEMO_SKUS = tuple([spec[0] for spec in SIMPLE_PRODUCTS] + [spec[0] for spec in VARIATIONS])

#: (first_name, last_name, second_name, phone, email or None, city)
BUYERS = [
    ("Ґалина", "Їжакевич", "Остапівна", "+380671234567", "galyna.izhakevych@example.com", "Київ"),
    ("Олена", "Ковальчук", "Петрівна", "+380501112233", None, "Львів"),
    ("Тарас", "Шевчук", "Іванович", "+380632223344", "taras.shevchuk@example.com", "Одеса"),
    ("Євгенія", "Щербак", "", "+380973334455", None, "Харків"),
    ("Остап", "Ґудзь", "Юрійович", "+380664445566", "ostap.gudz@example.com", "Дніпро"),
    ("Ярина", "Гнатюк-Підгірна", "Богданівна", "+380935556677", None, "Івано-Франківськ"),
]
CITIES = sorted({buyer[5] for buyer in BUYERS} | {"Житомир", "Чернігів"})


def seed_demo(store: Store) -> list[int]:
    """Create the demo products; their Prom ids."""
    created = [store.add_product(sku, (uk, ru), Decimal(price), quantity, "available", group).id
               for sku, uk, ru, price, quantity, group in SIMPLE_PRODUCTS]
    for sku, size, price, quantity in VARIATIONS:
        names = (f"Футболка «Вишиванка», розмір {size}", f"Футболка «Вышиванка», размер {size}")
        created.append(store.add_product(sku, names, Decimal(price), quantity, "available", CLOTHES,
                                         VARIATION_GROUP_ID).id)
    return created


CATALOGS = {"demo": seed_demo}


def _fake_uuid(kind: str, name: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"https://sandbox.invalid/nova_poshta/{kind}/{name}"))


def city_fields(city: str) -> dict:
    """Nova Poshta refs of a city (fake but stable uuids and a made-up KATOTTG code)."""
    name = city if city.startswith("м. ") else f"м. {city}"
    code = f"UA{zlib.crc32(name.encode()):010d}{zlib.adler32(name.encode()) % 10**7:07d}"
    return {"city_name": name, "city_id": _fake_uuid("city", name), "city_katottg": code}


def warehouse_fields(city: str, warehouse: str) -> dict:
    return {"warehouse": warehouse, "warehouse_id": _fake_uuid("warehouse", f"{city}/{warehouse}")}
