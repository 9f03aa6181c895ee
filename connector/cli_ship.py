"""``stockbridge carrier add|list`` and ``stockbridge ship create|cancel|list``: carriers and shipments."""

from __future__ import annotations

import json

import click
from sqlalchemy import select

from connector import channels
from connector.carriers import REGISTRY
from connector.db import get_engine, transaction
from connector.errors import PermanentError, StockbridgeError
from connector.models import Channel, Order, Shipment, utcnow
from connector.settings import load_settings
from connector.shipments import plan_shipment


def _engine():
    return get_engine(load_settings().database_url)


def _pairs(values: tuple[str, ...]) -> dict:
    out = {}
    for value in values:
        key, sep, val = value.partition("=")
        if not sep:
            raise click.BadParameter(f"expected key=value, got {value!r}")
        out[key] = val
    return out


@click.group("carrier")
def carrier_group() -> None:
    """Carrier accounts (InPost, DHL Parcel Poland, Nova Poshta, CDEK)."""


@carrier_group.command("add")
@click.argument("name")
@click.option("--integration", type=click.Choice(sorted(REGISTRY)), required=True)
@click.option("--url", required=True, help="API base URL (the carrier's production or sandbox host).")
@click.option("--credential", "credentials", multiple=True, help="key=value, e.g. token=... organization_id=...")
@click.option("--sender", "sender_json", default="{}", help='JSON of the sender party, e.g. {"name": "Sklep", ...}')
@click.option("--parcel", "parcel_json", default='{"weight_kg": "1.0"}', help="JSON of the default parcel.")
@click.option("--expires", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="YYYY-MM-DD the key/token expires (Nova Poshta keys last a year); warned 30 days ahead.")
@click.option("--zpl-dpi", type=click.Choice(["203", "300"]), default=None,
              help="Also fetch ZPL labels for thermal printers with this head.")
def carrier_add(name, integration, url, credentials, sender_json, parcel_json, expires, zpl_dpi) -> None:
    """Create or update carrier account NAME (credentials are stored, never printed)."""
    settings = {"carrier": integration, "sender": json.loads(sender_json), "parcel": json.loads(parcel_json)}
    if expires is not None:
        settings["credentials_expire_at"] = expires.date().isoformat()
    if zpl_dpi:
        settings["zpl_dpi"] = int(zpl_dpi)
    with transaction(_engine()) as session:
        account = channels.by_name(session, name) or Channel(name=name, kind="carrier")
        if account.kind != "carrier":
            raise click.ClickException(f"{name} is a {account.kind} channel, not a carrier account")
        account.base_url, account.credentials = url.rstrip("/"), _pairs(credentials)
        account.settings = {**(account.settings or {}), **settings}
        session.add(account)
    click.echo(f"carrier account {name} ({integration}) saved")


@click.group("ship")
def ship_group() -> None:
    """Shipments: create, cancel, list."""


@ship_group.command("create")
@click.argument("shop")
@click.argument("order_id")
def ship_create(shop: str, order_id: str) -> None:
    """Plan and queue the shipment of SHOP's order ORDER_ID (external id) by the shop's shipping rules."""
    from workers.context import redis
    from workers.shipping import enqueue

    with transaction(_engine()) as session:
        order = session.scalar(select(Order).join(Channel).where(Channel.name == shop, Order.external_id == order_id))
        if order is None:
            raise click.ClickException(f"unknown order {shop}/{order_id}")
        try:
            shipment = plan_shipment(session, order, order.channel)
        except PermanentError as exc:
            raise click.ClickException(str(exc)) from exc
        shipment_id, reference, status = shipment.id, shipment.reference, shipment.status
    if status == "intent":
        enqueue(redis(), "create_shipment", shipment_id, f"create shipment {reference}")
    click.echo(f"shipment {reference}: {status}")


@ship_group.command("cancel")
@click.argument("reference")
def ship_cancel(reference: str) -> None:
    """Cancel a shipment at the carrier (where the carrier allows it), then here."""
    from connector.label_station import cancel_shipment

    with transaction(_engine()) as session:
        shipment = session.scalar(select(Shipment).where(Shipment.reference == reference))
        if shipment is None:
            raise click.ClickException(f"unknown shipment {reference}")
        try:
            cancel_shipment(session, shipment, load_settings().http_timeout)
        except StockbridgeError as exc:
            raise click.ClickException(f"{shipment.carrier} refused: {exc}") from exc
    click.echo(f"shipment {reference} cancelled; `stockbridge ship create` makes a new one")


@ship_group.command("list")
@click.option("--status", default=None)
def ship_list(status: str | None) -> None:
    with transaction(_engine()) as session:
        query = select(Shipment).order_by(Shipment.id.desc()).limit(200)
        if status:
            query = query.where(Shipment.status == status)
        for s in session.scalars(query):
            click.echo(f"{s.reference:<28} {s.carrier:<12} {s.service:<24} {s.status:<16} {s.tracking_number} "
                       f"{s.error or ''}")


@click.group("labels")
def labels_group() -> None:
    """Label batches for the warehouse."""


@labels_group.command("print")
@click.option("--layout", type=click.Choice(["A6", "A4x4", "zpl203", "zpl300"]), default="A6", show_default=True)
@click.option("--output", type=click.Path(dir_okay=False, writable=True), required=True)
@click.option("--date", "day", default=None, help="YYYY-MM-DD (UTC); default today.")
@click.option("--reprint", is_flag=True, help="Include labels printed before.")
def labels_print(layout: str, output: str, day: str | None, reprint: bool) -> None:
    """Write the day's new labels as ONE file (merged PDF or ZPL stream) and mark them printed."""
    from datetime import date

    from connector import label_batch

    when = date.fromisoformat(day) if day else utcnow().date()
    with transaction(_engine()) as session:
        shipments = label_batch.shipments_of_day(session, when, only_new=not reprint)
        batch = label_batch.build(session, shipments, layout)
        if not batch.printed:
            raise click.ClickException("no label to print" + (f" (not ready: {', '.join(batch.skipped)})"
                                                              if batch.skipped else ""))
        with open(output, "wb") as handle:
            handle.write(batch.content)
        label_batch.mark_printed(session, batch.printed)
    click.echo(f"{len(batch.printed)} labels written to {output}"
               + (f"; not ready yet: {', '.join(batch.skipped)}" if batch.skipped else ""))

