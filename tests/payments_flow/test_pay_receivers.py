"""The payment receivers: every status chosen on purpose; nothing stored without a valid signature."""

from __future__ import annotations

import json

from pay_support import PAYU_ACCOUNT, payu_body
from tests.helpers import php_json
from tests.payments.support import payu_header


def test_unknown_shop_or_gateway_not_set_up_is_404(flow, engine):
    assert flow.client.post("/webhooks/przelewy24/nope", json={}).status_code == 404
    assert flow.client.post("/webhooks/payu/nope", json={}).status_code == 404
    from tests.helpers import add_shop

    add_shop(engine, "bare")  # a shop without gateway accounts
    answer = flow.client.post("/webhooks/payu/bare", data=b"{}", headers={"OpenPayu-Signature": "x"})
    assert answer.status_code == 404 and "no PayU account" in answer.json["message"]
    assert flow.count_events() == 0


def test_p24_forged_wrong_sign_foreign_account_or_not_json_store_nothing(flow):
    good = flow.p24_notice("1001-p24-a", 5_000_000_001, 3298)
    forged = {**good, "amount": 1}                                   # amount changed, sign kept
    wrong = {**good, "sign": "0" * 96}
    foreign = flow.p24_notice("1001-p24-a", 5_000_000_001, 3298, merchantId=99999)  # signed, not our merchant
    for body in (forged, wrong, foreign, {k: v for k, v in good.items() if k != "sign"}):
        answer = flow.post_p24(body)
        assert answer.status_code == 401, body
        assert "sign" in answer.json["message"]
    assert flow.post_p24({}, raw=b"merchantId=1&sign=x").status_code == 400
    assert flow.post_p24({}, raw=b"[1, 2]").status_code == 400
    assert flow.count_events() == 0


def test_p24_sign_is_rebuilt_from_fields_so_php_escaping_is_accepted(flow):
    """Polish letters and slashes in the statement; the body escaped like PHP's json_encode (\\u0105, \\/)
    or not at all: the sign is over the fields, compact and unescaped, so both count and dedup to one."""
    body = flow.p24_notice("1002-p24-b", 5_000_000_002, 1999, statement="Zapłata/zamówienie ąęśź 1002/2026")
    escaped, plain = php_json(body), json.dumps(body, ensure_ascii=False).encode()
    assert b"\\u0105" in escaped and b"\\/" in escaped and "ą".encode() in plain
    first, second = flow.post_p24(body, raw=escaped), flow.post_p24(body, raw=plain)
    assert (first.status_code, second.status_code) == (200, 200)
    assert first.json["message"] == "stored" and second.json["message"].startswith("duplicate")
    [event] = flow.events("przelewy24")
    assert (event.topic, event.resource_id) == ("transaction", "1002")
    assert event.dedup_key == "przelewy24:1002-p24-b:5000000002:paid"  # orderId beyond 32 bits kept whole


def test_replayed_notice_twenty_times_has_one_effect(flow):
    flow.order(1003, "pending")
    made = flow.link(1003, "p24")
    flow.pay_p24(made)
    flow.wait_events("przelewy24")
    raw = flow.p24_sent_body()
    answers = {flow.post_p24({}, raw=raw).status_code for _ in range(20)}
    assert answers == {200}
    flow.process()
    assert flow.count_events(source="przelewy24") == 1
    assert flow.payment(made["session_id"]).status == "paid" and len(flow.intents("woo_paid")) == 1


def test_payu_missing_wrong_md5_and_re_encoded_signatures_are_401(flow):
    body = payu_body("ORD1", "1004-payu-a", "COMPLETED")
    raw = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
    assert flow.post_payu(raw, header="").json["message"] == "missing OpenPayu-Signature header"
    assert flow.post_payu(raw, key="another-key").status_code == 401
    md5 = flow.post_payu(raw, algorithm="MD5")
    assert md5.status_code == 401 and "allow_md5" in md5.json["message"]
    re_encoded = json.dumps(body, ensure_ascii=True).encode()           # same JSON, other bytes
    assert flow.post_payu(re_encoded, signed=raw).status_code == 401
    garbled = flow.post_payu(raw, header="signature=abc")
    assert garbled.status_code == 401 and "garbled" in garbled.json["message"]
    assert flow.count_events() == 0


def test_payu_sha256_any_parameter_order_and_md5_when_allowed(flow):
    body = payu_body("ORD2", "1005-payu-b", "PENDING")
    raw = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
    header = payu_header(raw, PAYU_ACCOUNT["SECOND_KEY"], "SHA-256", order=("algorithm", "content", "signature",
                                                                            "sender"))
    assert flow.client.post("/webhooks/payu/shop1", data=raw,
                            headers={"X-OpenPayU-Signature": header}).status_code == 200
    flow.configure(allow_md5=True)
    answer = flow.post_payu(payu_body("ORD2", "1005-payu-b", "COMPLETED"), algorithm="MD5")
    assert answer.status_code == 200, answer.json
    assert [e.dedup_key for e in flow.events("payu")] == ["payu:order:ORD2:PENDING", "payu:order:ORD2:COMPLETED"]


def test_payu_body_that_gained_a_trailing_newline_is_checked_trimmed_like_the_sdk(flow):
    raw = json.dumps(payu_body("ORD4", "1007-payu-d", "PENDING"), separators=(",", ":")).encode()
    assert flow.post_payu(raw + b"\r\n", signed=raw).status_code == 200
    assert flow.post_payu(raw + b" x", signed=raw).status_code == 401


def test_signed_but_unusable_notice_is_kept_and_fails_visibly(flow):
    body = payu_body("ORD3", "1006-payu-c", "COMPLETED")
    body["order"]["totalAmount"] = "12.50"                              # not minor units
    answer = flow.post_payu(body)
    assert answer.status_code == 200                                    # PayU must stop re-sending
    flow.process()
    [event] = flow.events("payu")
    assert event.status == "failed" and "not an amount in minor units" in event.error


def test_too_large_is_413(flow):
    answer = flow.client.post("/webhooks/przelewy24/shop1", data=b"{" + b" " * 70_000 + b"}",
                              content_type="application/json")
    assert answer.status_code == 413
    assert flow.count_events() == 0
