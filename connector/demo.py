"""The demo behind ``stockbridge run`` on a machine with nothing configured: one stock, five channels.

Starts the WooCommerce sandbox (demo catalog, a checkout every few seconds) and the Allegro, Rozetka,
Ozon and Prom.ua sandboxes (the same SKUs, their own buyers placing orders), then does what a shop
owner would: ``shop add`` + ``shop connect`` (webhooks created through the REST API) + ``catalog
import`` (the shop's figures are the physical count), then per marketplace ``channel add`` (with
``--mirror-to demo``: their orders also appear in the shop) + ``channel connect`` (Allegro's device
flow, approved by the sandbox) + ``channel map`` (offers matched by SKU; from then on they show the
ledger's figure), and an Oozor manual channel. Every sale anywhere reserves in the one ledger and
every channel hears the new figure.
"""

from __future__ import annotations

import json
import socket
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import requests

DEMO_SHOP = "demo"
MANUAL_CHANNEL = "oozor"
MARKER = "demo-channels.json"  # in the data dir: the channels the demo created, so a restart can replace them
CK, CS = "ck_demo_sandbox_key", "cs_demo_sandbox_secret"


@dataclass(frozen=True)
class DemoMarketplace:
    """One sandbox marketplace of the demo: how to start it and how an owner would add the account."""

    name: str
    kind: str
    module: str
    flags: tuple[str, ...]
    trickle: float
    api_path: str = ""

    def command(self, port: int) -> list[str]:
        return [sys.executable, "-m", self.module, "--port", str(port), "--seed", "demo",
                "--order-trickle", str(self.trickle), *self.flags]


MARKETPLACES = (
    DemoMarketplace("allegro", "allegro", "sandbox.allegro",
                    ("--client-id", "demo-client", "--client-secret", "demo-secret", "--auto-approve"), 11),
    DemoMarketplace("rozetka", "rozetka", "sandbox.rozetka", ("--username", "demo", "--password", "demo-pass"), 13),
    DemoMarketplace("ozon", "ozon", "sandbox.ozon", ("--client-id", "123456", "--api-key", "demo-key"), 17),
    DemoMarketplace("prom", "prom", "sandbox.prom", ("--token", "demo-token"), 19, "/api/v1"),
)
CREDENTIALS = {"allegro": ("client_id=demo-client", "client_secret=demo-secret"),
               "rozetka": ("username=demo", "password=demo-pass"),
               "ozon": ("client_id=123456", "api_key=demo-key"), "prom": ("token=demo-token",)}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def sandbox_command(port: int, trickle_seconds: float) -> list[str]:
    return [sys.executable, "-m", "sandbox.woocommerce", "--port", str(port), "--seed", "demo",
            "--order-trickle", str(trickle_seconds), "--consumer-key", CK, "--consumer-secret", CS]


def demo_commands(shop_port: int) -> tuple[list[list[str]], dict[str, str]]:
    """(commands to start, {channel: base URL}) for the shop and every marketplace sandbox."""
    commands, urls = [sandbox_command(shop_port, trickle_seconds=5)], {DEMO_SHOP: f"http://127.0.0.1:{shop_port}"}
    for market in MARKETPLACES:
        port = free_port()
        commands.append(market.command(port))
        urls[market.name] = f"http://127.0.0.1:{port}"
    return commands, urls


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
    """One ``stockbridge`` command, as an owner would type it, run in this process (no Python start each)."""
    import click

    from connector.cli import main

    try:
        main.main(args=list(args), prog_name="stockbridge", standalone_mode=False)
    except click.ClickException as exc:
        raise RuntimeError(f"stockbridge {' '.join(args[:2])}: {exc.format_message()}") from exc


def remember_demo(data_dir: Path, urls: dict[str, str]) -> None:
    """Written before onboarding: the channels the demo creates and the sandbox each one talks to."""
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / MARKER).write_text(json.dumps({**urls, MANUAL_CHANNEL: ""}), encoding="utf-8")


def only_previous_demo(data_dir: Path, existing: dict[str, str]) -> bool:
    """True when every channel there is ({name: base URL}) is one an earlier demo created against its own
    sandboxes, whose state died with them; an owner's channel, even one called "demo", never matches."""
    try:
        created = json.loads((data_dir / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if not isinstance(created, dict) or not existing:
        return False
    return all(name in created and (url or "").startswith(created[name]) for name, url in existing.items())


def discard_previous_demo(database_url: str, redis_url: str) -> None:
    """Empty the database and our Redis keys: the old demo's orders name sandbox orders that no longer exist."""
    from redis import Redis

    from connector.migrate import empty_database

    empty_database(database_url)
    redis = Redis.from_url(redis_url)
    for pattern in ("sb:*", "rq:*"):
        keys = list(redis.scan_iter(pattern, count=1000))
        for start in range(0, len(keys), 500):
            redis.delete(*keys[start:start + 500])


def onboard(urls: dict[str, str], public_url: str) -> None:
    """Connect the sandbox shop and marketplaces exactly as the README tells an owner to."""
    shop_url = urls[DEMO_SHOP]
    wait_until_up(shop_url + "/__sandbox__/stock")
    wait_until_up(public_url + "/healthz")
    _cli("shop", "add", DEMO_SHOP, "--url", shop_url, "--consumer-key", CK, "--consumer-secret", CS,
         "--webhook-secret", "replaced-by-connect")
    _cli("shop", "connect", DEMO_SHOP, "--public-url", public_url, "--rotate-secret")
    _cli("catalog", "import", DEMO_SHOP)
    for market in MARKETPLACES:
        _connect_marketplace(market, urls[market.name], public_url)
    _cli("channel", "add", MANUAL_CHANNEL, "--kind", "manual")
    print(f"demo ready: one stock for the sandbox shop {shop_url} and "
          + ", ".join(f"{m.name} {urls[m.name]}" for m in MARKETPLACES) + "; each places orders every few seconds\n"
          f"  watch it:  stockbridge stock show KUB-ZOLC-330   |   stockbridge events list\n"
          f"  API:       curl -H \"Authorization: Bearer $(cat var/admin-token)\" {public_url}/api/stock/KUB-ZOLC-330\n"
          f"  console:   {public_url}/console/  (log in with the admin token)", flush=True)


def _connect_marketplace(market: DemoMarketplace, url: str, public_url: str) -> None:
    wait_until_up(url + "/__sandbox__/stock")
    extra = ("--set", "auth_url=" + url) if market.kind == "allegro" else ()
    if market.kind == "ozon":
        extra = ("--set", 'push_sources=["127.0.0.0/8"]')
    creds = [arg for pair in CREDENTIALS[market.kind] for arg in ("--credential", pair)]
    _cli("channel", "add", market.name, "--kind", market.kind, "--url", url + market.api_path, *creds, *extra,
         "--mirror-to", DEMO_SHOP)
    _cli("channel", "connect", market.name)
    _cli("channel", "map", market.name)
    if market.kind == "ozon":
        requests.post(url + "/__sandbox__/push", json={"url": f"{public_url}/webhooks/ozon/{market.name}"}, timeout=10)
