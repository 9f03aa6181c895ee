"""HTTP plumbing shared by every client: mandatory timeouts and typed errors.

Mapping (the retry rule travels with the error class, ``connector.errors``):
connection refused / connect timeout -> TransientError (nothing reached the server);
read timeout -> AmbiguousError for a call that creates something, TransientError otherwise;
429 -> RateLimited (``Retry-After`` honoured); 5xx -> TransientError; 401/403 -> AuthError;
404 -> NotFound; other 4xx -> PermanentError. Messages carry the remote error code and message,
never the request body or a credential.
"""

from __future__ import annotations

import contextlib

import requests

from connector.errors import (
    AmbiguousError,
    AuthError,
    NotFound,
    PermanentError,
    RateLimited,
    TransientError,
)

DEFAULT_TIMEOUT = (5.0, 30.0)


@contextlib.contextmanager
def translate_exceptions(what: str, *, idempotent: bool = True):
    """Turn ``requests`` exceptions raised inside the block into typed errors."""
    try:
        yield
    except requests.exceptions.ConnectTimeout as exc:
        raise TransientError(f"{what}: connect timeout") from exc
    except requests.exceptions.ReadTimeout as exc:
        if idempotent:
            raise TransientError(f"{what}: read timeout") from exc
        raise AmbiguousError(f"{what}: read timeout; the remote side may have acted") from exc
    except requests.exceptions.ConnectionError as exc:
        raise TransientError(f"{what}: cannot connect ({type(exc).__name__})") from exc
    except requests.exceptions.RequestException as exc:
        raise TransientError(f"{what}: {type(exc).__name__}") from exc


def _retry_after(response: requests.Response) -> float | None:
    try:
        return float(response.headers.get("Retry-After", ""))
    except ValueError:
        return None


def remote_reason(response: requests.Response) -> tuple[str | None, str]:
    """(code, message) from a JSON error body such as ``{"code","message","data":{"status"}}``."""
    try:
        body = response.json()
    except ValueError:
        return None, (response.text or "")[:200]
    if isinstance(body, dict):
        code = body.get("code") or body.get("error")
        message = body.get("message") or body.get("error_description") or body.get("errorMessage") or ""
        return (str(code) if code is not None else None), str(message)[:300]
    return None, str(body)[:200]


def raise_for_response(response: requests.Response, what: str) -> None:
    """Raise the typed error for a non-2xx/3xx answer; return quietly otherwise."""
    status = response.status_code
    if status < 400:
        return
    code, message = remote_reason(response)
    text = f"{what}: HTTP {status}" + (f" {code}" if code else "") + (f": {message}" if message else "")
    if status == 429:
        raise RateLimited(text, status=status, code=code, retry_after=_retry_after(response))
    if status >= 500:
        raise TransientError(text, status=status, code=code, retry_after=_retry_after(response))
    if status in (401, 403):
        raise AuthError(text, status=status, code=code)
    if status == 404:
        raise NotFound(text, status=status, code=code)
    raise PermanentError(text, status=status, code=code)
