"""Example tests of every normalizer: real-looking Indian and US identifiers, invalid ones kept."""

from __future__ import annotations

import hashlib
import os

import pytest

from comity.core.errors import ComityError, InvalidInput
from comity.intel.errors import (
    DuplicateNormalizer,
    IntelError,
    UnknownCountry,
    UnknownObservableType,
)
from comity.intel.observables import REGISTRY, TYPES, Observable, Registry, normalize
from comity.intel.observables.keccak import keccak256, sha3_256
from comity.intel.observables.phone import _fast, _slow
from comity.intel.observables.wallets import decode_segwit, eip55

EXPECTED_TYPES = {
    "phone-number",
    "email-addr",
    "domain-name",
    "url",
    "ipv4-addr",
    "ipv6-addr",
    "bank-account",
    "upi-id",
    "cryptocurrency-wallet",
    "file-md5",
    "file-sha1",
    "file-sha256",
    "user-account",
    "person-name",
    "organization-name",
}


def value(type_: str, raw: str, country: str | None = None) -> str:
    observable = normalize(type_, raw, country=country)
    assert observable.valid, (raw, observable.reason)
    return observable.value


def invalid(type_: str, raw: str, country: str | None = None) -> Observable:
    observable = normalize(type_, raw, country=country)
    assert not observable.valid and observable.reason, observable
    assert observable.raw == raw
    return observable


# --- registry and API ---------------------------------------------------------------------


def test_one_normalizer_per_type_under_stix_and_opencti_names() -> None:
    assert set(TYPES) == EXPECTED_TYPES == set(REGISTRY.names())
    for name in TYPES:
        assert REGISTRY.get(name).summary, name


def test_a_second_normalizer_for_a_type_is_refused() -> None:
    registry = Registry()
    registry.register("phone-number")(lambda text, country: (text, None))
    with pytest.raises(DuplicateNormalizer) as caught:
        registry.register("phone-number")(lambda text, country: (text, None))
    assert caught.value.data["type"] == "phone-number"
    assert isinstance(caught.value, IntelError) and isinstance(caught.value, ComityError)
    with pytest.raises(DuplicateNormalizer):
        REGISTRY.register("url")(lambda text, country: (text, None))


def test_an_unknown_type_is_bad_input_naming_the_known_ones() -> None:
    with pytest.raises(UnknownObservableType) as caught:
        normalize("fax-number", "+1 212 555 0100")
    error = caught.value
    assert isinstance(error, InvalidInput) and isinstance(error, IntelError)
    assert error.exit_code == 2 and error.http_status == 400
    assert error.data["type"] == "fax-number" and "phone-number" in error.data["known"]


def test_an_unknown_country_is_bad_input() -> None:
    with pytest.raises(UnknownCountry) as caught:
        normalize("phone-number", "98765 43210", country="XX")
    assert caught.value.exit_code == 2 and caught.value.data["country"] == "XX"
    assert value("phone-number", "98765 43210", country=" in ") == "+919876543210"


def test_observable_is_frozen_slotted_and_keeps_the_raw_form() -> None:
    observable = normalize("email-addr", " Rahul.Verma[at]Example[.]com ")
    assert observable == Observable(
        "email-addr", "rahul.verma@example.com", " Rahul.Verma[at]Example[.]com ", True, None
    )
    with pytest.raises(AttributeError):
        observable.value = "x"  # type: ignore[misc]
    assert not hasattr(observable, "__dict__")
    assert observable.as_dict()["raw"] == " Rahul.Verma[at]Example[.]com "


def test_very_long_input_is_kept_not_parsed() -> None:
    raw = "9" * 100_000
    for type_ in TYPES:
        observable = normalize(type_, raw, country="IN")
        assert not observable.valid and observable.raw == raw


# --- phone numbers ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "country", "expected"),
    [
        ("+91 98765 43210", "IN", "+919876543210"),
        ("+91-98765-43210", None, "+919876543210"),
        ("098765 43210", "IN", "+919876543210"),
        ("9876543210", "IN", "+919876543210"),
        ("91 98765 43210", "IN", "+919876543210"),
        ("0091 98765 43210", "US", "+919876543210"),
        ("011 91 98765 43210", "US", "+919876543210"),
        ("91 98765 43210", "US", "+919876543210"),
        ("९८७६५ ४३२१०", "IN", "+919876543210"),
        ("+९१ ९८७६५-४३२१०", None, "+919876543210"),
        ("৯৮৭৬৫৪৩২১০", "IN", "+919876543210"),  # Bengali digits
        ("011 2345 6789", "IN", "+911123456789"),  # Delhi: 011 is the area code here
        ("(415) 555-2671", "US", "+14155552671"),
        ("1-415-555-2671", "US", "+14155552671"),
        ("415.555.2671", "US", "+14155552671"),
        ("+1 (202) 555-0143", "IN", "+12025550143"),
        ("tel:+1-202-555-0143", None, "+12025550143"),
        ("+44 20 7946 0958", "IN", "+442079460958"),
        ("00 44 20 7946 0958", "US", "+442079460958"),
        ("1-800-FLOWERS", "US", "+18003569377"),
        ("＋９１ ９８７６５ ４３２１０", None, "+919876543210"),  # full-width
        # A trunk prefix kept after the country code is dropped, as dialling does.
        ("+91 (0) 98201 34567", "IN", "+919820134567"),
        ("+91 098201 34567", "US", "+919820134567"),
        ("+91 (022) 2659 4410", "IN", "+912226594410"),
        ("0091 022 2659 4410", "US", "+912226594410"),
        ("+44 (0)7911 123456", "IN", "+447911123456"),
        ("+1 1 888 555 0177", "IN", "+18885550177"),
        # A note in brackets beside the number is not part of it.
        ("+91-98201 34567 (whatsapp)", "IN", "+919820134567"),
        ("98201 34567 [office]", "IN", "+919820134567"),
    ],
)
def test_phone_numbers_become_e164(raw: str, country: str | None, expected: str) -> None:
    assert value("phone-number", raw, country) == expected


@pytest.mark.parametrize(
    ("raw", "country", "expected"),
    [
        ("1930", "IN", "IN:1930"),
        ("१९३०", "IN", "IN:1930"),
        ("112", "IN", "IN:112"),
        ("1098", "IN", "IN:1098"),
        ("911", "US", "US:911"),
        ("988", "US", "US:988"),
        ("IN:1930", None, "IN:1930"),
        ("in:1930", "US", "IN:1930"),
    ],
)
def test_short_codes_stay_national(raw: str, country: str | None, expected: str) -> None:
    assert value("phone-number", raw, country) == expected


def test_invalid_phone_numbers_are_kept_and_flagged() -> None:
    assert invalid("phone-number", "12345", "IN").value == "IN:12345"
    assert invalid("phone-number", "1930").reason == "a short code needs the reporting country"
    no_country = invalid("phone-number", "98765 43210")
    assert no_country.value == "9876543210" and "country" in (no_country.reason or "")
    unassigned = invalid("phone-number", "+91 55555 55555")
    assert unassigned.value == "+915555555555"
    assert unassigned.reason == "not an assigned number in the numbering plan of +91"
    assert invalid("phone-number", "call me").value == "call me"
    assert invalid("phone-number", "+1 2", "US").value == "+12"


def test_the_fast_path_agrees_with_the_full_parse_on_examples() -> None:
    for raw, country in [
        ("+91 98765 43210", "IN"),
        ("098765 43210", "IN"),
        ("919876543210", "IN"),
        ("(415) 555-2671", "US"),
        ("1 415 555 2671", "US"),
        ("011 44 20 7946 0958", "US"),
        ("0044 20 7946 0958", "IN"),
    ]:
        fast = _fast(raw, country)
        assert fast is not None and (fast, None) == _slow(raw, country), raw


# --- domains, URLs, e-mail, IPs --------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("example.com", "example.com"),
        ("Login.SBI-kyc[.]co[.]in", "sbi-kyc.co.in"),
        ("www.sbi-kyc.co.in.", "sbi-kyc.co.in"),
        ("scam.github.io", "scam.github.io"),
        ("login.scam.github.io", "scam.github.io"),
        ("payload.evil.blogspot.com", "evil.blogspot.com"),
        ("paytm-refund(dot)duckdns(dot)org", "paytm-refund.duckdns.org"),
        ("https://pay.evil.example.org/x?y=1", "example.org"),
        ("evil\\.example\\.net", "example.net"),
        ("Bücher.DE", "xn--bcher-kva.de"),
        ("shop.xn--bcher-kva.de", "xn--bcher-kva.de"),
        ("Bücher.Example.de", "example.de"),
        ("भारत.भारत", "xn--h2brj9c.xn--h2brj9c"),
        ("pаypal.com", "xn--pypal-4ve.com"),  # Cyrillic а: a look-alike stays visible
        ("evil．example．com", "example.com"),  # full-width dots
    ],
)
def test_domains_are_registrable_domains_in_a_labels(raw: str, expected: str) -> None:
    assert value("domain-name", raw) == expected


def test_invalid_domains() -> None:
    assert invalid("domain-name", "github.io").reason == "a public suffix, not a registrable domain"
    assert invalid("domain-name", "co.in").value == "co.in"
    assert invalid("domain-name", "intranet.corp-local").reason == "unknown top-level domain"
    assert "label" in (invalid("domain-name", "bad_host.example.com").reason or "")
    assert invalid("domain-name", "203.0.113.7").reason == "an IP address, not a domain name"
    assert invalid("domain-name", "").value == ""


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("hxxps://Evil[.]Example[.]com:443/Login?a=1", "https://evil.example.com/Login?a=1"),
        ("HTTP://WWW.EXAMPLE.COM", "http://www.example.com/"),
        ("http://example.com:80/a", "http://example.com/a"),
        ("http://example.com:8080/a", "http://example.com:8080/a"),
        ("hXXp[:]//198.51.100[.]23/panel", "http://198.51.100.23/panel"),
        ("https://[2001:DB8::1]:8443/x", "https://[2001:db8::1]:8443/x"),
        ("www.sbi-kyc.in/login", "http://www.sbi-kyc.in/login"),
        ("hxxps[://]bit[.]ly/3abcD", "https://bit.ly/3abcD"),
        ("https://example.com/a%2fb%c3%a9", "https://example.com/a%2Fb%C3%A9"),
        ("https://example.com/पता", "https://example.com/%E0%A4%AA%E0%A4%A4%E0%A4%BE"),
        ("https://Bücher.de/", "https://xn--bcher-kva.de/"),
        ("https://user@example.com/", "https://user@example.com/"),
        ("https://example.com/#frag", "https://example.com/#frag"),
    ],
)
def test_urls_are_canonical(raw: str, expected: str) -> None:
    assert value("url", raw) == expected


def test_invalid_urls() -> None:
    assert invalid("url", "http://intranet/login").reason == "unknown top-level domain"
    assert invalid("url", "https://exa mple.com").reason == "a URL has no spaces"
    assert "port" in (invalid("url", "http://example.com:99999/").reason or "").lower()
    assert invalid("url", "http://").reason == "a URL needs a host"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Rahul.Verma@Gmail.com", "rahul.verma@gmail.com"),
        ("rahul.verma[at]gmail[.]com", "rahul.verma@gmail.com"),
        ("rahul.verma(at)gmail(dot)com", "rahul.verma@gmail.com"),
        ("rahul.verma [at] gmail [dot] com", "rahul.verma@gmail.com"),
        ("rahul.verma at gmail dot com", "rahul.verma@gmail.com"),
        ("mailto:Rahul.Verma@gmail.com", "rahul.verma@gmail.com"),
        ("Rahul Verma <rahul.verma@gmail.com>", "rahul.verma@gmail.com"),
        ("refunds+ssa@secure-helpdesk.co.in", "refunds+ssa@secure-helpdesk.co.in"),
        ("user@Bücher.de", "user@xn--bcher-kva.de"),
        ("rahul.verma＠gmail．com", "rahul.verma@gmail.com"),
    ],
)
def test_email_addresses_are_lowercase(raw: str, expected: str) -> None:
    assert value("email-addr", raw) == expected


def test_invalid_email_addresses() -> None:
    assert "UPI" in (invalid("email-addr", "rahul@okaxis").reason or "")
    assert invalid("email-addr", "no-at-sign.example.com").reason == "no @ in an e-mail address"
    assert invalid("email-addr", ".rahul@gmail.com").value == ".rahul@gmail.com"
    assert invalid("email-addr", "rahul@gmail.notatld").reason == "unknown top-level domain"
    assert invalid("email-addr", "a" * 65 + "@gmail.com").reason


@pytest.mark.parametrize(
    ("type_", "raw", "expected"),
    [
        ("ipv4-addr", "203.0.113.7", "203.0.113.7"),
        ("ipv4-addr", "203.0.113[.]7", "203.0.113.7"),
        ("ipv4-addr", "203[.]0[.]113[.]7", "203.0.113.7"),
        ("ipv4-addr", " 203.000.113.007 ", "203.0.113.7"),
        ("ipv4-addr", "203.0.113.7:8080", "203.0.113.7"),
        ("ipv4-addr", "198.51.100.0/24", "198.51.100.0/24"),
        ("ipv4-addr", "198.51.100.9/32", "198.51.100.9"),
        ("ipv6-addr", "2001:DB8:0:0:0:0:0:1", "2001:db8::1"),
        ("ipv6-addr", "[2001:db8::1]", "2001:db8::1"),
        ("ipv6-addr", "2001:0db8:85a3:0000:0000:8a2e:0370:7334", "2001:db8:85a3::8a2e:370:7334"),
        ("ipv6-addr", "2001:db8::/32", "2001:db8::/32"),
        ("ipv6-addr", "2001:db8::1/128", "2001:db8::1"),
    ],
)
def test_ip_addresses(type_: str, raw: str, expected: str) -> None:
    assert value(type_, raw) == expected


def test_invalid_ip_addresses() -> None:
    assert invalid("ipv4-addr", "999.1.1.1").value == "999.1.1.1"
    assert invalid("ipv4-addr", "1.2.3").reason == "not a valid IPv4 address"
    assert invalid("ipv6-addr", "203.0.113.7").reason == "an IPv4 address, not IPv6"
    assert invalid("ipv6-addr", "2001:db8:::1").reason == "not a valid IPv6 address"


# --- bank accounts and UPI -----------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        "SBIN0001234:12345678901",
        "12345678901 (SBIN0001234)",
        "A/c 12345678901 IFSC sbin0001234",
        "a/c no. 12345678901, IFSC - SBIN0001234",
        "Account No: 1234 5678 901 IFSC: SBIN0001234",
        "SBIN0001234 12345678901",
        "IFSC SBINO001234 A/c 12345678901",  # the letter O for the zero
        "खाता संख्या 12345678901 आईएफएससी SBIN0001234",
        "खाता संख्या १२३४५६७८९०१ आईएफएससी SBIN0001234",
    ],
)
def test_indian_accounts_are_ifsc_colon_account(raw: str) -> None:
    assert value("bank-account", raw) == "SBIN0001234:12345678901"


@pytest.mark.parametrize(
    "raw",
    [
        "GB29 NWBK 6016 1331 9268 19",
        "GB29NWBK60161331926819",
        "gb29 nwbk 6016 1331 9268 19",
        "IBAN: GB29-NWBK-6016-1331-9268-19",
    ],
)
def test_ibans_are_compact_upper_case(raw: str) -> None:
    assert value("bank-account", raw) == "GB29NWBK60161331926819"


def test_more_ibans_and_invalid_accounts() -> None:
    assert value("bank-account", "DE89 3704 0044 0532 0130 00") == "DE89370400440532013000"
    assert value("bank-account", "AE07 0331 2345 6789 0123 456") == "AE070331234567890123456"
    bad_check = invalid("bank-account", "GB28 NWBK 6016 1331 9268 19")
    assert bad_check.value == "GB28NWBK60161331926819" and "check digits" in (
        bad_check.reason or ""
    )
    assert "22 characters" in (invalid("bank-account", "GB29NWBK6016133192681").reason or "")
    lone = invalid("bank-account", "A/c no. 123456789012")
    assert lone.value == "123456789012" and "IFSC" in (lone.reason or "")
    assert invalid("bank-account", "IFSC SBIN0001234").value == "SBIN0001234"
    short = invalid("bank-account", "SBIN0001234 1234567")
    assert short.value == "SBIN0001234:1234567" and "9 to 18" in (short.reason or "")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Rahul.Verma@OKAXIS", "rahul.verma@okaxis"),
        ("9876543210@ybl", "9876543210@ybl"),
        (" fraud.kyc @ paytm ", "fraud.kyc@paytm"),
        ("fraud.kyc[at]okhdfcbank", "fraud.kyc@okhdfcbank"),
        ("upi://pay?pa=fraud.kyc@okaxis&pn=KYC%20Desk&am=1", "fraud.kyc@okaxis"),
    ],
)
def test_upi_ids_are_lowercase(raw: str, expected: str) -> None:
    assert value("upi-id", raw) == expected


def test_invalid_upi_ids() -> None:
    assert "e-mail" in (invalid("upi-id", "rahul@gmail.com").reason or "")
    assert invalid("upi-id", "rahul").reason == "a UPI ID is handle@psp"


# --- wallets -------------------------------------------------------------------------------

# BIP-350's test vectors for segwit addresses (valid, with their networks) and invalid ones.
BIP350_VALID = [
    ("bc", "BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4"),
    ("tb", "tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3q0sl5k7"),
    ("bc", "bc1pw508d6qejxtdg4y5r3zarvary0c5xw7kw508d6qejxtdg4y5r3zarvary0c5xw7kt5nd6y"),
    ("bc", "BC1SW50QGDZ25J"),
    ("bc", "bc1zw508d6qejxtdg4y5r3zarvaryvaxxpcs"),
    ("tb", "tb1qqqqqp399et2xygdj5xreqhjjvcmzhxw4aywxecjdzew6hylgvsesrxh6hy"),
    ("tb", "tb1pqqqqp399et2xygdj5xreqhjjvcmzhxw4aywxecjdzew6hylgvsesf3hn0c"),
    ("bc", "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0"),
]
BIP350_INVALID = [
    "tc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vq5zuyut",
    "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqh2y7hd",
    "tb1z0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqglt7rf",
    "BC1S0XLXVLHEMJA6C4DQV22UAPCTQUPFHLXM9H8Z3K2E72Q4K9HCZ7VQ54WELL",
    "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kemeawh",
    "tb1q0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vq24jc47",
    "bc1p38j9r5y49hruaue7wxjce0updqjuyyx0kh56v8s25huc6995vvpql3jow4",
    "BC130XLXVLHEMJA6C4DQV22UAPCTQUPFHLXM9H8Z3K2E72Q4K9HCZ7VQ7ZWS8R",
    "bc1pw5dgrnzv",
    "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7v8n0nx0muaewav253zgeav",
    "BC1QR508D6QEJXTDG4Y5R3ZARVARYV98GJ9P",
    "tb1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vq47Zagq",
    "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7v07qwwzcrf",
    "tb1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vpggkg4j",
    "bc1gmk9yu",
]


@pytest.mark.parametrize(("hrp", "address"), BIP350_VALID)
def test_bip350_valid_segwit_addresses(hrp: str, address: str) -> None:
    assert decode_segwit(hrp, address) is not None
    observable = normalize("cryptocurrency-wallet", address)
    if hrp == "bc":
        assert observable.value == "btc:" + address.lower() and observable.valid
    else:
        assert observable.reason == "a Bitcoin testnet address"


@pytest.mark.parametrize("address", BIP350_INVALID)
def test_bip350_invalid_segwit_addresses(address: str) -> None:
    assert decode_segwit("bc", address) is None and decode_segwit("tb", address) is None
    assert not normalize("cryptocurrency-wallet", address).valid


def test_taproot_addresses_validate() -> None:
    taproot = "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0"
    assert decode_segwit("bc", taproot) == (
        1,
        bytes.fromhex("79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798"),
    )
    assert value("cryptocurrency-wallet", taproot.upper()) == "btc:" + taproot


EIP55_VECTORS = [
    "0x52908400098527886E0F7030069857D2E4169EE7",
    "0x8617E340B3D01FA5F11F306F4090FD50E238070D",
    "0xde709f2102306220921060314715629080e2fb77",
    "0x27b1fdb04752bbc536007a920d24acb045561c26",
    "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
    "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
    "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
    "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
]


@pytest.mark.parametrize("address", EIP55_VECTORS)
def test_eip55_vectors(address: str) -> None:
    assert "0x" + eip55(address[2:]) == address
    assert value("cryptocurrency-wallet", address) == "eth:" + address
    assert value("cryptocurrency-wallet", address.lower()) == "eth:" + address
    assert value("cryptocurrency-wallet", "ethereum:" + address.lower()) == "eth:" + address


def test_wallets_in_other_forms_and_invalid_ones() -> None:
    assert (
        value("cryptocurrency-wallet", "bitcoin:1BoatSLRHtKNngkdXEeobR76b53LETtpyT?amount=0.1")
        == "btc:1BoatSLRHtKNngkdXEeobR76b53LETtpyT"
    )
    assert value("cryptocurrency-wallet", "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy").startswith("btc:3")
    tron = "TJRabPrwbZy45sbavfcjinPJC18kjpRTv8"
    assert value("cryptocurrency-wallet", f"tron:{tron}") == f"trx:{tron}"
    # A Tron address may begin like a bech32 testnet one ("TB1…"): its checksum decides.
    tb1 = "TB1JFrgabnjSud3Q2ZuwkLymYbSv1vCRpS"
    assert value("cryptocurrency-wallet", tb1) == f"trx:{tb1}"
    mixed_case = "bc1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4"
    assert "case" in (invalid("cryptocurrency-wallet", mixed_case).reason or "")
    mixed = invalid("cryptocurrency-wallet", "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD")
    assert "EIP-55" in (mixed.reason or "")
    assert mixed.value == "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD"
    assert "checksum" in (
        invalid("cryptocurrency-wallet", "1BoatSLRHtKNngkdXEeobR76b53LETtpyU").reason or ""
    )
    assert "checksum" in (
        invalid("cryptocurrency-wallet", "TJRabPrwbZy45sbavfcjinPJC18kjpRTv9").reason or ""
    )
    assert invalid("cryptocurrency-wallet", f"eth:{tron}").value == f"eth:{tron}"
    assert invalid("cryptocurrency-wallet", "hello").reason


def test_keccak256_is_ethereums_and_the_permutation_is_sha3s() -> None:
    assert keccak256(b"").hex() == (
        "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"
    )
    for size in (0, 1, 135, 136, 137, 272, 1000):
        data = os.urandom(size)
        assert sha3_256(data) == hashlib.sha3_256(data).digest()


# --- hashes, handles, names ------------------------------------------------------------------


def test_hashes_are_lowercase_hex_of_their_length() -> None:
    md5 = "5d41402abc4b2a76b9719d911017c592"
    assert value("file-md5", md5.upper()) == md5
    assert value("file-md5", f"MD5: {md5}") == md5
    sha1 = hashlib.sha1(b"x").hexdigest()
    assert value("file-sha1", f"SHA-1={sha1.upper()}") == sha1
    sha256 = hashlib.sha256(b"x").hexdigest()
    spaced = " ".join(sha256[i : i + 8] for i in range(0, 64, 8)).upper()
    assert value("file-sha256", f"sha256 {spaced}") == sha256
    assert invalid("file-md5", "abc").reason == "an MD5 hash has 32 hexadecimal digits, not 3"
    assert invalid("file-sha256", md5).value == md5
    assert invalid("file-sha1", "z" * 40).reason == "an SHA-1 hash is hexadecimal"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("t.me/CBI_Officer_Desk", "telegram:cbi_officer_desk"),
        ("https://t.me/CBI_Officer_Desk", "telegram:cbi_officer_desk"),
        ("telegram:CBI_Officer_Desk", "telegram:cbi_officer_desk"),
        ("https://www.instagram.com/Fake.Support_Desk/?hl=en", "instagram:fake.support_desk"),
        ("x.com/RBI_Help_Desk", "twitter:rbi_help_desk"),
        ("https://twitter.com/RBI_Help_Desk/status/1", "twitter:rbi_help_desk"),
        ("hxxps://www[.]facebook[.]com/sbi.kyc.help", "facebook:sbi.kyc.help"),
        ("https://m.facebook.com/profile.php?id=100012345678", "facebook:100012345678"),
        ("https://www.youtube.com/@CryptoDoubler", "youtube:cryptodoubler"),
        ("https://www.tiktok.com/@loan.app.help", "tiktok:loan.app.help"),
        ("https://www.linkedin.com/in/fake-recruiter-hr", "linkedin:fake-recruiter-hr"),
        ("@CyberDost", "@cyberdost"),
        ("CyberDost", "@cyberdost"),
    ],
)
def test_handles(raw: str, expected: str) -> None:
    assert value("user-account", raw) == expected


def test_invalid_handles() -> None:
    assert invalid("user-account", "https://example.com/someone").reason == (
        "not a profile URL of a known platform"
    )
    assert invalid("user-account", "https://t.me/joinchat/AbCdEf").reason
    assert invalid("user-account", "t.me/abc").reason == "not a valid telegram handle"
    assert invalid("user-account", "twitter:this_is_far_too_long_for_x").value.startswith(
        "twitter:"
    )
    assert invalid("user-account", "@").reason == "not a valid handle"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Shri  RAMESH Kumar.", "ramesh kumar"),
        ("Mr. Ramesh Kumar", "ramesh kumar"),
        ("Dr Ramesh Kumar", "ramesh kumar"),
        ("ramesh   kumar", "ramesh kumar"),
        ("Smt. Sunita Devi", "sunita devi"),
        ("श्रीमती सुनीता देवी", "सुनीता देवी"),
        ("श्री राजेश कुमार शर्मा", "राजेश कुमार शर्मा"),
        ("डॉ. राजेश कुमार", "राजेश कुमार"),
        ("ＲＡＭＥＳＨ ＫＵＭＡＲ", "ramesh kumar"),
        ("José  García", "josé garcía"),
        ("O'Brien, Mary", "o'brien mary"),
    ],
)
def test_person_names(raw: str, expected: str) -> None:
    assert value("person-name", raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "Sai Infotech Pvt. Ltd.",
        "M/s. Sai Infotech Private Limited",
        "SAI INFOTECH PVT LTD",
        "m/s sai infotech pvt ltd",
        "Sai  Infotech Pvt Ltd",
    ],
)
def test_organization_names(raw: str) -> None:
    assert value("organization-name", raw) == "sai infotech private limited"


def test_more_organization_names_and_invalid_names() -> None:
    assert value("organization-name", "Acme, Inc.") == "acme inc"
    assert value("organization-name", "Acme Incorporated") == "acme inc"
    assert value("organization-name", "Quantum L.L.C.") == "quantum llc"
    assert value("organization-name", "क्वांटम सॉल्यूशंस प्राइवेट लिमिटेड") == (
        "क्वांटम सॉल्यूशंस प्राइवेट लिमिटेड"
    )
    assert invalid("person-name", "12345").reason == "a name has letters"
    assert invalid("organization-name", "...").value == ""


@pytest.mark.parametrize(
    "module",
    [
        "comity.intel.observables.model",
        "comity.intel.observables.api",
        "comity.intel.observables.extract",
    ],
)
def test_the_docstring_examples_hold(module: str) -> None:
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(module))
    assert result.attempted > 0 and result.failed == 0


def test_an_address_at_a_public_suffix_is_kept_and_flagged() -> None:
    """Found by Hypothesis: ``ac.in`` is a public suffix, so ``0@ac.in`` has no registrant."""
    observable = normalize("email-addr", "0@AC.IN")
    assert (observable.value, observable.valid) == ("0@ac.in", False)
    assert observable.reason and "public suffix" in observable.reason
