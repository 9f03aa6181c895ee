"""Database engine and transactions.

SQLite (default) runs in WAL mode with ``synchronous=NORMAL`` and every write transaction opened
with ``BEGIN IMMEDIATE``: SQLite's deferred transactions fail with "database is locked" when two
readers try to upgrade to writers at once, which ``busy_timeout`` cannot resolve
(https://www.sqlite.org/lang_transaction.html). PostgreSQL runs in READ COMMITTED; the ledger's
guarded ``UPDATE ... WHERE on_hand - reserved >= :qty`` re-checks the row after a concurrent commit.
"""

from __future__ import annotations

import contextlib
import threading

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

_engines: dict[str, Engine] = {}
_lock = threading.Lock()


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _sqlite_begin(conn) -> None:
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def make_engine(url: str) -> Engine:
    """Create an engine for ``url`` with the pragmas and pool settings this project relies on."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    # No pre-ping: it is a round trip per checkout on the webhook ack path. A connection the server
    # dropped fails once: the ack path retries on a fresh one (connector.inbox), jobs retry as transient.
    return create_engine(url, pool_recycle=1800, pool_size=5, max_overflow=10)


def get_engine(url: str) -> Engine:
    """One engine per URL per process (workers reuse connections across jobs)."""
    with _lock:
        if url not in _engines:
            _engines[url] = make_engine(url)
        return _engines[url]


def dispose_engines() -> None:
    """Drop pooled connections (after fork, or at the end of tests)."""
    with _lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextlib.contextmanager
def transaction(engine: Engine):
    """A session whose work commits on success and rolls back on any exception."""
    session = Session(engine, expire_on_commit=False)
    try:
        with session.begin():
            yield session
    finally:
        session.close()


def is_postgres(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"
