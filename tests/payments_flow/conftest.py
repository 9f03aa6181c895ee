"""Payments flow fixtures: our app served over real HTTP in a thread, the P24 and PayU sandboxes
beside it, and a shop with both gateway accounts. Events are processed by calling the real drain
(``workers.ingest.drain_inbox``) in the test thread, so each step is observable."""

from __future__ import annotations

import threading

import pytest
from werkzeug.serving import make_server

import sandbox.payu
import sandbox.przelewy24
from pay_support import P24_ACCOUNT, PAYU_ACCOUNT, Flow
from tests.helpers import add_shop
from tests.payments.support import Served


class AppServer:
    """``webhooks.create_app()`` on a free port, so the sandboxes' notifiers reach it over HTTP."""

    def __init__(self):
        from webhooks import create_app

        self.app = create_app()
        self.server = make_server("127.0.0.1", 0, self.app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def flow(env, engine):
    """A shop ``shop1`` (SKU-1: 10 on hand) with P24 and PayU accounts at the sandboxes."""
    opened = []
    try:
        ours = AppServer()
        opened.append(ours)
        p24 = Served(sandbox.przelewy24.create_app({**P24_ACCOUNT, "TIME_SCALE": 0.001,
                                                    "REFUND_DELAY_MINUTES": 0}), "p24_sandbox")
        opened.append(p24)
        payu = Served(sandbox.payu.create_app({**PAYU_ACCOUNT, "TIME_SCALE": 0.0001, "REFUND_DELAY_MINUTES": 0}),
                      "payu_sandbox")
        opened.append(payu)
        add_shop(engine, "shop1", stock={"SKU-1": 10})
        made = Flow(engine, ours, p24, payu)
        made.configure()
        yield made
    finally:
        for item in reversed(opened):
            item.close()
