"""The knowledge base as data: the package's files, the schema's refusals, the facts it must hold.

Adversarial files are checked for what a legal officer sees: the error names the file, the
entry (its number and key) and the field. The facts at the end are those of the shared
``legal-facts.md`` (beside the product brief) that the route advisor and the drafts depend on.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from comity.legal.errors import KnowledgeBaseInvalid
from comity.legal.facts import facts_for
from comity.legal.kb_services import export_kind
from comity.legal.knowledge import KnowledgeBase, package_files
from comity.legal.schema import KINDS, STATUSES, check_as_of, entry_key, parse_file

KB = KnowledgeBase.from_package()
ISO_SHAPE = re.compile(r"[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?")


def offence(**changes: Any) -> dict[str, Any]:
    """An entry of ``offences`` (keys set to ``None`` are left out)."""
    entry = {
        "ref": "IN:IT Act 66D",
        "country": "IN",
        "act": "Information Technology Act 2000",
        "section": "66D",
        "title": "Cheating by personation by using a computer resource",
        "source": "test",
        "as_of": "2024-01-01",
        "status": "verified",
        **changes,
    }
    return {k: v for k, v in entry.items() if v is not None}


def offences(*entries: Any, **top: Any) -> dict[str, Any]:
    """An ``offences`` file."""
    return {"kind": "offences", **top, "entries": list(entries)}


def refused(document: Any, name: str = "statutes.json") -> KnowledgeBaseInvalid:
    """The error :func:`parse_file` raises for ``document``."""
    with pytest.raises(KnowledgeBaseInvalid) as caught:
        parse_file(name, document)
    return caught.value


# -- the package ----------------------------------------------------------------------------------


def test_the_package_files_load_and_hold_together() -> None:
    files = package_files()
    assert sorted(kind for _name, kind, _entries in files) == sorted(KINDS)
    for name, kind, entries in files:
        assert name == f"{kind}.json"  # the cross-check names files by kind
        assert entries, name
        assert set(KB.entries[kind]) == {entry_key(kind, e) for e in entries}
    KB.cross_check()
    assert KB.country("IN") is not None and KB.country_name("US") == "United States"
    assert KB.origins == {}


def test_every_entry_is_sourced_dated_and_has_a_status() -> None:
    count = 0
    for kind, entries in KB.entries.items():
        for key, entry in entries.items():
            where = f"{kind}/{key}"
            assert entry.source.strip(), where
            assert check_as_of(entry.as_of) == entry.as_of, where
            assert entry.status in STATUSES, where
            count += 1
    assert count == sum(len(entries) for _name, _kind, entries in package_files())


def test_every_conflict_gives_each_source_its_figure() -> None:
    conflicts = [
        (kind, key, entry)
        for kind, entries in KB.entries.items()
        for key, entry in entries.items()
        if entry.status == "conflict"
    ]
    assert conflicts  # the count of India's MLA treaties is one
    for kind, key, entry in conflicts:
        sources = [f.source.strip() for f in entry.figures]
        assert len(sources) >= 2 and all(sources), f"{kind}/{key}"
        assert len(set(sources)) == len(sources), f"{kind}/{key}: a source given twice"
        for figure in entry.figures:
            assert check_as_of(figure.as_of) == figure.as_of


# -- adversarial files ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("entry", "field", "problem"),
    [
        (offence(source=None), "source", "is missing"),
        (offence(source=""), "source", "at least 1 character"),
        (offence(as_of="2024-13-01"), "as_of", "'2024-13-01' is not a calendar date"),
        (offence(as_of="yesterday"), "as_of", "'yesterday' is not a date"),
        (offence(as_of="2024-02-30"), "as_of", "'2024-02-30' is not a calendar date"),
        (offence(as_of="2024-1-1"), "as_of", "'2024-1-1' is not a date"),
        (offence(as_of=20240101), "as_of", "valid string"),
        (offence(status="maybe"), "status", "'verified', 'unverified', 'conflict'"),
        (offence(titel="Cheating"), "titel", "Extra inputs are not permitted"),
        (offence(country="India"), "country", "'India' is not an ISO 3166-1 alpha-2 code"),
        (
            offence(status="conflict", figures=[{"value": 1, "as_of": "2020"}]),
            "figures.0.source",
            "is missing",
        ),
    ],
)
def test_a_bad_entry_is_refused_naming_file_entry_and_field(
    entry: dict[str, Any], field: str, problem: str
) -> None:
    good = offence(ref="IN:IT Act 66C", section="66C")
    error = refused(offences(good, entry))
    assert error.data == {
        "file": "statutes.json",
        "entry": 2,
        "key": "IN:IT Act 66D",
        "field": field,
    }
    assert error.message.startswith(f"statutes.json: entry 2 (IN:IT Act 66D): field '{field}' ")
    assert problem in error.message


@pytest.mark.parametrize(
    "figures",
    [[], [{"value": 41, "source": "Hindustan Times", "as_of": "2024-12-09"}]],
)
def test_a_conflict_needs_two_figures(figures: list[dict[str, Any]]) -> None:
    error = refused(offences(offence(status="conflict", figures=figures)))
    assert error.data["file"] == "statutes.json" and error.data["entry"] == 1
    assert error.data["key"] == "IN:IT Act 66D"
    assert error.message.startswith("statutes.json: entry 1 (IN:IT Act 66D): ")
    assert "a 'conflict' needs each source's figure in 'figures' (two or more)" in error.message


def test_a_conflict_without_figures_names_the_field() -> None:
    assert refused(offences(offence(status="conflict"))).data["field"] == "figures"


def test_two_figures_make_a_conflict() -> None:
    figures = [
        {"value": "3 years", "source": "statute", "as_of": "2008"},
        {"value": "5 years", "source": "a summary", "as_of": "undated"},
    ]
    _kind, [entry] = parse_file("x.json", offences(offence(status="conflict", figures=figures)))
    assert entry.provenance()["figures"][1] == figures[1]


@pytest.mark.parametrize("as_of", ["undated", "2020-01", "1997", "2024-02-29", "0001-01-01"])
def test_reduced_precision_and_undated_are_accepted(as_of: str) -> None:
    _kind, [entry] = parse_file("x.json", offences(offence(as_of=as_of)))
    assert entry.as_of == as_of


def test_the_envelope_at_the_top_applies_to_every_entry() -> None:
    document = offences(
        offence(source=None, as_of=None, status=None),
        offence(ref="IN:IT Act 66C", section="66C", source="own", status=None, as_of=None),
        source="the file's source",
        as_of="2025-01",
        status="unverified",
    )
    _kind, entries = parse_file("x.json", document)
    assert [(e.source, e.as_of, e.status) for e in entries] == [
        ("the file's source", "2025-01", "unverified"),
        ("own", "2025-01", "unverified"),
    ]
    error = refused(offences(offence(as_of=None), as_of="last year"))
    assert error.data["entry"] is None and error.data["field"] == "as_of"
    assert "at the top of the file" in error.message
    assert "'last year' is not a date" in error.message
    # checked even when every entry has its own date
    error = refused(offences(offence(), as_of="last year"))
    assert error.data["field"] == "as_of"


@pytest.mark.parametrize(
    ("document", "field", "problem"),
    [
        (["not", "an", "object"], None, "a JSON object with 'kind' and 'entries'"),
        ({"kind": "statutes", "entries": [offence()]}, "kind", "'statutes' is not one of"),
        ({"entries": [offence()]}, "kind", "None is not one of"),
        (offences(offence(), sourse="typo"), "sourse", "not allowed at the top of a file"),
        ({"kind": "offences", "entries": {"0": offence()}}, "entries", "non-empty list"),
        ({"kind": "offences", "entries": "IN:IT Act 66D"}, "entries", "non-empty list"),
        ({"kind": "offences"}, "entries", "non-empty list"),
        (offences(), "entries", "non-empty list"),
    ],
)
def test_a_bad_file_is_refused_naming_the_file_and_field(
    document: Any, field: str | None, problem: str
) -> None:
    error = refused(document)
    assert error.data == {"file": "statutes.json", "entry": None, "field": field}
    assert error.message.startswith("statutes.json: ") and problem in error.message


def test_an_entry_that_is_not_an_object_is_refused() -> None:
    error = refused(offences(offence(), "IN:IT Act 66C"))
    assert error.data == {"file": "statutes.json", "entry": 2, "field": None}
    assert error.message == "statutes.json: entry 2: an entry is a JSON object"


def test_an_entry_given_twice_in_one_file_is_refused() -> None:
    first = offence()
    again = offence(title="again")
    error = refused(offences(first, offence(ref="IN:IT Act 66C", section="66C"), again))
    assert error.data == {
        "file": "statutes.json",
        "entry": 3,
        "key": "IN:IT Act 66D",
        "field": None,
    }
    assert error.message == (
        "statutes.json: entry 3 (IN:IT Act 66D): duplicates entry 1 (key 'IN:IT Act 66D')"
    )
    authorities = {
        "kind": "authorities",
        "source": "test",
        "as_of": "undated",
        "status": "verified",
        "entries": [
            {"country": "IN", "role": "mla-central-authority", "name": "MHA"},
            {"country": "IN", "role": "mla-central-authority", "name": "MEA"},
        ],
    }
    error = refused(authorities, "authorities.json")
    assert error.data["entry"] == 2 and error.data["key"] == "IN/mla-central-authority"


def test_an_offence_given_twice_in_other_letters_is_refused() -> None:
    refused(offences(offence(), offence(ref="in:IT Act 66D")))


def test_an_unknown_country_is_refused_by_the_cross_check() -> None:
    _kind, entries = parse_file("x.json", offences(offence(ref="XX:Penal Code 1", country="XX")))
    with pytest.raises(KnowledgeBaseInvalid) as caught:
        KB.overlaid([("version 1", "offences", entries)])
    assert caught.value.data == {
        "file": "offences.json",
        "entry": "XX:Penal Code 1",
        "field": "country",
    }
    assert caught.value.message == (
        "offences.json: entry XX:Penal Code 1: field 'country': 'XX' is not a country of "
        "countries.json"
    )
    treaty = export_kind(KB, "treaties")["entries"][0]
    _kind, entries = parse_file(
        "t.json", {"kind": "treaties", "entries": [{**treaty, "parties": ["IN", "ZZ"]}]}
    )
    with pytest.raises(KnowledgeBaseInvalid, match="'ZZ' is not a country") as caught:
        KB.overlaid([("version 1", "treaties", entries)])
    assert caught.value.data["field"] == "parties"
    assert caught.value.data["entry"] == treaty["id"]


def test_a_mechanism_naming_an_unknown_convention_or_organisation_is_refused() -> None:
    mechanisms = export_kind(KB, "mechanisms")["entries"]
    user = next(m for m in mechanisms if any(r.get("convention") for r in m["requires"]))
    requires = [
        {**r, "convention": "budapset"} if r.get("convention") else r for r in user["requires"]
    ]
    _kind, entries = parse_file(
        "m.json", {"kind": "mechanisms", "entries": [{**user, "requires": requires}]}
    )
    with pytest.raises(KnowledgeBaseInvalid) as caught:
        KB.overlaid([("version 1", "mechanisms", entries)])
    assert caught.value.data == {
        "file": "mechanisms.json",
        "entry": user["id"],
        "field": "requires.convention",
    }
    assert "'budapset' is not a convention of conventions.json" in caught.value.message
    member = next(m for m in mechanisms if any(r.get("organisation") for r in m["requires"]))
    requires = [
        {**r, "organisation": "interpool"} if r.get("organisation") else r
        for r in member["requires"]
    ]
    _kind, entries = parse_file(
        "m.json", {"kind": "mechanisms", "entries": [{**member, "requires": requires}]}
    )
    with pytest.raises(KnowledgeBaseInvalid, match="'interpool' is not an organisation"):
        KB.overlaid([("version 1", "mechanisms", entries)])


def test_an_overlay_replaces_by_key_and_records_the_origin() -> None:
    _kind, entries = parse_file(
        "x.json", offences(offence(text="TEST TEXT of s.66D", status="unverified"))
    )
    kb = KB.overlaid([("version 7", "offences", entries)])
    assert kb.offence("in:it act 66d").text == "TEST TEXT of s.66D"  # type: ignore[union-attr]
    assert kb.origin("offences", "IN:IT Act 66D") == "version 7"
    assert KB.offence("IN:IT Act 66D").text is None  # type: ignore[union-attr]
    assert len(kb.all("offences")) == len(KB.all("offences"))


# -- dates ----------------------------------------------------------------------------------------

FULL_DATES = st.one_of(
    st.dates().map(date.isoformat),
    st.from_regex(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", fullmatch=True),
    st.builds(
        lambda y, m, d: f"{y:04d}-{m:02d}-{d:02d}",
        st.integers(0, 9999),
        st.integers(0, 13),
        st.integers(0, 32),
    ),
)


def _iso_accepts(value: str) -> bool:
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


@given(FULL_DATES)
@example("2024-02-29")
@example("2023-02-29")
@example("0000-01-01")
def test_a_full_date_is_accepted_exactly_when_it_is_a_calendar_date(value: str) -> None:
    try:
        accepted = check_as_of(value) == value
    except ValueError:
        accepted = False
    assert accepted == _iso_accepts(value)


@given(st.one_of(st.text(), st.from_regex(ISO_SHAPE, fullmatch=True), st.just("undated")))
@example("undated")
@example("2020-01")
@example("1997")
@example("2020-13")
@example("Undated")
@example("")
def test_as_of_raises_nothing_but_value_error(value: str) -> None:
    try:
        result = check_as_of(value)
    except ValueError as exc:
        assert repr(value) in str(exc)
        return
    assert result == value
    if value != "undated":
        assert value[:4].isdigit()
        padded = (value + "-01-01")[:10] if len(value) == 4 else (value + "-01")[:10]
        if ISO_SHAPE.fullmatch(value):  # ASCII: the same calendar as the standard library
            assert _iso_accepts(padded)


@pytest.mark.parametrize("value", ["٢٠٢٤-٠١-٠١", "２０２４"])
def test_as_of_takes_ascii_digits_only(value: str) -> None:
    with pytest.raises(ValueError):
        check_as_of(value)


# -- facts the knowledge base must hold (legal-facts.md) ------------------------------------------


def test_the_india_us_mla_treaty() -> None:
    treaty = KB.treaty("IN", "US", "mla")
    assert treaty is not None
    assert (treaty.signed, treaty.in_force, treaty.stage) == (
        "2001-10-17",
        "2005-10-03",
        "in-force",
    )
    assert treaty.status == "verified" and treaty.source.strip()
    shown = facts_for(KB, "IN", "US")
    [section] = [s for s in shown["sections"] if s["title"] == "Treaties"]
    [fact] = [f for f in section["facts"] if f["fact"] == f"treaties/{treaty.id}"]
    assert "signed 2001-10-17, in force 2005-10-03" in fact["text"]
    assert fact["source"] == treaty.source and fact["origin"] == "package"


def test_preservation_periods() -> None:
    periods = {p.id: p for p in KB.preservation_periods()}
    us = next(p for p in periods.values() if p.applies_to.country == "US")
    assert (us.days, us.minimum, us.renewals, us.renewal_days) == (90, False, 1, 90)
    assert any("2703(f)" in basis for basis in us.legal_basis)
    budapest = next(
        p
        for p in periods.values()
        if p.applies_to.convention == "budapest" and not p.applies_to.domestic
    )
    assert (budapest.days, budapest.minimum) == (60, True)
    assert any("Art. 29" in basis for basis in budapest.legal_basis)


@pytest.mark.parametrize("country", ["IN", "RU", "CN"])
def test_not_a_budapest_party(country: str) -> None:
    budapest = KB.convention("budapest")
    assert budapest is not None and budapest.stage == "in-force"
    assert budapest.members_complete  # so absence means: not a party
    member = KnowledgeBase.member(budapest.members, country)
    assert member is None or member.role in ("non-party", "non-signatory")
    text = " ".join(
        f["text"]
        for s in facts_for(KB, country)["sections"]
        for f in s["facts"]
        if f["fact"] == "conventions/budapest"
    )
    assert f"{country}: not a party" in text or f"{country}: non-party" in text


def test_the_un_convention_and_the_second_protocol_are_not_in_force() -> None:
    un = KB.convention("un-cybercrime")
    assert un is not None and un.stage == "not-in-force"
    for country in ("IN", "US"):
        member = KnowledgeBase.member(un.members, country)
        assert member is not None and member.role == "non-signatory", country
    protocol = KB.convention("budapest-protocol-2")
    assert protocol is not None and protocol.stage == "not-in-force"
    assert protocol.in_force is None


def test_india_has_no_cloud_act_agreement() -> None:
    with_india = [g for g in KB.agreements("IN") if g.kind == "cloud-act"]
    assert with_india and all(g.stage == "none" for g in with_india)
    in_force = {tuple(g.parties) for g in KB.agreements("US") if g.stage == "in-force"}
    assert all("IN" not in parties for parties in in_force)
    assert {p for parties in in_force for p in parties} >= {"GB", "AU"}


def test_interpol_has_196_members() -> None:
    interpol = KB.organisation("interpol")
    assert interpol is not None and interpol.member_count is not None
    assert interpol.member_count.value == 196


def test_the_offence_map_row_for_it_act_66d() -> None:
    row = KB.offence_map("IN:IT Act 66D")
    assert row is not None
    assert sorted(row.to) == ["US:18 U.S.C. 1028A", "US:18 U.S.C. 1343"]
    assert row.source.strip() and row.status == "verified"


def test_the_ministry_of_home_affairs_is_india_s_central_authority() -> None:
    authority = KB.authority("IN", "mla-central-authority")
    assert authority is not None and "Ministry of Home Affairs" in authority.name
    shown = facts_for(KB, "IN")
    [section] = [s for s in shown["sections"] if s["title"] == "Central authorities and channels"]
    assert any(
        "IN MLA central authority: Ministry of Home Affairs" in f["text"] for f in section["facts"]
    )
