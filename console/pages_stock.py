"""Stock: every SKU's levels (``/console/stock``) and one SKU explained (``/console/stock/<sku>``)."""

from __future__ import annotations

from flask import request

from connector.views import stock_list, stock_view
from console.web import bp, not_found, page, read

LIST_LIMIT = 500
JOURNAL_LIMIT = 200


@bp.get("/stock")
def stock():
    search = request.args.get("q", "").strip()[:128]
    with read() as session:
        rows = stock_list(session, search=search or None, limit=LIST_LIMIT)
    return page("console_stock.html", rows=rows, q=search, limit=LIST_LIMIT)


@bp.get("/stock/<path:sku>")
def sku(sku: str):
    with read() as session:
        view = stock_view(session, sku, journal_limit=JOURNAL_LIMIT)
    if view is None:
        return not_found(f"SKU {sku}")
    return page("console_sku.html", stock=view, journal_limit=JOURNAL_LIMIT)
