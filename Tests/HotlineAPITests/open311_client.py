#!/usr/bin/env python3
"""Reads hotline-api's Open311 GeoReport v2 endpoint with the published client `georeport`
(PyPI 0.3.1, which parses XML with xmltodict), in JSON and in XML, and compares the two formats
of every endpoint given. Prints one JSON document on standard output for the Swift test.
Fails loudly when georeport is missing.

    open311_client.py BASE_URL [--request ID]... [--compare PATH]...

BASE_URL is http://127.0.0.1:PORT/open311/v2; each --compare PATH (e.g. services, requests,
services/complaint, requests/12345-..., tokens/<token>, with a query string if needed) is fetched
as PATH.json and PATH.xml and compared after reading both into the same shape.
"""
import argparse
import json
import sys

try:
    import georeport
    import requests
    import xmltodict
except ImportError as error:  # loud, never a skip
    print(f"georeport, requests or xmltodict is not installed ({error}); ops/test installs ops/requirements-test.txt",
          file=sys.stderr)
    sys.exit(1)

# The GeoReport v2 list elements: a container's name and its items' name.
LISTS = {"services": "service", "service_requests": "request", "errors": "error", "attributes": "attribute",
         "values": "value"}


def leaf(value):
    """A leaf of either format in one comparable form (XML has text only)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    try:
        return round(float(text), 6) if text.strip() not in ("nan", "inf", "-inf", "infinity") else text
    except ValueError:
        return text


def from_json(value):
    if isinstance(value, list):
        return [from_json(v) for v in value]
    if isinstance(value, dict):
        return {k: from_json(v) for k, v in value.items()}
    return leaf(value)


def from_xml(value, name=None):
    if name in LISTS:
        items = [] if value is None else value.get(LISTS[name], [])
        return [from_xml(v) for v in items]
    if isinstance(value, dict):
        return {k: from_xml(v, k) for k, v in value.items()}
    return leaf(value)


def fetch_both(base, path):
    if "?" in path:
        resource, query = path.split("?", 1)
        query = "?" + query
    else:
        resource, query = path, ""
    out = {}
    for fmt in ("json", "xml"):
        response = requests.get(f"{base}/{resource}.{fmt}{query}", timeout=30)
        out[fmt] = (response.status_code, response.headers.get("content-type", ""), response.content)
    return out


def compare(base, path):
    both = fetch_both(base, path)
    (js, jtype, jbody), (xs, xtype, xbody) = both["json"], both["xml"]
    json_value = from_json(json.loads(jbody))
    parsed = xmltodict.parse(xbody, force_list=tuple(LISTS.values()))
    (root, body), = parsed.items()
    xml_value = from_xml(body, root)
    return {"path": path, "status": [js, xs], "types": [jtype, xtype], "root": root,
            "same": json_value == xml_value and js == xs, "json": json_value, "xml": xml_value}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("base")
    parser.add_argument("--request", action="append", default=[])
    parser.add_argument("--compare", action="append", default=[])
    args = parser.parse_args()
    out = {"georeport": georeport.__version__, "xmltodict": xmltodict.__version__}
    for fmt in ("json", "xml"):
        client = georeport.GeoReport(args.base, output_format=fmt)
        services = client.get_service_list()
        out[f"services_{fmt}"] = services
        out[f"definition_{fmt}"] = client.get_service_definition("complaint")
        out[f"list_{fmt}"] = client.get_service_requests(service_request_id=",".join(args.request)) if args.request else None
        out[f"recent_{fmt}"] = client.get_service_requests(status="open,closed")
        out[f"one_{fmt}"] = [client.get_service_request(r) for r in args.request]
    out["compared"] = [compare(args.base, path) for path in args.compare]
    json.dump(out, sys.stdout, ensure_ascii=False, default=str)


if __name__ == "__main__":
    main()
