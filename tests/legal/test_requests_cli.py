"""``comity request`` end to end: real processes on a CBI node with its own home and database."""

from __future__ import annotations

from typing import Any

from tests.conftest import CliNode
from tests.legal.conftest import SUMMARY


def _node(factory: Any) -> tuple[CliNode, str]:
    """A CBI node with an investigator, a legal officer and a supervisor; the scenario case."""
    cbi: CliNode = factory("cbi")
    cbi.run(
        "init", "--agency", "Central Bureau of Investigation", "--agency-code", "CBI",
        "--country", "IN", "--timezone", "Asia/Kolkata", check=True,
    )  # fmt: skip
    for user, role in (
        ("a.rao", "investigator"),
        ("m.sen", "legal_officer"),
        ("s.roy", "supervisor"),
    ):
        cbi.run("user", "add", user, "--role", role, check=True)
    case = cbi.run(
        "case", "create", "--title", "KYC phishing", "--jurisdiction", "IN", "--jurisdiction",
        "US", "--summary", SUMMARY, "--offence", "IN:IT Act 66D", "--json",
        user="a.rao", check=True,
    ).json()["reference"]  # fmt: skip
    cbi.run("case", "member", case, "m.sen", "--role", "legal", user="a.rao", check=True)
    return cbi, case


def refused(node: CliNode, *args: str, message: str, user: str = "m.sen") -> None:
    """The command exits 2 with one line naming the problem."""
    result = node.run(*args, user=user)
    assert result.code == 2, (args, result.code, result.err)
    assert message in result.err and "Traceback" not in result.err, (args, result.err)


def test_a_preservation_and_the_mla_request_it_promised(cli_node_factory: Any) -> None:
    cbi, case = _node(cli_node_factory)
    made = cbi.run(
        "request", "create", case, "--kind", "preservation", "--to", "us",
        "--need", "preservation", "--need", "content",
        "--identifier", "email-addr:KYC.Update.SBI@gmail.com", "--period", "2025-01-01..2025-03-31",
        "--custodian", "Google LLC, Mountain View", "--necessity", "the account may be deleted",
        "--follow-up", "--json", user="a.rao", check=True,
    ).json()  # fmt: skip
    rid = made["id"]
    assert rid.startswith("REQ-") and made["state"] == "draft" and made["to"] == "US"
    assert made["needs"] == ["content", "preservation"]
    assert made["particulars"]["facts"] == SUMMARY
    assert made["particulars"]["identifiers"] == [
        {"type": "email-addr", "value": "kyc.update.sbi@gmail.com"}
    ]
    assert made["particulars"]["follow_up"] is True
    assert made["next"] == ["review", "withdrawn"] and made["deadlines"] == []

    cbi.run("request", "advance", rid, "--state", "review", "--at", "2025-01-09T18:00+05:30",
            user="a.rao", check=True)  # fmt: skip
    refused(cbi, "request", "advance", rid, "--state", "transmitted", user="a.rao",
            message="needs one of the roles: legal_officer")  # fmt: skip
    sent = cbi.run(
        "request", "advance", rid, "--state", "transmitted", "--at", "2025-01-10T10:00+05:30",
        "--note", "sent to Google LE portal", "--json", user="m.sen", check=True,
    ).json()  # fmt: skip
    assert sent["transmitted_at"] == "2025-01-10T04:30:00Z"
    lapse, follow = sent["deadlines"]
    assert (lapse["kind"], lapse["due"], lapse["minimum"]) == (
        "preservation-lapses",
        "2025-04-10",
        False,
    )
    assert lapse["basis"] == ["18 U.S.C. §2703(f)"]
    assert (follow["kind"], follow["due"], follow["satisfied_by"]) == (
        "follow-up-mla",
        "2025-04-10",
        None,
    )

    refused(cbi, "request", "renew", rid, "--at", "2999-01-01T00:00Z", message="in the future")
    renewed = cbi.run(
        "request", "renew", rid, "--at", "2025-03-20T12:00Z", "--note", "renewed", "--json",
        user="m.sen", check=True,
    ).json()  # fmt: skip
    assert renewed["renewals"] == 1 and renewed["deadlines"][0]["due"] == "2025-07-09"
    refused(cbi, "request", "renew", rid, "--at", "2025-06-01T12:00Z", message="allows 1")

    due = cbi.run("request", "due", "--within", "2w", "--json", user="a.rao", check=True).json()
    assert due["within_days"] == 14
    assert [(d["request"], d["kind"], d["due"], d["overdue"]) for d in due["deadlines"]] == [
        (rid, "follow-up-mla", "2025-07-09", True),
        (rid, "preservation-lapses", "2025-07-09", True),
    ]
    table = cbi.run("request", "due", user="a.rao", check=True).out
    assert "2025-07-09 OVERDUE" in table and "2703(f)" in table

    # The MLA request: the central authority's approval cannot be skipped.
    mla = cbi.run(
        "request", "create", case, "--kind", "mla-request", "--to", "US", "--need", "content",
        "--nexus", "the account sent the phishing e-mails", "--offence", "US:18 U.S.C. 1343",
        "--json", user="a.rao", check=True,
    ).json()["id"]  # fmt: skip
    filled = cbi.run(
        "request", "set", mla, "--assistance", "Produce the subscriber records",
        "--identifier", "email-addr:kyc.update.sbi@gmail.com", "--note", "what we ask",
        "--json", user="a.rao", check=True,
    ).json()  # fmt: skip
    assert filled["particulars"]["assistance"] == ["Produce the subscriber records"]
    assert filled["history"][-1]["action"] == "update"
    assert filled["history"][-1]["note"] == "what we ask"
    refused(cbi, "request", "set", rid, "--nexus", "too late", message="only in draft or review")
    cbi.run("request", "advance", mla, "--state", "review", "--at", "2025-03-01T10:00Z",
            user="a.rao", check=True)  # fmt: skip
    refused(cbi, "request", "advance", mla, "--state", "transmitted",
            message="draft, central-authority-approval, withdrawn, not transmitted")  # fmt: skip
    refused(cbi, "request", "advance", mla, "--state", "central-authority-approval",
            "--at", "2025-02-01T10:00Z", message="before the request's last move")  # fmt: skip
    refused(cbi, "request", "advance", mla, "--state", "central-authority-approval",
            "--at", "2999-01-01T10:00Z", message="in the future")  # fmt: skip
    refused(
        cbi, "request", "advance", mla, "--state", "approved", message="unknown state 'approved'"
    )
    shown = cbi.run("request", "show", mla, "--json", user="a.rao", check=True).json()
    assert shown["state"] == "review" and len(shown["history"]) == 3
    for state, at in (
        ("central-authority-approval", "2025-03-05T10:00Z"),
        ("transmitted", "2025-03-10T10:00Z"),
        ("acknowledged", "2025-04-01T10:00Z"),
        ("executing", "2025-05-01T10:00Z"),
        ("executed", "2025-07-08T10:00Z"),
    ):
        cbi.run("request", "advance", mla, "--state", state, "--at", at, "--note", f"now {state}",
                user="m.sen", check=True)  # fmt: skip
    done = cbi.run("request", "show", mla, "--json", user="a.rao", check=True).json()
    assert done["answered_at"] == "2025-07-08T10:00:00Z" and done["next"] == ["closed"]
    assert [(h["to"], h["by"], h["note"]) for h in done["history"][-2:]] == [
        ("executing", "m.sen", "now executing"),
        ("executed", "m.sen", "now executed"),
    ]
    follow = cbi.run("request", "show", rid, "--json", user="a.rao", check=True).json()
    assert follow["deadlines"][1]["satisfied_by"] == mla
    assert [
        d["kind"] for d in cbi.run("request", "due", "--json", check=True).json()["deadlines"]
    ] == ["preservation-lapses"]
    human = cbi.run("request", "show", rid, user="a.rao", check=True).out
    assert "renewed" in human and "2025-07-09" in human and "kyc.update.sbi@gmail.com" in human

    listed = cbi.run("request", "list", "--to", "US", "--json", user="a.rao", check=True).json()
    assert [r["id"] for r in listed["requests"]] == [mla, rid]
    assert [
        r["id"]
        for r in cbi.run("request", "list", "--state", "executed", "--json", check=True).json()[
            "requests"
        ]
    ] == [mla]

    # The figures, for supervisors: 120 days from transmission to the answer.
    refused(cbi, "request", "stats", user="a.rao", message="needs one of the roles")
    stats = cbi.run("request", "stats", "--json", user="s.roy", check=True).json()
    assert stats["answered"] == {"US": {"count": 1, "median_days": 120.0}}
    assert stats["pending"]["total"] == 1 and stats["pending"]["by_country"] == {"US": 1}
    assert stats["pending"]["by_age"]["over-365"] == 1  # sent on 10 January 2025
    assert "United States" in cbi.run("request", "stats", user="s.roy", check=True).out

    log = cbi.run("audit", "log", "--json", check=True).json()["entries"]
    moves = [e for e in log if e["action"] == "legal.request.advance" and e["object_id"] == mla]
    assert len(moves) == 6 and moves[-1]["actor"] == "m.sen"
    assert (
        moves[-1]["details"]["to"] == "executed" and moves[-1]["details"]["note"] == "now executed"
    )
    assert any(e["action"] == "legal.request.renew" for e in log)


def test_bad_input_names_the_problem_and_writes_nothing(cli_node_factory: Any) -> None:
    cbi, case = _node(cli_node_factory)
    bare = cbi.run(
        "case", "create", "--title", "No facts yet", "--jurisdiction", "IN", "--json",
        user="a.rao", check=True,
    ).json()["reference"]  # fmt: skip
    create = ("request", "create", case, "--kind", "preservation")
    for args, message in (
        (("request", "create", case, "--kind", "letter", "--to", "US"), "unknown kind 'letter'"),
        ((*create, "--to", "XX"), "unknown country 'XX'"),
        ((*create, "--to", "US", "--need", "emails"), "unknown need 'emails'"),
        ((*create, "--to", "IN"), "this node's own country"),
        ((*create, "--to", "US", "--identifier", "fax:1"), "identifier type"),
        ((*create, "--to", "US", "--period", "2025-02-01..2025-01-01"), "ends before"),
        ((*create, "--to", "US", "--offence", "fraud"), "must look like"),
        (("request", "create", bare, "--kind", "mla-request", "--to", "US"), "has no facts"),
        (("request", "list", "--state", "sent"), "unknown state 'sent'"),
        (("request", "due", "--within", "3 months"), "such as 14d or 2w"),
        (("request", "show", "REQ-1999-0001"), "no request"),
    ):  # fmt: skip
        refused(cbi, *args, message=message, user="a.rao")
    assert cbi.run("request", "list", "--json", check=True).json()["requests"] == []
    log = cbi.run("audit", "log", "--json", check=True).json()["entries"]
    assert not [e for e in log if e["action"] == "legal.request.create"]
    # With --facts the same bare case can start one; an outsider cannot see it.
    made = cbi.run(
        "request", "create", bare, "--kind", "mla-request", "--to", "US", "--facts",
        "[red]Victims[/red] paid", "--json", user="a.rao", check=True,
    ).json()  # fmt: skip
    assert made["particulars"]["facts"] == "[red]Victims[/red] paid"
    assert "[red]Victims[/red] paid" in cbi.run("request", "show", made["id"], check=True).out
    cbi.run("user", "add", "p.das", "--role", "investigator", check=True)
    refused(cbi, "request", "show", made["id"], user="p.das", message="may not see request")
    refused(cbi, "request", "advance", made["id"], "--state", "review", user="p.das",
            message="may not see request")  # fmt: skip
    refused(cbi, "request", "advance", made["id"], "--state", "review", "--at", "yesterday",
            message="is not a time with its offset")  # fmt: skip
