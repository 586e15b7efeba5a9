"""Knowledge-base versions on a node: a legal officer imports, corrects and reverts facts.

Every change is a numbered version and an audit entry; a refused file writes nothing; the
package's facts come back on a revert. The services are called directly, on both backends.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from comity.core.errors import ComityError, NotFound, PermissionDenied
from comity.identity import audit
from comity.identity.models import AuditEvent
from comity.legal.errors import KnowledgeBaseInvalid, LegalInputError, UnknownKnowledgeVersion
from comity.legal.facts import facts_for
from comity.legal.kb_services import (
    MAX_FILE_BYTES,
    current_kb,
    export_kind,
    import_document,
    import_file,
    revert,
    versions,
)
from comity.legal.knowledge import KnowledgeBase
from comity.legal.schema import KINDS
from tests.legal.conftest import Scenario

REF = "IN:IT Act 66D"
TEST_TEXT = "TEST TEXT of s.66D (written for the tests, not the statute)"


def offence_file(text: str = TEST_TEXT, **changes: Any) -> dict[str, Any]:
    """An ``offences`` file with the package's entry for s.66D, its text added (test-only)."""
    entry = export_kind(KnowledgeBase.from_package(), "offences")["entries"]
    (package,) = [e for e in entry if e["ref"] == REF]
    fixed = {**package, "text": text, "status": "unverified", "source": "test", **changes}
    return {"kind": "offences", "entries": [{k: v for k, v in fixed.items() if v is not None}]}


def kb_audit(session: Session) -> list[AuditEvent]:
    """The knowledge base's audit entries, oldest first."""
    return [e for e in audit.entries(session) if e.action.startswith("legal.kb.")]


def test_an_imported_text_is_in_force_with_its_origin(scenario: Scenario) -> None:
    node, officer = scenario.node, scenario.legal_officer
    with node.ctx.transaction() as session:
        assert current_kb(session).offence(REF).text is None  # type: ignore[union-attr]
        result = import_document(
            session, officer, "statutes.json", offence_file(), note="  the 66D text  "
        )
    assert result["version"] == 1 and result["action"] == "import"
    assert result["kind"] == "offences" and result["file"] == "statutes.json"
    assert result["entries"] == 1 and result["replaced"] == [REF] and result["added"] == []
    assert result["by"] == "m.sen" and result["note"] == "the 66D text"
    assert len(result["sha256"]) == 64
    with node.ctx.transaction() as session:
        kb = current_kb(session)
        offence = kb.offence(REF)
        assert offence is not None
        assert offence.text == TEST_TEXT and offence.status == "unverified"
        assert kb.origin("offences", REF) == "version 1"
        assert kb.origin("offences", "IN:IT Act 66C") == "package"
        shown = facts_for(kb, "IN", "US")
        [fact] = [
            f
            for s in shown["sections"]
            if s["title"] == "Offences"
            for f in s["facts"]
            if f["fact"] == f"offences/{REF}"
        ]
        assert fact["origin"] == "version 1" and fact["source"] == "test"
        assert fact["has_text"] is True and fact["status"] == "unverified"
        history = versions(session)
    assert [(v["version"], v["action"], v["active"]) for v in history] == [(1, "import", True)]


def test_a_correction_replaces_the_entry_and_a_revert_restores_the_package(
    scenario: Scenario,
) -> None:
    node, officer = scenario.node, scenario.legal_officer
    package_entry = KnowledgeBase.from_package().offence(REF)
    with node.ctx.transaction() as session:
        import_document(session, officer, "statutes.json", offence_file())
        fixed = import_document(
            session, officer, "statutes-fix.json", offence_file(TEST_TEXT + ", corrected")
        )
    assert fixed["version"] == 2 and fixed["replaced"] == [REF]
    with node.ctx.transaction() as session:
        kb = current_kb(session)
        assert kb.offence(REF).text == TEST_TEXT + ", corrected"  # type: ignore[union-attr]
        assert kb.origin("offences", REF) == "version 2"

        undone = revert(session, officer, note="wrong section")
    assert undone["version"] == 3 and undone["action"] == "revert"
    assert undone["reverts"] == 2 and undone["file"] == "statutes-fix.json"
    assert undone["note"] == "wrong section" and undone["by"] == "m.sen"
    with node.ctx.transaction() as session:
        kb = current_kb(session)
        assert kb.offence(REF).text == TEST_TEXT  # type: ignore[union-attr]
        assert kb.origin("offences", REF) == "version 1"

        assert revert(session, officer, 1)["reverts"] == 1
    with node.ctx.transaction() as session:
        kb = current_kb(session)
        assert kb.offence(REF) == package_entry
        assert kb.origin("offences", REF) == "package"
        assert kb.entries == KnowledgeBase.from_package().entries
        history = versions(session)
    assert [(v["version"], v["action"], v["reverts"], v["active"]) for v in history] == [
        (4, "revert", 1, False),
        (3, "revert", 2, False),
        (2, "import", None, False),
        (1, "import", None, False),
    ]


def test_what_cannot_be_reverted_is_refused_clearly(scenario: Scenario) -> None:
    node, officer = scenario.node, scenario.legal_officer
    with node.ctx.transaction() as session:
        with pytest.raises(LegalInputError, match="no imported knowledge-base version"):
            revert(session, officer)
        import_document(session, officer, "statutes.json", offence_file())
        revert(session, officer, 1)
    cases: list[tuple[int | None, type[ComityError], str]] = [
        (1, LegalInputError, "version 1 is not an active import"),  # twice
        (2, LegalInputError, "version 2 is not an active import"),  # a revert
        (99, UnknownKnowledgeVersion, "no knowledge-base version 99"),
        (-1, UnknownKnowledgeVersion, "no knowledge-base version -1"),
        (2**40, UnknownKnowledgeVersion, f"no knowledge-base version {2**40}"),
        (None, LegalInputError, "no imported knowledge-base version to revert"),
    ]
    for number, error, message in cases:
        with node.ctx.transaction() as session, pytest.raises(error, match=message) as caught:
            revert(session, officer, number)
        if number is not None:
            assert caught.value.data["version"] == number
    assert isinstance(UnknownKnowledgeVersion("x"), NotFound)
    with node.ctx.transaction() as session:
        assert len(versions(session)) == 2
        assert [e.action for e in kb_audit(session)] == ["legal.kb.import", "legal.kb.revert"]


def test_a_version_others_depend_on_cannot_be_reverted(scenario: Scenario) -> None:
    node, officer = scenario.node, scenario.legal_officer
    convention = export_kind(KnowledgeBase.from_package(), "conventions")["entries"][0]
    added = {
        **convention,
        "id": "test-convention",
        "name": "A convention made up for the tests",
        "source": "test",
    }
    mechanisms = export_kind(KnowledgeBase.from_package(), "mechanisms")["entries"]
    user = next(m for m in mechanisms if any(r.get("convention") for r in m["requires"]))
    requires = [
        {**r, "convention": "test-convention"} if r.get("convention") else r
        for r in user["requires"]
    ]
    with node.ctx.transaction() as session:
        import_document(session, officer, "conv.json", {"kind": "conventions", "entries": [added]})
        import_document(
            session,
            officer,
            "mech.json",
            {"kind": "mechanisms", "entries": [{**user, "requires": requires}]},
        )
    with node.ctx.transaction() as session, pytest.raises(LegalInputError) as caught:
        revert(session, officer, 1)
    message = caught.value.message
    assert message.startswith("version 1 cannot be reverted: version 2 refers to what it added")
    assert "'test-convention' is not a convention" in message
    assert caught.value.data == {"version": 1, "needed_by": "version 2"}
    with node.ctx.transaction() as session:
        assert [v["active"] for v in versions(session)] == [True, True]
        revert(session, officer, 2)
        revert(session, officer, 1)
        assert current_kb(session).convention("test-convention") is None


@pytest.mark.parametrize(
    ("changes", "field", "expected"),
    [
        ({"source": None}, "source", "'source' is missing"),
        ({"as_of": "2024-13-01"}, "as_of", "'2024-13-01' is not a calendar date"),
        ({"as_of": "yesterday"}, "as_of", "'yesterday' is not a date"),
        ({"country": "XX"}, "country", "'XX' is not a country of countries.json"),
    ],
)
def test_an_invalid_file_writes_nothing(
    scenario: Scenario, changes: dict[str, Any], field: str, expected: str
) -> None:
    node, officer = scenario.node, scenario.legal_officer
    with node.ctx.transaction() as session:
        import_document(session, officer, "first.json", offence_file())
        before = (len(versions(session)), len(kb_audit(session)))
    with node.ctx.transaction() as session, pytest.raises(KnowledgeBaseInvalid) as caught:
        import_document(session, officer, "statutes.json", offence_file(**changes))
    error = caught.value
    assert error.data["file"] == "statutes.json" and error.data["entry"] == 1
    assert error.data["field"] == field and error.data["key"] == REF
    assert error.message.startswith(f"statutes.json: entry 1 ({REF}): field '{field}'")
    assert expected in error.message
    with node.ctx.transaction() as session:
        assert (len(versions(session)), len(kb_audit(session))) == before
        assert current_kb(session).offence(REF).text == TEST_TEXT  # type: ignore[union-attr]


def test_an_investigator_may_not_change_the_knowledge_base(scenario: Scenario) -> None:
    node = scenario.node
    with node.ctx.transaction() as session:
        import_document(session, scenario.legal_officer, "statutes.json", offence_file())
    for actor in (scenario.investigator, scenario.outsider):
        with node.ctx.transaction() as session, pytest.raises(PermissionDenied) as caught:
            import_document(session, actor, "statutes.json", offence_file())
        assert "legal_officer" in caught.value.message
        with node.ctx.transaction() as session, pytest.raises(PermissionDenied):
            revert(session, actor, 1)
    with node.ctx.transaction() as session:
        assert len(versions(session)) == 1 and len(kb_audit(session)) == 1
    with node.ctx.transaction() as session:  # the administrator may
        assert import_document(session, node.actor(), "x.json", offence_file())["version"] == 2


def test_every_import_and_revert_is_audited(scenario: Scenario) -> None:
    node, officer = scenario.node, scenario.legal_officer
    new_country = {"code": "QZ", "name": "Testland", "source": "test", "as_of": "2025"}
    with node.ctx.transaction() as session:
        first = import_document(session, officer, "statutes.json", offence_file())
        second = import_document(
            session,
            officer,
            "countries.json",
            {"kind": "countries", "status": "unverified", "entries": [new_country]},
        )
        revert(session, officer, 1, note="test")
    with node.ctx.transaction() as session:
        events = kb_audit(session)
        assert audit.verify_audit(session).ok
    assert [(e.actor, e.action, e.object_type, e.object_id) for e in events] == [
        ("m.sen", "legal.kb.import", "legal_kb_version", "1"),
        ("m.sen", "legal.kb.import", "legal_kb_version", "2"),
        ("m.sen", "legal.kb.revert", "legal_kb_version", "3"),
    ]
    assert events[0].details == {
        "file": "statutes.json",
        "kind": "offences",
        "sha256": first["sha256"],
        "added": [],
        "replaced": [REF],
    }
    assert events[1].details["added"] == ["QZ"] and events[1].details["replaced"] == []
    assert second["added"] == ["QZ"]
    assert events[2].details == {"reverts": 1, "file": "statutes.json", "kind": "offences"}


def test_an_oversized_file_is_refused_unread(scenario: Scenario, tmp_path: Path) -> None:
    node, officer = scenario.node, scenario.legal_officer
    big = tmp_path / "huge.json"
    document = offence_file()
    document["note"] = "x" * MAX_FILE_BYTES
    big.write_text(json.dumps(document))
    with node.ctx.transaction() as session, pytest.raises(KnowledgeBaseInvalid) as caught:
        import_file(session, officer, big)
    assert caught.value.data["file"] == "huge.json"
    assert f"more than the {MAX_FILE_BYTES}" in caught.value.message
    with node.ctx.transaction() as session:
        assert versions(session) == [] and kb_audit(session) == []


def test_a_file_from_disk_is_imported_under_its_name(scenario: Scenario, tmp_path: Path) -> None:
    node, officer = scenario.node, scenario.legal_officer
    path = tmp_path / "statutes.json"
    path.write_text(json.dumps(offence_file(), ensure_ascii=False), encoding="utf-8")
    with node.ctx.transaction() as session:
        assert import_file(session, officer, path)["file"] == "statutes.json"
    bad = [
        ("dup.json", '{"kind": "offences", "kind": "offences", "entries": []}', "'kind'"),
        ("nan.json", '{"kind": "offences", "entries": [{"x": NaN}]}', "NaN"),
        ("deep.json", "[" * 100_000 + "]" * 100_000, "nested too deep"),
        ("latin1.json", '{"kind": "offences", "note": "caf\xe9"}', "not UTF-8 JSON"),
        ("truncated.json", '{"kind": "offences", ', "not UTF-8 JSON"),
    ]
    for name, text, message in bad:
        file = tmp_path / name
        file.write_bytes(text.encode("latin-1"))
        with node.ctx.transaction() as session, pytest.raises(KnowledgeBaseInvalid) as caught:
            import_file(session, officer, file)
        assert caught.value.message.startswith(f"{name}: ") and message in caught.value.message
        assert caught.value.data["file"] == name
    with node.ctx.transaction() as session:
        with pytest.raises(LegalInputError, match="cannot read"):
            import_file(session, officer, tmp_path / "absent.json")
        assert len(versions(session)) == 1


def test_a_note_with_control_characters_is_refused(scenario: Scenario) -> None:
    node, officer = scenario.node, scenario.legal_officer
    with node.ctx.transaction() as session, pytest.raises(LegalInputError, match="control"):
        import_document(session, officer, "statutes.json", offence_file(), note="a\x00b")
    with node.ctx.transaction() as session:
        import_document(session, officer, "statutes.json", offence_file())
    with node.ctx.transaction() as session, pytest.raises(LegalInputError, match="control"):
        revert(session, officer, note="\x1b[31m")
    with node.ctx.transaction() as session:
        assert len(versions(session)) == 1


@pytest.mark.parametrize("kind", list(KINDS))
def test_an_exported_kind_imported_unchanged_leaves_the_knowledge_base_identical(
    scenario: Scenario, kind: str
) -> None:
    node, officer = scenario.node, scenario.legal_officer
    package = KnowledgeBase.from_package()
    document = export_kind(package, kind)
    assert document["kind"] == kind and len(document["entries"]) == len(package.all(kind))
    text = json.dumps(document, ensure_ascii=False)  # what `kb export` writes to a file
    with node.ctx.transaction() as session:
        result = import_document(session, officer, f"{kind}.json", json.loads(text))
    assert result["added"] == [] and len(result["replaced"]) == len(package.all(kind))
    with node.ctx.transaction() as session:
        kb = current_kb(session)
        again = export_kind(kb, kind)
    assert kb.entries == package.entries
    assert {kb.origin(kind, key) for key in kb.entries[kind]} == {"version 1"}
    assert again == document


def test_export_of_an_unknown_kind_is_refused() -> None:
    with pytest.raises(LegalInputError, match="unknown kind 'statutes'") as caught:
        export_kind(KnowledgeBase.from_package(), "statutes")
    assert caught.value.data["kind"] == "statutes"


def test_an_offence_written_in_other_letters_is_the_same_offence(scenario: Scenario) -> None:
    node, officer = scenario.node, scenario.legal_officer
    [entry] = offence_file()["entries"]
    twice = {"kind": "offences", "entries": [entry, {**entry, "ref": "IN: IT Act 66D"}]}
    with node.ctx.transaction() as session, pytest.raises(KnowledgeBaseInvalid) as caught:
        import_document(session, officer, "statutes.json", twice)
    assert caught.value.data["entry"] == 2
    assert "duplicates entry 1" in caught.value.message
    with node.ctx.transaction() as session:
        assert versions(session) == []
    # written in other letters, it replaces the package's entry instead of standing beside it
    other = {"kind": "offences", "entries": [{**entry, "ref": "in:it act 66d"}]}
    with node.ctx.transaction() as session:
        result = import_document(session, officer, "statutes.json", other)
        assert result["replaced"] == ["in:it act 66d"] and result["added"] == []
        kb = current_kb(session)
        assert kb.offence(REF).text == entry["text"]  # type: ignore[union-attr]
        assert kb.origin("offences", REF) == f"version {result['version']}"
        assert len([o for o in kb.all("offences") if o.ref.upper() == REF.upper()]) == 1
