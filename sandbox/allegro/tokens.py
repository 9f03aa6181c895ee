"""OAuth state: device codes, token pairs and their rotation (Allegro's ``allegro.pl/auth/oauth``).

Tokens are opaque random strings (the real ones are JWTs; clients must never parse them). A refresh
returns a NEW pair and invalidates the old refresh token AND the old access token at once (rotation,
allegro-api#10918). A device code yields tokens once.
"""

from __future__ import annotations

import secrets
import threading
import time
import uuid
from dataclasses import dataclass, field

USER_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
SCOPE = "allegro:api:orders:read allegro:api:orders:write allegro:api:sale:offers:read allegro:api:sale:offers:write"


def _user_code() -> str:
    """8 characters the seller types (no 0/O/1/I), e.g. ``K7QM2XWD``."""
    return "".join(secrets.choice(USER_CODE_ALPHABET) for _ in range(8))


@dataclass
class Device:
    device_code: str
    user_code: str
    client_id: str
    expires_at: float
    interval: float
    state: str = "pending"          # pending | approved | denied | used
    last_poll: float | None = None


@dataclass
class Grant:
    client_id: str
    access: str
    refresh: str
    access_expires: float
    refresh_expires: float
    jti: str = field(default_factory=lambda: str(uuid.uuid4()))

    def token_json(self, ttl: int) -> dict:
        """The token answer (fixture ``oauth_token_response.json``)."""
        return {"access_token": self.access, "token_type": "bearer", "refresh_token": self.refresh,
                "expires_in": ttl, "scope": SCOPE, "allegro_api": True, "jti": self.jti}


class Tokens:
    """Device codes and live grants; its own lock (independent of the marketplace store)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.devices: dict[str, Device] = {}
        self._by_access: dict[str, Grant] = {}
        self._by_refresh: dict[str, Grant] = {}

    def start_device(self, client_id: str, ttl: float, interval: float) -> Device:
        with self._lock:
            codes = {d.user_code for d in self.devices.values()}
            user_code = _user_code()
            while user_code in codes:
                user_code = _user_code()
            device = Device(secrets.token_urlsafe(32), user_code, client_id, time.monotonic() + ttl, interval)
            self.devices[device.device_code] = device
            return device

    def _by_user_code(self, user_code: str) -> Device | None:
        code = user_code.strip().upper().replace("-", "")
        return next((d for d in self.devices.values() if d.user_code == code), None)

    def decide(self, user_code: str, allow: bool) -> Device | None:
        """What the seller does in the browser: allow (``Pozwól``) or deny a pending code."""
        with self._lock:
            device = self._by_user_code(user_code)
            if device is None or device.state != "pending" or device.expires_at <= time.monotonic():
                return None
            device.state = "approved" if allow else "denied"
            return device

    def pending(self, user_code: str) -> Device | None:
        with self._lock:
            device = self._by_user_code(user_code)
            return device if device and device.state == "pending" and device.expires_at > time.monotonic() else None

    def poll(self, device_code: str, client_id: str, auto_approve: bool) -> str | Device:
        """One token poll: the approved device (to be exchanged), or the OAuth error to answer."""
        with self._lock:
            device = self.devices.get(device_code)
            moment = time.monotonic()
            if device is None or device.client_id != client_id or device.state == "used" \
                    or device.expires_at <= moment:
                return "invalid_grant"
            too_fast = device.last_poll is not None and moment - device.last_poll < device.interval
            device.last_poll = moment
            if too_fast:
                return "slow_down"
            if device.state == "pending" and auto_approve:
                device.state = "approved"
            if device.state == "denied":
                return "access_denied"
            if device.state != "approved":
                return "authorization_pending"
            device.state = "used"
            return device

    def issue(self, client_id: str, access_ttl: float, refresh_ttl: float) -> Grant:
        with self._lock:
            moment = time.monotonic()
            grant = Grant(client_id, secrets.token_urlsafe(48), secrets.token_urlsafe(48),
                          moment + access_ttl, moment + refresh_ttl)
            self._by_access[grant.access] = grant
            self._by_refresh[grant.refresh] = grant
            return grant

    def rotate(self, refresh: str, client_id: str, access_ttl: float, refresh_ttl: float) -> Grant | None:
        """``grant_type=refresh_token``: a new pair; the old pair dies now. None = invalid refresh token."""
        with self._lock:
            old = self._by_refresh.get(refresh)
            if old is None or old.client_id != client_id or old.refresh_expires <= time.monotonic():
                return None
            del self._by_refresh[old.refresh]
            self._by_access.pop(old.access, None)
        return self.issue(client_id, access_ttl, refresh_ttl)

    def check(self, access: str) -> tuple[str | None, str]:
        """(client id, "") for a live access token, else (None, "expired" | "invalid")."""
        with self._lock:
            grant = self._by_access.get(access)
            if grant is None:
                return None, "invalid"
            if grant.access_expires <= time.monotonic():
                return None, "expired"
            return grant.client_id, ""

    def expire_access(self) -> int:
        """Control: every access token expires now (refresh tokens stay valid)."""
        with self._lock:
            for grant in self._by_access.values():
                grant.access_expires = 0.0
            return len(self._by_access)

    def clear(self) -> None:
        with self._lock:
            self.devices.clear()
            self._by_access.clear()
            self._by_refresh.clear()
