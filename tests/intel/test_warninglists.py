"""Warning lists: MISP's bundled lists, Comity's defaults, the node's own, fast lookups."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from comity.core.settings import load_settings
from comity.intel.warninglists import DEFAULT_SKIPPED, for_settings, suppression


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "node"


@pytest.mark.parametrize(
    ("obs_type", "value", "list_id"),
    [
        ("domain-name", "gmail.com", "free-email-providers"),
        ("domain-name", "rediffmail.com", "free-email-providers"),
        ("domain-name", "google.com", "alexa"),
        ("domain-name", "paypal.com", "alexa"),
        ("domain-name", "sbi.co.in", "bank-website"),
        ("domain-name", "duckdns.org", "dynamic-dns"),
        ("url", "http://bit.ly/", "cisco_top10k"),
        ("phone-number", "IN:1930", "india-helplines"),
        ("phone-number", "IN:155260", "india-helplines"),
        ("phone-number", "+9118001234", "india-helplines"),
        ("domain-name", "cybercrime.gov.in", "government-sites"),
        ("domain-name", "ic3.gov", "government-sites"),
        ("domain-name", "www.ic3.gov", "government-sites"),  # a listed domain's subdomain
        ("url", "https://www.ic3.gov/", "government-sites"),  # and its bare site
        ("phone-number", "+12125550123", "phone_numbers"),  # fictional 555-01xx
        ("phone-number", "+447700900123", "phone_numbers"),  # Ofcom drama range
        ("ipv4-addr", "8.8.8.8", "public-dns-v4"),
        ("ipv4-addr", "10.20.30.40", "rfc1918"),
        ("ipv4-addr", "192.168.10.0/24", "rfc1918"),  # a network inside a listed one
        ("ipv6-addr", "fe80::1", "ipv6-linklocal"),
        ("email-addr", "abuse@example.org", "common-contact-emails"),
        ("file-md5", "d41d8cd98f00b204e9800998ecf8427e", None),  # the empty file
    ],
)
def test_values_that_occur_everywhere_are_suppressed(
    home: Path, obs_type: str, value: str, list_id: str | None
) -> None:
    reason = suppression(obs_type, value, settings=load_settings(home=home))
    assert reason is not None
    if list_id is not None:
        assert f"'{list_id}'" in reason


@pytest.mark.parametrize(
    ("obs_type", "value"),
    [
        ("email-addr", "refund.desk.2024@gmail.com"),  # an address at a free provider
        ("url", "https://docs.google.com/forms/d/e/1FAIpQL/viewform"),  # a page on a platform
        ("url", "http://bit.ly/3kyc-update"),
        ("domain-name", "scam.github.io"),  # a private suffix: not github.io
        ("domain-name", "evil.duckdns.org"),
        ("domain-name", "ugic0k.ru"),
        ("ipv4-addr", "194.78.89.250"),
        ("phone-number", "+919876543210"),
        ("phone-number", "+919999123456"),  # MISP's French 999 pattern, not anchored, would hit
        ("phone-number", "+12243359185"),
        ("upi-id", "refund.kyc@okaxis"),
        ("file-md5", "06596279d333d831e0b62265563a13ef"),
    ],
)
def test_specific_identifiers_are_not(home: Path, obs_type: str, value: str) -> None:
    assert suppression(obs_type, value, settings=load_settings(home=home)) is None


def test_every_default_entry_has_a_source_note() -> None:
    folder = Path(__file__).parents[2] / "src" / "comity" / "intel" / "data" / "warninglists"
    for path in folder.glob("*.txt"):
        for line in path.read_text().splitlines():
            if line.strip() and not line.startswith("#"):
                assert len(line.partition(" # ")[2]) > 20, line  # a source for every entry


def test_local_lists_in_misp_and_text_form(home: Path) -> None:
    folder = home / "warninglists"
    folder.mkdir(parents=True)
    (folder / "banks.json").write_text(
        json.dumps(
            {
                "name": "Partner bank domains",
                "type": "hostname",
                "version": 1,
                "description": "banks that cooperate with us",
                "list": ["example-bank.co.in"],
                "matching_attributes": ["domain", "hostname", "url"],
            }
        )
    )
    (folder / "desk.txt").write_text(
        "# our own\n"
        "phone-number 0091 22 2345 6789 # the bank's fraud desk (its letter of 3 Nov)\n"
        "upi-id helpdesk@sbi # published on the bank's site\n"
        "phone-number not-a-number\n"
        "203.0.113.0/24 # the node's own network\n"
    )
    settings = load_settings(home=home)
    lists = for_settings(settings)
    assert lists.problems() == ["%s line 4: 'not-a-number' is not a valid phone-number" % (
        folder / "desk.txt"
    )]  # fmt: skip
    reason = lists.suppression("domain-name", "example-bank.co.in")
    assert reason is not None and "'banks'" in reason
    assert lists.suppression("url", "https://netbanking.example-bank.co.in/") is not None
    assert lists.suppression("url", "https://netbanking.example-bank.co.in/login") is None
    desk = lists.suppression("phone-number", "+912223456789")
    assert desk is not None and "fraud desk" in desk
    assert lists.suppression("upi-id", "helpdesk@sbi") is not None
    assert lists.suppression("ipv4-addr", "203.0.113.7") is not None
    # a file edited later is read again
    (folder / "desk.txt").write_text("phone-number +912223456780 # the new desk\n")
    again = for_settings(settings)
    assert again.suppression("phone-number", "+912223456789") is None
    assert again.suppression("phone-number", "+912223456780") is not None
    assert {info.id for info in again.lists()} >= {"banks", "desk", "india-helplines", "alexa"}


def test_damaged_local_files_are_reported_not_fatal(home: Path) -> None:
    folder = home / "warninglists"
    folder.mkdir(parents=True)
    (folder / "broken.json").write_text("{not json")
    (folder / "wrong.json").write_text('{"list": "x", "type": "string"}')
    (folder / "regex.json").write_text('{"list": ["/([a-/"], "type": "regex", "name": "r"}')
    lists = for_settings(load_settings(home=home))
    problems = "\n".join(lists.problems())
    assert "broken.json: not JSON" in problems
    assert "wrong.json: not a warning list" in problems
    assert "regular expression" in problems
    assert lists.suppression("domain-name", "gmail.com") is not None


def test_skipping_misp_lists(home: Path) -> None:
    everything = load_settings(home=home, warninglists_skip=["*"])
    assert suppression("domain-name", "google.com", settings=everything) is None
    assert suppression("domain-name", "gmail.com", settings=everything) is not None  # local
    defaults = for_settings(load_settings(home=home))
    assert set(defaults.skipped()) == set(DEFAULT_SKIPPED)
    assert "tranco" not in {info.id for info in defaults.lists()}
    with_tranco = load_settings(home=home, warninglists_skip=[])
    assert "tranco" in {info.id for info in for_settings(with_tranco).lists()}


def test_lookups_are_fast(home: Path) -> None:
    lists = for_settings(load_settings(home=home))
    values = [
        ("domain-name", "ugic0k.ru"),
        ("ipv4-addr", "194.78.89.250"),
        ("url", "https://zdgyot.ugic0k.ru/assets/bin.exe"),
        ("email-addr", "andrew_ryan@rindustries.rp"),
        ("file-sha256", "fdb8bf01985f33c301dc2bb6bf19fd864f62bae92bc09cce9378859dbb5a0846"),
    ]
    for obs_type, value in values:  # build once
        lists.suppression(obs_type, value)
    start = time.perf_counter()
    for _ in range(2000):
        for obs_type, value in values:
            lists.suppression(obs_type, value)
    elapsed = time.perf_counter() - start
    assert elapsed < 5.0, f"{10000 / elapsed:.0f} lookups per second"


GATED = [
    r"((?:\+|00)1)?([0-9]{3})55501([0-9]{2})",
    r"((?:\+|00)61)?1(3|8)00975707|08|09|10|11",
    r"^(security|noc|soc|abuse)\@.*\..*$",
]


@given(st.text(alphabet="0123456789+abcnosuity@.", max_size=16))
def test_one_gate_matches_exactly_what_any_of_its_regexes_matches(text: str) -> None:
    import re

    from comity.intel.warninglists import _gate

    patterns = [re.compile(p) for p in GATED] + [re.compile("ABUSE@X.IN", re.IGNORECASE)]
    gate = _gate(patterns)
    assert gate is not None
    assert bool(gate.fullmatch(text)) == any(p.fullmatch(text) for p in patterns)
    for sample in ("+12125550123", "08", "abuse@x.in", "noc@a.b"):
        assert gate.fullmatch(sample)


def test_a_regex_that_cannot_join_an_alternation_leaves_the_list_ungated() -> None:
    import re

    from comity.intel.warninglists import _gate

    assert _gate([re.compile(r"(a)\1"), re.compile("b")]) is None
    assert _gate([re.compile(r"(?i)abc")]) is None
