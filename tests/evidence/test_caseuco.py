"""The CASE/UCO description of an evidence package: chain of custody, hashes, validity.

The graph of a really ingested item is checked by the CASE project's own validator
(``case_validate``, run as a process without any ``--allow-*`` flag); the other tests read the
graph as JSON and as RDF.
"""

from __future__ import annotations

import copy
import hashlib
import itertools
import json
import re
import shutil
import subprocess
import sys
import uuid
import warnings
from pathlib import Path
from typing import Any

import pytest
import rdflib

from comity.cases.services import add_member, case_summary, create_case
from comity.core.canonical import canonical_json
from comity.evidence.caseuco import (
    ACTION_TYPE,
    RECORD_TYPE,
    action_iri,
    actions_in_order,
    build_graph,
    file_iri,
    record_iri,
)
from comity.evidence.ingest import IngestOptions, ingest
from comity.evidence.ledger import append_event, events
from comity.evidence.models import EvidenceItem
from comity.identity.services import create_user, resolve_actor
from tests.conftest import Node

UUID_TAIL = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-5][0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)
ACTIONS = ["acquired", "accessed", "analysed", "exported"]
DEVICE = {
    "type": "mobile",
    "make": "Samsung",
    "model": "SM-A155F",
    "colour": "blue",
    "serial": "R58T12ABCDE",
    "imei": "356938035643809",
    "mac": "a4:c3:f0:85:ac:2d",
    "cloud_id": "suspect@example.com",
}

PACKAGE_ID = "6f1c2a57-0b7e-4f8e-9d43-3e1f5a9c2b10"
FBI = {"code": "FBI", "name": "Federal Bureau of Investigation", "country": "US"}

_VALIDATED: dict[str, tuple[bool, str]] = {}


def validate_graph(path: Path) -> tuple[bool, str]:
    """Run ``case_validate`` (no ``--allow-*`` flags) on a JSON-LD file: (conforms, report)."""
    tool = Path(sys.executable).with_name("case_validate")
    command = str(tool) if tool.exists() else shutil.which("case_validate")
    assert command, "case_validate (from case-utils) is not installed"
    proc = subprocess.run(
        [command, str(path)], capture_output=True, text=True, timeout=900, check=False
    )
    report = proc.stdout + proc.stderr
    conforms = proc.returncode == 0 and "Conforms: True" in proc.stdout
    return conforms, report


def _validated(graph: dict[str, Any], folder: Path) -> tuple[bool, str]:
    """Validate a graph once per session (identical graphs share one validator run)."""
    key = hashlib.sha256(canonical_json(graph)).hexdigest()
    if key not in _VALIDATED:
        path = folder / f"{key[:16]}.jsonld"
        path.write_text(json.dumps(graph, indent=1))
        _VALIDATED[key] = validate_graph(path)
    return _VALIDATED[key]


def _package(case: dict[str, Any], items: list[dict[str, Any]], fingerprint: str) -> dict[str, Any]:
    """The package.json document the package writer produces (the fields build_graph reads)."""
    return {
        "type": "comity-evidence-package",
        "version": 1,
        "package_id": PACKAGE_ID,
        "created": "2026-11-20T10:15:00Z",
        "sender": {
            "code": "CBI",
            "name": "Central Bureau of Investigation",
            "country": "IN",
            "signing_fingerprint": fingerprint,
        },
        "recipient": {**FBI, "signing_fingerprint": "f" * 64},
        "case": {
            k: case[k]
            for k in (
                "id",
                "reference",
                "title",
                "summary",
                "jurisdictions",
                "offences",
                "legal_authority",
                "agencies",
            )
        },
        "items": [
            {
                **item,
                "payload": f"data/{item['id']}/{item['name']}",
                "ledger": f"comity/ledgers/{item['id']}.jsonl",
                "head": {},
                "checkpoints": [],
            }
            for item in items
        ],
    }


@pytest.fixture
def custody(node: Node, tmp_path: Path) -> tuple[dict[str, Any], dict[str, list[dict[str, Any]]]]:
    """A really ingested item with acquired, accessed, analysed and exported events."""
    admin = node.actor()
    with node.ctx.transaction() as session:
        create_user(
            session,
            admin,
            username="r.iyer",
            display_name="R. Iyer",
            roles=["forensic_examiner"],
        )
        case = create_case(
            session,
            admin,
            title="Fake call centre",
            summary="Calls defrauding US senior citizens from Kolkata",
            jurisdictions=["IN", "US"],
            offences=["IN:BNS 318(4)", "US:18 U.S.C. 1343"],
            authorities=["warrant:SW-2026-114"],
            agencies=["FBI"],
        )
        case = add_member(session, admin, case.reference, "r.iyer", "examiner")
        case_doc = case_summary(case)
    source = tmp_path / "handset.bin"
    source.write_bytes(b"evidence bytes of a seized handset\n" * 64)
    options = IngestOptions(
        examiner="R. Iyer",
        tool="Cellebrite UFED",
        tool_version="7.69",
        device=DEVICE,
        seized_at="2026-11-18T09:30:00+05:30",
        timezone="Asia/Kolkata",
        place="Salt Lake, Kolkata",
        authority="warrant:SW-2026-114",
        extra_hashes=("md5", "sha1"),
    )
    items, _ = ingest(node.ctx, "r.iyer", case_doc["reference"], [source], options)
    (item,) = items
    with node.ctx.transaction() as session:
        examiner = resolve_actor(session, "r.iyer")
        row = session.get_one(EvidenceItem, uuid.UUID(item["id"]))
        append_event(session, node.ctx, examiner, row, "accessed", purpose="review")
        append_event(
            session,
            node.ctx,
            examiner,
            row,
            "analysed",
            place="CBI Cyber Forensic Lab, New Delhi",
            purpose="extract call logs",
            details={"tool": "Autopsy", "tool_version": "4.21"},
        )
        append_event(
            session,
            node.ctx,
            examiner,
            row,
            "exported",
            purpose="MLA request to the United States",
            authority="SW-2026-114",
            details={"package_id": PACKAGE_ID, "recipient": FBI},
        )
        ledger = [json.loads(e.body) for e in events(session, row.id)]
    package = _package(case_doc, [item], node.ctx.keys.signing_fingerprint)
    return package, {item["id"]: ledger}


def _rdf(graph: dict[str, Any]) -> rdflib.Graph:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # rdflib's own JSON-LD parser
        return rdflib.Graph().parse(data=json.dumps(graph), format="json-ld")


def _nodes(graph: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {n["@id"]: n for n in graph["@graph"]}


def _ids(value: Any) -> list[str]:
    values = value if isinstance(value, list) else [value]
    return [v["@id"] for v in values if isinstance(v, dict)]


def _all_ids(value: Any) -> tuple[set[str], set[str]]:
    """(IRIs of described nodes, IRIs referred to) anywhere in a JSON-LD value."""
    described: set[str] = set()
    referred: set[str] = set()
    if isinstance(value, dict):
        if "@id" in value:
            (described if len(value) > 1 else referred).add(value["@id"])
        for key, inner in value.items():
            if key != "@context":
                d, r = _all_ids(inner)
                described |= d
                referred |= r
    elif isinstance(value, list):
        for inner in value:
            d, r = _all_ids(inner)
            described |= d
            referred |= r
    return described, referred


def test_graph_of_an_ingested_item_passes_case_validate(
    custody: tuple[dict[str, Any], dict[str, list[dict[str, Any]]]],
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    package, ledgers = custody
    graph = build_graph(package, ledgers)
    conforms, report = _validated(graph, tmp_path_factory.mktemp("caseuco"))
    assert conforms, report


def test_actions_match_the_ledger_one_for_one_in_order(
    custody: tuple[dict[str, Any], dict[str, list[dict[str, Any]]]],
) -> None:
    package, ledgers = custody
    ((item_id, ledger),) = ledgers.items()
    assert [e["action"] for e in ledger] == ACTIONS
    graph = build_graph(package, ledgers)
    expected = [(e["event"], e["action"]) for e in ledger]
    assert actions_in_order(graph) == expected
    assert actions_in_order(graph, item_id) == expected
    # The order comes from the chain of records, not from where the nodes sit in the file.
    shuffled = {**graph, "@graph": list(reversed(graph["@graph"]))}
    assert actions_in_order(shuffled) == expected
    nodes = _nodes(graph)
    assert sum(1 for n in nodes.values() if n["@type"] == ACTION_TYPE) == len(ledger)
    for event in ledger:
        action = nodes[action_iri(event["event"])]
        assert action["uco-action:startTime"] == {"@type": "xsd:dateTime", "@value": event["at"]}
        refs = action["uco-core:externalReference"]
        assert [r["uco-core:externalIdentifier"] for r in refs] == [event["event"]]


def test_each_action_takes_the_previous_provenance_record(
    custody: tuple[dict[str, Any], dict[str, list[dict[str, Any]]]],
) -> None:
    package, ledgers = custody
    ((item_id, ledger),) = ledgers.items()
    item = package["items"][0]
    graph = build_graph(package, ledgers)
    nodes = _nodes(graph)
    file = file_iri(item_id)
    first = nodes[action_iri(ledger[0]["event"])]
    (device,) = _ids(first["uco-action:object"])
    assert nodes[device]["@type"] == "uco-observable:MobileDevice"
    assert set(_ids(first["uco-action:result"])) == {record_iri(ledger[0]["event"]), file}
    for before, event in itertools.pairwise(ledger):
        action = nodes[action_iri(event["event"])]
        assert set(_ids(action["uco-action:object"])) == {record_iri(before["event"]), file}
        assert _ids(action["case-investigation:wasInformedBy"]) == [action_iri(before["event"])]
    for event in ledger:
        record = nodes[record_iri(event["event"])]
        assert record["@type"] == RECORD_TYPE
        assert record["case-investigation:exhibitNumber"] == event["exhibit"] == item["exhibit"]
        assert record["case-investigation:rootExhibitNumber"] == item["root_exhibit"]
        assert _ids(record["uco-core:object"]) == [file]

    # The same chain, read as RDF: action n+1 uses the record that action n produced.
    rdf = _rdf(graph)
    query = """
        PREFIX action: <https://ontology.unifiedcyberontology.org/uco/action/>
        PREFIX core: <https://ontology.unifiedcyberontology.org/uco/core/>
        PREFIX inv: <https://ontology.caseontology.org/case/investigation/>
        SELECT ?before ?after WHERE {
            ?a1 a inv:InvestigativeAction ; action:result ?record ; core:name ?before .
            ?record a inv:ProvenanceRecord .
            ?a2 a inv:InvestigativeAction ; action:object ?record ; core:name ?after .
        }"""
    pairs = {(str(r[0]), str(r[1])) for r in rdf.query(query)}  # type: ignore[index]
    assert pairs == set(itertools.pairwise(ACTIONS))


def test_hashes_in_the_graph_are_the_items_hashes(
    custody: tuple[dict[str, Any], dict[str, list[dict[str, Any]]]],
) -> None:
    package, ledgers = custody
    item = package["items"][0]
    assert set(item["hashes"]) == {"sha256", "md5", "sha1"}
    graph = build_graph(package, ledgers)
    file = _nodes(graph)[file_iri(item["id"])]
    assert file["@type"] == "uco-observable:File"
    facets = {f["@type"]: f for f in file["uco-core:hasFacet"]}
    assert facets["uco-observable:FileFacet"]["uco-observable:fileName"] == "handset.bin"
    assert facets["uco-observable:FileFacet"]["uco-observable:sizeInBytes"] == item["size"]
    content = facets["uco-observable:ContentDataFacet"]
    found = {}
    for digest in content["uco-observable:hash"]:
        assert digest["@type"] == "uco-types:Hash"
        assert digest["uco-types:hashValue"]["@type"] == "xsd:hexBinary"
        found[digest["uco-types:hashMethod"]] = digest["uco-types:hashValue"]["@value"]
    assert found == {
        "SHA256": item["hashes"]["sha256"],
        "SHA1": item["hashes"]["sha1"],
        "MD5": item["hashes"]["md5"],
    }
    # ...and they are the hashes the ledger recorded at acquisition.
    ((_, ledger),) = ledgers.items()
    assert ledger[0]["details"]["hashes"]["sha256"] == found["SHA256"]


def test_device_people_tools_places_and_authority(
    custody: tuple[dict[str, Any], dict[str, list[dict[str, Any]]]],
) -> None:
    package, ledgers = custody
    ((_, ledger),) = ledgers.items()
    graph = build_graph(package, ledgers)
    nodes = _nodes(graph)
    acquired = nodes[action_iri(ledger[0]["event"])]
    (device,) = _ids(acquired["uco-action:object"])
    facets = {f["@type"]: f for f in nodes[device]["uco-core:hasFacet"]}
    device_facet = facets["uco-observable:DeviceFacet"]
    assert device_facet["uco-observable:serialNumber"] == DEVICE["serial"]
    assert device_facet["uco-observable:model"] == DEVICE["model"]
    maker = nodes[device_facet["uco-observable:manufacturer"]["@id"]]
    assert maker["uco-core:name"] == "Samsung"
    assert facets["uco-observable:MobileDeviceFacet"]["uco-observable:IMEI"] == DEVICE["imei"]
    macs = [n for n in nodes.values() if n["@type"] == "uco-observable:MACAddress"]
    assert macs[0]["uco-core:hasFacet"][0]["uco-observable:addressValue"] == DEVICE["mac"]

    performer = nodes[acquired["uco-action:performer"]["@id"]]
    assert performer["@type"] == "uco-identity:Person"
    assert performer["uco-core:name"] == "R. Iyer"
    affiliations = [
        nodes[n["uco-core:target"]["@id"]]
        for n in nodes.values()
        if n["@type"] == "uco-core:Relationship"
        and n["uco-core:kindOfRelationship"] == "Affiliated_With"
        and n["uco-core:source"]["@id"] == performer["@id"]
    ]
    assert [a["uco-core:name"] for a in affiliations] == ["Central Bureau of Investigation (CBI)"]

    instruments = [nodes[i] for i in _ids(acquired["uco-action:instrument"])]
    names = {n["uco-core:name"] for n in instruments if n["@type"] == "uco-tool:Tool"}
    assert names == {"Cellebrite UFED", "Comity node of CBI"}
    assert nodes[acquired["uco-action:location"]["@id"]]["uco-core:name"] == "Salt Lake, Kolkata"

    investigation = next(
        n for n in nodes.values() if n["@type"] == "case-investigation:Investigation"
    )
    (authorization,) = _ids(investigation["case-investigation:relevantAuthorization"])
    warrant = nodes[authorization]
    assert warrant["case-investigation:authorizationIdentifier"] == "SW-2026-114"
    assert warrant["case-investigation:authorizationType"] == "warrant"
    # "warrant:SW-2026-114" at acquisition and "SW-2026-114" at export name the same warrant.
    exported = nodes[action_iri(ledger[3]["event"])]
    assert authorization in _ids(acquired["uco-action:instrument"])
    assert authorization in _ids(exported["uco-action:instrument"])
    # The examiner is the actor (one person); the export names the receiving agency.
    assert "uco-action:participant" not in acquired
    (recipient,) = _ids(exported["uco-action:participant"])
    assert nodes[recipient]["uco-core:name"] == "Federal Bureau of Investigation (FBI)"
    assert set(_ids(investigation["uco-core:object"])) == set(nodes) - {
        investigation["@id"],
        next(n["@id"] for n in nodes.values() if n["@type"] == "uco-core:Bundle"),
    }


def test_every_node_iri_ends_in_a_uuid_and_every_reference_resolves(
    custody: tuple[dict[str, Any], dict[str, list[dict[str, Any]]]],
) -> None:
    package, ledgers = custody
    graph = build_graph(package, ledgers)
    described, referred = _all_ids(graph["@graph"])
    assert len(described) > 20
    assert [i for i in described if not UUID_TAIL.search(i)] == []
    assert referred - described == set()
    # Typed nodes in RDF too (nested facets, hashes and references included).
    rdf = _rdf(graph)
    subjects = {str(s) for s in rdf.subjects(rdflib.RDF.type, None)}
    assert len(subjects) == len(described)
    assert all(UUID_TAIL.search(s) for s in subjects)
    assert not any(isinstance(s, rdflib.BNode) for s in rdf.subjects())


def test_same_input_gives_the_identical_graph(
    custody: tuple[dict[str, Any], dict[str, list[dict[str, Any]]]],
) -> None:
    package, ledgers = custody
    first = canonical_json(build_graph(package, ledgers))
    again = canonical_json(build_graph(copy.deepcopy(package), copy.deepcopy(ledgers)))
    assert first == again
    # ...and the graph depends on its input: another event id gives another action.
    changed = copy.deepcopy(ledgers)
    ((item_id, ledger),) = changed.items()
    ledger[1]["event"] = str(uuid.uuid4())
    assert canonical_json(build_graph(package, changed)) != first
    assert actions_in_order(build_graph(package, changed), item_id)[1][0] == ledger[1]["event"]


def test_two_items_and_a_ledger_continued_by_the_receiver() -> None:
    """Hand-built input: two items, one received and analysed by another agency's node."""
    case_id, a, b = (str(uuid.uuid5(uuid.NAMESPACE_DNS, n)) for n in ("case", "a", "b"))
    case = {
        "id": case_id,
        "reference": "CBI-2026-0007",
        "title": "Mule accounts",
        "summary": "",
        "jurisdictions": ["IN", "US"],
        "offences": [],
        "legal_authority": [{"kind": "order", "reference": "MLAT-17"}],
        "agencies": ["CBI", "FBI"],
    }
    items = [
        {
            "id": i,
            "exhibit": f"CBI-2026-0007/E{n}",
            "root_exhibit": f"CBI-2026-0007/E{n}",
            "name": f"dump{n}.bin",
            "path": f"dump{n}.bin",
            "size": 3,
            "hashes": {"sha256": hashlib.sha256(i.encode()).hexdigest()},
            "acquisition": {"device": {}},
            "origin_agency": "CBI",
        }
        for n, i in enumerate((a, b), start=1)
    ]
    cbi = {"code": "CBI", "name": "Central Bureau of Investigation", "country": "IN"}
    fbi = FBI

    def event(item: str, seq: int, action: str, agency: dict[str, str]) -> dict[str, Any]:
        return {
            "version": 1,
            "event": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{item}/{seq}")),
            "item": item,
            "exhibit": next(x["exhibit"] for x in items if x["id"] == item),
            "seq": seq,
            "action": action,
            "at": f"2026-11-0{seq}T08:00:00Z",
            "local_time": f"2026-11-0{seq}T13:30:00+05:30",
            "timezone": "Asia/Kolkata",
            "actor": {"username": "admin", "name": "Administrator", "roles": ["administrator"]},
            "agency": agency,
            "node": ("a" if agency is cbi else "b") * 64,
            "place": None,
            "purpose": None,
            "authority": "order:MLAT-17" if action == "received" else None,
            "item_sha256": hashlib.sha256(item.encode()).hexdigest(),
            "details": {"transferred": {"recipient": fbi}, "received": {"sender": cbi}}.get(
                action, {}
            ),
            "prev": "0" * 64,
        }

    ledgers = {
        a: [
            event(a, 1, "acquired", cbi),
            event(a, 2, "transferred", cbi),
            event(a, 3, "received", fbi),
            event(a, 4, "analysed", fbi),
        ],
        b: [event(b, 1, "acquired", cbi), event(b, 2, "transferred", cbi)],
    }
    ledgers[a][3]["hash"] = "e" * 64  # a ledger view (event_view) adds the chain hash
    package = _package({**case}, items, "a" * 64)
    graph = build_graph(package, ledgers)
    expected = {i: [(e["event"], e["action"]) for e in ledgers[i]] for i in (a, b)}
    assert actions_in_order(graph, a) == expected[a]
    assert actions_in_order(graph, b) == expected[b]
    assert actions_in_order(graph) == expected[a] + expected[b]
    nodes = _nodes(graph)
    # Without a source device the first action has no object; later ones take the record.
    assert (
        "uco-action:object" not in nodes[action_iri(ledgers[b][0]["event"])]
        or not (nodes[action_iri(ledgers[b][0]["event"])]["uco-action:object"])
    )
    analysed = nodes[action_iri(ledgers[a][3]["event"])]
    references = {
        r["uco-core:definingContext"]: r["uco-core:externalIdentifier"]
        for r in analysed["uco-core:externalReference"]
    }
    assert references == {
        "comity:custody-event": ledgers[a][3]["event"],
        "comity:custody-event-hash": "e" * 64,
    }
    received = nodes[action_iri(ledgers[a][2]["event"])]
    receiver = nodes[received["uco-action:performer"]["@id"]]
    sender = nodes[action_iri(ledgers[a][1]["event"])]["uco-action:performer"]["@id"]
    assert receiver["@id"] != sender  # same username, another agency: another person
    instruments = [nodes[i] for i in _ids(received["uco-action:instrument"])]
    tools = {n["uco-core:name"] for n in instruments if n["@type"] == "uco-tool:Tool"}
    assert tools == {"Comity node of FBI"}
    (sending,) = _ids(received["uco-action:participant"])
    assert nodes[sending]["uco-core:name"] == "Central Bureau of Investigation (CBI)"
    (order,) = (n for n in instruments if n["@type"] == "case-investigation:Authorization")
    assert order["case-investigation:authorizationIdentifier"] == "MLAT-17"
    described, referred = _all_ids(graph["@graph"])
    assert referred - described == set()
    assert all(UUID_TAIL.search(i) for i in described)
