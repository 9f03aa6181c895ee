"""Manual channels (Oozor and any marketplace without a seller API): CSV in, CSV out (pure, no I/O).

Oozor publishes no seller API, feed or SDK (``reference/marketplaces.md`` section 5), so its orders are
typed into a CSV by the operator (or exported from the seller cabinet and renamed to these columns) and
imported; its stock figure is exported as a CSV for upload. One row per order line:

``order_id,status,sku,quantity,unit_price,currency,placed_at,buyer_name,note`` (``status``: new |
confirmed | paid | shipped | delivered | cancelled | returned; ``placed_at`` ISO; comma or semicolon
separated, UTF-8 with or without BOM, so a spreadsheet's export works). Amounts like ``19,99`` are
read as 19.99.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from datetime import datetime
from decimal import Decimal, InvalidOperation

from marshmallow import ValidationError

from connector.canonical import CanonicalLine, CanonicalOrder
from connector.lifecycle import STATUSES

REQUIRED = ("order_id", "sku", "quantity")
COLUMNS = ("order_id", "status", "sku", "quantity", "unit_price", "currency", "placed_at", "buyer_name", "note")
EXPORT_COLUMNS = ("sku", "quantity", "name")


def _rows(text: str) -> list[dict]:
    text = text.lstrip("\ufeff")
    dialect = csv.Sniffer().sniff(text.splitlines()[0] if text else ",", delimiters=",;\t")
    reader = csv.DictReader(io.StringIO(text), dialect=dialect)
    missing = [c for c in REQUIRED if c not in (reader.fieldnames or [])]
    if missing:
        raise ValidationError(f"the CSV needs the columns {', '.join(REQUIRED)} (missing: {', '.join(missing)})")
    return [{k.strip(): (v or "").strip() for k, v in row.items() if k} for row in reader]


def _amount(text: str, where: str) -> str:
    try:
        return str(Decimal((text or "0").replace(" ", "").replace(",", ".")))
    except InvalidOperation as exc:
        raise ValidationError(f"{where}: {text!r} is not an amount") from exc


def _quantity(text: str, where: str) -> int:
    if not text.isdigit() or int(text) <= 0:
        raise ValidationError(f"{where}: quantity {text!r} is not a whole number above zero")
    return int(text)


def orders_from_csv(text: str) -> list[dict]:
    """Group the CSV's lines into order bodies; raises ValidationError naming the row at fault."""
    orders: dict[str, dict] = {}
    for number, row in enumerate(_rows(text), start=2):
        where = f"row {number}"
        if not row.get("order_id") or not row.get("sku"):
            raise ValidationError(f"{where}: order_id and sku are required")
        status = (row.get("status") or "new").lower()
        if status not in STATUSES:
            raise ValidationError(f"{where}: status {status!r} is not one of {', '.join(STATUSES)}")
        order = orders.setdefault(row["order_id"], {
            "id": row["order_id"], "status": status, "currency": (row.get("currency") or "RUB").upper()[:3],
            "placed_at": row.get("placed_at") or "", "buyer_name": row.get("buyer_name") or "",
            "note": row.get("note") or "", "lines": []})
        order["lines"].append({"sku": row["sku"], "quantity": _quantity(row.get("quantity", ""), where),
                               "unit_price": _amount(row.get("unit_price", ""), where)})
    return list(orders.values())


def inbox_key(body: dict) -> str:
    digest = hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:16]
    return f"csv:{body['id']}:{body['status']}:{digest}"


def _when(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text).replace(tzinfo=None) if text else None
    except ValueError as exc:
        raise ValidationError(f"placed_at {text!r} is not an ISO date") from exc


def order_from_manual(body: dict) -> tuple[CanonicalOrder, str]:
    """(canonical order, payment status) of an imported order body."""
    lines = tuple(CanonicalLine(line_key=f"{i}:{line['sku']}", sku=line["sku"], quantity=int(line["quantity"]),
                                unit_price=Decimal(line["unit_price"]), name=line["sku"])
                  for i, line in enumerate(body["lines"], start=1))
    total = sum((line.unit_price * line.quantity for line in lines), Decimal("0"))
    first, _, last = body.get("buyer_name", "").partition(" ")
    canon = CanonicalOrder(external_id=str(body["id"]), number=str(body["id"]), status=body["status"],
                           raw_status=body["status"], currency=body["currency"], total=total, updated_at=None,
                           placed_at=_when(body.get("placed_at", "")), lines=lines,
                           buyer={"first_name": first, "last_name": last})
    paid = body["status"] in ("paid", "packed", "shipped", "delivered")
    return canon, "paid" if paid else "pending"


def stock_csv(rows: list[tuple[str, int, str]]) -> str:
    """``sku,quantity,name`` for the marketplace's stock upload."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(EXPORT_COLUMNS)
    writer.writerows(rows)
    return out.getvalue()
