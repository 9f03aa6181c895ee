"""Shared fixtures: a private real ``redis-server`` and real databases (SQLite always, PostgreSQL when
reachable), plus helpers to sign WooCommerce deliveries independently of the code under test.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import uuid
from pathlib import Path

import pytest
from redis import Redis

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
PG_ADMIN_URL = os.environ.get("STOCKBRIDGE_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
ADMIN_TOKEN = "test-admin-token"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _pg_reachable() -> bool:
    try:
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, connect_timeout=2):
            return True
    except Exception:  # noqa: BLE001 - any failure means "not here"
        return False


PG_AVAILABLE = _pg_reachable() and os.environ.get("STOCKBRIDGE_TEST_NO_PG") != "1"
BACKENDS = ["sqlite", "postgresql"] if PG_AVAILABLE else ["sqlite"]


def pytest_report_header(config):
    return f"stockbridge databases: {', '.join(BACKENDS)}" + ("" if PG_AVAILABLE else " (PostgreSQL not reachable)")


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory):
    """A private redis-server with AOF, like production; never the machine's shared one."""
    binary = shutil.which("redis-server")
    assert binary, "redis-server is required (the test script installs Debian's redis-server)"
    port = free_port()
    workdir = tmp_path_factory.mktemp("redis")
    proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(workdir),
                             "--appendonly", "yes", "--save", "", "--daemonize", "no"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    client = Redis.from_url(url)
    for _ in range(100):
        try:
            client.ping()
            break
        except Exception:  # noqa: BLE001
            time.sleep(0.05)
    yield url
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request, tmp_path_factory):
    """A migrated database per backend for the whole session."""
    from connector.migrate import upgrade

    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'stockbridge.sqlite3'}"
        upgrade(url)
        yield url
        return
    import psycopg

    name = f"sb_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    upgrade(url)
    yield url
    from connector.db import dispose_engines

    dispose_engines()
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _truncate(url: str) -> None:
    from connector.migrate import empty_database

    empty_database(url)


@pytest.fixture
def env(database_url, redis_server, monkeypatch, tmp_path):
    """Environment for in-process code and child processes: a clean database and Redis."""
    from workers import context

    _truncate(database_url)
    Redis.from_url(redis_server).flushdb()
    monkeypatch.setenv("STOCKBRIDGE_DATABASE_URL", database_url)
    monkeypatch.setenv("STOCKBRIDGE_REDIS_URL", redis_server)
    monkeypatch.setenv("STOCKBRIDGE_ADMIN_TOKEN", ADMIN_TOKEN)
    monkeypatch.setenv("STOCKBRIDGE_DATA_DIR", str(tmp_path))
    context.reset()
    yield {"database_url": database_url, "redis_url": redis_server, "admin_token": ADMIN_TOKEN}
    context.reset()


@pytest.fixture
def engine(env):
    from connector.db import get_engine

    return get_engine(env["database_url"])


@pytest.fixture
def redis(env):
    return Redis.from_url(env["redis_url"])


def shared_fixture(*parts: str) -> Path:
    """A file under ../shared/fixtures; skips (with the reason) on a clone without ../shared."""
    path = SHARED.joinpath("fixtures", *parts)
    if not SHARED.exists():
        pytest.skip("../shared/ is not beside this clone; fixture-based test not applicable here")
    return path
