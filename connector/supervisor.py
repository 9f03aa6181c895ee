"""``stockbridge run``: one command for a single host: migrate, then web + workers + scheduler.

Children are separate processes (``python -m connector.cli ...``); one that dies is restarted after a
short pause; SIGINT/SIGTERM stop them all with SIGTERM, which lets workers finish their current job.
For several hosts run ``stockbridge web``, ``stockbridge worker`` and exactly one
``stockbridge scheduler`` yourself (README, "Scale-out").
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time

from connector.migrate import upgrade
from connector.settings import load_settings

RESTART_PAUSE = 2.0


def _commands(host: str, port: int, worker_count: int) -> list[list[str]]:
    base = [sys.executable, "-m", "connector.cli"]
    commands = [base + ["web", "--host", host, "--port", str(port)], base + ["scheduler"]]
    commands += [base + ["worker", "--name", f"worker-{i + 1}-{int(time.time())}"] for i in range(worker_count)]
    return commands


def run_all(*, host: str, port: int, worker_count: int) -> None:
    upgrade(load_settings().database_url)
    commands = _commands(host, port, worker_count)
    children = [subprocess.Popen(cmd) for cmd in commands]
    stopping = False

    def stop(_signum, _frame):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    print(f"stockbridge running on http://{host}:{port} (web, scheduler, {worker_count} workers); Ctrl+C stops",
          flush=True)
    while not stopping:
        time.sleep(0.5)
        for i, child in enumerate(children):
            if child.poll() is not None and not stopping:
                print(f"process {' '.join(commands[i][3:5])} exited ({child.returncode}); restarting", flush=True)
                time.sleep(RESTART_PAUSE)
                children[i] = subprocess.Popen(commands[i])
    for child in children:
        child.terminate()
    for child in children:
        try:
            child.wait(timeout=60)
        except subprocess.TimeoutExpired:
            child.kill()
