"""Console pages through the Flask test client: login, CSRF, escaping, text, replay, the dashboard."""

from __future__ import annotations

import pytest
from markupsafe import escape
from redis import Redis

from tests.conftest import ADMIN_TOKEN
from tests.console.conftest import (CONSOLE_PASSWORD, SHOP, SKU, XSS, XSS_UNKNOWN, csrf_token, login)
from tests.helpers import drain

PAGES = ["/console/", "/console/?q=1042", "/console/orders/sklep-1/1042", "/console/stock",
         f"/console/stock/{SKU}", "/console/events", "/console/events/1", "/console/channels", "/console/alerts"]


def text(response) -> str:
    return response.get_data(as_text=True)


def event_status(engine, event_id: int) -> str:
    from connector.models import InboxEvent

    with engine.connect() as conn:
        return conn.execute(InboxEvent.__table__.select().where(InboxEvent.id == event_id)).one().status


# --- login ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", PAGES + ["/rq/", "/rq/0/view/jobs"])
def test_every_page_needs_the_login(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/console/login?next=")


def test_dashboard_data_needs_the_login(client):
    assert client.get("/rq/0/data/queues.json").status_code == 401


def test_an_action_with_a_valid_token_but_no_login_is_refused(client, seeded):
    token = csrf_token(client)
    response = client.post(f"/console/events/{seeded['failed_event_id']}/replay", data={"csrf_token": token})
    assert response.status_code == 302 and "/console/login" in response.headers["Location"]
    assert event_status(seeded["engine"], seeded["failed_event_id"]) == "failed"


def test_wrong_password_is_refused(client):
    response = login(client, "not-the-token")
    assert response.status_code == 401 and "Wrong password" in text(response)
    assert client.get("/console/").status_code == 302


@pytest.mark.parametrize("password", [ADMIN_TOKEN, CONSOLE_PASSWORD])
def test_admin_token_or_console_password_log_in(client, password):
    response = login(client, password)
    assert response.status_code == 302 and response.headers["Location"] == "/console/"
    assert client.get("/console/").status_code == 200


def test_session_cookie_is_httponly_and_samesite_lax(client):
    cookie = login(client).headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and ADMIN_TOKEN not in cookie


def test_login_goes_back_where_the_operator_was_going_but_never_off_site(client):
    token = csrf_token(client)
    back = client.post("/console/login", data={"password": ADMIN_TOKEN, "csrf_token": token, "next": "/console/stock"})
    assert back.headers["Location"] == "/console/stock"
    client.post("/console/logout", data={"csrf_token": csrf_token(client, "/console/stock")})
    token = csrf_token(client)
    away = client.post("/console/login", data={"password": ADMIN_TOKEN, "csrf_token": token,
                                               "next": "//evil.example/console"})
    assert away.headers["Location"] == "/console/"


def test_logout_ends_the_session(operator):
    response = operator.post("/console/logout", data={"csrf_token": csrf_token(operator, "/console/")})
    assert response.status_code == 302
    assert operator.get("/console/").status_code == 302


def test_login_is_throttled_after_repeated_failures(client, seeded):
    from console.auth import LOGIN_FAIL_LIMIT

    redis = Redis.from_url(seeded["redis_url"])
    redis.delete("sb:console:login-fail:127.0.0.1")
    try:
        for _ in range(LOGIN_FAIL_LIMIT):
            assert login(client, "guess").status_code == 401
        assert login(client, ADMIN_TOKEN).status_code == 429
    finally:
        redis.delete("sb:console:login-fail:127.0.0.1")
    assert login(client, ADMIN_TOKEN).status_code == 302


# --- CSRF -----------------------------------------------------------------------------------------

def test_login_without_csrf_token_is_400(client):
    assert client.post("/console/login", data={"password": ADMIN_TOKEN}).status_code == 400


def test_action_without_csrf_token_is_400(operator, seeded):
    response = operator.post(f"/console/events/{seeded['failed_event_id']}/replay")
    assert response.status_code == 400 and "security token" in text(response)
    assert operator.post("/console/events/replay-failed", data={"csrf_token": "forged"}).status_code == 400
    assert event_status(seeded["engine"], seeded["failed_event_id"]) == "failed"


def test_api_and_receivers_stay_csrf_exempt(client, seeded):
    event_id = seeded["failed_event_id"]
    response = client.post(f"/api/events/{event_id}/replay", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
    assert response.status_code == 202
    drain()
    assert event_status(seeded["engine"], event_id) == "failed"
    assert client.post(f"/webhooks/woocommerce/{SHOP}", data=b"webhook_id=3").status_code == 200


# --- what the pages show ----------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/console/", "/console/orders/sklep-1/666", "/console/stock",
                                  "/console/stock/" + XSS, "/console/alerts", "/console/events?status=processed"])
def test_hostile_text_is_escaped(operator, path):
    page = text(operator.get(path))
    assert "<script>alert" not in page and "<img src=x" not in page
    assert str(escape(XSS)) in page or str(escape(XSS_UNKNOWN)) in page


def test_order_detail_escapes_buyer_item_and_sku(operator):
    page = text(operator.get("/console/orders/sklep-1/666"))
    assert page.count(str(escape(XSS))) >= 4  # buyer first and last name, city, item name, SKU
    assert str(escape(XSS_UNKNOWN)) in page


def test_polish_ukrainian_and_russian_text_render(operator):
    response = operator.get("/console/orders/sklep-1/1042")
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    page = text(response)
    assert '<meta charset="utf-8">' in page
    assert "Zażółć" in page and "Gęślą" in page and "Łódź" in page and "Чашка" in page
    assert "Ґалина Їжачок" in text(operator.get("/console/orders/rozetka-ua/2001"))
    assert "Съешь Ещё" in text(operator.get("/console/orders/sklep-1/3001"))
    assert "ЧАШКА-Ї-1" in text(operator.get("/console/stock"))
    assert "counted by Jędrzej" in text(operator.get("/console/stock/ЧАШКА-Ї-1"))


def test_orders_list_highlights_breached_deadlines(operator):
    page = text(operator.get("/console/"))
    assert 'class="breached" data-order="sklep-1/1042"' in page
    assert 'class="" data-order="sklep-1/3001"' in page
    assert "1 past their handling deadline" in page and "overdue by" in page
    assert "Europe/Warsaw" in page and "Europe/Kyiv" in page
    delivered = page.split('data-order="sklep-1/4001"')[1].split("</tr>")[0]
    assert "countdown" not in delivered  # handled orders have no deadline


def test_search_and_filters(operator):
    found = text(operator.get("/console/?q=1042"))
    assert 'data-order="sklep-1/1042"' in found and 'data-order="sklep-1/3001"' not in found
    by_channel = text(operator.get("/console/?channel=rozetka-ua"))
    assert 'data-order="rozetka-ua/2001"' in by_channel and "sklep-1/" not in by_channel
    delivered = text(operator.get("/console/?status=delivered"))
    assert 'data-order="sklep-1/4001"' in delivered and 'data-order="sklep-1/1042"' not in delivered
    open_orders = text(operator.get("/console/?status=open"))
    assert 'data-order="sklep-1/4001"' not in open_orders and 'data-order="sklep-1/1042"' in open_orders


def test_order_detail_shows_reservations_deadline_and_events(operator):
    page = text(operator.get("/console/orders/sklep-1/1042"))
    assert "held" in page and "overdue by" in page and "buyer@example.com" in page
    assert "order.created" in page and "processed" in page
    assert operator.get("/console/orders/sklep-1/999999").status_code == 404


def test_stock_page_explains_the_figure(operator):
    page = text(operator.get(f"/console/stock/{SKU}"))
    # 25 counted, 2 held by #1042, 1 by #3001, 1 committed by #4001 (completed)
    assert '<p id="on-hand">24</p>' in page and '<p id="available">21</p>' in page
    assert "stock count" in page and "order paid" in page
    assert "/console/orders/sklep-1/1042" in page and "/console/events/" in page
    assert "sklep-1" in page


def test_events_page_lists_failed_and_ignored_with_errors(operator, seeded):
    page = text(operator.get("/console/events"))
    assert "payload rejected" in page and "line_items" in page
    assert "coupon.created" in page and "is not handled" in page
    assert f'data-event-id="{seeded["failed_event_id"]}"' in page


def test_channels_page_shows_health(operator, seeded):
    from sqlalchemy import select

    from connector.models import Channel

    with seeded["engine"].connect() as conn:
        channel_id = conn.execute(select(Channel.id).where(Channel.name == SHOP)).scalar_one()
    redis = Redis.from_url(seeded["redis_url"])
    redis.hset(f"sb:ratelimit:{channel_id}", mapping={"remaining": "0", "retry_after": "30"})
    redis.expire(f"sb:ratelimit:{channel_id}", 60)
    try:
        page = text(operator.get("/console/channels"))
    finally:
        redis.delete(f"sb:ratelimit:{channel_id}")
    assert "retry_after" in page and "clears in" in page
    assert '<td class="error">disabled</td>' in page and "2026-11-20 06:00:00Z" in page  # webhooks from settings
    assert "none recorded" in page  # the other channel: no webhooks, no rate limit
    assert "Europe/Kyiv" in page and "cannot connect" in page  # the failed pushes to the dead shop URL


def test_alerts_page_lists_open_alerts(operator):
    page = text(operator.get("/console/alerts"))
    assert "unknown_sku" in page and "/console/orders/sklep-1/666" in page


def test_console_pages_send_security_headers(operator):
    response = operator.get("/console/")
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY" and response.headers["Cache-Control"] == "no-store"


# --- actions ----------------------------------------------------------------------------------------

def test_replay_one_failed_event(operator, seeded, redis_server):
    from rq import Queue

    event_id = seeded["failed_event_id"]
    token = csrf_token(operator, "/console/events")
    response = operator.post(f"/console/events/{event_id}/replay",
                             data={"csrf_token": token, "back": f"/console/events/{event_id}"})
    assert response.status_code == 302 and response.headers["Location"] == f"/console/events/{event_id}"
    assert event_status(seeded["engine"], event_id) == "received"
    jobs = Queue("ingest", connection=Redis.from_url(redis_server)).jobs
    assert [j.description for j in jobs] == [f"process new events from {SHOP}"]
    assert "back to received" in text(operator.get(f"/console/events/{event_id}"))
    drain()
    assert event_status(seeded["engine"], event_id) == "failed"


def test_replay_all_failed(operator, seeded):
    token = csrf_token(operator, "/console/events")
    response = operator.post("/console/events/replay-failed", data={"csrf_token": token, "channel": SHOP})
    assert response.status_code == 302
    assert "1 failed event(s) back to received" in text(operator.get("/console/events"))
    drain()
    assert event_status(seeded["engine"], seeded["failed_event_id"]) == "failed"


# --- rq-dashboard ---------------------------------------------------------------------------------

def test_dashboard_shows_readable_job_names(operator, seeded):
    operator.post(f"/console/events/{seeded['failed_event_id']}/replay",
                  data={"csrf_token": csrf_token(operator, "/console/events")})
    assert operator.get("/rq/").status_code == 200
    jobs = operator.get("/rq/0/data/jobs/ingest/queued/8/asc/1.json").get_json()["jobs"]
    assert [j["description"] for j in jobs] == [f"process new events from {SHOP}"]
    drain()


def test_dashboard_actions_need_the_csrf_header(operator):
    page = operator.get("/rq/")
    cookie = operator.get_cookie("_csrf_token", path="/rq")
    assert page.status_code == 200 and cookie is not None
    assert operator.post("/rq/queue/outbound/queued/empty").status_code == 400
    assert operator.post("/rq/queue/outbound/queued/empty", headers={"X-CSRFToken": cookie.value}).status_code == 200
    assert operator.get("/rq/requeue/ingest").status_code == 405  # state changes only by POST
