"""Oozor as a manual channel: the operator's CSV of orders reserves like any order; the figures go out as CSV."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from connector.cli import main as cli
from connector.db import transaction
from connector.views import order_view, stock_view
from tests.helpers import drain

CSV = ("order_id;status;sku;quantity;unit_price;currency;placed_at;buyer_name;note\n"
       "OZ-1001;paid;KUB-ZOLC-330;2;19,99;RUB;2026-12-01T10:00:00;Щукин Алексей;ручная работа\n"
       "OZ-1001;paid;NOT-GES-A5;1;350;RUB;2026-12-01T10:00:00;Щукин Алексей;\n"
       "OZ-1002;new;KUB-ZOLC-330;9;19,99;RUB;;Ёлкина Мария;\n")


def run(*args: str, input: str | None = None, ok: bool = True):
    result = CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)
    assert (result.exit_code == 0) == ok, result.output
    return result.output


@pytest.fixture
def oozor(env, engine):
    run("stock", "set", "KUB-ZOLC-330", "10")
    run("stock", "set", "NOT-GES-A5", "5")
    run("channel", "add", "oozor", "--kind", "manual")
    return "oozor"


def test_csv_orders_reserve_and_a_short_one_is_flagged(oozor, engine):
    assert "2 orders read, 2 new or changed" in run("manual", "import", "oozor", "-", input=CSV)
    drain()
    with transaction(engine) as session:
        first, second = order_view(session, "oozor", "OZ-1001"), order_view(session, "oozor", "OZ-1002")
        levels = stock_view(session, "KUB-ZOLC-330")
    assert first["status"] == "paid" and sorted(r["quantity"] for r in first["reservations"]) == [1, 2]
    assert second["flags"] == ["out_of_stock:KUB-ZOLC-330"]  # 9 asked, 8 left
    assert (levels["on_hand"], levels["reserved"]) == (10, 2)
    assert "0 new or changed" in run("manual", "import", "oozor", "-", input=CSV)  # the same file again


def test_a_later_file_moves_orders_on(oozor, engine):
    run("manual", "import", "oozor", "-", input=CSV)
    run("manual", "import", "oozor", "-", input=CSV.replace("OZ-1001;paid", "OZ-1001;cancelled"))
    drain()
    with transaction(engine) as session:
        assert order_view(session, "oozor", "OZ-1001")["status"] == "cancelled"
        assert stock_view(session, "NOT-GES-A5")["reserved"] == 0


def test_bad_rows_are_refused_naming_the_row(oozor):
    out = run("manual", "import", "oozor", "-", input="order_id,sku,quantity\nA,KUB-ZOLC-330,two\n", ok=False)
    assert "row 2" in out and "quantity" in out
    assert "missing: sku" in run("manual", "import", "oozor", "-", input="order_id,quantity\nA,1\n", ok=False)


def test_export_writes_every_figure_and_remembers_it(oozor, engine, tmp_path):
    run("manual", "import", "oozor", "-", input=CSV)
    drain()
    target = tmp_path / "oozor.csv"
    run("manual", "export", "oozor", "--output", str(target))
    rows = target.read_text(encoding="utf-8").splitlines()
    assert rows[0] == "sku,quantity,name" and "KUB-ZOLC-330,8," in rows and "NOT-GES-A5,4," in rows
    with transaction(engine) as session:
        assert stock_view(session, "KUB-ZOLC-330")["channels"]["oozor"]["last_pushed"] == 8
