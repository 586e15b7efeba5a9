"""The TAXII 2.1 server with the OASIS client library ``taxii2-client``, over real HTTP.

Discovery, API root, collections, paging through everything (also while objects are added
between pages), adding objects and polling the status, versions, manifest and delete.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
from taxii2client.common import TokenAuth
from taxii2client.v21 import ApiRoot, Collection, Server, as_pages

from comity.identity.audit import verify_audit
from comity.identity.models import AuditEvent
from tests.taxii.conftest import TAXII, TaxiiServer, indicator


def collection_client(taxii: TaxiiServer, name: str, token: str | None = None) -> Collection:
    """A ``taxii2-client`` Collection for the collection ``name`` (by its id, as discovered)."""
    url = f"{taxii.root}collections/{taxii.collection_id(name)}/"
    return Collection(url, auth=TokenAuth(token or taxii.admin_token))


def test_discovery_api_root_and_collections(taxii: TaxiiServer) -> None:
    name = taxii.collection("discover")
    server = Server(f"{taxii.url}/taxii2/", auth=TokenAuth(taxii.admin_token))
    assert "CBI" in server.title
    assert [root.url for root in server.api_roots] == [taxii.root]
    assert server.default is not None and server.default.url == taxii.root
    root: ApiRoot = server.default
    assert root.versions == [TAXII]
    assert root.max_content_length > 0
    found = {c.alias: c for c in root.collections}
    assert name in found
    collection = found[name]
    assert collection.id == taxii.collection_id(name)
    assert collection.title == f"Title {name}"
    assert collection.can_read and collection.can_write
    assert collection.media_types == ["application/stix+json;version=2.1"]
    # The collection resource by id and by alias.
    with taxii.admin() as client:
        by_id = client.get(f"{taxii.root}collections/{collection.id}/")
        by_alias = client.get(f"{taxii.root}collections/{name}/")
    assert by_id.status_code == by_alias.status_code == 200
    assert by_id.json() == by_alias.json()
    assert by_id.headers["content-type"] == TAXII


def test_paging_through_everything_with_small_limits(taxii: TaxiiServer) -> None:
    name = taxii.collection("paging")
    objects = [indicator(["clear", "green", "amber", "red"][i % 4]) for i in range(157)]
    taxii.seed(name, objects)
    expected = [o["id"] for o in objects]
    collection = collection_client(taxii, name)
    for per_request in (1, 7, 50, 156, 157, 1000):
        seen: list[str] = []
        for page in as_pages(collection.get_objects, per_request=per_request):
            seen.extend(o["id"] for o in page.get("objects", []))
        assert seen == expected, per_request  # everything, once, in date_added order


def test_objects_added_between_pages_are_neither_skipped_nor_repeated(
    taxii: TaxiiServer,
) -> None:
    name = taxii.collection("between")
    first = [indicator() for _ in range(30)]
    taxii.seed(name, first)
    collection = collection_client(taxii, name)
    seen: list[tuple[str, str]] = []
    added: list[tuple[str, str]] = []
    envelope_ = collection.get_objects(limit=10)
    pages = 0
    while True:
        pages += 1
        seen.extend((o["id"], o["modified"]) for o in envelope_.get("objects", []))
        if pages <= 3:  # add objects between pages
            batch = [indicator() for _ in range(4)]
            if pages == 1:  # and a new version of an object already served
                batch.append(indicator(stix_id=first[0]["id"], modified="2026-03-01T00:00:00Z"))
            taxii.seed(name, batch)
            added.extend((o["id"], o["modified"]) for o in batch)
        if not envelope_.get("more"):
            break
        envelope_ = collection.get_objects(limit=10, next=envelope_["next"])
    assert seen == [(o["id"], o["modified"]) for o in first] + added
    assert len(set(seen)) == len(seen)


def test_dates_added_are_strictly_increasing_and_in_the_headers(taxii: TaxiiServer) -> None:
    name = taxii.collection("dates")
    taxii.seed(name, [indicator() for _ in range(12)])
    with taxii.admin() as client:
        url = f"{taxii.root}collections/{name}/manifest/"
        response = client.get(url, params={"limit": 5})
        manifest = response.json()
        more = client.get(url, params={"limit": 5, "next": manifest["next"]}).json()
    dates = [r["date_added"] for r in manifest["objects"] + more["objects"]]
    assert dates == sorted(dates) and len(set(dates)) == len(dates)
    assert response.headers["X-TAXII-Date-Added-First"] == dates[0]
    assert response.headers["X-TAXII-Date-Added-Last"] == dates[4]
    # added_after continues exactly after a page's last date.
    with taxii.admin() as client:
        after = client.get(
            f"{taxii.root}collections/{name}/objects/",
            params={"added_after": dates[4], "limit": 3},
        )
    assert after.headers["X-TAXII-Date-Added-First"] == dates[5]
    assert len(after.json()["objects"]) == 3


def test_empty_collection_answers_an_empty_envelope(taxii: TaxiiServer) -> None:
    name = taxii.collection("empty")
    with taxii.admin() as client:
        response = client.get(f"{taxii.root}collections/{name}/objects/")
        manifest = client.get(f"{taxii.root}collections/{name}/manifest/")
    assert response.status_code == 200 and response.json() == {}
    assert "X-TAXII-Date-Added-First" not in response.headers
    assert manifest.json() == {}


def test_add_objects_and_poll_the_status(taxii: TaxiiServer) -> None:
    name = taxii.collection("add")
    collection = collection_client(taxii, name)
    objects = [indicator(), indicator("amber"), indicator(None)]
    status = collection.add_objects(json.dumps({"objects": objects}))
    assert status.status == "complete"
    assert (status.total_count, status.success_count, status.failure_count) == (3, 3, 0)
    assert {s["id"] for s in status.successes} == {o["id"] for o in objects}
    root = ApiRoot(taxii.root, auth=TokenAuth(taxii.admin_token))
    polled = root.get_status(status.id)
    assert polled.status == "complete" and polled.success_count == 3
    # The same objects again: nothing new, every one reported as already present.
    again = collection.add_objects({"objects": objects})
    assert again.success_count == 3
    assert {s["message"] for s in again.successes} == {"already present"}
    stored = collection.get_objects()["objects"]
    assert [o["id"] for o in stored] == [o["id"] for o in objects]
    # The unmarked one got the node's default TLP, AMBER.
    assert stored[2]["object_marking_refs"][0].startswith("marking-definition--55d920b0")


def test_versions_manifest_and_version_filters(taxii: TaxiiServer) -> None:
    name = taxii.collection("versions")
    stix_id = f"indicator--{uuid.uuid4()}"
    # Written with different precisions: 00.5Z is later than 00Z although it sorts lower.
    stamps = ["2026-01-01T00:00:00Z", "2026-01-01T00:00:00.5Z", "2026-01-01T00:00:00.250Z"]
    for stamp in stamps:
        taxii.seed(name, [indicator(stix_id=stix_id, created=stamps[0], modified=stamp)])
    other = indicator()
    taxii.seed(name, [other])
    collection = collection_client(taxii, name)
    versions = collection.object_versions(stix_id)
    assert versions["versions"] == stamps  # by date_added
    assert collection.get_object(stix_id)["objects"][0]["modified"] == stamps[1]  # last
    first = collection.get_object(stix_id, version="first")["objects"]
    assert [o["modified"] for o in first] == [stamps[0]]
    every = collection.get_object(stix_id, version="all")["objects"]
    assert [o["modified"] for o in every] == stamps
    exact = collection.get_object(stix_id, version="2026-01-01T00:00:00.25Z")["objects"]
    assert [o["modified"] for o in exact] == [stamps[2]]
    both = collection.get_objects(version="first,last")["objects"]
    assert [(o["id"], o["modified"]) for o in both] == [
        (stix_id, stamps[0]),
        (stix_id, stamps[1]),
        (other["id"], other["modified"]),
    ]
    assert len(collection.get_objects()["objects"]) == 2
    assert len(collection.get_objects(version="all")["objects"]) == 4
    assert collection.get_objects(spec_version="2.0") == {}
    assert len(collection.get_objects(spec_version="2.0,2.1")["objects"]) == 2
    assert [o["id"] for o in collection.get_objects(id=other["id"])["objects"]] == [other["id"]]
    assert collection.get_objects(type="malware") == {}
    manifest = collection.get_manifest(version="all")["objects"]
    assert [m["version"] for m in manifest] == [*stamps, other["modified"]]
    assert {m["media_type"] for m in manifest} == {"application/stix+json;version=2.1"}


def test_observables_without_versions_use_their_date_added(taxii: TaxiiServer) -> None:
    name = taxii.collection("sco")
    domain = {
        "type": "domain-name",
        "spec_version": "2.1",
        "id": "domain-name--bedb4899-d24b-5401-bc86-8f6b4cc18ec7",
        "value": "example.com",
    }
    taxii.seed(name, [domain])
    collection = collection_client(taxii, name)
    manifest = collection.get_manifest()["objects"]
    assert manifest[0]["version"] == manifest[0]["date_added"]
    exact = collection.get_object(domain["id"], version=manifest[0]["version"])
    assert exact["objects"][0]["value"] == "example.com"


def test_delete_object_is_audited(taxii: TaxiiServer) -> None:
    name = taxii.collection("delete")
    stix_id = f"indicator--{uuid.uuid4()}"
    for stamp in ("2026-01-01T00:00:00.000Z", "2026-02-01T00:00:00.000Z"):
        taxii.seed(name, [indicator(stix_id=stix_id, modified=stamp)])
    collection = collection_client(taxii, name)
    collection.delete_object(stix_id)  # default: the last version
    assert collection.object_versions(stix_id)["versions"] == ["2026-01-01T00:00:00.000Z"]
    collection.delete_object(stix_id, version="all")
    with taxii.admin() as client:
        gone = client.get(f"{taxii.root}collections/{name}/objects/{stix_id}/")
        again = client.delete(f"{taxii.root}collections/{name}/objects/{stix_id}/")
    assert gone.status_code == 404 and again.status_code == 404
    from sqlalchemy import select

    with taxii.ctx.transaction() as session:
        events = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "intel.object.delete")
        ).all()
        mine = [e for e in events if e.details["object"] == stix_id]
        assert [e.details["versions"] for e in mine] == [
            ["2026-02-01T00:00:00.000Z"],
            ["2026-01-01T00:00:00.000Z"],
        ]
        assert verify_audit(session).ok


def test_a_deleted_object_leaves_the_observable_index(taxii: TaxiiServer) -> None:
    """Search shows no place for an object deleted over TAXII, nor its correlations."""
    from sqlalchemy import func, select

    from comity.identity.services import resolve_actor
    from comity.intel.correlation import CorrelationPolicy
    from comity.intel.models import Correlation
    from comity.intel.search import search

    name = taxii.collection("forget")
    kept, doomed = indicator(), indicator()
    for obj in (kept, doomed):
        obj["pattern"] = "[domain-name:value = 'kyc-refund-desk.in']"
        taxii.seed(name, [obj])

    def places() -> tuple[list[str], int]:
        with taxii.ctx.transaction() as session:
            found = search(
                session,
                resolve_actor(session, None),
                "kyc-refund-desk[.]in",
                policy=CorrelationPolicy.for_settings(taxii.ctx.settings),
            )
            correlations = session.scalar(
                select(func.count())
                .select_from(Correlation)
                .where(Correlation.value == "kyc-refund-desk.in")
            )
        (domain,) = [i for i in found["identifiers"] if i["type"] == "domain-name"]
        return sorted(p["stix_id"] for p in domain["places"]), correlations or 0

    assert places() == (sorted([kept["id"], doomed["id"]]), 1)
    collection_client(taxii, name).delete_object(doomed["id"], version="all")
    assert places() == ([kept["id"]], 0)


def test_paging_with_next_and_filters_keeps_the_filters(taxii: TaxiiServer) -> None:
    name = taxii.collection("filtered")
    objects: list[dict[str, Any]] = []
    for i in range(40):
        obj = indicator() if i % 2 else {**indicator(), "type": "x-comity-test"}
        obj["id"] = f"{obj['type']}--{uuid.uuid4()}"
        objects.append(obj)
    taxii.seed(name, objects)
    wanted = [o["id"] for o in objects if o["type"] == "indicator"]
    collection = collection_client(taxii, name)
    seen = []
    for page in as_pages(collection.get_objects, per_request=6, type="indicator"):
        seen.extend(o["id"] for o in page.get("objects", []))
    assert seen == wanted


def test_taxii_routes_are_in_the_openapi_description(taxii: TaxiiServer) -> None:
    response = httpx.get(f"{taxii.url}/openapi.json", timeout=30)
    paths = response.json()["paths"]
    assert "/taxii2/comity/collections/{collection_id}/objects/" in paths
    errors = paths["/taxii2/comity/collections/{collection_id}/objects/"]["get"]["responses"]
    assert TAXII in errors["4XX"]["content"]
