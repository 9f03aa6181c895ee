"""Demo data: the seller's items (the WooCommerce demo SKUs), buyers and Nova Poshta warehouses.

``--seed demo`` creates the seven SKU'd items of ``sandbox/woocommerce/seed.py`` (the SKU-less postcard is not
listed on Rozetka) with ``price_offer_id`` = SKU, prices in UAH and 5-20 units each; the three T-shirt sizes
share one ``rz_group_id`` (Rozetka's variant group). Names: ``name_ua`` Ukrainian, ``name`` Russian.
Buyers and warehouse refs are invented (the refs have Nova Poshta's UUID form).
"""

from __future__ import annotations

import random
from decimal import Decimal

from .store import Store

MUGS = (4625085, "Кружки", 4625073, "Кухлі")
CANDLES = (4654751, "Свечи", 4654745, "Свічки")
NOTEBOOKS = (4627358, "Блокноты", 4627350, "Блокноти")
BAGS = (4630430, "Сумки-шопперы", 4630422, "Сумки-шопери")
TSHIRTS = (4637799, "Футболки", 4637795, "Футболки")
TSHIRT_GROUP = 61000031

#: sku, name_ua, name_ru, price (UAH), stock, article, category, rz_group_id
DEMO_ITEMS = [
    ("KUB-ZOLC-330", "Кухоль керамічний «Жовтизна» 330 мл", "Кружка керамическая «Желтизна» 330 мл",
     "349.00", 12, "KZ-330", MUGS, None),
    ("SWI-LAKA-180", "Свічка соєва «Луг» 180 г", "Свеча соевая «Луг» 180 г", "429.00", 8, "SL-180", CANDLES, None),
    ("NOT-GES-A5", "Блокнот у крапку A5 «Гуска»", "Блокнот в точку A5 «Гусыня»", "219.50", 20, "NG-A5",
     NOTEBOOKS, None),
    ("TOR-ZDZB", "Торба лляна «Стебло»", "Сумка льняная «Стебель»", "529.00", 5, "TZ-01", BAGS, None),
    ("TSH-VYSH-S", "Футболка «Вишиванка», розмір S", "Футболка «Вышиванка», размер S", "899.00", 7, "TV-S",
     TSHIRTS, TSHIRT_GROUP),
    ("TSH-VYSH-M", "Футболка «Вишиванка», розмір M", "Футболка «Вышиванка», размер M", "899.00", 6, "TV-M",
     TSHIRTS, TSHIRT_GROUP),
    ("TSH-VYSH-L", "Футболка «Вишиванка», розмір L", "Футболка «Вышиванка», размер L", "949.00", 5, "TV-L",
     TSHIRTS, TSHIRT_GROUP),
]

#: first, last, second (patronymic), phone
BUYERS = [
    ("Ґалина", "Щербак", "Олексіївна", "380671234567"),
    ("Тарас", "Шевчук", "Богданович", "380507654321"),
    ("Олена", "Ковальчук", "Іванівна", "380632223344"),
    ("Богдан", "Гнатюк", "Петрович", "380975556677"),
    ("Ярослава", "Їжакевич", "Юріївна", "380931112233"),
    ("Пётр", "Щукин", "Ильич", "380661239876"),
]

#: name_ua -> Rozetka city object (Kyiv is id 1 as in the apidoc; the other ids are invented)
CITIES = {
    "Київ": {"id": 1, "name": "Киев", "name_ua": "Київ", "region_title": "Київська обл.", "title": "Киев", "status": 1},
    "Львів": {"id": 22, "name": "Львов", "name_ua": "Львів", "region_title": "Львівська обл.", "title": "Львов",
              "status": 1},
    "Одеса": {"id": 31, "name": "Одесса", "name_ua": "Одеса", "region_title": "Одеська обл.", "title": "Одесса",
              "status": 1},
    "Харків": {"id": 44, "name": "Харьков", "name_ua": "Харків", "region_title": "Харківська обл.",
               "title": "Харьков", "status": 1},
}
#: city, place_id, warehouse number, street, house, Nova Poshta warehouse ref
WAREHOUSES = [
    ("Київ", 15801, "22", "вул. Хрещатик", "22", "5a39e2c4-e1c2-11e3-8c4a-0050568002cf"),
    ("Київ", 15917, "131", "вул. Велика Васильківська", "100", "7b8d34f1-e1c2-11e3-8c4a-0050568002cf"),
    ("Львів", 21044, "7", "вул. Городоцька", "120", "c3e9a0d2-e1c2-11e3-8c4a-0050568002cf"),
    ("Одеса", 30412, "15", "вул. Дерибасівська", "9", "0f6b5e77-e1c2-11e3-8c4a-0050568002cf"),
    ("Харків", 44120, "3", "вул. Сумська", "40", "9d4c1b28-e1c2-11e3-8c4a-0050568002cf"),
]


def seed_demo(store: Store) -> list[str]:
    """Create the demo items; their SKUs."""
    for sku, name_ua, name_ru, price, stock, article, category, group in DEMO_ITEMS:
        store.upsert_item(sku, stock, name_ua, name_ru, Decimal(price), article=article, category=category,
                          rz_group_id=group)
    return [row[0] for row in DEMO_ITEMS]


CATALOGS = {"demo": seed_demo}


def random_buyer(rng: random.Random) -> dict:
    first, last, second, phone = rng.choice(BUYERS)
    return {"first_name": first, "last_name": last, "second_name": second, "phone": phone,
            "user_id": rng.randint(30_000_000, 49_999_999)}


def delivery(rng: random.Random, wanted: dict | None = None) -> dict:
    """The expanded ``delivery`` object: a Nova Poshta warehouse (of ``wanted["city"]`` when it is a demo
    city), then any of ``ref_id``, ``place_id``, ``place_number``, ``place_street``, ``place_house``,
    ``recipient_title`` from ``wanted`` on top."""
    wanted = wanted or {}
    choices = [w for w in WAREHOUSES if w[0] == wanted.get("city")] or WAREHOUSES
    city, place_id, number, street, house, ref = rng.choice(choices)
    body = {"delivery_service_id": 5, "delivery_service_name": "Новая Почта", "recipient_title": "",
            "place_id": place_id, "place_street": street, "place_number": number, "place_house": house,
            "place_flat": None, "cost": None, "reserve_date": None, "city": dict(CITIES[city]),
            "delivery_method_id": 1, "ref_id": ref, "name_logo": "nova-pochta", "email": None}
    keys = ("ref_id", "place_id", "place_number", "place_street", "place_house", "recipient_title")
    body.update({key: wanted[key] for key in keys if key in wanted})
    return body
