"""Evidence packages end to end: two real nodes (CBI, India; FBI, US) driven by ``comity``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest


def _init(factory: Any, name: str, code: str, country: str, agency: str, tz: str) -> Any:
    node = factory(name)
    node.run(
        "init", "--agency", agency, "--agency-code", code, "--country", country,
        "--timezone", tz, "--json", check=True,
    )  # fmt: skip
    return node


@pytest.fixture
def nodes(cli_node_factory: Any, tmp_path: Path) -> tuple[Any, Any, str, Path]:
    """CBI and FBI nodes that know each other, and a CBI case with two evidence files."""
    cbi = _init(
        cli_node_factory, "cbi", "CBI", "IN", "Central Bureau of Investigation", "Asia/Kolkata"
    )
    fbi = _init(
        cli_node_factory, "fbi", "FBI", "US", "Federal Bureau of Investigation", "America/New_York"
    )
    for node, other, name in ((cbi, fbi, "fbi.json"), (fbi, cbi, "cbi.json")):
        other.run("node", "export", "--out", str(tmp_path / name), check=True)
        node.run("peer", "add", "--descriptor", str(tmp_path / name), "--json", check=True)
    case = cbi.run(
        "case", "create", "--title", "Fake call centre", "--jurisdiction", "IN",
        "--jurisdiction", "US", "--offence", "IN:BNS 318(4)", "--json", check=True,
    ).json()["reference"]  # fmt: skip
    seized = tmp_path / "seized"
    (seized / "phone").mkdir(parents=True)
    (seized / "image.dd").write_bytes(os.urandom(100_000))
    (seized / "phone" / "chats.txt").write_text("meet at 9\n" * 50)
    cbi.run("evidence", "add", case, str(seized / "image.dd"), str(seized / "phone"),
            "--json", check=True)  # fmt: skip
    return cbi, fbi, case, tmp_path


def _verify(path: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    """``comity verify`` with no node at all (no COMITY_HOME, empty working folder)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMITY_")}
    return subprocess.run(
        [sys.executable, "-m", "comity.cli.main", "verify", str(path), *extra],
        env=env, cwd=path.parent, capture_output=True, text=True, check=False,
    )  # fmt: skip


@pytest.mark.parametrize("name", ["to-fbi.zip", "to-fbi.sealed"])
def test_in_to_us_export_verify_import_receipt(
    nodes: tuple[Any, Any, str, Path], name: str
) -> None:
    cbi, fbi, case, tmp = nodes
    sealed = name.endswith(".sealed")
    out = tmp / name
    sent = cbi.run(
        "evidence", "export", case, "--to", "FBI", "--out", str(out),
        *(["--encrypt"] if sealed else []), "--json", check=True,
    ).json()  # fmt: skip
    assert sent["format"] == ("sealed" if sealed else "zip") and len(sent["items"]) == 2
    descriptor = tmp / "cbi.json"

    if sealed:
        plain = tmp / "plain"
        unsealed = fbi.run("evidence", "unseal", str(out), "--out", str(plain), "--json")
        assert unsealed.code == 0, unsealed.err
        assert unsealed.json()["authenticated"] is True
        checked = plain
    else:
        checked = out
    no_trust = _verify(checked)
    assert no_trust.returncode == 0, no_trust.stdout + no_trust.stderr
    assert "integrity verified, signer not authenticated" in no_trust.stdout
    trusted = _verify(checked, "--trust", str(descriptor), "--json")
    assert trusted.returncode == 0 and json.loads(trusted.stdout)["authenticated"] is True

    imported = fbi.run("evidence", "import", str(out), "--json")
    assert imported.code == 0, imported.err
    result = imported.json()
    receipt = Path(result["receipt_path"])
    assert receipt.is_file() and result["sender"]["code"] == "CBI"
    local = result["items"][0]["local_exhibit"]
    log = fbi.run("custody", "log", local, "--json", check=True).json()
    assert [e["action"] for e in log["events"]] == ["acquired", "exported", "received"]
    sender_log = cbi.run("custody", "log", result["items"][0]["exhibit"], "--json", check=True)
    sender_events = sender_log.json()["events"]
    assert log["events"][-1]["prev"] == sender_events[-1]["hash"]
    assert fbi.run("custody", "verify", "--json", check=True).json()["ok"] is True

    human = cbi.run("evidence", "receipt", str(receipt))
    assert human.code == 0 and "Receipt recorded" in human.out, human.err
    after = cbi.run("custody", "log", result["items"][0]["exhibit"], "--json", check=True).json()
    assert after["events"][-1]["action"] == "transferred"
    twice = cbi.run("evidence", "receipt", str(receipt), "--json")
    assert twice.code == 2 and "already recorded" in twice.err and "Traceback" not in twice.err
    audit = [e["action"] for e in json.loads(
        cbi.run("audit", "log", "--json", check=True).out)["entries"]]  # fmt: skip
    assert {"package.export", "package.receipt"} <= set(audit)


def test_tampered_import_exits_1_and_changes_nothing_bad_input_exits_2(
    nodes: tuple[Any, Any, str, Path],
) -> None:
    cbi, fbi, case, tmp = nodes
    out = tmp / "pkg"
    cbi.run("evidence", "export", case, "--to", "FBI", "--out", str(out), "--json", check=True)
    ledger = next((out / "comity" / "ledger").iterdir())
    lines = ledger.read_text().splitlines()
    ledger.write_text("\n".join(reversed(lines)) + "\n")
    verified = _verify(out)
    assert verified.returncode == 1 and "event 1 is missing" in verified.stdout
    before = fbi.run("case", "list", "--json", check=True).out
    refused = fbi.run("evidence", "import", str(out), "--json")
    assert refused.code == 1 and "package refused" in refused.err
    assert "Traceback" not in refused.err
    assert fbi.run("case", "list", "--json", check=True).out == before
    assert not (tmp / "pkg.receipt.json").exists()
    objects = fbi.home / "evidence" / "objects"
    assert not objects.exists() or not any(p.is_file() for p in objects.rglob("*"))

    # Bad input exits 2, with a message and no traceback, and writes nothing.
    for args in (
        ["evidence", "export", case, "--to", "NOPE", "--out", str(tmp / "x.zip")],
        ["evidence", "export", "NO-CASE", "--to", "FBI", "--out", str(tmp / "x.zip")],
        ["evidence", "import", str(tmp / "missing.zip")],
        ["evidence", "receipt", str(tmp / "missing.json")],
        ["verify", str(tmp / "missing"), "--trust", str(tmp / "nokey")],
    ):
        result = cbi.run(*args, "--json")
        assert result.code == 2, (args, result.err)
        assert "Traceback" not in result.err and result.err.startswith("error:")
    assert not (tmp / "x.zip").exists()
