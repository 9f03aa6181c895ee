"""Handling deadlines (``connector.deadlines``): pure, so plain datetimes in and out (naive UTC)."""

from __future__ import annotations

from datetime import datetime

import pytest

from connector import deadlines as dl

WARSAW = {"timezone": "Europe/Warsaw", "working_hours": ["09:00", "17:00"], "working_days": [0, 1, 2, 3, 4],
          "within_working_hours": 2}
WARSAW_24 = {**WARSAW, "latest_hours": 24}


def utc(*args) -> datetime:
    return datetime(*args)


def deadline(rule: dict, created: datetime) -> datetime:
    return dl.deadline_for(created, dl.parse_rule(rule))


# 2026-11: CET (UTC+1). 2026-11-20 is a Friday.
@pytest.mark.parametrize(("created", "expected", "case"), [
    (utc(2026, 11, 17, 9, 0), utc(2026, 11, 17, 11, 0), "Tuesday 10:00 local -> 12:00 local"),
    (utc(2026, 11, 17, 5, 0), utc(2026, 11, 17, 10, 0), "before opening: counts from 09:00"),
    (utc(2026, 11, 17, 19, 0), utc(2026, 11, 18, 10, 0), "after hours: next morning 09:00 + 2 h"),
    (utc(2026, 11, 17, 15, 0), utc(2026, 11, 18, 9, 0), "16:00 local: one hour today, one tomorrow"),
    (utc(2026, 11, 20, 15, 30), utc(2026, 11, 23, 9, 30), "Friday 16:30 -> Monday 10:30 local"),
    (utc(2026, 11, 21, 10, 0), utc(2026, 11, 23, 10, 0), "Saturday: Monday 09:00 + 2 h"),
    (utc(2026, 11, 22, 22, 30), utc(2026, 11, 23, 10, 0), "Sunday 23:30 local is already Monday in UTC+1"),
    (utc(2026, 11, 20, 16, 0), utc(2026, 11, 23, 10, 0), "Friday exactly at closing"),
])
def test_working_hours_only(created, expected, case):
    assert deadline(WARSAW, created) == expected, case


def test_friday_afternoon_with_the_24_hour_cap_is_saturday():
    # Friday 16:30 local + 2 working hours is Monday 10:30, but 24 h at the latest wins.
    assert deadline(WARSAW_24, utc(2026, 11, 20, 15, 30)) == utc(2026, 11, 21, 15, 30)


def test_weekday_order_is_bounded_by_working_hours_not_the_cap():
    assert deadline(WARSAW_24, utc(2026, 11, 17, 9, 0)) == utc(2026, 11, 17, 11, 0)


def test_dst_end_moves_the_window_with_the_wall_clock():
    # Summer time ends on Sunday 2026-10-25: Friday is UTC+2, Monday UTC+1.
    created = utc(2026, 10, 23, 14, 0)  # Friday 16:00 CEST: one working hour left that day
    assert deadline(WARSAW, created) == utc(2026, 10, 26, 9, 0)  # Monday 10:00 CET


def test_dst_start_moves_the_window_with_the_wall_clock():
    # Summer time starts on Sunday 2026-03-29: Friday is UTC+1, Monday UTC+2.
    created = utc(2026, 3, 27, 15, 0)  # Friday 16:00 CET
    assert deadline(WARSAW, created) == utc(2026, 3, 30, 8, 0)  # Monday 10:00 CEST


def test_round_the_clock_window_counts_real_hours_across_dst():
    always = {"timezone": "Europe/Warsaw", "working_hours": ["00:00", "24:00"], "within_working_hours": 30}
    created = utc(2026, 10, 24, 12, 0)  # the night in between is 25 hours long on the wall clock
    assert deadline(always, created) == utc(2026, 10, 25, 18, 0)


def test_latest_hours_are_real_hours_across_dst():
    assert deadline({"timezone": "Europe/Warsaw", "latest_hours": 24}, utc(2026, 10, 24, 12, 0)) == \
        utc(2026, 10, 25, 12, 0)


def test_default_rule_is_24_hours_without_working_hours():
    rule = dl.parse_rule(None)
    assert (rule.latest_hours, rule.opens, rule.within_working_hours) == (24.0, None, None)
    assert dl.deadline_for(utc(2026, 11, 21, 23, 0), rule) == utc(2026, 11, 22, 23, 0)


def test_rozetka_seed_rule():
    rule = dl.parse_rule(dl.ROZETKA_RULE)
    assert rule.timezone == "Europe/Kyiv" and rule.within_working_hours == 2 and rule.latest_hours == 24
    # Thursday 2026-11-19 17:30 Kyiv (UTC+2): half an hour left, then Friday 09:00 + 1.5 h.
    assert dl.deadline_for(utc(2026, 11, 19, 15, 30), rule) == utc(2026, 11, 20, 8, 30)
    # Saturday: Monday 11:00 would be later than 24 h, so the cap decides.
    assert dl.deadline_for(utc(2026, 11, 21, 8, 0), rule) == utc(2026, 11, 22, 8, 0)


def test_aware_input_is_treated_as_its_utc_instant():
    from datetime import timezone

    aware = datetime(2026, 11, 17, 9, 0, tzinfo=timezone.utc)
    assert deadline(WARSAW, aware) == utc(2026, 11, 17, 11, 0)


@pytest.mark.parametrize("status", ["new", "confirmed", "awaiting_payment", "paid", "packed"])
def test_open_statuses_have_a_deadline(status):
    assert dl.has_deadline(status)


@pytest.mark.parametrize("status", ["shipped", "delivered", "cancelled", "returned"])
def test_handled_statuses_have_none(status):
    assert not dl.has_deadline(status)


@pytest.mark.parametrize("raw", [
    {"timezone": "Mars/Olympus"},
    {"working_hours": ["17:00", "09:00"], "within_working_hours": 2},
    {"working_hours": ["9am", "5pm"], "within_working_hours": 2},
    {"working_hours": ["09:00"], "within_working_hours": 2},
    {"working_hours": ["09:00", "17:00"], "working_days": [7], "within_working_hours": 2},
    {"working_hours": ["09:00", "17:00"], "working_days": [], "within_working_hours": 2},
    {"within_working_hours": 2},
    {"latest_hours": 0},
    {"latest_hours": "24"},
    {"latest_hours": None},
])
def test_invalid_rules_are_refused(raw):
    with pytest.raises(ValueError):
        dl.parse_rule(raw)


def test_a_broken_channel_rule_falls_back_to_the_default_with_a_reason():
    rule, error = dl.rule_for({"deadline": {"timezone": "Nowhere/Else", "latest_hours": 5}})
    assert rule == dl.parse_rule(None) and "unknown time zone" in error
    assert dl.rule_for({}) == (dl.parse_rule(None), None)


def test_countdown_text():
    assert dl.describe_left(2 * 3600 + 5 * 60) == "in 2 h 05 min"
    assert dl.describe_left(59) == "in 0 min"
    assert dl.describe_left(-(26 * 3600)) == "overdue by 1 d 2 h"
    assert dl.seconds_left(utc(2026, 1, 1, 12, 0), utc(2026, 1, 1, 12, 0, 30)) == -30


def test_local_time_is_labelled_with_the_rule_zone():
    local = dl.local_time(utc(2026, 7, 1, 7, 0), dl.parse_rule(WARSAW))
    assert (local.hour, local.tzname()) == (9, "CEST")


def test_rules_read_as_text():
    assert dl.describe_rule(dl.parse_rule(WARSAW_24)) == \
        "2 working hours (Mon–Fri 09:00–17:00 Europe/Warsaw), 24 h at the latest"
    assert dl.describe_rule(dl.parse_rule(None)) == "24 h"
    weekend = {"working_hours": ["10:00", "24:00"], "working_days": [5, 6], "within_working_hours": 1.5}
    assert dl.describe_rule(dl.parse_rule(weekend)) == "1.5 working hours (Sat, Sun 10:00–24:00 UTC)"
