"""``stockbridge channel ...`` (marketplace accounts) and ``stockbridge manual ...`` (channels without an API).

The marketplace adapters live in ``workers/marketplaces``; they are imported when a command runs.
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

import click

from connector import channels, marketplaces
from connector.db import get_engine, transaction
from connector.errors import ConfigurationError, StockbridgeError
from connector.settings import load_settings


def _engine():
    return get_engine(load_settings().database_url)


def _pairs(values: tuple[str, ...], what: str) -> dict:
    out = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"{what} must be key=value, got {item!r}")
        out[key.strip()] = value
    return out


def _settings(values: tuple[str, ...]) -> dict:
    """``--set key=value``: the value is JSON when it parses (numbers, lists, objects), else a string."""
    out = {}
    for key, raw in _pairs(values, "--set").items():
        try:
            out[key] = json.loads(raw)
        except ValueError:
            out[key] = raw
    return out


def _account(session, name: str):
    channel = channels.by_name(session, name)
    if channel is None or channel.kind not in marketplaces.KINDS:
        raise click.ClickException(f"unknown marketplace account {name!r} (stockbridge channel add ...)")
    return channel


def _client(name: str):
    from workers import context
    from workers.marketplaces import adapter_for

    with transaction(_engine()) as session:
        channel = _account(session, name)
        adapter = adapter_for(channel.kind)
        return channel, adapter, adapter.client(channel, load_settings(), context.redis(), _engine())


@click.group("channel")
def channel_group() -> None:
    """Marketplace accounts: Allegro, Rozetka, Ozon, Prom.ua, manual (Oozor)."""


@channel_group.command("add")
@click.argument("name")
@click.option("--kind", type=click.Choice(marketplaces.KINDS), required=True)
@click.option("--url", default="", help="API base URL (the marketplace's; a sandbox's for tests).")
@click.option("--credential", "credentials", multiple=True, help="key=value (client_id, api_key, token, ...).")
@click.option("--set", "settings", multiple=True, help="key=value settings (JSON values), e.g. poll_seconds=2.")
@click.option("--mirror-to", default=None, help="Also create this account's orders in that WooCommerce shop.")
@click.option("--buffer", type=int, default=None, help="Units held back from this marketplace's figure.")
def channel_add(name, kind, url, credentials, settings, mirror_to, buffer) -> None:
    """Create or update marketplace account NAME (credentials are stored, never printed)."""
    extra = _settings(settings)
    extra.update({k: v for k, v in {"mirror_to": mirror_to, "buffer": buffer}.items() if v is not None})
    try:
        with transaction(_engine()) as session:
            channel = marketplaces.add_account(session, name, kind, url=url, credentials=_pairs(credentials, "--credential"),
                                               settings=extra)
            view = channels.public_view(channel)
    except ConfigurationError as exc:
        raise click.ClickException(str(exc)) from exc
    step = f"stockbridge manual import {name} ORDERS.csv" if kind == "manual" else f"stockbridge channel connect {name}"
    click.echo(f"{marketplaces.TITLES[kind]} account {name} saved; next: {step}")
    click.echo(json.dumps(view["settings"], ensure_ascii=False))


@channel_group.command("connect")
@click.argument("name")
def channel_connect(name: str) -> None:
    """Check the account's credentials; Allegro: authorise the app (device flow) and keep its tokens."""
    from connector.tokens import store_grant

    channel, adapter, client = _client(name)
    try:
        grant = adapter.connect(client, channel, click.echo)
    except StockbridgeError as exc:
        raise click.ClickException(f"{name}: {exc}") from exc
    if grant is not None:
        with transaction(_engine()) as session:
            store_grant(session, _account(session, name), grant)
    click.echo(f"{name} connected; map its offers to SKUs with: stockbridge channel map {name}")


@channel_group.command("map")
@click.argument("name")
@click.option("--mapping", type=click.Path(exists=True, dir_okay=False), default=None,
              help="CSV with columns ref,sku for offers whose codes are not our SKUs.")
def channel_map(name: str, mapping: str | None) -> None:
    """Read the account's offers and map them to SKUs (by code, EAN or MAPPING); prints what did not match."""
    from connector.offer_map import map_offers
    from connector.stock import listings_for
    from workers.context import redis
    from workers.queue import mark_dirty

    channel, adapter, client = _client(name)
    given = _mapping_csv(mapping) if mapping else {}
    try:
        offers = list(adapter.offers(client))
    except StockbridgeError as exc:
        raise click.ClickException(f"{name}: cannot list offers: {exc}") from exc
    with transaction(_engine()) as session:
        report = map_offers(session, _account(session, name), offers, given)
        pairs = [(cid, sku) for cid, sku in listings_for(session, {sku for _, sku, _ in report.matched})
                 if cid == channel.id]
    mark_dirty(redis(), [], force=set(pairs))  # the marketplace shows our figure from now on
    click.echo(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))


def _mapping_csv(path: str) -> dict[str, str]:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return {row["ref"].strip(): row["sku"].strip() for row in csv.DictReader(handle) if row.get("ref")}


@channel_group.command("list")
def channel_list() -> None:
    with transaction(_engine()) as session:
        click.echo(json.dumps([channels.public_view(c) for c in marketplaces.accounts(session)], ensure_ascii=False,
                              indent=2, default=str))


@channel_group.command("poll")
@click.argument("name")
@click.option("--sweep", is_flag=True, help="Also go over every open order (the reconciliation pass).")
def channel_poll(name: str, sweep: bool) -> None:
    """Poll NAME's orders now, in this process."""
    from workers.marketplace_poll import poll_channel

    with transaction(_engine()) as session:
        channel_id = _account(session, name).id
    click.echo(poll_channel(channel_id, sweep=False))
    if sweep:
        click.echo(poll_channel(channel_id, sweep=True))


@click.group("manual")
def manual_group() -> None:
    """Channels without an API (Oozor): orders imported from CSV, stock exported as CSV."""


@manual_group.command("import")
@click.argument("name")
@click.argument("csv_file", type=click.File("r", encoding="utf-8-sig"))
def manual_import(name: str, csv_file) -> None:
    """Import NAME's orders from CSV_FILE (order_id,status,sku,quantity,unit_price,currency,...); '-' = stdin."""
    from marshmallow import ValidationError

    from workers.manual_channel import import_orders

    try:
        with transaction(_engine()) as session:
            channel = _account(session, name)
            if channel.kind != "manual":
                raise click.ClickException(f"{name} is a {channel.kind} account; CSV import is for manual channels")
        stored, seen = import_orders(_engine(), channel, csv_file.read())
    except ValidationError as exc:
        raise click.ClickException(f"nothing imported: {exc.messages}") from exc
    if stored:
        from workers.context import redis
        from workers.queue import trigger_drain

        trigger_drain(redis(), channel.id, channel.name)
    click.echo(f"{seen} orders read, {stored} new or changed; they reserve stock as the worker processes them")


@manual_group.command("export")
@click.argument("name")
@click.option("--output", type=click.Path(dir_okay=False), default=None, help="File to write (default: stdout).")
def manual_export(name: str, output: str | None) -> None:
    """Write NAME's stock figures (available - buffer, every SKU) as CSV for the marketplace's upload."""
    from workers.manual_channel import export_stock

    with transaction(_engine()) as session:
        channel = _account(session, name)
        text, count = export_stock(session, channel)
    if output:
        Path(output).write_text(text, encoding="utf-8")
        click.echo(f"{count} figures written to {output}", err=True)
    else:
        sys.stdout.write(text)
