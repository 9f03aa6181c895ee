"""SOAP 1.1 plumbing of the DHL24 sandbox: read a request envelope, write answers and faults.

Faults are shaped like the fixture ``dhl_poland/soap_fault_response.xml`` and sent with HTTP 500,
as a PHP SoapServer does. Answers put ``<op>Response`` in the service namespace, like the fixtures.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from xml.sax.saxutils import escape, quoteattr

from flask import Response

NS = "https://dhl24.com.pl/webapi2/provider/service.html?ws=1"
SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
XML_TYPE = "text/xml; charset=utf-8"


class SoapFault(Exception):
    """Answered as ``<SOAP-ENV:Fault><faultcode/><faultstring/>`` with HTTP 500."""

    def __init__(self, code: str, text: str):
        super().__init__(text)
        self.code, self.text = code, text


def local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def tree(element: ET.Element) -> object:
    """Element -> plain data: text for leaves, a list for ``<item>`` arrays, else a dict by local name."""
    children = list(element)
    if not children:
        return (element.text or "").strip()
    if all(local(child.tag) == "item" for child in children):
        return [tree(child) for child in children]
    return {local(child.tag): tree(child) for child in children}


def read_request(raw: bytes) -> tuple[str, dict]:
    """(operation name, its arguments as data) from a request envelope; SoapFault when unreadable."""
    try:
        root = ET.fromstring(raw)
    except ET.ParseError as exc:
        raise SoapFault("SOAP-ENV:Client", "Bad Request: the body is not XML") from exc
    body = next((node for node in root.iter() if local(node.tag) == "Body"), None)
    operation = next(iter(body), None) if body is not None else None
    if operation is None:
        raise SoapFault("SOAP-ENV:Client", "Bad Request: no SOAP Body")
    arguments = tree(operation)
    return local(operation.tag), arguments if isinstance(arguments, dict) else {}


def _element(tag: str, value: object) -> ET.Element:
    element = ET.Element(tag)
    if isinstance(value, dict):
        element.extend(_element(key, child) for key, child in value.items() if child is not None)
    elif isinstance(value, list):
        element.extend(_element("item", child) for child in value)
    elif isinstance(value, bool):
        element.text = "true" if value else "false"
    else:
        element.text = str(value)
    return element


def _envelope(inner: str) -> str:
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<SOAP-ENV:Envelope xmlns:SOAP-ENV="{SOAP_ENV}">'
            f"<SOAP-ENV:Body>{inner}</SOAP-ENV:Body></SOAP-ENV:Envelope>")


def answer(operation: str, result: object) -> Response:
    """``<operation>Response xmlns=NS><operation>Result>...`` in an envelope, HTTP 200."""
    inner = ET.tostring(_element(f"{operation}Result", result), encoding="unicode")
    body = _envelope(f"<{operation}Response xmlns={quoteattr(NS)}>{inner}</{operation}Response>")
    return Response(body.encode("utf-8"), status=200, content_type=XML_TYPE)


def fault_response(fault: SoapFault) -> Response:
    inner = (f"<SOAP-ENV:Fault><faultcode>{escape(fault.code)}</faultcode>"
             f"<faultstring>{escape(fault.text)}</faultstring></SOAP-ENV:Fault>")
    return Response(_envelope(inner).encode("utf-8"), status=500, content_type=XML_TYPE)
