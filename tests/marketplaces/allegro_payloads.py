"""Allegro payloads composed from the documented shapes (checkout form, journal event, command report and
tasks), with Polish / Ukrainian text and grosz amounts, for tests that must run without ../shared."""

from __future__ import annotations

import copy

FORM_ID = "5b4c2a1e-0f3d-4c8b-9a77-2d1e6f0a9b31"


def line_item(line_id: str = "a1b2c3d4-0000-4000-8000-000000000001", offer_id: str = "7893457231",
              sku: str = "KUBEK-ŻÓŁTY", quantity: int = 2, amount: str = "19.99",
              name: str = "Kubek ceramiczny „Zażółć gęślą jaźń”") -> dict:
    return {"id": line_id, "offer": {"id": offer_id, "name": name, "external": {"id": sku}}, "quantity": quantity,
            "originalPrice": {"amount": amount, "currency": "PLN"}, "price": {"amount": amount, "currency": "PLN"},
            "boughtAt": "2025-03-14T09:26:53.589Z"}


def form(status: str = "READY_FOR_PROCESSING", fulfillment: str = "NEW", payment: str = "ONLINE",
         lines: list[dict] | None = None, total: str = "49.97", **changes) -> dict:
    paid = {"amount": total, "currency": "PLN"} if payment == "ONLINE" and status == "READY_FOR_PROCESSING" else None
    body = {
        "id": FORM_ID, "messageToSeller": "Proszę o staranne zapakowanie",
        "buyer": {"id": "55512345", "email": "x7k2@allegromail.pl", "login": "galyna_94", "firstName": "Ґалина",
                  "lastName": "Щукіна-Wiśniewska", "companyName": None, "guest": False,
                  "phoneNumber": "+48 512 987 654",
                  "address": {"street": "ul. Świętokrzyska 12/4", "city": "Łódź", "postCode": "90-001",
                              "countryCode": "PL"}},
        "payment": {"id": "9c0e7d61-1111-4222-8333-444455556666", "type": payment,
                    "provider": None if payment == "CASH_ON_DELIVERY" else "P24",
                    "finishedAt": "2025-03-14T09:27:10.000Z" if paid else None, "paidAmount": paid},
        "status": status, "fulfillment": {"status": fulfillment, "shipmentSummary": {"lineItemsSent": "NONE"}},
        "delivery": {"address": {"firstName": "Ґалина", "lastName": "Щукіна-Wiśniewska",
                                 "street": "ul. Żeglarska 7", "city": "Gdańsk", "zipCode": "80-831",
                                 "countryCode": "PL", "companyName": None, "phoneNumber": "512987654"},
                     "method": {"id": "2488f7b7-5d1c-4d65-b85c-4cbcf253fd93",
                                "name": "Allegro Paczkomaty InPost pobranie"},
                     "pickupPoint": {"id": "GDA08M", "name": "Paczkomat GDA08M", "description": "Przy Żabce"},
                     "cost": {"amount": "10.00", "currency": "PLN"}},
        "lineItems": lines if lines is not None else [line_item()],
        "summary": {"totalToPay": {"amount": total, "currency": "PLN"}},
        "updatedAt": "2025-03-14T09:27:11.123Z", "revision": "0a1b2c3d", "marketplace": {"id": "allegro-pl"}}
    body.update(changes)
    return copy.deepcopy(body)


def event(event_id: str, kind: str, form_id: str = FORM_ID, revision: str = "0a1b2c3d") -> dict:
    return {"id": event_id, "type": kind, "occurredAt": "2025-03-14T09:27:11.123Z",
            "order": {"seller": {"id": "873910812"}, "buyer": {"id": "55512345"}, "lineItems": [line_item()],
                      "checkoutForm": {"id": form_id, "revision": revision}, "marketplace": {"id": "allegro-pl"}}}


def task(offer_id: str, status: str = "SUCCESS", code: str | None = None, message: str = "") -> dict:
    errors = [{"code": code, "message": message, "details": None, "path": None, "userMessage": message}] if code else []
    return {"field": "stock", "message": "", "offer": {"id": offer_id}, "status": status, "errors": errors}
