"""Typed errors that carry their own retry rule (getpaid style).

Every outbound call raises one of these; the RQ exception handler in ``workers.retry`` reads
``retry`` to decide whether the job is re-queued with backoff, parked as failed for an operator,
or reconciled (an ambiguous call may have taken effect remotely, so it is looked up before any
retry).
"""

from collections.abc import Iterable
from functools import partial


class StockbridgeError(Exception):
    """Base class. ``retry`` is one of ``"transient"``, ``"permanent"``, ``"ambiguous"``."""

    retry = "permanent"

    def __init__(self, message: str, *, status: int | None = None, code: str | None = None):
        super().__init__(message)
        self.status = status
        self.code = code


class TransientError(StockbridgeError):
    """Timeouts before sending, connection refused, 429, 5xx: safe to retry with backoff."""

    retry = "transient"

    def __init__(self, message: str, *, retry_after: float | None = None, **kw):
        super().__init__(message, **kw)
        self.retry_after = retry_after


class RateLimited(TransientError):
    """HTTP 429 or a shared rate budget exhausted; ``retry_after`` seconds come from the server."""


class PermanentError(StockbridgeError):
    """4xx validation / auth errors: retrying the same request cannot succeed."""

    retry = "permanent"


class AuthError(PermanentError):
    """Credentials refused (401/403): the operator must fix the keys."""


class NotFound(PermanentError):
    """The remote resource does not exist (404)."""


class AmbiguousError(StockbridgeError):
    """The request may have reached the remote side (read timeout on a create): look up before retrying."""

    retry = "ambiguous"


class ConfigurationError(StockbridgeError):
    """A required setting (secret, URL, key) is missing or invalid; raised at start-up, never at request time."""


class UnsupportedOperation(PermanentError):
    """A capability the external system lacks (karrio style): e.g. cancelling a shipment a carrier cannot cancel."""


class CarrierValidationError(PermanentError):
    """A carrier (or our pre-flight check) refused the shipment data.

    ``field`` names the :class:`ShipmentRequest` field to fix (``receiver.phone``, ``cod_amount``,
    ``settings.sender``...), ``message`` says what is wrong in plain words; both are safe to show an
    operator: they never carry the values (names, phones, addresses). ``errors`` lists every
    ``(field, message, code)`` the carrier reported. Raised by every carrier mapper and client.
    """

    def __init__(self, message: str, *, field: str, carrier: str = "", code: str | None = None,
                 errors: Iterable[tuple[str, str, str | None]] = (), status: int | None = None):
        self.field, self.message, self.carrier = field, message, carrier
        self.errors = tuple(errors) or ((field, message, code),)
        super().__init__(f"{carrier + ': ' if carrier else ''}{field}: {message}", status=status, code=code)

    def __reduce__(self):  # keyword-only fields survive pickling (job results, process pools)
        return (partial(type(self), field=self.field, carrier=self.carrier, code=self.code, errors=self.errors,
                        status=self.status), (self.message,))
