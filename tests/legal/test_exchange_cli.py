"""A request between two real nodes: the CBI exports it, the FBI imports it, works on it and
sends its status back — every step a ``comity`` process on its own home and database."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.conftest import CliNode
from tests.legal.test_requests_cli import _node

PARTICULARS = (
    "--identifier", "email-addr:kyc.update.sbi@gmail.com", "--period", "2025-01-01..2025-06-30",
    "--nexus", "The mailbox sent the phishing e-mails.",
    "--assistance", "Produce the content of the mailbox for the period.",
    "--confidentiality", "Do not notify the account holder.",
    "--probable-cause", "212 victims received e-mails from the account linking to the fake site.",
)  # fmt: skip


def _fbi(factory: Any, tmp_path: Path, cbi: CliNode) -> CliNode:
    """The FBI's node, peered with the CBI's both ways."""
    fbi: CliNode = factory("fbi")
    fbi.run("init", "--agency", "Federal Bureau of Investigation", "--agency-code", "FBI",
            "--country", "US", "--timezone", "America/New_York", check=True)  # fmt: skip
    for node, name in ((cbi, "cbi"), (fbi, "fbi")):
        node.run("node", "export", "--out", str(tmp_path / f"{name}.json"), check=True)
    cbi.run("peer", "add", "--descriptor", str(tmp_path / "fbi.json"), check=True)
    fbi.run("peer", "add", "--descriptor", str(tmp_path / "cbi.json"), check=True)
    return fbi


def test_request_to_the_fbi_and_its_status_back(cli_node_factory: Any, tmp_path: Path) -> None:
    cbi, case = _node(cli_node_factory)
    fbi = _fbi(cli_node_factory, tmp_path, cbi)
    rid = cbi.run("request", "create", case, "--kind", "mla-request", "--to", "US",
                  "--need", "content", *PARTICULARS, "--json", user="a.rao",
                  check=True).json()["id"]  # fmt: skip
    out = tmp_path / "request-for-fbi.json"
    early = cbi.run("request", "export", rid, "--to", "FBI", "--out", str(out),
                    "--allow-incomplete", user="m.sen")  # fmt: skip
    assert early.code == 2 and "is draft" in early.err and not out.exists()
    cbi.run("request", "advance", rid, "--state", "review", user="a.rao", check=True)
    cbi.run("request", "advance", rid, "--state", "central-authority-approval", user="m.sen",
            check=True)  # fmt: skip
    incomplete = cbi.run("request", "export", rid, "--to", "FBI", "--out", str(out), user="m.sen")
    assert incomplete.code == 1 and "text of the penal sections" in incomplete.err
    sent = cbi.run("request", "export", rid, "--to", "FBI", "--out", str(out), "--format", "docx",
                   "--allow-incomplete", "--json", user="m.sen", check=True).json()  # fmt: skip
    assert sent["document"]["name"] == f"{rid}.docx"

    # a copy altered on the way is refused, exit 1, nothing recorded
    message = json.loads(out.read_text())
    message["document"]["request"]["particulars"]["nexus"] = "something else"
    altered = tmp_path / "altered.json"
    altered.write_text(json.dumps(message))
    refused = fbi.run("request", "import", str(altered))
    assert refused.code == 1 and "altered after it was signed" in refused.err
    assert fbi.run("request", "list", "--json", check=True).json()["requests"] == []

    got = fbi.run("request", "import", str(out), "--json", check=True).json()
    assert (got["action"], got["from"], got["remote_id"]) == ("received", "CBI", rid)
    assert Path(got["document"]).read_bytes()[:2] == b"PK"  # the DOCX the CBI rendered
    again = fbi.run("request", "import", str(out))
    assert again.code == 2 and "already recorded" in again.err

    cbi.run("request", "advance", rid, "--state", "transmitted", user="m.sen", check=True)
    for state in ("acknowledged", "executing", "executed"):
        fbi.run("request", "advance", got["request"], "--state", state, "--note", f"OIA: {state}",
                check=True)  # fmt: skip
    status = tmp_path / "status-for-cbi.json"
    fbi.run("request", "status-export", got["request"], "--out", str(status), check=True)
    applied = cbi.run("request", "import", str(status), "--json", user="m.sen", check=True).json()
    assert applied["applied"] == ["acknowledged", "executing", "executed"]
    shown = cbi.run("request", "show", rid, "--json", user="a.rao", check=True).json()
    assert shown["state"] == "executed"
    assert [h["by"] for h in shown["history"][-3:]] == ["peer:FBI"] * 3
    stats = cbi.run("request", "stats", "--json", user="m.sen", check=True).json()
    assert stats["answered"]["US"]["count"] == 1
