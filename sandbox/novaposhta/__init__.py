"""A faithful fake Nova Poshta API 2.0 for tests, demos and benchmarks.

It imports nothing of the middleware. Facts from ``reference/couriers.md`` section 2 and the NP
fixtures; choices the reference does not settle are marked [unv] in the modules.

Start it::

    python -m sandbox.novaposhta --port 8093 [--host 127.0.0.1] [--api-key KEY] [--today dd.mm.yyyy]
        [--hang-seconds 5]

(``--port 0`` picks a free port; the first line printed names it), or embed it:
``app = sandbox.novaposhta.create_app(config)``; ``app.extensions["np_sandbox"]`` holds the store.

API: ``POST /v2.0/json/`` with ``{apiKey, modelName, calledMethod, methodProperties}``
------------------------------------------------------------------------------------
Always HTTP 200 with ``{success, data, errors, warnings, info, messageCodes, errorCodes,
warningCodes, infoCodes}``. A wrong key -> ``errors ["API auth fail"], errorCodes ["20000200068"]``;
no key -> 20000200069 (tracking answers without a key, with fewer details).

``InternetDocument.save``        validated like NP (codes in ``validation.py``: phone 380XXXXXXXXX,
    Cyrillic full name, Refs, DateTime not before today in Kyiv, OptionsSeat for lockers, COD rules)
    -> ``data [{Ref, CostOnSite, EstimatedDeliveryDate, IntDocNumber, TypeDocument}]``; TTNs are
    sequential 14-digit numbers from 20450000000001.
``InternetDocument.delete``      ``{DocumentRefs}``: only in status 1 (created, not handed over); else
    20000201173 [unv]; unknown or deleted Refs -> 20000200564.
``InternetDocument.getDocumentList`` ``{DateTimeFrom, DateTimeTo, GetFullList|Page/Limit}`` -> items
    with ``Ref, IntDocNumber, InfoRegClientBarcodes, StateId, StateName, ...``; deleted ones hidden.
``TrackingDocument.getStatusDocuments`` ``{Documents: [{DocumentNumber, Phone}]}``, at most 100
    (more -> error); ``StatusCode`` strings, ``DateScan`` "HH:MM dd.mm.yyyy", unknown -> "3".

Printed forms (the key in the URL, failures as HTML with HTTP 200): ``GET /orders/printMarking100x100/
orders[]/<Ref|TTN,...>/type/pdf/apiKey/<key>[/zebra]`` (100x100 mm pages), ``printMarking85x85/.../type/pdf8``
(85x85 mm), ``printDocument/...`` (A4). Cyrillic in DejaVu Sans (``FONT_PATH``).

Config keys (``create_app``): ``API_KEY``, ``NUMBER_START``, ``HANG_SECONDS`` (5), ``FONT_PATH``,
``TODAY`` (pin the Kyiv date), ``LIST_PAGE_SIZE`` (100).

Control endpoints (no auth, JSON)
---------------------------------
``POST /__sandbox__/advance`` ``{"number" | "ref", "status_code"?}`` or ``{"all": true}``: next step of
    the journey (1 -> 4 -> 5 -> 6 -> 7 | 8 (locker) | 101 (doors) -> 9 -> 10 -> 11 with COD) or a given code.
``POST /__sandbox__/fail`` ``{"status": 500 | "timeout" | "lost", "count": 1, "path": ""}`` (``faults.py``).
``GET  /__sandbox__/documents``, ``GET /__sandbox__/calls`` (per-method call counts), ``POST /__sandbox__/reset``.
"""

from .app import create_app

__all__ = ["create_app"]
