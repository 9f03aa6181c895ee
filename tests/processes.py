"""Real processes for end-to-end tests: the WooCommerce sandbox, ``stockbridge web`` and workers."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time

from connector.demo import wait_until_up
from tests.conftest import ROOT, free_port

CK, CS = "ck_e2e_0123456789", "cs_e2e_0123456789"


class Proc:
    """A child process whose log goes to a file (a pipe nobody reads would block it once 64 KiB are logged)."""

    def __init__(self, args: list[str], *, env: dict | None = None, name: str = ""):
        self.name = name or args[2]
        env = env or os.environ.copy()
        log_dir = env.get("STOCKBRIDGE_DATA_DIR") or tempfile.gettempdir()
        self.log = tempfile.NamedTemporaryFile(prefix=f"{self.name}-", suffix=".log", dir=log_dir, delete=False)
        self.popen = subprocess.Popen([sys.executable, *args], cwd=ROOT, env=env,
                                      stdout=subprocess.DEVNULL, stderr=self.log, start_new_session=True)

    def log_tail(self, lines: int = 40) -> str:
        """The end of the process's log, for an assertion message."""
        with open(self.log.name, encoding="utf-8", errors="replace") as handle:
            return "".join(handle.readlines()[-lines:])

    def stop(self, sig=signal.SIGTERM, timeout: float = 20) -> None:
        if self.popen.poll() is None:
            os.killpg(self.popen.pid, sig)
            try:
                self.popen.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait()
        self.log.close()

    def kill9(self) -> None:
        self.stop(signal.SIGKILL)


def wait_http(url: str, timeout: float = 30) -> None:
    wait_until_up(url, timeout)


def start_sandbox(*extra: str) -> tuple[Proc, str]:
    port = free_port()
    proc = Proc(["-m", "sandbox.woocommerce", "--port", str(port), "--consumer-key", CK, "--consumer-secret", CS,
                 *extra], name="sandbox")
    url = f"http://127.0.0.1:{port}"
    wait_http(url + "/__sandbox__/stock")
    return proc, url


def start_web(workers: int = 1) -> tuple[Proc, str]:
    port = free_port()
    proc = Proc(["-m", "connector.cli", "web", "--port", str(port), "--workers", str(workers)], name="web")
    url = f"http://127.0.0.1:{port}"
    wait_http(url + "/healthz")
    return proc, url


def start_worker(name: str = "w") -> Proc:
    return Proc(["-m", "connector.cli", "worker", "--name", f"{name}-{time.time_ns()}"], name="worker")


def wait_for(predicate, timeout: float = 20, interval: float = 0.05, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {what}")
