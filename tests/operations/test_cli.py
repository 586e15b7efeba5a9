"""``comity operation`` end to end: real processes, each node with its own home and database."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.conftest import CliNode
from tests.operations.conftest import ROWS, write_complaints


def _init(factory: Any, name: str, code: str, country: str, zone: str) -> CliNode:
    node: CliNode = factory(name)
    node.run(
        "init",
        "--agency",
        code,
        "--agency-code",
        code,
        "--country",
        country,
        "--timezone",
        zone,
        check=True,
    )
    return node


def test_from_linked_complaints_to_the_figures(cli_node_factory: Any, tmp_path: Path) -> None:
    cbi = _init(cli_node_factory, "cbi", "CBI", "IN", "Asia/Kolkata")
    fbi = _init(cli_node_factory, "fbi", "FBI", "US", "America/New_York")
    fbi.run("node", "export", "--out", str(tmp_path / "fbi.json"), check=True)
    cbi.run("peer", "add", "--descriptor", str(tmp_path / "fbi.json"), check=True)
    cbi.run("link", "ingest", str(write_complaints(tmp_path / "c.csv", ROWS)), check=True)
    cbi.run("link", "run", check=True)
    network = cbi.run("link", "networks", "--json", check=True).json()["networks"][0]["id"]

    op = cbi.run(
        "operation",
        "create",
        "--network",
        network,
        "--title",
        "Operation Chakra",
        "--agency",
        "FBI=America/New_York",
        "--at",
        "2026-03-14T06:00",
        "--zone",
        "Asia/Kolkata",
        "--json",
        check=True,
    ).json()
    oid = op["id"]
    assert oid.startswith("OP-") and op["network"]["id"] == network
    assert [p["time"] for p in op["planned_local"]] == [
        "2026-03-14T06:00:00+05:30",
        "2026-03-13T20:30:00-04:00",
    ]
    target = cbi.run(
        "operation", "target", "add", oid, "suspect", "--jurisdiction", "IN",
        "--name", "Ravi Kumar", "--alias", "RK", "--json", check=True,
    ).json()  # fmt: skip
    assert target["kind"] == "suspect" and target["aliases"] == ["RK"]
    task = cbi.run(
        "operation", "task", "add", oid, "--title", "Search the Newark premises",
        "--agency", "FBI", "--due", "2026-03-10", "--json", check=True,
    ).json()  # fmt: skip
    cbi.run("operation", "task", "done", oid, str(task["number"]), check=True)
    cbi.run("operation", "status", oid, "active", check=True)
    cbi.run("operation", "outcome", "add", oid, "--kind", "arrests", "--count", "4", check=True)
    cbi.run(
        "operation", "outcome", "add", oid, "--kind", "arrests", "--count", "2",
        "--agency", "FBI", check=True,
    )  # fmt: skip
    frozen = cbi.run(
        "operation", "outcome", "add", oid, "--kind", "funds_frozen",
        "--amount", "2.45 lakh", "--currency", "INR", check=True,
    )  # fmt: skip
    assert "₹2.45 lakh" in frozen.out
    cbi.run("operation", "status", oid, "executed", "--at", "2026-03-14T06:30+05:30", check=True)
    cbi.run("operation", "note", "add", oid, "Debrief held with the FBI", check=True)

    shown = cbi.run("operation", "show", oid, "--json", check=True).json()
    assert shown["tasks"][0]["done"] is True and shown["totals"]["arrests"] == 6
    assert shown["notes"][0]["text"] == "Debrief held with the FBI"
    human = cbi.run("operation", "show", oid, check=True).out
    assert "06:00 IST" in human and "20:30 EDT" in human and "Ravi Kumar" in human
    listed = cbi.run("operation", "list", "--json", check=True).json()["operations"]
    assert [o["id"] for o in listed] == [oid]

    stats = cbi.run("operation", "stats", "--year", "2026", "--json", check=True).json()
    assert stats["summary"] == "1 joint operation, 6 arrests in 2026"
    assert stats["outcomes"]["funds_frozen"] == {"INR": "245000.00"}
    assert stats["by_agency"]["FBI"]["arrests"] == 2
    table = cbi.run("operation", "stats", "--year", "2026", check=True).out
    assert "1 joint operation, 6 arrests in 2026" in table
    assert "INR 2,45,000.00 (₹2.45 lakh)" in table
    assert (
        cbi.run("operation", "stats", "--year", "2025", "--json", check=True).json()["operations"]
        == 0
    )

    bad = [
        (["operation", "create", "--network", "N-999999"], "no network"),
        (["operation", "create", "--network", network, "--agency", "INTERPOL"], "INTERPOL"),
        (["operation", "status", oid, "planned"], "can become closed"),
        (["operation", "status", "OP-1999-0001", "active"], "no operation"),
        (
            ["operation", "outcome", "add", oid, "--kind", "funds_frozen", "--amount", "-5",
             "--currency", "INR"],
            "negative",
        ),
        (
            ["operation", "outcome", "add", oid, "--kind", "funds_frozen", "--amount", "5",
             "--currency", "RUPEES"],
            "ISO 4217",
        ),
        (["operation", "schedule", oid, "next tuesday"], "executed"),
    ]  # fmt: skip
    for args, message in bad:
        result = cbi.run(*args)
        assert result.code == 2, (args, result.err)
        assert message in result.err and "Traceback" not in result.err, (args, result.err)
    again = cbi.run("operation", "show", oid, "--json", check=True).json()
    assert len(again["outcomes"]) == 3 and again["status"] == "executed"
