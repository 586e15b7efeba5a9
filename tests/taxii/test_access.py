"""Who sees what over TAXII: credentials, sharing agreements, TLP ceilings, RED, pass-on.

401 without or with bad credentials; a peer sees only the collections of its agreements (any
other is 404, as if it did not exist), reads only with a read agreement (403), receives only
what its TLP ceiling allows, never RED, and never what another peer gave under AMBER.
"""

from __future__ import annotations

import json
import uuid

import pytest
from requests.exceptions import HTTPError
from taxii2client.common import TokenAuth
from taxii2client.v21 import ApiRoot, Collection, as_pages

from comity.intel.tlp import TLP2_IDS
from tests.taxii.conftest import (
    TAXII,
    Peer,
    TaxiiServer,
    assert_taxii_error,
    envelope,
    indicator,
)

LEVELS = ("clear", "green", "amber", "amber+strict", "red")


def levels_of(objects: list[dict[str, object]]) -> set[str]:
    """The TLP levels of ``objects``."""
    by_id = {marking: level for level, marking in TLP2_IDS.items()}
    return {by_id[o["object_marking_refs"][0]] for o in objects}  # type: ignore[index]


def peer_objects(taxii: TaxiiServer, name: str, peer: Peer) -> list[dict[str, object]]:
    """Every object of ``name`` the peer receives, paging with Basic auth (its credentials)."""
    url = f"{taxii.root}collections/{taxii.collection_id(name)}/"
    collection = Collection(url, user=peer.username, password=peer.password)
    found: list[dict[str, object]] = []
    for page in as_pages(collection.get_objects, per_request=3):
        found.extend(page.get("objects", []))
    return found


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer not-a-token"},
        {"Authorization": "Token not-a-token"},
        {"Authorization": "Basic " + "bm9ib2R5Ondyb25nIHBhc3N3b3Jk"},  # nobody:wrong password
        {"Authorization": "Digest username=x"},
        {"Authorization": "Basic %%%"},
    ],
)
def test_missing_or_bad_credentials_are_401_with_a_challenge(
    taxii: TaxiiServer, headers: dict[str, str]
) -> None:
    name = taxii.collection("auth")
    with taxii.client(headers=headers) as client:
        for path in ("/taxii2/", f"/taxii2/comity/collections/{name}/objects/"):
            response = client.get(path)
            assert_taxii_error(response, 401)
            challenge = response.headers["WWW-Authenticate"]
            assert "Basic" in challenge and "Bearer" in challenge
        assert_taxii_error(
            client.post(
                f"/taxii2/comity/collections/{name}/objects/",
                content=envelope([indicator()]),
                headers={"Content-Type": TAXII},
            ),
            401,
        )


def test_peer_authenticates_with_basic_bearer_and_token_schemes(taxii: TaxiiServer) -> None:
    name = taxii.collection("schemes")
    peer = taxii.peer()
    taxii.share(name, peer)
    taxii.seed(name, [indicator("green")])
    url = f"{taxii.root}collections/{taxii.collection_id(name)}/"
    by_basic = Collection(url, user=peer.username, password=peer.password).get_objects()
    by_token = Collection(url, auth=TokenAuth(peer.token)).get_objects()
    with taxii.client(peer.token) as client:
        by_bearer = client.get(f"{url}objects/").json()
    assert by_basic == by_token == by_bearer
    assert len(by_basic["objects"]) == 1


def test_peer_sees_only_the_collections_of_its_agreements(taxii: TaxiiServer) -> None:
    shared, hidden, write_only = (taxii.collection(p) for p in ("shared", "hidden", "wonly"))
    peer = taxii.peer()
    taxii.share(shared, peer, read=True, tlp="green")
    taxii.share(write_only, peer, read=False, write=True, tlp="green")
    taxii.seed(hidden, [indicator("clear")])
    root = ApiRoot(taxii.root, auth=TokenAuth(peer.token))
    visible = {c.alias: (c.can_read, c.can_write) for c in root.collections}
    assert visible == {shared: (True, False), write_only: (False, True)}
    hidden_id = taxii.collection_id(hidden)
    with taxii.client(peer.token) as client:
        for ref in (hidden, hidden_id, "no-such-collection", str(uuid.uuid4())):
            for suffix in ("", "objects/", "manifest/", f"objects/indicator--{uuid.uuid4()}/"):
                doc = assert_taxii_error(
                    client.get(f"/taxii2/comity/collections/{ref}/{suffix}"), 404
                )
                assert "description" in doc
        # The answers for a hidden collection and a missing one are the same but for the name.
        a = client.get(f"/taxii2/comity/collections/{hidden}/objects/").json()
        b = client.get("/taxii2/comity/collections/zzz-missing/objects/").json()
        assert a["error_code"] == b["error_code"] and a["title"] == b["title"]
        # Writing where it may only read, reading where it may only write: 403.
        assert_taxii_error(
            client.post(
                f"/taxii2/comity/collections/{shared}/objects/",
                content=envelope([indicator()]),
                headers={"Content-Type": TAXII},
            ),
            403,
        )
        assert_taxii_error(client.get(f"/taxii2/comity/collections/{write_only}/objects/"), 403)


def test_peer_receives_only_up_to_its_ceiling_and_never_red(taxii: TaxiiServer) -> None:
    name = taxii.collection("tlp")
    objects = [indicator(level) for level in LEVELS for _ in range(3)]
    taxii.seed(name, objects)
    ceilings = {
        "clear": {"clear"},
        "green": {"clear", "green"},
        "amber": {"clear", "green", "amber"},
        "amber+strict": {"clear", "green", "amber", "amber+strict"},
    }
    for ceiling, allowed in ceilings.items():
        peer = taxii.peer()
        taxii.share(name, peer, tlp=ceiling)
        received = peer_objects(taxii, name, peer)
        assert levels_of(received) == allowed, ceiling
        assert len(received) == 3 * len(allowed)  # paging stayed exact under the filter
        # Nor by id, nor in the manifest, nor its versions.
        red = next(o for o in objects if levels_of([o]) == {"red"})
        with taxii.client(peer.token) as client:
            base = f"/taxii2/comity/collections/{name}/"
            assert_taxii_error(client.get(f"{base}objects/{red['id']}/"), 404)
            assert_taxii_error(client.get(f"{base}objects/{red['id']}/versions/"), 404)
            manifest = client.get(f"{base}manifest/", params={"match[id]": red["id"]})
            assert manifest.json() == {}
    # The people of this node see everything, RED included.
    with taxii.admin() as client:
        everything = client.get(f"/taxii2/comity/collections/{name}/objects/").json()
    assert levels_of(everything["objects"]) == set(LEVELS)


def test_amber_from_one_peer_is_never_served_to_another(taxii: TaxiiServer) -> None:
    name = taxii.collection("passon")
    giver, other = taxii.peer(), taxii.peer()
    taxii.share(name, giver, read=True, write=True, tlp="amber+strict")
    taxii.share(name, other, read=True, tlp="amber+strict")
    given = [indicator("amber"), indicator("amber+strict"), indicator("green")]
    url = f"{taxii.root}collections/{taxii.collection_id(name)}/"
    status = Collection(url, auth=TokenAuth(giver.token)).add_objects(
        json.dumps({"objects": given})
    )
    assert status.success_count == 3
    ours = indicator("amber")
    taxii.seed(name, [ours])
    # The giver gets its own AMBER back, and ours; the other peer gets only the GREEN and ours.
    assert {o["id"] for o in peer_objects(taxii, name, giver)} == {
        *(o["id"] for o in given),
        ours["id"],
    }
    assert {o["id"] for o in peer_objects(taxii, name, other)} == {given[2]["id"], ours["id"]}
    with taxii.client(other.token) as client:
        for obj in given[:2]:
            response = client.get(f"/taxii2/comity/collections/{name}/objects/{obj['id']}/")
            assert_taxii_error(response, 404)
        # A peer may delete only what it gave: not ours, not another peer's.
        assert_taxii_error(
            client.delete(f"/taxii2/comity/collections/{name}/objects/{ours['id']}/"), 403
        )
    with taxii.client(giver.token) as client:
        base = f"/taxii2/comity/collections/{name}/objects/"
        assert_taxii_error(client.delete(f"{base}{ours['id']}/"), 403)
        assert client.delete(f"{base}{given[0]['id']}/").status_code == 200
    assert given[0]["id"] not in {o["id"] for o in peer_objects(taxii, name, giver)}


def test_status_is_visible_to_its_requester_only(taxii: TaxiiServer) -> None:
    name = taxii.collection("status")
    writer, other = taxii.peer(), taxii.peer()
    taxii.share(name, writer, read=True, write=True)
    taxii.share(name, other, read=True, write=True)
    url = f"{taxii.root}collections/{taxii.collection_id(name)}/"
    status = Collection(url, auth=TokenAuth(writer.token)).add_objects({"objects": [indicator()]})
    assert ApiRoot(taxii.root, auth=TokenAuth(writer.token)).get_status(status.id).status
    with pytest.raises(HTTPError) as refused:
        ApiRoot(taxii.root, auth=TokenAuth(other.token)).get_status(status.id)
    assert refused.value.response.status_code == 404
    admin_view = ApiRoot(taxii.root, auth=TokenAuth(taxii.admin_token)).get_status(status.id)
    assert admin_view.success_count == 1


def test_peer_without_any_agreement_sees_no_collection(taxii: TaxiiServer) -> None:
    taxii.collection("lonely")
    peer = taxii.peer()
    with taxii.client(peer.token) as client:
        response = client.get("/taxii2/comity/collections/")
    assert response.status_code == 200 and response.json() == {}
    assert response.headers["content-type"] == TAXII
