"""The README's run command on a machine with nothing configured: the demo shop and the four marketplace
sandboxes connect, orders anywhere reserve in the one ledger, and every channel shows the ledger's figure."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import requests

from connector.demo import DEMO_SHOP, MARKETPLACES
from tests.conftest import ADMIN_TOKEN, ROOT, free_port
from tests.processes import Proc, wait_for

AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


def _get(url: str):
    try:
        return requests.get(url, headers=AUTH, timeout=2).json()
    except (requests.RequestException, ValueError):
        return None


def _reserved_order(web: str, channel: str) -> dict | None:
    """A processed order of ``channel`` holding reservations, or None yet."""
    events = _get(f"{web}/api/events?channel={channel}")
    if not isinstance(events, list):  # 404 until the channel is added
        return None
    for event in events:
        if event["topic"].startswith("order") and event["status"] == "processed":
            order = _get(f"{web}/api/orders/{channel}/{event['resource_id']}") or {}
            if order.get("reservations"):  # an order placed before the import reserves once it is done
                return order
    return None


def _marketplace_urls() -> dict[str, str]:
    listed = subprocess.run([sys.executable, "-m", "connector.cli", "channel", "list"], cwd=ROOT,
                            env=os.environ.copy(), capture_output=True, text=True, timeout=60, check=True)
    return {channel["name"]: channel["url"].removesuffix("/api/v1") for channel in json.loads(listed.stdout)
            if channel["kind"] != "manual"}


def _every_channel_agrees(web: str, shop: str, markets: dict[str, str], sku: str) -> bool:
    """Our figure for each channel is what that channel's own buyers see, at one moment."""
    ours = (_get(f"{web}/api/stock/{sku}") or {}).get("channels", {})
    shown = {DEMO_SHOP: (_get(f"{shop}/__sandbox__/stock") or {}).get(sku)}
    shown |= {name: (_get(f"{url}/__sandbox__/stock") or {}).get(sku) for name, url in markets.items()}
    return all(name in ours and ours[name]["last_pushed"] is not None and ours[name]["figure"] == value
               for name, value in shown.items())


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # the demo's embedded default only
def test_run_with_nothing_configured_shares_one_stock_across_five_channels(env):
    port, shop_port = free_port(), free_port()
    run = Proc(["-m", "connector.cli", "run", "--port", str(port), "--demo-port", str(shop_port)], name="run")
    web, shop = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{shop_port}"
    try:
        order = wait_for(lambda: _reserved_order(web, DEMO_SHOP), timeout=60, interval=0.5,
                         what="a demo shop order reserving stock")
        markets = wait_for(lambda: len(urls := _marketplace_urls()) == len(MARKETPLACES) and urls, timeout=60,
                           interval=1, what="every marketplace account added")
        for name in markets:  # the sandboxes' buyers order every 11-19 s
            wait_for(lambda: _reserved_order(web, name), timeout=90, interval=0.5,
                     what=f"a {name} order reserving in the shared ledger")
        sku = order["reservations"][0]["sku"]
        # Ozon takes one figure per SKU every 30 s, so a moment where all five agree can take that long.
        wait_for(lambda: _every_channel_agrees(web, shop, markets, sku), timeout=90, interval=0.5,
                 what="every channel showing the ledger's figure")
    finally:
        run.stop(timeout=40)
    assert run.popen.returncode == 0, run.log_tail()
