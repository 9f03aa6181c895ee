"""The label station: the day's shipments by carrier, ONE print file, packing slips, retry/cancel, key expiry.

The console's ``/console/labels`` pages (``console.pages_labels``) are a thin layer over this module.

* The day is a UTC day. Today's view also carries shipments of the last :data:`BACKLOG_DAYS` days that
  were never printed (a label confirmed after the last batch of the evening is not lost on Monday).
* Labels come only from the ``labels`` table: the workers fetched them server-side (Nova Poshta's print
  URL embeds the API key), so no carrier URL ever reaches a browser. A shipment whose label is not there
  yet is left out of a batch with a note ("label pending"); labels are fetched one shipment at a time, so
  a carrier's per-request batch limit (InPost: 100) never applies.
* Layouts (:data:`LAYOUTS`): ``A6`` (one label a page), ``A4x4`` (four a sheet, every quarter used),
  ``zpl203``/``zpl300`` (one ZPL stream, ``^PW``/``^LL`` for the head). Nova Poshta and CDEK print PDF
  only; their shipments are left out of a ZPL batch with that reason. A label that cannot be used (HTML
  instead of PDF, ZPL made for the other dpi) is left out with the reason, the rest still prints.
* Credentials: a carrier account's ``settings["credentials_expire_at"]`` (``stockbridge carrier add ...
  --expires YYYY-MM-DD``) warns :data:`EXPIRY_WARNING_DAYS` days ahead (Nova Poshta keys last a year).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from connector import channels
from connector.carriers import client_for
from connector.errors import PermanentError
from connector.label_batch import day_bounds
from connector.labels import LabelError, PackingSlip, merge_pdf_labels, packing_slip_pdf, zpl_batch
from connector.models import Alert, Channel, Label, Order, Shipment
from connector.shipments import plan_shipment
from connector.shipping import CARRIER_TITLES

LAYOUTS = {"A6": "A6 PDF (label printer)", "A4x4": "A4 PDF, four labels a sheet",
           "zpl203": "ZPL 203 dpi (thermal)", "zpl300": "ZPL 300 dpi (thermal)"}
SLIP_PAGES = ("A6", "A4")
BACKLOG_DAYS = 7
EXPIRY_WARNING_DAYS = 30
NOT_PRINTABLE = ("intent", "failed", "cancelled")
PDF_ONLY = {"novaposhta", "cdek"}
CANCELLABLE = ("intent", "created", "confirmed")


@dataclass
class PrintFile:
    """One download: the merged file, which shipments it holds, and what was left out and why."""

    content: bytes
    media_type: str
    filename: str
    printed: list[int] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (reference, reason in plain words)


# --------------------------------------------------------------------------- choosing shipments

def station_shipments(session: Session, day: date, today: date, *, lock: bool = False) -> list[Shipment]:
    """Shipments created on ``day`` (UTC); for today also the unprinted ones of the last days. ``lock``
    takes the rows (PostgreSQL ``FOR UPDATE``) so two stations printing at once do not print twice."""
    start, end = day_bounds(day)
    chosen = and_(Shipment.created_at >= start, Shipment.created_at < end)
    if day == today:
        chosen = or_(chosen, and_(Shipment.created_at >= start - timedelta(days=BACKLOG_DAYS),
                                  Shipment.created_at < start, Shipment.printed_at.is_(None),
                                  Shipment.status.in_(("intent", "created", "confirmed"))))
    query = select(Shipment).where(chosen).order_by(Shipment.carrier, Shipment.id)
    return list(session.scalars(query.with_for_update() if lock else query))


def new_shipments(session: Session, day: date, today: date) -> list[Shipment]:
    """What "Print all new" takes: never printed, and past the carrier's create (rows locked)."""
    return [s for s in station_shipments(session, day, today, lock=True)
            if s.printed_at is None and s.status not in NOT_PRINTABLE]


def by_ids(session: Session, ids: list[int]) -> list[Shipment]:
    if not ids:
        return []
    return list(session.scalars(select(Shipment).where(Shipment.id.in_(ids)).order_by(Shipment.carrier, Shipment.id)))


def label_formats(session: Session, shipment_ids: list[int]) -> dict[int, set[str]]:
    """{shipment id: {"pdf", "zpl"}} of the labels stored (without loading their bytes)."""
    found: dict[int, set[str]] = defaultdict(set)
    if shipment_ids:
        for shipment_id, fmt in session.execute(select(Label.shipment_id, Label.fmt)
                                                .where(Label.shipment_id.in_(shipment_ids))):
            found[shipment_id].add(fmt)
    return found


# --------------------------------------------------------------------------- the page

def integration_of(session: Session, account_name: str) -> str:
    account = channels.by_name(session, account_name)
    return (account.settings or {}).get("carrier", "") if account is not None else ""


def state_text(shipment: Shipment, formats: set[str]) -> str:
    """The row's state in words for the warehouse."""
    if shipment.status == "intent":
        if not shipment.attempts:
            return "queued for the carrier"
        return (f"not created yet ({shipment.attempts} attempt{'s' if shipment.attempts > 1 else ''}); "
                "the next attempt looks it up by reference first")
    if shipment.status in ("failed", "cancelled"):
        return shipment.status
    return "label ready" if "pdf" in formats or "zpl" in formats else "label pending"


def _row(shipment: Shipment, order: Order, formats: set[str], day: date, latest: dict[int, int]) -> dict:
    replaced = latest.get(order.id, shipment.id) != shipment.id
    return {"id": shipment.id, "reference": shipment.reference, "tracking_number": shipment.tracking_number,
            "status": shipment.status, "state": state_text(shipment, formats), "service": shipment.service,
            "label_ready": bool(formats), "formats": sorted(formats), "printed_at": shipment.printed_at,
            "error": shipment.error, "cod_amount": shipment.cod_amount, "currency": order.currency,
            "order": {"channel": order.channel.name, "external_id": order.external_id, "number": order.number},
            "earlier": shipment.created_at.date() if shipment.created_at.date() != day else None,
            "replaced": replaced,
            "can_retry": not replaced and (shipment.status in ("intent", "failed") or (
                shipment.status in ("created", "confirmed") and not formats)),
            "can_cancel": shipment.status in CANCELLABLE and not (shipment.status == "intent" and shipment.attempts)}


def station_groups(session: Session, day: date, today: date) -> list[dict]:
    """The day's shipments grouped by carrier account: ``[{"account", "title", "rows", "new", "pending"}]``."""
    shipments = station_shipments(session, day, today)
    formats = label_formats(session, [s.id for s in shipments])
    orders = {o.id: o for o in session.scalars(select(Order).where(Order.id.in_({s.order_id for s in shipments})))}
    latest = dict(session.execute(select(Shipment.order_id, Shipment.id).where(
        Shipment.order_id.in_(list(orders))).order_by(Shipment.id)).all())
    groups: dict[str, dict] = {}
    for shipment in shipments:
        if shipment.carrier not in groups:
            integration = integration_of(session, shipment.carrier)
            groups[shipment.carrier] = {"account": shipment.carrier, "integration": integration,
                                        "title": CARRIER_TITLES.get(integration, integration or shipment.carrier),
                                        "rows": [], "new": 0, "pending": 0}
        group, row = groups[shipment.carrier], _row(shipment, orders[shipment.order_id],
                                                     formats.get(shipment.id, set()), day, latest)
        group["rows"].append(row)
        unprinted = shipment.printed_at is None and shipment.status not in NOT_PRINTABLE
        group["new"] += int(unprinted and row["label_ready"])
        group["pending"] += int(unprinted and not row["label_ready"])
    return list(groups.values())


def attention(session: Session, limit: int = 50) -> list[dict]:
    """Open alerts the station must show: orders that got no shipment (no rule, no locker id, COD refused)
    and expiring carrier keys. Alert texts carry order numbers, never personal data."""
    alerts = session.scalars(select(Alert).where(Alert.resolved_at.is_(None),
                                                 Alert.kind.in_(("shipment_failed", "credentials_expiring")))
                             .order_by(Alert.id.desc()).limit(limit))
    rows = []
    for alert in alerts:
        order = session.get(Order, alert.order_id) if alert.order_id else None
        rows.append({"kind": alert.kind, "message": alert.message, "last_seen_at": alert.last_seen_at,
                     "order": {"channel": order.channel.name, "external_id": order.external_id,
                               "number": order.number} if order else None})
    return rows


# --------------------------------------------------------------------------- the one file

def _missing_reason(session: Session, shipment: Shipment, fmt: str, formats: set[str]) -> str:
    if not formats:
        return "label pending (the carrier has not produced it yet)"
    integration = integration_of(session, shipment.carrier)
    if integration in PDF_ONLY:
        return f"{CARRIER_TITLES.get(integration, integration)} prints PDF only: print it with an A6 or A4 layout"
    return f"no {fmt.upper()} label fetched: set zpl_dpi on carrier account {shipment.carrier} (stockbridge carrier add)"


def _render(contents: list[bytes], layout: str) -> bytes:
    if layout.startswith("zpl"):
        return zpl_batch(contents, dpi=int(layout[3:]), size="100x150")
    return merge_pdf_labels(contents, layout)


def build_file(session: Session, shipments: list[Shipment], layout: str, name: str) -> PrintFile:
    """ONE file of ``shipments``' labels in ``layout``; those without a usable label are left out, with why."""
    if layout not in LAYOUTS:
        raise ValueError(f"layout must be one of {', '.join(LAYOUTS)}")
    fmt = "zpl" if layout.startswith("zpl") else "pdf"
    formats = label_formats(session, [s.id for s in shipments])
    stored = dict(session.execute(select(Label.shipment_id, Label.content).where(
        Label.shipment_id.in_([s.id for s in shipments]), Label.fmt == fmt)).all()) if shipments else {}
    result = PrintFile(b"", "application/zpl" if fmt == "zpl" else "application/pdf", f"{name}-{layout}.{fmt}")
    chosen = []
    for shipment in shipments:
        if shipment.id in stored:
            chosen.append(shipment)
        else:
            result.skipped.append((shipment.reference, _missing_reason(session, shipment, fmt,
                                                                       formats.get(shipment.id, set()))))
    while chosen:
        try:
            result.content = _render([stored[s.id] for s in chosen], layout)
            break
        except LabelError as exc:
            bad = chosen.pop(exc.index)
            result.skipped.append((bad.reference, "label unusable: " + str(exc).split(": ", 1)[-1]))
    result.printed = [s.id for s in chosen]
    return result


def mark_printed(session: Session, shipment_ids: list[int], now: datetime) -> None:
    for shipment in by_ids(session, shipment_ids):
        shipment.printed_at = now


def print_new(session: Session, day: date, today: date, layout: str, now: datetime) -> PrintFile:
    """"Print all new": every label of the day not printed yet, as ONE file; those are marked printed."""
    result = build_file(session, new_shipments(session, day, today), layout, f"labels-{day.isoformat()}")
    mark_printed(session, result.printed, now)
    return result


def reprint(session: Session, shipment_ids: list[int], layout: str, now: datetime) -> PrintFile:
    """The chosen shipments' labels again, as ONE file (printed time renewed)."""
    shipments = [s for s in by_ids(session, shipment_ids) if s.status not in NOT_PRINTABLE]
    result = build_file(session, shipments, layout, f"labels-reprint-{now:%Y%m%d-%H%M%S}")
    mark_printed(session, result.printed, now)
    return result


# --------------------------------------------------------------------------- packing slips

def packing_slip(shipment: Shipment, order: Order) -> PackingSlip:
    """What goes in the box, for the packer: lines, SKUs, barcodes of our reference and the tracking number."""
    request = shipment.request or {}
    title = CARRIER_TITLES.get(request.get("carrier", ""), shipment.carrier)
    delivery = (order.delivery or {}).get("method_title") or f"{title} {shipment.service}"
    return PackingSlip(shop=order.channel.name, channel=order.channel.kind, order_number=order.number or order.external_id,
                       placed_at=order.placed_at, buyer_name=(request.get("receiver") or {}).get("name", ""),
                       delivery=delivery, lines=[(line.sku, line.name, line.quantity) for line in order.lines],
                       cod_amount=shipment.cod_amount, currency=order.currency,
                       tracking_number=shipment.tracking_number if shipment.tracking_number.isascii() else "",
                       reference=shipment.reference if shipment.reference.isascii() else "",
                       pickup_point=request.get("pickup_point", ""))


def packing_slips(session: Session, shipments: list[Shipment], page: str) -> bytes:
    """One PDF, a page per order (more when its lines overflow), A6 or A4."""
    if page not in SLIP_PAGES:
        raise ValueError(f"page must be {' or '.join(SLIP_PAGES)}")
    chosen = [s for s in shipments if s.status not in ("failed", "cancelled")]
    if not chosen:
        raise ValueError("no shipment to print a packing slip for")
    return packing_slip_pdf([packing_slip(s, session.get(Order, s.order_id)) for s in chosen], page)


# --------------------------------------------------------------------------- retry and cancel

def retry_plan(session: Session, shipment: Shipment) -> tuple[str, Shipment]:
    """What "Retry" queues: ``("create_shipment", s)`` for a shipment not created yet (the job looks it up
    by reference first) or for a new attempt after a refusal (planned again from today's order data, rules
    and account settings), ``("fetch_label", s)`` for a created shipment whose label is missing."""
    if shipment.status == "intent":
        return "create_shipment", shipment
    if shipment.status == "failed":
        order = session.get(Order, shipment.order_id)
        fresh = plan_shipment(session, order, order.channel)
        if fresh.status != "intent":
            raise PermanentError(f"order {order.number} already has shipment {fresh.reference} ({fresh.status})")
        return "create_shipment", fresh
    if shipment.status in ("created", "confirmed") and not label_formats(session, [shipment.id]):
        return "fetch_label", shipment
    raise PermanentError(f"shipment {shipment.reference} is {shipment.status}: nothing to retry")


def cancel_shipment(session: Session, shipment: Shipment, timeout: float) -> None:
    """Cancel at the carrier (where it allows: InPost before it is bought, Nova Poshta before handover),
    then here. A create whose answer is unknown is refused: it may exist remotely, so Retry (look-up) first."""
    if shipment.status not in CANCELLABLE:
        raise PermanentError(f"shipment {shipment.reference} is {shipment.status}: nothing to cancel")
    if shipment.status == "intent" and shipment.attempts:
        raise PermanentError(f"shipment {shipment.reference}: the carrier's answer to the create is not known; "
                             "Retry first (it looks the shipment up by reference), then cancel")
    if shipment.carrier_ref:
        client_for(channels.by_name(session, shipment.carrier), timeout).cancel(shipment.carrier_ref)
    shipment.status = "cancelled"


# --------------------------------------------------------------------------- credentials

def credential_health(session: Session, today: date) -> list[dict]:
    """Per carrier account: when its key or token expires and whether to warn (30 days ahead)."""
    rows = []
    for account in session.scalars(select(Channel).where(Channel.kind == "carrier").order_by(Channel.name)):
        settings = account.settings or {}
        integration = settings.get("carrier", "")
        row = {"id": account.id, "name": account.name, "title": CARRIER_TITLES.get(integration, integration),
               "integration": integration, "expires_at": None, "days_left": None, "state": "not set", "warn": False}
        try:
            expires = date.fromisoformat(str(settings.get("credentials_expire_at") or "")[:10])
        except ValueError:
            expires = None
        if expires is not None:
            days = (expires - today).days
            row.update(expires_at=expires, days_left=days, warn=days <= EXPIRY_WARNING_DAYS,
                       state="expired" if days < 0 else "expires soon" if days <= EXPIRY_WARNING_DAYS else "ok")
        rows.append(row)
    return rows


def expiry_message(row: dict) -> str:
    when = f"expired on {row['expires_at']}" if row["days_left"] < 0 else \
        f"expires on {row['expires_at']} (in {row['days_left']} days)"
    return (f"carrier account {row['name']} ({row['title']}): API key/token {when}; renew it, then "
            f"stockbridge carrier add {row['name']} ... --expires YYYY-MM-DD")
