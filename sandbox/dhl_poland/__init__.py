"""A faithful fake DHL Parcel Poland DHL24 WebAPI2 (SOAP 1.1) for tests, demos and benchmarks.

It shares no code with the middleware (it reuses ``sandbox.inpost``'s label renderer and fault
injector). Facts from ``reference/couriers.md`` section 3 and ``fixtures/couriers/dhl_poland/``;
choices the reference does not settle are marked [unv].

Start it::

    python -m sandbox.dhl_poland --port 8094 --username U --password P [--host 127.0.0.1]
        [--delay SECONDS] [--hang-seconds 5]

(``--port 0`` picks a free port; the first line printed names the endpoint), or embed it:
``app = sandbox.dhl_poland.create_app(config)``; ``app.extensions["dhl_sandbox"]`` holds the
``store``, ``faults`` and ``operations``.

SOAP endpoint
-------------
``POST /webapi2/provider/service.html?ws=1`` (also ``/webapi2``), ``Content-Type: text/xml``. The
operation is the Body's element (``SOAPAction`` is not needed). Every operation carries
``authData {username, password}``; wrong ones -> fault 100 "Nieprawidlowe dane autoryzacyjne"
(the fixture's fault). Faults are ``<SOAP-ENV:Fault><faultcode/><faultstring/>`` with HTTP 500.

``createShipment``      -> ``createShipmentResult {shipmentNotificationNumber, shipmentTrackingNumber
    (the 11-digit id), packagesTrackingNumbers, dispatchNotificationNumber, label {labelType,
    labelFormat, labelContent (base64)}}``. Bad data -> fault 101 "<element path>: <Polish text>"
    [unv]; COD needs UBEZP >= the COD amount [unv].
``getLabels``           ``itemsToPrint[{labelType BLP|LBLP|ZBLP|LP, shipmentId}]`` -> items with ``labelData``
    (base64) and ``labelMimeType``. BLP = A6 PDF, LBLP/LP = A4 PDF, ZBLP = ZPL 203 dpi. Unknown id -> fault 102 [unv].
``deleteShipments``     ``shipments[id]`` -> ``[{id, result, error}]``; refused once picked up (any event
    but EDWP) [unv]. The single ``deleteShipment`` of the fixture works too.
``getTrackAndTraceInfo`` ``shipmentId`` -> ``{shipmentId, receivedBy, events[{status, description, terminal,
    timestamp}]}`` newest first; an unknown/deleted id answers one ``ERR`` event.
``getMyShipments``      ``createdFrom, createdTo, offset`` -> live shipments created on those dates, 100 a page.
``getLabelsData``       ``itemsToLabelData[{shipmentId}]`` -> items with ``reference``; one unknown id faults the call.
``getVersion``.

Config keys (``create_app``): ``USERNAME``, ``PASSWORD``, ``DELAY`` (0 s), ``HANG_SECONDS`` (5 s),
``LABEL_FONT`` (DejaVu Sans path), ``FIRST_ID`` (90012000001).

Control endpoints (no auth, JSON)
---------------------------------
``POST /__sandbox__/advance {"id", "status": "DWP", "terminal"?, "received_by"?}``  add a tracking event.
``POST /__sandbox__/fail {"status": 500 | "timeout", "count": 1}``  the next SOAP requests fail
    (plain-text 5xx, no SOAP fault, as from a proxy) or hang.
``POST /__sandbox__/delay {"seconds", "path"}``; ``POST /__sandbox__/lose_answer {"count": 1}``
    (the next createShipment is processed, the connection drops unanswered);
``GET /__sandbox__/shipments``; ``POST /__sandbox__/reset``. DHL24 sends no webhooks [?].
"""

from .app import create_app

__all__ = ["create_app"]
