"""Marketplace accounts (``/console/marketplaces``): their rules, poll cursor, listings and push errors;
"Poll now" / "Sweep now"; for manual channels (Oozor) the CSV import of orders and the stock export."""

from __future__ import annotations

import logging

from flask import Response, flash, redirect, request, url_for
from marshmallow import ValidationError
from redis.exceptions import RedisError

from connector import channels
from connector.db import transaction
from connector.views import marketplace_rows
from console.web import bp, engine, not_found, page, read, redis
from workers.manual_channel import export_stock, import_orders
from workers.marketplace_poll import queue_poll
from workers.queue import trigger_drain

log = logging.getLogger(__name__)
MAX_CSV_BYTES = 2 * 1024 * 1024


@bp.get("/marketplaces")
def marketplaces():
    with read() as session:
        rows = marketplace_rows(session)
    return page("console_marketplaces.html", rows=rows)


def _account(session, name: str):
    channel = channels.by_name(session, name)
    return channel if channel is not None and channel.kind in ("allegro", "rozetka", "ozon", "prom", "manual") else None


def _back():
    return redirect(url_for("console.marketplaces"))


@bp.post("/marketplaces/<name>/poll")
def marketplaces_poll(name: str):
    """Start a poll (or, with ``sweep``, the pass over every open order) of one account now."""
    with read() as session:
        channel = _account(session, name)
        if channel is None or channel.kind == "manual":
            return not_found(f"marketplace account {name}")
        channel_id = channel.id
    sweep = request.form.get("sweep") == "1"
    try:
        queue_poll(redis(), channel_id, name, sweep=sweep)
    except RedisError:
        flash("Redis is unavailable; the scheduled poll will run when it is back.", "error")
        return _back()
    flash(f"{'Sweep' if sweep else 'Poll'} of {name} queued.", "ok")
    return _back()


@bp.post("/marketplaces/<name>/import")
def marketplaces_import(name: str):
    """A manual channel's CSV of orders (``mappers.manual``): stored in the inbox, then applied by a worker."""
    upload = request.files.get("csv")
    with read() as session:
        channel = _account(session, name)
    if channel is None or channel.kind != "manual":
        return not_found(f"manual channel {name}")
    if upload is None or not upload.filename:
        flash("Choose a CSV file to import.", "error")
        return _back()
    raw = upload.read(MAX_CSV_BYTES + 1)
    if len(raw) > MAX_CSV_BYTES:
        flash("The CSV is larger than 2 MiB; split it.", "error")
        return _back()
    try:
        stored, seen = import_orders(engine(), channel, raw.decode("utf-8-sig"))
    except (ValidationError, UnicodeDecodeError) as exc:
        flash(f"Nothing imported: {getattr(exc, 'messages', None) or 'the file is not UTF-8 text'}", "error")
        return _back()
    _drain(channel)
    flash(f"{seen} orders read, {stored} new or changed: they reserve stock as the worker processes them.", "ok")
    return _back()


def _drain(channel) -> None:
    try:
        trigger_drain(redis(), channel.id, channel.name)
    except RedisError:
        log.warning("redis unavailable; imported orders of %s wait for the sweeper", channel.name)


@bp.get("/marketplaces/<name>/stock.csv")
def marketplaces_export(name: str):
    """The manual channel's figures (available - buffer per SKU) as the CSV the marketplace takes."""
    with transaction(engine()) as session:
        channel = _account(session, name)
        if channel is None or channel.kind != "manual":
            return not_found(f"manual channel {name}")
        text, _count = export_stock(session, channel)
    response = Response(text.encode("utf-8"), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}-stock.csv"'
    return response
