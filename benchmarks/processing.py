"""Benchmark 4 - processing: orders fully processed per second by 2 ``stockbridge worker`` processes,
against RQ's default fork-per-job ``rq.Worker`` running no-op jobs (1 and 2 processes), same run.

Ours, per backend (SQLite, PostgreSQL), fresh database and the run's private redis-server (flushed):

* set-up (not measured): shop ``bench`` pointing at ``benchmarks.stub_shop`` (accepts stock batch
  updates, see its docstring), 20 SKUs with ample stock, then N ``order.created`` inbox rows
  (``processing`` = paid, 1-3 lines of 1-2 units, each line naming its shop product so a listing is
  learned and the figure gets pushed) stored with ``connector.inbox.record`` and the receiver's dedup
  key - exactly what the webhook receiver leaves behind;
* 2 ``stockbridge worker`` processes started and idle;
* clock starts; the harness then calls ``workers.queue.trigger_drain`` every 20 ms, as a stream of
  incoming webhooks would (each stored delivery triggers a drain; the flag coalesces them, and a
  drain job deletes the flag when it starts, so both workers get drain jobs);
* clock stops at the last ``processed_at``; every row must be ``processed``, with one reservation per
  line and ``reserved`` per SKU equal to the units ordered.

Baselines: M no-op jobs pre-enqueued, then ``rq worker --burst -w rq.Worker`` (RQ's default: fork a
work-horse per job) with 1 and with 2 processes; rate = M / (last job end - first job start), read
from the job hashes (worker start-up excluded, as for ours). For context also ``rq.SimpleWorker``
(no fork; what Stockbridge's worker is built on) with 2 processes.

Target: ours >= 5x the fork worker (compared with the same number of processes, 2; the 1-process
figure is reported too).
"""

from __future__ import annotations

import random
import time
from datetime import datetime, timezone

from benchmarks import common, payloads
from benchmarks.common import PY, SHOP_SECRET, Children

SKUS = [f"BENCH-SKU-{i:02d}" for i in range(1, 21)]
PRODUCT_IDS = {sku: 5000 + i for i, sku in enumerate(SKUS)}
TARGET_FACTOR = 5.0
WORKERS = 2
TIME_CAP_S = 150.0


# ----------------------------------------------------------------------------------------------
# ours
# ----------------------------------------------------------------------------------------------

def _preload(url: str, n_orders: int) -> tuple[int, int, dict[str, int]]:
    """Shop, stock and ``n_orders`` received inbox rows; returns (channel id, lines, units per SKU)."""
    from sqlalchemy import select

    from connector import inbox, ledger
    from connector.db import get_engine, transaction
    from connector.models import Channel
    from mappers import woocommerce as woo

    engine = get_engine(url)
    with transaction(engine) as session:
        channel_id = session.scalar(select(Channel.id).where(Channel.name == "bench"))
        for sku in SKUS:
            ledger.set_on_hand(session, sku, 1_000_000, ledger.Cause("count"))
    rng = random.Random(42)
    lines_total, units = 0, {sku: 0 for sku in SKUS}
    for k in range(n_orders):
        order_id = 100_000 + k
        lines = [(sku, rng.randint(1, 2), PRODUCT_IDS[sku]) for sku in rng.sample(SKUS, rng.randint(1, 3))]
        for sku, qty, _pid in lines:
            units[sku] += qty
        lines_total += len(lines)
        raw = payloads.php_json(payloads.order_body(order_id, lines, "processing", seconds=k))
        body = payloads.json.loads(raw)
        inbox.record(engine, channel_id=channel_id, source="woocommerce", topic="order.created",
                     resource_id=str(order_id), dedup_key=woo.inbox_key("order.created", body, raw, f"d{k}"),
                     body=raw, meta={"webhook_id": "1", "delivery_id": f"d{k}", "source": "bench"})
    return channel_id, lines_total, units


def _status_counts(url: str) -> dict:
    from sqlalchemy import func, select

    from connector.db import get_engine
    from connector.models import InboxEvent

    with get_engine(url).connect() as conn:
        return dict(conn.execute(select(InboxEvent.status, func.count()).group_by(InboxEvent.status)).all())


def _verify(url: str, lines_total: int, units: dict[str, int]) -> dict:
    from sqlalchemy import func, select

    from connector.db import get_engine
    from connector.models import InboxEvent, Order, Reservation, StockItem

    with get_engine(url).connect() as conn:
        first, last = conn.execute(select(func.min(InboxEvent.processed_at), func.max(InboxEvent.processed_at))).one()
        reservations = conn.execute(select(func.count()).select_from(Reservation)
                                    .where(Reservation.state == "held")).scalar_one()
        orders = conn.execute(select(func.count()).select_from(Order)).scalar_one()
        reserved = dict(conn.execute(select(StockItem.sku, StockItem.reserved)).all())
    return {"first_processed_at": first, "last_processed_at": last, "orders": orders,
            "held_reservations": reservations, "expected_reservations": lines_total,
            "reserved_matches_units": all(reserved.get(sku, 0) == u for sku, u in units.items())}


def _rq_workers(redis_url: str) -> int:
    from redis import Redis

    client = Redis.from_url(redis_url)
    try:
        return client.scard("rq:workers")
    finally:
        client.close()


def run_ours(backend: str, n_orders: int, wd, redis_url: str, children: Children) -> dict:
    import requests
    from redis import Redis

    from workers.queue import trigger_drain

    Redis.from_url(redis_url).flushdb()
    stub_port = common.free_port()
    stub = children.start(f"stub-shop-{backend}", [PY, "-m", "benchmarks.stub_shop", "--port", str(stub_port)])
    with common.database(backend, wd) as url:
        env = common.stockbridge_env(url, redis_url, wd)
        common.cli(env, "shop", "add", "bench", "--url", f"http://127.0.0.1:{stub_port}", "--consumer-key",
                   "ck_bench", "--consumer-secret", "cs_bench", "--webhook-secret", SHOP_SECRET)
        t_setup = time.monotonic()
        channel_id, lines_total, units = _preload(url, n_orders)
        setup_s = time.monotonic() - t_setup
        from connector.db import dispose_engines

        dispose_engines()
        workers = [children.start(f"worker-{backend}-{i}", [*common.stockbridge_cmd(), "worker", "--name",
                                                           f"bench-{backend}-{i}-{time.time_ns()}"], env)
                   for i in range(WORKERS)]
        common.wait_for(lambda: _rq_workers(redis_url) >= WORKERS, timeout=60, what="workers registered")
        time.sleep(0.5)
        redis = Redis.from_url(redis_url)
        t0_wall = datetime.now(timezone.utc).replace(tzinfo=None)
        t0 = time.monotonic()
        triggers, last_check, done = 0, 0.0, False
        cpu0 = sum(common.session_cpu_seconds(w.pid) for w in workers)
        while time.monotonic() - t0 < TIME_CAP_S:
            triggers += bool(trigger_drain(redis, channel_id, "bench"))
            time.sleep(0.02)
            if time.monotonic() - last_check > 0.25:
                last_check = time.monotonic()
                if _status_counts(url).get("received", 0) == 0:
                    done = True
                    break
        observed_s = time.monotonic() - t0
        cpu = sum(common.session_cpu_seconds(w.pid) for w in workers) - cpu0
        counts = _status_counts(url)
        check = _verify(url, lines_total, units)
        time.sleep(1.0)  # let the last coalesced push reach the stub
        stub_stats = requests.get(f"http://127.0.0.1:{stub_port}/__stats__", timeout=5).json()
        for w in workers:
            children.stop(w)
        children.stop(stub)
        redis.close()
    elapsed = (check["last_processed_at"] - t0_wall).total_seconds() if check["last_processed_at"] else None
    processed = counts.get("processed", 0)
    return {
        "backend": backend, "workers": WORKERS, "orders": n_orders, "lines": lines_total,
        "setup_s_not_measured": round(setup_s, 1), "finished_within_cap": done, "statuses": counts,
        "seconds": round(elapsed, 3) if elapsed else None, "observed_seconds": round(observed_s, 2),
        "orders_per_s": round(processed / elapsed, 1) if elapsed else None,
        "worker_cpu_s": round(cpu, 2), "worker_cpu_ms_per_order": round(cpu * 1000 / max(processed, 1), 2),
        "drain_jobs_triggered_by_harness": triggers,
        "checks": {**{k: v for k, v in check.items() if "processed_at" not in k},
                   "all_processed": processed == n_orders and check["orders"] == n_orders,
                   "one_reservation_per_line": check["held_reservations"] == lines_total},
        "stub_shop": {"batch_requests": stub_stats["batch_requests"], "items": stub_stats["items"]},
    }


# ----------------------------------------------------------------------------------------------
# RQ baselines
# ----------------------------------------------------------------------------------------------

def run_rq_baseline(worker_class: str, processes: int, jobs: int, wd, redis_url: str, children: Children) -> dict:
    from redis import Redis
    from rq import Queue
    from rq.job import Job

    redis = Redis.from_url(redis_url)
    redis.flushdb()
    queue = Queue("bench-noop", connection=redis)
    specs = [Queue.prepare_data("benchmarks.jobs.noop", result_ttl=600) for _ in range(jobs)]
    enqueued = queue.enqueue_many(specs)
    ids = [job.id for job in enqueued]
    rq_cli = str(common.Path(PY).with_name("rq"))
    t0 = time.monotonic()
    procs = [children.start(f"rq-{worker_class.rsplit('.', 1)[1]}-{processes}-{i}",
                            [rq_cli, "worker", "--burst", "--url", redis_url, "-w", worker_class,
                             "--logging_level", "WARNING", "bench-noop"])
             for i in range(processes)]
    for proc in procs:
        try:
            proc.wait(timeout=TIME_CAP_S)
        except Exception:  # noqa: BLE001
            children.stop(proc)
    wall = time.monotonic() - t0
    fetched = [j for j in Job.fetch_many(ids, connection=redis) if j is not None]
    starts = [j.started_at for j in fetched if j.started_at]
    ends = [j.ended_at for j in fetched if j.ended_at]
    finished = sum(1 for j in fetched if j.get_status() == "finished")
    redis.close()
    window = (max(ends) - min(starts)).total_seconds() if starts and ends else None
    return {"worker_class": worker_class, "processes": processes, "jobs": jobs, "finished": finished,
            "seconds_first_start_to_last_end": round(window, 3) if window else None,
            "jobs_per_s": round(finished / window, 1) if window else None,
            "wall_seconds_including_startup": round(wall, 2)}


# ----------------------------------------------------------------------------------------------

def run(quick: bool) -> dict:
    wd = common.run_dir("processing")
    children = Children(wd)
    n_orders = 600 if quick else 4000
    fork_jobs = 150 if quick else 800
    backends = ["sqlite"] + (["postgresql"] if common.pg_available() else [])
    results = {"config": {"workers": WORKERS, "orders": n_orders, "skus": len(SKUS), "lines_per_order": "1-3",
                          "rq_noop_jobs": fork_jobs, "shop": "benchmarks.stub_shop (accepts batch stock updates)",
                          "workdir": str(wd)},
               "baselines": {}, "ours": {}}
    try:
        with common.private_redis(wd) as redis_url:
            for worker_class, processes in (("rq.Worker", 1), ("rq.Worker", 2), ("rq.SimpleWorker", 2)):
                key = f"{worker_class}x{processes}"
                jobs = fork_jobs if worker_class == "rq.Worker" else fork_jobs * 4
                results["baselines"][key] = run_rq_baseline(worker_class, processes, jobs, wd, redis_url, children)
            for backend in backends:
                results["ours"][backend] = run_ours(backend, n_orders, wd, redis_url, children)
    finally:
        children.stop_all()
    fork1 = results["baselines"]["rq.Workerx1"]["jobs_per_s"]
    fork2 = results["baselines"]["rq.Workerx2"]["jobs_per_s"]
    results["targets"] = {}
    for backend, r in results["ours"].items():
        ours = r["orders_per_s"] or 0
        results["targets"][backend] = {
            "vs_fork_2_processes": round(ours / fork2, 2) if fork2 else None,
            "vs_fork_1_process": round(ours / fork1, 2) if fork1 else None,
            "target_factor": TARGET_FACTOR,
            "met": bool(fork2) and ours >= TARGET_FACTOR * fork2 and r["checks"]["all_processed"]
                   and r["checks"]["one_reservation_per_line"] and r["checks"]["reserved_matches_units"],
        }
    return results


def markdown(data: dict) -> str:
    res = data["results"]
    cfg = res["config"]
    lines = [f"Ours: {cfg['orders']:,} `order.created` inbox rows (paid, {cfg['lines_per_order']} lines over "
             f"{cfg['skus']} SKUs) drained by {cfg['workers']} `stockbridge worker` processes, stock pushes to "
             f"{cfg['shop']}. Baselines: no-op jobs on RQ workers (`rq worker --burst`), rate from first job "
             "start to last job end.\n",
             "| workload | processes | items | seconds | items/s | worker CPU ms/item |", "|---|---|---|---|---|---|"]
    for key, b in res["baselines"].items():
        lines.append(f"| baseline: `{b['worker_class']}` no-op job{' (fork per job)' if b['worker_class'] == 'rq.Worker' else ' (context: no fork)'} "
                     f"| {b['processes']} | {b['finished']:,} / {b['jobs']:,} jobs | "
                     f"{common.fmt(b['seconds_first_start_to_last_end'], 2)} | {common.fmt(b['jobs_per_s'])} | - |")
    for backend, r in res["ours"].items():
        lines.append(f"| ours on {backend}: orders -> processed with reservations | {r['workers']} | "
                     f"{r['statuses'].get('processed', 0):,} / {r['orders']:,} orders | {common.fmt(r['seconds'], 2)} | "
                     f"{common.fmt(r['orders_per_s'])} | {common.fmt(r['worker_cpu_ms_per_order'], 2)} |")
    lines.append("")
    for backend, t in res["targets"].items():
        r = res["ours"][backend]
        lines.append(f"- {backend}: {common.fmt(t['vs_fork_2_processes'], 2)}x the 2-process fork worker "
                     f"({common.fmt(t['vs_fork_1_process'], 2)}x the 1-process one); target >= {t['target_factor']:.0f}x: "
                     f"{common.verdict(t['met'])}. Checks: all processed {r['checks']['all_processed']}, one "
                     f"reservation per line {r['checks']['one_reservation_per_line']}, reserved == units ordered "
                     f"{r['checks']['reserved_matches_units']}; stub shop got {r['stub_shop']['batch_requests']} "
                     f"batch requests ({r['stub_shop']['items']} items).")
    return "\n".join(lines) + "\n"
