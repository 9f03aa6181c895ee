"""``stockbridge pay setup|link|refund|list``: a shop's Przelewy24 / PayU accounts, payment links, refunds.

Keys are stored in the shop's ``credentials`` (never printed); options in ``settings["payments"]``.
Gateway calls for links and refunds go through ``workers.intents`` (row before the call, reuse or the
same idempotency key on a retry).
"""

from __future__ import annotations

import click
from sqlalchemy import select

from connector import channels, payments
from connector.db import get_engine, transaction
from connector.errors import AuthError, PermanentError, StockbridgeError, TransientError
from connector.models import Payment
from connector.settings import load_settings

GATEWAY = click.Choice(["p24", "payu"])
URLS = {"przelewy24": "https://secure.przelewy24.pl", "payu": "https://secure.payu.com"}


def _engine():
    return get_engine(load_settings().database_url)


@click.group("pay")
def pay_group() -> None:
    """Payments: gateway accounts (Przelewy24, PayU), payment links, refunds."""


@pay_group.command("setup")
@click.argument("shop")
@click.option("--gateway", type=GATEWAY, required=True)
@click.option("--merchant-id", type=int, help="P24 merchant id.")
@click.option("--pos-id", help="P24 posId / PayU POS id.")
@click.option("--api-key", envvar="STOCKBRIDGE_P24_API_KEY", help="P24 API (reports) key.")
@click.option("--crc", envvar="STOCKBRIDGE_P24_CRC", help="P24 CRC key (signs, never authenticates).")
@click.option("--client-id", help="PayU OAuth client_id (default: the POS id).")
@click.option("--client-secret", envvar="STOCKBRIDGE_PAYU_CLIENT_SECRET", help="PayU OAuth client_secret.")
@click.option("--second-key", envvar="STOCKBRIDGE_PAYU_SECOND_KEY", help="PayU second key (MD5): notice signatures.")
@click.option("--url", "base_url", default=None, help="Gateway host (default: production; sandbox hosts work).")
@click.option("--public-url", default=None, help="Where the gateway reaches Stockbridge (notify URLs).")
@click.option("--return-url", default=None, help="Where the buyer goes after paying (default: the shop).")
@click.option("--allow-md5/--no-allow-md5", default=None, help="Accept MD5-signed PayU notices.")
@click.option("--auto-refund/--no-auto-refund", default=None, help="Refund a cancelled paid order without asking.")
@click.option("--poll-after-minutes", type=int, default=None, help="Ask the gateway about payments pending this long.")
@click.option("--session-pattern", default=None, help="Regex with an (?P<order>...) group: session id -> order id.")
@click.option("--check/--no-check", default=True, show_default=True, help="Try the keys at the gateway first.")
def pay_setup(shop, gateway, base_url, public_url, check, **values) -> None:
    """Store SHOP's account at a gateway; notices go to <public-url>/webhooks/<gateway>/SHOP."""
    gateway = payments.gateway_name(gateway)
    account = _account(gateway, values, base_url)
    opts = {k: values[k] for k in ("return_url", "allow_md5", "auto_refund", "poll_after_minutes", "session_pattern")
            if values[k] is not None}
    with transaction(_engine()) as session:
        channel = channels.by_name(session, shop)
        if channel is None:
            raise click.ClickException(f"unknown shop {shop!r}: add it first ('stockbridge shop add')")
        channel.credentials = {**(channel.credentials or {}), gateway: account}
        settings = dict(channel.settings or {})
        settings["payments"] = {**(settings.get("payments") or {}), **opts}
        if public_url:
            settings["public_url"] = public_url.rstrip("/")
        channel.settings = settings
        if check:
            _check(channel, gateway)
        target = payments.notify_url(channel, gateway) if settings.get("public_url") else "(set --public-url)"
    click.echo(f"{payments.TITLES[gateway]} account saved for {shop}; notices go to {target}")


def _account(gateway: str, values: dict, base_url: str | None) -> dict:
    if gateway == "przelewy24":
        account = {"merchant_id": values["merchant_id"], "pos_id": values["pos_id"] or values["merchant_id"],
                   "api_key": values["api_key"], "crc": values["crc"]}
    else:
        account = {"pos_id": values["pos_id"], "client_id": values["client_id"] or values["pos_id"],
                   "client_secret": values["client_secret"], "second_key": values["second_key"]}
    missing = [key for key, value in account.items() if value in (None, "")]
    if missing:
        raise click.ClickException(f"missing for {payments.TITLES[gateway]}: " +
                                   ", ".join("--" + key.replace("_", "-") for key in missing))
    if gateway == "przelewy24":
        account["merchant_id"], account["pos_id"] = int(account["merchant_id"]), int(account["pos_id"])
    account["base_url"] = (base_url or URLS[gateway]).rstrip("/")
    return account


def _check(channel, gateway: str) -> None:
    """P24 ``GET /api/v1/testAccess``; PayU an OAuth token. Refusal or no answer: nothing is saved."""
    try:
        client = payments.client(channel, gateway, load_settings().http_timeout)
        if gateway == "przelewy24" and not client.test_access():
            raise AuthError("testAccess answered false")
        if gateway == "payu":
            client.access_token()
    except AuthError as exc:
        raise click.ClickException(f"{payments.TITLES[gateway]} refused the keys ({exc}); nothing saved") from exc
    except (TransientError, PermanentError) as exc:
        raise click.ClickException(f"cannot check the keys at {payments.TITLES[gateway]}: {exc}; nothing saved "
                                   "(--no-check stores them unchecked)") from exc


@pay_group.command("link")
@click.argument("shop")
@click.argument("order_id")
@click.option("--gateway", type=GATEWAY, required=True)
def pay_link(shop: str, order_id: str, gateway: str) -> None:
    """Create (or reuse) a payment link for SHOP's order ORDER_ID and print it."""
    from workers.intents import create_payment_link

    try:
        made = create_payment_link(shop, order_id, gateway)
    except (StockbridgeError, ValueError) as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(made["link"])
    click.echo(f"{made['title']} payment {made['id']} (session {made['session_id']}) for {made['amount']} "
               f"{made['currency']}" + (", reused" if made["reused"] else ""), err=True)


@pay_group.command("refund")
@click.argument("payment_id", type=int)
@click.option("--confirm", is_flag=True, help="Issue the refund (without it, only show what would be refunded).")
def pay_refund(payment_id: int, confirm: bool) -> None:
    """Refund PAYMENT_ID through its gateway (the operator's confirmation of a proposed refund)."""
    from workers.context import redis
    from workers.queue import enqueue_intent

    with transaction(_engine()) as session:
        payment = session.get(Payment, payment_id)
        if payment is None:
            raise click.ClickException(f"unknown payment {payment_id}")
        what = f"{payments.money(payment.refund_amount or payment.amount)} {payment.currency} of {payment.session_id}"
        if not confirm:
            raise click.ClickException(f"refund of {what} not issued: add --confirm")
        try:
            intent = payments.confirm_refund(session, payment)
        except PermanentError as exc:
            raise click.ClickException(str(exc)) from exc
        intent_id, pending = intent.id, intent.status == "pending"
    if pending:
        enqueue_intent(redis(), intent_id, f"refund payment {payment_id}")
    click.echo(f"refund of {what} requested")


@pay_group.command("list")
@click.option("--status", default=None, help="pending, paid, mismatch, cancelled")
@click.option("--shop", default=None)
def pay_list(status: str | None, shop: str | None) -> None:
    """Payments, newest first."""
    with transaction(_engine()) as session:
        query = select(Payment).order_by(Payment.id.desc()).limit(200)
        if status:
            query = query.where(Payment.status == status)
        if shop:
            channel = channels.by_name(session, shop)
            query = query.where(Payment.channel_id == (channel.id if channel else -1))
        for p in map(payments.row, session.scalars(query)):
            click.echo(f"{p['id']:>5} {p['gateway']:<10} {p['session_id']:<28} order {p['order_ref']:<8} "
                       f"{p['amount']:>10} {p['currency']} {p['status']:<9} refund {p['refund_status'] or '-':<9} "
                       f"{p['error'] or ''}")
