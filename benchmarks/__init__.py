"""Stockbridge benchmarks: ``python -m benchmarks [ack|ledger|propagation|processing|all] [--quick]``.

Every benchmark measures a baseline in the same run, on the same machine and server settings, then
Stockbridge itself, and writes ``benchmarks/results/<UTC date>-<hostname>-<name>.json`` plus a section
of ``benchmarks/RESULTS.md``. Everything runs against private servers on 127.0.0.1: a redis-server
started for the run on a free port (AOF on, like production), a PostgreSQL database created for the
run and dropped afterwards, SQLite files under ``benchmarks/results/tmp/``. See ``benchmarks/README.md``.

Modules: ``common`` (machine facts, private servers, child processes, result files), ``payloads``
(signed WooCommerce deliveries), ``loadgen`` (multi-process keep-alive HTTP load generator),
``bare_app`` (the baseline Flask app), and one module per benchmark.
"""
