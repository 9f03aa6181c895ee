"""``GET /metrics``: Prometheus text format, computed at scrape time from the database and Redis.

Nothing is kept in process memory, so any web process answers for the whole deployment:
inbox events by source and outcome (``stockbridge_inbox_events``), job wait and run time and
propagation delay (histograms kept in Redis by the workers), RQ queue depth and failed jobs, and
ledger oversell refusals. Protected by the admin bearer token like the JSON API.
"""

from __future__ import annotations

import json

from flask import Blueprint, Response, current_app
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.registry import CollectorRegistry
from sqlalchemy import func, select

from connector.models import InboxEvent
from console.auth import bearer_required
from workers import metrics_store
from workers.queue import QUEUE_NAMES, queue

bp = Blueprint("metrics", __name__)
HELP = {
    "propagation_seconds": "Time from a ledger change to the channel accepting the new figure",
    "job_wait_seconds": "Time a job waited in the queue before a worker started it",
    "job_run_seconds": "Time a job ran",
    "oversell_refusals": "Order lines the ledger refused because stock was short",
}


class ScrapeCollector:
    def __init__(self, engine, redis):
        self.engine, self.redis = engine, redis

    def collect(self):
        yield self._inbox()
        yield from self._queues()
        counters, histograms = metrics_store.read_all(self.redis)
        yield from self._counters(counters)
        yield from self._histograms(histograms)

    def _inbox(self):
        family = GaugeMetricFamily("stockbridge_inbox_events", "Inbox events by source, topic and outcome",
                                   labels=["source", "topic", "status"])
        with self.engine.connect() as conn:
            rows = conn.execute(select(InboxEvent.source, InboxEvent.topic, InboxEvent.status, func.count())
                                .group_by(InboxEvent.source, InboxEvent.topic, InboxEvent.status))
            for source, topic, status, count in rows:
                family.add_metric([source, topic, status], count)
        return family

    def _queues(self):
        depth = GaugeMetricFamily("stockbridge_queue_depth", "Jobs waiting per RQ queue", labels=["queue"])
        failed = GaugeMetricFamily("stockbridge_queue_failed_jobs", "Jobs in each queue's failed registry",
                                   labels=["queue"])
        for name in QUEUE_NAMES:
            q = queue(self.redis, name)
            depth.add_metric([name], q.count)
            failed.add_metric([name], q.failed_job_registry.count)
        yield depth
        yield failed

    def _counters(self, counters):
        families = {}
        for (name, labels_json), value in sorted(counters.items()):
            labels = json.loads(labels_json)
            family = families.setdefault(name, CounterMetricFamily(f"stockbridge_{name}", HELP.get(name, name),
                                                                   labels=sorted(labels)))
            family.add_metric([labels[k] for k in sorted(labels)], value)
        yield from families.values()

    def _histograms(self, histograms):
        families = {}
        for (name, labels_json), fields in sorted(histograms.items()):
            labels = json.loads(labels_json)
            family = families.setdefault(name, HistogramMetricFamily(f"stockbridge_{name}", HELP.get(name, name),
                                                                     labels=sorted(labels)))
            buckets = [(repr(b), fields.get(repr(b), 0.0)) for b in metrics_store.BUCKETS]
            buckets.append(("+Inf", fields.get("count", 0.0)))
            family.add_metric([labels[k] for k in sorted(labels)], buckets, sum_value=fields.get("sum", 0.0))
        yield from families.values()


@bp.get("/metrics")
@bearer_required
def metrics():
    registry = CollectorRegistry(auto_describe=False)
    registry.register(ScrapeCollector(current_app.extensions["stockbridge.engine"],
                                      current_app.extensions["stockbridge.redis"]))
    return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)
