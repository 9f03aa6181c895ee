"""Shared plumbing: machine facts, private servers (redis-server, a PostgreSQL database, SQLite files),
child processes, statistics and the result files.

Nothing here touches a shared server's data: redis-server is our own process on a free port, the
PostgreSQL database is created for the run and dropped with ``WITH (FORCE)`` afterwards, SQLite and
logs live in ``benchmarks/results/tmp/<run>/`` (git-ignored). Children run in their own session so
they can be stopped by process group without touching anything else.
"""

from __future__ import annotations

import json
import os
import platform
import shlex
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH_DIR = ROOT / "benchmarks"
RESULTS_DIR = BENCH_DIR / "results"
TMP_DIR = RESULTS_DIR / "tmp"
RESULTS_MD = BENCH_DIR / "RESULTS.md"
PY = sys.executable
PG_ADMIN_URL = os.environ.get("STOCKBRIDGE_BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
ADMIN_TOKEN = "bench-admin-token"
SHOP_SECRET = "whsec-bench-ąęł-секрет"


def stockbridge_cmd() -> list[str]:
    """The ``stockbridge`` console script of this interpreter's venv (same as ``python -m connector.cli``)."""
    script = Path(PY).with_name("stockbridge")
    return [str(script)] if script.exists() else [PY, "-m", "connector.cli"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def utc_now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


# ----------------------------------------------------------------------------------------------
# machine facts
# ----------------------------------------------------------------------------------------------

def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _ram() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                return f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    return "unknown"


def _pg_version() -> str:
    try:
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, connect_timeout=3) as conn:
            version = conn.execute("SHOW server_version").fetchone()[0]
            sync = conn.execute("SHOW synchronous_commit").fetchone()[0]
            fsync = conn.execute("SHOW fsync").fetchone()[0]
        return f"{version} (synchronous_commit={sync}, fsync={fsync})"
    except Exception as exc:  # noqa: BLE001 - reported, not fatal
        return f"unavailable ({type(exc).__name__})"


def _redis_version() -> str:
    binary = shutil.which("redis-server")
    if not binary:
        return "not installed"
    out = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=10).stdout.strip()
    return out.replace("Redis server ", "")


def machine_info() -> dict:
    import gunicorn
    import rq
    import sqlalchemy

    return {
        "hostname": socket.gethostname(),
        "cpu_model": _cpu_model(),
        "nproc": os.cpu_count(),
        "ram": _ram(),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "postgresql": _pg_version(),
        "redis_server": _redis_version(),
        "gunicorn": gunicorn.__version__,
        "rq": rq.__version__,
        "sqlalchemy": sqlalchemy.__version__,
        "git_commit": _git_commit(),
        "code_sha256": code_fingerprint(),
    }


def code_fingerprint() -> str:
    """sha256 over the product's Python sources (the tree changes while we measure: this pins what ran)."""
    import hashlib

    digest = hashlib.sha256()
    for package in ("connector", "webhooks", "workers", "mappers", "console", "sandbox"):
        for path in sorted((ROOT / package).rglob("*.py")):
            digest.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


class ForeignCpuMonitor:
    """Samples, once a second, the CPU used by processes that are not ours (not descendants of this
    process) and not PostgreSQL's (whose backends serve our own load). Other work on a 2-core box
    skews every figure, so the result files say how much there was."""

    def __init__(self, interval: float = 1.0):
        import threading

        self.interval, self.stop_event = interval, threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.total_s, self.by_cmd = 0.0, {}

    @staticmethod
    def _snapshot() -> dict[int, tuple[int, int, str, str]]:
        out = {}
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
                cmd = Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            comm = stat[stat.find("(") + 1:stat.rfind(")")]
            fields = stat[stat.rfind(")") + 2:].split()
            out[int(entry)] = (int(fields[1]), int(fields[11]) + int(fields[12]), comm, cmd.strip()[:80])
        return out

    def _ours(self, snap) -> set[int]:
        mine, children = {os.getpid()}, {}
        for pid, (ppid, *_rest) in snap.items():
            children.setdefault(ppid, []).append(pid)
        stack = [os.getpid()]
        while stack:
            for child in children.get(stack.pop(), []):
                if child not in mine:
                    mine.add(child)
                    stack.append(child)
        return mine

    def _run(self) -> None:
        tick = os.sysconf("SC_CLK_TCK")
        prev = self._snapshot()
        while not self.stop_event.wait(self.interval):
            snap = self._snapshot()
            ours = self._ours(snap)
            for pid, (_ppid, cpu, comm, cmd) in snap.items():
                if pid in ours or comm.startswith("postgres") or pid not in prev:
                    continue
                used = (cpu - prev[pid][1]) / tick
                if used > 0:
                    self.total_s += used
                    key = (cmd or comm).replace("\n", " ")
                    self.by_cmd[key] = self.by_cmd.get(key, 0.0) + used
            prev = snap

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop_event.set()
        self.thread.join(timeout=10)

    def report(self, wall_s: float) -> dict:
        top = [kv for kv in sorted(self.by_cmd.items(), key=lambda kv: -kv[1]) if kv[1] >= 0.1][:4]
        share = self.total_s / (wall_s * (os.cpu_count() or 1)) if wall_s else 0.0
        return {"cpu_s": round(self.total_s, 1), "share_of_machine": round(share, 3),
                "top": [f"{cpu:.1f} CPU-s {cmd}" for cmd, cpu in top]}


def _git_commit() -> str:
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                              timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                               capture_output=True, text=True, timeout=10).stdout.strip()
        return head + (" (+ uncommitted changes)" if dirty else "")
    except Exception:  # noqa: BLE001
        return "unknown"


# ----------------------------------------------------------------------------------------------
# child processes
# ----------------------------------------------------------------------------------------------

class Children:
    """Processes started by this run; each in its own session, stopped by its own process group."""

    def __init__(self, log_dir: Path):
        self.log_dir = log_dir
        self.procs: list[tuple[str, subprocess.Popen]] = []

    def start(self, name: str, args: list[str], env: dict | None = None) -> subprocess.Popen:
        log = open(self.log_dir / f"{name}.log", "ab")  # noqa: SIM115 - owned by the child
        proc = subprocess.Popen(args, cwd=ROOT, env=env or os.environ.copy(), stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
        log.close()
        self.procs.append((name, proc))
        return proc

    @staticmethod
    def stop(proc: subprocess.Popen, sig: int = signal.SIGTERM, timeout: float = 30) -> None:
        if proc.poll() is not None:
            return
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait(timeout=10)

    def stop_all(self) -> None:
        for _name, proc in reversed(self.procs):
            self.stop(proc)
        self.procs.clear()


def session_cpu_seconds(session_id: int) -> float:
    """User+system CPU seconds of every live process in a session (a child started by ``Children``)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rfind(")") + 2:].split()
        if int(fields[3]) == session_id:  # field 6 (session) counted after pid and comm
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / tick


def wait_http(url: str, timeout: float = 60, proc: subprocess.Popen | None = None) -> None:
    import requests

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process for {url} exited with {proc.returncode} before answering")
        try:
            requests.get(url, timeout=1)
            return
        except requests.RequestException:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {timeout:.0f}s")


def wait_for(predicate, timeout: float, interval: float = 0.05, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise TimeoutError(f"timed out after {timeout:.0f}s waiting for {what}")


# ----------------------------------------------------------------------------------------------
# private servers
# ----------------------------------------------------------------------------------------------

@contextmanager
def private_redis(workdir: Path):
    """Our own redis-server (AOF on, no RDB, as in production and the tests) on a free port."""
    binary = shutil.which("redis-server")
    if not binary:
        raise RuntimeError("redis-server is required (apt-get install redis-server)")
    from redis import Redis

    port = free_port()
    rdir = workdir / f"redis-{port}"
    rdir.mkdir(parents=True, exist_ok=True)
    proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(rdir),
                             "--appendonly", "yes", "--save", "", "--daemonize", "no"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    url = f"redis://127.0.0.1:{port}/0"
    client = Redis.from_url(url)
    try:
        wait_for(lambda: _ping(client), timeout=20, what="redis-server")
        yield url
    finally:
        client.close()
        Children.stop(proc, timeout=15)


def _ping(client) -> bool:
    try:
        return bool(client.ping())
    except Exception:  # noqa: BLE001
        return False


@contextmanager
def database(backend: str, workdir: Path, *, migrate: bool = True):
    """A fresh, migrated database: a SQLite file in ``workdir`` or a PostgreSQL database of our own."""
    from connector.db import dispose_engines
    from connector.migrate import upgrade

    if backend == "sqlite":
        path = workdir / f"stockbridge-{uuid.uuid4().hex[:8]}.sqlite3"
        url = f"sqlite:///{path}"
        if migrate:
            upgrade(url)
        try:
            yield url
        finally:
            dispose_engines()
        return
    if backend != "postgresql":
        raise ValueError(backend)
    import psycopg

    name = f"sb_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    try:
        if migrate:
            upgrade(url)
        yield url
    finally:
        dispose_engines()
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def pg_available() -> bool:
    try:
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, connect_timeout=3):
            return True
    except Exception:  # noqa: BLE001
        return False


def stockbridge_env(database_url: str, redis_url: str, data_dir: Path, **extra: str) -> dict:
    env = os.environ.copy()
    env.update({"STOCKBRIDGE_DATABASE_URL": database_url, "STOCKBRIDGE_REDIS_URL": redis_url,
                "STOCKBRIDGE_ADMIN_TOKEN": ADMIN_TOKEN, "STOCKBRIDGE_DATA_DIR": str(data_dir),
                "PYTHONUNBUFFERED": "1"})
    env.update(extra)
    return env


def cli(env: dict, *args: str, timeout: float = 300) -> str:
    """Run a ``stockbridge`` command; raises with its output when it fails."""
    result = subprocess.run([*stockbridge_cmd(), *args], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=timeout)
    if result.returncode != 0:
        raise RuntimeError(f"stockbridge {' '.join(args)} failed ({result.returncode}):\n"
                           f"{result.stdout}\n{result.stderr}")
    return result.stdout


def run_dir(name: str) -> Path:
    path = TMP_DIR / f"{datetime.now(timezone.utc).strftime('%Y%m%dT%H%M%S')}-{name}-{uuid.uuid4().hex[:6]}"
    path.mkdir(parents=True, exist_ok=True)
    return path


# ----------------------------------------------------------------------------------------------
# statistics
# ----------------------------------------------------------------------------------------------

def percentile(sorted_values: list[float], q: float) -> float | None:
    """Nearest-rank percentile of an already sorted list (q in 0..100)."""
    if not sorted_values:
        return None
    rank = max(1, int(-(-q * len(sorted_values) // 100)))  # ceil(q/100 * n)
    return sorted_values[min(rank, len(sorted_values)) - 1]


def summarize_ms(values_s: list[float]) -> dict:
    """p50/p90/p99/p99.9/max/mean in milliseconds from a list of seconds."""
    values = sorted(values_s)
    if not values:
        return {"n": 0}
    ms = lambda v: None if v is None else round(v * 1000, 3)  # noqa: E731
    return {"n": len(values), "p50_ms": ms(percentile(values, 50)), "p90_ms": ms(percentile(values, 90)),
            "p99_ms": ms(percentile(values, 99)), "p999_ms": ms(percentile(values, 99.9)),
            "max_ms": ms(values[-1]), "mean_ms": ms(sum(values) / len(values))}


# ----------------------------------------------------------------------------------------------
# results
# ----------------------------------------------------------------------------------------------

def command_line() -> str:
    return "python -m benchmarks " + " ".join(shlex.quote(a) for a in sys.argv[1:])


def write_results(name: str, data: dict, quick: bool) -> Path:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    date = datetime.now(timezone.utc).strftime("%Y-%m-%d")
    suffix = "-quick" if quick else ""
    path = RESULTS_DIR / f"{date}-{socket.gethostname()}-{name}{suffix}.json"
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")
    return path


def machine_markdown(machine: dict) -> str:
    return (f"- Machine: {machine['cpu_model']}, nproc {machine['nproc']}, RAM {machine['ram']}, "
            f"kernel {machine['kernel']}, host `{machine['hostname']}`\n"
            f"- Software: Python {machine['python']}, SQLite {machine['sqlite']}, PostgreSQL {machine['postgresql']}, "
            f"redis-server {machine['redis_server']}, gunicorn {machine['gunicorn']}, rq {machine['rq']}, "
            f"SQLAlchemy {machine['sqlalchemy']}; code at {machine['git_commit']}, "
            f"sources sha256 {machine.get('code_sha256', '?')}\n")


def append_markdown(title: str, data: dict, body: str, json_path: Path) -> None:
    quick = data.get("quick")
    header = f"\n## {title}{' (QUICK smoke run: short, not a measurement)' if quick else ''}\n\n"
    foreign = data.get("foreign_cpu") or {}
    shared = (f"**machine shared**: other processes used {foreign.get('cpu_s')} CPU-s "
              f"({foreign.get('share_of_machine', 0) * 100:.0f} % of the machine; top: {'; '.join(foreign.get('top', []))})"
              if foreign.get("share_of_machine", 0) >= 0.02 else
              f"other processes (not ours, not PostgreSQL) used {foreign.get('cpu_s', '?')} CPU-s")
    meta = (f"- Run: {data['started_at']} UTC, {data['duration_s']:.0f} s; load average before "
            f"{data.get('loadavg_before')}, after {data.get('loadavg_after')}; {shared}\n"
            f"- Command: `{data['command']}`\n" + machine_markdown(data["machine"]) +
            f"- Raw results: `{json_path.relative_to(ROOT)}`\n\n")
    if not RESULTS_MD.exists():
        RESULTS_MD.write_text("# Benchmark results\n\nAppended by `python -m benchmarks`; newest last. "
                              "See `README.md` in this directory for what each benchmark measures.\n")
    with RESULTS_MD.open("a") as fh:
        fh.write(header + meta + body.rstrip() + "\n")


def verdict(met: bool | None) -> str:
    return "n/a" if met is None else ("**met**" if met else "**NOT met**")


def fmt(value, digits: int = 1) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return f"{value:,}" if isinstance(value, int) else str(value)
