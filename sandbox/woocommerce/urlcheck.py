"""``wp_http_validate_url()``: the URL rules behind ``wp_safe_remote_request()``.

WooCommerce delivers webhooks (and pings) with ``wp_safe_remote_request``,
which refuses URLs that WordPress considers unsafe: anything but http/https,
URLs with user:pass, hosts resolving to loopback/private ranges (unless the
host is the site's own home host) and ports other than 80/443/8080 (unless
host *and* port equal the home URL's).  The request then fails with the
``WP_Error`` ``http_request_failed`` "A valid URL was not provided." - at
delivery time, never when the webhook is created over REST (the REST
controller ignores the ping result).  Sites lift the rules with the
``http_request_host_is_external`` / ``http_allowed_safe_ports`` filters; the
sandbox's ``ALLOW_ANY_PORT=True`` (the default) plays that role.
"""

from __future__ import annotations

import socket
from urllib.parse import urlsplit

INVALID_URL_MESSAGE = "A valid URL was not provided."
SAFE_PORTS = (80, 443, 8080)


def _is_private_ipv4(ip: str) -> bool:
    """The ranges WordPress treats as local (127/8, 10/8, 0/8, 172.16/12, 192.168/16)."""
    try:
        parts = [int(part) for part in ip.split(".")]
    except ValueError:
        return False
    if len(parts) != 4:
        return False
    first, second = parts[0], parts[1]
    return (first in (127, 10, 0)
            or (first == 172 and 16 <= second <= 31)
            or (first == 192 and second == 168))


def _resolve(host: str) -> str | None:
    """IPv4 address for ``host`` like PHP ``gethostbyname`` (None when unresolvable)."""
    parts = host.split(".")
    if len(parts) == 4 and all(part.isdigit() for part in parts):
        return host
    try:
        return socket.gethostbyname(host)
    except OSError:
        return None


def is_safe_url(url: str, home_url: str) -> bool:
    """True when WordPress (without the two filters) would send a request to ``url``."""
    try:
        parsed = urlsplit(url)
        port = parsed.port
    except ValueError:
        return False
    if parsed.scheme.lower() not in ("http", "https") or not parsed.hostname:
        return False
    if parsed.username is not None or parsed.password is not None:
        return False
    home = urlsplit(home_url)
    host = parsed.hostname.strip(".").lower()
    same_host = (home.hostname or "").lower() == parsed.hostname.lower()
    if not same_host:
        ip = _resolve(host)
        if ip is None or _is_private_ipv4(ip):
            return False
    if port is None or port in SAFE_PORTS:
        return True
    return same_host and home.port == port
