"""In-memory state of the Nova Poshta sandbox: express waybills (EN/TTN) and a call counter."""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

KYIV = ZoneInfo("Europe/Kyiv")

#: Our own short Ukrainian status texts (``Status`` of getStatusDocuments / ``StateName``).
STATUS_TEXT = {
    "1": "Створено, ще не передано до відправки", "2": "Видалено", "3": "Номер не знайдено",
    "4": "Відправлення у місті відправника", "41": "Відправлення у місті", "5": "Прямує до міста одержувача",
    "6": "Відправлення у місті одержувача", "7": "Прибуло у відділення", "8": "Прибуло у відділення (поштомат)",
    "9": "Відправлення отримано", "10": "Отримано, грошовий переказ очікується",
    "11": "Отримано, грошовий переказ видано", "12": "Комплектується", "101": "На шляху до одержувача",
    "102": "Відмова, створено повернення", "103": "Відмова одержувача", "104": "Змінено адресу",
    "105": "Припинено зберігання", "106": "Отримано, створено ЄН зворотної доставки",
    "111": "Невдала спроба доставки", "112": "Дату доставки перенесено",
}


@dataclass
class Document:
    ref: str
    number: str
    props: dict
    ship_date: date
    created: datetime
    status: str = "1"
    history: list[tuple[str, datetime]] = field(default_factory=list)

    @property
    def deleted(self) -> bool:
        return self.status == "2"

    def set_status(self, code: str) -> None:
        self.status = code
        self.history.append((code, datetime.now(KYIV)))

    def path(self) -> tuple[str, ...]:
        """The default journey of this document, from 1 to received (and the COD transfer)."""
        service = str(self.props.get("ServiceType", ""))
        arrival = "8" if service.endswith("Postomat") else "101" if service.endswith("Doors") else "7"
        tail = ("10", "11") if self.props.get("BackwardDeliveryData") else ()
        return ("1", "4", "5", "6", arrival, "9", *tail)

    def next_status(self) -> str | None:
        path = self.path()
        return path[path.index(self.status) + 1] if self.status in path[:-1] else None


class Store:
    def __init__(self, number_start: int):
        self.lock = threading.RLock()
        self.number_start = number_start
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.by_ref: dict[str, Document] = {}
            self.by_number: dict[str, Document] = {}
            self.next_number = self.number_start
            self.calls: Counter[str] = Counter()

    def add(self, props: dict, ship_date: date) -> Document:
        with self.lock:
            number = str(self.next_number)
            self.next_number += 1
            doc = Document(str(uuid.uuid4()), number, dict(props), ship_date, datetime.now(KYIV))
            doc.set_status("1")
            self.by_ref[doc.ref] = doc
            self.by_number[number] = doc
            return doc

    def find(self, key: str) -> Document | None:
        """By Ref or by TTN."""
        with self.lock:
            return self.by_ref.get(key) or self.by_number.get(key)

    def documents(self) -> list[Document]:
        with self.lock:
            return list(self.by_ref.values())
