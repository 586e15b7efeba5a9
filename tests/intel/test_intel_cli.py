"""``comity collection``, ``comity share``, ``comity intel import|export``, as users run them."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

ATTACK = Path(__file__).parents[1] / "data" / "intel" / "attack" / "ics-attack-15.0.json"


def _node(factory: Any) -> Any:
    cbi = factory("cbi")
    cbi.run(
        "init", "--agency", "CBI", "--agency-code", "CBI", "--country", "IN", "--json", check=True
    )
    cbi.run("peer", "add", "FBI", "--agency", "FBI", "--country", "US", "--json", check=True)
    return cbi


def test_collections_and_sharing_from_the_command_line(cli_node_factory: Any) -> None:
    cbi = _node(cli_node_factory)
    created = cbi.run(
        "collection", "create", "fraud-infra", "--title", "Fraud", "--json", check=True
    ).json()
    assert created["name"] == "fraud-infra" and created["id"]
    again = cbi.run("collection", "create", "fraud-infra")
    assert again.code == 2 and "exists" in again.err and "Traceback" not in again.err
    shared = cbi.run(
        "share",
        "--collection",
        "fraud-infra",
        "--peer",
        "fbi",
        "--read",
        "--max-tlp",
        "AMBER+STRICT",
        "--json",
        check=True,
    ).json()
    assert (shared["peer"], shared["read"], shared["write"], shared["max_tlp"]) == (
        "FBI",
        True,
        False,
        "amber+strict",
    )
    red = cbi.run(
        "share", "--collection", "fraud-infra", "--peer", "FBI", "--read", "--max-tlp", "red"
    )
    assert red.code == 2 and "RED" in red.err
    neither = cbi.run("share", "--collection", "fraud-infra", "--peer", "FBI", "--max-tlp", "green")
    assert neither.code == 2
    listed = cbi.run("collection", "list", "--json", check=True).json()["collections"]
    assert listed[0]["shared_with"][0]["max_tlp"] == "amber+strict"
    assert "fraud-infra" in cbi.run("collection", "list", check=True).out
    revoked = cbi.run(
        "share", "--collection", "fraud-infra", "--peer", "FBI", "--revoke", "--json", check=True
    ).json()
    assert revoked["revoked"] is True
    audit = cbi.run("audit", "log", "--json", check=True).json()
    actions = {e["action"] for e in audit["entries"]}
    assert {"intel.collection.create", "intel.share", "intel.share.revoke"} <= actions


def test_import_and_export_from_the_command_line(cli_node_factory: Any, tmp_path: Path) -> None:
    cbi = _node(cli_node_factory)
    result = cbi.run("intel", "import", str(ATTACK), "--tlp", "clear", "--json", check=True).json()
    assert result["collection"] == "local" and result["added"] == 1863
    assert any("spec_version" in w for w in result["warnings"])
    red = {
        "type": "indicator",
        "spec_version": "2.1",
        "id": f"indicator--{uuid.uuid4()}",
        "created": "2026-11-01T00:00:00Z",
        "modified": "2026-11-01T00:00:00Z",
        "pattern": "[phone-number:value = '+919876543210']",
        "pattern_type": "stix",
        "valid_from": "2026-11-01T00:00:00Z",
    }
    bundle = tmp_path / "red.json"
    bundle.write_text(
        json.dumps({"type": "bundle", "id": f"bundle--{uuid.uuid4()}", "objects": [red]})
    )
    cbi.run("intel", "import", str(bundle), "--tlp", "red", "--json", check=True)
    broken = tmp_path / "broken.json"
    broken.write_text('{"type": "bundle", "objects": [{"type": "indicator"}]}')
    refused = cbi.run("intel", "import", str(broken), "--json")
    assert refused.code == 2 and "nothing was imported" in refused.err
    missing = cbi.run("intel", "import", str(tmp_path / "nope.json"))
    assert missing.code == 2 and "cannot read" in missing.err
    out = tmp_path / "export.json"
    summary = cbi.run("intel", "export", "--out", str(out), "--json", check=True).json()
    exported = json.loads(out.read_text())
    ids = {o["id"] for o in exported["objects"]}
    assert red["id"] not in ids and summary["objects"] == len(exported["objects"])
    assert summary["withheld"] == [{"reason": "TLP:RED never leaves this node", "objects": 1}]
    reimported = cli_node_factory("again")
    reimported.run(
        "init", "--agency", "X", "--agency-code", "X", "--country", "US", "--json", check=True
    )
    back = reimported.run("intel", "import", str(out), "--json", check=True).json()
    assert back["added"] == len(exported["objects"]) and back["rejected"] == []
