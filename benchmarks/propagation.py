"""Benchmark 3 - propagation: an order placed in the shop -> the shop holds the new stock figure.

The whole production topology of ``stockbridge run`` on this box, per backend (PostgreSQL, then
SQLite), with a fresh database and the run's private redis-server:

* the WooCommerce sandbox (``benchmarks.sandbox_probe``: the sandbox served exactly like ``python -m
  sandbox.woocommerce --seed demo``, plus a hook listener that timestamps every ``product.updated``,
  i.e. the moment the shop stores a new ``stock_quantity``; no polling);
* ``stockbridge web`` (gunicorn, defaults 2 x 4), 2 x ``stockbridge worker``, 1 x ``stockbridge scheduler``;
* onboarding as the README says: ``shop add``, ``shop connect --public-url`` (the sandbox creates the
  webhooks and pings them), ``catalog import``; then ``stockbridge stock set SKU 10000`` for the 7
  SKU'd demo items, and we wait until the shop shows 10000 everywhere and the inbox is idle.

Load: checkout orders placed through the sandbox (``POST /__sandbox__/orders``) at a fixed 20/s
(open loop, 4 sender threads), 1 unit each, round-robin over the 7 SKUs (4 simple products, 3
variations). Status ``pending``: WooCommerce does not reduce its own stock for a pending order, so
the shop's figure can only change because Stockbridge held the unit and pushed ``on_hand -
reserved``. The real sandbox sends the signed ``order.created``/``order.updated`` webhooks
asynchronously (one delivery thread, like Action Scheduler).

Per order: placement = the moment the checkout request was sent; webhook receipt = the earliest
``received_at`` of that order's ``order.*`` inbox rows (written by our receiver); propagated = the
first ``product.updated`` of that SKU whose ``stock_quantity`` <= 10000 - (orders of that SKU up to and
including this one). Figures only go down during the run (holds expire after 60 min), so that is
the first moment the shop reflects this order. p50/p99 of both intervals; target p99 < 1 s.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict

from benchmarks import common
from benchmarks.common import ADMIN_TOKEN, PY, Children

RATE = 20.0
SENDERS = 4
START_STOCK = 10_000
TARGET_P99_S = 1.0
SHOP = "shop1"
CK, CS = "ck_bench_0123456789abcdef", "cs_bench_0123456789abcdef"

#: Published push intervals of commercial tools (reference/reliability_performance.md 4.1), for context.
COMMERCIAL = [
    ("BaseLinker / Base", "stock every 8 h, every hour, or live (live not on the free plan)"),
    ("Linnworks", "desktop auto-sync every 10-120 min; cloud sync automatic, cannot be triggered"),
    ("Channable", "immediate for Amazon, bol.com, Kaufland, Zalando; every 5 min for eBay, Otto, ManoMano, Mirakl"),
    ("Teapplix", "quantity sync every 15 min"),
    ("DropStream", "inventory pushed every 60 min by default"),
    ("ChannelAdvisor", "depends on number of SKUs and complexity, 'could vary significantly'"),
]


def _get(url: str, **kw):
    import requests

    return requests.get(url, timeout=10, **kw)


def _inbox_idle(url: str) -> bool:
    from sqlalchemy import func, select

    from connector.db import get_engine
    from connector.models import InboxEvent

    with get_engine(url).connect() as conn:
        return conn.execute(select(func.count()).select_from(InboxEvent)
                            .where(InboxEvent.status == "received")).scalar_one() == 0


def _setup(env: dict, shop_url: str, web_url: str, database_url: str) -> list[str]:
    common.cli(env, "shop", "add", SHOP, "--url", shop_url, "--consumer-key", CK, "--consumer-secret", CS,
               "--webhook-secret", "replaced-by-connect")
    common.cli(env, "shop", "connect", SHOP, "--public-url", web_url, "--rotate-secret")
    common.cli(env, "catalog", "import", SHOP)
    skus = sorted(k for k in _get(shop_url + "/__sandbox__/stock").json() if not k.startswith("_"))
    for sku in skus:
        common.cli(env, "stock", "set", sku, str(START_STOCK))
    common.wait_for(lambda: all(_get(shop_url + "/__sandbox__/stock").json()[s] == START_STOCK for s in skus),
                    timeout=60, interval=0.2, what="the shop showing the starting stock")
    common.wait_for(lambda: _inbox_idle(database_url), timeout=60, interval=0.5, what="echo webhooks processed")
    time.sleep(4)  # product.updated echoes wait 3 s (grace) before they are processed
    common.wait_for(lambda: _inbox_idle(database_url), timeout=60, interval=0.5, what="echo webhooks processed")
    return skus


def _place_orders(shop_url: str, skus: list[str], duration: float) -> list[dict]:
    """Open-loop checkouts at RATE/s over SENDERS threads; returns one record per order."""
    import requests

    total = int(RATE * duration)
    start = time.time() + 0.5
    records: list[dict] = [None] * total  # type: ignore[list-item]

    def sender(k0: int) -> None:
        session = requests.Session()
        for k in range(k0, total, SENDERS):
            intended = start + k / RATE
            delay = intended - time.time()
            if delay > 0:
                time.sleep(delay)
            sku = skus[k % len(skus)]
            sent = time.time()
            try:
                response = session.post(shop_url + "/__sandbox__/orders", timeout=30,
                                        json={"lines": [{"sku": sku, "quantity": 1}], "status": "pending"})
                ok = response.status_code == 201
                order_id = response.json().get("id") if ok else None
                error = None if ok else f"{response.status_code} {response.text[:200]}"
            except requests.RequestException as exc:
                ok, order_id, error = False, None, f"{type(exc).__name__}: {exc}"
            records[k] = {"k": k, "sku": sku, "intended": intended, "sent": sent, "placed": time.time(),
                          "ok": ok, "order_id": order_id, "error": error}

    threads = [threading.Thread(target=sender, args=(i,)) for i in range(SENDERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return records


def _receipts(database_url: str, order_ids: list[int]) -> dict[str, float]:
    from datetime import timezone

    from sqlalchemy import func, select

    from connector.db import get_engine
    from connector.models import InboxEvent

    wanted = {str(i) for i in order_ids}
    out = {}
    with get_engine(database_url).connect() as conn:
        rows = conn.execute(select(InboxEvent.resource_id, func.min(InboxEvent.received_at))
                            .where(InboxEvent.topic.like("order.%")).group_by(InboxEvent.resource_id)).all()
    for resource_id, received in rows:
        if resource_id in wanted:
            out[resource_id] = received.replace(tzinfo=timezone.utc).timestamp()
    return out


def _inbox_summary(database_url: str) -> dict:
    """What the receiver stored and the workers decided, by topic/status, with product.updated outcomes."""
    from sqlalchemy import func, select

    from connector.db import get_engine
    from connector.models import InboxEvent

    with get_engine(database_url).connect() as conn:
        rows = conn.execute(select(InboxEvent.topic, InboxEvent.status, func.count())
                            .group_by(InboxEvent.topic, InboxEvent.status)).all()
        notes = conn.execute(select(InboxEvent.error).where(InboxEvent.topic == "product.updated",
                                                            InboxEvent.status != "received")).scalars().all()
        retried = conn.execute(select(InboxEvent.topic, InboxEvent.status, InboxEvent.attempts, InboxEvent.error)
                               .where(InboxEvent.attempts > 0)).all()
    kinds = {"recognised as an echo of our figure": 0, "pushed back after a shop order (forced re-push)": 0,
             "manual edit accepted": 0, "other": 0}
    errors = sorted({(e or "")[:160] for _t, _s, _a, e in retried})
    for note in notes:
        note = note or ""
        if "echo of our" in note:
            kinds["recognised as an echo of our figure"] += 1
        elif "pushed back" in note:
            kinds["pushed back after a shop order (forced re-push)"] += 1
        elif "manual edit accepted" in note:
            kinds["manual edit accepted"] += 1
        else:
            kinds["other"] += 1
    return {"by_topic_status": {f"{t} {st}": n for t, st, n in rows}, "product_updated_outcomes": kinds,
            "events_retried_after_an_error": len(retried),
            "retried_by_topic_status": {f"{t} {st}": sum(1 for r in retried if (r[0], r[1]) == (t, st))
                                        for t, st in {(r[0], r[1]) for r in retried}},
            "retry_errors": errors[:5]}


def _propagation_metric(web_url: str) -> list[str]:
    """The product's own histogram (ledger change -> channel accepted the figure), for comparison."""
    try:
        text = _get(web_url + "/metrics", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}).text
    except Exception as exc:  # noqa: BLE001
        return [f"unavailable: {type(exc).__name__}"]
    return [line for line in text.splitlines() if line.startswith("stockbridge_propagation_seconds")]


def run_backend(backend: str, duration: float, wd, redis_url: str, children: Children) -> dict:
    from redis import Redis

    Redis.from_url(redis_url).flushdb()
    with common.database(backend, wd) as database_url:
        env = common.stockbridge_env(database_url, redis_url, wd)
        shop_port, web_port = common.free_port(), common.free_port()
        shop_url, web_url = f"http://127.0.0.1:{shop_port}", f"http://127.0.0.1:{web_port}"
        procs = [children.start(f"sandbox-{backend}", [PY, "-m", "benchmarks.sandbox_probe", "--port", str(shop_port),
                                                      "--consumer-key", CK, "--consumer-secret", CS, "--seed", "demo"],
                                env)]
        common.wait_http(shop_url + "/__sandbox__/stock", proc=procs[0])
        procs.append(children.start(f"web-{backend}", [*common.stockbridge_cmd(), "web", "--host", "127.0.0.1",
                                                       "--port", str(web_port)], env))
        common.wait_http(web_url + "/healthz", proc=procs[-1])
        for i in range(2):
            procs.append(children.start(f"worker-{backend}-{i}", [*common.stockbridge_cmd(), "worker", "--name",
                                                                  f"bench-{backend}-{i}-{time.time_ns()}"], env))
        procs.append(children.start(f"scheduler-{backend}", [*common.stockbridge_cmd(), "scheduler"], env))
        t_setup = time.monotonic()
        skus = _setup(env, shop_url, web_url, database_url)
        setup_s = time.monotonic() - t_setup
        mark = _get(shop_url + "/__bench__/stock-changes").json()["next"]

        records = _place_orders(shop_url, skus, duration)
        placed = [r for r in records if r and r["ok"]]
        final = {s: START_STOCK - sum(1 for r in placed if r["sku"] == s) for s in skus}
        converged = True
        try:
            common.wait_for(lambda: all(_get(shop_url + "/__sandbox__/stock").json()[s] == final[s] for s in skus),
                            timeout=90, interval=0.2, what="the shop showing the final figures")
        except TimeoutError:
            converged = False
        time.sleep(1)
        changes = _get(shop_url + f"/__bench__/stock-changes?since={mark}").json()["changes"]
        receipts = _receipts(database_url, [r["order_id"] for r in placed])
        metric = _propagation_metric(web_url)
        inbox_summary = _inbox_summary(database_url)
        final_shop = {s: _get(shop_url + "/__sandbox__/stock").json()[s] for s in skus}
        for proc in reversed(procs):
            children.stop(proc)

    by_sku = defaultdict(list)
    for t, _pid, sku, qty in changes:
        by_sku[sku].append((t, qty))
    nth = defaultdict(int)
    from_placement, from_receipt, missing = [], [], 0
    per_order = []
    for r in sorted(placed, key=lambda r: r["k"]):
        nth[r["sku"]] += 1
        expected = START_STOCK - nth[r["sku"]]
        seen = next((t for t, qty in by_sku[r["sku"]] if qty is not None and qty <= expected and t >= r["sent"]),
                    None)
        received = receipts.get(str(r["order_id"]))
        if seen is None:
            missing += 1
            continue
        from_placement.append(seen - r["sent"])
        if received is not None:
            from_receipt.append(seen - received)
        per_order.append([r["order_id"], r["sku"], round(r["sent"], 4), round(received, 4) if received else None,
                          round(seen, 4)])
    p99_placement = common.summarize_ms(from_placement).get("p99_ms")
    return {
        "backend": backend, "skus": skus, "setup_s_not_measured": round(setup_s, 1),
        "orders_attempted": len(records), "orders_placed": len(placed),
        "order_errors": [r["error"] for r in records if r and not r["ok"]][:5],
        "achieved_rate_per_s": round(len(placed) / (max(r["sent"] for r in placed) - min(r["sent"] for r in placed)), 2)
        if len(placed) > 1 else None,
        "placement_request_ms": common.summarize_ms([r["placed"] - r["sent"] for r in placed]),
        "shop_converged_to_final_figures": converged, "final_expected": final, "final_shop": final_shop,
        "orders_without_propagation": missing, "webhook_receipts_found": len(receipts),
        "stock_changes_in_shop": len(changes),
        "from_placement": common.summarize_ms(from_placement),
        "from_webhook_receipt": common.summarize_ms(from_receipt),
        "p99_met": p99_placement is not None and p99_placement < TARGET_P99_S * 1000 and missing == 0 and converged,
        "product_metric_propagation_seconds": metric,
        "inbox_summary": inbox_summary,
        "figures_pushed": sum(float(line.rsplit(" ", 1)[1]) for line in metric
                              if line.startswith("stockbridge_propagation_seconds_count")),
        "per_order": per_order,
    }


def run(quick: bool) -> dict:
    duration = 6.0 if quick else 45.0
    wd = common.run_dir("propagation")
    children = Children(wd)
    backends = (["postgresql"] if common.pg_available() else []) + ["sqlite"]
    results = {"config": {"rate_per_s": RATE, "duration_s": duration, "senders": SENDERS, "start_stock": START_STOCK,
                          "status": "pending", "units_per_order": 1, "topology": "sandbox + stockbridge web (2x4) + "
                          "2 workers + 1 scheduler", "workdir": str(wd)},
               "commercial_intervals_for_context": COMMERCIAL, "backends": {}}
    try:
        with common.private_redis(wd) as redis_url:
            for backend in backends:
                results["backends"][backend] = run_backend(backend, duration, wd, redis_url, children)
    finally:
        children.stop_all()
    return results


def markdown(data: dict) -> str:
    res = data["results"]
    cfg = res["config"]
    lines = [f"Topology: {cfg['topology']}; the sandbox sends the real signed webhooks. Checkout orders "
             f"(`{cfg['status']}`, {cfg['units_per_order']} unit, round-robin over the demo SKUs) placed at "
             f"{cfg['rate_per_s']:.0f}/s for {cfg['duration_s']:.0f} s. Propagated = the shop stored a figure that "
             "reflects the order (timestamped by a hook listener inside the sandbox).\n",
             "| backend | orders placed | achieved rate/s | placement -> shop figure p50 / p90 / p99 / max ms "
             "| webhook receipt -> shop figure p50 / p99 ms | not propagated | p99 < 1 s |",
             "|---|---|---|---|---|---|---|"]
    for backend, r in res["backends"].items():
        p, w = r["from_placement"], r["from_webhook_receipt"]
        lines.append(f"| {backend} | {r['orders_placed']:,} / {r['orders_attempted']:,} | "
                     f"{common.fmt(r['achieved_rate_per_s'], 2)} | {common.fmt(p.get('p50_ms'))} / "
                     f"{common.fmt(p.get('p90_ms'))} / {common.fmt(p.get('p99_ms'))} / {common.fmt(p.get('max_ms'))} | "
                     f"{common.fmt(w.get('p50_ms'))} / {common.fmt(w.get('p99_ms'))} | "
                     f"{r['orders_without_propagation']} | {common.verdict(r['p99_met'])} |")
    lines.append("")
    for backend, r in res["backends"].items():
        outcomes = ", ".join(f"{k}: {v}" for k, v in r["inbox_summary"]["product_updated_outcomes"].items())
        lines.append(f"- {backend}: {r['figures_pushed']:.0f} figures pushed (product metric "
                     f"`stockbridge_propagation_seconds_count`) for {r['orders_placed']} orders; "
                     f"{r['stock_changes_in_shop']} stock saves in the shop; product.updated webhooks back: {outcomes}; "
                     f"order events retried after an error: {r['inbox_summary']['events_retried_after_an_error']} "
                     f"({'; '.join(e.splitlines()[0][:110] for e in r['inbox_summary']['retry_errors'] if e) or 'none'}); "
                     f"checkout request p50 {common.fmt(r['placement_request_ms'].get('p50_ms'))} ms; "
                     f"shop converged to the expected final figures: {r['shop_converged_to_final_figures']}.")
    lines += ["", "Baseline for context (published push intervals of commercial tools, "
              "`reference/reliability_performance.md` 4.1; not measured here):", ""]
    lines += [f"- {name}: {text}" for name, text in res["commercial_intervals_for_context"]]
    return "\n".join(lines) + "\n"
