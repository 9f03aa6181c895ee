"""Per-process handles for jobs: settings, database engine and Redis, built once from the environment.

Jobs receive ids only (no payloads, no personal data in Redis); they look everything else up here.
Nothing kept here is needed for correctness: it is a connection cache.
"""

from __future__ import annotations

import functools

from redis import Redis

from connector.db import get_engine
from connector.settings import Settings, load_settings


@functools.cache
def settings() -> Settings:
    return load_settings()


def engine():
    return get_engine(settings().database_url)


@functools.cache
def redis() -> Redis:
    return redis_from_url(settings().redis_url)


def redis_from_url(url: str) -> Redis:
    return Redis.from_url(url, socket_timeout=10, socket_connect_timeout=5, health_check_interval=30)


def reset() -> None:
    """Forget cached handles (tests switch databases; forked processes must reconnect)."""
    settings.cache_clear()
    redis.cache_clear()
