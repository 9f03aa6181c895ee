"""Order intake from the marketplaces: every account polled on its own beat, one poll at a time per account.

``poll_due`` runs every second from the scheduler and enqueues ``poll_channel`` for each account whose
``poll_seconds`` have passed (a Redis flag with that TTL is the beat), ``sweep_channel`` every
``sweep_seconds`` (the pass over open orders behind a feed that loses changes: Allegro loses journal
events; list filters by modification time miss changes whose timestamp lags) and
``workers.marketplace_drift.drift_channel`` every ``drift_seconds`` (what the offers show). A poll stores
what it finds in the inbox through the adapter (committed before the cursor moves), saves its
checkpoint whatever happens, and triggers the drain. ``trigger_poll`` starts one at once (an Ozon push,
the operator).
"""

from __future__ import annotations

import logging
from typing import NamedTuple

from redis.exceptions import LockError
from sqlalchemy import select

from connector import alerts, marketplaces
from connector.db import transaction
from connector.errors import StockbridgeError
from connector.models import Channel, Checkpoint, utcnow
from workers import context
from workers.marketplaces import adapter_for
from workers.marketplaces.base import PollContext
from workers.queue import queue, trigger_drain
from workers.stock_push import record_channel_error

log = logging.getLogger(__name__)
CHECKPOINT = "marketplace_poll"
LOCK_SECONDS = 300


class Beat(NamedTuple):
    """One recurring job per marketplace account: its setting, default interval, job and job description."""

    name: str
    setting: str
    default_seconds: int
    job: str
    what: str


POLL = Beat("poll", "poll_seconds", 5, "workers.marketplace_poll.poll_channel", "poll new orders from")
SWEEP = Beat("sweep", "sweep_seconds", 600, "workers.marketplace_poll.sweep_channel", "sweep open orders of")
DRIFT = Beat("drift", "drift_seconds", 300, "workers.marketplace_drift.drift_channel", "compare offers with the ledger for")
BEATS = (POLL, SWEEP, DRIFT)


def _beat_key(channel_id: int, beat: str) -> str:
    return f"sb:{beat}-beat:{channel_id}"


def poll_due() -> str:
    """Scheduled every second: enqueue the polls, sweeps and drift checks whose beat has come."""
    with transaction(context.engine()) as session:
        accounts = [(c.id, c.name, dict(c.settings or {})) for c in marketplaces.accounts(session)
                    if c.kind != "manual" and not (c.settings or {}).get("paused")]
    redis, started = context.redis(), 0
    for channel_id, name, settings in accounts:
        for beat in BEATS:
            seconds = max(int(float(settings.get(beat.setting, beat.default_seconds))), 1)
            if redis.set(_beat_key(channel_id, beat.name), 1, nx=True, ex=seconds):
                _enqueue(redis, beat, channel_id, name)
                started += 1
    return f"{started} marketplace jobs started"


def queue_poll(redis, channel_id: int, name: str, *, sweep: bool = False) -> None:
    """An operator's "Poll now" / "Sweep now"."""
    _enqueue(redis, SWEEP if sweep else POLL, channel_id, name)


def _enqueue(redis, beat: Beat, channel_id: int, name: str) -> None:
    queue(redis, "ingest").enqueue(beat.job, channel_id, description=f"{beat.what} {name}", result_ttl=60,
                                   failure_ttl=24 * 3600, job_timeout=LOCK_SECONDS)


def trigger_poll(redis, channel_id: int, name: str) -> None:
    """Poll now (an Ozon push): the next beat starts from here."""
    redis.set(_beat_key(channel_id, POLL.name), 1, ex=1)
    queue_poll(redis, channel_id, name)


def sweep_channel(channel_id: int) -> str:
    """Job: the pass over every open order of one account."""
    return poll_channel(channel_id, sweep=True)


def poll_channel(channel_id: int, sweep: bool = False) -> str:
    """Job: one poll (or sweep) of one account; a second one for the same account at once is skipped."""
    lock = context.redis().lock(f"sb:poll-lock:{channel_id}", timeout=LOCK_SECONDS)
    if not lock.acquire(blocking=False):
        return "another poll of this account is running"
    try:
        return _poll_locked(channel_id, sweep)
    finally:
        try:
            lock.release()
        except LockError:
            pass  # it expired: the poll ran longer than LOCK_SECONDS


def _poll_locked(channel_id: int, sweep: bool) -> str:
    engine, cfg, redis = context.engine(), context.settings(), context.redis()
    with transaction(engine) as session:
        channel = session.get(Channel, channel_id)
        adapter = adapter_for(channel.kind)
        ctx = PollContext(engine, channel.id, channel.kind, channel.created_at, dict(channel.settings or {}),
                          checkpoint=dict(_checkpoint(session, channel_id).value or {}))
        client, name = adapter.client(channel, cfg, redis, engine), channel.name
    try:
        (adapter.sweep if sweep else adapter.poll)(client, ctx)
    except StockbridgeError as exc:
        _failed(channel_id, exc)
        return f"failed after {ctx.stored} new order states: {type(exc).__name__}"
    finally:
        _save(channel_id, ctx.checkpoint)
        if ctx.stored:
            trigger_drain(redis, channel_id, name)
    _succeeded(channel_id)
    return f"{ctx.stored} new order states of {ctx.seen} seen"


def _checkpoint(session, channel_id: int) -> Checkpoint:
    cp = session.scalar(select(Checkpoint).where(Checkpoint.channel_id == channel_id, Checkpoint.name == CHECKPOINT))
    if cp is None:
        cp = Checkpoint(channel_id=channel_id, name=CHECKPOINT, value={})
        session.add(cp)
        session.flush()
    return cp


def _save(channel_id: int, value: dict) -> None:
    with transaction(context.engine()) as session:
        cp = _checkpoint(session, channel_id)
        if cp.value != value:
            cp.value = dict(value)


def _failed(channel_id: int, exc: StockbridgeError) -> None:
    log.warning("poll of channel %s failed: %s", channel_id, type(exc).__name__)
    with transaction(context.engine()) as session:
        record_channel_error(session, session.get(Channel, channel_id), f"order poll: {exc}")


def _succeeded(channel_id: int) -> None:
    with transaction(context.engine()) as session:
        session.get(Channel, channel_id).last_success_at = utcnow()
        alerts.resolve(session, f"channel-failing:{channel_id}")
