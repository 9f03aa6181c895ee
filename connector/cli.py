"""``stockbridge`` command line: the composition root for scripts and operators.

Commands import the web and worker layers lazily, so ``connector`` stays free of them at import time.
"""

from __future__ import annotations

import json
import sys

import click

from connector import channels, ledger
from connector.db import get_engine, transaction
from connector.errors import ConfigurationError, PermanentError
from connector.settings import load_settings


def _engine():
    return get_engine(load_settings().database_url)


def _echo_json(data) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


@click.group()
def main() -> None:
    """Stockbridge: one stock for a WooCommerce shop and every marketplace it sells on."""


@main.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Apply every pending migration (safe to run repeatedly)."""
    from connector.migrate import upgrade

    upgrade(load_settings().database_url)
    click.echo("database is up to date")


@main.group()
def shop() -> None:
    """WooCommerce shops."""


@shop.command("add")
@click.argument("name")
@click.option("--url", required=True, help="The shop's address, e.g. https://shop.example.com")
@click.option("--consumer-key", required=True, envvar="STOCKBRIDGE_WOO_CONSUMER_KEY")
@click.option("--consumer-secret", required=True, envvar="STOCKBRIDGE_WOO_CONSUMER_SECRET")
@click.option("--webhook-secret", required=True, envvar="STOCKBRIDGE_WOO_WEBHOOK_SECRET")
@click.option("--buffer", type=int, default=None, help="Units held back from this shop's figure.")
@click.option("--manual-edit-policy", type=click.Choice(["accept", "ignore"]), default=None)
def shop_add(name, url, consumer_key, consumer_secret, webhook_secret, buffer, manual_edit_policy) -> None:
    """Register (or update) shop NAME; its webhooks go to /webhooks/woocommerce/NAME."""
    extra = {k: v for k, v in {"buffer": buffer, "manual_edit_policy": manual_edit_policy}.items() if v is not None}
    try:
        with transaction(_engine()) as session:
            channels.add_shop(session, name, url=url, consumer_key=consumer_key, consumer_secret=consumer_secret,
                              webhook_secret=webhook_secret, settings=extra)
    except ConfigurationError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"shop {name} saved; webhook URL path: /webhooks/woocommerce/{name}")


@shop.command("list")
def shop_list() -> None:
    from connector.models import Channel

    with transaction(_engine()) as session:
        _echo_json([channels.public_view(c) for c in session.query(Channel).order_by(Channel.name)])


@main.group()
def stock() -> None:
    """The shared stock ledger."""


@stock.command("set")
@click.argument("sku")
@click.argument("quantity", type=int)
@click.option("--reason", default="stock count", show_default=True)
def stock_set(sku: str, quantity: int, reason: str) -> None:
    """Set SKU's on-hand count to QUANTITY and push the new figure to every channel."""
    from connector.stock import count_stock, listings_for
    from workers.context import redis
    from workers.queue import mark_dirty

    try:
        with transaction(_engine()) as session:
            touched = count_stock(session, sku, quantity, ledger.Cause(reason, note="CLI"))
            on_hand, reserved = ledger.levels(session, sku)
            pairs = listings_for(session, {sku} | touched)
    except PermanentError as exc:
        raise click.ClickException(str(exc)) from exc
    mark_dirty(redis(), pairs)
    click.echo(f"{sku}: on hand {on_hand}, reserved {reserved}, available {on_hand - reserved}")


@stock.command("show")
@click.argument("sku")
def stock_show(sku: str) -> None:
    """Show SKU's levels, every channel's figure and the journal explaining them."""
    from connector.views import stock_view

    with transaction(_engine()) as session:
        view = stock_view(session, sku)
    if view is None:
        raise click.ClickException(f"unknown SKU {sku!r}")
    _echo_json(view)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, type=int, show_default=True)
@click.option("--workers", "web_workers", default=2, type=int, show_default=True)
@click.option("--threads", default=4, type=int, show_default=True)
def web(host: str, port: int, web_workers: int, threads: int) -> None:
    """Serve the webhook receivers, API and console with gunicorn."""
    from connector.logging_setup import configure
    from connector.server import serve
    from webhooks import create_app

    configure()
    try:
        create_app()  # fail fast on missing secrets, before gunicorn forks
    except ConfigurationError as exc:
        raise click.ClickException(str(exc)) from exc
    serve(create_app, host=host, port=port, workers=web_workers, threads=threads)


@main.command()
@click.option("--burst", is_flag=True, help="Exit when the queues are empty.")
@click.option("--name", default=None)
def worker(burst: bool, name: str | None) -> None:
    """Run one worker on the stock, ingest and outbound queues."""
    from workers.runner import run_worker

    sys.exit(0 if run_worker(burst=burst, name=name) or burst else 1)


@main.command()
def scheduler() -> None:
    """Run the periodic jobs (sweeper, hold expiry, figure reconciliation). Run exactly one."""
    from workers.runner import run_scheduler

    run_scheduler()


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, type=int, show_default=True)
@click.option("--workers", "worker_count", default=2, type=int, show_default=True)
@click.option("--demo/--no-demo", default=None,
              help="Start the sandbox shop with orders (default: only when no shop is configured).")
@click.option("--demo-port", default=8089, show_default=True)
def run(host: str, port: int, worker_count: int, demo: bool | None, demo_port: int) -> None:
    """Migrate, then run the web server, WORKERS workers and the scheduler until interrupted."""
    from connector.supervisor import run_all

    run_all(host=host, port=port, worker_count=worker_count, demo=demo, demo_port=demo_port)


from connector.cli_channel import channel_group, manual_group  # noqa: E402
from connector.cli_events import events  # noqa: E402
from connector.cli_pay import pay_group  # noqa: E402
from connector.cli_ship import carrier_group, labels_group, ship_group  # noqa: E402
from connector.cli_shop import catalog_group, reconcile, shop_connect  # noqa: E402

main.add_command(events)
main.add_command(catalog_group)
main.add_command(reconcile)
main.add_command(carrier_group)
main.add_command(ship_group)
main.add_command(labels_group)
main.add_command(pay_group)
main.add_command(channel_group)
main.add_command(manual_group)
shop.add_command(shop_connect)


if __name__ == "__main__":
    main()
