"""Przelewy24 ``sign`` routines: every vector of p24_sign_vectors.json, plus our own edge cases."""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal

import pytest

from connector.clients import przelewy24 as p24
from mappers.payments import to_minor

from .support import load_shared, p24_notification, p24_refund_notification, p24_sign_by_hand

CRC = "crc-ążś/1"


@pytest.fixture(scope="module")
def vectors() -> dict[str, dict]:
    return {vector["name"]: vector for vector in load_shared("przelewy24", "p24_sign_vectors.json")["vectors"]}


# --------------------------------------------------------------------------- the shared vectors

def test_every_vector_with_a_crc_has_our_canonical_json_and_sign(vectors):
    signed = [v for v in vectors.values() if "crc" in json.loads(v["canonical_json"])]
    assert len(signed) == 7
    for vector in signed:
        members = json.loads(vector["canonical_json"])
        crc = members.pop("crc")
        assert p24.sign_json(members, crc) == vector["canonical_json"], vector["name"]
        assert p24.sign(members, crc) == vector["expected_sign"], vector["name"]


def test_transaction_notification_vectors(vectors):
    for name in ("transaction_notification", "notification_with_diacritics_slash_bigint"):
        vector = vectors[name]
        assert p24.notification_sign(vector["input"], vector["crc"]) == vector["expected_sign"]
        assert p24.check_notification({**vector["input"], "sign": vector["expected_sign"]}, vector["crc"])


def test_refund_notification_vector_ignores_request_id_and_timestamp(vectors):
    vector = vectors["refund_notification"]
    assert p24.refund_notification_sign(vector["input"], vector["crc"]) == vector["expected_sign"]
    changed = {**vector["input"], "requestId": "other", "timestamp": 1, "sign": vector["expected_sign"]}
    assert p24.check_refund_notification(changed, vector["crc"])


@pytest.mark.parametrize("name", ["transaction_register_sign", "doc_example_register_string"])
def test_register_vectors(vectors, name):
    m = json.loads(vectors[name]["canonical_json"])
    assert p24.register_sign(session_id=m["sessionId"], merchant_id=m["merchantId"], amount=m["amount"],
                             currency=m["currency"], crc=m["crc"]) == vectors[name]["expected_sign"]


@pytest.mark.parametrize("name", ["transaction_verify_sign", "doc_example_verify_string"])
def test_verify_vectors(vectors, name):
    m = json.loads(vectors[name]["canonical_json"])
    assert p24.verify_sign(session_id=m["sessionId"], order_id=m["orderId"], amount=m["amount"],
                           currency=m["currency"], crc=m["crc"]) == vectors[name]["expected_sign"]


def test_json_flags_vector_and_its_wrong_variants(vectors):
    vector = vectors["json_flags_unescaped_slash_and_unicode"]
    text = p24.canonical_json(vector["input"])
    assert text == vector["canonical_json"]
    assert hashlib.sha384(text.encode()).hexdigest() == vector["expected_sign"]
    for wrong in vector["wrong_variants_derived"]:
        assert hashlib.sha384(wrong["json"].encode()).hexdigest() == wrong["sha384"]
        assert wrong["sha384"] != vector["expected_sign"]


def test_known_wrong_variants_never_match_ours(vectors):
    vector = vectors["notification_with_diacritics_slash_bigint"]
    for wrong in vector["wrong_variants_derived"]:
        assert not p24.check_notification({**vector["input"], "sign": wrong["sha384"]}, vector["crc"]), wrong["what"]


def test_fixture_notification_bodies_check_out():
    body = load_shared("przelewy24", "transaction_notification.json")
    assert p24.check_notification(body, "bar", merchant_id=12345, pos_id=123)
    assert not p24.check_notification(body, "bar", merchant_id=12345, pos_id=124)
    assert not p24.check_notification(body, "baz")
    refund = load_shared("przelewy24", "refund_notification.json")
    assert p24.check_refund_notification(refund, "bar", merchant_id=12345)
    request = load_shared("przelewy24", "transaction_register_request.json")
    assert p24.register_sign(session_id=request["sessionId"], merchant_id=request["merchantId"],
                             amount=request["amount"], currency=request["currency"], crc="bar") == request["sign"]


# --------------------------------------------------------------------------- our own cases

def test_polish_letters_and_slashes_in_statement_and_session():
    body = p24_notification(CRC, sessionId="WC/2001/ąę", statement="Zamówienie 2001/2026 – źdźbło „Żółć”")
    assert p24.check_notification(body, CRC, merchant_id=11111, pos_id=11111)
    assert not p24.check_notification({**body, "statement": "Zamowienie 2001/2026 – zdzblo „Zolc”"}, CRC)


def test_escaped_json_produces_another_sign():
    body = p24_notification(CRC, statement="Zwrot 1/2 – ąę")
    fields = {name: body[name] for name in p24.NOTIFICATION_FIELDS}
    escaped = json.dumps({**fields, "crc": CRC}, separators=(",", ":"))  # ensure_ascii=True
    wrong = hashlib.sha384(escaped.encode()).hexdigest()
    assert wrong != body["sign"] and not p24.check_notification({**body, "sign": wrong}, CRC)
    assert p24.check_notification(body, CRC)


def test_order_id_beyond_32_and_53_bits():
    for order_id in (2**31, 2**32 + 1, 2**53 + 1, 9_223_372_036_854_775_807):
        body = p24_notification(CRC, orderId=order_id)
        assert p24.check_notification(body, CRC), order_id
        assert f'"orderId":{order_id},' in p24.sign_json({n: body[n] for n in p24.NOTIFICATION_FIELDS}, CRC)
        assert p24.verify_sign(session_id="s", order_id=order_id, amount=1, currency="PLN", crc=CRC) == \
            p24_sign_by_hand([("sessionId", "s"), ("orderId", order_id), ("amount", 1), ("currency", "PLN")], CRC)


@pytest.mark.parametrize("price, minor", [(Decimal("19.99"), 1999), (Decimal("1.005"), 101)])
def test_amounts_go_in_as_rounded_integers(price, minor):
    amount = to_minor(price)
    assert amount == minor
    expected = p24_sign_by_hand([("sessionId", "WC-1"), ("merchantId", 11111), ("amount", minor),
                                 ("currency", "PLN")], CRC)
    assert p24.register_sign(session_id="WC-1", merchant_id=11111, amount=amount, currency="PLN", crc=CRC) == expected
    as_string = p24_sign_by_hand([("sessionId", "WC-1"), ("merchantId", 11111), ("amount", str(minor)),
                                  ("currency", "PLN")], CRC)
    assert as_string != expected  # "1999" is not 1999 (node-przelewy24 #14)


def test_form_encoded_values_are_cast_before_checking():
    body = p24_notification(CRC)
    as_form = {key: str(value) for key, value in body.items()}
    assert p24.check_notification(as_form, CRC, merchant_id=11111, pos_id=11111)


@pytest.mark.parametrize("mutate", [
    lambda b: b.pop("sign"),
    lambda b: b.pop("statement"),
    lambda b: b.update(sign=None),
    lambda b: b.update(sign="zażółć"),
    lambda b: b.update(amount="12.99"),
    lambda b: b.update(amount=True),
    lambda b: b.update(amount=12998),
    lambda b: b.update(orderId=[1]),
])
def test_broken_notifications_are_false_never_an_exception(mutate):
    body = p24_notification(CRC)
    mutate(body)
    assert p24.check_notification(body, CRC) is False


def test_sign_case_and_whitespace_are_tolerated():
    body = p24_notification(CRC)
    assert p24.check_notification({**body, "sign": body["sign"].upper() + "\n"}, CRC)


def test_refund_notification_of_our_own():
    body = p24_refund_notification(CRC, status=1, sessionId="WC/2001/ąę")
    assert p24.check_refund_notification(body, CRC, merchant_id=11111)
    assert not p24.check_refund_notification({**body, "status": 0}, CRC)
    assert not p24.check_refund_notification(body, CRC, merchant_id=11112)
