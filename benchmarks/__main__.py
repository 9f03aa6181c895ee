"""``python -m benchmarks [ack|ledger|propagation|processing|marketplaces|all] [--quick]``.

Runs the chosen benchmarks one after another; each writes its JSON result file and appends its
section to ``benchmarks/RESULTS.md``. ``--quick`` runs each for a few seconds (smoke test; the files
get a ``-quick`` suffix and the section is labelled as such).
"""

from __future__ import annotations

import argparse
import importlib
import sys
import time
import traceback

from benchmarks import common

NAMES = ("ack", "ledger", "processing", "propagation", "marketplaces")
TITLES = {"ack": "ack: webhook acknowledgement throughput and latency",
          "ledger": "ledger: reservations per second on one hot SKU",
          "processing": "processing: orders fully processed per second by the workers",
          "propagation": "propagation: order in the shop -> new stock figure back in the shop",
          "marketplaces": "marketplaces: a sale on any of five channels -> every other channel shows the figure"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    parser.add_argument("which", nargs="?", default="all", choices=(*NAMES, "all"))
    parser.add_argument("--quick", action="store_true", help="a few seconds each: smoke test, not a measurement")
    args = parser.parse_args(argv)
    names = NAMES if args.which == "all" else (args.which,)
    machine = common.machine_info()
    failed = []
    for name in names:
        module = importlib.import_module(f"benchmarks.{name}")
        print(f"== {name}{' (quick)' if args.quick else ''}: started {common.utc_now_iso()}", flush=True)
        started, t0 = common.utc_now_iso(), time.monotonic()
        data = {"benchmark": name, "started_at": started, "command": common.command_line(), "quick": args.quick,
                "machine": machine, "loadavg_before": common.loadavg()}
        with common.ForeignCpuMonitor() as monitor:
            try:
                data["results"] = module.run(args.quick)
            except Exception as exc:  # noqa: BLE001 - record the failure, go on with the next benchmark
                traceback.print_exc()
                data["error"] = f"{type(exc).__name__}: {exc}"
                failed.append(name)
        data["duration_s"] = round(time.monotonic() - t0, 1)
        data["foreign_cpu"] = monitor.report(data["duration_s"])
        data["loadavg_after"] = common.loadavg()
        path = common.write_results(name, data, args.quick)
        body = module.markdown(data) if "results" in data else f"**Benchmark failed**: `{data['error']}`\n"
        common.append_markdown(TITLES[name], data, body, path)
        print(body, flush=True)
        print(f"== {name}: {data['duration_s']:.0f} s, results in {path.relative_to(common.ROOT)}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
