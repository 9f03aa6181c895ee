"""One adapter per marketplace: the composition of its client (I/O) and its mapper (pure).

``adapter_for(kind)`` returns the adapter; every generic job (poll, ingest, push, status back,
offer mapping) goes through it, so a new marketplace is one client, one mapper, one adapter, one
sandbox and their tests.
"""

from __future__ import annotations

import functools
import importlib

from connector.errors import ConfigurationError
from workers.marketplaces.base import Adapter

MODULES = {"allegro": "workers.marketplaces.allegro", "rozetka": "workers.marketplaces.rozetka",
           "ozon": "workers.marketplaces.ozon", "prom": "workers.marketplaces.prom",
           "manual": "workers.marketplaces.manual"}


@functools.cache
def adapter_for(kind: str) -> Adapter:
    if kind not in MODULES:
        raise ConfigurationError(f"no marketplace adapter for {kind!r}")
    return importlib.import_module(MODULES[kind]).ADAPTER
