"""PayU ``OpenPayu-Signature``: every vector of payu_signature_vectors.json (+ .body files), plus ours."""

from __future__ import annotations

import json

import pytest

from connector.clients import payu

from .support import load_shared, payu_header, shared_payments

KEY = "second-key-ó"


@pytest.fixture(scope="module")
def vectors() -> dict:
    return load_shared("payu", "payu_signature_vectors.json")


def _header(signature: str, algorithm: str) -> str:
    return f"sender=checkout;signature={signature};algorithm={algorithm};content=DOCUMENT"


# --------------------------------------------------------------------------- the shared vectors

def test_official_sdk_vectors_for_every_algorithm(vectors):
    sdk = vectors["notification_verify_vectors_official_sdk"]
    message, key = sdk["message"].encode(), sdk["second_key"]
    for case in sdk["cases"]:
        algorithm = case["algorithm_header"]
        assert payu.hash_name(algorithm) == case["hashlib"]
        assert payu.expected_signature(message, key, algorithm) == case["expected"]
        weak = case["hashlib"] in ("md5", "sha1")
        assert payu.check_signature(message, _header(case["expected"], algorithm), key) is not weak
        assert payu.check_signature(message, _header(case["expected"], algorithm), key, allow_md5=True)
    negative = sdk["negative"]
    assert payu.check_signature(message, _header(negative["signature"], negative["algorithm"]), key) \
        is negative["expected_valid"]


def test_real_body_vector_and_its_trailing_newline_negative(vectors):
    vector = vectors["notification_verify_vector_real_body_sha256"]
    body = shared_payments("payu", vector["body_file"]).read_bytes()
    assert "ó".encode() in body and not body.endswith(b"\n")
    assert payu.check_signature(body, vector["header"], vector["second_key"]) is vector["expected_valid"]
    negative = vector["derived_negative"]
    assert payu.expected_signature(body + b"\n", vector["second_key"], "SHA-256") == negative["sha256"]
    assert payu.check_signature(body + b"\n", vector["header"], vector["second_key"]) is negative["expected_valid"]


def test_header_parse_vector(vectors):
    vector = vectors["header_parse_vector"]
    assert payu.parse_signature_header(vector["header"]) == vector["parsed"]
    for garbage in vector["unparseable_inputs_return_null"]:
        assert payu.parse_signature_header(garbage) is None


def test_hosted_form_vectors_use_the_same_digests(vectors):
    """generateSignData hashes ``k=v&`` + key: not a notification, but the same digest code."""
    forms = vectors["request_form_signature_vectors_official_sdk"]
    for case in forms["cases"]:
        parsed = payu.parse_signature_header(case["expected_header"])
        signed = case["string_hashed"][: -len(forms["second_key"])].encode()
        assert payu.expected_signature(signed, forms["second_key"], case["algorithm"]) == parsed["signature"]
        assert payu.check_signature(signed, case["expected_header"], forms["second_key"])


def test_fixture_bodies_verify_only_byte_exact():
    pretty = shared_payments("payu", "notification_order_completed.json").read_bytes()
    header = payu_header(pretty, KEY)
    assert payu.check_signature(pretty, header, KEY)
    recoded = json.dumps(json.loads(pretty), separators=(",", ":"), ensure_ascii=False).encode()
    assert not payu.check_signature(recoded, header, KEY)


# --------------------------------------------------------------------------- our own cases

BODY = json.dumps({"order": {"orderId": "AB12CD34EF260101GUEST000P01", "extOrderId": "2001_x", "status": "COMPLETED",
                             "description": "Zamówienie 2001 – łódź/żółw", "currencyCode": "PLN",
                             "totalAmount": "12999"}}, separators=(",", ":"), ensure_ascii=False).encode()


@pytest.mark.parametrize("algorithm", ["SHA-256", "SHA256", "SHA-384", "SHA-512"])
def test_strong_algorithms_are_accepted(algorithm):
    assert payu.check_signature(BODY, payu_header(BODY, KEY, algorithm), KEY)


def test_md5_only_when_allowed():
    header = payu_header(BODY, KEY, "MD5")
    assert not payu.check_signature(BODY, header, KEY)
    assert payu.check_signature(BODY, header, KEY, allow_md5=True)


@pytest.mark.parametrize("recode", [
    lambda b: json.dumps(json.loads(b), ensure_ascii=False).encode(),           # spaces
    lambda b: json.dumps(json.loads(b), separators=(",", ":")).encode(),        # \u escapes
    lambda b: b.replace(b"/", b"\\/"),                                          # PHP slashes
    lambda b: b + b"\n",
    lambda b: b"\xef\xbb\xbf" + b,                                              # BOM
    lambda b: b.decode().encode("utf-16"),
])
def test_a_re_encoded_body_fails(recode):
    header = payu_header(BODY, KEY)
    assert payu.check_signature(BODY, header, KEY)
    assert not payu.check_signature(recode(BODY), header, KEY)


def test_parameter_order_and_sender_do_not_matter():
    for order in [("algorithm", "signature", "sender", "content"), ("signature", "algorithm")]:
        assert payu.check_signature(BODY, payu_header(BODY, KEY, order=order, sender="300746"), KEY)
    spaced = payu_header(BODY, KEY).replace(";", "; ")
    assert payu.check_signature(BODY, spaced, KEY)


@pytest.mark.parametrize("header", [
    None, "", "TEST", "signature=abc", "algorithm=SHA-256", "sender=checkout;algorithm=SHA-256;signature=",
    "sender=checkout;signature=00;algorithm=SHA3-256;content=DOCUMENT",
    "sender=checkout;signature=zażółć;algorithm=SHA-256;content=DOCUMENT",
])
def test_missing_or_garbled_headers_are_false(header):
    assert payu.check_signature(BODY, header, KEY) is False


def test_wrong_key_and_text_body_are_false():
    header = payu_header(BODY, KEY)
    assert not payu.check_signature(BODY, header, "another-key")
    assert not payu.check_signature(BODY.decode(), header, KEY)


def test_upper_case_hex_is_accepted():
    name, _, rest = payu_header(BODY, KEY).partition("signature=")
    signature, _, tail = rest.partition(";")
    assert payu.check_signature(BODY, f"{name}signature={signature.upper()};{tail}", KEY)


def test_header_lookup_takes_either_name_in_any_case():
    header = payu_header(BODY, KEY)
    assert payu.signature_header({"x-openpayu-signature": header}) == header
    assert payu.signature_header({"OPENPAYU-SIGNATURE": header, "Content-Type": "x"}) == header
    assert payu.signature_header({"Content-Type": "application/json"}) is None
