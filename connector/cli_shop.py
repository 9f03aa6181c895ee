"""``stockbridge shop connect`` and ``stockbridge catalog import``: onboarding a WooCommerce shop."""

from __future__ import annotations

import secrets
import time

import click

from connector import catalog, channels
from connector.clients.woocommerce import NotAWooCommerceShop, WooCommerceClient, WooSettings
from connector.db import get_engine, transaction
from connector.errors import AuthError, PermanentError, TransientError
from connector.onboarding import DeliveryUrlRefused, delivery_url, ensure_webhooks
from connector.settings import load_settings
from mappers import woocommerce as woo

RETRIES = (1, 3, 9)


def _engine():
    return get_engine(load_settings().database_url)


def _client(channel) -> WooCommerceClient:
    creds = channel.credentials
    return WooCommerceClient(WooSettings(channel.base_url, creds["consumer_key"], creds["consumer_secret"],
                                         timeout=load_settings().http_timeout))


def _explain(exc: Exception, url: str) -> str:
    """A message naming the cause: keys refused vs unreachable vs not WooCommerce."""
    if isinstance(exc, AuthError):
        return (f"WooCommerce at {url} refused the API keys ({exc}). Check the consumer key/secret and that the "
                "key has Read/Write permission; over plain http:// WooCommerce needs OAuth (done for you) and "
                "ignores Basic auth.")
    if isinstance(exc, NotAWooCommerceShop):
        return str(exc)
    if isinstance(exc, TransientError):
        return f"cannot reach {url}: {exc}"
    return str(exc)


@click.command("connect")
@click.argument("name")
@click.option("--public-url", required=True, help="Where the shop can reach Stockbridge, e.g. https://sb.example.com")
@click.option("--url", default=None, help="Shop address (only when the shop was not added yet).")
@click.option("--consumer-key", default=None)
@click.option("--consumer-secret", default=None)
@click.option("--rotate-secret", is_flag=True, help="Generate a new webhook secret.")
def shop_connect(name, public_url, url, consumer_key, consumer_secret, rotate_secret) -> None:
    """Check the shop's REST keys and create (or update) Stockbridge's webhooks in it."""
    channel = _prepare(name, url, consumer_key, consumer_secret, rotate_secret)
    client, target = _client(channel), delivery_url(public_url, name)
    try:
        client.probe()
        click.echo(f"REST API keys accepted by {channel.base_url}")
        results = ensure_webhooks(client, url=target, secret=channel.credentials["webhook_secret"],
                                  label="Stockbridge")
    except (DeliveryUrlRefused, PermanentError, TransientError) as exc:
        raise click.ClickException(_explain(exc, channel.base_url)) from exc
    for result in results:
        click.echo(f"  {result.topic:<16} {result.action:<8} webhook #{result.webhook_id} ({result.status})")
    with transaction(_engine()) as session:
        stored = channels.by_name(session, name)
        stored.settings = {**(stored.settings or {}), "public_url": public_url.rstrip("/"),
                           "webhooks": {r.topic: {"id": r.webhook_id, "status": r.status} for r in results}}
    click.echo(f"shop {name} connected: deliveries go to {target}")


def _prepare(name, url, consumer_key, consumer_secret, rotate_secret):
    with transaction(_engine()) as session:
        channel = channels.by_name(session, name)
        if channel is None and not (url and consumer_key and consumer_secret):
            raise click.ClickException(f"unknown shop {name!r}: run 'stockbridge shop add' or pass --url and the keys")
        creds = dict(channel.credentials) if channel else {}
        secret = creds.get("webhook_secret") if not rotate_secret else None
        channel = channels.add_shop(
            session, name, url=url or channel.base_url, consumer_key=consumer_key or creds["consumer_key"],
            consumer_secret=consumer_secret or creds["consumer_secret"],
            webhook_secret=secret or secrets.token_urlsafe(32))
        return channel


@click.group("catalog")
def catalog_group() -> None:
    """Shop catalogs."""


@catalog_group.command("import")
@click.argument("name")
@click.option("--stock-master", type=click.Choice(catalog.MASTERS), default="shop", show_default=True,
              help="shop: on-hand comes from the shop's stock_quantity; ledger: keep our figures and push them.")
@click.option("--restart", is_flag=True, help="Start from page 1 even if an earlier import was interrupted.")
def catalog_import(name: str, stock_master: str, restart: bool) -> None:
    """Page through the shop's products and variations, creating listings (resumable)."""
    with transaction(_engine()) as session:
        channel = channels.by_name(session, name)
        if channel is None:
            raise click.ClickException(f"unknown shop {name!r}")
        state = catalog.progress(session, channel) or {}
    page = 1 if restart or state.get("done") or not state else state["next_page"]
    client = _client(channel)
    items, _total, pages = _fetch(client, page)
    touched: set[str] = set()
    changed: set[str] = set()  # figures moved by orders that had waited for an imported SKU
    with click.progressbar(length=pages, label=f"importing {name}", show_pos=True) as bar:
        bar.update(page - 1)
        while True:
            with transaction(_engine()) as session:
                result = catalog.apply_page(session, channels.by_name(session, name),
                                            _expand(client, items), stock_master, page + 1, pages)
            touched.update(result.skus)
            changed.update(result.changed)
            bar.update(1)
            page += 1
            if page > pages:
                break
            items, _total, pages = _fetch(client, page)
    _push_after_import(touched, changed, stock_master)
    click.echo(f"catalog of {name} imported ({pages} pages)")


def _fetch(client: WooCommerceClient, page: int):
    return _with_retries(lambda: client.products_page(page), f"page {page}")


def _expand(client: WooCommerceClient, items: list[dict]):
    """Products of a page as stock views; a variable product contributes its variations."""
    out = []
    for item in items:
        if item.get("type") == "variable":
            for variation in _with_retries(lambda: client.variations(item["id"]), f"variations of #{item['id']}"):
                out.append(woo.product_from_woo({**variation, "type": "variation", "parent_id": item["id"]}))
            if item.get("manage_stock") is not True:
                continue
        out.append(woo.product_from_woo(item))
    return out


def _with_retries(call, where: str):
    """Retry a read through short outages; then stop with a resumable message (the checkpoint is saved)."""
    for pause in (*RETRIES, None):
        try:
            return call()
        except TransientError as exc:
            if pause is None:
                raise click.ClickException(f"interrupted at {where}: {exc}; run the same command to resume") from exc
            time.sleep(pause)
    raise AssertionError("unreachable")


def _push_after_import(skus: set[str], changed: set[str], master: str) -> None:
    """With the ledger as master every imported figure is pushed; otherwise only those orders moved."""
    from connector.stock import listings_for
    from workers.context import redis
    from workers.queue import mark_dirty

    with transaction(_engine()) as session:
        pairs = listings_for(session, skus if master == "ledger" else changed)
    mark_dirty(redis(), [] if master == "ledger" else pairs, force=set(pairs) if master == "ledger" else set())


@click.command("reconcile")
@click.option("--drift/--no-drift", default=True, show_default=True, help="Also compare every listing with the shop.")
def reconcile(drift: bool) -> None:
    """Run the pulls behind the pushes now: catch-up poll, webhook health, drift check, figure re-push."""
    from workers.catch_up import catch_up_all
    from workers.drift import drift_check_all
    from workers.maintenance import reconcile_figures, sweep_inbox

    for job in (catch_up_all, *((drift_check_all,) if drift else ()), reconcile_figures, sweep_inbox):
        click.echo(f"{job.__name__}: {job()}")
