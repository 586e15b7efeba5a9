"""MISP events: the real CIRCL events import, round trips, TLP tags, damaged input."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from comity.intel import importers
from comity.intel.errors import IntelInputError
from comity.intel.importers import ReadOptions
from comity.intel.importing import ImportRefused, ImportRequest, import_data
from comity.intel.misp import convert, export_misp, looks_like_misp, tlp_level_of_tag
from comity.intel.models import IntelObject
from comity.intel.policy import Recipient
from comity.intel.services import create_collection
from comity.intel.tlp import TLP2_IDS, level_of
from tests.conftest import Node

MISP = Path(__file__).parents[1] / "data" / "intel" / "misp"
SCAM = MISP / "misp.event.53d2f469-9f7f-4e40-8dc1-a721f1b223fb.json"
LOCKER = MISP / "misp.event.cc8d930b-aa5f-40b8-a30e-dc86bfd83003.json"


def _event(path: Path = SCAM) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(path.read_bytes())
    return document


def _import(node: Node, data: bytes | dict[str, Any] | list[Any], **request: Any) -> dict[str, Any]:
    if not isinstance(data, bytes):
        data = json.dumps(data).encode()
    request.setdefault("collection", "fraud")
    request.setdefault("source", "event.json")
    with node.ctx.transaction() as session:
        return import_data(
            session, node.actor(), data, ImportRequest(**request), policy=node.policy
        )


def _stored(node: Node) -> dict[str, dict[str, Any]]:
    with node.ctx.transaction() as session:
        rows = session.scalars(select(IntelObject)).all()
        return {row.stix_id: {**json.loads(row.body), "_tlp": row.tlp} for row in rows}


def _export(node: Node, max_tlp: str = "amber+strict") -> tuple[Any, list[dict[str, Any]]]:
    with node.ctx.transaction() as session:
        return export_misp(session, node.actor(), Recipient.file(max_tlp), "fraud")


def _collection(node: Node) -> Node:
    with node.ctx.transaction() as session:
        create_collection(session, node.actor(), "fraud", title="Fraud")
    return node


@pytest.fixture
def fraud(node: Node) -> Node:
    return _collection(node)


def _attributes(event: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every attribute of an event (top level and inside objects) by uuid."""
    found = {a["uuid"]: a for a in event.get("Attribute", [])}
    for obj in event.get("Object", []):
        found.update({a["uuid"]: a for a in obj["Attribute"]})
    return found


def _tags(thing: dict[str, Any]) -> list[str]:
    return sorted(t["name"] for t in thing.get("Tag", []))


# ------------------------------------------------------------------------- detection, reading


def test_detects_misp_in_every_form_and_not_stix() -> None:
    event = _event()
    assert looks_like_misp(SCAM.read_bytes())
    assert looks_like_misp(json.dumps([event, event]).encode())
    assert looks_like_misp(json.dumps({"response": [event]}).encode())
    assert looks_like_misp(json.dumps(event["Event"]).encode())
    assert not looks_like_misp(b'{"type": "bundle", "id": "bundle--x", "objects": []}')
    assert not looks_like_misp(b"call +91 98765 43210 about info and Attribute")
    assert importers.detect(SCAM.read_bytes()) == "misp"


def test_scam_event_maps_to_stix() -> None:
    parsed = convert(_event(), ReadOptions("scam.json", "IN"))
    assert parsed.rejected == []
    objects = {o["id"]: o for o in parsed.objects}
    report = objects["report--53d2f469-9f7f-4e40-8dc1-a721f1b223fb"]
    assert report["name"] == "Successful Scam call involving money transfer"
    assert report["created_by_ref"] == "identity--5d6d3b30-9db0-44b9-8869-7f56a5e38e14"
    assert objects[report["created_by_ref"]]["name"] == "Training"
    assert 'veris:action:social:vector="Phone"' in report["labels"]
    assert "tlp:green" not in report["labels"]
    assert all(level_of(o) == "green" for o in parsed.objects)
    phone = objects["indicator--38d27219-bfa1-43d9-a7c4-3769296e32d5"]
    assert phone["pattern"] == "[phone-number:value = '+12243359185']"
    assert phone["x_misp_attribute"]["uuid"] == "38d27219-bfa1-43d9-a7c4-3769296e32d5"
    (account,) = [o for o in parsed.objects if o["type"] == "bank-account"]
    assert account["value"] == "GB29NWBK60161331926819"
    assert account["account_number"] == "31926819" and account["bic"] == "NWBK"
    (file,) = [o for o in parsed.objects if o["type"] == "file"]
    assert file["name"] == "bin.exe" and set(file["hashes"]) == {"MD5", "SHA-1", "SHA-256"}
    (person,) = [o for o in parsed.objects if o.get("identity_class") == "individual"]
    assert person["id"] == "identity--e1691da4-7737-4410-a817-f3f8f4419ff1"
    assert person["name"] == "Wallace Breen"
    owner = [
        o for o in parsed.objects if o["type"] == "relationship" and o["source_ref"] == person["id"]
    ]
    assert {r["relationship_type"] for r in owner} == {"owner-of", "downloaded", "installed"}
    domains = [o["value"] for o in parsed.objects if o["type"] == "domain-name"]
    assert domains == ["zdgyot.ugic0k.ru"]
    assert set(report["object_refs"]) == set(objects) - {report["id"]}


def test_locker_event_keeps_invalid_values_flagged_and_warns_of_what_is_not_mapped() -> None:
    parsed = convert(_event(LOCKER), ReadOptions("locker.json"))
    assert parsed.rejected == []
    (email,) = [o for o in parsed.objects if o["type"] == "email-addr"]
    assert email["value"] == "andrew_ryan@rindustries.rp"
    assert email["x_comity_invalid"] == "unknown top-level domain"
    (wallet,) = [o for o in parsed.objects if o["type"] == "cryptocurrency-wallet"]
    assert wallet["value"] == "btc:1KP72fBmh3XBRfuJDMn53APaqM6iMRspCh"
    assert len([o for o in parsed.objects if o["type"] == "windows-registry-key"]) == 3
    text = "\n".join(parsed.warnings)
    assert "4ee2f626-ee6d-4b35-bea4-41608d664288" in text and "'attachment'" in text
    assert "ac55c705-fba4-451f-981d-70a39d3e37c2" in text and "'crypto-material'" in text
    assert "RelatedEvent" in text
    assert "Event.Object[0].Attribute[1]" in text  # the invalid e-mail address, located


def test_indian_bank_account_upi_and_wallet_symbols() -> None:
    event = {
        "Event": {
            "uuid": "11111111-2222-4333-8444-555555555555",
            "info": "Mule accounts",
            "date": "2026-11-01",
            "Attribute": [
                {"uuid": "11111111-0000-4000-8000-000000000001", "type": "email-dst",
                 "value": "refund.kyc@okaxis", "to_ids": True},
                {"uuid": "11111111-0000-4000-8000-000000000002", "type": "text",
                 "value": "Fraud.Pay@YBL", "comment": "UPI handle given on the call"},
                {"uuid": "11111111-0000-4000-8000-000000000003", "type": "comment",
                 "value": "victim paid twice"},
            ],
            "Object": [
                {"uuid": "11111111-0000-4000-8000-000000000010", "name": "bank-account",
                 "Attribute": [
                     {"uuid": "11111111-0000-4000-8000-000000000011", "type": "bank-account-nr",
                      "object_relation": "account", "value": "5010 0234 5678 90", "to_ids": True},
                     {"uuid": "11111111-0000-4000-8000-000000000012", "type": "text",
                      "object_relation": "institution-code", "value": "hdfc0001234"},
                 ]},
                {"uuid": "11111111-0000-4000-8000-000000000020", "name": "coin-address",
                 "Attribute": [
                     {"uuid": "11111111-0000-4000-8000-000000000021", "type": "btc",
                      "object_relation": "address",
                      "value": "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed"},
                     {"uuid": "11111111-0000-4000-8000-000000000022", "type": "text",
                      "object_relation": "symbol", "value": "ETH"},
                 ]},
            ],
        }
    }  # fmt: skip
    parsed = convert(event, ReadOptions("mules.json", "IN"))
    assert parsed.rejected == []
    values = {o["type"]: o["value"] for o in parsed.objects if "value" in o}
    assert values["upi-id"] in ("refund.kyc@okaxis", "fraud.pay@ybl")
    assert {o["value"] for o in parsed.objects if o["type"] == "upi-id"} == {
        "refund.kyc@okaxis",
        "fraud.pay@ybl",
    }
    assert values["bank-account"] == "HDFC0001234:50100234567890"
    assert values["cryptocurrency-wallet"] == "eth:0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"
    note = next(o for o in parsed.objects if o["id"].endswith("000000000003"))
    assert note["type"] == "note" and note["content"] == "victim paid twice"


# ------------------------------------------------------------------------- TLP


def _tagged_event() -> dict[str, Any]:
    event = _event()
    attributes = event["Event"]["Attribute"]
    attributes[0]["Tag"] = [{"name": "tlp:red"}]  # the IP address
    attributes[1]["Tag"] = [{"name": "TLP:CLEAR"}]  # the phone: less restrictive, ignored
    return event


def test_attribute_tags_only_restrict_and_reports_hide_what_is_above_them() -> None:
    parsed = convert(_tagged_event(), ReadOptions("tagged.json"))
    objects = {o["id"]: o for o in parsed.objects}
    ip = objects["indicator--8d651574-d18d-489b-ad8c-e04d586bebef"]
    assert level_of(ip) == "red"
    (address,) = [o for o in parsed.objects if o["type"] == "ipv4-addr"]
    assert level_of(address) == "red"
    assert level_of(objects["indicator--38d27219-bfa1-43d9-a7c4-3769296e32d5"]) == "green"
    report = objects["report--53d2f469-9f7f-4e40-8dc1-a721f1b223fb"]
    assert ip["id"] not in report["object_refs"] and address["id"] not in report["object_refs"]
    assert any("less restrictive" in w for w in parsed.warnings)


@pytest.mark.parametrize(
    ("tag", "level"),
    [
        ("tlp:white", "clear"),
        ("tlp:clear", "clear"),
        ("TLP:GREEN", "green"),
        ("tlp:amber", "amber"),
        ("tlp:amber+strict", "amber+strict"),
        ("tlp:red", "red"),
        ("workflow:state", None),
    ],
)
def test_tlp_tags(tag: str, level: str | None) -> None:
    assert tlp_level_of_tag(tag) == level


def test_unknown_tlp_tag_is_a_warning_and_several_take_the_most_restrictive() -> None:
    event = _event()
    event["Event"]["Tag"] += [{"name": "tlp:ex:chr"}, {"name": "tlp:amber"}]
    parsed = convert(event, ReadOptions("e.json"))
    assert all(level_of(o) == "amber" for o in parsed.objects)
    assert any("tlp:ex:chr" in w for w in parsed.warnings)
    assert any("several TLP tags" in w for w in parsed.warnings)


# ------------------------------------------------------------------------- the database


def test_both_real_events_import_atomically_then_unchanged(fraud: Node) -> None:
    for path in (SCAM, LOCKER):
        result = _import(fraud, path.read_bytes(), source=path.name)
        assert result["format"] == "misp" and result["rejected"] == []
        assert result["added"] + result["unchanged"] == result["total"]  # Orgc: once
        again = _import(fraud, path.read_bytes(), source=path.name)
        assert again["added"] == 0 and again["unchanged"] == result["total"]
    stored = _stored(fraud)
    assert "report--53d2f469-9f7f-4e40-8dc1-a721f1b223fb" in stored
    assert "report--cc8d930b-aa5f-40b8-a30e-dc86bfd83003" in stored
    assert {o["_tlp"] for o in stored.values()} == {"green"}


def test_damaged_attributes_refuse_the_event_or_are_skipped(fraud: Node) -> None:
    event = _event()
    event["Event"]["Attribute"].append({"uuid": "not-a-uuid", "type": "ip-dst", "value": "1.2.3.4"})
    event["Event"]["Attribute"].append(
        {"uuid": "22222222-0000-4000-8000-000000000001", "type": "domain", "value": {"x": 1}}
    )
    with pytest.raises(ImportRefused) as refused:
        _import(fraud, event)
    assert "Event.Attribute[2]" in refused.value.message
    rejected = refused.value.data["rejected"]
    assert [r["id"] for r in rejected] == ["not-a-uuid", "22222222-0000-4000-8000-000000000001"]
    assert "is not text" in rejected[1]["reason"]
    assert _stored(fraud) == {}
    result = _import(fraud, event, skip_invalid=True)
    assert len(result["rejected"]) == 2
    assert "report--53d2f469-9f7f-4e40-8dc1-a721f1b223fb" in _stored(fraud)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"{not json", "not valid JSON"),
        (b"[]", "no MISP event"),
        (b'"Event"', "not a JSON object or list"),
        (b'{"Event": []}', "is not a JSON object"),
        (b'{"Event": {"uuid": "x", "Attribute": []}}', "is not a UUID"),
        (b'{"Event": {"info": "a", "Attribute": {"a": 1}}}', "'Attribute' is not a list"),
        (b'{"Event": {"info": "a", "Object": "x"}}', "'Object' is not a list"),
        (b'{"Event": {"info": "a", "Tag": "tlp:red"}}', "'Tag' is not a list"),
        (b'[{"Event": {"info": "a"}}, 3]', "item 1 is not a MISP event"),
        (b'{"Event": {"info": "a", "Attribute": [{"type": "url", "value": "x", "Sighting": 1}]}}',
         "'Sighting' is not a list"),
    ],
)  # fmt: skip
def test_broken_documents_are_clear_errors(fraud: Node, data: bytes, message: str) -> None:
    with pytest.raises(IntelInputError) as error:
        _import(fraud, data, format="misp")
    assert message in error.value.message
    assert _stored(fraud) == {}


# ------------------------------------------------------------------------- round trip


def _same_event(original: dict[str, Any], exported: dict[str, Any]) -> None:
    assert exported["uuid"] == original["uuid"]
    assert exported["info"] == original["info"]
    assert exported["date"] == original["date"]
    assert exported["Orgc"] == {"name": "Training", "uuid": original["Orgc"]["uuid"]}
    assert _tags(exported) == _tags(original)
    before, after = _attributes(original), _attributes(exported)
    assert set(after) == set(before)
    for key, attribute in before.items():
        assert after[key]["value"] == attribute["value"], key
        assert after[key]["type"] == attribute["type"], key
        assert after[key]["object_relation"] == attribute["object_relation"], key
        assert _tags(after[key]) == _tags(attribute), key
    assert {o["uuid"]: o["name"] for o in exported["Object"]} == {
        o["uuid"]: o["name"] for o in original["Object"]
    }
    references = {
        r["uuid"]: r["referenced_uuid"] for o in original["Object"] for r in o["ObjectReference"]
    }
    exported_refs = {
        r["uuid"]: r["referenced_uuid"] for o in exported["Object"] for r in o["ObjectReference"]
    }
    assert exported_refs == references


@pytest.mark.parametrize("path", [SCAM, LOCKER], ids=["scam", "locker"])
def test_round_trip_keeps_uuids_values_tags_and_provenance(
    fraud: Node, us_node: Node, path: Path
) -> None:
    original = _event(path)["Event"]
    _import(fraud, path.read_bytes(), source=path.name)
    document, withheld = _export(fraud)
    assert withheld == []
    exported = document["Event"]
    _same_event(original, exported)
    assert exported["x_comity_provenance"]["source"] == path.name
    assert exported["x_comity_provenance"]["from_agency"] == "CBI"

    fbi = _collection(us_node)
    result = _import(fbi, document, source="from-cbi.json")
    assert result["rejected"] == []
    again, _ = _export(fbi)
    _same_event(original, again["Event"])
    assert again["Event"]["x_comity_provenance"]["earlier"]["from_agency"] == "CBI"
    assert _stored(fbi).keys() == _stored(fraud).keys()


def test_export_applies_the_tlp_policy(fraud: Node) -> None:
    _import(fraud, _tagged_event())
    document, withheld = _export(fraud, "amber+strict")
    event = document["Event"]
    assert "8d651574-d18d-489b-ad8c-e04d586bebef" not in _attributes(event)
    # the address, its indicator, and the geolocation's and ASN's relationships to it
    assert withheld == [{"reason": "TLP:RED never leaves this node", "objects": 4}]
    phone = _attributes(event)["38d27219-bfa1-43d9-a7c4-3769296e32d5"]
    assert _tags(phone) == []  # at the event's level: the event's tag covers it
    assert "tlp:green" in _tags(event)
    _, withheld = _export(fraud, "clear")
    assert any("above what an export file may receive" in w["reason"] for w in withheld)


def test_raised_attribute_keeps_its_tag_on_export(fraud: Node) -> None:
    event = _event()
    event["Event"]["Attribute"][1]["Tag"] = [{"name": "tlp:amber"}]
    _import(fraud, event)
    document, _ = _export(fraud)
    phone = _attributes(document["Event"])["38d27219-bfa1-43d9-a7c4-3769296e32d5"]
    assert _tags(phone) == ["tlp:amber"]


def test_sightings_round_trip(fraud: Node) -> None:
    event = _event()
    phone = event["Event"]["Attribute"][1]
    phone["Sighting"] = [
        {"uuid": "33333333-0000-4000-8000-000000000001", "type": "0",
         "date_sighting": "1700000000", "source": "call log",
         "Organisation": {"name": "CBI", "uuid": "33333333-0000-4000-8000-0000000000aa"}},
        {"uuid": "33333333-0000-4000-8000-000000000002", "type": "1",
         "date_sighting": "1700000100"},
    ]  # fmt: skip
    parsed = convert(copy.deepcopy(event), ReadOptions("s.json"))
    (sighting,) = [o for o in parsed.objects if o["type"] == "sighting"]
    assert sighting["sighting_of_ref"] == "indicator--38d27219-bfa1-43d9-a7c4-3769296e32d5"
    assert sighting["where_sighted_refs"] == ["identity--33333333-0000-4000-8000-0000000000aa"]
    assert any("false-positive" in w for w in parsed.warnings)
    _import(fraud, event)
    document, _ = _export(fraud)
    exported = _attributes(document["Event"])[phone["uuid"]]["Sighting"]
    assert {(s["uuid"], s["type"], s["date_sighting"]) for s in exported} == {
        ("33333333-0000-4000-8000-000000000001", "0", "1700000000"),
        ("33333333-0000-4000-8000-000000000002", "1", "1700000100"),
    }


def test_objects_not_from_misp_export_as_attributes(fraud: Node) -> None:
    _import(
        fraud,
        b"Call 0091 98765 43210 or pay refund.kyc@okaxis; see hxxps://kyc-update[.]in/x",
        format="text",
        source="advisory.txt",
        country="IN",
        tlp="amber",
    )
    document, withheld = _export(fraud)
    event = document["Event"]
    values = {a["value"]: a for a in event["Attribute"]}
    assert values["+919876543210"]["type"] == "phone-number"
    assert values["refund.kyc@okaxis"]["comment"] == "upi-id"
    assert _tags(event) == ["tlp:amber"]
    reimported = convert(document, ReadOptions("again.json"))
    assert reimported.rejected == []
    assert withheld == []


def test_several_events_in_one_file(fraud: Node) -> None:
    result = _import(fraud, [_event(SCAM), _event(LOCKER)])
    assert result["rejected"] == []
    document, _ = _export(fraud)
    assert isinstance(document, list) and len(document) == 2
    assert {e["Event"]["uuid"] for e in document} == {
        "53d2f469-9f7f-4e40-8dc1-a721f1b223fb",
        "cc8d930b-aa5f-40b8-a30e-dc86bfd83003",
    }
    with fraud.ctx.transaction() as session:
        assert session.scalar(select(func.count()).select_from(IntelObject)) == result["added"]


def test_cli_export_counts_the_attributes_inside_objects(
    cli_node_factory: Any, tmp_path: Path
) -> None:
    cbi = cli_node_factory("cbi")
    cbi.run(
        "init", "--agency", "CBI", "--agency-code", "CBI", "--country", "IN", "--json", check=True
    )
    cbi.run("collection", "create", "fraud-infra", "--json", check=True)
    out = tmp_path / "event.json"
    export = ("intel", "export", "--format", "misp", "--collection", "fraud-infra")
    counts = []
    for path in (SCAM, LOCKER):
        cbi.run("intel", "import", str(path), "--collection", "fraud-infra", "--json", check=True)
        summary = cbi.run(*export, "--out", str(out), "--json", check=True).json()
        document = json.loads(out.read_text())
        events = [e["Event"] for e in (document if isinstance(document, list) else [document])]
        counts.append(sum(len(_attributes(event)) for event in events))
        assert summary["objects"] == counts[-1]
    # the scam event: 2 attributes of its own and 29 in its 6 objects; the locker's 3 and 36
    assert counts == [31, 70]
    human = cbi.run(*export, "--out", str(out), check=True)
    assert human.out.startswith("wrote 70 objects to ")


# ------------------------------------------------------------------------- properties

MISP_TYPES = [
    "ip-src", "ip-dst", "ip-dst|port", "domain", "hostname", "domain|ip", "url", "link",
    "email-src", "email-dst", "md5", "sha1", "sha256", "filename|md5", "malware-sample",
    "phone-number", "iban", "bank-account-nr", "bic", "btc", "xmr", "text", "comment",
    "regkey", "AS", "mac-address", "user-agent", "size-in-bytes",
]  # fmt: skip


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    attributes=st.lists(
        st.tuples(
            st.sampled_from(MISP_TYPES),
            st.text(max_size=80),
            st.one_of(st.booleans(), st.sampled_from(["1", "0", "True", "maybe"])),
            st.sampled_from([None, "tlp:red", "tlp:clear", "tlp:amber+strict", "tlp:bogus"]),
        ),
        max_size=8,
    ),
    in_object=st.booleans(),
)
def test_converter_never_crashes_and_keeps_invalid_values(
    attributes: list[tuple[str, str, Any, str | None]], in_object: bool
) -> None:
    rows = []
    for index, (kind, value, to_ids, tag) in enumerate(attributes):
        row: dict[str, Any] = {
            "uuid": f"44444444-0000-4000-8000-{index:012d}",
            "type": kind,
            "value": value,
            "to_ids": to_ids,
        }
        if tag:
            row["Tag"] = [{"name": tag}]
        rows.append(row)
    body: dict[str, Any] = {"uuid": "44444444-0000-4000-8000-ffffffffffff", "info": "fuzz"}
    if in_object:
        body["Object"] = [
            {"uuid": "44444444-0000-4000-8000-eeeeeeeeeeee", "name": "file", "Attribute": rows}
        ]
    else:
        body["Attribute"] = rows
    parsed = convert({"Event": body}, ReadOptions("fuzz.json", "IN"))
    assert parsed.rejected == []
    ids = {o["id"] for o in parsed.objects}
    assert "report--44444444-0000-4000-8000-ffffffffffff" in ids
    if in_object and rows:
        assert any(i.endswith("44444444-0000-4000-8000-eeeeeeeeeeee") for i in ids)
    elif not in_object:
        for row in rows:
            assert any(i.endswith(row["uuid"]) for i in ids), row
    for obj in parsed.objects:
        if obj.get("x_comity_invalid"):
            assert any(
                obj["x_comity_invalid"] in w or "kept as reported" in w for w in parsed.warnings
            )
        assert level_of(obj) in (None, "red", "clear", "amber", "amber+strict")
    markings = [o["object_marking_refs"] for o in parsed.objects if "object_marking_refs" in o]
    assert all(len(m) == 1 and m[0] in TLP2_IDS.values() for m in markings)


def test_an_invalid_attribute_rejects_its_object_and_says_so() -> None:
    event = _event()
    bank = next(o for o in event["Event"]["Object"] if o["name"] == "bank-account")
    bank["Attribute"][0]["value"] = ["GB29NWBK60161331926819"]
    parsed = convert(event, ReadOptions("e.json"))
    reasons = [r.reason for r in parsed.rejected]
    assert reasons[0].startswith("Event.Object[2].Attribute[0]: the value of a iban attribute")
    assert reasons[1] == "Event.Object[2]: not imported: an attribute of it is invalid (above)"
    assert not any(o["type"] == "bank-account" for o in parsed.objects)
    assert "indicator--809be621-e949-4eff-83f8-b95b1fcf834a" not in {
        o["id"] for o in parsed.objects
    }
