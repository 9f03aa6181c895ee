"""Fixtures for payment tests: sandboxes on free ports and recording receivers, closed after each test."""

from __future__ import annotations

import pytest

import sandbox.payu
import sandbox.przelewy24

from .support import Receiver, Served, closing_all

P24_ACCOUNT = {"MERCHANT_ID": 11111, "POS_ID": 22222, "API_KEY": "p24-reports-key-ąę", "CRC": "crc-ążś/1"}
PAYU_ACCOUNT = {"POS_ID": "300746", "CLIENT_SECRET": "oauth-secret-ł", "SECOND_KEY": "second-key-ó"}
#: Fast schedules: a P24 minute lasts 0.6 ms (450 min = 0.27 s), a PayU minute 0.12 ms (72 h = 0.52 s).
P24_FAST = 0.00001
PAYU_FAST = 0.000002


@pytest.fixture
def opened():
    with closing_all() as items:
        yield items


@pytest.fixture
def receiver(opened):
    """``receiver(respond=None)`` -> a started Receiver."""
    def make(respond=None) -> Receiver:
        item = Receiver(respond)
        opened.append(item)
        return item
    return make


@pytest.fixture
def p24_server(opened):
    """``p24_server(**config)`` -> the Przelewy24 sandbox served on a free port."""
    def make(**config) -> Served:
        served = Served(sandbox.przelewy24.create_app({**P24_ACCOUNT, "TIME_SCALE": P24_FAST,
                                                       "REFUND_DELAY_MINUTES": 0, **config}), "p24_sandbox")
        opened.append(served)
        return served
    return make


@pytest.fixture
def payu_server(opened):
    """``payu_server(**config)`` -> the PayU sandbox served on a free port."""
    def make(**config) -> Served:
        served = Served(sandbox.payu.create_app({**PAYU_ACCOUNT, "TIME_SCALE": PAYU_FAST,
                                                 "REFUND_DELAY_MINUTES": 0, **config}), "payu_sandbox")
        opened.append(served)
        return served
    return make
