"""Shared pieces of the shipping tests: carrier sandboxes as real processes, carrier accounts, shop rules,
order bodies (a paid Polish locker order, a Ukrainian cash-on-delivery order), the warehouse login.

The sandboxes share no code with the middleware; the label PDFs they serve are drawn in DejaVu Sans, so
the Cyrillic recipient name can be read back from the merged file with pypdf.
"""

from __future__ import annotations

import functools
import json
import re

import pytest
import requests
from sqlalchemy import create_engine

from tests.conftest import free_port
from tests.processes import Proc, wait_for, wait_http

INPOST_TOKEN, INPOST_ORG = "inpost-e2e-token", "4321"
NP_KEY = "np-e2e-key-0123456789abcdef"
WAREHOUSE_PASSWORD = "magazyn-склад-2026"
#: Nova Poshta Refs are UUIDs (the sandbox checks the shape only).
NP_REFS = {"sender_ref": "6e9acced-d072-11e3-95eb-0050568046cd",
           "sender_contact_ref": "7e9acced-d072-11e3-95eb-0050568046cd",
           "sender_address_ref": "8e9acced-d072-11e3-95eb-0050568046cd",
           "sender_city_ref": "9e9acced-d072-11e3-95eb-0050568046cd"}
NP_CITY_KYIV = "8d5a980d-391c-11dd-90d9-001a92567626"
NP_WAREHOUSE_1 = "1ec09d88-e1c2-11e3-8c4a-0050568002cf"
SHIPPING_RULES = [
    {"title_contains": "Paczkomat", "carrier": "inpost", "service": "inpost_locker_standard",
     "point_meta": "paczkomat_id", "template": "small"},
    {"title_contains": "Нова Пошта", "carrier": "np", "service": "WarehouseWarehouse",
     "point_meta": "np_warehouse_ref", "city_meta": "np_city_ref"},
]
SKU = "KUB-ZOLC-330"
PL_NAME = ("Zofia", "Wójcik-Łęcka")
UA_NAME = ("Олена", "Коваль")
CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')




def start_inpost(confirm_delay: str = "none", *extra: str) -> tuple[Proc, str]:
    port = free_port()
    proc = Proc(["-m", "sandbox.inpost", "--port", str(port), "--token", INPOST_TOKEN, "--organization-id",
                 INPOST_ORG, "--confirm-delay", confirm_delay, "--hang-seconds", "2", *extra], name="inpost")
    url = f"http://127.0.0.1:{port}"
    wait_http(url + "/v1/statuses")
    return proc, url


def start_np() -> tuple[Proc, str]:
    port = free_port()
    proc = Proc(["-m", "sandbox.novaposhta", "--port", str(port), "--api-key", NP_KEY, "--hang-seconds", "2"],
                name="novaposhta")
    url = f"http://127.0.0.1:{port}"
    wait_for(lambda: _answers(url + "/__sandbox__/documents"), timeout=20, what="Nova Poshta sandbox")
    return proc, url


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=1).status_code < 500
    except requests.RequestException:
        return False


def carrier_add_args(inpost_url: str, np_url: str, *, np_expires: str | None = None,
                     inpost_zpl: str | None = None) -> list[list[str]]:
    """``stockbridge carrier add`` arguments of the two accounts (``inpost`` and ``np``)."""
    inpost = ["carrier", "add", "inpost", "--integration", "inpost", "--url", inpost_url,
              "--credential", f"token={INPOST_TOKEN}", "--credential", f"organization_id={INPOST_ORG}",
              "--sender", json.dumps({"name": "Sklep Żółw", "phone": "600100200", "email": "sklep@example.com"})]
    np = ["carrier", "add", "np", "--integration", "novaposhta", "--url", np_url,
          "--credential", f"api_key={NP_KEY}", "--credential", "sender_phone=380501112233",
          *[arg for key, value in NP_REFS.items() for arg in ("--credential", f"{key}={value}")]]
    return [inpost + (["--zpl-dpi", inpost_zpl] if inpost_zpl else []),
            np + (["--expires", np_expires] if np_expires else [])]


def add_carriers(engine, inpost_url: str, np_url: str, *, np_expires: str | None = None) -> None:
    """The two carrier accounts written in-process (what ``stockbridge carrier add`` stores)."""
    from connector.db import transaction
    from connector.models import Channel

    with transaction(engine) as session:
        session.add(Channel(name="inpost", kind="carrier", base_url=inpost_url,
                            credentials={"token": INPOST_TOKEN, "organization_id": INPOST_ORG},
                            settings={"carrier": "inpost", "parcel": {"weight_kg": "1.0"},
                                      "sender": {"name": "Sklep Żółw", "phone": "600100200"}}))
        session.add(Channel(name="np", kind="carrier", base_url=np_url,
                            credentials={"api_key": NP_KEY, "sender_phone": "380501112233", **NP_REFS},
                            settings={"carrier": "novaposhta", "parcel": {"weight_kg": "1.0"}, "sender": {"name": "Склад"},
                                      **({"credentials_expire_at": np_expires} if np_expires else {})}))


def set_shop_rules(engine, shop: str = "shop1", **extra) -> None:
    from connector import channels
    from connector.db import transaction

    with transaction(engine) as session:
        channel = channels.by_name(session, shop)
        channel.settings = {**channel.settings, "shipping_methods": SHIPPING_RULES, "ship_when": "paid_or_cod", **extra}


def pl_checkout(**over) -> dict:
    """A paid (Przelewy24) Polish order to an InPost locker, as the sandbox shop's checkout takes it."""
    return {"lines": [{"sku": SKU, "quantity": 1}], "status": "processing", "currency": "PLN",
            "billing": {"first_name": PL_NAME[0], "last_name": PL_NAME[1], "phone": "+48 600 100 200",
                        "email": "zofia@example.com", "address_1": "ul. Świętokrzyska 1/2", "city": "Łódź",
                        "postcode": "90-001", "country": "PL"},
            "shipping_lines": [{"method_id": "flat_rate", "method_title": "InPost Paczkomat 24/7", "total": "12.99",
                                "meta_data": [{"key": "paczkomat_id", "value": "WAW01M"}]}], **over}


def ua_checkout(**over) -> dict:
    """A cash-on-delivery Ukrainian order (on-hold) to a Nova Poshta branch, with Cyrillic name and city."""
    return {"lines": [{"sku": SKU, "quantity": 2}], "status": "on-hold", "currency": "UAH",
            "payment_method": "cod", "payment_method_title": "Оплата при отриманні",
            "billing": {"first_name": UA_NAME[0], "last_name": UA_NAME[1], "phone": "+380 67 123 45 67",
                        "email": "olena@example.com", "address_1": "вул. Хрещатик, 1", "city": "Київ",
                        "postcode": "01001", "country": "UA"},
            "shipping_lines": [{"method_id": "nova_poshta_shipping", "method_title": "Нова Пошта: відділення",
                                "total": "70", "meta_data": [{"key": "np_warehouse_ref", "value": NP_WAREHOUSE_1},
                                                             {"key": "np_city_ref", "value": NP_CITY_KYIV}]}],
            **over}


def webhook_body(order_id: int, checkout: dict, *, minute: int = 0) -> dict:
    """The same orders as a signed ``order.*`` webhook body (for in-process tests without the shop)."""
    from tests.helpers import woo_order

    body = woo_order(order_id, checkout["status"], [(SKU, checkout["lines"][0]["quantity"], 10, 0)],
                     minute=minute, currency=checkout["currency"],
                     payment_method=checkout.get("payment_method", "przelewy24"))
    body["billing"] = {**body["billing"], **checkout["billing"]}
    body["shipping"] = {k: v for k, v in body["billing"].items() if k != "email"}
    body["shipping_lines"] = [{"id": 1, "instance_id": "1", **line} for line in checkout["shipping_lines"]]
    return body


def csrf_token(html: str) -> str:
    found = CSRF_FIELD.search(html)
    assert found, "no csrf_token field"
    return found.group(1)


def warehouse_login(client, password: str = WAREHOUSE_PASSWORD):
    """Log a Flask test client in with the warehouse password; returns the login answer."""
    token = csrf_token(client.get("/console/login").get_data(as_text=True))
    return client.post("/console/login", data={"password": password, "csrf_token": token})


@functools.cache
def reader(url: str):
    """An engine that reads without our sessions' SQLite write lock (a busy worker would starve the poll)."""
    return create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1)
                         if url.startswith("postgresql://") else url)


@pytest.fixture
def warehouse_env(env, monkeypatch):
    monkeypatch.setenv("STOCKBRIDGE_WAREHOUSE_PASSWORD", WAREHOUSE_PASSWORD)
    return env
