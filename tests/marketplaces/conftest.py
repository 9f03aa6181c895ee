"""Shared by the marketplace tests: a sandbox served over real HTTP in this process, and an account row.

Each marketplace's sandbox (``sandbox/<kind>``) is served by werkzeug on a free 127.0.0.1 port in a
thread; the adapters talk to it through their real clients, with the real Redis (rate budgets, token
locks) and the real database of the ``env`` fixture.
"""

from __future__ import annotations

from tests.helpers import serve  # noqa: F401 - the marketplace tests import it from here


def add_account(engine, name: str, kind: str, url: str, credentials: dict, settings: dict | None = None,
                stock: dict | None = None):
    """A marketplace account row (plus on-hand counts); returns the channel id."""
    from connector import ledger, marketplaces
    from connector.db import transaction

    with transaction(engine) as session:
        channel = marketplaces.add_account(session, name, kind, url=url, credentials=credentials, settings=settings)
        for sku, quantity in (stock or {}).items():
            if ledger.levels(session, sku) is None:
                ledger.set_on_hand(session, sku, quantity, ledger.Cause("count"))
        return channel.id


def adapter_client(engine, redis_url: str, channel_id: int):
    """(adapter, client) for an account, built exactly as the workers build them."""
    from connector.db import transaction
    from connector.models import Channel
    from workers import context
    from workers.marketplaces import adapter_for

    with transaction(engine) as session:
        channel = session.get(Channel, channel_id)
        adapter = adapter_for(channel.kind)
        return adapter, adapter.client(channel, context.settings(), context.redis(), engine)


def poll_context(engine, channel_id: int, checkpoint: dict | None = None):
    from connector.db import transaction
    from connector.models import Channel
    from workers.marketplaces.base import PollContext

    with transaction(engine) as session:
        channel = session.get(Channel, channel_id)
        return PollContext(engine, channel.id, channel.kind, channel.created_at, dict(channel.settings or {}),
                           checkpoint=dict(checkpoint or {}))
