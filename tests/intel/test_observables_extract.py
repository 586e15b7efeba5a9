"""Extraction from free text: sample complaints and advisories, offsets, Hindi, overlaps, ReDoS."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from comity.intel.errors import UnknownCountry
from comity.intel.observables import Found, extract, normalize

DATA = Path(__file__).parents[1] / "data" / "intel"


def found_in(name: str, country: str | None) -> tuple[str, list[Found]]:
    text = (DATA / name).read_text(encoding="utf-8")
    return text, extract(text, country=country)


def check_offsets(text: str, found: list[Found], country: str | None) -> None:
    for f in found:
        assert text[f.start : f.end] == f.raw, f
        again = normalize(f.type, f.raw, country=country)
        assert (again.value, again.valid, again.reason) == (f.value, f.valid, f.reason), f
    assert [f.start for f in found] == sorted(f.start for f in found)


def pairs(found: list[Found]) -> set[tuple[str, str]]:
    return {(f.type, f.value) for f in found}


def test_english_complaint_from_india() -> None:
    text, found = found_in("complaint_en.txt", "IN")
    check_offsets(text, found, "IN")
    assert pairs(found) == {
        ("phone-number", "+919876543210"),
        ("phone-number", "+918765432109"),
        ("phone-number", "IN:1930"),
        ("person-name", "anil deshmukh"),
        ("bank-account", "SBIN0004321:345678901234"),
        ("bank-account", "HDFC0001287:50100234567891"),
        ("organization-name", "shree balaji traders private limited"),
        ("upi-id", "balaji.traders@okaxis"),
        ("url", "https://cbi-verification.in/case?id=88213"),
        ("domain-name", "cbi-verification.in"),
        ("email-addr", "noreply@cbi-gov-in.com"),
        ("url", "http://t.me/CBI_Officer_Desk"),
        ("user-account", "telegram:cbi_officer_desk"),
        ("domain-name", "t.me"),
        ("url", "https://www.instagram.com/mumbai.cyber.help/"),
        ("user-account", "instagram:mumbai.cyber.help"),
        ("domain-name", "instagram.com"),
    }
    assert all(f.valid for f in found)
    # Dates, amounts and the 12-digit UTR are not phone numbers.
    assert not any(f.raw in ("14.03.2026", "412398765432", "4,85,000") for f in found)
    # The e-mail's domain is not reported on its own.
    assert ("domain-name", "cbi-gov-in.com") not in pairs(found)


def test_hindi_complaint_with_devanagari_digits() -> None:
    text, found = found_in("complaint_hi.txt", "IN")
    check_offsets(text, found, "IN")
    assert pairs(found) == {
        ("phone-number", "+919823456780"),
        ("phone-number", "+917654321098"),
        ("phone-number", "IN:1930"),
        ("url", "http://sbi-kyc-update.online/login"),
        ("domain-name", "sbi-kyc-update.online"),
        ("bank-account", "PUNB0123400:987654321012"),
        ("upi-id", "kyc.help.desk@ybl"),
        ("person-name", "राजेश कुमार शर्मा"),
        ("email-addr", "rajesh.sbi.help@gmail.com"),
    }
    by_value = {f.value: f for f in found}
    assert by_value["+919823456780"].raw == "९८२३४५६७८०"
    assert by_value["PUNB0123400:987654321012"].raw.startswith("खाता संख्या")


def test_us_advisory_with_defanged_indicators() -> None:
    text, found = found_in("advisory_us.txt", "US")
    check_offsets(text, found, "US")
    values = pairs(found)
    expected = {
        ("phone-number", "+12025550143"),
        ("phone-number", "+18885550199"),
        ("phone-number", "+14155552671"),
        ("url", "https://secure-ms-helpdesk.com/remote/start"),
        ("domain-name", "secure-ms-helpdesk.com"),
        ("domain-name", "support-refund.net"),
        ("ipv4-addr", "198.51.100.23"),
        ("ipv6-addr", "2001:db8:85a3::8a2e:370:7334"),
        ("email-addr", "refunds@secure-ms-helpdesk.com"),
        ("cryptocurrency-wallet", "btc:bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"),
        ("cryptocurrency-wallet", "btc:1BoatSLRHtKNngkdXEeobR76b53LETtpyT"),
        ("cryptocurrency-wallet", "eth:0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"),
        ("cryptocurrency-wallet", "trx:TJRabPrwbZy45sbavfcjinPJC18kjpRTv8"),
        (
            "cryptocurrency-wallet",
            "btc:bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0",
        ),
        ("file-sha256", "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"),
        ("file-md5", "5d41402abc4b2a76b9719d911017c592"),
        ("bank-account", "GB29NWBK60161331926819"),
        ("url", "http://refund-portal.github.io/claim"),
        ("domain-name", "refund-portal.github.io"),
        ("user-account", "@ms_refund_team"),
        ("url", "https://x.com/MS_Refund_Team"),
        ("user-account", "twitter:ms_refund_team"),
        ("domain-name", "x.com"),
    }
    assert values == expected
    defanged = next(f for f in found if f.type == "ipv4-addr")
    assert defanged.raw == "198.51.100[.]23"


def test_news_of_a_joint_operation() -> None:
    text, found = found_in("news_joint_op.txt", "IN")
    check_offsets(text, found, "IN")
    assert pairs(found) >= {
        ("domain-name", "ssa-benefits-review.us"),
        ("phone-number", "+15715550111"),
        ("cryptocurrency-wallet", "eth:0x8617E340B3D01FA5F11F306F4090FD50E238070D"),
        ("organization-name", "quantum solutions private limited"),
        ("person-name", "manoj kumar yadav"),
        ("person-name", "rekha yadav"),
        ("bank-account", "UTIB0001122:918020045612789"),
        ("upi-id", "quantum.pay@ybl"),
    }


def test_overlaps_resolve_to_the_more_specific_type() -> None:
    text = "Pay 9876543210@ybl or mail kyc@sbi-help.co.in; see https://sbi-help.co.in/pay now"
    found = extract(text, country="IN")
    assert [(f.type, f.raw) for f in found] == [
        ("upi-id", "9876543210@ybl"),
        ("email-addr", "kyc@sbi-help.co.in"),
        ("url", "https://sbi-help.co.in/pay"),
        ("domain-name", "sbi-help.co.in"),
    ]
    host = found[3]
    assert text[host.start : host.end] == "sbi-help.co.in" and host.start > found[2].start


def test_a_url_on_an_ip_reports_the_ip() -> None:
    text = "panel at hxxp://203.0.113[.]9:8080/admin and http://[2001:db8::7]/x."
    found = extract(text)
    assert [(f.type, f.value) for f in found] == [
        ("url", "http://203.0.113.9:8080/admin"),
        ("ipv4-addr", "203.0.113.9"),
        ("url", "http://[2001:db8::7]/x"),
        ("ipv6-addr", "2001:db8::7"),
    ]
    check_offsets(text, found, None)


def test_sentence_punctuation_is_not_part_of_urls_and_domains() -> None:
    text = "Links: (https://evil.example.com/a_(b)), evil2.co.in. and www.evil3.in!"
    found = extract(text)
    raws = [f.raw for f in found]
    assert "https://evil.example.com/a_(b)" in raws
    assert "evil2.co.in" in raws and "www.evil3.in" in raws


def test_invalid_but_unmistakable_values_are_reported_flagged() -> None:
    text = (
        "wallet 0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD, iban GB28 NWBK 6016 1331 9268 19, "
        "ip 999.10.10.10, account A/c no. 123456789012"
    )
    found = {f.type: f for f in extract(text)}
    assert not found["cryptocurrency-wallet"].valid
    assert "EIP-55" in (found["cryptocurrency-wallet"].reason or "")
    bank = [f for f in extract(text) if f.type == "bank-account"]
    assert {(f.value, f.valid) for f in bank} == {
        ("GB28NWBK60161331926819", False),
        ("123456789012", False),
    }
    assert not found["ipv4-addr"].valid


def test_without_a_country_only_international_numbers_are_found() -> None:
    text = "Call 98765 43210 or +91 98765 43211 or the 1930 helpline"
    assert [f.value for f in extract(text)] == ["+919876543211"]
    assert [f.value for f in extract(text, country="IN")] == [
        "+919876543210",
        "+919876543211",
        "IN:1930",
    ]


def test_a_phone_number_before_an_ifsc_is_not_its_account() -> None:
    text = "Call +91 98765 43210 , SBIN0001234:12345678901 or A/c 1112223334 IFSC UTIB0001122"
    assert [(f.type, f.value) for f in extract(text, country="IN")] == [
        ("phone-number", "+919876543210"),
        ("bank-account", "SBIN0001234:12345678901"),
        ("bank-account", "UTIB0001122:1112223334"),
    ]


def test_several_numbers_in_one_run_are_split() -> None:
    found = extract("Numbers: 98765 43210 91234 56789", country="IN")
    assert [f.value for f in found] == ["+919876543210", "+919123456789"]


def test_hashes_wallets_and_handles_do_not_swallow_each_other() -> None:
    sha1 = "a9993e364706816aba3e25717850c26c9cd0d89d"
    text = f"0x{sha1} is an address; {sha1} is a hash; write to @fraud_desk."
    found = extract(text)
    assert [(f.type, f.raw) for f in found] == [
        ("cryptocurrency-wallet", f"0x{sha1}"),
        ("file-sha1", sha1),
        ("user-account", "@fraud_desk"),
    ]


def test_an_unknown_country_is_refused() -> None:
    with pytest.raises(UnknownCountry):
        extract("x", country="ZZ")


def test_empty_and_plain_texts() -> None:
    assert extract("") == []
    assert extract("Nothing here but words, a date 12.03.2026 and Rs. 5,000.") == []
    ordinary = (
        "E.g. Rs.500 was paid, i.e. to Mr.sharma; see invoice.pdf, report.zip, main.py and "
        "Node.js at 10:30:45 or 10.30 a.m. :: version 2.4.1 :: U.S. :: FIR No. 123/2026"
    )
    assert extract(ordinary, country="IN") == []


FILLER = st.lists(
    st.sampled_from(["abc", "xyz", ",", ";", "\n", "।", "की", "और", "कॉल", "call", "पर"]),
    min_size=1,
    max_size=4,
).map(lambda words: f" {' '.join(words)} ")


EMBEDDABLE = [
    ("+91 98765 43210", "phone-number", "+919876543210"),
    ("९८७६५४३२१०", "phone-number", "+919876543210"),
    ("(415) 555-2671", "phone-number", "+914155552671"),
    ("fraud.kyc@okaxis", "upi-id", "fraud.kyc@okaxis"),
    ("rahul.v[at]gmail[.]com", "email-addr", "rahul.v@gmail.com"),
    ("SBIN0001234:12345678901", "bank-account", "SBIN0001234:12345678901"),
    ("GB29 NWBK 6016 1331 9268 19", "bank-account", "GB29NWBK60161331926819"),
    ("scam[.]github[.]io", "domain-name", "scam.github.io"),
    ("203.0.113[.]7", "ipv4-addr", "203.0.113.7"),
    ("5d41402abc4b2a76b9719d911017c592", "file-md5", "5d41402abc4b2a76b9719d911017c592"),
    ("@cyber_dost", "user-account", "@cyber_dost"),
    (
        "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
        "cryptocurrency-wallet",
        "eth:0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
    ),
    ("hxxps://evil[.]example[.]com/x", "url", "https://evil.example.com/x"),
]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.sampled_from(EMBEDDABLE), min_size=1, max_size=6),
    st.lists(FILLER, min_size=7, max_size=7),
)
def test_observables_embedded_in_any_text_are_found_where_they_are(
    items: list[tuple[str, str, str]], fillers: list[str]
) -> None:
    text = fillers[0]
    expected = []
    for i, (raw, type_, value) in enumerate(items):
        start = len(text)
        text += raw + fillers[i + 1]
        expected.append((type_, value, start, start + len(raw)))
        if type_ == "url":  # its host, reported too
            host = raw.index("evil")
            expected.append(("domain-name", "example.com", start + host, start + len(raw) - 2))
    found = [(f.type, f.value, f.start, f.end) for f in extract(text, country="IN")]
    assert found == sorted(expected, key=lambda x: (x[2], -x[3])), text


ADVERSARIAL = {
    "digits": "9" * 1_000_000,
    "dots": "." * 1_000_000,
    "at-signs": "@" * 1_000_000,
    "digit-dot": "1." * 250_000,
    "label-dot": ("a" * 60 + ".") * 4_000,
    "letter-at": "a@" * 250_000,
    "ip-like": "1.2.3.4." * 60_000,
    "colons": "1:" * 250_000,
    "hex": "a" * 500_000,
    "url-path": "http://" + "a/" * 250_000,
    "account-cue-spaces": "account" + " " * 500_000 + "x",
    "brackets": "[.]" * 150_000,
    "title-case": "Mr Abc " * 70_000,
    "emails": "a.b@c.d " * 60_000,
    "separators": "9-" * 250_000,
    "plus": "+9" * 250_000,
    "devanagari-digits": "९" * 500_000,
    "org": "Abc " * 120_000 + "Ltd",
    "ifsc": "SBIN0001234 " * 40_000,
}


@pytest.mark.parametrize("name", list(ADVERSARIAL))
def test_adversarial_inputs_finish_fast(name: str) -> None:
    text = ADVERSARIAL[name]
    started = time.perf_counter()
    found = extract(text, country="IN")
    elapsed = time.perf_counter() - started
    # Linear patterns take about a second per megabyte here; a backtracking pattern would take
    # hours. The bound is loose so a loaded machine does not fail it.
    assert elapsed < 20, f"{name}: {elapsed:.1f} s"
    for f in found[:50]:
        assert text[f.start : f.end] == f.raw


@pytest.mark.parametrize(
    ("text", "country"),
    [
        ("I paid Rs. 1,100 and then he called again", "IN"),
        ("Rs. 2,800, then he called", "IN"),
        ("Call me, I paid Rs. 45,100", "IN"),
        ("I paid Rs 500 and he called", "IN"),
        ("paid ₹100 then the call dropped", "IN"),
        ("$1,911 and he called", "US"),
    ],
)
def test_amounts_of_money_are_not_short_codes(text: str, country: str) -> None:
    assert [f for f in extract(text, country=country) if f.type == "phone-number"] == []
