"""Property tests (Hypothesis) for every normalizer.

For each type: formatting variants of one value normalize to the same canonical value; distinct
values stay distinct; and normalizing a canonical value gives it back (idempotence).
"""

from __future__ import annotations

import hashlib
import ipaddress

import base58
import phonenumbers
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from comity.intel.observables import TYPES, normalize
from comity.intel.observables.finance import IBAN_LENGTHS
from comity.intel.observables.handles import HANDLE_SYNTAX
from comity.intel.observables.names import HONORIFICS
from comity.intel.observables.phone import _fast, _slow
from comity.intel.observables.text import to_ascii_digits
from comity.intel.observables.wallets import eip55, encode_segwit

SETTINGS = settings(max_examples=60, deadline=None)
DEVANAGARI = str.maketrans("0123456789", "०१२३४५६७८९")
BENGALI = str.maketrans("0123456789", "০১২৩৪৫৬৭৮৯")


def canonical(type_: str, raw: str, country: str | None = None) -> str:
    observable = normalize(type_, raw, country=country)
    assert observable.valid, (type_, raw, observable.reason)
    again = normalize(type_, observable.value, country=country)
    assert again.valid and again.value == observable.value, (observable, again)  # idempotent
    return observable.value


def all_equal(type_: str, forms: list[str], country: str | None = None) -> str:
    values = {form: canonical(type_, form, country) for form in forms}
    assert len(set(values.values())) == 1, values
    return next(iter(values.values()))


def test_every_type_has_property_tests_here() -> None:
    tested = {
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
    assert tested == set(TYPES)


# --- phone numbers -------------------------------------------------------------------------

digits = st.text("0123456789", min_size=9, max_size=9)


@st.composite
def indian_mobiles(draw: st.DrawFn) -> str:
    number = draw(st.sampled_from("6789")) + draw(digits)
    assume(phonenumbers.is_valid_number(phonenumbers.parse("+91" + number)))
    return number


@st.composite
def us_numbers(draw: st.DrawFn) -> str:
    area = draw(st.sampled_from(["212", "415", "202", "646", "312", "713", "305", "617"]))
    number = area + draw(st.sampled_from("23456789")) + draw(digits)[:6]
    assume(phonenumbers.is_valid_number(phonenumbers.parse("+1" + number)))
    return number


def indian_forms(n: str) -> list[str]:
    return [
        f"+91 {n[:5]} {n[5:]}",
        f"+91-{n}",
        f"0{n}",
        n,
        f"{n[:5]}-{n[5:]}",
        f"0091 {n[:5]} {n[5:]}",
        f"+91 ({n[:5]}) {n[5:]}",
        n.translate(DEVANAGARI),
        f"+९१ {n.translate(DEVANAGARI)}",
        n.translate(BENGALI),
        f"91 {n[:5]} {n[5:]}",
        f"+91.{n[:3]}.{n[3:6]}.{n[6:]}",
    ]


def us_forms(n: str) -> list[str]:
    return [
        f"({n[:3]}) {n[3:6]}-{n[6:]}",
        f"{n[:3]}-{n[3:6]}-{n[6:]}",
        f"{n[:3]}.{n[3:6]}.{n[6:]}",
        f"+1 {n[:3]} {n[3:6]} {n[6:]}",
        f"1-{n[:3]}-{n[3:6]}-{n[6:]}",
        f"011 1 {n}",
        f"+1{n}",
        n,
        f"tel:+1-{n[:3]}-{n[3:6]}-{n[6:]}",
    ]


@SETTINGS
@given(indian_mobiles(), st.sampled_from(["IN", "US", "GB"]))
def test_indian_numbers_written_any_way_are_one_value(number: str, reporter: str) -> None:
    forms = indian_forms(number)
    assert all_equal("phone-number", forms, "IN") == "+91" + number
    international = [f for f in forms if to_ascii_digits(f).startswith(("+", "00"))]
    assert all_equal("phone-number", international, reporter) == "+91" + number


@SETTINGS
@given(us_numbers(), st.sampled_from(["US", "CA", "IN"]))
def test_us_numbers_written_any_way_are_one_value(number: str, reporter: str) -> None:
    forms = us_forms(number)
    assert all_equal("phone-number", forms, "US") == "+1" + number
    international = [f for f in forms if "+" in f]
    assert all_equal("phone-number", international, reporter) == "+1" + number


@SETTINGS
@given(indian_mobiles(), indian_mobiles())
def test_distinct_phone_numbers_stay_distinct(a: str, b: str) -> None:
    assume(a != b)
    assert canonical("phone-number", a, "IN") != canonical("phone-number", b, "IN")


@SETTINGS
@given(
    st.text("0123456789 +-.()", min_size=1, max_size=20)
    | indian_mobiles().map(lambda n: indian_forms(n)[2])
    | us_numbers().map(lambda n: us_forms(n)[0]),
    st.sampled_from(["IN", "US", "GB", None]),
)
def test_the_phone_fast_path_agrees_with_the_full_parse(raw: str, country: str | None) -> None:
    fast = _fast(raw.strip(), country)
    if fast is not None:
        assert (fast, None) == _slow(raw.strip(), country)


@SETTINGS
@given(st.text(max_size=40), st.sampled_from(["IN", "US", None]))
def test_any_text_normalizes_without_error_and_idempotently(raw: str, country: str | None) -> None:
    for type_ in TYPES:
        first = normalize(type_, raw, country=country)
        assert first.raw == raw and (first.valid == (first.reason is None))
        if first.valid:
            assert normalize(type_, first.value, country=country).value == first.value


# --- domains, URLs, e-mail ---------------------------------------------------------------------

label = st.from_regex(r"[a-z][a-z0-9]{0,10}(-[a-z0-9]{1,6})?", fullmatch=True)
suffix = st.sampled_from(["com", "in", "co.in", "net", "org", "gov.in", "xyz", "top", "online"])
private_suffix = st.sampled_from(["github.io", "duckdns.org", "blogspot.com", "web.app"])


def defang(host: str) -> list[str]:
    return [
        host,
        host.upper(),
        host + ".",
        host.replace(".", "[.]"),
        host.replace(".", "(.)"),
        host.replace(".", "(dot)"),
        host.replace(".", " [dot] "),
        host.replace(".", "{.}"),
        host.replace(".", "\\."),
    ]


@SETTINGS
@given(label, suffix | private_suffix, st.lists(label, max_size=2))
def test_domain_variants_are_one_registrable_domain(
    name: str, tld: str, subdomains: list[str]
) -> None:
    registrable = f"{name}.{tld}"
    assume(normalize("domain-name", registrable).valid)  # not a public suffix itself (us.com)
    host = ".".join([*subdomains, registrable])
    forms = [*defang(host), f"https://{host}/login", f"www.{registrable}", f"{host}:8080"]
    assert all_equal("domain-name", forms) == registrable


@SETTINGS
@given(label, label, suffix)
def test_distinct_domains_stay_distinct(a: str, b: str, tld: str) -> None:
    assume(a != b)
    # Some names are public suffixes themselves (us.com, in.net): not registrable domains.
    assume(normalize("domain-name", f"{a}.{tld}").valid)
    assume(normalize("domain-name", f"{b}.{tld}").valid)
    assert canonical("domain-name", f"{a}.{tld}") != canonical("domain-name", f"{b}.{tld}")


path = st.from_regex(r"(/[A-Za-z0-9_~-]{1,8}){0,3}", fullmatch=True)
query = st.from_regex(r"(\?[a-z]{1,5}=[A-Za-z0-9]{1,5})?", fullmatch=True)


@SETTINGS
@given(st.sampled_from(["http", "https"]), label, suffix, path, query)
def test_url_variants_are_one_url(scheme: str, name: str, tld: str, p: str, q: str) -> None:
    host = f"{name}.{tld}"
    port = 80 if scheme == "http" else 443
    forms = [
        f"{scheme}://{host}{p}{q}",
        f"{scheme.upper()}://{host.upper()}{p}{q}",
        f"{scheme}://{host}:{port}{p}{q}",
        f"{scheme.replace('tt', 'xx')}://{host.replace('.', '[.]')}{p}{q}",
        f"{scheme.replace('tt', 'XX')}[:]//{host}{p}{q}",
        f"{scheme}://{host}.{p}{q}",
        f" {scheme}://{host}{p}{q} ",
    ]
    value = all_equal("url", forms)
    assert value.startswith(f"{scheme}://{host}/")


@SETTINGS
@given(label, suffix, path, path)
def test_distinct_urls_stay_distinct(name: str, tld: str, a: str, b: str) -> None:
    assume(a != b and a.lower() != b.lower())
    assert canonical("url", f"https://{name}.{tld}{a}") != canonical(
        "url", f"https://{name}.{tld}{b}"
    )


local = st.from_regex(r"[a-z0-9]{1,8}([._+-][a-z0-9]{1,8}){0,2}", fullmatch=True)


@SETTINGS
@given(local, label, suffix)
def test_email_variants_are_one_address(user: str, name: str, tld: str) -> None:
    assume(normalize("domain-name", f"{name}.{tld}").valid)  # not a public suffix (ac.in)
    address = f"{user}@{name}.{tld}"
    forms = [
        address,
        address.upper(),
        address.replace("@", "[at]").replace(".", "[.]"),
        address.replace("@", "(at)").replace(".", "(dot)"),
        address.replace("@", "[@]"),
        address.replace("@", " [at] "),
        f"mailto:{address}",
        f"Someone <{address}>",
        f"  {address} ",
    ]
    assert all_equal("email-addr", forms) == address


@SETTINGS
@given(local, local, label, suffix)
def test_distinct_emails_stay_distinct(a: str, b: str, name: str, tld: str) -> None:
    assume(a != b)
    assume(normalize("domain-name", f"{name}.{tld}").valid)
    assert canonical("email-addr", f"{a}@{name}.{tld}") != canonical(
        "email-addr", f"{b}@{name}.{tld}"
    )


# --- IP addresses ------------------------------------------------------------------------------


@SETTINGS
@given(st.integers(0, 2**32 - 1))
def test_ipv4_variants_are_one_address(n: int) -> None:
    address = str(ipaddress.IPv4Address(n))
    padded = ".".join(part.zfill(3) for part in address.split("."))
    forms = [address, address.replace(".", "[.]"), f" {address} ", padded, f"{address}:443"]
    forms.append(f"{address}/32")
    assert all_equal("ipv4-addr", forms) == address


@SETTINGS
@given(st.integers(0, 2**32 - 1), st.integers(0, 2**32 - 1))
def test_distinct_ipv4_stay_distinct(a: int, b: int) -> None:
    assume(a != b)
    left = canonical("ipv4-addr", str(ipaddress.IPv4Address(a)))
    assert left != canonical("ipv4-addr", str(ipaddress.IPv4Address(b)))


@SETTINGS
@given(st.integers(0, 2**128 - 1))
def test_ipv6_variants_are_one_address(n: int) -> None:
    address = ipaddress.IPv6Address(n)
    forms = [
        address.exploded,
        address.exploded.upper(),
        address.compressed,
        f"[{address.compressed}]",
        f"{address.compressed}/128",
    ]
    assert all_equal("ipv6-addr", forms) == address.compressed


@SETTINGS
@given(st.integers(0, 2**128 - 1), st.integers(0, 2**128 - 1))
def test_distinct_ipv6_stay_distinct(a: int, b: int) -> None:
    assume(a != b)
    left = canonical("ipv6-addr", ipaddress.IPv6Address(a).exploded)
    assert left != canonical("ipv6-addr", ipaddress.IPv6Address(b).exploded)


# --- bank accounts, UPI ------------------------------------------------------------------------

ifsc = st.builds(
    lambda bank, branch: f"{bank}0{branch}",
    st.sampled_from(["SBIN", "HDFC", "ICIC", "PUNB", "UTIB", "BARB", "CNRB", "KKBK", "YESB"]),
    st.from_regex(r"[0-9]{6}|[0-9A-Z]{6}", fullmatch=True),
)
account = st.from_regex(r"[0-9]{9,18}", fullmatch=True)


@SETTINGS
@given(ifsc, account)
def test_indian_account_variants_are_one_value(code: str, number: str) -> None:
    spaced = " ".join(number[i : i + 4] for i in range(0, len(number), 4))
    forms = [
        f"{code}:{number}",
        f"{number} ({code})",
        f"A/c {number} IFSC {code.lower()}",
        f"a/c no. {number}, IFSC - {code}",
        f"Account No: {spaced} IFSC: {code}",
        f"{code} {number}",
        f"IFSC {code} A/c {number}",
        f"खाता संख्या {number.translate(DEVANAGARI)} आईएफएससी {code}",
    ]
    assert all_equal("bank-account", forms) == f"{code}:{number}"


def _iban(country: str, bban: str) -> str:
    moved = bban + country + "00"
    check = 98 - int("".join(str(int(ch, 36)) for ch in moved)) % 97
    return f"{country}{check:02d}{bban}"


@st.composite
def ibans(draw: st.DrawFn) -> str:
    country = draw(st.sampled_from(sorted(IBAN_LENGTHS)))
    size = IBAN_LENGTHS[country] - 4
    bban = draw(st.text("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=size, max_size=size))
    return _iban(country, bban)


@SETTINGS
@given(ibans())
def test_iban_variants_are_one_value(iban: str) -> None:
    spaced = " ".join(iban[i : i + 4] for i in range(0, len(iban), 4))
    forms = [
        iban,
        spaced,
        spaced.lower(),
        f"IBAN: {spaced}",
        iban.replace(spaced[:4], "")[:0] + iban,
    ]
    assert all_equal("bank-account", forms) == iban


@SETTINGS
@given(ibans(), st.integers(0, 100), st.integers(1, 9))
def test_a_changed_iban_digit_is_caught(iban: str, where: int, shift: int) -> None:
    # ISO 7064 mod 97-10 catches every single substituted digit (not every letter for digit).
    digits = [i for i in range(2, len(iban)) if iban[i].isdigit()]
    position = digits[where % len(digits)]
    changed_digit = str((int(iban[position]) + shift) % 10)
    changed = iban[:position] + changed_digit + iban[position + 1 :]
    assert not normalize("bank-account", changed).valid


@SETTINGS
@given(ifsc, account, account)
def test_distinct_accounts_stay_distinct(code: str, a: str, b: str) -> None:
    assume(a != b)
    assert canonical("bank-account", f"{a} ({code})") != canonical("bank-account", f"{b} ({code})")


handle_part = st.from_regex(r"[a-z0-9]{1,10}([._-][a-z0-9]{1,6})?", fullmatch=True)
psp = st.sampled_from(["okaxis", "ybl", "paytm", "oksbi", "ibl", "okhdfcbank", "upi", "axl"])


@SETTINGS
@given(handle_part, psp)
def test_upi_variants_are_one_value(handle: str, provider: str) -> None:
    upi = f"{handle}@{provider}"
    forms = [upi, upi.upper(), f" {upi} ", upi.replace("@", " @ "), f"upi://pay?pa={upi}&am=10"]
    assert all_equal("upi-id", forms) == upi


@SETTINGS
@given(handle_part, handle_part, psp)
def test_distinct_upi_ids_stay_distinct(a: str, b: str, provider: str) -> None:
    assume(a != b)
    assert canonical("upi-id", f"{a}@{provider}") != canonical("upi-id", f"{b}@{provider}")


# --- wallets -----------------------------------------------------------------------------------


@SETTINGS
@given(st.binary(min_size=20, max_size=20))
def test_ethereum_variants_are_one_value(key: bytes) -> None:
    body = key.hex()
    checksummed = "0x" + eip55(body)
    forms = [
        f"0x{body}",
        f"0x{body.upper()}",
        checksummed,
        f"eth:{checksummed}",
        f"ethereum:0x{body}",
    ]
    assert all_equal("cryptocurrency-wallet", forms) == f"eth:{checksummed}"


@SETTINGS
@given(
    st.sampled_from([(0, 20), (0, 32), (1, 32), (2, 16), (16, 40)]),
    st.binary(min_size=40, max_size=40),
)
def test_segwit_variants_are_one_value(kind: tuple[int, int], data: bytes) -> None:
    version, size = kind
    address = encode_segwit("bc", version, data[:size])
    forms = [address, address.upper(), f"bitcoin:{address}", f"btc:{address}", f" {address} "]
    assert all_equal("cryptocurrency-wallet", forms) == f"btc:{address}"


@SETTINGS
@given(st.sampled_from([0x00, 0x05, 0x41]), st.binary(min_size=20, max_size=20))
def test_base58check_variants_are_one_value(version: int, key: bytes) -> None:
    address = base58.b58encode_check(bytes([version]) + key).decode()
    chain, long_name = ("trx", "tron") if version == 0x41 else ("btc", "bitcoin")
    forms = [address, f" {address}", f"{chain}:{address}", f"{long_name}:{address}"]
    assert all_equal("cryptocurrency-wallet", forms) == f"{chain}:{address}"


@SETTINGS
@given(st.binary(min_size=20, max_size=20), st.binary(min_size=20, max_size=20))
def test_distinct_wallets_stay_distinct(a: bytes, b: bytes) -> None:
    assume(a != b)
    assert canonical("cryptocurrency-wallet", "0x" + a.hex()) != canonical(
        "cryptocurrency-wallet", "0x" + b.hex()
    )
    left = encode_segwit("bc", 0, a)
    assert canonical("cryptocurrency-wallet", left) != canonical(
        "cryptocurrency-wallet", encode_segwit("bc", 0, b)
    )


@SETTINGS
@given(st.binary(min_size=20, max_size=20), st.integers(2, 41))
def test_a_changed_segwit_character_is_caught(key: bytes, where: int) -> None:
    address = encode_segwit("bc", 0, key)
    replacement = "q" if address[where] != "q" else "p"
    assert not normalize(
        "cryptocurrency-wallet", address[:where] + replacement + address[where + 1 :]
    ).valid


# --- hashes ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("type_", "algorithm", "label"),
    [
        ("file-md5", "md5", "MD5"),
        ("file-sha1", "sha1", "SHA-1"),
        ("file-sha256", "sha256", "SHA256"),
    ],
)
@SETTINGS
@given(data=st.binary(max_size=64), other=st.binary(max_size=64))
def test_hash_variants_are_one_value(
    type_: str, algorithm: str, label: str, data: bytes, other: bytes
) -> None:
    digest = hashlib.new(algorithm, data).hexdigest()
    forms = [digest, digest.upper(), f"{label}: {digest}", f"{label.lower()}={digest.upper()}"]
    assert all_equal(type_, forms) == digest
    if data != other:
        assert canonical(type_, hashlib.new(algorithm, other).hexdigest()) != digest


# --- handles -----------------------------------------------------------------------------------

telegram = st.from_regex(r"[a-z][a-z0-9_]{4,20}", fullmatch=True)
instagram = st.from_regex(r"[a-z0-9_]{1,10}(\.[a-z0-9_]{1,10})?", fullmatch=True)
twitter = st.from_regex(r"[a-z0-9_]{1,15}", fullmatch=True)


@SETTINGS
@given(telegram)
def test_telegram_variants_are_one_value(handle: str) -> None:
    mixed = handle.title()
    forms = [
        f"t.me/{handle}",
        f"https://t.me/{mixed}",
        f"telegram.me/{handle}",
        f"telegram:@{mixed}",
    ]
    assert all_equal("user-account", forms) == f"telegram:{handle}"


@SETTINGS
@given(instagram)
def test_instagram_variants_are_one_value(handle: str) -> None:
    assume(
        handle
        not in ("p", "reel", "reels", "explore", "stories", "accounts", "tv", "direct", "about")
    )
    forms = [
        f"instagram.com/{handle}",
        f"https://www.instagram.com/{handle.upper()}/?hl=en",
        f"hxxps://www[.]instagram[.]com/{handle}",
        f"instagram:{handle}",
    ]
    assert all_equal("user-account", forms) == f"instagram:{handle}"


@SETTINGS
@given(twitter)
def test_twitter_and_x_are_one_platform(handle: str) -> None:
    assume(
        handle
        not in ("i", "home", "search", "share", "intent", "hashtag", "explore", "settings", "login")
    )
    forms = [f"x.com/{handle}", f"https://twitter.com/{handle.upper()}", f"twitter:@{handle}"]
    assert all_equal("user-account", forms) == f"twitter:{handle}"


@SETTINGS
@given(twitter, twitter)
def test_distinct_handles_stay_distinct(a: str, b: str) -> None:
    assume(a != b)
    assert canonical("user-account", f"@{a}") != canonical("user-account", f"@{b}")
    assert canonical("user-account", f"@{a}") == canonical("user-account", f"@{a.upper()}")


def test_handle_syntax_covers_every_platform() -> None:
    assert {"telegram", "instagram", "twitter", "facebook"} <= set(HANDLE_SYNTAX)


# --- names -------------------------------------------------------------------------------------

latin_word = st.from_regex(r"[A-Za-z]{2,10}", fullmatch=True)
hindi_word = st.sampled_from(
    ["राजेश", "कुमार", "शर्मा", "सुनीता", "देवी", "अमित", "गुप्ता", "प्रिया", "यादव"]
)
name_words = st.lists(latin_word, min_size=1, max_size=4) | st.lists(
    hindi_word, min_size=1, max_size=3
)


@SETTINGS
@given(name_words, st.sampled_from(["Mr.", "Mrs", "Shri", "Smt.", "Dr.", "श्री", "श्रीमती", "डॉ."]))
def test_person_name_variants_are_one_value(words: list[str], title: str) -> None:
    assume(words[0].casefold() not in HONORIFICS)
    name = " ".join(words)
    forms = [name, name.upper(), name.lower(), f"{title} {name}", "  ".join(words), f" {name}. "]
    assert all_equal("person-name", forms) == " ".join(w.casefold() for w in words)


@SETTINGS
@given(name_words, name_words)
def test_distinct_person_names_stay_distinct(a: list[str], b: list[str]) -> None:
    assume(a[0].casefold() not in HONORIFICS and b[0].casefold() not in HONORIFICS)
    assume([w.casefold() for w in a] != [w.casefold() for w in b])
    assert canonical("person-name", " ".join(a)) != canonical("person-name", " ".join(b))


@SETTINGS
@given(st.lists(latin_word, min_size=1, max_size=3))
def test_organization_name_variants_are_one_value(words: list[str]) -> None:
    assume(
        all(
            w.lower() not in ("pvt", "private", "ltd", "limited", "co", "inc", "corp", "ms")
            for w in words
        )
    )
    name = " ".join(words)
    forms = [
        f"{name} Pvt. Ltd.",
        f"{name} Private Limited",
        f"{name.upper()} PVT LTD",
        f"M/s {name} Pvt Ltd",
        f"M/s. {name.lower()} private limited.",
    ]
    expected = " ".join(w.casefold() for w in words) + " private limited"
    assert all_equal("organization-name", forms) == expected


@SETTINGS
@given(st.lists(latin_word, min_size=1, max_size=3), st.lists(latin_word, min_size=1, max_size=3))
def test_distinct_organizations_stay_distinct(a: list[str], b: list[str]) -> None:
    assume([w.casefold() for w in a] != [w.casefold() for w in b])
    left = canonical("organization-name", " ".join(a) + " LLP")
    assert left != canonical("organization-name", " ".join(b) + " LLP")
