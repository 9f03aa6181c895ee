"""``stockbridge events list|show|replay``: the inbox for scripts and operators."""

from __future__ import annotations

import json

import click

from connector import channels, inbox
from connector.db import get_engine, transaction
from connector.models import Channel, InboxEvent
from connector.settings import load_settings
from connector.views import event_row


def _engine():
    return get_engine(load_settings().database_url)


@click.group()
def events() -> None:
    """Received events: list, inspect, replay."""


@events.command("list")
@click.option("--channel", default=None)
@click.option("--status", type=click.Choice(["received", "processed", "ignored", "stale", "failed"]), default=None)
@click.option("--limit", default=50, show_default=True)
def events_list(channel: str | None, status: str | None, limit: int) -> None:
    with transaction(_engine()) as session:
        found = channels.by_name(session, channel) if channel else None
        if channel and found is None:
            raise click.ClickException(f"unknown channel {channel!r}")
        names = {c.id: c.name for c in session.query(Channel)}
        for event in inbox.list_events(session, found.id if found else None, status, limit):
            row = event_row(event, names.get(event.channel_id))
            click.echo(f"{row['id']:>7}  {row['channel']:<12} {row['topic']:<16} {row['resource_id']:<10} "
                       f"{row['status']:<9} {row['error'] or ''}")


@events.command("show")
@click.argument("event_id", type=int)
@click.option("--body", is_flag=True, help="Also print the stored body (contains personal data).")
def events_show(event_id: int, body: bool) -> None:
    with transaction(_engine()) as session:
        event = session.get(InboxEvent, event_id)
        if event is None:
            raise click.ClickException(f"no event {event_id}")
        row = event_row(event, session.get(Channel, event.channel_id).name)
        row["meta"] = event.meta
        if body:
            row["body"] = event.body.decode("utf-8", "replace")
    click.echo(json.dumps(row, ensure_ascii=False, indent=2))


@events.command("replay")
@click.argument("event_ids", type=int, nargs=-1)
@click.option("--all-failed", is_flag=True, help="Replay every failed event.")
def events_replay(event_ids: tuple[int, ...], all_failed: bool) -> None:
    """Put events back in the queue; processing re-checks staleness, so nothing regresses."""
    from workers.context import redis
    from workers.queue import enqueue_replay

    with transaction(_engine()) as session:
        ids = list(event_ids) or ([e.id for e in inbox.list_events(session, status="failed", limit=10000)]
                                  if all_failed else [])
        targets = []
        for event_id in ids:
            event = inbox.requeue(session, event_id)
            if event is None:
                raise click.ClickException(f"no event {event_id}")
            targets.append((event.id, event.channel_id, session.get(Channel, event.channel_id).name))
    for event_id, channel_id, name in targets:
        enqueue_replay(redis(), event_id, channel_id, name)
    click.echo(f"{len(targets)} events queued again")
