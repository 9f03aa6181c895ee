"""Source-address checks for senders that sign nothing (InPost, CDEK, Ozon push): the request must come from
one of the CIDRs the sender documents (or the operator configured). Behind a reverse proxy, wrap the app
in ``werkzeug.middleware.proxy_fix.ProxyFix`` so ``remote_addr`` is the sender's."""

from __future__ import annotations

import ipaddress

from flask import request


def source_allowed(cidrs: list[str] | None) -> bool:
    """True when no ranges are configured, or the request comes from one of them."""
    if not cidrs:
        return True
    try:
        address = ipaddress.ip_address(request.remote_addr or "0.0.0.0")
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(cidr, strict=False) for cidr in cidrs)
