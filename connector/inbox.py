"""The durable inbox (frappe's integration log): every acknowledged delivery is a row first.

Statuses: ``received`` (waiting or retrying), ``processed``, ``ignored`` (understood, nothing to
do), ``stale`` (older than what we hold), ``failed`` (needs an operator: replayable). Rows are
claimed by a worker with a lease (``claim_expires_at``): a worker killed mid-event leaves a lease
that simply runs out, and the event is picked up again.
"""

from __future__ import annotations

import functools
import json
import uuid
from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from connector.errors import TransientError
from connector.models import InboxEvent, utcnow

FINAL = ("processed", "ignored", "stale", "failed")


def record(engine: Engine, *, channel_id: int, source: str, topic: str, resource_id: str, dedup_key: str,
           body: bytes, meta: dict, status: str = "received", error: str | None = None,
           not_before: datetime | None = None) -> int | None:
    """Insert and commit one event in its own short transaction (the webhook ack path).

    Returns the new id, or None when the dedup key was seen before (a duplicate delivery).
    """
    now = utcnow()
    return _insert_raw(engine, dict(
        channel_id=channel_id, source=source, topic=topic, resource_id=resource_id[:64], dedup_key=dedup_key,
        body=body, meta=json.dumps(meta, ensure_ascii=False), status=status, error=error, attempts=0,
        not_before=not_before, received_at=now, processed_at=now if status in FINAL else None))


_COLUMNS = ("channel_id", "source", "topic", "resource_id", "dedup_key", "body", "meta", "status", "error",
            "attempts", "not_before", "received_at", "processed_at")


@functools.cache
def _insert_sql(dialect: str) -> str:
    marks = ", ".join(f":{c}" if dialect == "sqlite" else f"%({c})s" for c in _COLUMNS)
    return f"INSERT INTO inbox_events ({', '.join(_COLUMNS)}) VALUES ({marks}) RETURNING id"


def _insert_raw(engine: Engine, values: dict) -> int | None:
    """The ack path's one write, on the pooled DBAPI connection.

    Measured: SQLAlchemy's statement execution cost more than the SQLite commit itself on this path
    (``benchmarks/RESULTS.md``); everything else uses the ORM/Core.
    """
    dbapi = engine.dialect.dbapi
    for attempt in (1, 2):
        try:
            return _insert_on(engine, values)
        except dbapi.OperationalError as exc:  # the pool hands out raw DBAPI errors here
            if attempt == 2:
                raise InboxUnavailable(f"inbox write failed: {type(exc).__name__}") from exc
            engine.dispose(close=False)  # e.g. a restarted server dropped every pooled connection: start afresh
        except dbapi.Error as exc:
            raise InboxUnavailable(f"inbox write failed: {type(exc).__name__}") from exc
    raise AssertionError("unreachable")


class InboxUnavailable(TransientError):
    """The database did not take the event: the delivery must not be acknowledged."""


def _insert_on(engine: Engine, values: dict) -> int | None:
    dialect = engine.dialect.name
    if dialect == "sqlite":
        values = {**values, "not_before": _iso(values["not_before"]), "received_at": _iso(values["received_at"]),
                  "processed_at": _iso(values["processed_at"])}
    conn = engine.raw_connection()
    try:
        cursor = conn.cursor()
        if dialect == "sqlite":
            cursor.execute("BEGIN IMMEDIATE")
        try:
            cursor.execute(_insert_sql(dialect), values)
            event_id = cursor.fetchone()[0]
            conn.commit()
            return event_id
        except engine.dialect.dbapi.IntegrityError:
            conn.rollback()
            return None
        except engine.dialect.dbapi.Error:
            try:
                conn.rollback()
            except engine.dialect.dbapi.Error:
                conn.invalidate()  # a dead connection is never handed out again
            raise
    finally:
        conn.close()


def _iso(value: datetime | None) -> str | None:
    """SQLite stores SQLAlchemy DateTime as 'YYYY-MM-DD HH:MM:SS.ffffff'."""
    return value.strftime("%Y-%m-%d %H:%M:%S.%f") if value is not None else None


def _due(now: datetime):
    return and_(
        InboxEvent.status == "received",
        or_(InboxEvent.claim_expires_at.is_(None), InboxEvent.claim_expires_at < now),
        or_(InboxEvent.not_before.is_(None), InboxEvent.not_before <= now),
    )


def claim(session: Session, channel_id: int, limit: int, lease_seconds: int) -> list[int]:
    """Lease up to ``limit`` due events of a channel, oldest first; returns their ids."""
    now = utcnow()
    token = uuid.uuid4().hex
    candidates = select(InboxEvent.id).where(InboxEvent.channel_id == channel_id, _due(now)) \
        .order_by(InboxEvent.id).limit(limit)
    ids = list(session.scalars(candidates))
    if not ids:
        return []
    session.execute(
        update(InboxEvent).where(InboxEvent.id.in_(ids), _due(now))
        .values(claim_expires_at=now + timedelta(seconds=lease_seconds), claim_token=token)
    )
    return list(session.scalars(select(InboxEvent.id).where(InboxEvent.claim_token == token).order_by(InboxEvent.id)))


def claim_one(session: Session, event_id: int, lease_seconds: int) -> bool:
    """Lease one specific event (a replay or a single-event job); False if it is not due or taken."""
    now = utcnow()
    result = session.execute(update(InboxEvent).where(InboxEvent.id == event_id, _due(now))
                             .values(claim_expires_at=now + timedelta(seconds=lease_seconds)))
    return result.rowcount == 1


def next_due_at(session: Session, channel_id: int) -> datetime | None:
    """When the earliest postponed event of a channel becomes due (for rescheduling a drain)."""
    return session.scalar(
        select(func.min(InboxEvent.not_before)).where(
            InboxEvent.channel_id == channel_id, InboxEvent.status == "received", InboxEvent.not_before > utcnow())
    )


def channels_with_due_events(session: Session, older_than_seconds: int) -> list[int]:
    """Channels holding due events received more than ``older_than_seconds`` ago (the sweeper's view)."""
    now = utcnow()
    cutoff = now - timedelta(seconds=older_than_seconds)
    rows = session.execute(
        select(InboxEvent.channel_id).where(_due(now), InboxEvent.received_at <= cutoff).distinct()
    )
    return [row[0] for row in rows]


def finish(session: Session, event: InboxEvent, status: str, error: str | None = None) -> None:
    event.status, event.error = status, error
    event.processed_at, event.claim_expires_at, event.claim_token = utcnow(), None, None


def postpone(session: Session, event: InboxEvent, error: str, delay_seconds: float, max_attempts: int) -> None:
    """A transient failure: retry later with backoff, or give up as ``failed`` after ``max_attempts``."""
    event.attempts += 1
    if event.attempts >= max_attempts:
        finish(session, event, "failed", f"gave up after {event.attempts} attempts: {error}")
        return
    event.error = error
    event.not_before = utcnow() + timedelta(seconds=delay_seconds)
    event.claim_expires_at, event.claim_token = None, None


def requeue(session: Session, event_id: int) -> InboxEvent | None:
    """Operator replay: put an event back to ``received``; processing re-checks staleness."""
    event = session.get(InboxEvent, event_id)
    if event is None:
        return None
    event.status, event.error, event.not_before = "received", None, None
    event.claim_expires_at, event.claim_token, event.attempts = None, None, 0
    return event


def list_events(session: Session, channel_id: int | None = None, status: str | None = None,
                limit: int = 200) -> list[InboxEvent]:
    query = select(InboxEvent).order_by(InboxEvent.id.desc()).limit(limit)
    if channel_id is not None:
        query = query.where(InboxEvent.channel_id == channel_id)
    if status:
        query = query.where(InboxEvent.status == status)
    return list(session.scalars(query))
