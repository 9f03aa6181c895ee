"""The operator console blueprint (``/console``): login guard, template helpers, shared page plumbing.

Pages are server-rendered Jinja templates (autoescaped: order notes, names and SKUs come from
buyers and shops and are treated as hostile). Every page but the login needs the console session;
every POST needs the CSRF token (``console.security``). Routes live in ``console.pages_*`` and
``console.login``; importing them attaches them to :data:`bp`.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation

from flask import Blueprint, current_app, redirect, render_template, request, url_for

from connector.db import transaction
from console.auth import logged_in, warehouse_logged_in

bp = Blueprint("console", __name__, template_folder="templates", static_folder="static",
               static_url_path="/static")

#: Reachable without the console session.
PUBLIC_ENDPOINTS = frozenset({"console.login", "console.login_submit", "console.static"})
#: Besides the label station (``console.labels*``), all a warehouse login may reach.
WAREHOUSE_ENDPOINTS = frozenset({"console.logout"})

NAV = (("console.orders", "Orders"), ("console.stock", "Stock"), ("console.events", "Events"),
       ("console.channels", "Channels"), ("console.marketplaces", "Marketplaces"), ("console.alerts", "Alerts"),
       ("console.labels", "Labels"))


def warehouse_may(endpoint: str | None) -> bool:
    """The label station's pages and actions, and logging out."""
    return bool(endpoint) and (endpoint in WAREHOUSE_ENDPOINTS or endpoint == "console.labels"
                               or endpoint.startswith("console.labels_"))


@bp.before_request
def require_login():
    """Redirect to the login page (remembering where the operator was going) without a valid session;
    a warehouse session gets 403 outside the label station."""
    if request.endpoint in PUBLIC_ENDPOINTS or logged_in():
        return None
    if warehouse_logged_in():
        return None if warehouse_may(request.endpoint) else page("console_labels_forbidden.html", 403, nav=())
    return redirect(url_for("console.login", next=request.full_path.rstrip("?")))


def engine():
    return current_app.extensions["stockbridge.engine"]


def redis():
    return current_app.extensions["stockbridge.redis"]


def read():
    """A read transaction on the application's engine."""
    return transaction(engine())


def page(template: str, code: int = 200, /, **context):
    """Render a console template with the navigation (``nav=()`` hides it); ``code`` for error pages."""
    context.setdefault("nav", NAV)
    return render_template(template, **context), code


def not_found(what: str):
    return page("console_missing.html", 404, what=what)


@bp.app_template_filter("utc")
def utc_filter(value) -> str:
    """An ISO time or naive-UTC datetime as ``2026-11-22 07:00:00Z``; a dash when empty."""
    if not value:
        return "—"
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.removesuffix("Z"))
        except ValueError:
            return value
    return value.strftime("%Y-%m-%d %H:%M:%SZ")


@bp.app_template_filter("units")
def units_filter(totals: dict) -> str:
    """``{"held": 2, "committed": 1}`` -> ``"2 held, 1 committed"``."""
    return ", ".join(f"{units} {state}" for state, units in sorted(totals.items())) if totals else "none"


@bp.app_template_filter("money")
def money_filter(value) -> str:
    """``"52.9700"`` -> ``"52.97"``; keeps any further significant decimals."""
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return str(value)
    cents = amount.quantize(Decimal("0.01"))
    return str(cents) if cents == amount else str(amount.normalize())


@bp.app_template_filter("records")
def records_filter(value, key_label: str = "key") -> dict | None:
    """A list of mappings, or a mapping of mappings (``{"order.created": {"id": 1, "status": "active"}}``,
    the key becoming column ``key_label``), as ``{"columns", "rows"}`` for a table; None for anything else."""
    if isinstance(value, dict) and value and all(isinstance(item, dict) for item in value.values()):
        value = [{key_label: key, **item} for key, item in value.items()]
    if not isinstance(value, list) or not value or not all(isinstance(item, dict) for item in value):
        return None
    columns: list[str] = []
    for item in value:
        columns.extend(str(k) for k in item if str(k) not in columns)
    return {"columns": columns, "rows": [[item.get(c) for c in columns] for item in value]}


def register() -> Blueprint:
    """Import the route modules (they attach views to :data:`bp`) and return the blueprint."""
    from console import (login, pages_labels, pages_marketplaces, pages_ops, pages_orders,  # noqa: F401
                         pages_payments, pages_stock)

    return bp
