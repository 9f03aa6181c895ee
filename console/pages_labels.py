"""The label station (``/console/labels``): the day's labels by carrier, ONE print file, packing slips.

Open to the admin login and to ``STOCKBRIDGE_WAREHOUSE_PASSWORD`` (which opens nothing else, see
``console.web.require_login``). Every action is a POST with the CSRF token. Files are built from the
labels the workers stored (``connector.label_station``): no carrier URL, and so no API key embedded in
one, ever reaches the browser. A download cannot carry a message, so what was left out of a file (label
pending, PDF-only carrier in a ZPL batch) is flashed for the next page view and counted in the
``X-Labels-Printed`` / ``X-Labels-Left-Out`` headers.
"""

from __future__ import annotations

import logging
from datetime import date

from flask import Response, current_app, flash, redirect, request, url_for
from redis.exceptions import RedisError

from connector import label_station as station
from connector.db import transaction
from connector.errors import StockbridgeError
from connector.models import Shipment, utcnow
from console.auth import logged_in
from console.web import NAV, bp, engine, page, read, redis
from workers.shipping import retry_now

log = logging.getLogger(__name__)
MAX_SELECTED = 1000
CANCEL_TIMEOUT = 15.0


def _day(raw: str | None) -> date:
    """``YYYY-MM-DD`` (UTC day) or today."""
    try:
        return date.fromisoformat((raw or "").strip()[:10])
    except ValueError:
        return utcnow().date()


def _selected() -> list[int]:
    return [int(v) for v in request.form.getlist("ids")[:MAX_SELECTED] if v.isdigit()]


def _back(day: date | None = None):
    day = day or _day(request.form.get("date"))
    return redirect(url_for("console.labels", **({} if day == utcnow().date() else {"date": day.isoformat()})))


def _download(result: station.PrintFile) -> Response:
    response = Response(result.content, mimetype=result.media_type)
    response.headers["Content-Disposition"] = f'attachment; filename="{result.filename}"'
    response.headers["X-Labels-Printed"] = str(len(result.printed))
    response.headers["X-Labels-Left-Out"] = str(len(result.skipped))
    return response


def _left_out(result: station.PrintFile) -> str:
    return "; ".join(f"{ref}: {why}" for ref, why in result.skipped)


def _file_or_back(result: station.PrintFile, day: date):
    """The file, with a note about what was left out for the next page view; back to the page when empty."""
    if not result.printed:
        flash("Nothing to print" + (f". Left out: {_left_out(result)}" if result.skipped else
                                    ": every label of the day is printed (use Reprint)."), "error")
        return _back(day)
    log.info("label station: %d labels in one file, %d left out", len(result.printed), len(result.skipped))
    flash(f"{len(result.printed)} label(s) in {result.filename}"
          + (f". Left out: {_left_out(result)}" if result.skipped else "."), "ok" if not result.skipped else "error")
    return _download(result)


@bp.get("/labels")
def labels():
    """Today's (or ``?date=``) shipments grouped by carrier, what needs attention, carrier key expiry."""
    today, day = utcnow().date(), _day(request.args.get("date"))
    with read() as session:
        groups = station.station_groups(session, day, today)
        attention = station.attention(session)
        credentials = station.credential_health(session, today)
    admin = logged_in()
    return page("console_labels.html", nav=NAV if admin else (), admin=admin, day=day, today=today, groups=groups,
                attention=attention, credentials=credentials, layouts=station.LAYOUTS,
                slip_pages=station.SLIP_PAGES, warning_days=station.EXPIRY_WARNING_DAYS)


@bp.post("/labels/print")
def labels_print():
    """"Print all new": ONE file (layout A6 | A4x4 | zpl203 | zpl300) of the day's unprinted labels."""
    today, day, layout = utcnow().date(), _day(request.form.get("date")), request.form.get("layout", "A6")
    if layout not in station.LAYOUTS:
        flash(f"Unknown layout {layout[:20]!r}.", "error")
        return _back(day)
    with transaction(engine()) as session:
        result = station.print_new(session, day, today, layout, utcnow())
    return _file_or_back(result, day)


@bp.post("/labels/reprint")
def labels_reprint():
    """The selected shipments' labels again, as ONE file."""
    day, layout, ids = _day(request.form.get("date")), request.form.get("layout", "A6"), _selected()
    if layout not in station.LAYOUTS or not ids:
        flash("Choose the labels to reprint (tick them) and a layout.", "error")
        return _back(day)
    with transaction(engine()) as session:
        result = station.reprint(session, ids, layout, utcnow())
    return _file_or_back(result, day)


@bp.post("/labels/slips")
def labels_slips():
    """Packing slips (PDF, a page per order, A6 or A4) of the ticked shipments, or of the whole day."""
    today, day, page_size = utcnow().date(), _day(request.form.get("date")), request.form.get("page", "A6")
    ids = _selected()
    try:
        with read() as session:
            shipments = station.by_ids(session, ids) if ids else station.station_shipments(session, day, today)
            content = station.packing_slips(session, shipments, page_size)
    except ValueError as exc:
        flash(f"No packing slips: {exc}.", "error")
        return _back(day)
    response = Response(content, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="packing-slips-{day.isoformat()}-{page_size}.pdf"'
    return response


@bp.post("/labels/<int:shipment_id>/retry")
def labels_retry(shipment_id: int):
    """Create again (looked up by reference first), re-plan after a refusal, or fetch a missing label."""
    with transaction(engine()) as session:
        shipment = session.get(Shipment, shipment_id)
        if shipment is None:
            flash(f"Shipment {shipment_id} does not exist.", "error")
            return _back()
        try:
            job, target = station.retry_plan(session, shipment)
        except StockbridgeError as exc:
            flash(f"Not retried: {exc}", "error")
            return _back()
        target_id, reference = target.id, target.reference
    try:
        retry_now(redis(), job, target_id, f"{job.replace('_', ' ')} {reference} (retry from the label station)")
    except RedisError:
        flash(f"{reference}: Redis is down, try again in a moment.", "error")
        return _back()
    flash(f"{reference}: {'creating at the carrier' if job == 'create_shipment' else 'fetching the label'} "
          "again; reload in a few seconds.", "ok")
    return _back()


@bp.post("/labels/<int:shipment_id>/cancel")
def labels_cancel(shipment_id: int):
    """Cancel at the carrier where it allows it; its refusal is shown in plain words."""
    timeout = min(current_app.extensions["stockbridge.settings"].http_timeout, CANCEL_TIMEOUT)
    with transaction(engine()) as session:
        shipment = session.get(Shipment, shipment_id)
        if shipment is None:
            flash(f"Shipment {shipment_id} does not exist.", "error")
            return _back()
        reference = shipment.reference
        try:
            station.cancel_shipment(session, shipment, timeout)
        except StockbridgeError as exc:
            flash(f"{reference} not cancelled: {exc}", "error")
            return _back()
    flash(f"{reference} cancelled.", "ok")
    return _back()
