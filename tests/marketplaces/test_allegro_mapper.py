"""Allegro mapper: golden tests on the fixtures in ../shared (read in place) and on payloads composed from the
documented shapes (Polish / Ukrainian text, 19.99 PLN, cash on delivery, unknown statuses, malformed forms)."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal

import pytest
from marshmallow import ValidationError

from connector.lifecycle import STATUSES
from connector.marketplaces import StatusChange, StockPush
from mappers import allegro
from tests.conftest import shared_fixture
from tests.marketplaces import allegro_payloads as payloads


def fixture(name: str) -> dict:
    return json.loads(shared_fixture("marketplaces", "allegro", name).read_text(encoding="utf-8"))


def without_note(body: dict) -> dict:
    return {k: v for k, v in body.items() if k != "_note"}


def push(listing_id: int, ref: str, figure: int, **state) -> StockPush:
    return StockPush(listing_id, f"SKU-{listing_id}", ref, "", figure, state)


# -- golden: the fixtures ---------------------------------------------------------------------------

def test_checkout_form_fixture_maps_to_a_paid_order():
    canon, paid = allegro.order_from_allegro(fixture("checkout_form_response.json"))
    assert (canon.external_id, canon.number) == ("29738e61-7f6a-11e8-ac45-09db60ede9d6",) * 2
    assert (canon.status, canon.raw_status, paid) == ("paid", "READY_FOR_PROCESSING/NEW", "paid")
    assert (canon.total, canon.currency, canon.cod_amount) == (Decimal("72.99"), "PLN", None)
    assert canon.updated_at == datetime(2024, 5, 6, 10, 12, 5) and canon.placed_at == datetime(2024, 5, 6, 10, 11, 12)
    [line] = canon.lines
    assert (line.line_key, line.sku, line.product_ref, line.quantity, line.unit_price) == \
        ("d0dc9ba0-b3e3-11e9-9b1f-1b4e6dc41a5c", "WOO-SKU-123", "7893457231", 1, Decimal("59.00"))
    assert canon.transaction_id == "0f8f1d13-7e9e-11e8-9b00-c5b0dfb78ea6" and canon.payment_method == "allegro"
    assert canon.delivery["method_id"] == "1fa56f79-4b6a-4821-a6f2-ca9c16d5c925"
    assert canon.delivery["method_title"] == "Allegro Paczkomaty InPost"
    assert canon.delivery["meta"]["pickup_point"] == "POZ08A"
    assert canon.shipping_address["city"] == "Poznań" and canon.shipping_address["postcode"] == "60-166"
    assert canon.buyer["email"] == "8gz9ld8gj5+a29dfc4e@allegromail.pl"


def test_events_fixture_keys_forms_and_meta():
    events = fixture("order_events_response.json")["events"]
    keys = [allegro.event_key(e) for e in events]
    assert len(set(keys)) == len(events) and keys[0] == "event:MTEzMjQzODU3NA"
    assert {allegro.event_form_id(e) for e in events} == {"29738e61-7f6a-11e8-ac45-09db60ede9d6"}
    assert [allegro.event_meta(e)["event"] for e in events] == \
        ["BOUGHT", "FILLED_IN", "READY_FOR_PROCESSING", "FULFILLMENT_STATUS_CHANGED"]
    assert allegro.event_meta(events[-1])["event_id"] == "MTEzMjQzODU3Nw"


def test_list_fixture_items_map_and_key_by_revision():
    forms = fixture("checkout_forms_list_response.json")["checkoutForms"]
    assert [allegro.form_key(f) for f in forms] == ["form:29738e61-7f6a-11e8-ac45-09db60ede9d6:c1a2b3d4"]
    assert [allegro.order_from_allegro(f)[0].status for f in forms] == ["paid"]


def test_quantity_command_body_matches_the_fixture():
    wanted = without_note(fixture("offer_quantity_change_command_put_request.json"))
    body = allegro.quantity_body(5, [push(1, "7893457231", 5), push(2, "7893457232", 5)])
    assert body == wanted


def test_command_report_and_tasks_fixtures():
    report = fixture("offer_quantity_change_command_report_response.json")
    assert allegro.is_done(report)
    assert not allegro.is_done({**report, "completedAt": None, "taskCount": {"total": 2, "success": 1, "failed": 0}})
    outcomes = allegro.task_outcomes(fixture("offer_quantity_change_command_tasks_response.json")["tasks"])
    assert outcomes["7893457231"] == ("SUCCESS", "")
    assert outcomes["7893457232"] == ("FAIL", "OfferNotFound: Offer not found")
    ok = allegro.quantity_result(push(1, "7893457231", 5, seq=4), outcomes["7893457231"], 3)
    failed = allegro.quantity_result(push(2, "7893457232", 5), outcomes["7893457232"], 3)
    assert ok.accepted and ok.state == {"seq": 5}
    assert "OfferNotFound" in failed.error and "7893457232" in failed.error and failed.state == {"seq": 1}


def test_every_documented_status_pair_maps():
    statuses = fixture("fulfillment_and_checkout_statuses.json")
    for checkout in statuses["checkoutForm.status"]:
        for fulfillment in statuses["fulfillment.status"]:
            for payment in ("ONLINE", "CASH_ON_DELIVERY"):
                status = allegro.canonical_status(payloads.form(checkout, fulfillment, payment))
                assert status in STATUSES, (checkout, fulfillment, payment)
    assert set(allegro.TARGETS.values()) <= set(statuses["fulfillment.status"])
    assert set(allegro.OPEN_FULFILLMENT) <= set(statuses["fulfillment.status"])


def test_request_bodies_match_the_fixtures():
    assert allegro.fulfillment_body("SENT") == without_note(fixture("checkout_form_fulfillment_put_request.json"))
    wanted = without_note(fixture("checkout_form_shipments_post_request.json"))
    body = allegro.waybill_body(StatusChange("packed", tracking_number="12345678910PL", carrier="dhl_poland"))
    assert body == {"carrierId": wanted["carrierId"], "waybill": wanted["waybill"]}
    assert set(body) <= set(wanted)
    patch = without_note(fixture("product_offer_patch_stock_request.json"))
    assert set(allegro.zero_stock_body()["stock"]) == set(patch["stock"])
    shipped = fixture("checkout_form_shipments_post_response.json")
    assert allegro.has_waybill([shipped], "12345678910pl")


# -- composed payloads ------------------------------------------------------------------------------

def test_polish_and_ukrainian_text_and_grosz_amounts():
    canon, paid = allegro.order_from_allegro(payloads.form(lines=[
        payloads.line_item(quantity=2, amount="19.99"),
        payloads.line_item("a1b2c3d4-0000-4000-8000-000000000002", "7893457299", "ŁYŻKA-01", 1, "9.99", "Łyżka")]))
    assert paid == "paid" and canon.total == Decimal("49.97")
    assert [(line.sku, line.quantity, line.unit_price) for line in canon.lines] == \
        [("KUBEK-ŻÓŁTY", 2, Decimal("19.99")), ("ŁYŻKA-01", 1, Decimal("9.99"))]
    assert canon.lines[0].name == "Kubek ceramiczny „Zażółć gęślą jaźń”"
    assert canon.buyer["first_name"] == "Ґалина" and canon.shipping_address["city"] == "Gdańsk"
    assert canon.shipping_address["address_1"] == "ul. Żeglarska 7"


def test_cash_on_delivery():
    canon, paid = allegro.order_from_allegro(payloads.form(payment="CASH_ON_DELIVERY", total="59.99"))
    assert (canon.status, paid, canon.payment_method) == ("new", "pending", "cod")
    assert canon.cod_amount == Decimal("59.99") and canon.transaction_id == ""
    assert canon.delivery["meta"]["pickup_point"] == "GDA08M"
    assert allegro.canonical_status(payloads.form(fulfillment="PROCESSING", payment="CASH_ON_DELIVERY")) == "confirmed"


@pytest.mark.parametrize("checkout, fulfillment, payment, expected", [
    ("BOUGHT", "NEW", "ONLINE", "awaiting_payment"), ("FILLED_IN", "NEW", "CASH_ON_DELIVERY", "awaiting_payment"),
    ("READY_FOR_PROCESSING", "NEW", "ONLINE", "paid"), ("READY_FOR_PROCESSING", "PROCESSING", "ONLINE", "paid"),
    ("READY_FOR_PROCESSING", "SUSPENDED", "ONLINE", "confirmed"),
    ("READY_FOR_PROCESSING", "READY_FOR_SHIPMENT", "ONLINE", "packed"),
    ("READY_FOR_PROCESSING", "READY_FOR_PICKUP", "CASH_ON_DELIVERY", "packed"),
    ("READY_FOR_PROCESSING", "SENT", "ONLINE", "shipped"), ("READY_FOR_PROCESSING", "PICKED_UP", "ONLINE", "delivered"),
    ("READY_FOR_PROCESSING", "CANCELLED", "ONLINE", "cancelled"),
    ("READY_FOR_PROCESSING", "RETURNED", "ONLINE", "returned"),
    ("CANCELLED", "SENT", "ONLINE", "cancelled"),  # the checkout wins over a stale fulfillment (pitfall 5)
    ("READY_FOR_PROCESSING", "LOST_IN_SPACE", "ONLINE", None), ("WAITING_FOR_GODOT", "NEW", "ONLINE", None)])
def test_status_map(checkout, fulfillment, payment, expected):
    canon, _ = allegro.order_from_allegro(payloads.form(checkout, fulfillment, payment))
    assert canon.status == expected and canon.raw_status == f"{checkout}/{fulfillment}"


def test_payment_status():
    wire = payloads.form(payment="WIRE_TRANSFER")  # READY_FOR_PROCESSING = "payment completed"
    assert allegro.order_from_allegro(wire)[1] == "paid"
    refunded_later = payloads.form("CANCELLED", payment="ONLINE")
    refunded_later["payment"]["paidAmount"] = {"amount": "49.97", "currency": "PLN"}
    assert allegro.order_from_allegro(refunded_later)[1] == "paid"
    broken = payloads.form()
    broken["payment"]["paidAmount"]["amount"] = "dużo"
    with pytest.raises(ValidationError):
        allegro.order_from_allegro(broken)


def test_unpaid_online_form_is_pending_and_times_are_utc():
    canon, paid = allegro.order_from_allegro(payloads.form("FILLED_IN", updatedAt="2025-03-14T11:27:11+02:00"))
    assert paid == "pending" and canon.transaction_id == "" and canon.updated_at == datetime(2025, 3, 14, 9, 27, 11)


@pytest.mark.parametrize("change", [
    lambda f: f.pop("lineItems"), lambda f: f.pop("id"), lambda f: f["lineItems"][0].update(quantity="dwa"),
    lambda f: f["lineItems"][0].update(quantity=0), lambda f: f["summary"]["totalToPay"].update(amount="abc"),
    lambda f: f["lineItems"][0]["offer"].pop("id"), lambda f: f.update(updatedAt="wczoraj")])
def test_malformed_forms_are_refused(change):
    body = payloads.form()
    change(body)
    with pytest.raises(ValidationError):
        allegro.order_from_allegro(body)


def test_event_without_a_form_is_refused():
    with pytest.raises(ValidationError):
        allegro.event_form_id({"id": "MTE", "type": "BOUGHT", "order": {}})


# -- stock ------------------------------------------------------------------------------------------

def test_command_ids_are_stable_per_logical_change():
    a, b = push(1, "100", 5, seq=2), push(2, "200", 5)
    first = allegro.command_id("cid:1", "quantity", 5, [a, b])
    assert first == allegro.command_id("cid:1", "quantity", 5, [b, a])  # a retry, in any order
    assert first != allegro.command_id("cid:1", "quantity", 5, [push(1, "100", 5, seq=3), b])  # the next change
    assert first != allegro.command_id("cid:1", "quantity", 6, [a, b])
    assert first != allegro.command_id("cid:2", "quantity", 5, [a, b])


def test_plan_groups_by_figure_in_batches_of_1000():
    pushes = [push(i, str(10**9 + i), 3 if i % 2 else 7) for i in range(2500)]
    plan = allegro.plan_quantity(pushes)
    assert [(figure, len(group)) for figure, group in plan] == [(3, 1000), (3, 250), (7, 1000), (7, 250)]
    assert all(p.figure == figure for figure, group in plan for p in group)


def test_state_moves_on_and_ended_is_cleared():
    ended = push(1, "100", 4, seq=7, ended=True)
    assert allegro.next_state(ended) == {"seq": 8, "ended": True}
    assert allegro.next_state(ended, ended=False) == {"seq": 8}
    assert allegro.is_ended(ended) and allegro.seq(ended) == 7
    assert allegro.quantity_result(ended, None, 3).retry_in == 3
    assert allegro.quantity_result(ended, ("NEW", ""), 3).state is None


def test_zero_ends_published_offers_only():
    assert allegro.ends_offer({"publication": {"status": "ACTIVE"}}) and allegro.ends_offer({})
    assert not allegro.ends_offer({"publication": {"status": "INACTIVE"}})


def test_offer_mapping():
    offer = allegro.offer_from_allegro({"id": "7893457231", "name": "Świeca sojowa", "external": {"id": " SW-01 "},
                                        "stock": {"available": 12, "unit": "UNIT"}})
    assert (offer.ref, offer.sku, offer.name, offer.quantity) == ("7893457231", "SW-01", "Świeca sojowa", 12)
    assert allegro.offer_from_allegro({"id": "1", "external": None}).sku == ""


# -- status back ------------------------------------------------------------------------------------

@pytest.mark.parametrize("target, fulfillment, expected", [
    ("confirmed", "NEW", "PROCESSING"), ("confirmed", "PROCESSING", None), ("confirmed", "SENT", None),
    ("packed", "PROCESSING", "READY_FOR_SHIPMENT"), ("packed", "READY_FOR_PICKUP", None),
    ("shipped", "READY_FOR_SHIPMENT", "SENT"), ("shipped", "PICKED_UP", None), ("delivered", "SENT", "PICKED_UP"),
    ("cancelled", "PROCESSING", "CANCELLED"), ("cancelled", "CANCELLED", None), ("shipped", "RETURNED", None),
    ("packed", "SOMETHING_NEW", None)])
def test_fulfillment_never_moves_backwards(target, fulfillment, expected):
    assert allegro.fulfillment_target(StatusChange(target), payloads.form(fulfillment=fulfillment)) == expected


def test_cancelled_checkout_takes_nothing_and_sent_cannot_be_cancelled():
    assert allegro.fulfillment_target(StatusChange("shipped"), payloads.form("CANCELLED", "PROCESSING")) is None
    assert allegro.too_late_to_cancel(StatusChange("cancelled"), payloads.form(fulfillment="SENT"))
    assert not allegro.too_late_to_cancel(StatusChange("cancelled"), payloads.form(fulfillment="READY_FOR_SHIPMENT"))


def test_waybill_carriers():
    inpost = allegro.waybill_body(StatusChange("packed", tracking_number=" 6800001234567890 ", carrier="inpost"))
    assert inpost == {"carrierId": "INPOST", "waybill": "6800001234567890"}
    other = allegro.waybill_body(StatusChange("packed", tracking_number="20450000123456", carrier="novaposhta"))
    assert other == {"carrierId": "OTHER", "waybill": "20450000123456", "carrierName": "novaposhta"}
    assert not allegro.has_waybill([{"waybill": "X1"}], "X2")
