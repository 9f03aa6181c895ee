"""The sandbox's own PayU notification signature (separate from the middleware's, to check it).

``OpenPayu-Signature: sender=checkout;signature=<hex>;algorithm=<ALG>;content=DOCUMENT`` with
``signature = hex(HASH(body_bytes + second_key))``.
"""

from __future__ import annotations

import hashlib

HASHES = {"MD5": hashlib.md5, "SHA-1": hashlib.sha1, "SHA-256": hashlib.sha256, "SHA256": hashlib.sha256,
          "SHA-384": hashlib.sha384, "SHA-512": hashlib.sha512}


def signature_header(body: bytes, second_key: str, algorithm: str = "SHA-256") -> str:
    """The header value PayU would send with ``body``."""
    digest = HASHES[algorithm](body + second_key.encode("utf-8")).hexdigest()
    return f"sender=checkout;signature={digest};algorithm={algorithm};content=DOCUMENT"


def notification_headers(body: bytes, second_key: str, algorithm: str) -> dict[str, str]:
    """Headers of a notification POST (both signature header spellings, as the docs show)."""
    header = signature_header(body, second_key, algorithm)
    return {"Content-Type": "application/json;charset=UTF-8", "OpenPayu-Signature": header,
            "X-OpenPayU-Signature": header, "PayU-Processing-Time": "1000"}
