"""``python -m sandbox.przelewy24`` / ``python -m sandbox.payu`` run as real processes, and the
sandboxes import nothing of the middleware."""

from __future__ import annotations

import ast
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from connector.clients.payu import PayUClient
from connector.clients.przelewy24 import Przelewy24Client
from connector.errors import TransientError

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until(call, timeout: float = 15.0):
    deadline = time.monotonic() + timeout
    while True:
        try:
            return call()
        except TransientError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


@pytest.fixture
def run():
    processes: list[subprocess.Popen] = []

    def start(module: str, *args: str) -> str:
        port = free_port()
        processes.append(subprocess.Popen([sys.executable, "-m", module, "--port", str(port), *args], cwd=ROOT,
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                          start_new_session=True))
        return f"http://127.0.0.1:{port}"

    yield start
    for process in processes:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=10)


def test_przelewy24_cli(run):
    url = run("sandbox.przelewy24", "--pos-id", "777", "--merchant-id", "778", "--api-key", "k-ą", "--crc", "c",
              "--time-scale", "0.001")
    client = Przelewy24Client(777, 778, "k-ą", "c", url, timeout=(1, 5))
    assert wait_until(client.test_access) is True
    assert client.register(session_id="cli-1", amount=100, currency="PLN", description="d", email="e@x.pl",
                           url_return="https://x/").token


def test_payu_cli(run):
    url = run("sandbox.payu", "--pos-id", "145227", "--client-secret", "s", "--second-key", "k", "--algorithm", "MD5")
    client = PayUClient("145227", "145227", "s", "k", url, timeout=(1, 5))
    assert wait_until(client.access_token)
    created = client.create_order(ext_order_id="cli-1", total_amount=100, currency="PLN", description="d",
                                  customer_ip="127.0.0.1", notify_url="http://127.0.0.1:9/")
    assert client.retrieve_order(created.order_id)["status"] == "NEW"


@pytest.mark.parametrize("package", ["przelewy24", "payu"])
def test_sandboxes_import_nothing_of_the_middleware(package):
    forbidden = {"connector", "mappers", "webhooks", "workers", "console"}
    for path in (ROOT / "sandbox" / package).glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level else []
            assert not {name.split(".")[0] for name in names} & forbidden, f"{path.name} imports {names}"
