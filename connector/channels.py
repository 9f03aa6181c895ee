"""Channels: a WooCommerce shop (and, later, marketplace accounts) with its credentials.

Credentials are stored in the database (written by ``stockbridge shop add``) and never logged;
:func:`public_view` is what APIs and logs may show.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from connector.errors import ConfigurationError
from connector.models import Channel

WOO_SECRETS = ("consumer_key", "consumer_secret", "webhook_secret")


def by_name(session: Session, name: str) -> Channel | None:
    return session.scalar(select(Channel).where(Channel.name == name))


def add_shop(session: Session, name: str, *, url: str, consumer_key: str, consumer_secret: str,
             webhook_secret: str, settings: dict | None = None) -> Channel:
    """Create or update a WooCommerce shop; a shop without a webhook secret is refused."""
    if not webhook_secret:
        raise ConfigurationError("a webhook secret is required: the receiver refuses unsigned deliveries")
    if not name.replace("-", "").replace("_", "").isalnum():
        raise ConfigurationError("shop names are letters, digits, '-' and '_' (they appear in the webhook URL)")
    channel = by_name(session, name) or Channel(name=name, kind="woocommerce", settings={})
    channel.base_url = url.rstrip("/")
    channel.credentials = {**(channel.credentials or {}), "consumer_key": consumer_key,
                           "consumer_secret": consumer_secret, "webhook_secret": webhook_secret}
    channel.settings = {**(channel.settings or {}), **(settings or {})}
    session.add(channel)
    session.flush()
    return channel


def public_view(channel: Channel) -> dict:
    return {"name": channel.name, "kind": channel.kind, "url": channel.base_url,
            "settings": channel.settings or {},
            "last_success_at": channel.last_success_at.isoformat() if channel.last_success_at else None,
            "last_error": channel.last_error}
