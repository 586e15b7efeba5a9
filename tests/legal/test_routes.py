"""The route advisor against the real cases the issue names, a matrix of pairs and needs, and
pairs the knowledge base cannot answer (it must say so, not guess).

The advisor reads only the knowledge base, so these tests need no database.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from comity.legal.errors import LegalInputError
from comity.legal.knowledge import KnowledgeBase
from comity.legal.routes import advise
from comity.legal.schema import (
    HOLDERS,
    MECHANISM_CLASSES,
    NEEDS,
    STATUSES,
    AgreementEntry,
    TreatyEntry,
)

KB = KnowledgeBase.from_package()
STORED = ("subscriber", "traffic", "content", "preservation")


def mechanisms(advice: dict[str, Any]) -> list[str]:
    """The mechanisms of the routes, in order."""
    return [r["mechanism"] for r in advice["routes"]]


def route(advice: dict[str, Any], mechanism: str) -> dict[str, Any]:
    """The route of ``mechanism`` (fails the test if it is not a route)."""
    found = [r for r in advice["routes"] if r["mechanism"] == mechanism]
    assert found, f"{mechanism} is not among the routes {mechanisms(advice)}"
    return found[0]


def reason(advice: dict[str, Any], mechanism: str, where: str = "excluded") -> str:
    """Why ``mechanism`` is excluded (or undetermined)."""
    found = [e["reason"] for e in advice[where] if e["mechanism"] == mechanism]
    assert found, f"{mechanism} is not {where}: {advice[where]}"
    return found[0]


# -- the real cases -------------------------------------------------------------------------------


def test_content_from_a_us_provider_needs_preservation_then_an_mla_request_with_probable_cause():
    advice = advise(KB, "IN", "US", "content")
    assert mechanisms(advice) == ["provider-preservation", "mla-treaty"]
    preservation, mla = advice["routes"]
    assert "18 U.S.C. §2703(f)" in preservation["legal_basis"]
    assert mla["preconditions"][0].startswith("Preserve the data first")
    assert any("probable cause" in p for p in mla["preconditions"])
    assert "18 U.S.C. §3512" in mla["legal_basis"]
    assert "Ministry of Home Affairs" in mla["channel"]
    assert "Office of International Affairs" in mla["channel"]
    assert mla["request_kind"] == "mla-request"
    # the MLAT does not require dual criminality (Art. 1(3))
    assert mla["dual_criminality"]["required"] is False
    # the 10-month figure is sourced and flagged unverified, so the route is too
    assert mla["expected_days"]["typical"] == 304
    assert mla["expected_days"]["status"] == "unverified"
    assert mla["status"] == "unverified"
    # a letter rogatory is not the route when a treaty applies
    assert "treaty applies" in reason(advice, "letter-rogatory")


def test_us_providers_may_disclose_non_content_directly_to_foreign_police():
    advice = advise(KB, "IN", "US", "subscriber")
    direct = route(advice, "direct-provider-request")
    assert "18 U.S.C. §2702(c)(6)" in direct["legal_basis"]
    assert any("policy" in p for p in direct["preconditions"])
    # faster classes first: preservation, the direct request, then the MLA request
    assert mechanisms(advice).index("direct-provider-request") < mechanisms(advice).index(
        "mla-treaty"
    )
    # content is never disclosed voluntarily: the direct request is not a route for it
    assert "direct-provider-request" not in mechanisms(advise(KB, "IN", "US", "content"))


def test_an_emergency_has_its_own_route_first():
    advice = advise(KB, "IN", "US", "content", urgency="emergency")
    assert mechanisms(advice)[0] == "provider-emergency-disclosure"
    emergency = advice["routes"][0]
    assert {"18 U.S.C. §2702(b)(8)", "18 U.S.C. §2702(c)(4)"} <= set(emergency["legal_basis"])
    assert any("death or serious physical injury" in p for p in emergency["preconditions"])
    assert emergency["status"] == "interpretation"
    normal = advise(KB, "IN", "US", "content")
    assert "emergency" in reason(normal, "provider-emergency-disclosure")


def test_no_treaty_country_is_reached_by_a_letter_rogatory_on_reciprocity():
    advice = advise(KB, "IN", "DE", "bank-records")
    assert mechanisms(advice) == ["letter-rogatory"]
    letter = advice["routes"][0]
    assert any("reciprocity" in p for p in letter["preconditions"])
    assert any("concur before a court is approached" in p for p in letter["preconditions"])
    assert any(b.startswith("BNSS s.112") for b in letter["legal_basis"])
    # India's treaty list is incomplete (sources count 39 to 45): the advisor says so
    assert any(p.startswith("Confirm:") and "incomplete" in p for p in letter["preconditions"])
    assert letter["status"] == "conflict"
    assert "no MLA treaty" in reason(advice, "mla-treaty")


def test_a_signed_treaty_not_known_to_be_in_force_is_not_assumed():
    advice = advise(KB, "IN", "MA", "testimony")
    assert mechanisms(advice) == ["letter-rogatory"]
    assert "signed 2018-11-12" in reason(advice, "mla-treaty")
    assert any("2018-11-12" in p for p in advice["routes"][0]["preconditions"])


def test_the_budapest_24_7_network_is_not_open_between_india_and_a_party():
    for to in ("US", "FR", "JP"):
        advice = advise(KB, "IN", to, "preservation")
        why = reason(advice, "budapest-expedited-preservation")
        assert "India (IN) is not a party" in why
    # the US preservation route says the network is closed and offers the other channels
    preservation = route(advise(KB, "IN", "US", "preservation"), "provider-preservation")
    assert any("not open between India" in p for p in preservation["preconditions"])
    assert "24/7 network" in preservation["channel"]
    # between two parties it is a route, without dual criminality
    between_parties = route(
        advise(KB, "FR", "DE", "preservation"), "budapest-expedited-preservation"
    )
    assert between_parties["dual_criminality"]["required"] is False


@pytest.mark.parametrize(
    "need",
    ["subscriber", "traffic", "content", "preservation", "bank-records", "testimony", "search"],
)
def test_interpol_notices_do_not_obtain_stored_data(need: str):
    advice = advise(KB, "IN", "RU", need)
    assert "do not obtain stored data" in reason(advice, "interpol-notice-or-diffusion")
    assert "interpol-notice-or-diffusion" not in mechanisms(advice)


def test_interpol_notices_locate_and_arrest_people():
    locate = advise(KB, "IN", "RU", "locate-person")
    assert mechanisms(locate)[0] == "interpol-notice-or-diffusion"
    notice = locate["routes"][0]
    assert "Central Bureau of Investigation" in notice["channel"]
    assert any("Blue Notice" in b for b in notice["legal_basis"])
    # membership of the requested state is not listed: confirm, flagged unverified
    assert any("member of INTERPOL" in p for p in notice["preconditions"])
    assert notice["status"] == "unverified"
    arrest = advise(KB, "IN", "RU", "arrest")
    assert any(
        "Red Notice" in b for b in route(arrest, "interpol-notice-or-diffusion")["legal_basis"]
    )


def test_arrest_in_the_us_goes_by_extradition_with_dual_criminality():
    advice = advise(KB, "IN", "US", "arrest", offence="IN:IT Act 66D")
    extradition = route(advice, "extradition-treaty")
    assert extradition["dual_criminality"]["required"] is True
    offence = extradition["dual_criminality"]["offence"]
    assert offence["corresponding"] == ["US:18 U.S.C. 1343", "US:18 U.S.C. 1028A"]
    assert offence["correspondence_status"] == "verified"
    # police-to-police comes before extradition
    assert mechanisms(advice).index("interpol-notice-or-diffusion") < mechanisms(advice).index(
        "extradition-treaty"
    )


def test_a_cloud_act_partner_may_order_a_us_provider_directly():
    advice = advise(KB, "GB", "US", "content")
    cloud = route(advice, "cloud-act-order")
    assert "18 U.S.C. §2523" in cloud["legal_basis"]
    assert "No CLOUD Act" in reason(advise(KB, "IN", "US", "content"), "cloud-act-order")
    # the Second Additional Protocol is not in force: its direct route is never offered
    assert "not in force" in reason(
        advise(KB, "GB", "US", "subscriber"), "protocol-subscriber-direct"
    )


# -- pairs the knowledge base cannot answer -------------------------------------------------------


def test_a_pair_the_knowledge_base_cannot_answer_says_so():
    advice = advise(KB, "IN", "KP", "preservation")
    assert advice["routes"] == []
    assert advice["answer"] == "unknown"
    assert "does not know" in advice["message"]
    assert "no rules on what a provider" in reason(advice, "provider-preservation", "undetermined")


def test_between_two_other_states_it_answers_only_from_what_it_holds():
    advice = advise(KB, "BR", "AR", "content")
    # between two Budapest parties the Convention itself is the basis: preservation (Art. 29),
    # access with consent (Art. 32(b)) and mutual assistance for stored data (Art. 31)
    assert mechanisms(advice) == [
        "budapest-expedited-preservation",
        "budapest-consent-access",
        "budapest-mla",
    ]
    mla = route(advice, "budapest-mla")
    assert "Budapest Convention (ETS 185) Art. 31" in mla["legal_basis"]
    assert "not in the knowledge base" in mla["channel"]
    assert mla["preconditions"][0].startswith("Preserve the data first")
    assert "no list of MLA treaties" in reason(advice, "mla-treaty", "undetermined")
    assert "does not hold the law of Brazil" in reason(advice, "letter-rogatory", "undetermined")


def test_no_route_has_an_invented_duration():
    for to in ("US", "RU", "AE", "DE", "GB"):
        for need in NEEDS:
            for r in advise(KB, "IN", to, need)["routes"]:
                if r["expected_days"] is None:
                    assert "No sourced duration" in r["expected_days_note"]
                else:
                    assert any(s["fact"].startswith("figures/") for s in r["sources"])
                    assert r["expected_days"]["source"]


# -- rules come from data -------------------------------------------------------------------------


def test_a_treaty_added_to_the_knowledge_base_changes_the_route():
    treaty = TreatyEntry.model_validate(
        {
            "id": "in-de-mla-test",
            "kind": "mla",
            "parties": ["IN", "DE"],
            "name": "Test treaty",
            "stage": "in-force",
            "in_force": "2030-01-01",
            "dual_criminality": "required",
            "source": "test",
            "as_of": "2030-01-01",
            "status": "unverified",
        }
    )
    kb = KB.overlaid([("version 1", "treaties", [treaty])])
    advice = advise(kb, "IN", "DE", "bank-records")
    assert mechanisms(advice) == ["mla-treaty"]
    mla = advice["routes"][0]
    assert mla["dual_criminality"]["required"] is None or mla["dual_criminality"]["required"]
    assert any(
        s["fact"] == "treaties/in-de-mla-test" and s["origin"] == "version 1"
        for s in mla["sources"]
    )
    assert "treaty applies" in reason(advice, "letter-rogatory")


def test_an_agreement_added_to_the_knowledge_base_opens_its_route():
    agreement = AgreementEntry.model_validate(
        {
            "id": "us-in-cloud-act",
            "kind": "cloud-act",
            "parties": ["US", "IN"],
            "name": "Test agreement",
            "stage": "in-force",
            "in_force": "2030-01-01",
            "source": "test",
            "as_of": "2030-01-01",
            "status": "unverified",
        }
    )
    kb = KB.overlaid([("version 2", "agreements", [agreement])])
    assert "cloud-act-order" in mechanisms(advise(kb, "IN", "US", "content"))


# -- bad input ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "named"),
    [
        ({"from_": "XX", "to": "US", "need": "content"}, "'XX'"),
        ({"from_": "IN", "to": "U1", "need": "content"}, "'U1'"),
        ({"from_": "IN", "to": "IN", "need": "content"}, "both IN"),
        ({"from_": "IN", "to": "US", "need": "emails"}, "need 'emails'"),
        ({"from_": "IN", "to": "US", "need": "content", "holder": "isp"}, "holder 'isp'"),
        ({"from_": "IN", "to": "US", "need": "content", "urgency": "asap"}, "urgency 'asap'"),
        ({"from_": "IN", "to": "US", "need": "content", "offence": "cheating"}, "'cheating'"),
    ],
)
def test_bad_input_is_refused_naming_it(kwargs: dict[str, str], named: str):
    with pytest.raises(LegalInputError) as caught:
        advise(KB, **kwargs)
    assert named in caught.value.message
    assert caught.value.exit_code == 2


# -- invariants over every pair -------------------------------------------------------------------

COUNTRIES = sorted(KB.entries["countries"])


@given(
    src=st.sampled_from(COUNTRIES),
    dst=st.sampled_from(COUNTRIES),
    need=st.sampled_from(NEEDS),
    holder=st.sampled_from((None, *HOLDERS)),
    urgency=st.sampled_from(("normal", "emergency")),
)
def test_every_answer_is_well_formed(
    src: str, dst: str, need: str, holder: str | None, urgency: str
):
    try:
        advice = advise(KB, src, dst, need, holder=holder, urgency=urgency)
    except LegalInputError:
        assert src == dst
        return
    seen = (
        mechanisms(advice)
        + [e["mechanism"] for e in advice["excluded"]]
        + [u["mechanism"] for u in advice["undetermined"]]
    )
    assert len(seen) == len(set(seen)), "a mechanism is in two places"
    classes = [MECHANISM_CLASSES.index(r["class"]) for r in advice["routes"]]
    if not all(r["expected_days"] for r in advice["routes"]):
        assert classes == sorted(classes)
    for r in advice["routes"]:
        assert r["status"] in STATUSES
        assert r["sources"] and all(s["source"] and s["as_of"] for s in r["sources"])
    for item in advice["excluded"] + advice["undetermined"]:
        assert item["reason"]
    assert (advice["answer"] == "routes") == bool(advice["routes"])
    if need in STORED:
        interpol = [
            e for e in advice["excluded"] if e["mechanism"] == "interpol-notice-or-diffusion"
        ]
        assert interpol
