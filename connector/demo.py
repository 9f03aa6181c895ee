"""The demo behind ``stockbridge run`` on a machine with nothing configured.

Starts the WooCommerce sandbox with its demo catalog and a trickle of checkout orders, then does
what a shop owner would: ``shop add``, ``shop connect`` (webhooks created through the REST API) and
``catalog import``. Within a minute orders reserve stock and figures flow back to the shop.
"""

from __future__ import annotations

import subprocess
import sys
import time

import requests

DEMO_SHOP = "demo"
CK, CS = "ck_demo_sandbox_key", "cs_demo_sandbox_secret"


def sandbox_command(port: int, trickle_seconds: float) -> list[str]:
    return [sys.executable, "-m", "sandbox.woocommerce", "--port", str(port), "--seed", "demo",
            "--order-trickle", str(trickle_seconds), "--consumer-key", CK, "--consumer-secret", CS]


def wait_until_up(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            requests.get(url, timeout=1)
            return
        except requests.RequestException:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not start within {timeout:.0f}s")


def _cli(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "connector.cli", *args], check=True)


def onboard(shop_url: str, public_url: str) -> None:
    """Connect the sandbox shop exactly as the README tells a shop owner to."""
    wait_until_up(shop_url + "/__sandbox__/stock")
    wait_until_up(public_url + "/healthz")
    _cli("shop", "add", DEMO_SHOP, "--url", shop_url, "--consumer-key", CK, "--consumer-secret", CS,
         "--webhook-secret", "replaced-by-connect")
    _cli("shop", "connect", DEMO_SHOP, "--public-url", public_url, "--rotate-secret")
    _cli("catalog", "import", DEMO_SHOP)
    print(f"demo ready: the sandbox shop at {shop_url} places an order every few seconds;\n"
          f"  watch it:  stockbridge stock show KUB-ZOLC-330   |   stockbridge events list\n"
          f"  API:       curl -H \"Authorization: Bearer $(cat var/admin-token)\" {public_url}/api/stock/KUB-ZOLC-330\n"
          f"  console:   {public_url}/console/  (log in with the admin token)", flush=True)
