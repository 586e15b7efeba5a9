"""Bad input on every TAXII route: a TAXII error message, nothing half-imported, nothing leaked.

Malformed filters, ``next`` tokens from another query, caller or collection or tampered with,
unacceptable media types, malformed JSON, huge bodies, deeply nested JSON, invalid objects
among valid ones, and SQL-like and script-like strings in every field.
"""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import quote

import pytest
from sqlalchemy import func, select

from comity.intel.models import IntelObject
from comity.intel.services import find_collection
from comity.intel.tlp import TLP2_IDS
from tests.taxii.conftest import (
    REQUEST_LIMIT,
    TAXII,
    TaxiiServer,
    assert_taxii_error,
    envelope,
    indicator,
)

HOSTILE = [
    "' OR '1'='1",
    "1; DROP TABLE intel_objects; --",
    '"); DELETE FROM users; --',
    "<script>alert(1)</script>",
    "javascript:alert(document.cookie)",
    "{{7*7}}${7*7}",
    "../../etc/passwd",
    "%00\u0000nul",
    "\u202eevil",
    "x" * 5000,
]


def stored_count(taxii: TaxiiServer, name: str) -> int:
    """How many object versions the collection holds."""
    with taxii.ctx.transaction() as session:
        collection = find_collection(session, name)
        return int(
            session.scalar(select(func.count()).where(IntelObject.collection_id == collection.id))
            or 0
        )


def post(taxii: TaxiiServer, name: str, body: bytes, **headers: str) -> Any:
    """POST ``body`` to the collection's objects as the administrator."""
    with taxii.admin() as client:
        return client.post(
            f"/taxii2/comity/collections/{name}/objects/",
            content=body,
            headers={"Content-Type": TAXII, **headers},
        )


BAD_FILTERS = [
    {"limit": "0"},
    {"limit": "-5"},
    {"limit": "ten"},
    {"limit": "1.5"},
    {"limit": ""},
    {"limit": "9" * 40},
    {"added_after": "yesterday"},
    {"added_after": "2026-02-30T00:00:00Z"},
    {"added_after": "2026-01-01T00:00:00+05:30"},
    {"added_after": "2026-01-01 00:00:00Z"},
    {"match[id]": "not-an-id"},
    {"match[id]": "indicator--1234"},
    {"match[id]": ","},
    {"match[type]": "Indicator"},
    {"match[type]": "a b"},
    {"match[type]": ""},
    {"match[version]": "latest"},
    {"match[version]": "2026-01-01"},
    {"match[spec_version]": "two"},
    {"match[spec_version]": "2.1,"},
    {"match[type]": ",".join(["indicator"] * 101)},
    {"next": ""},
]


@pytest.mark.parametrize("params", BAD_FILTERS, ids=[str(p) for p in BAD_FILTERS])
def test_malformed_filters_are_400(taxii: TaxiiServer, params: dict[str, str]) -> None:
    name = taxii.collection("filters")
    with taxii.admin() as client:
        for suffix in ("objects/", "manifest/"):
            doc = assert_taxii_error(
                client.get(f"/taxii2/comity/collections/{name}/{suffix}", params=params), 400
            )
            assert doc["error_code"] == "invalid-filter"


def test_repeated_single_filters_are_400_and_match_lists_add_up(taxii: TaxiiServer) -> None:
    name = taxii.collection("repeat")
    objects = [indicator(), indicator()]
    taxii.seed(name, objects)
    base = f"/taxii2/comity/collections/{name}/objects/"
    with taxii.admin() as client:
        assert_taxii_error(client.get(f"{base}?limit=1&limit=2"), 400)
        twice = "added_after=2026-01-01T00:00:00Z&added_after=2026-01-02T00:00:00Z"
        assert_taxii_error(client.get(f"{base}?{twice}"), 400)
        both = client.get(f"{base}?match[id]={objects[0]['id']}&match[id]={objects[1]['id']}")
        assert len(both.json()["objects"]) == 2
        # A limit above the cap is lowered, not refused; unknown parameters are ignored.
        assert client.get(f"{base}?limit=100000000&match[color]=red&foo=bar").status_code == 200


def test_next_token_from_another_query_caller_or_collection_or_tampered(
    taxii: TaxiiServer,
) -> None:
    name, other_name = taxii.collection("next"), taxii.collection("next-other")
    taxii.seed(name, [indicator() for _ in range(5)])
    taxii.seed(other_name, [indicator() for _ in range(5)])
    peer = taxii.peer()
    taxii.share(name, peer)
    base = f"/taxii2/comity/collections/{name}/objects/"
    with taxii.admin() as admin:
        token = admin.get(base, params={"limit": 2}).json()["next"]
        # Same query: fine, also with another limit.
        ok = admin.get(base, params={"limit": 1, "next": token})
        assert ok.status_code == 200 and len(ok.json()["objects"]) == 1
        refused = [
            admin.get(base, params={"limit": 2, "next": token, "match[type]": "indicator"}),
            admin.get(base, params={"next": token, "added_after": "2020-01-01T00:00:00Z"}),
            admin.get(f"/taxii2/comity/collections/{name}/manifest/", params={"next": token}),
            admin.get(f"/taxii2/comity/collections/{other_name}/objects/", params={"next": token}),
        ]
        tampered = [
            token[:-1] + ("A" if token[-1] != "A" else "B"),
            token[:10] + ("A" if token[10] != "A" else "B") + token[11:],
            token[:-4],
            token + "AAAA",
            "x" * len(token),
            "' OR '1'='1",
            "<script>alert(1)</script>",
            "%%%%",
        ]
        refused += [admin.get(base, params={"next": t}) for t in tampered]
    with taxii.client(peer.token) as client:
        refused.append(client.get(base, params={"next": token}))  # another caller
    for response in refused:
        doc = assert_taxii_error(response, 400)
        assert doc["error_code"] in ("invalid-next", "invalid-filter"), doc


@pytest.mark.parametrize(
    "accept",
    [
        "application/json",
        "application/taxii+json;version=2.0",
        "text/html",
        "application/stix+json;version=2.1",
        "application/taxii+json;version=2.1;q=0",
        "<script>alert(1)</script>",
    ],
)
def test_unacceptable_accept_is_406(taxii: TaxiiServer, accept: str) -> None:
    name = taxii.collection("accept")
    with taxii.admin() as client:
        for path in ("/taxii2/", f"/taxii2/comity/collections/{name}/objects/"):
            doc = assert_taxii_error(client.get(path, headers={"Accept": accept}), 406)
            assert doc["error_code"] == "not-acceptable"


@pytest.mark.parametrize(
    "accept",
    ["*/*", "application/*", "application/taxii+json", "text/html, application/taxii+json"],
)
def test_acceptable_accept_headers(taxii: TaxiiServer, accept: str) -> None:
    with taxii.admin() as client:
        response = client.get("/taxii2/", headers={"Accept": accept})
    assert response.status_code == 200
    assert response.headers["content-type"] == TAXII


@pytest.mark.parametrize(
    "content_type",
    [
        "application/json",
        "text/plain",
        "application/taxii+json;version=2.0",
        "application/stix+json;version=2.1",
        "",
        "application/taxii+json;version=2.1, application/json",
    ],
)
def test_wrong_content_type_is_415_and_stores_nothing(
    taxii: TaxiiServer, content_type: str
) -> None:
    name = taxii.collection("ctype")
    response = post(taxii, name, envelope([indicator()]), **{"Content-Type": content_type})
    assert assert_taxii_error(response, 415)["error_code"] == "unsupported-media-type"
    assert stored_count(taxii, name) == 0


@pytest.mark.parametrize(
    "body",
    [
        b"{",
        b"",
        b"null",
        b"[]",
        b'"objects"',
        b'{"objects": {}}',
        b'{"objects": "indicator"}',
        b"\xff\xfe{}",
        b'{"objects": [NaN]}',
        b"[" * 100_000 + b"]" * 100_000,
        b'{"a":' * 5000 + b"1" + b"}" * 5000,
    ],
    ids=lambda b: repr(b[:20]),
)
def test_malformed_envelopes_are_400_and_store_nothing(taxii: TaxiiServer, body: bytes) -> None:
    name = taxii.collection("malformed")
    doc = assert_taxii_error(post(taxii, name, body), 400)
    assert doc["error_code"] in ("invalid-envelope", "invalid-input"), doc
    assert stored_count(taxii, name) == 0


def test_deeply_nested_object_inside_a_valid_envelope(taxii: TaxiiServer) -> None:
    name = taxii.collection("nested")
    obj = indicator()
    nested = '{"x":' * 3000 + "1" + "}" * 3000
    body = envelope([obj]).replace(b'"name": ', b'"x_nested": ' + nested.encode() + b', "name": ')
    assert_taxii_error(post(taxii, name, body), 400)
    assert stored_count(taxii, name) == 0


def test_huge_body_is_413(taxii: TaxiiServer) -> None:
    name = taxii.collection("huge")
    obj = indicator()
    obj["description"] = "A" * (REQUEST_LIMIT + 10)
    doc = assert_taxii_error(post(taxii, name, envelope([obj])), 413)
    assert doc["http_status"] == "413"
    assert stored_count(taxii, name) == 0


@pytest.mark.parametrize(
    "bad",
    [
        {"type": "indicator"},
        {**indicator(), "modified": "not a time"},
        {**indicator(), "created": "2026-02-01T00:00:00Z", "modified": "2026-01-01T00:00:00Z"},
        {**indicator(), "spec_version": "2.0"},
        {**indicator(), "id": "indicator--' OR 1=1 --"},
        {**indicator(), "object_marking_refs": [f"marking-definition--{uuid.uuid4()}"]},
        {**indicator(), "object_marking_refs": "TLP:RED"},
        "a string",
        None,
    ],
    ids=lambda b: str(b)[:40],
)
def test_one_invalid_object_refuses_the_whole_envelope(taxii: TaxiiServer, bad: Any) -> None:
    name = taxii.collection("atomic")
    body = envelope([indicator(), indicator(), bad, indicator()])
    doc = assert_taxii_error(post(taxii, name, body), 400)
    assert doc["details"]["rejected"][0]["index"] == 2
    assert stored_count(taxii, name) == 0


def test_duplicate_ids_in_one_envelope_refuse_it(taxii: TaxiiServer) -> None:
    name = taxii.collection("dups")
    obj = indicator()
    doc = assert_taxii_error(post(taxii, name, envelope([obj, indicator(), obj])), 400)
    assert "duplicate" in doc["details"]["rejected"][0]["reason"]
    assert stored_count(taxii, name) == 0


def test_hostile_strings_in_paths_are_plain_not_found(taxii: TaxiiServer) -> None:
    name = taxii.collection("paths")
    taxii.seed(name, [indicator()])
    with taxii.admin() as client:
        for text in HOSTILE:
            quoted = quote(text, safe="")
            for path in (
                f"/taxii2/comity/collections/{quoted}/",
                f"/taxii2/comity/collections/{quoted}/objects/",
                f"/taxii2/comity/collections/{name}/objects/{quoted}/",
                f"/taxii2/comity/collections/{name}/objects/{quoted}/versions/",
                f"/taxii2/comity/status/{quoted}/",
            ):
                response = client.get(path)
                assert response.status_code in (404, 400), (path, response.text)
                assert_taxii_error(response, response.status_code)
            assert_taxii_error(
                client.delete(f"/taxii2/comity/collections/{name}/objects/{quoted}/"), 404
            )
    assert stored_count(taxii, name) == 1


def test_hostile_strings_in_filters_are_400_never_500(taxii: TaxiiServer) -> None:
    name = taxii.collection("hfilters")
    with taxii.admin() as client:
        for text in HOSTILE:
            for parameter in (
                "added_after",
                "limit",
                "next",
                "match[id]",
                "match[type]",
                "match[version]",
                "match[spec_version]",
            ):
                response = client.get(
                    f"/taxii2/comity/collections/{name}/objects/", params={parameter: text}
                )
                assert_taxii_error(response, 400)


def test_hostile_strings_in_every_field_are_stored_and_served_verbatim(
    taxii: TaxiiServer,
) -> None:
    name = taxii.collection("verbatim")
    objects = []
    for text in HOSTILE[:-1]:
        obj = indicator()
        obj.update(
            name=text,
            description=text,
            pattern=f"[domain-name:value = '{text}']",
            labels=[text],
            x_comity_note={text[:50]: text},
            external_references=[{"source_name": text, "url": text}],
        )
        objects.append(obj)
    response = post(taxii, name, envelope(objects))
    assert response.status_code == 202, response.text
    with taxii.admin() as client:
        served = client.get(f"/taxii2/comity/collections/{name}/objects/").json()["objects"]
    assert served == objects
    assert stored_count(taxii, name) == len(objects)
    # The tables are still there.
    with taxii.ctx.transaction() as session:
        assert session.scalar(select(func.count()).select_from(IntelObject))


def test_unknown_routes_and_methods_answer_taxii_errors(taxii: TaxiiServer) -> None:
    name = taxii.collection("routes")
    with taxii.admin() as client:
        assert_taxii_error(client.get("/taxii2/other-root/"), 404)
        assert_taxii_error(client.get(f"/taxii2/comity/collections/{name}/nothing/"), 404)
        assert_taxii_error(client.put(f"/taxii2/comity/collections/{name}/objects/"), 405)
        assert_taxii_error(client.delete(f"/taxii2/comity/collections/{name}/"), 405)


def test_marking_levels_cannot_be_escaped_by_markings_from_the_envelope(
    taxii: TaxiiServer,
) -> None:
    """An object marked RED and GREEN is RED: the most restrictive marking counts."""
    name = taxii.collection("markings")
    peer = taxii.peer()
    taxii.share(name, peer, tlp="amber+strict")
    obj = indicator("green")
    obj["object_marking_refs"] = [TLP2_IDS["green"], TLP2_IDS["red"]]
    assert post(taxii, name, envelope([obj])).status_code == 202
    with taxii.client(peer.token) as client:
        assert client.get(f"/taxii2/comity/collections/{name}/objects/").json() == {}
