"""Scale-out: two web servers behind a (simulated) load balancer, three workers on their own, one scheduler,
one Redis, the shared database. Every order lands exactly once and the shop ends up with the ledger's figure."""

from __future__ import annotations

import itertools

import requests

from tests.conftest import ADMIN_TOKEN
from tests.helpers import SECRET, cli, php_json, woo_headers, woo_order
from tests.processes import CK, CS, Proc, start_sandbox, start_web, start_worker, wait_for

AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
ORDERS = 60




def test_several_web_processes_and_workers_share_one_truth(env):
    procs = []
    try:
        sandbox, shop = start_sandbox("--seed", "demo")
        procs.append(sandbox)
        webs = [start_web(workers=2) for _ in range(2)]
        procs += [proc for proc, _ in webs]
        procs += [start_worker(f"w{i}") for i in range(3)]
        procs.append(Proc(["-m", "connector.cli", "scheduler"], name="scheduler"))
        cli("shop", "add", "shop1", "--url", shop, "--consumer-key", CK, "--consumer-secret", CS,
            "--webhook-secret", SECRET)
        cli("catalog", "import", "shop1")  # NOT-GES-A5: 40 on hand, product id 12
        balancer = itertools.cycle([url for _, url in webs])
        for i in range(ORDERS):
            body = php_json(woo_order(9000 + i, "processing", [("NOT-GES-A5", 1, 12, 0)]))
            for topic in ("order.created", "order.updated"):  # WooCommerce's twins, to different processes
                response = requests.post(f"{next(balancer)}/webhooks/woocommerce/shop1", data=body,
                                         headers=woo_headers(topic, body), timeout=10)
                assert response.status_code == 200, response.text
        web = webs[0][1]

        def settled():
            events = requests.get(f"{web}/api/events?channel=shop1&limit=1000", headers=AUTH, timeout=5).json()
            stock = requests.get(f"{web}/api/stock/NOT-GES-A5", headers=AUTH, timeout=5).json()
            shown = requests.get(f"{shop}/__sandbox__/stock", timeout=5).json()["NOT-GES-A5"]
            done = all(e["status"] == "processed" for e in events)
            return stock if done and stock["reserved"] == 40 and shown == 0 else None

        stock = wait_for(settled, timeout=60, interval=0.3, what="all orders applied and pushed")
        assert (stock["on_hand"], stock["available"]) == (40, 0)
        events = requests.get(f"{web}/api/events?channel=shop1&limit=1000", headers=AUTH, timeout=5).json()
        assert len(events) == 2 * ORDERS and {e["status"] for e in events} == {"processed"}
        assert all(e["attempts"] == 0 for e in events)  # twins on different workers never collide
        flagged = [o for o in range(ORDERS) if "out_of_stock:NOT-GES-A5" in
                   requests.get(f"{web}/api/orders/shop1/{9000 + o}", headers=AUTH, timeout=5).json()["flags"]]
        assert len(flagged) == ORDERS - 40
    finally:
        for proc in procs:
            proc.stop()
