"""The ``modelName.calledMethod`` handlers of the sandbox's single JSON endpoint.

Every handler takes ``(methodProperties, Context)`` and returns NP's envelope
``{success, data, errors, warnings, info, messageCodes, errorCodes, warningCodes, infoCodes}``;
the HTTP status is always 200.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from .store import STATUS_TEXT, Document
from .validation import err, number, parse_date, validate_save

MAX_TRACKED = 100


@dataclass
class Context:
    state: Any  # the NpSandbox
    key_ok: bool
    today: date


def answer(data: list | None = None, errors: list[tuple[str | None, str]] = (), info: Any = None) -> dict:
    """NP's envelope; ``errors`` are ``(code, text)`` (a None code adds no ``errorCodes`` entry)."""
    return {"success": not errors, "data": data or [], "errors": [text for _, text in errors], "warnings": [],
            "info": info if info is not None else [], "messageCodes": [],
            "errorCodes": [code for code, _ in errors if code], "warningCodes": [], "infoCodes": []}


def _json_number(value: object) -> int | float:
    amount = number(value) or Decimal(0)
    return int(amount) if amount == amount.to_integral_value() else float(amount)


def _cod_amount(doc: Document) -> Decimal:
    backward = doc.props.get("BackwardDeliveryData") or []
    money = [number(item.get("RedeliveryString")) for item in backward if isinstance(item, dict)]
    return sum((m for m in money if m is not None), Decimal(0))


def _cost_on_site(props: dict) -> int:
    weight = number(props.get("Weight")) or Decimal(0)
    cod = Decimal(20) if props.get("BackwardDeliveryData") else Decimal(0)
    return int(60 + weight * 5 + (number(props.get("Cost")) or 0) * Decimal("0.005") + cod)


def save(props: dict, ctx: Context) -> dict:
    """``InternetDocument.save``: validate, then a new TTN (sequential, 14 digits) and Ref."""
    errors = validate_save(props, ctx.today)
    if errors:
        return answer(errors=errors)
    ship_date = parse_date(props["DateTime"])
    doc = ctx.state.store.add(props, ship_date)
    return answer([{"Ref": doc.ref, "CostOnSite": _cost_on_site(props),
                    "EstimatedDeliveryDate": (ship_date + timedelta(days=2)).strftime("%d.%m.%Y"),
                    "IntDocNumber": doc.number, "TypeDocument": "InternetDocument"}])


def delete(props: dict, ctx: Context) -> dict:
    """``InternetDocument.delete {DocumentRefs}``: only documents still in status 1 [unv: the code]."""
    refs = props.get("DocumentRefs")
    refs = refs if isinstance(refs, list) else [r for r in str(refs or "").split(",") if r.strip()]
    if not refs:
        return answer(errors=[err("20000200565")])
    with ctx.state.store.lock:
        docs = [ctx.state.store.by_ref.get(str(r).strip()) for r in refs]
        live = [d for d in docs if d is not None and not d.deleted]
        if not live:
            return answer(errors=[err("20000200564")])
        if any(d.status != "1" for d in live):
            return answer(errors=[err("20000201173")])
        for doc in live:
            doc.set_status("2")
    return answer([{"Ref": doc.ref} for doc in live])


def _list_item(doc: Document) -> dict:
    p = doc.props
    return {"Ref": doc.ref, "DateTime": doc.ship_date.strftime("%d.%m.%Y"), "IntDocNumber": doc.number,
            "EWDateCreated": doc.created.strftime("%d.%m.%Y"), "Weight": str(p.get("Weight", "")),
            "SeatsAmount": str(p.get("SeatsAmount", "")), "Cost": str(p.get("Cost", "")),
            "CitySender": p.get("CitySender", ""), "CityRecipient": p.get("CityRecipient", ""),
            "SenderAddress": p.get("SenderAddress", ""), "RecipientAddress": p.get("RecipientAddress", ""),
            "CostOnSite": str(_cost_on_site(p)), "PayerType": p.get("PayerType", ""),
            "PaymentMethod": p.get("PaymentMethod", ""), "ServiceType": p.get("ServiceType", ""),
            "AfterpaymentOnGoodsCost": str(p.get("AfterpaymentOnGoodsCost", "")),
            "InfoRegClientBarcodes": p.get("InfoRegClientBarcodes", ""), "StateId": doc.status,
            "StateName": STATUS_TEXT.get(doc.status, "")}


def document_list(props: dict, ctx: Context) -> dict:
    """``InternetDocument.getDocumentList``: documents whose DateTime is in [DateTimeFrom, DateTimeTo].

    Without ``GetFullList: "1"`` the list is paged (``Page`` from 1, ``Limit`` 100 [unv]); deleted
    documents are not listed [unv].
    """
    date_to = parse_date(props.get("DateTimeTo")) or ctx.today
    date_from = parse_date(props.get("DateTimeFrom")) or date_to
    docs = sorted((d for d in ctx.state.store.documents() if not d.deleted and date_from <= d.ship_date <= date_to),
                  key=lambda d: d.created)
    total = len(docs)
    if str(props.get("GetFullList", "0")) != "1":
        limit = int(number(props.get("Limit")) or ctx.state.config["LIST_PAGE_SIZE"])
        page = max(1, int(number(props.get("Page")) or 1))
        docs = docs[(page - 1) * limit: page * limit]
    return answer([_list_item(d) for d in docs], info={"totalCount": total})


def _not_found(number_: str) -> dict:
    blank = ("RecipientFullName", "RedeliverySum", "AfterpaymentOnGoodsCost", "AnnouncedPrice", "ClientBarcode",
             "LastTransactionDateTimeGM", "SenderAddress", "RecipientAddress")
    return {"Number": number_, "StatusCode": "3", "Status": STATUS_TEXT["3"], **{k: "" for k in blank}}


def _tracked(doc: Document, full: bool) -> dict:
    p, (_, scanned) = doc.props, doc.history[-1]
    cod = _cod_amount(doc)
    item = {"Number": doc.number, "StatusCode": doc.status, "Status": STATUS_TEXT.get(doc.status, ""),
            "DateCreated": doc.created.strftime("%d-%m-%Y %H:%M:%S"), "DateScan": scanned.strftime("%H:%M %d.%m.%Y"),
            "TrackingUpdateDate": scanned.strftime("%Y-%m-%d %H:%M:%S"), "ServiceType": p.get("ServiceType", ""),
            "CargoType": p.get("CargoType", ""), "PayerType": p.get("PayerType", ""),
            "DocumentWeight": _json_number(p.get("Weight")), "SeatsAmount": str(p.get("SeatsAmount", "")),
            "DocumentCost": str(_cost_on_site(p)), "AnnouncedPrice": _json_number(p.get("Cost")), "RefEW": doc.ref,
            "ClientBarcode": p.get("InfoRegClientBarcodes", ""), "Redelivery": 1 if cod else 0,
            "RedeliverySum": _json_number(cod), "AfterpaymentOnGoodsCost": _json_number(p.get("AfterpaymentOnGoodsCost"))}
    if full:
        item.update({"RecipientFullName": p.get("RecipientName", ""), "PhoneSender": p.get("SendersPhone", ""),
                     "PhoneRecipient": p.get("RecipientsPhone", ""), "CounterpartySenderDescription": "Приватна особа"})
    return item


def status_documents(props: dict, ctx: Context) -> dict:
    """``TrackingDocument.getStatusDocuments``: at most 100 ``{DocumentNumber, Phone}`` per call.

    Full details (names, phones) only with a valid apiKey and the sender's or recipient's phone.
    A malformed number fails the whole call (20001401442); an unknown one is StatusCode "3".
    """
    documents = props.get("Documents")
    if not isinstance(documents, list) or not documents:
        return answer(errors=[err("20000200159")])
    if len(documents) > MAX_TRACKED:
        return answer(errors=[(None, f"Documents count can not be more than {MAX_TRACKED}")])
    items = []
    for entry in documents:
        entry = entry if isinstance(entry, dict) else {}
        wanted = str(entry.get("DocumentNumber", "")).strip()
        if not re.fullmatch(r"\d{14}", wanted):
            return answer(errors=[err("20001401442")])
        doc = ctx.state.store.by_number.get(wanted)
        phone = str(entry.get("Phone") or "")
        full = doc is not None and ctx.key_ok and phone in (doc.props.get("SendersPhone"), doc.props.get("RecipientsPhone"))
        items.append(_not_found(wanted) if doc is None else _tracked(doc, full))
    return answer(items)


METHODS = {
    ("InternetDocument", "save"): save,
    ("InternetDocument", "delete"): delete,
    ("InternetDocument", "getDocumentList"): document_list,
    ("TrackingDocument", "getStatusDocuments"): status_documents,
}
#: Methods that answer without an apiKey (tracking, with fewer details).
PUBLIC = frozenset({("TrackingDocument", "getStatusDocuments")})
