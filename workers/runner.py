"""Worker and scheduler processes (``stockbridge worker`` / ``stockbridge scheduler``).

Workers are RQ ``SimpleWorker``s: jobs run in the worker process, reusing its database pool and
Redis connection, instead of forking per job (RQ's default forks, ~57 jobs/s on 2 cores). A short
``worker_ttl`` and maintenance interval let a surviving worker notice a dead one's job quickly
(RQ's defaults take ~13 minutes, ``reference/reliability_performance.md`` 2.2). SIGTERM is RQ's
warm shutdown: the current job finishes first.
"""

from __future__ import annotations

import time
from datetime import timezone

from rq import SimpleWorker
from redis.exceptions import RedisError
from rq.cron import CronScheduler

from connector.logging_setup import configure as configure_logging
from workers import context, metrics_store
from workers.alerts import send_alerts
from workers.catch_up import catch_up_all
from workers.credentials import check_credentials
from workers.deadlines import check_deadlines
from workers.tracking import poll_all as poll_tracking
from workers.drift import drift_check_all
from workers.maintenance import expire_holds, reconcile_figures, sweep_inbox
from workers.marketplace_poll import poll_due
from workers.payment_poll import poll_pending_payments
from workers.queue import QUEUE_NAMES, queue
from workers.retry import obey_retry_rules

#: (job, interval in seconds) for the one scheduler process.
SCHEDULE = ((sweep_inbox, 5), (expire_holds, 30), (reconcile_figures, 15), (catch_up_all, 60),
            (drift_check_all, 900), (check_deadlines, 60), (send_alerts, 60), (poll_tracking, 600),
            (poll_pending_payments, 60), (check_credentials, 3600), (poll_due, 1))
WORKER_TTL = 30
MAINTENANCE_INTERVAL = 10


class StockbridgeWorker(SimpleWorker):
    """A SimpleWorker that records each job's queue wait and run time (``/metrics``)."""

    def perform_job(self, job, queue) -> bool:
        started = time.time()
        try:
            return super().perform_job(job, queue)
        finally:
            self._observe(job, queue, started)

    def _observe(self, job, queue, started: float) -> None:
        try:
            pipe = self.connection.pipeline(transaction=False)
            if job.enqueued_at:
                wait = max(started - job.enqueued_at.replace(tzinfo=timezone.utc).timestamp(), 0.0)
                metrics_store.observe(self.connection, "job_wait_seconds", wait, pipe=pipe, queue=queue.name)
            metrics_store.observe(self.connection, "job_run_seconds", time.time() - started, pipe=pipe,
                                  queue=queue.name)
            pipe.execute()
        except RedisError:
            pass  # statistics only


def build_worker(name: str | None = None) -> SimpleWorker:
    redis = context.redis()
    return StockbridgeWorker([queue(redis, q) for q in QUEUE_NAMES], connection=redis, name=name,
                        exception_handlers=[obey_retry_rules], worker_ttl=WORKER_TTL,
                        maintenance_interval=MAINTENANCE_INTERVAL, default_result_ttl=300)


def run_worker(burst: bool = False, name: str | None = None) -> bool:
    configure_logging()
    return build_worker(name).work(burst=burst, with_scheduler=True, logging_level="INFO")


def build_scheduler() -> CronScheduler:
    scheduler = CronScheduler(connection=context.redis(), name="stockbridge")
    for func, interval in SCHEDULE:
        scheduler.register(func, queue_name="ingest", interval=interval, result_ttl=60, name=func.__name__)
    return scheduler


def run_scheduler() -> None:
    configure_logging()
    build_scheduler().start()
