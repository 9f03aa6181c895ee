"""The README's run command on a machine with nothing configured: the demo shop connects, orders reserve
stock and figures flow back within a minute."""

from __future__ import annotations

import requests

from tests.conftest import ADMIN_TOKEN, free_port
from tests.processes import Proc, wait_for

AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


def test_run_with_nothing_configured_starts_a_working_demo(env):
    port, shop_port = free_port(), free_port()
    run = Proc(["-m", "connector.cli", "run", "--port", str(port), "--demo-port", str(shop_port)], name="run")
    web, shop = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{shop_port}"
    try:
        def reserved_somewhere():
            try:
                events = requests.get(f"{web}/api/events?channel=demo", headers=AUTH, timeout=2).json()
            except (requests.RequestException, ValueError):
                return None
            if not isinstance(events, list):  # 404 until the demo shop is added
                return None
            for event in events:
                if event["topic"].startswith("order.") and event["status"] == "processed":
                    order = requests.get(f"{web}/api/orders/demo/{event['resource_id']}", headers=AUTH,
                                         timeout=2).json()
                    if order.get("reservations"):  # an order placed before the import reserves once it is done
                        return order
            return None

        order = wait_for(reserved_somewhere, timeout=60, interval=0.5, what="a demo order reserving stock")
        sku = order["reservations"][0]["sku"]

        def figures_agree():
            ours = requests.get(f"{web}/api/stock/{sku}", headers=AUTH, timeout=2).json()["channels"]["demo"]
            theirs = requests.get(f"{shop}/__sandbox__/stock", timeout=2).json().get(sku)
            return ours["last_pushed"] is not None and ours["figure"] == theirs == ours["last_pushed"]

        wait_for(figures_agree, timeout=30, interval=0.5, what="the shop showing the ledger's figure")
    finally:
        run.stop(timeout=40)
    assert run.popen.returncode == 0
