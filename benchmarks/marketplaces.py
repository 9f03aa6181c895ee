"""Benchmark 5 - one stock, five channels: a sale on any channel -> every other channel shows the new figure.

Topology (per backend, fresh database, the run's private redis-server), all real processes on this box:
the WooCommerce sandbox and the Allegro, Rozetka, Ozon and Prom.ua sandboxes (``python -m sandbox.<x>``
with their demo catalogs and their REAL pacing: Allegro applies quantity commands asynchronously, Ozon
takes one update per product/warehouse pair per 30 s), ``stockbridge web`` (gunicorn 2 x 4), 3 workers,
1 scheduler; onboarding through the CLI as the README says (``shop connect``, ``catalog import``,
``channel add/connect/map``) with each marketplace's default poll interval (Allegro and Ozon 1 s, Rozetka and Prom 3 s).

Load: ``SALES`` checkouts, one every ``SPACING`` s, round-robin over the five channels and the seven demo
SKUs (each SKU starts at 1000 units, so every figure only goes down). A watcher per channel reads the
sandbox's own buyer view (``/__sandbox__/stock``) every ``WATCH`` s and timestamps each change.

Per sale on channel X of SKU s: detection = the sale -> its reservation in the ledger (the journal row;
X's webhook for the shop, X's poll for a marketplace); propagation to channel Y != X = the ledger row ->
Y first shows a figure <= what the ledger said after that sale; end to end = the sale -> Y shows it.
Baseline in the same run: a bare GET to each sandbox (the network and server floor), and the published
sync intervals of commercial tools (context). Targets: propagation p99 < 1 s for every channel whose
API allows it (Ozon's 30 s pair interval is the marketplace's rule, reported as measured).
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict

from benchmarks import common
from benchmarks.common import ADMIN_TOKEN, PY, Children
from benchmarks.propagation import COMMERCIAL
from connector.marketplaces import DEFAULTS

SALES, SPACING, WATCH = 70, 0.7, 0.02
START = 1000
TARGET_P99_S = 1.0
CK, CS = "ck_bench_mp_0123456789", "cs_bench_mp_0123456789"
MARKETS = {
    "allegro": (["--client-id", "bench", "--client-secret", "bench-secret", "--auto-approve"],
                ["client_id=bench", "client_secret=bench-secret"], ""),
    "rozetka": (["--username", "bench", "--password", "bench-pass"], ["username=bench", "password=bench-pass"], ""),
    "ozon": (["--client-id", "777", "--api-key", "bench-key"], ["client_id=777", "api_key=bench-key"], ""),
    "prom": (["--token", "bench-token"], ["token=bench-token"], "/api/v1"),
}


def _get(url: str, **kw):
    import requests

    return requests.get(url, timeout=10, **kw)


class Watcher(threading.Thread):
    """Reads one channel's buyer view every WATCH s; keeps (time, sku, units) for every change."""

    def __init__(self, name: str, url: str):
        super().__init__(daemon=True)
        self.name, self.url, self.changes, self.stopping = name, url, [], threading.Event()

    def run(self) -> None:
        import requests

        session, last = requests.Session(), {}
        while not self.stopping.is_set():
            try:
                view = session.get(self.url + "/__sandbox__/stock", timeout=5).json()
            except (requests.RequestException, ValueError):
                continue
            now = time.time()
            for sku, units in view.items():
                if not sku.startswith("_") and last.get(sku) != units:
                    self.changes.append((now, sku, units))
                    last[sku] = units
            time.sleep(WATCH)


def _start_stack(backend: str, env: dict, children: Children) -> dict:
    urls, procs = {}, []
    for name, (flags, _creds, _path) in {"shop1": ([], [], ""), **MARKETS}.items():
        port = common.free_port()
        module = "sandbox.woocommerce" if name == "shop1" else f"sandbox.{name}"
        extra = ["--consumer-key", CK, "--consumer-secret", CS] if name == "shop1" else flags
        procs.append(children.start(f"{name}-{backend}", [PY, "-m", module, "--port", str(port), "--seed", "demo",
                                                          *extra], env))
        urls[name] = f"http://127.0.0.1:{port}"
        common.wait_http(urls[name] + "/__sandbox__/stock", proc=procs[-1])
    web_port = common.free_port()
    procs.append(children.start(f"web-{backend}", [*common.stockbridge_cmd(), "web", "--port", str(web_port)], env))
    urls["web"] = f"http://127.0.0.1:{web_port}"
    common.wait_http(urls["web"] + "/healthz", proc=procs[-1])
    for i in range(3):
        procs.append(children.start(f"worker-{backend}-{i}", [*common.stockbridge_cmd(), "worker", "--name",
                                                              f"bench-mp-{backend}-{i}-{time.time_ns()}"], env))
    procs.append(children.start(f"scheduler-{backend}", [*common.stockbridge_cmd(), "scheduler"], env))
    return {"urls": urls, "procs": procs}


def _onboard(env: dict, urls: dict) -> list[str]:
    common.cli(env, "shop", "add", "shop1", "--url", urls["shop1"], "--consumer-key", CK, "--consumer-secret", CS,
               "--webhook-secret", "replaced-by-connect")
    common.cli(env, "shop", "connect", "shop1", "--public-url", urls["web"], "--rotate-secret")
    common.cli(env, "catalog", "import", "shop1")
    for name, (_flags, creds, path) in MARKETS.items():
        extra = ["--set", f"auth_url={urls[name]}"] if name == "allegro" else []
        common.cli(env, "channel", "add", name, "--kind", name, "--url", urls[name] + path,
                   *[a for c in creds for a in ("--credential", c)], *extra)
        common.cli(env, "channel", "connect", name)
        common.cli(env, "channel", "map", name)
    skus = sorted(k for k in _get(urls["shop1"] + "/__sandbox__/stock").json() if not k.startswith("_"))
    for sku in skus:
        common.cli(env, "stock", "set", sku, str(START))
    channels = ["shop1", *MARKETS]
    common.wait_for(lambda: all(_get(urls[c] + "/__sandbox__/stock").json().get(s) == START
                                for c in channels for s in skus), timeout=120, interval=0.5,
                    what="every channel showing the starting stock")
    time.sleep(32)  # Ozon's pair interval: the next figure may go out at once
    return skus


def _sell(urls: dict, skus: list[str]) -> list[dict]:
    import requests

    channels, sales, session = ["shop1", *MARKETS], [], requests.Session()
    for k in range(SALES):
        channel, sku = channels[k % len(channels)], skus[k % len(skus)]
        body = {"lines": [{"sku": sku, "quantity": 1}]}
        body.update({"status": "processing"} if channel == "shop1" else {"payment": "online"})
        sent = time.time()
        answer = session.post(urls[channel] + "/__sandbox__/orders", json=body, timeout=10)
        order = answer.json() if answer.status_code == 201 else {}
        sales.append({"k": k, "channel": channel, "sku": sku, "sent": sent, "ok": answer.status_code == 201,
                      "ref": str(order.get("_id") or order.get("id") or "")})
        time.sleep(max(0.0, sent + SPACING - time.time()))
    return sales


def _reserved_at(database_url: str) -> list[tuple[float, str, str, str]]:
    """(time, channel, order external id, sku) of every reservation the orders made (journal rows)."""
    from datetime import timezone

    from sqlalchemy import select

    from connector.db import get_engine
    from connector.models import Channel, JournalEntry, Order

    with get_engine(database_url).connect() as conn:
        rows = conn.execute(select(JournalEntry.created_at, Channel.name, Order.external_id, JournalEntry.sku)
                            .join(Order, Order.id == JournalEntry.order_id).join(Channel, Channel.id == Order.channel_id)
                            .where(JournalEntry.delta_reserved > 0)).all()
    return [(r[0].replace(tzinfo=timezone.utc).timestamp(), r[1], r[2], r[3]) for r in rows]


def _floor(urls: dict) -> dict:
    """A bare GET to each sandbox, 50 times: the floor any push or read stands on."""
    import requests

    session, out = requests.Session(), {}
    for name in ["shop1", *MARKETS]:
        times = []
        for _ in range(50):
            t0 = time.perf_counter()
            session.get(urls[name] + "/__sandbox__/stock", timeout=5)
            times.append(time.perf_counter() - t0)
        out[name] = common.summarize_ms(times)
    return out


def _measure(sales: list[dict], reserved: list, watchers: dict) -> dict:
    """Detection per source channel; propagation and end to end per target channel."""
    by_order = {(ch, ref, sku): t for t, ch, ref, sku in reserved}
    count, detection = defaultdict(int), defaultdict(list)
    propagation, end_to_end, missing = defaultdict(list), defaultdict(list), defaultdict(int)
    for sale in sorted((s for s in sales if s["ok"]), key=lambda s: s["k"]):
        count[sale["sku"]] += 1
        expected, ledger_t = START - count[sale["sku"]], by_order.get((sale["channel"], sale["ref"], sale["sku"]))
        if ledger_t is None:
            missing["not reserved"] += 1
            continue
        detection[sale["channel"]].append(ledger_t - sale["sent"])
        for target, watcher in watchers.items():
            if target == sale["channel"]:
                continue
            seen = next((t for t, sku, units in watcher.changes
                         if sku == sale["sku"] and units is not None and units <= expected and t >= sale["sent"]), None)
            if seen is None:
                missing[target] += 1
                continue
            propagation[target].append(max(seen - ledger_t, 0.0))
            end_to_end[target].append(seen - sale["sent"])
    return {"detection": {c: common.summarize_ms(v) for c, v in detection.items()},
            "propagation": {c: common.summarize_ms(v) for c, v in propagation.items()},
            "end_to_end": {c: common.summarize_ms(v) for c, v in end_to_end.items()}, "missing": dict(missing)}


def run_backend(backend: str, wd, redis_url: str, children: Children) -> dict:
    from redis import Redis

    Redis.from_url(redis_url).flushdb()
    with common.database(backend, wd) as database_url:
        env = common.stockbridge_env(database_url, redis_url, wd)
        stack = _start_stack(backend, env, children)
        urls = stack["urls"]
        t0 = time.monotonic()
        skus = _onboard(env, urls)
        setup_s = time.monotonic() - t0
        watchers = {c: Watcher(c, urls[c]) for c in ["shop1", *MARKETS]}
        for watcher in watchers.values():
            watcher.start()
        sales = _sell(urls, skus)
        time.sleep(35)  # the last Ozon figures wait out the pair interval
        for watcher in watchers.values():
            watcher.stopping.set()
        reserved, floor = _reserved_at(database_url), _floor(urls)
        metric = [line for line in _get(urls["web"] + "/metrics", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
                  .text.splitlines() if line.startswith("stockbridge_propagation_seconds_sum")
                  or line.startswith("stockbridge_propagation_seconds_count")]
        for proc in reversed(stack["procs"]):
            children.stop(proc)
    result = _measure(sales, reserved, watchers)
    met = {c: (s.get("p99_ms") or 1e9) < TARGET_P99_S * 1000 for c, s in result["propagation"].items()}
    return {"backend": backend, "skus": skus, "setup_s_not_measured": round(setup_s, 1),
            "sales_attempted": len(sales), "sales_placed": sum(s["ok"] for s in sales), **result,
            "p99_under_1s": met, "floor_bare_get": floor, "product_metric": metric}


def run(quick: bool) -> dict:
    wd = common.run_dir("marketplaces")
    children = Children(wd)
    backends = (["postgresql"] if common.pg_available() else []) + ([] if quick else ["sqlite"])
    global SALES
    SALES = 15 if quick else SALES
    results = {"config": {"sales": SALES, "spacing_s": SPACING, "watch_interval_s": WATCH, "start_stock": START,
                          "topology": "5 sandboxes + stockbridge web (2x4) + 3 workers + 1 scheduler",
                          "poll_seconds": {kind: DEFAULTS[kind]["poll_seconds"] for kind in MARKETS},
                          "ozon_pair_interval_s": 30, "workdir": str(wd)},
               "commercial_intervals_for_context": COMMERCIAL, "backends": {}}
    try:
        with common.private_redis(wd) as redis_url:
            for backend in backends:
                results["backends"][backend] = run_backend(backend, wd, redis_url, children)
    finally:
        children.stop_all()
    return results


def _row(label: str, stats: dict) -> str:
    return f"{common.fmt(stats.get('p50_ms'))} / {common.fmt(stats.get('p99_ms'))} / {common.fmt(stats.get('max_ms'))}"


def markdown(data: dict) -> str:
    res, cfg = data["results"], data["results"]["config"]
    lines = [f"Topology: {cfg['topology']}. {cfg['sales']} sales, one every {cfg['spacing_s']} s, round-robin over "
             "the shop and the four marketplaces and the seven demo SKUs; each sandbox's buyer view read every "
             f"{cfg['watch_interval_s'] * 1000:.0f} ms. Marketplace polls: {cfg['poll_seconds']}; Ozon's pair "
             f"interval {cfg['ozon_pair_interval_s']} s (its rule, not ours).\n"]
    for backend, r in res["backends"].items():
        lines += [f"**{backend}**: {r['sales_placed']}/{r['sales_attempted']} sales; missing: {r['missing'] or 'none'}",
                  "", "| channel | detection: sale -> ledger p50 / p99 / max ms | propagation: ledger -> channel "
                  "shows it p50 / p99 / max ms | end to end p50 / p99 / max ms | bare GET p50 ms | p99 < 1 s |",
                  "|---|---|---|---|---|---|"]
        for channel in ["shop1", *MARKETS]:
            lines.append(f"| {channel} | {_row('d', r['detection'].get(channel, {}))} | "
                         f"{_row('p', r['propagation'].get(channel, {}))} | {_row('e', r['end_to_end'].get(channel, {}))} "
                         f"| {common.fmt(r['floor_bare_get'][channel].get('p50_ms'), 2)} | "
                         f"{common.verdict(r['p99_under_1s'].get(channel))} |")
        lines.append("")
    lines += ["Baseline for context (published sync intervals of commercial tools, not measured here):", ""]
    lines += [f"- {name}: {text}" for name, text in res["commercial_intervals_for_context"]]
    return "\n".join(lines) + "\n"
