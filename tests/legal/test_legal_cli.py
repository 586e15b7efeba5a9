"""``comity legal`` end to end: real processes on a node with its own home and database.

What a user sees: the JSON of ``--json``, the exit code (2 for bad input) and the message on
standard error naming what was wrong; a refused knowledge-base file leaves no version behind.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.conftest import CliNode, CliResult

REF = "IN:IT Act 66D"
TEST_TEXT = "TEST TEXT of s.66D (written for the tests, not the statute)"


def cbi(factory: Any) -> CliNode:
    """An initialized CBI (India) node with a legal officer and two investigators."""
    node: CliNode = factory("cbi")
    node.run(
        "init",
        "--agency",
        "Central Bureau of Investigation",
        "--agency-code",
        "CBI",
        "--country",
        "IN",
        "--timezone",
        "Asia/Kolkata",
        check=True,
    )
    for name, role in (
        ("m.sen", "legal_officer"),
        ("a.rao", "investigator"),
        ("p.das", "investigator"),
    ):
        node.run("user", "add", name, "--role", role, "--name", name, check=True)
    return node


def refused(result: CliResult, *names: str) -> None:
    """Exit 2, nothing on standard output, and every one of ``names`` in the message."""
    assert result.code == 2, (result.code, result.err)
    assert result.out == ""
    assert "Traceback" not in result.err
    for name in names:
        assert name in result.err, (name, result.err)


def write(path: Path, document: Any) -> Path:
    """Write ``document`` as a JSON file."""
    path.write_text(json.dumps(document, ensure_ascii=False, indent=2), encoding="utf-8")
    return path


def fact_of(view: dict[str, Any], fact: str) -> dict[str, Any]:
    """The fact with that id (``offences/IN:IT Act 66D``) in a ``legal facts`` view."""
    found: list[dict[str, Any]] = [
        f for s in view["sections"] for f in s["facts"] if f["fact"] == fact
    ]
    assert len(found) == 1, fact
    return found[0]


def test_facts_and_routes(cli_node_factory: Any) -> None:
    node = cbi(cli_node_factory)
    view = node.run("legal", "facts", "IN", "--with", "US", "--json", check=True).json()
    assert view["country"] == {"code": "IN", "name": "India"}
    assert view["with"] == {"code": "US", "name": "United States"}
    titles = [s["title"] for s in view["sections"]]
    assert titles[:3] == ["Central authorities and channels", "Law", "Treaties"]
    facts = [f for s in view["sections"] for f in s["facts"]]
    assert len(facts) > 20
    for fact in facts:
        assert fact["source"].strip() and fact["as_of"] and fact["origin"] == "package"
        assert fact["status"] in ("verified", "unverified", "conflict", "interpretation")
    treaty = fact_of(view, "treaties/in-us-mla")
    assert "signed 2001-10-17, in force 2005-10-03" in treaty["text"]
    assert treaty["status"] == "verified"
    assert sum(view["counts"].values()) == len(facts)
    conflict = next(f for f in facts if f["status"] == "conflict")
    assert len(conflict["figures"]) >= 2 and all(g["source"] for g in conflict["figures"])

    human = node.run("legal", "facts", "in", "--with", "us", check=True).out
    assert "India (IN) and United States (US)" in human
    assert "Ministry of Home Affairs" in human and "as of 2005-10-03" in human

    refused(node.run("legal", "facts", "XX"), "unknown country 'XX'")
    refused(node.run("legal", "facts", "IN", "--with", "QQ"), "unknown country 'QQ'")
    refused(node.run("legal", "facts", "IN", "--with", "in"), "same country")

    advice = node.run(
        "legal", "route", "--from", "IN", "--to", "US", "--need", "content",
        "--offence", REF, "--json", check=True,
    ).json()  # fmt: skip
    mechanisms = [r["mechanism"] for r in advice["routes"]]
    assert "provider-preservation" in mechanisms and "mla-treaty" in mechanisms
    excluded = {e["mechanism"]: e["reason"] for e in advice["excluded"]}
    assert "India (IN) is not a party" in excluded["budapest-expedited-preservation"]
    mla = next(r for r in advice["routes"] if r["mechanism"] == "mla-treaty")
    assert sorted(mla["dual_criminality"]["offence"]["corresponding"]) == [
        "US:18 U.S.C. 1028A",
        "US:18 U.S.C. 1343",
    ]
    base = ["legal", "route", "--from", "IN", "--to", "US", "--need", "content"]
    refused(node.run(*base[:-1], "contnt"), "unknown need 'contnt'", "subscriber")
    refused(node.run(*base, "--holder", "bnk"), "unknown holder 'bnk'", "provider")
    refused(node.run(*base, "--urgency", "now"), "unknown urgency 'now'", "emergency")
    refused(node.run("legal", "route", "--from", "IN", "--to", "QQ", "--need", "content"), "'QQ'")
    refused(node.run("legal", "route", "--from", "ZZ", "--to", "US", "--need", "content"), "'ZZ'")


def test_a_legal_officer_changes_the_knowledge_base(cli_node_factory: Any, tmp_path: Path) -> None:
    node = cbi(cli_node_factory)
    assert node.run("legal", "kb", "versions", "--json", check=True).json() == []
    exported = tmp_path / "offences.json"
    wrote = node.run("legal", "kb", "export", "offences", "--out", str(exported), check=True)
    document = json.loads(exported.read_text(encoding="utf-8"))
    assert document["kind"] == "offences"
    assert f"wrote {len(document['entries'])} offences entries" in wrote.out

    first = node.run(
        "legal", "kb", "import", str(exported), "--note", "as exported", "--json",
        user="m.sen", check=True,
    ).json()  # fmt: skip
    assert (first["version"], first["action"], first["file"]) == (1, "import", "offences.json")
    assert first["added"] == [] and len(first["replaced"]) == len(document["entries"])
    view = node.run("legal", "facts", "IN", "--json", check=True).json()
    assert fact_of(view, f"offences/{REF}")["origin"] == "version 1"

    [entry] = [e for e in document["entries"] if e["ref"] == REF]
    text = {**entry, "text": TEST_TEXT, "status": "unverified", "source": "test"}
    statutes = write(tmp_path / "statutes.json", {"kind": "offences", "entries": [text]})
    second = node.run(
        "legal", "kb", "import", str(statutes), "--json", user="m.sen", check=True
    ).json()
    assert second["version"] == 2 and second["replaced"] == [REF] and second["by"] == "m.sen"
    fact = fact_of(node.run("legal", "facts", "IN", "--json", check=True).json(), f"offences/{REF}")
    assert fact["origin"] == "version 2" and fact["has_text"] is True
    assert fact["source"] == "test" and fact["status"] == "unverified"
    human = node.run("legal", "facts", "IN", check=True).out
    assert "from version 2" in human

    refused(
        node.run("legal", "kb", "import", str(statutes), user="a.rao"),
        "'a.rao' needs one of the roles: legal_officer",
    )
    bad_entries = [
        ({**text, "source": ""}, "source", "at least 1 character"),
        ({k: v for k, v in text.items() if k != "source"}, "source", "is missing"),
        ({**text, "as_of": "2024-02-30"}, "as_of", "is not a calendar date"),
        ({**text, "country": "XX"}, "country", "'XX' is not a country of countries.json"),
        ({**text, "sectoin": "66D"}, "sectoin", "Extra inputs are not permitted"),
    ]
    for number, (bad, field, problem) in enumerate(bad_entries):
        path = write(tmp_path / f"bad{number}.json", {"kind": "offences", "entries": [bad]})
        refused(
            node.run("legal", "kb", "import", str(path), "--json", user="m.sen"),
            f"bad{number}.json: entry 1 ({REF}): field '{field}'",
            problem,
        )
    (tmp_path / "broken.json").write_text('{"kind": "offences", "entries": [', encoding="utf-8")
    refused(
        node.run("legal", "kb", "import", str(tmp_path / "broken.json"), user="m.sen"),
        "broken.json: not UTF-8 JSON",
    )
    refused(
        node.run("legal", "kb", "import", str(tmp_path / "absent.json"), user="m.sen"),
        "cannot read",
        "absent.json",
    )
    history = node.run("legal", "kb", "versions", "--json", check=True).json()
    assert [(v["version"], v["active"]) for v in history] == [(2, True), (1, True)]

    undone = node.run("legal", "kb", "revert", "--note", "test", "--json", user="m.sen", check=True)
    assert undone.json()["reverts"] == 2 and undone.json()["version"] == 3
    fact = fact_of(node.run("legal", "facts", "IN", "--json", check=True).json(), f"offences/{REF}")
    assert fact["origin"] == "version 1" and fact["has_text"] is False
    refused(
        node.run("legal", "kb", "revert", "2", user="m.sen"), "version 2 is not an active import"
    )
    refused(
        node.run("legal", "kb", "revert", "3", user="m.sen"), "version 3 is not an active import"
    )
    refused(node.run("legal", "kb", "revert", "99", user="m.sen"), "no knowledge-base version 99")
    refused(node.run("legal", "kb", "revert", "1", user="a.rao"), "needs one of the roles")
    history = node.run("legal", "kb", "versions", "--json", check=True).json()
    assert [(v["version"], v["action"], v["reverts"], v["active"]) for v in history] == [
        (3, "revert", 2, False),
        (2, "import", None, False),
        (1, "import", None, True),
    ]
    table = node.run("legal", "kb", "versions", check=True).out
    rows = [line.split("│")[1:3] for line in table.splitlines() if line.startswith("│ ")]
    assert [[c.strip() for c in row] for row in rows if row[0].strip()] == [
        ["3", "revert"],
        ["2", "import"],
        ["1", "import"],
    ]
    assert "undoes" in table

    refused(
        node.run("legal", "kb", "export", "statutes", "--out", str(tmp_path / "x.json")),
        "unknown kind 'statutes'",
    )
    refused(
        node.run("legal", "kb", "export", "offences", "--out", str(tmp_path / "no" / "x.json")),
        "no folder",
    )


def test_a_case_s_needs_and_plan(cli_node_factory: Any) -> None:
    node = cbi(cli_node_factory)
    case = node.run(
        "case", "create", "--title", "KYC phishing of SBI customers",
        "--jurisdiction", "IN", "--jurisdiction", "US", "--offence", REF, "--json",
        user="a.rao", check=True,
    ).json()["reference"]  # fmt: skip
    empty = node.run("legal", "plan", case, "--json", user="a.rao", check=True).json()
    assert "has no needs abroad" in empty["message"]

    need = node.run(
        "legal", "need", "add", case, "--need", "content", "--in", "us",
        "--holder-name", "Google LLC", "--what", "the account that sent the e-mails",
        "--identifier", "email-addr:kyc.update.sbi@gmail.com", "--json",
        user="a.rao", check=True,
    ).json()  # fmt: skip
    assert (need["number"], need["need"], need["country"], need["holder"]) == (
        1,
        "content",
        "US",
        "provider",
    )
    assert need["identifiers"] == [{"type": "email-addr", "value": "kyc.update.sbi@gmail.com"}]
    listed = node.run("legal", "need", "list", case, "--json", user="a.rao", check=True).json()
    assert [n["number"] for n in listed] == [1]

    plan = node.run("legal", "plan", case, "--json", user="a.rao", check=True).json()
    assert plan["case"] == case and plan["from"] == "IN" and plan["message"] is None
    [preserve] = plan["actions"]["preserve_today"]
    assert preserve["mechanism"] == "provider-preservation" and preserve["country"] == "US"
    assert preserve["identifiers"] == ["email-addr:kyc.update.sbi@gmail.com"]
    [request] = plan["actions"]["start_requests"]
    assert request["mechanism"] == "mla-treaty" and request["request_kind"] == "mla-request"
    assert "Ministry of Home Affairs" in request["through"]
    assert "probable-cause statement" in request["must_contain"]
    human = node.run("legal", "plan", case, user="a.rao", check=True).out
    assert "Preserve today" in human and "Requests to start" in human

    add = ["legal", "need", "add", case, "--need", "content", "--in", "US"]
    refused(node.run(*add[:5], "contnt", *add[6:], user="a.rao"), "unknown need 'contnt'")
    refused(node.run(*add[:7], "XX", user="a.rao"), "'XX'")
    refused(node.run(*add[:7], "IN", user="a.rao"), "this node's own country")
    refused(node.run(*add, "--holder", "bnk", user="a.rao"), "unknown holder 'bnk'")
    refused(node.run(*add, "--urgency", "now", user="a.rao"), "unknown urgency 'now'")
    refused(node.run(*add, "--identifier", "nonsense", user="a.rao"), "nonsense")
    refused(node.run("legal", "plan", case, user="p.das"), "not a member of case")
    refused(node.run("legal", "plan", "CBI-1999-0001", user="a.rao"), "CBI-1999-0001")
    listed = node.run("legal", "need", "list", case, "--json", user="a.rao", check=True).json()
    assert len(listed) == 1
