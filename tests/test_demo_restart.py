"""Running ``run.sh`` again after the demo: the old demo (whose sandboxes kept their state in memory) is
replaced by a fresh one; an owner's own channel, even one named like the demo's, keeps everything."""

from __future__ import annotations

from pathlib import Path

from connector import demo, supervisor
from connector.db import transaction
from connector.views import stock_view
from tests.helpers import add_shop


def _demo_ran(data_dir: Path, engine, redis) -> None:
    demo.remember_demo(data_dir, {demo.DEMO_SHOP: "http://127.0.0.1:8089", "allegro": "http://127.0.0.1:40001"})
    add_shop(engine, demo.DEMO_SHOP, url="http://127.0.0.1:8089", stock={"KUB-ZOLC-330": 12})
    redis.set("sb:dirty:1", "x")


def _on_hand(engine) -> int:
    with transaction(engine) as session:
        return (stock_view(session, "KUB-ZOLC-330") or {}).get("on_hand", 0)


def test_a_previous_demo_is_discarded_and_run_again(env, engine, redis, tmp_path):
    _demo_ran(tmp_path, engine, redis)
    assert supervisor._needs_demo(None) is True
    assert _on_hand(engine) == 0 and redis.get("sb:dirty:1") is None


def test_an_owner_channel_keeps_its_data_and_no_demo_runs(env, engine, redis, tmp_path):
    _demo_ran(tmp_path, engine, redis)
    add_shop(engine, "myshop", url="https://sklep.example.pl")
    assert supervisor._needs_demo(None) is False
    assert _on_hand(engine) == 12 and redis.get("sb:dirty:1") == b"x"


def test_a_real_shop_named_demo_is_not_the_demo(env, engine, redis, tmp_path):
    demo.remember_demo(tmp_path, {demo.DEMO_SHOP: "http://127.0.0.1:8089"})
    add_shop(engine, demo.DEMO_SHOP, url="https://demo.example.ua", stock={"KUB-ZOLC-330": 12})
    assert supervisor._needs_demo(None) is False
    assert _on_hand(engine) == 12


def test_no_demo_when_told_so_and_a_demo_on_an_empty_database(env, engine, redis, tmp_path):
    assert supervisor._needs_demo(None) is True
    _demo_ran(tmp_path, engine, redis)
    assert supervisor._needs_demo(False) is False
    assert _on_hand(engine) == 12
