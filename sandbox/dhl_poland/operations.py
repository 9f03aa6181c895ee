"""The DHL24 WebAPI2 operations the sandbox serves; each takes the parsed arguments, returns the Result data.

``createShipment`` (synchronous: id + label), ``getLabels`` (BLP / LBLP / ZBLP / LP),
``deleteShipments`` and the older single ``deleteShipment`` (fixture shape), ``getTrackAndTraceInfo``,
``getMyShipments`` (ids by creation date, 100 a page), ``getLabelsData`` (carries ``reference``;
one unknown id fails the whole call, as integrators report), ``getVersion``.
"""

from __future__ import annotations

import base64
from collections.abc import Callable

from sandbox.inpost.labels import LabelData, LabelFontMissing, pdf_label, register_font, zpl_label

from .soap import SoapFault
from .store import EVENTS, Shipment, Store
from .validation import LABEL_TYPES, first_problem

PAGE = 100
UNKNOWN = "Brak przesyłki o podanym numerze"


def _items(value: object) -> list:
    return value if isinstance(value, list) else [value] if value else []


def _label_data(shipment: Shipment) -> LabelData:
    receiver = shipment.party("receiver")
    flat = f"/{receiver['apartmentNumber']}" if receiver.get("apartmentNumber") else ""
    lines = [f"Odbiorca: {receiver.get('name', '')}",
             f"{receiver.get('street', '')} {receiver.get('houseNumber', '')}{flat}",
             f"{receiver.get('postalCode', '')} {receiver.get('city', '')}",
             f"Pobranie: {shipment.cod()} PLN" if shipment.cod() else "", f"Ref: {shipment.reference}"]
    return LabelData("DHL Parcel", shipment.id, shipment.service, tuple(line for line in lines if line.strip()))


def render_label(shipment: Shipment, kind: str, font: str) -> tuple[bytes, str]:
    """(file, MIME type) for a label type; ``LP`` (waybill) and ``LBLP`` are A4 pages."""
    data = _label_data(shipment)
    if kind == "ZBLP":
        return zpl_label(data, dpi=203).encode("utf-8"), "text/plain"  # [unv: the MIME type DHL24 states]
    try:
        return pdf_label(data, page="A6" if kind == "BLP" else "A4", font_path=font), "application/pdf"
    except LabelFontMissing as exc:
        raise SoapFault("SOAP-ENV:Server", str(exc)) from exc


class Operations:
    """Operation name -> handler, over one store; ``font`` is the label font path."""

    def __init__(self, store: Store, font: str):
        self.store, self.font = store, font
        self.handlers: dict[str, Callable[[dict], object]] = {
            "createShipment": self.create_shipment, "getLabels": self.get_labels,
            "deleteShipments": self.delete_shipments, "deleteShipment": self.delete_shipment,
            "getTrackAndTraceInfo": self.track, "getMyShipments": self.my_shipments,
            "getLabelsData": self.labels_data, "getVersion": lambda arguments: "4.0.0-sandbox"}

    def create_shipment(self, arguments: dict) -> dict:
        problem = first_problem(arguments)
        if problem:
            raise SoapFault("101", problem)
        try:
            register_font(self.font)  # refuse before storing: no shipment without its label
        except LabelFontMissing as exc:
            raise SoapFault("SOAP-ENV:Server", str(exc)) from exc
        shipment = self.store.create(arguments["shipment"])
        kind = (arguments["shipment"].get("shipmentInfo") or {}).get("labelType") or "BLP"
        content, _ = render_label(shipment, kind, self.font)
        return {"shipmentNotificationNumber": shipment.notification_number, "shipmentTrackingNumber": shipment.id,
                "packagesTrackingNumbers": [f"JJD00{shipment.id}{index:03d}" for index, _ in
                                            enumerate(_items(arguments["shipment"].get("pieceList")))],
                "dispatchNotificationNumber": "",
                "label": {"labelType": kind, "labelFormat": "ZPL" if kind == "ZBLP" else "PDF",
                          "labelContent": base64.b64encode(content).decode("ascii")}}

    def _shipment(self, shipment_id: object) -> Shipment:
        shipment = self.store.get(str(shipment_id or ""))
        if shipment is None:
            raise SoapFault("102", UNKNOWN)
        return shipment

    def get_labels(self, arguments: dict) -> list[dict]:
        answers = []
        for item in _items(arguments.get("itemsToPrint")):
            kind = item.get("labelType") if isinstance(item, dict) else None
            if kind not in LABEL_TYPES:
                raise SoapFault("101", "itemsToPrint.item.labelType: nieznany typ etykiety")
            shipment = self._shipment(item.get("shipmentId"))
            content, mime = render_label(shipment, kind, self.font)
            answers.append({"shipmentId": shipment.id, "labelType": kind,
                            "labelData": base64.b64encode(content).decode("ascii"), "labelMimeType": mime})
        return answers

    def _delete(self, shipment_id: str) -> dict:
        shipment = self.store.get(shipment_id)
        if shipment is None:
            return {"id": shipment_id, "result": False, "error": UNKNOWN}
        if not self.store.delete(shipment):
            return {"id": shipment_id, "result": False, "error": "Przesyłka została już odebrana przez kuriera"}
        return {"id": shipment_id, "result": True, "error": ""}

    def delete_shipments(self, arguments: dict) -> list[dict]:
        return [self._delete(str(shipment_id)) for shipment_id in _items(arguments.get("shipments"))]

    def delete_shipment(self, arguments: dict) -> dict:
        """The single form of the fixture ``deleteShipment_request.xml``."""
        shipment = arguments.get("shipment") if isinstance(arguments.get("shipment"), dict) else {}
        return self._delete(str(shipment.get("shipmentIdentificationNumber") or ""))

    def track(self, arguments: dict) -> dict:
        """Events newest first; an unknown or deleted id answers one ``ERR`` event, not a fault."""
        shipment_id = str(arguments.get("shipmentId") or "")
        shipment = self.store.get(shipment_id)
        if shipment is None:
            return {"shipmentId": shipment_id, "receivedBy": "",
                    "events": [{"status": "ERR", "description": EVENTS["ERR"], "terminal": "", "timestamp": ""}]}
        events = [{"status": code, "description": text, "terminal": terminal,
                   "timestamp": moment.strftime("%Y-%m-%d %H:%M:%S")}
                  for code, text, terminal, moment in reversed(shipment.events)]
        return {"shipmentId": shipment.id, "receivedBy": shipment.received_by, "events": events}

    def my_shipments(self, arguments: dict) -> list[dict]:
        first, last = str(arguments.get("createdFrom") or ""), str(arguments.get("createdTo") or "")
        offset = int(arguments.get("offset") or 0) if str(arguments.get("offset") or "0").isdigit() else 0
        found = self.store.created_between(first, last)[offset:offset + PAGE]
        return [{"shipmentId": s.id, "created": s.created.strftime("%Y-%m-%d %H:%M:%S"),
                 "shipper": {"name": s.party("shipper").get("name", "")},
                 "receiver": {"name": s.party("receiver").get("name", "")},
                 "orderStatus": "DELIVERED" if s.received_by else "CREATED"} for s in found]

    def labels_data(self, arguments: dict) -> list[dict]:
        shipments = [self._shipment(item.get("shipmentId") if isinstance(item, dict) else None)
                     for item in _items(arguments.get("itemsToLabelData"))]
        return [{"shipmentId": s.id, "reference": s.reference, "service": {"product": s.service},
                 "receiver": {key: value for key, value in s.party("receiver").items()}} for s in shipments]
