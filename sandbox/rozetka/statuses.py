"""Order statuses the sandbox uses, their groups and the transition table of ``PUT /orders/{id}``.

Ids and Ukrainian labels are the apidoc's OrdersStatuses model; Russian/English names and colours are the
sandbox's own [unv]. ``status_group``: 1 in processing, 2 successful, 3 unsuccessful. The transition table
is the contract's (``[unv]`` beyond the reference); 1 -> 45 exists but only the buyer takes it, so it is
neither in ``status_available`` nor accepted from the seller.
"""

from __future__ import annotations

from .clock import stamp

#: id -> (name_uk, name_ru, name_en, status_group, color)
STATUSES: dict[int, tuple[str, str, str, int, str]] = {
    1: ("Нове замовлення", "Новый заказ", "New order", 1, "#FFAB00"),
    2: ("Комплектується. Дані підтверджені", "Комплектуется. Данные подтверждены", "Packing, data confirmed", 1,
        "#3E77AA"),
    3: ("Передано в службу доставки", "Передан в службу доставки", "Handed to the delivery service", 1, "#3E77AA"),
    4: ("Доставляється", "Доставляется", "Delivering", 1, "#3E77AA"),
    5: ("Чекає в пункті самовивозу", "Ожидает в пункте самовывоза", "Waiting at pickup station", 1, "#221F1F"),
    6: ("Замовлення виконано", "Заказ выполнен", "Order completed", 2, "#00A046"),
    11: ("Не прийшов за замовленням", "Не пришел за заказом", "Did not pick up the order", 3, "#F84147"),
    12: ("Відмова при отриманні", "Отказ при получении", "Refused on receipt", 3, "#F84147"),
    18: ("Не вдалося зв'язатися", "Не удалось связаться", "Could not reach the buyer", 3, "#F84147"),
    19: ("Замовлення повернено", "Заказ возвращен", "Order returned", 3, "#F84147"),
    26: ("Опрацьовується менеджером", "Обрабатывается менеджером", "Processed by a manager", 1, "#3E77AA"),
    28: ("Неправильні контактні дані", "Неправильные контактные данные", "Wrong contact details", 3, "#F84147"),
    29: ("Ціна змінилася", "Цена изменилась", "Price changed", 3, "#F84147"),
    30: ("Закінчився термін резерву", "Закончился срок резерва", "Reserve expired", 3, "#F84147"),
    42: ("Немає в наявності", "Нет в наличии", "Out of stock", 3, "#F84147"),
    45: ("Скасовано покупцем", "Отменен покупателем", "Cancelled by the buyer", 3, "#F84147"),
    47: ("Планується повторний дзвінок", "Планируется повторный звонок", "Call-back planned", 1, "#3E77AA"),
    50: ("Клієнт не оплатив", "Клиент не оплатил", "The buyer did not pay", 3, "#F84147"),
    55: ("Очікує отримання оплати", "Ожидает получения оплаты", "Awaiting payment", 1, "#FFAB00"),
    61: ("Заплановано передачу перевізникові", "Запланирована передача перевозчику", "Handover to the carrier planned",
         1, "#3E77AA"),
}

#: parent -> children (the contract's table, in its order).
TRANSITIONS: dict[int, tuple[int, ...]] = {
    1: (26, 2, 61, 42, 45, 18, 28, 29),
    26: (2, 61, 42, 18, 28, 29, 47),
    47: (26, 2, 61, 42),
    2: (61, 3, 42),
    61: (3,),
    3: (4,),
    4: (5, 6, 11, 12),
    5: (6, 11),
    55: (26, 50),
}
BUYER_ONLY = frozenset({45})
TTN_REQUIRED = frozenset({3, 61})
#: ``types=5`` "delivering" [unv: which ids]: handed over, on the way, waiting at the pick-up point.
DELIVERING = frozenset({3, 4, 5})
#: Stable row ids of the transition table (``status_available[].id``).
_ROW_IDS = {(parent, child): index for index, (parent, child) in
            enumerate(((p, c) for p, children in TRANSITIONS.items() for c in children), start=1)}


def group(status: int) -> int:
    return STATUSES[status][3] if status in STATUSES else 1


def seller_children(status: int) -> tuple[int, ...]:
    """The statuses the seller may move an order in ``status`` to."""
    return tuple(c for c in TRANSITIONS.get(status, ()) if c not in BUYER_ONLY)


def matches_type(status: int, types: int) -> bool:
    """``types``: 1 all, 2 in processing (group 1), 3 successful (group 2), 4 new (status 1),
    5 delivering, 6 unsuccessful (group 3)."""
    return {1: True, 2: group(status) == 1, 3: group(status) == 2, 4: status == 1,
            5: status in DELIVERING, 6: group(status) == 3}[types]


def status_data(status: int) -> dict:
    """``status_data`` of an order (``name`` Russian, ``name_uk`` Ukrainian: the apidoc's spelling)."""
    uk, ru, en, grp, color = STATUSES.get(status, (str(status), str(status), str(status), 1, "#221F1F"))
    return {"id": status, "name": ru, "name_uk": uk, "name_en": en, "status_group": grp, "status": 1, "color": color}


def status_available(status: int) -> list[dict]:
    """``status_available`` of an order: ``[{parent_id, child_id, id, delivery_type, market_group}]``."""
    return [{"parent_id": status, "child_id": child, "id": _ROW_IDS[(status, child)], "delivery_type": 1,
             "market_group": 0} for child in seller_children(status)]


def history_entry(status: int, epoch: int) -> dict:
    """One ``order_status_history`` row."""
    return {"status_id": status, "created": stamp(epoch),
            "status": {**status_data(status), "title": status_data(status)["name_uk"]}}


def catalog_entry(status: int, expand: set[str]) -> dict:
    """One ``GET /order-statuses/search`` row (here ``name_ua``, not ``name_uk``: the apidoc's quirk);
    ``type`` = the status group [unv]."""
    uk, ru, en, grp, color = STATUSES[status]
    entry = {"id": status, "name": ru, "name_ua": uk, "name_en": en, "type": grp, "status": 1, "color": color}
    if "status_available" in expand:
        entry["status_available"] = [{"parent_id": status, "child_id": child, "delivery_type": 1}
                                     for child in seller_children(status)]
    return entry
