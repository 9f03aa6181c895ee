"""Job functions for the RQ baseline workers (imported by ``rq worker`` and its forked work-horses)."""


def noop() -> None:
    """The no-op job of the fork-per-job baseline."""
    return None
