"""The pull behind the marketplace pushes: what each marketplace shows, compared with the ledger.

Every ``drift_seconds`` (default 300) per account, ``drift_channel`` reads what buyers can buy on each
mapped offer (``Adapter.shown``: Allegro offers with their publication, Rozetka items, Ozon's
present - reserved, Prom products) and compares it with the figure the ledger gives the listing:

- the marketplace shows MORE than our figure (a push that never arrived, a restock made in the
  cabinet, Ozon releasing a cancelled posting's units): our figure is pushed now, since that is
  what oversells;
- the offer is not on sale while we have units (Allegro ends a sold-out offer by itself, and an offer
  ended stays ended when stock comes back, pitfall 7): it is marked ended and the push reactivates it;
- it shows LESS: often a sale we have not polled yet, so it is only corrected when it still shows less
  at the next check (``state["under_since"]``), by which time any real sale is in the ledger.
"""

from __future__ import annotations

from sqlalchemy import select

from connector.db import transaction
from connector.errors import StockbridgeError
from connector.models import Channel, Listing, utcnow
from connector.stock import figure_for
from workers import context
from workers.marketplaces import adapter_for
from workers.queue import mark_dirty
from workers.stock_push import record_channel_error


def drift_channel(channel_id: int) -> str:
    """Job: compare one account's offers with the ledger; re-push what differs (see the module docstring)."""
    with transaction(context.engine()) as session:
        channel = session.get(Channel, channel_id)
        adapter = adapter_for(channel.kind)
        client = adapter.client(channel, context.settings(), context.redis(), context.engine())
    try:
        shown = adapter.shown(client)
    except StockbridgeError as exc:
        with transaction(context.engine()) as session:
            record_channel_error(session, session.get(Channel, channel_id), f"drift check: {exc}")
        return f"failed: {type(exc).__name__}"
    with transaction(context.engine()) as session:
        listings = session.scalars(select(Listing).where(Listing.channel_id == channel_id,
                                                         Listing.product_ref.not_in(("", "0"))))
        force = {(channel_id, listing.sku) for listing in listings if _differs(session, listing, shown)}
    mark_dirty(context.redis(), [], force=force)
    return f"{len(force)} of {len(shown)} offers re-pushed"


def _differs(session, listing: Listing, shown: dict[str, tuple[int, bool]]) -> bool:
    """True when ``listing`` must be pushed again; keeps what it learnt in ``listing.state``."""
    figure, seen = figure_for(session, listing), shown.get(listing.product_ref)
    if figure is None or seen is None:
        return False
    units, on_sale = seen
    listing.last_seen = units
    was_under = bool((listing.state or {}).get("under_since"))
    state = {k: v for k, v in (listing.state or {}).items() if k != "under_since"}
    if not on_sale and figure > 0:
        listing.state = {**state, "ended": True}
        return True
    if units < figure and not was_under:  # the first sighting: perhaps a sale we have not polled yet
        listing.state = {**state, "under_since": utcnow().isoformat()}
        return False
    listing.state = state
    return units != figure
