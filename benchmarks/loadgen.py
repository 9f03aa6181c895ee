"""A small multi-process HTTP/1.1 load generator with keep-alive connections and pre-built requests.

Each client process owns one keep-alive TCP connection and a list of complete request byte strings
built before the clock starts (signing included), so the measured loop only does ``sendall`` and a
minimal response read (status line, ``Content-Length``, body). It is deliberately cheap: on a 2-core
box the client shares the CPUs with the server under test, and a heavy client would flatter the
slower server. Baseline and Stockbridge are driven by exactly the same code and requests.

* ``closed_loop``: ``concurrency`` processes, each sends its next request as soon as the previous
  answer arrived (maximum throughput at fixed concurrency).
* ``open_loop``: a fixed total rate split over ``connections`` processes with staggered schedules;
  latency is measured from each request's *intended* send time, so a slow answer that delays the
  following requests is charged to them too (no coordinated omission), and also from the actual send.

A request never gets re-sent: a connection error is counted and the client moves on to the next
(unique) request, so every 2xx corresponds to exactly one distinct delivery.
"""

from __future__ import annotations

import multiprocessing as mp
import socket
import time
from collections import Counter

from benchmarks.common import summarize_ms


class RawConn:
    def __init__(self, host: str, port: int):
        self.addr = (host, port)
        self.sock: socket.socket | None = None
        self.buf = b""

    def _connect(self) -> None:
        self.sock = socket.create_connection(self.addr, timeout=30)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""

    def close(self) -> None:
        if self.sock is not None:
            try:
                self.sock.close()
            except OSError:
                pass
        self.sock = None

    def request(self, data: bytes) -> tuple[int, bytes]:
        """Send one request and read its answer; returns (status, body). Raises OSError on failure."""
        if self.sock is None:
            self._connect()
        sock = self.sock
        sock.sendall(data)
        buf = self.buf
        while True:
            end = buf.find(b"\r\n\r\n")
            if end >= 0:
                break
            chunk = sock.recv(65536)
            if not chunk:
                self.close()
                raise ConnectionResetError("server closed the connection")
            buf += chunk
        head = buf[:end].lower()
        status = int(head[9:12])
        pos = head.find(b"\r\ncontent-length:")
        length = 0
        if pos >= 0:
            eol = head.find(b"\r\n", pos + 2)
            length = int(head[pos + 17:eol if eol >= 0 else len(head)])
        body_end = end + 4 + length
        while len(buf) < body_end:
            chunk = sock.recv(65536)
            if not chunk:
                self.close()
                raise ConnectionResetError("server closed the connection mid-body")
            buf += chunk
        body = buf[end + 4:body_end]
        self.buf = buf[body_end:]
        if b"\r\nconnection: close" in head:
            self.close()
        return status, body


class RequestSource:
    """Pre-built requests for one client process; builds more inline (counted) if the list runs out."""

    def __init__(self, build, proc_index: int, prebuilt: int):
        self.build, self.proc_index = build, proc_index
        self.items = [build(proc_index, i) for i in range(prebuilt)]
        self.next_i = 0
        self.built_inline = 0

    def next(self) -> bytes:
        i = self.next_i
        self.next_i += 1
        if i < len(self.items):
            item = self.items[i]
            self.items[i] = b""  # free memory as we go
            return item
        self.built_inline += 1
        return self.build(self.proc_index, i)


def _result(statuses: Counter, errors: Counter, samples: list, source: RequestSource, **extra) -> dict:
    return {"statuses": dict(statuses), "errors": dict(errors), "bad_samples": samples[:5],
            "built_inline": source.built_inline, "sent": source.next_i, **extra}


def _await_start(ready, go, clock) -> tuple[float, float, float]:
    """Tell the parent our requests are built, then wait for the common start time."""
    ready.release()
    go.wait()
    start_at, warmup_end, end_at = clock[0], clock[1], clock[2]
    while time.monotonic() < start_at:
        time.sleep(min(0.01, max(start_at - time.monotonic(), 0)))
    return start_at, warmup_end, end_at


def _closed_worker(host, port, build, idx, prebuilt, sync, out):
    source = RequestSource(build, idx, prebuilt)
    conn = RawConn(host, port)
    statuses, errors, samples, lat, in_window = Counter(), Counter(), [], [], 0
    _start_at, warmup_end, end_at = _await_start(*sync)
    cpu0 = time.process_time()
    while True:
        t0 = time.monotonic()
        if t0 >= end_at:
            break
        data = source.next()
        try:
            status, body = conn.request(data)
        except OSError as exc:
            errors[type(exc).__name__] += 1
            conn.close()
            continue
        t1 = time.monotonic()
        statuses[status] += 1
        if status >= 300 and len(samples) < 5:
            samples.append(f"{status} {body[:200]!r}")
        if t0 >= warmup_end:
            in_window += 1
            lat.append(t1 - t0)
    conn.close()
    out.send(_result(statuses, errors, samples, source, latencies=lat, in_window=in_window,
                     cpu_s=time.process_time() - cpu0))
    out.close()


def _open_worker(host, port, build, idx, prebuilt, interval, offset, sync, out):
    source = RequestSource(build, idx, prebuilt)
    conn = RawConn(host, port)
    statuses, errors, samples, lat_intended, lat_service, in_window = Counter(), Counter(), [], [], [], 0
    start_at, warmup_end, end_at = _await_start(*sync)
    cpu0 = time.process_time()
    k = 0
    while True:
        intended = start_at + offset + k * interval
        if intended >= end_at:
            break
        k += 1
        delay = intended - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        data = source.next()
        t0 = time.monotonic()
        try:
            status, body = conn.request(data)
        except OSError as exc:
            errors[type(exc).__name__] += 1
            conn.close()
            continue
        t1 = time.monotonic()
        statuses[status] += 1
        if status >= 300 and len(samples) < 5:
            samples.append(f"{status} {body[:200]!r}")
        if intended >= warmup_end:
            in_window += 1
            lat_intended.append(t1 - intended)
            lat_service.append(t1 - t0)
    conn.close()
    out.send(_result(statuses, errors, samples, source, latencies=lat_intended, service=lat_service,
                     in_window=in_window, cpu_s=time.process_time() - cpu0))
    out.close()


def _run(target, args_for, n: int, warmup: float, duration: float) -> tuple[list[dict], float]:
    """Start ``n`` clients, wait until all have built their requests, then start them together."""
    ctx = mp.get_context("fork")
    ready, go, clock = ctx.Semaphore(0), ctx.Event(), ctx.Array("d", 3)
    pipes, procs = [], []
    for idx in range(n):
        parent, child = ctx.Pipe(duplex=False)
        proc = ctx.Process(target=target, args=(*args_for(idx), (ready, go, clock), child), daemon=True)
        proc.start()
        child.close()
        pipes.append(parent)
        procs.append(proc)
    for _ in range(n):
        if not ready.acquire(timeout=300):
            raise RuntimeError("load generator clients did not get ready")
    start_at = time.monotonic() + 0.2
    clock[0], clock[1], clock[2] = start_at, start_at + warmup, start_at + warmup + duration
    go.set()
    results = []
    for parent in pipes:
        results.append(parent.recv())
    for proc in procs:
        proc.join(timeout=30)
    return results, duration


def _merge(results: list[dict], window: float, extra_keys=(), keep_samples: bool = False) -> dict:
    statuses, errors = Counter(), Counter()
    lat, samples, inline, sent = [], [], 0, 0
    for r in results:
        statuses.update({int(k): v for k, v in r["statuses"].items()})
        errors.update(r["errors"])
        lat.extend(r["latencies"])
        samples.extend(r["bad_samples"])
        inline += r["built_inline"]
        sent += r["sent"]
    in_window = sum(r["in_window"] for r in results)
    ok = sum(v for k, v in statuses.items() if 200 <= k < 300)
    merged = {"requests_sent": sent, "responses_2xx": ok,
              "responses_non_2xx": sum(v for k, v in statuses.items() if not 200 <= k < 300),
              "statuses": {str(k): v for k, v in sorted(statuses.items())}, "connection_errors": dict(errors),
              "bad_samples": samples[:5], "built_inline": inline,
              "client_cpu_s": round(sum(r["cpu_s"] for r in results), 2), "measured_window_s": round(window, 3),
              "measured_requests": in_window, "throughput_rps": round(in_window / window, 1) if window > 0 else None,
              "latency": summarize_ms(lat)}
    for key in extra_keys:
        merged[key] = summarize_ms([v for r in results for v in r.get(key, [])])
    if keep_samples:
        merged["samples"] = lat
        for key in extra_keys:
            merged[f"{key}_samples"] = [v for r in results for v in r.get(key, [])]
    return merged


def closed_loop(host: str, port: int, build, *, concurrency: int, duration: float, warmup: float,
                prebuilt: int, keep_samples: bool = False) -> dict:
    """Maximum throughput at fixed concurrency; ``build(proc_index, i) -> bytes`` makes unique requests."""
    results, window = _run(_closed_worker, lambda idx: (host, port, build, idx, prebuilt), concurrency,
                           warmup, duration)
    merged = _merge(results, window, keep_samples=keep_samples)
    merged.update(mode="closed", concurrency=concurrency, warmup_s=warmup)
    return merged


def open_loop(host: str, port: int, build, *, rate: float, connections: int, duration: float, warmup: float,
              prebuilt: int, keep_samples: bool = False) -> dict:
    """Fixed arrival rate; latency from the intended send time (``latency``) and from the send (``service``)."""
    interval = connections / rate
    results, window = _run(_open_worker, lambda idx: (host, port, build, idx, prebuilt, interval, idx / rate),
                           connections, warmup, duration)
    merged = _merge(results, window, extra_keys=("service",), keep_samples=keep_samples)
    merged.update(mode="open", target_rate_rps=rate, connections=connections, warmup_s=warmup)
    return merged
