"""Benchmark 2 - ledger: reservations per second on ONE hot SKU, 8 concurrent processes, zero oversell.

Per backend (PostgreSQL, and SQLite for reference) a fresh migrated database gets one stock item
``HOT-SKU`` with ``on_hand = STOCK`` and ``STOCK * 1.1`` orders, each with one line for that SKU. The
orders and lines are created *before* the clock starts (bulk insert, not measured); the measured
transaction is exactly ``with connector.db.transaction(engine) as s: connector.ledger.reserve(s,
order_id=, line_id=, sku="HOT-SKU", quantity=1, expires_at=None, cause=Cause(...))``: look up the
(order, line) reservation, the guarded ``UPDATE ... RETURNING``, the journal row, the reservation row,
commit. 8 processes (own engine each) take disjoint slices of the lines and run until their slice
is done: the stock runs out part-way, so the last ~10 % of attempts must be refused.

Throughput = units granted / time from the common start to the last grant (the stock ran out).

Baselines, same database, same 8 processes, same stock:

* ``bare UPDATE`` (the baseline): a one-row table, ``UPDATE bench_counter SET n = n - 1 WHERE id = 1
  AND n > 0`` as its own transaction through the raw driver (psycopg autocommit; sqlite3 with the same
  pragmas as the product and ``BEGIN IMMEDIATE ... COMMIT``);
* ``UPDATE via SQLAlchemy`` (diagnostic): the same statement in ``connector.db.transaction``, to
  separate the framework's cost from the ledger's own work.

Checks: units granted == STOCK (never more), ``reserved == on_hand == STOCK``, one ``held``
reservation and one journal row per granted unit. Target: >= 2,000 reservations/s on PostgreSQL.
"""

from __future__ import annotations

import multiprocessing as mp
import time
from collections import Counter

from benchmarks import common

PROCESSES = 8
SKU = "HOT-SKU"
SKU_1P = "HOT-SKU-1P"
ONE_PROCESS_STOCK = 1500
TARGET_PG_RPS = 2000.0
TIME_CAP_S = 90.0


# ----------------------------------------------------------------------------------------------
# set-up
# ----------------------------------------------------------------------------------------------

def _prepare(url: str, stock: int, attempts: int, sku: str = SKU, first_external: int = 1) -> list[tuple[int, int]]:
    """Shop, stock item, orders and their lines (not measured); returns (order id, line id) pairs."""
    from sqlalchemy import insert, select, text

    from connector import channels, ledger
    from connector.db import get_engine, transaction
    from connector.models import Channel, Order, OrderLine

    engine = get_engine(url)
    with transaction(engine) as session:
        channel_id = session.scalar(select(Channel.id).where(Channel.name == "bench"))
        if channel_id is None:
            channels.add_shop(session, "bench", url="http://127.0.0.1:9", consumer_key="ck", consumer_secret="cs",
                              webhook_secret=common.SHOP_SECRET)
            channel_id = session.scalar(select(Channel.id).where(Channel.name == "bench"))
        ledger.set_on_hand(session, sku, stock, ledger.Cause("count"))
    chunk = 2000
    with engine.begin() as conn:
        for start in range(0, attempts, chunk):
            n = min(chunk, attempts - start)
            conn.execute(insert(Order), [{"channel_id": channel_id, "external_id": str(first_external + start + i),
                                          "number": str(first_external + start + i), "status": "awaiting_payment",
                                          "currency": "PLN", "buyer": {}, "shipping_address": {}, "delivery": {},
                                          "flags": []} for i in range(n)])
        orders = conn.execute(select(Order.id).outerjoin(OrderLine).where(OrderLine.id.is_(None))
                              .order_by(Order.id)).scalars().all()
        for start in range(0, len(orders), chunk):
            conn.execute(insert(OrderLine), [{"order_id": oid, "line_key": "1", "sku": sku, "quantity": 1}
                                             for oid in orders[start:start + chunk]])
        pairs = conn.execute(select(OrderLine.order_id, OrderLine.id).where(OrderLine.sku == sku)
                             .order_by(OrderLine.id)).all()
        if first_external == 1:
            conn.execute(text("CREATE TABLE bench_counter (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)"))
    return [(int(o), int(line)) for o, line in pairs]


def _reset_counter(url: str, stock: int) -> None:
    from sqlalchemy import text

    from connector.db import get_engine

    with get_engine(url).begin() as conn:
        conn.execute(text("DELETE FROM bench_counter"))
        conn.execute(text("INSERT INTO bench_counter (id, n) VALUES (1, :n)"), {"n": stock})


# ----------------------------------------------------------------------------------------------
# the three workloads (run inside a forked child)
# ----------------------------------------------------------------------------------------------

def _ours_attempt_factory(url: str, sku: str = SKU):
    from connector import ledger
    from connector.db import make_engine, transaction

    engine = make_engine(url)

    def attempt(pair) -> bool:
        order_id, line_id = pair
        with transaction(engine) as session:
            outcome = ledger.reserve(session, order_id=order_id, line_id=line_id, sku=sku, quantity=1,
                                     expires_at=None, cause=ledger.Cause("bench reserve", order_id=order_id))
        return outcome.result == "changed"

    return attempt


def _sqlalchemy_update_factory(url: str):
    from sqlalchemy import text

    from connector.db import make_engine, transaction

    engine = make_engine(url)
    stmt = text("UPDATE bench_counter SET n = n - 1 WHERE id = 1 AND n > 0")

    def attempt(_pair) -> bool:
        with transaction(engine) as session:
            return session.execute(stmt).rowcount == 1

    return attempt


def _raw_update_factory(url: str):
    sql = "UPDATE bench_counter SET n = n - 1 WHERE id = 1 AND n > 0"
    if url.startswith("sqlite"):
        import sqlite3

        conn = sqlite3.connect(url.removeprefix("sqlite:///"), timeout=30, isolation_level=None)
        for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "busy_timeout=30000", "foreign_keys=ON"):
            conn.execute(f"PRAGMA {pragma}")

        def attempt(_pair) -> bool:
            conn.execute("BEGIN IMMEDIATE")
            try:
                changed = conn.execute(sql).rowcount == 1
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
            return changed

        return attempt
    import psycopg

    conn = psycopg.connect(url, autocommit=True)

    def attempt(_pair) -> bool:
        return conn.execute(sql).rowcount == 1

    return attempt


FACTORIES = {"ours": _ours_attempt_factory, "bare_update": _raw_update_factory,
             "update_via_sqlalchemy": _sqlalchemy_update_factory,
             "ours_1_process": lambda url: _ours_attempt_factory(url, SKU_1P)}


def _child(kind: str, url: str, pairs: list, sync, out) -> None:
    ready, go, clock = sync
    try:
        attempt = FACTORIES[kind](url)  # no warm-up call: it would take a unit of the stock
    except Exception as exc:  # noqa: BLE001
        ready.release()
        out.send({"fatal": f"{type(exc).__name__}: {exc}"})
        return
    ready.release()
    go.wait()
    start_at, cap_at = clock[0], clock[1]
    while time.monotonic() < start_at:
        time.sleep(0.001)
    grants, latencies, outcomes, errors, samples = [], [], Counter(), Counter(), []
    for pair in pairs:
        t0 = time.monotonic()
        if t0 >= cap_at:
            outcomes["not_attempted_time_cap"] += 1
            continue
        try:
            granted = attempt(pair)
        except Exception as exc:  # noqa: BLE001 - counted and reported
            errors[type(exc).__name__] += 1
            if len(samples) < 3:
                samples.append(f"{type(exc).__name__}: {str(exc)[:200]}")
            continue
        t1 = time.monotonic()
        latencies.append(t1 - t0)
        outcomes["granted" if granted else "refused"] += 1
        if granted:
            grants.append(t1)
    out.send({"grants": grants, "latencies": latencies, "outcomes": dict(outcomes), "errors": dict(errors),
              "error_samples": samples, "last_attempt": time.monotonic()})


def _run_phase(kind: str, url: str, pairs: list, processes: int = PROCESSES) -> dict:
    from connector.db import dispose_engines

    dispose_engines()  # no pooled connection may be inherited by the children
    ctx = mp.get_context("fork")
    ready, go, clock = ctx.Semaphore(0), ctx.Event(), ctx.Array("d", 2)
    slices = [pairs[i::processes] for i in range(processes)]
    pipes, procs = [], []
    for i in range(processes):
        parent, child = ctx.Pipe(duplex=False)
        proc = ctx.Process(target=_child, args=(kind, url, slices[i], (ready, go, clock), child), daemon=True)
        proc.start()
        child.close()
        pipes.append(parent)
        procs.append(proc)
    for _ in range(processes):
        ready.acquire(timeout=120)
    start = time.monotonic() + 0.1
    clock[0], clock[1] = start, start + TIME_CAP_S
    go.set()
    results = [p.recv() for p in pipes]
    for proc in procs:
        proc.join(timeout=30)
    fatal = [r["fatal"] for r in results if "fatal" in r]
    if fatal:
        raise RuntimeError(f"{kind}: child failed to start: {fatal[0]}")
    grants = sorted(t for r in results for t in r["grants"])
    outcomes, errors = Counter(), Counter()
    for r in results:
        outcomes.update(r["outcomes"])
        errors.update(r["errors"])
    granted = len(grants)
    window = (grants[-1] - start) if grants else None
    end = max(r["last_attempt"] for r in results)
    return {
        "kind": kind, "processes": processes, "attempts": len(pairs), "granted": granted,
        "outcomes": dict(outcomes), "errors": dict(errors),
        "error_samples": [s for r in results for s in r["error_samples"]][:5],
        "seconds_to_sell_out": round(window, 3) if window else None,
        "grants_per_s": round(granted / window, 1) if window else None,
        "attempts_per_s": round(sum(outcomes.values()) / (end - start), 1) if end > start else None,
        "tx_latency": common.summarize_ms([v for r in results for v in r["latencies"]]),
    }


# ----------------------------------------------------------------------------------------------
# checks
# ----------------------------------------------------------------------------------------------

def _ledger_state(url: str, sku: str = SKU) -> dict:
    from sqlalchemy import func, select

    from connector.db import get_engine
    from connector.models import JournalEntry, Reservation, StockItem

    with get_engine(url).connect() as conn:
        on_hand, reserved = conn.execute(select(StockItem.on_hand, StockItem.reserved)
                                         .where(StockItem.sku == sku)).one()
        held = conn.execute(select(func.count(), func.coalesce(func.sum(Reservation.quantity), 0))
                            .where(Reservation.state == "held", Reservation.sku == sku)).one()
        journal = conn.execute(select(func.count()).select_from(JournalEntry)
                               .where(JournalEntry.reason == "bench reserve", JournalEntry.sku == sku)).scalar_one()
    return {"on_hand": on_hand, "reserved": reserved, "held_reservations": held[0], "held_units": int(held[1]),
            "journal_rows": journal}


def _counter(url: str) -> int:
    from sqlalchemy import text

    from connector.db import get_engine

    with get_engine(url).connect() as conn:
        return conn.execute(text("SELECT n FROM bench_counter WHERE id = 1")).scalar_one()


def _checked(phase: dict, url: str, sku: str, stock: int) -> dict:
    state = _ledger_state(url, sku)
    phase["ledger_after"] = state
    phase["no_oversell"] = (phase["granted"] == stock == state["reserved"] == state["on_hand"]
                            == state["held_units"] == state["held_reservations"] == state["journal_rows"])
    return phase


def run_backend(backend: str, stock: int, wd) -> dict:
    attempts = int(stock * 1.1)
    with common.database(backend, wd) as url:
        t0 = time.monotonic()
        pairs = _prepare(url, stock, attempts)
        result = {"backend": backend, "stock": stock, "attempts": attempts,
                  "setup_s_not_measured": round(time.monotonic() - t0, 1)}
        for kind in ("bare_update", "update_via_sqlalchemy"):
            _reset_counter(url, stock)
            phase = _run_phase(kind, url, pairs)
            phase["counter_left"] = _counter(url)
            phase["no_oversell"] = phase["granted"] == stock and phase["counter_left"] == 0
            result[kind] = phase
        result["ours"] = _checked(_run_phase("ours", url, pairs), url, SKU, stock)
        # diagnostic: the same transaction from ONE process (no lock contention), on its own SKU
        pairs_1p = _prepare(url, ONE_PROCESS_STOCK, int(ONE_PROCESS_STOCK * 1.1), SKU_1P, first_external=10**8)
        result["ours_1_process"] = _checked(_run_phase("ours_1_process", url, pairs_1p, processes=1), url, SKU_1P,
                                            ONE_PROCESS_STOCK)
        base = result["bare_update"]["grants_per_s"]
        ours = result["ours"]["grants_per_s"]
        result["ours_vs_bare_update"] = round(ours / base, 3) if base and ours else None
        return result


def run(quick: bool) -> dict:
    wd = common.run_dir("ledger")
    stocks = {"postgresql": 3000, "sqlite": 2000} if quick else {"postgresql": 16000, "sqlite": 8000}
    backends = (["postgresql"] if common.pg_available() else []) + ["sqlite"]
    results = {"config": {"processes": PROCESSES, "sku": SKU, "stock": stocks, "attempts": "stock x 1.1",
                          "orders_and_lines": "created before the measurement (bulk insert), one line each",
                          "measured_tx": "connector.db.transaction + connector.ledger.reserve(quantity=1)",
                          "time_cap_s": TIME_CAP_S, "workdir": str(wd)},
               "backends": {}}
    for backend in backends:
        results["backends"][backend] = run_backend(backend, stocks[backend], wd)
    pg = results["backends"].get("postgresql")
    results["targets"] = {
        "pg_rps": pg["ours"]["grants_per_s"] if pg else None, "pg_rps_target": TARGET_PG_RPS,
        "pg_rps_met": (pg["ours"]["grants_per_s"] or 0) >= TARGET_PG_RPS if pg else None,
        "zero_oversell_met": all(b["ours"]["no_oversell"] and b["bare_update"]["no_oversell"]
                                 and b["ours_1_process"]["no_oversell"] and b["update_via_sqlalchemy"]["no_oversell"]
                                 for b in results["backends"].values()),
    }
    return results


def markdown(data: dict) -> str:
    res = data["results"]
    cfg = res["config"]
    lines = [f"{cfg['processes']} processes, one hot SKU, stock {', '.join(f'{k} {v:,}' for k, v in cfg['stock'].items())}, "
             f"attempts = stock x 1.1 (each a distinct order line; orders and lines {cfg['orders_and_lines']}). "
             "Rate = units granted / time until the stock ran out.\n",
             "| backend | workload | granted / attempts | refused | errors | reservations/s | tx p50 / p99 ms "
             "| no oversell |", "|---|---|---|---|---|---|---|---|"]
    labels = {"bare_update": "baseline: bare `UPDATE n = n - 1 WHERE n > 0` (raw driver)",
              "update_via_sqlalchemy": "same UPDATE via `connector.db.transaction`",
              "ours": "`ledger.reserve` in `connector.db.transaction`",
              "ours_1_process": "diagnostic: same `ledger.reserve`, ONE process"}
    for backend, r in res["backends"].items():
        for kind in ("bare_update", "update_via_sqlalchemy", "ours", "ours_1_process"):
            p = r[kind]
            lines.append(f"| {backend} | {labels[kind]} | {p['granted']:,} / {p['attempts']:,} | "
                         f"{p['outcomes'].get('refused', 0):,} | {sum(p['errors'].values())} | "
                         f"{common.fmt(p['grants_per_s'])} | {common.fmt(p['tx_latency'].get('p50_ms'), 2)} / "
                         f"{common.fmt(p['tx_latency'].get('p99_ms'), 2)} | {common.verdict(p.get('no_oversell'))} |")
    t = res["targets"]
    lines += ["", f"- Target >= {t['pg_rps_target']:,.0f} reservations/s on PostgreSQL: "
              f"{common.fmt(t['pg_rps'])}/s: {common.verdict(t['pg_rps_met'])}",
              f"- Zero oversell (granted == stock, reserved == on hand, one held reservation and one journal row "
              f"per unit): {common.verdict(t['zero_oversell_met'])}"]
    for backend, r in res["backends"].items():
        s = r["ours"]["ledger_after"]
        lines.append(f"- {backend} ledger after: on hand {s['on_hand']:,}, reserved {s['reserved']:,}, held "
                     f"reservations {s['held_reservations']:,}, journal rows {s['journal_rows']:,}; "
                     f"ours / bare UPDATE = {common.fmt(r['ours_vs_bare_update'], 3)}")
    return "\n".join(lines) + "\n"
