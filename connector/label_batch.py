"""Print batches: today's labels as ONE file for the warehouse (``stockbridge labels print``).

Labels are the files our workers fetched from the carriers (never a carrier URL: Nova Poshta's embeds
the API key). Layouts: ``A6`` (one label a page), ``A4x4`` (four labels a sheet, every quarter used),
``zpl203`` / ``zpl300`` (a ZPL stream for thermal printers, size commands per dpi). Labels are
fetched one shipment at a time, so a carrier's per-request batch limit (InPost: 100) never applies.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from connector.labels import merge_pdf_labels, zpl_batch
from connector.models import Label, Shipment, utcnow

LAYOUTS = ("A6", "A4x4", "zpl203", "zpl300")


@dataclass
class Batch:
    content: bytes
    media_type: str
    printed: list[int] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # references without a label in that format yet


def day_bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time.min)
    return start, start + timedelta(days=1)


def shipments_of_day(session: Session, day: date, *, only_new: bool) -> list[Shipment]:
    start, end = day_bounds(day)
    query = select(Shipment).where(Shipment.created_at >= start, Shipment.created_at < end,
                                   Shipment.status.not_in(("intent", "failed", "cancelled")))
    if only_new:
        query = query.where(Shipment.printed_at.is_(None))
    return list(session.scalars(query.order_by(Shipment.carrier, Shipment.id)))


def build(session: Session, shipments: list[Shipment], layout: str) -> Batch:
    """One file for ``shipments`` in ``layout``; shipments without a label in that format are skipped."""
    if layout not in LAYOUTS:
        raise ValueError(f"layout must be one of {', '.join(LAYOUTS)}")
    fmt = "zpl" if layout.startswith("zpl") else "pdf"
    files, batch = [], Batch(b"", "application/pdf" if fmt == "pdf" else "application/zpl")
    for shipment in shipments:
        label = session.scalar(select(Label).where(Label.shipment_id == shipment.id, Label.fmt == fmt))
        if label is None:
            batch.skipped.append(shipment.reference)
            continue
        files.append(label.content)
        batch.printed.append(shipment.id)
    if files:
        batch.content = (merge_pdf_labels(files, layout) if fmt == "pdf"
                         else zpl_batch(files, dpi=int(layout[3:]), size="100x150"))
    return batch


def mark_printed(session: Session, shipment_ids: list[int]) -> None:
    now = utcnow()
    for shipment in session.scalars(select(Shipment).where(Shipment.id.in_(shipment_ids))):
        shipment.printed_at = now
