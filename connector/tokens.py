"""Access tokens of marketplace accounts, refreshed by ONE worker at a time and persisted before use.

Allegro rotates refresh tokens: every refresh returns a new pair and invalidates the old one
(``reference/marketplaces.md`` 1.2, pitfall 6). Two workers refreshing at once would each get a pair
and one of them would be dead: "token expired after a few hours". So a refresh takes a Redis lock for
the account, re-reads the credentials from the database (another worker may have refreshed while we
waited: then its token is used), calls the marketplace, and commits the new pair BEFORE the access
token is used. Rozetka's session login goes through the same path (no rotation there, but no stampede
of logins either).

Credentials (``channels.credentials``): ``access_token``, ``refresh_token``, ``token_expires_at``
(ISO, UTC). They are never logged.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from connector.db import transaction
from connector.errors import AuthError
from connector.models import Channel, utcnow

#: A token this close to its expiry is refreshed before use.
EARLY_SECONDS = 60
LOCK_SECONDS = 30


@dataclass(frozen=True)
class Grant:
    """What a token endpoint answered."""

    access_token: str
    expires_in: float | None = None
    refresh_token: str | None = None  # None: keep the current one (Rozetka has none)


class TokenStore:
    """``access_token()`` for one channel; ``obtain(refresh_token)`` is the marketplace's token call."""

    def __init__(self, engine, redis, channel_id: int, obtain: Callable[[str | None], Grant]):
        self.engine, self.redis, self.channel_id, self.obtain = engine, redis, channel_id, obtain

    def _stored(self) -> dict:
        with transaction(self.engine) as session:
            return dict(session.get(Channel, self.channel_id).credentials or {})

    @staticmethod
    def _fresh(creds: dict) -> bool:
        expires = creds.get("token_expires_at")
        if not creds.get("access_token"):
            return False
        return not expires or datetime.fromisoformat(expires) > utcnow() + timedelta(seconds=EARLY_SECONDS)

    def access_token(self) -> str:
        """A usable access token: the stored one, or a refreshed one."""
        creds = self._stored()
        return creds["access_token"] if self._fresh(creds) else self.refresh(creds.get("access_token"))

    def refresh(self, stale: str | None) -> str:
        """Replace ``stale`` (refused or expiring) unless another worker already did; returns the token to use."""
        with self.redis.lock(f"sb:token-lock:{self.channel_id}", timeout=LOCK_SECONDS, blocking_timeout=LOCK_SECONDS):
            creds = self._stored()
            if creds.get("access_token") and creds.get("access_token") != stale and self._fresh(creds):
                return creds["access_token"]
            grant = self.obtain(creds.get("refresh_token"))
            self._persist(grant)
            return grant.access_token

    def _persist(self, grant: Grant) -> None:
        with transaction(self.engine) as session:
            store_grant(session, session.get(Channel, self.channel_id), grant)


def store_grant(session, channel: Channel, grant: Grant) -> None:
    """Keep a grant (a refresh, or the first one of a newly connected account) in the caller's transaction."""
    creds = dict(channel.credentials or {})
    creds.update(access_token=grant.access_token, refresh_token=grant.refresh_token or creds.get("refresh_token"),
                 token_expires_at=(utcnow() + timedelta(seconds=grant.expires_in)).isoformat()
                 if grant.expires_in else None)
    channel.credentials = creds


class ReconnectNeeded(AuthError):
    """The marketplace refused our refresh token (revoked, rotated away, expired): the seller must connect again."""
