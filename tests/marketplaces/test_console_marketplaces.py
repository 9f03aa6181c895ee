"""The console's marketplace page: accounts with their rules and errors, Poll now, and the Oozor CSV round trip."""

from __future__ import annotations

import io

import pytest
from rq import Queue

from connector.db import transaction
from connector.views import order_view
from tests.console.conftest import csrf_token, login
from tests.helpers import drain
from tests.marketplaces.conftest import add_account

CSV = "order_id,status,sku,quantity,unit_price,currency\nOZ-7,paid,ЧАШКА-Ї-1,2,\"19,99\",RUB\n"


@pytest.fixture
def operator(env, engine):
    from webhooks import create_app

    add_account(engine, "prom1", "prom", "http://127.0.0.1:9/api/v1", {"token": "t"}, settings={"mirror_to": "sklep"},
                stock={"ЧАШКА-Ї-1": 5})
    add_account(engine, "oozor", "manual", "", {})
    client = create_app().test_client()
    assert login(client).status_code == 302
    return client


def test_the_page_lists_accounts_with_their_rules(operator):
    html = operator.get("/console/marketplaces").get_data(as_text=True)
    assert "prom1" in html and "Prom.ua" in html and "sklep" in html and "Poll now" in html
    assert "Import orders" in html and "Download stock CSV" in html


def test_poll_now_queues_a_poll(operator, redis):
    token = csrf_token(operator, "/console/marketplaces")
    answer = operator.post("/console/marketplaces/prom1/poll", data={"csrf_token": token, "sweep": "1"})
    assert answer.status_code == 302
    job = Queue("ingest", connection=redis).jobs[0]
    assert job.func_name == "workers.marketplace_poll.sweep_channel"
    assert "sweep open orders of prom1" in job.description
    assert operator.post("/console/marketplaces/prom1/poll", data={}).status_code == 400  # no CSRF token


def test_oozor_csv_import_reserves_and_the_export_downloads(operator, engine):
    token = csrf_token(operator, "/console/marketplaces")
    answer = operator.post("/console/marketplaces/oozor/import", content_type="multipart/form-data",
                           data={"csrf_token": token, "csv": (io.BytesIO(CSV.encode()), "oozor.csv")})
    assert answer.status_code == 302
    assert "1 orders read, 1 new" in operator.get("/console/marketplaces").get_data(as_text=True)
    drain()
    with transaction(engine) as session:
        assert order_view(session, "oozor", "OZ-7")["reservations"][0]["quantity"] == 2
    export = operator.get("/console/marketplaces/oozor/stock.csv")
    assert export.mimetype == "text/csv" and "ЧАШКА-Ї-1,3," in export.get_data(as_text=True)


def test_a_bad_csv_is_refused_with_the_row_named(operator):
    token = csrf_token(operator, "/console/marketplaces")
    operator.post("/console/marketplaces/oozor/import", content_type="multipart/form-data",
                  data={"csrf_token": token, "csv": (io.BytesIO(b"order_id,sku,quantity\nA,X,-1\n"), "bad.csv")})
    html = operator.get("/console/marketplaces").get_data(as_text=True)
    assert "Nothing imported" in html and "row 2" in html
