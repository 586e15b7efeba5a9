"""``search``: any written form, every place, who holds it, what is suppressed; the CLI."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from comity.cases.services import add_member, create_case
from comity.core.errors import PermissionDenied
from comity.evidence.ingest import IngestOptions, ingest
from comity.federation.models import Peer
from comity.federation.services import add_peer
from comity.identity.models import AuditEvent, User
from comity.identity.services import create_user, resolve_actor
from comity.intel.correlation import CorrelationPolicy
from comity.intel.errors import IntelInputError, UnknownCountry
from comity.intel.importing import ImportRequest, import_data
from comity.intel.search import interpret, search
from comity.intel.services import create_collection
from tests.conftest import CliNode, Node

MISP = Path(__file__).parents[1] / "data" / "intel" / "misp"
SCAM = MISP / "misp.event.53d2f469-9f7f-4e40-8dc1-a721f1b223fb.json"


def _search(node: Node, value: str, user: str | None = None, **options: Any) -> dict[str, Any]:
    options.setdefault("policy", node.policy)
    with node.ctx.transaction() as session:
        return search(session, resolve_actor(session, user), value, **options)


def _import(node: Node, data: bytes, source: str, **request: Any) -> dict[str, Any]:
    with node.ctx.transaction() as session:
        return import_data(
            session,
            node.actor(),
            data,
            ImportRequest(collection="fraud", source=source, **request),
            policy=node.policy,
        )


@pytest.fixture
def fraud(node: Node) -> Node:
    with node.ctx.transaction() as session:
        create_collection(session, node.actor(), "fraud", title="Fraud")
    _import(node, SCAM.read_bytes(), SCAM.name)
    return node


def _identifier(result: dict[str, Any], obs_type: str) -> dict[str, Any]:
    (found,) = [i for i in result["identifiers"] if i["type"] == obs_type]
    return found


def _user(node: Node, username: str, *roles: str) -> None:
    with node.ctx.transaction() as session:
        create_user(
            session, node.actor(), username=username, display_name=username.title(),
            roles=list(roles),
        )  # fmt: skip


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("+1 (224) 335-9185", [("phone-number", "+12243359185")]),
        ("001 224 335 9185", [("phone-number", "+12243359185")]),
        ("194.78.89.250", [("ipv4-addr", "194.78.89.250")]),
        ("1930", [("phone-number", "IN:1930")]),
        ("GB29 NWBK 6016 1331 9268 19", [("bank-account", "GB29NWBK60161331926819")]),
        ("06596279D333D831E0B62265563A13EF", [("file-md5", "06596279d333d831e0b62265563a13ef")]),
        (
            "hxxps://zdgyot[.]ugic0k[.]ru/assets/bin.exe",
            [("url", "https://zdgyot.ugic0k.ru/assets/bin.exe"), ("domain-name", "ugic0k.ru")],
        ),
        (
            "Wallace Breen",
            [("person-name", "wallace breen"), ("organization-name", "wallace breen")],
        ),
    ],
)  # fmt: skip
def test_any_written_form_is_read_as_what_it_is(raw: str, expected: list[tuple[str, str]]) -> None:
    found, not_valid = interpret(raw, "IN")
    assert found == expected and not_valid == []


def test_invalid_forms_are_reported() -> None:
    found, not_valid = interpret("andrew_ryan@rindustries.rp", "IN")
    assert found == []
    assert not_valid == [
        {
            "type": "email-addr",
            "value": "andrew_ryan@rindustries.rp",
            "reason": "unknown top-level domain",
        }
    ]


def test_intelligence_places_with_collection_agency_and_tlp(fraud: Node) -> None:
    result = _search(fraud, "+1 224-335-9185")
    assert result["country"] == "IN"  # the node's, by default
    phone = _identifier(result, "phone-number")
    assert phone["suppressed"] is None and phone["count"] == 2
    kinds = {p["stix_type"] for p in phone["places"]}
    assert kinds == {"phone-number", "indicator"}
    indicator = next(p for p in phone["places"] if p["stix_type"] == "indicator")
    assert indicator["stix_id"] == "indicator--38d27219-bfa1-43d9-a7c4-3769296e32d5"
    (holding,) = indicator["in"]
    assert holding["collection"] == "fraud" and holding["tlp"] == "green"
    assert holding["from_agency"] == "CBI" and holding["from_peer"] is False
    assert holding["source"] == SCAM.name
    assert phone["agencies"] == ["CBI"]


def _bundle(*patterns: str) -> bytes:
    objects = [
        {
            "type": "indicator",
            "spec_version": "2.1",
            "id": f"indicator--{uuid.uuid4()}",
            "created": "2026-11-01T10:00:00.000Z",
            "modified": "2026-11-01T10:00:00.000Z",
            "pattern": pattern,
            "pattern_type": "stix",
            "valid_from": "2026-11-01T10:00:00Z",
        }
        for pattern in patterns
    ]
    return json.dumps(
        {"type": "bundle", "id": f"bundle--{uuid.uuid4()}", "objects": objects}
    ).encode()


def test_what_a_peer_shared_names_the_peer(fraud: Node) -> None:
    scam = json.loads(SCAM.read_bytes())
    with fraud.ctx.transaction() as session:
        add_peer(session, fraud.actor(), code="FBI", agency="FBI", country="US")
        peer = session.scalars(select(Peer)).one()
        collection = create_collection(session, fraud.actor(), "from-fbi")
        for data, source in (
            (_bundle("[phone-number:value = '(224) 335-9185']"), "pull"),
            (SCAM.read_bytes(), "misp"),  # the same event: the same objects, held twice
        ):
            import_data(
                session,
                fraud.actor(),
                data,
                ImportRequest(collection="from-fbi", source=source, country="US"),
                collection=collection,
                peer=peer,
                policy=fraud.policy,
            )
    phone = _identifier(_search(fraud, "2243359185", country="US"), "phone-number")
    assert phone["agencies"] == ["CBI", "FBI"]
    indicator = next(
        p for p in phone["places"] if p["stix_id"].endswith(scam["Event"]["Attribute"][1]["uuid"])
    )
    assert sorted((h["collection"], h["from_agency"]) for h in indicator["in"]) == [
        ("fraud", "CBI"),
        ("from-fbi", "FBI"),
    ]
    assert len(phone["correlations"]) == 2  # the peer's indicator ↔ our observable and indicator


def _case(node: Node, title: str, tmp_path: Path, content: bytes) -> str:
    with node.ctx.transaction() as session:
        reference = create_case(
            session, node.actor(), title=title, jurisdictions=["IN", "US"],
            summary="The caller asked for payment by bank transfer.",
        ).reference  # fmt: skip
    source = tmp_path / "bin.exe"
    source.write_bytes(content)
    ingest(node.ctx, None, reference, [source], IngestOptions(extra_hashes=("md5", "sha1")))
    return reference


def test_cases_and_evidence_show_only_to_those_who_may_see_them(
    fraud: Node, tmp_path: Path
) -> None:
    content = b"the sample found on the victim's laptop"
    reference = _case(fraud, "Tech-support scam, caller +1 224 335 9185", tmp_path, content)
    _user(fraud, "meera", "investigator")
    _user(fraud, "sup", "supervisor")

    hidden = _search(fraud, "+12243359185", user="meera")
    phone = _identifier(hidden, "phone-number")
    assert [p["kind"] for p in phone["places"]] == ["intel", "intel"]
    assert phone["hidden"] == {"evidence": 0, "case": 1}
    assert phone["correlations"] == [] or all(
        p["kind"] == "intel" for p in phone["places"]
    )  # links to the case are not shown to her
    assert phone["hidden_correlations"] == 2

    full = _identifier(_search(fraud, "+12243359185", user="sup"), "phone-number")
    (case,) = [p for p in full["places"] if p["kind"] == "case"]
    assert case["case"] == reference and case["title"].startswith("Tech-support scam")
    assert [(m["username"], m["role"]) for m in case["members"]] == [("admin", "lead")]
    assert len(full["correlations"]) == 2 and full["hidden"] == {"evidence": 0, "case": 0}

    with fraud.ctx.transaction() as session:
        add_member(session, fraud.actor(), reference, "meera", "investigator")
    digest = hashlib.sha256(content).hexdigest()
    mine = _identifier(_search(fraud, digest.upper(), user="meera"), "file-sha256")
    (item,) = mine["places"]
    assert item["kind"] == "evidence" and item["case"] == reference
    assert item["exhibit"].startswith(reference) and item["name"] == "bin.exe"
    seen = _identifier(_search(fraud, "+12243359185", user="meera"), "phone-number")
    (case,) = [p for p in seen["places"] if p["kind"] == "case"]
    assert {m["username"] for m in case["members"]} == {"admin", "meera"}


def test_suppressed_values_are_found_and_say_why(fraud: Node) -> None:
    _import(fraud, _bundle("[domain-name:value = 'gmail.com']"), "a.json")
    _import(fraud, _bundle("[domain-name:value = 'GMail.com']"), "b.json")
    _import(fraud, _bundle("[email-addr:value = 'helpdesk.kyc@gmail.com']"), "c.json")
    domain = _identifier(_search(fraud, "GMAIL.COM"), "domain-name")
    assert domain["count"] == 2 and len(domain["places"]) == 2
    assert domain["suppressed"]["by"] == "warning list"
    assert "free-email-providers" in domain["suppressed"]["reason"]
    assert domain["correlations"] == []
    address = _identifier(_search(fraud, "helpdesk.kyc@gmail.com"), "email-addr")
    assert address["suppressed"] is None and address["count"] == 1


def test_values_over_the_cap_are_shown_as_suppressed(fraud: Node) -> None:
    policy = CorrelationPolicy(cap=1, suppression=lambda _t, _v: None)
    phone = _identifier(_search(fraud, "+12243359185", policy=policy), "phone-number")
    assert phone["suppressed"] == {
        "by": "correlation cap",
        "reason": "known from 2 places (the correlation cap is 1): not correlated further",
    }


def test_every_search_is_audited(fraud: Node) -> None:
    _search(fraud, "0012243359185")
    with fraud.ctx.transaction() as session:
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "intel.search")).one()
    assert event.actor == "admin"
    assert event.details["query"] == "0012243359185"
    assert event.details["identifiers"] == [{"type": "phone-number", "value": "+12243359185"}]


def test_bad_searches(fraud: Node) -> None:
    with pytest.raises(IntelInputError):
        _search(fraud, "   ")
    with pytest.raises(IntelInputError):
        _search(fraud, "9" * 5000)
    with pytest.raises(UnknownCountry):
        _search(fraud, "98765 43210", country="XX")
    nothing = _search(fraud, "'; DROP TABLE intel_objects; --")
    assert all(i["count"] == 0 for i in nothing["identifiers"])
    with fraud.ctx.transaction() as session:
        add_peer(session, fraud.actor(), code="FBI", agency="FBI", country="US")
        peer = session.scalars(select(Peer)).one()
        service = session.get_one(User, peer.user_id).username  # the peer's service account
    with fraud.ctx.transaction() as session, pytest.raises(PermissionDenied):
        search(session, resolve_actor(session, service), "+12243359185", policy=fraud.policy)


# ------------------------------------------------------------------ the real command


def test_the_command_line(cli_node_factory: Any, tmp_path: Path) -> None:
    cbi: CliNode = cli_node_factory("cbi")
    cbi.run("init", "--agency", "CBI", "--agency-code", "CBI", "--country", "IN", check=True)
    cbi.run("collection", "create", "fraud", check=True)
    cbi.run("intel", "import", str(SCAM), "--collection", "fraud", check=True)
    cbi.run(
        "case", "create", "--title", "Caller +1 224 335 9185", "--jurisdiction", "US",
        check=True,
    )  # fmt: skip
    comity = Path(sys.executable).with_name("comity")  # the installed entry point
    proc = subprocess.run(
        [str(comity), "intel", "search", "001-224-335-9185", "--json"],
        env=cbi.env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    phone = _identifier(result, "phone-number")
    assert {p["kind"] for p in phone["places"]} == {"intel", "case"}
    assert len(phone["correlations"]) == 2

    table = cbi.run("intel", "search", "zdgyot[.]ugic0k[.]ru", check=True).out
    assert "domain-name ugic0k.ru: 2 places" in table and "indicator" in table
    helpline = cbi.run("intel", "search", "1930", check=True).out
    assert "suppressed (warning list)" in helpline and "National Cyber Crime Helpline" in helpline
    unknown = cbi.run("intel", "search", "98765 43210", "--country", "ZZ")
    assert unknown.code == 2 and "unknown country" in unknown.err
    empty = cbi.run("intel", "search", "")
    assert empty.code == 2 and "Traceback" not in empty.err
    local = cbi.home / "warninglists"
    local.mkdir()
    (local / "ours.txt").write_text("phone-number +12243359185 # our own test line\n")
    ours = cbi.run("intel", "search", "+12243359185", "--json", check=True).json()
    reason = _identifier(ours, "phone-number")["suppressed"]["reason"]
    assert "'ours'" in reason and "our own test line" in reason
    assert os.environ.get("COMITY_HOME") != str(cbi.home)
