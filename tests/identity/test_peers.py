"""Peers: registration by keys or descriptor, fingerprints, rotation and revocation."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from comity.core.errors import AlreadyExists, CheckFailed, InvalidInput, PermissionDenied
from comity.core.keys import NodeKeys
from comity.federation.services import (
    add_peer,
    export_descriptor,
    get_peer,
    peer_for,
    peer_summary,
    peers_for,
    read_descriptor,
    revoke_peer_key,
    rotate_peer_key,
    trusted_signing_keys,
)
from comity.identity.services import authenticate_password, authenticate_token
from tests.conftest import Node


def test_peer_from_descriptor_gets_its_keys(node: Node, us_node: Node, tmp_path: Path) -> None:
    with us_node.ctx.transaction() as session:
        descriptor = export_descriptor(session, us_node.ctx.keys)
    descriptor_file = tmp_path / "fbi.json"
    descriptor_file.write_text(json.dumps(descriptor))
    info = read_descriptor(descriptor_file)
    with node.ctx.transaction() as session:
        result = add_peer(session, node.actor(), **info)
        peer = peer_summary(get_peer(session, "FBI"))
    assert result["fingerprint"] == us_node.ctx.keys.signing_fingerprint
    assert peer["country"] == "US" and peer["agency"] == "Federal Bureau of Investigation"
    assert {k["kind"] for k in peer["keys"]} == {"signing", "encryption"}


def test_add_peer_prints_fingerprint_and_credentials(node: Node) -> None:
    other = NodeKeys.generate()
    with node.ctx.transaction() as session:
        result = add_peer(
            session,
            node.actor(),
            code="fbi",
            agency="Federal Bureau of Investigation",
            country="us",
            signing_key=other.signing_public,
            encryption_key=other.encryption_public,
        )
        assert result["code"] == "FBI"
        assert result["fingerprint"] == other.signing_fingerprint
        creds = result["credentials"]
        assert authenticate_token(session, creds["token"]).username == creds["username"]
        assert authenticate_password(session, creds["username"], creds["password"]).user.roles == [
            "peer"
        ]
        with pytest.raises(AlreadyExists):
            add_peer(session, node.actor(), code="FBI", agency="x", country="US")


def test_descriptor_with_forged_signature_is_refused(node: Node, tmp_path: Path) -> None:
    with node.ctx.transaction() as session:
        descriptor = export_descriptor(session, node.ctx.keys)
    descriptor["agency"]["name"] = "Someone Else"
    path = tmp_path / "d.json"
    path.write_text(json.dumps(descriptor))
    with pytest.raises(CheckFailed):
        read_descriptor(path)
    path.write_text("{not json")
    with pytest.raises(InvalidInput):
        read_descriptor(path)


def test_rotate_and_revoke_peer_keys(node: Node) -> None:
    first, second = NodeKeys.generate(), NodeKeys.generate()
    with node.ctx.transaction() as session:
        add_peer(
            session,
            node.actor(),
            code="FBI",
            agency="FBI",
            country="US",
            signing_key=first.signing_public,
        )
        rotate_peer_key(session, node.actor(), "FBI", "signing", second.signing_public, "yearly")
        summary = peer_summary(get_peer(session, "FBI"))
        statuses = {k["fingerprint"]: k["status"] for k in summary["keys"]}
        assert statuses == {
            first.signing_fingerprint: "retired",
            second.signing_fingerprint: "active",
        }
        assert set(trusted_signing_keys(get_peer(session, "FBI").agency)) == set(statuses)
        revoke_peer_key(session, node.actor(), "FBI", first.signing_fingerprint[:12], "compromised")
        assert set(trusted_signing_keys(get_peer(session, "FBI").agency)) == {
            second.signing_fingerprint
        }


@pytest.mark.parametrize("bad", [("FBI!", "US"), ("FBI", "USA"), ("", "US")])
def test_bad_peer_codes_and_countries_are_refused(node: Node, bad: tuple[str, str]) -> None:
    with node.ctx.transaction() as session, pytest.raises(InvalidInput):
        add_peer(session, node.actor(), code=bad[0], agency="Agency", country=bad[1])


def test_a_peers_account_may_not_list_the_other_peers(node: Node) -> None:
    with node.ctx.transaction() as session:
        creds = add_peer(session, node.actor(), code="FBI", agency="FBI", country="US")[
            "credentials"
        ]
        add_peer(session, node.actor(), code="HSI", agency="HSI", country="US")
        assert [p.agency.code for p in peers_for(session, node.actor())] == ["FBI", "HSI"]
        fbi = authenticate_token(session, creds["token"])
        with pytest.raises(PermissionDenied):
            peers_for(session, fbi)
        with pytest.raises(PermissionDenied):
            peer_for(session, fbi, "HSI")
