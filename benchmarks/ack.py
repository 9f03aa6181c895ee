"""Benchmark 1 - webhook ack: signed ``order.created`` deliveries to ``stockbridge web`` vs a bare Flask app.

Both servers run under gunicorn with identical settings (``connector.server.serve``, 2 workers x 4
threads = ``stockbridge web``'s defaults, gthread, keep-alive), one after the other, on SQLite and
on PostgreSQL (each with its own fresh database and the run's private redis-server, AOF on). The
bare app (``benchmarks.bare_app``) only reads the body and answers 200 JSON. No RQ worker runs: the
drain jobs our receiver triggers just stay queued.

Load (``benchmarks.loadgen``, the same for both): every request a distinct signed order (~2.9 KB
with headers), pre-built before the clock starts.

* closed loop: 8 keep-alive connections (8 client processes) sending back to back -> max throughput,
  p50/p99 latency;
* open loop: 300 req/s over 8 connections -> p50/p99 measured from the intended send time; two
  rounds per server (latency on this VM varies from round to round), pooled for the verdict.

Afterwards every 2xx Stockbridge returned must have its ``inbox_events`` row (rows == 2xx count).
Targets: our closed-loop throughput >= 50 % of bare on SQLite, >= 35 % on PostgreSQL; p99 < 20 ms
at 300 req/s (both backends).
"""

from __future__ import annotations


from benchmarks import common, loadgen, payloads
from benchmarks.common import PY, SHOP_SECRET, Children

SHOP = "bench"
WEB_WORKERS, WEB_THREADS = 2, 4
CONCURRENCY = 8
OPEN_RATE, OPEN_CONNECTIONS = 300, 8
TARGET_RATIO = {"sqlite": 0.50, "postgresql": 0.35}
TARGET_P99_MS = 20.0


def _builder(port: int, phase: int):
    """Unique signed deliveries: order id = phase * 1e9 + client * 1e7 + i + 1."""

    def build(proc_index: int, i: int) -> bytes:
        order_id = phase * 1_000_000_000 + proc_index * 10_000_000 + i + 1
        return payloads.signed_order_request("127.0.0.1", port, SHOP, SHOP_SECRET, order_id,
                                             [("BENCH-SKU-1", 1), ("BENCH-SKU-2", 2)])

    return build


def _measure(server_proc, port: int, phase_base: int, cfg: dict, expect_rps: float) -> dict:
    """Closed loop, then ``open_rounds`` open-loop rounds, against one running server; server CPU per phase."""
    out = {}
    closed_prebuilt = int(expect_rps * (cfg["duration"] + cfg["warmup"]) / CONCURRENCY * 1.25) + 50
    cpu0 = common.session_cpu_seconds(server_proc.pid)
    out["closed"] = loadgen.closed_loop("127.0.0.1", port, _builder(port, phase_base + 1), concurrency=CONCURRENCY,
                                        duration=cfg["duration"], warmup=cfg["warmup"], prebuilt=closed_prebuilt)
    _add_cpu(out["closed"], common.session_cpu_seconds(server_proc.pid) - cpu0)
    rounds = []
    open_prebuilt = int(OPEN_RATE * (cfg["open_duration"] + cfg["open_warmup"]) / OPEN_CONNECTIONS) + 10
    for r in range(cfg["open_rounds"]):
        cpu0 = common.session_cpu_seconds(server_proc.pid)
        rounds.append(loadgen.open_loop("127.0.0.1", port, _builder(port, phase_base + 2 + r), rate=OPEN_RATE,
                                        connections=OPEN_CONNECTIONS, duration=cfg["open_duration"],
                                        warmup=cfg["open_warmup"], prebuilt=open_prebuilt, keep_samples=True))
        _add_cpu(rounds[-1], common.session_cpu_seconds(server_proc.pid) - cpu0)
    out["open_rounds"] = [{k: v for k, v in r.items() if k not in ("samples", "service_samples")} for r in rounds]
    out["open"] = {
        "rounds": len(rounds), "target_rate_rps": OPEN_RATE,
        "responses_2xx": sum(r["responses_2xx"] for r in rounds),
        "responses_non_2xx": sum(r["responses_non_2xx"] for r in rounds),
        "latency": common.summarize_ms([v for r in rounds for v in r["samples"]]),
        "service": common.summarize_ms([v for r in rounds for v in r["service_samples"]]),
    }
    return out


def _add_cpu(phase: dict, cpu: float) -> None:
    sent = phase["requests_sent"] or 1
    phase["server_cpu_s"] = round(cpu, 2)
    phase["server_cpu_ms_per_request"] = round(cpu * 1000 / sent, 3)
    phase["client_cpu_ms_per_request"] = round(phase["client_cpu_s"] * 1000 / sent, 3)


def _inbox_rows(database_url: str) -> dict:
    from sqlalchemy import func, select

    from connector.db import get_engine
    from connector.models import InboxEvent

    with get_engine(database_url).connect() as conn:
        rows = conn.execute(select(InboxEvent.status, func.count()).group_by(InboxEvent.status)).all()
    return {status: count for status, count in rows}


def _queue_lengths(redis_url: str) -> dict:
    from redis import Redis

    client = Redis.from_url(redis_url)
    try:
        return {q: client.llen(f"rq:queue:{q}") for q in ("stock", "ingest", "outbound")}
    finally:
        client.close()


def run_backend(backend: str, cfg: dict, wd, redis_url: str, children: Children, phase_base: int) -> dict:
    with common.database(backend, wd) as database_url:
        env = common.stockbridge_env(database_url, redis_url, wd)
        common.cli(env, "shop", "add", SHOP, "--url", "http://127.0.0.1:9", "--consumer-key", "ck_bench",
                   "--consumer-secret", "cs_bench", "--webhook-secret", SHOP_SECRET)
        result = {"backend": backend}

        port = common.free_port()
        bare_cmd = [PY, "-m", "benchmarks.bare_app", "--host", "127.0.0.1", "--port", str(port),
                    "--workers", str(WEB_WORKERS), "--threads", str(WEB_THREADS)]
        proc = children.start(f"bare-{backend}", bare_cmd, env)
        common.wait_http(f"http://127.0.0.1:{port}/healthz", proc=proc)
        result["bare"] = _measure(proc, port, phase_base, cfg, expect_rps=7000)
        result["bare"]["command"] = "python -m benchmarks.bare_app " + " ".join(bare_cmd[3:])
        children.stop(proc)

        port = common.free_port()
        web_cmd = [*common.stockbridge_cmd(), "web", "--host", "127.0.0.1", "--port", str(port),
                   "--workers", str(WEB_WORKERS), "--threads", str(WEB_THREADS)]
        proc = children.start(f"web-{backend}", web_cmd, env)
        common.wait_http(f"http://127.0.0.1:{port}/healthz", proc=proc)
        expect = min(result["bare"]["closed"]["throughput_rps"] or 7000, 7000)
        result["ours"] = _measure(proc, port, phase_base + 10, cfg, expect_rps=expect)
        result["ours"]["command"] = "stockbridge " + " ".join(web_cmd[1:])
        children.stop(proc)

        rows = _inbox_rows(database_url)
        ok = result["ours"]["closed"]["responses_2xx"] + result["ours"]["open"]["responses_2xx"]
        # every response counted, warm-up included: each 2xx must be a stored row
        result["inbox_check"] = {"responses_2xx": ok, "inbox_rows": sum(rows.values()), "rows_by_status": rows,
                                 "every_2xx_has_its_row": sum(rows.values()) == ok,
                                 "rq_queue_lengths": _queue_lengths(redis_url)}
        bare_rps = result["bare"]["closed"]["throughput_rps"]
        ours_rps = result["ours"]["closed"]["throughput_rps"]
        ratio = ours_rps / bare_rps if bare_rps else None
        p99 = result["ours"]["open"]["latency"].get("p99_ms")
        result["targets"] = {
            "throughput_ratio": round(ratio, 3) if ratio is not None else None,
            "throughput_ratio_target": TARGET_RATIO[backend],
            "throughput_ratio_met": ratio is not None and ratio >= TARGET_RATIO[backend],
            "p99_at_300_ms": p99, "p99_target_ms": TARGET_P99_MS,
            "p99_met": p99 is not None and p99 < TARGET_P99_MS,
            "all_2xx_stored_met": result["inbox_check"]["every_2xx_has_its_row"]
                                  and result["ours"]["closed"]["responses_non_2xx"] == 0
                                  and result["ours"]["open"]["responses_non_2xx"] == 0,
        }
        return result


def run(quick: bool) -> dict:
    cfg = ({"duration": 4.0, "warmup": 1.0, "open_duration": 3.0, "open_warmup": 1.0, "open_rounds": 1} if quick
           else {"duration": 10.0, "warmup": 2.0, "open_duration": 10.0, "open_warmup": 1.0, "open_rounds": 2})
    wd = common.run_dir("ack")
    children = Children(wd)
    backends = ["sqlite"] + (["postgresql"] if common.pg_available() else [])
    results = {"config": {**cfg, "gunicorn_workers": WEB_WORKERS, "gunicorn_threads": WEB_THREADS,
                          "worker_class": "gthread", "closed_concurrency": CONCURRENCY, "open_rate_rps": OPEN_RATE,
                          "open_connections": OPEN_CONNECTIONS, "body": "order.created, 2 lines, ~2.4 KB body",
                          "workdir": str(wd)},
               "backends": {}}
    if "postgresql" not in backends:
        results["note"] = "PostgreSQL not reachable: only SQLite measured"
    try:
        with common.private_redis(wd) as redis_url:
            for i, backend in enumerate(backends):
                results["backends"][backend] = run_backend(backend, cfg, wd, redis_url, children, phase_base=i * 100)
    finally:
        children.stop_all()
    return results


def markdown(data: dict) -> str:
    res = data["results"]
    lines = ["Signed `order.created` deliveries (unique, ~2.4 KB body), gunicorn "
             f"{res['config']['gunicorn_workers']} workers x {res['config']['gunicorn_threads']} threads (gthread) for "
             f"both servers; closed loop {res['config']['closed_concurrency']} keep-alive connections, open loop "
             f"{res['config']['open_rate_rps']} req/s over {res['config']['open_connections']} connections "
             "(latency from the intended send time); "
             f"{res['config']['duration']:.0f} s measured after {res['config']['warmup']:.0f} s warm-up each. "
             "No RQ worker running.\n",
             "| backend | server | closed req/s | closed p50 / p99 ms | server CPU ms/req (closed) "
             "| 300 req/s p50 / p99 ms (pooled) | p99 per round ms | non-2xx |",
             "|---|---|---|---|---|---|---|---|"]
    for backend, r in res["backends"].items():
        for who in ("bare", "ours"):
            c, o = r[who]["closed"], r[who]["open"]
            label = "bare Flask" if who == "bare" else "stockbridge web"
            lines.append(f"| {backend} | {label} | {common.fmt(c['throughput_rps'])} | "
                         f"{common.fmt(c['latency'].get('p50_ms'), 2)} / {common.fmt(c['latency'].get('p99_ms'), 2)} | "
                         f"{common.fmt(c['server_cpu_ms_per_request'], 3)} | "
                         f"{common.fmt(o['latency'].get('p50_ms'), 2)} / {common.fmt(o['latency'].get('p99_ms'), 2)} | "
                         f"{', '.join(common.fmt(x['latency'].get('p99_ms'), 1) for x in r[who]['open_rounds'])} | "
                         f"{c['responses_non_2xx'] + o['responses_non_2xx']} |")
    lines += ["", "| backend | ours / bare throughput (target) | p99 at 300 req/s (target < 20 ms) | "
              "inbox rows == 2xx |", "|---|---|---|---|"]
    for backend, r in res["backends"].items():
        t, chk = r["targets"], r["inbox_check"]
        lines.append(f"| {backend} | {t['throughput_ratio'] * 100:.1f} % (>= {t['throughput_ratio_target'] * 100:.0f} %): "
                     f"{common.verdict(t['throughput_ratio_met'])} | {common.fmt(t['p99_at_300_ms'], 2)} ms: "
                     f"{common.verdict(t['p99_met'])} | {chk['inbox_rows']:,} rows / {chk['responses_2xx']:,} 2xx: "
                     f"{common.verdict(t['all_2xx_stored_met'])} |")
    return "\n".join(lines) + "\n"
