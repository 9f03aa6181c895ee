"""Worker and scheduler processes (``stockbridge worker`` / ``stockbridge scheduler``).

Workers are RQ ``SimpleWorker``s: jobs run in the worker process, reusing its database pool and
Redis connection, instead of forking per job (RQ's default forks, ~57 jobs/s on 2 cores). A short
``worker_ttl`` and maintenance interval let a surviving worker notice a dead one's job quickly
(RQ's defaults take ~13 minutes, ``reference/reliability_performance.md`` 2.2). SIGTERM is RQ's
warm shutdown: the current job finishes first.
"""

from __future__ import annotations

import logging

from rq import SimpleWorker
from rq.cron import CronScheduler

from workers import context
from workers.catch_up import catch_up_all
from workers.drift import drift_check_all
from workers.maintenance import expire_holds, reconcile_figures, sweep_inbox
from workers.queue import QUEUE_NAMES, queue
from workers.retry import obey_retry_rules

#: (job, interval in seconds) for the one scheduler process.
SCHEDULE = ((sweep_inbox, 5), (expire_holds, 30), (reconcile_figures, 15), (catch_up_all, 60), (drift_check_all, 900))
WORKER_TTL = 30
MAINTENANCE_INTERVAL = 10


def build_worker(name: str | None = None) -> SimpleWorker:
    redis = context.redis()
    return SimpleWorker([queue(redis, q) for q in QUEUE_NAMES], connection=redis, name=name,
                        exception_handlers=[obey_retry_rules], worker_ttl=WORKER_TTL,
                        maintenance_interval=MAINTENANCE_INTERVAL, default_result_ttl=300)


def run_worker(burst: bool = False, name: str | None = None) -> bool:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    return build_worker(name).work(burst=burst, with_scheduler=True, logging_level="INFO")


def build_scheduler() -> CronScheduler:
    scheduler = CronScheduler(connection=context.redis(), name="stockbridge")
    for func, interval in SCHEDULE:
        scheduler.register(func, queue_name="ingest", interval=interval, result_ttl=60, name=func.__name__)
    return scheduler


def run_scheduler() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    build_scheduler().start()
