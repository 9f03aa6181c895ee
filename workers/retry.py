"""RQ exception handler that obeys the retry rule each typed error carries (getpaid style).

Jobs that may fail transiently are enqueued with an ``rq.Retry`` budget. This handler runs before
RQ decides on the retry: a permanent error (bad credentials, validation) empties the budget so the
job goes straight to the failed registry where an operator sees it; transient and ambiguous errors
keep it (ambiguous work looks itself up before acting again).
"""

from __future__ import annotations

import logging

from rq import Retry

from connector.errors import StockbridgeError

log = logging.getLogger(__name__)

#: Backoff for outbound calls: quick first, then minutes (seconds).
OUTBOUND_RETRY = Retry(max=8, interval=[1, 3, 10, 30, 60, 300, 900, 1800])


def obey_retry_rules(job, exc_type, exc_value, _traceback) -> bool:
    if isinstance(exc_value, StockbridgeError) and exc_value.retry == "permanent":
        job.retries_left = 0
    log.warning("job %s (%s) failed: %s", job.id, job.description, exc_type.__name__)
    return True
