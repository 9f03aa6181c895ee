"""The whole mirror as real processes: the WooCommerce sandbox and the four marketplace sandboxes, ``stockbridge
web``, workers and the scheduler, configured through the CLI exactly as the README tells an owner.

Used by the cross-channel tests and by ``benchmarks/marketplaces.py``. Every sandbox runs as
``python -m sandbox.<name> --port P`` (its own process, its own port); the scheduler polls each
marketplace every ``poll_seconds``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import requests

from tests.conftest import free_port
from tests.helpers import cli
from tests.processes import CK, CS, Proc, start_sandbox, start_web, start_worker, wait_for, wait_http


@dataclass(frozen=True)
class Market:
    name: str
    module: str
    flags: tuple[str, ...]
    credentials: tuple[str, ...]
    api_path: str = ""


MARKETS = (
    Market("allegro", "sandbox.allegro", ("--client-id", "race-client", "--client-secret", "race-secret",
                                          "--auto-approve", "--async-delay", "0.02"),
           ("client_id=race-client", "client_secret=race-secret")),
    Market("rozetka", "sandbox.rozetka", ("--username", "race", "--password", "race-pass"),
           ("username=race", "password=race-pass")),
    Market("ozon", "sandbox.ozon", ("--client-id", "4242", "--api-key", "race-key", "--pair-interval", "1"),
           ("client_id=4242", "api_key=race-key")),
    Market("prom", "sandbox.prom", ("--token", "race-token"), ("token=race-token",), "/api/v1"),
)




@dataclass
class SharedStack:
    """Start with :meth:`start`, stop with :meth:`stop`; ``urls`` maps channel names to sandbox URLs."""

    workers: int = 3
    poll_seconds: float = 1
    markets: tuple[Market, ...] = MARKETS
    procs: list = field(default_factory=list)
    urls: dict = field(default_factory=dict)
    web: str = ""

    def start(self) -> "SharedStack":
        shop_proc, self.urls["shop1"] = start_sandbox("--seed", "demo")
        self.procs.append(shop_proc)
        for market in self.markets:
            self._start_market(market)
        web_proc, self.web = start_web(workers=2)
        self.procs.append(web_proc)
        self.procs += [start_worker(f"race{i}") for i in range(self.workers)]
        self.procs.append(Proc(["-m", "connector.cli", "scheduler"], name="scheduler"))
        self._configure()
        return self

    def _start_market(self, market: Market) -> None:
        port = free_port()
        self.procs.append(Proc(["-m", market.module, "--port", str(port), "--seed", "demo", *market.flags],
                               name=market.name))
        self.urls[market.name] = f"http://127.0.0.1:{port}"
        wait_http(self.urls[market.name] + "/__sandbox__/stock")

    def _configure(self) -> None:
        cli("shop", "add", "shop1", "--url", self.urls["shop1"], "--consumer-key", CK, "--consumer-secret", CS,
            "--webhook-secret", "set-by-connect")
        cli("shop", "connect", "shop1", "--public-url", self.web)
        cli("catalog", "import", "shop1")
        for market in self.markets:
            url = self.urls[market.name]
            extra = ["--set", f"auth_url={url}"] if market.name == "allegro" else []
            creds = [arg for pair in market.credentials for arg in ("--credential", pair)]
            cli("channel", "add", market.name, "--kind", market.name, "--url", url + market.api_path, *creds, *extra,
                "--set", f"poll_seconds={self.poll_seconds}", "--set", "pair_interval=1")
            cli("channel", "connect", market.name)
            cli("channel", "map", market.name)

    def shows(self, channel: str, sku: str) -> int | None:
        """What buyers of ``channel`` can buy of ``sku`` right now (the sandbox's own view)."""
        return requests.get(self.urls[channel] + "/__sandbox__/stock", timeout=5).json().get(sku)

    def figures(self, sku: str) -> dict[str, int | None]:
        return {name: self.shows(name, sku) for name in self.urls}

    def wait_everywhere(self, sku: str, value: int, timeout: float = 30) -> None:
        wait_for(lambda: all(v == value for v in self.figures(sku).values()), timeout=timeout, interval=0.1,
                 what=f"every channel showing {value} of {sku}")

    def buy(self, channel: str, sku: str, quantity: int = 1) -> bool:
        """A buyer's checkout on ``channel``; False when the channel itself refused (it showed too few)."""
        body = {"lines": [{"sku": sku, "quantity": quantity}]}
        body.update({"status": "processing"} if channel == "shop1" else {"payment": "online"})
        return requests.post(self.urls[channel] + "/__sandbox__/orders", json=body, timeout=10).status_code in (200, 201)

    def stop(self) -> None:
        for proc in reversed(self.procs):
            proc.stop()
