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
from connector.settings import default_data_dir, load_settings

RESTART_PAUSE = 2.0


def _commands(host: str, port: int, worker_count: int) -> list[list[str]]:
    base = [sys.executable, "-m", "connector.cli"]
    commands = [base + ["web", "--host", host, "--port", str(port)], base + ["scheduler"]]
    commands += [base + ["worker", "--name", f"worker-{i + 1}-{int(time.time())}"] for i in range(worker_count)]
    return commands


def _start(command: list[str]) -> subprocess.Popen:
    """Start a child; the demo sandboxes' request logs go to var/demo-<sandbox>.log, not the terminal."""
    module = next((part for part in command if part.startswith("sandbox.")), None)
    if module is None:
        return subprocess.Popen(command)
    log_dir = default_data_dir()
    log_dir.mkdir(parents=True, exist_ok=True)
    log = open(log_dir / f"demo-{module.removeprefix('sandbox.')}.log", "ab")  # noqa: SIM115 - the child's
    return subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)


def _needs_demo(demo: bool | None) -> bool:
    """The demo runs when asked, or when nothing is configured; an earlier demo's channels are replaced
    (their sandboxes kept their state in memory), while any channel of the owner's own ends the demo."""
    from sqlalchemy import select

    from connector import demo as demo_module
    from connector.db import get_engine
    from connector.models import Channel

    if demo is False:
        return False
    settings = load_settings()
    with get_engine(settings.database_url).connect() as conn:
        existing = {name: url for name, url in conn.execute(select(Channel.name, Channel.base_url))}
    if existing and demo_module.only_previous_demo(default_data_dir(), existing):
        print("replacing the previous demo: its orders and figures are discarded", flush=True)
        demo_module.discard_previous_demo(settings.database_url, settings.redis_url)
        existing = {}
    return bool(demo) or not existing


def run_all(*, host: str, port: int, worker_count: int, demo: bool | None = None, demo_port: int = 8089) -> None:
    upgrade(load_settings().database_url)
    commands = _commands(host, port, worker_count)
    with_demo, urls = _needs_demo(demo), {}
    if with_demo:
        from connector.demo import demo_commands, remember_demo

        sandboxes, urls = demo_commands(demo_port)
        remember_demo(default_data_dir(), urls)
        commands += sandboxes
    stopping = False

    def stop(_signum, _frame):
        nonlocal stopping
        stopping = True

    # Installed before anything starts: a stop during the demo's onboarding still stops every child.
    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    children = [_start(cmd) for cmd in commands]
    if with_demo:
        _onboard_demo(urls, f"http://{host}:{port}", lambda: stopping)
    print(f"stockbridge running on http://{host}:{port} (web, scheduler, {worker_count} workers); Ctrl+C stops",
          flush=True)
    while not stopping:
        time.sleep(0.5)
        for i, child in enumerate(children):
            if child.poll() is not None and not stopping:
                print(f"process {' '.join(commands[i][3:5])} exited ({child.returncode}); restarting", flush=True)
                time.sleep(RESTART_PAUSE)
                children[i] = _start(commands[i])
    _stop_all(children)


def _onboard_demo(urls: dict[str, str], public_url: str, stopping) -> None:
    from connector.demo import onboard

    try:
        onboard(urls, public_url)
    except RuntimeError as exc:
        if not stopping():
            print(f"demo set-up failed: {exc}", flush=True)


def _stop_all(children: list[subprocess.Popen]) -> None:
    for child in children:
        child.terminate()
    for child in children:
        try:
            child.wait(timeout=60)
        except subprocess.TimeoutExpired:
            child.kill()
