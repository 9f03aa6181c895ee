"""Counters and histograms kept in Redis, so every web and worker process feeds one ``/metrics``.

A histogram is one Redis hash per (name, labels): a field per bucket upper bound plus ``sum`` and
``count``, incremented atomically in a pipeline. ``/metrics`` renders them in Prometheus text format.
Loss of these keys loses statistics, never business state.
"""

from __future__ import annotations

import json

from redis import Redis

BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0)
PREFIX = "sb:metrics:"


def _key(kind: str, name: str, labels: dict) -> str:
    return f"{PREFIX}{kind}:{name}:{json.dumps(labels, sort_keys=True, separators=(',', ':'))}"


def observe(redis: Redis, name: str, value: float, pipe=None, **labels) -> None:
    """Add one observation (seconds) to histogram ``name``."""
    target = pipe if pipe is not None else redis.pipeline(transaction=False)
    key = _key("h", name, labels)
    for bound in BUCKETS:
        if value <= bound:
            target.hincrby(key, repr(bound), 1)
    target.hincrbyfloat(key, "sum", value)
    target.hincrby(key, "count", 1)
    if pipe is None:
        target.execute()


def increment(redis: Redis, name: str, amount: int = 1, **labels) -> None:
    redis.incrby(_key("c", name, labels), amount)


def read_all(redis: Redis) -> tuple[dict, dict]:
    """({(name, labels_json): count}, {(name, labels_json): {bucket: n, "sum": s, "count": c}})."""
    counters, histograms = {}, {}
    for raw_key in redis.scan_iter(match=PREFIX + "*", count=500):
        key = raw_key.decode()
        kind, name, labels = key[len(PREFIX):].split(":", 2)
        if kind == "c":
            counters[(name, labels)] = int(redis.get(raw_key) or 0)
        else:
            histograms[(name, labels)] = {k.decode(): float(v) for k, v in redis.hgetall(raw_key).items()}
    return counters, histograms
