"""``extract``: every observable in a free text, with character offsets into that text.

Complaints, advisories and news in English or Hindi (Devanagari letters and digits), defanged
or not. Each finder proposes candidate spans; where spans overlap, the more specific type wins
(a URL over the domain inside it, an e-mail over its domain, a UPI ID over the phone number
that is its handle, a bank account over its digits) and among equals the longer span. Two
kinds of observable are reported *inside* a URL besides the URL itself:

* the URL's host, as ``domain-name`` (or ``ipv4-addr`` / ``ipv6-addr``), with the host's own
  offsets — the same scam domain links complaints that quote different URLs on it;
* for a profile URL of a known platform (``t.me/…``, ``instagram.com/…``), the
  ``user-account``, with the offsets of the whole URL.

An e-mail address's domain is not reported separately, nor a phone number inside a UPI ID.

Only what looks like the type is proposed, so extraction reports what normalizes valid plus
the invalid values whose shape is unmistakable (an ``0x…`` address failing its EIP-55
checksum, an IBAN failing its check digits, a defanged URL on an unknown top-level domain),
flagged ``valid=False``. Digit runs that are no valid phone number (dates, amounts,
transaction references) are not reported.

Every pattern here is linear-time: each match starts only where the previous character cannot
continue the token (a look-behind), repetitions are bounded or possessive, and no pattern ends
in a condition that makes the engine retry a long run. ``text[f.start:f.end] == f.raw`` for
every result ``f``::

    >>> text = "UPI fraud.kyc@okaxis, site hxxps://sbi-kyc[.]in/login"
    >>> [(f.type, f.value) for f in extract(text)]
    [('upi-id', 'fraud.kyc@okaxis'), ('url', 'https://sbi-kyc.in/login'), \
('domain-name', 'sbi-kyc.in')]
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass

from comity.intel.observables.api import check_country, normalize
from comity.intel.observables.handles import handle_from_url, platform_of_host
from comity.intel.observables.model import Found, Observable
from comity.intel.observables.net import host_to_ascii, public_suffixes
from comity.intel.observables.text import refang_with_offsets

# Letters a host-name label may hold in free text: ASCII, Latin, Greek and Cyrillic (look-alike
# domains), Devanagari without the danda and double danda, which end sentences.
_L = r"0-9A-Za-z\u00C0-\u024F\u0370-\u03FF\u0400-\u04FF\u0900-\u0963\u0966-\u097F"
_URL_CHARS = r"[^\s<>\"'`{}|\\^\u0900-\u097F]"

URL_RE = re.compile(
    rf"(?<![{_L}])(?i:https?|ftps?|sftp|wss?)://{_URL_CHARS}{{1,4096}}",
)
DOTTED_RE = re.compile(rf"(?<![{_L}.@_-])[{_L}_-]++(?:\.[{_L}_-]++)++")
EMAIL_RE = re.compile(
    r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]{1,64}"  # the local part (ASCII)
    rf"@[{_L}-]++(?:\.[{_L}-]++)*+"
)
IPV4_RE = re.compile(r"(?<![\w.])(?:[0-9]{1,3}\.){3}[0-9]{1,3}(?:/[0-9]{1,2})?(?![\w]|\.[0-9])")
IPV6_RE = re.compile(
    r"(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:(?:[0-9]{1,3}\.){3}[0-9]{1,3}|[0-9A-Fa-f]{0,4})"
    r"(?:/[0-9]{1,3})?(?![\w:])"
)
PHONE_RE = re.compile(r"(?<![\w+.\-/@:])(?:\+|\(\+?)?\d[\d \-.()\u00a0]{5,24}\d(?!\d)")
SHORT_RE = re.compile(
    r"(?<![\w+.\-/@:₹$€£])(?<!\d,)(?<!\d, )(?<!(?i:rs) )(?<!(?i:rs)\.)(?<!(?i:rs)\. )"
    r"\d{3,6}(?!\w|[.,]\d)"
)
"""A helpline-length number: not a group of a larger amount (``1,100``), nor a sum of money
(``Rs. 500``, ``₹100``, ``$911``)."""
SHORT_CUE = re.compile(
    r"(?i:call|dial|helpline|hotline|toll[- ]free|phone|tel|number|no\.|ring)"
    r"|कॉल|डायल|हेल्पलाइन|नंबर|नम्बर|फोन|फ़ोन|संपर्क"
)
IFSC_RE = re.compile(r"(?<![A-Za-z0-9])[A-Za-z]{4}[0Oo][A-Za-z0-9]{6}(?![A-Za-z0-9])")
ACCOUNT_RE = re.compile(
    # not the tail of a longer number written in groups ("+91 98765 43210")
    r"(?<![0-9+])(?<![0-9+][ -])\d(?:[ -]?\d){8,17}(?![0-9])"
)
ACCOUNT_CUE_RE = re.compile(
    r"(?<![A-Za-z])(?:(?i:a/c|acct|account)|खाता)"
    r"(?:\s*+(?:(?i:no|number|num)|संख्या|नंबर|क्रमांक))?\.?+\s*+[:#-]?+\s*+"
    r"(?P<acc>\d(?:[ -]?\d){8,17})(?!\d)"
)
_CUE_BEFORE = re.compile(
    r"(?:(?i:a/c|acct|account)|खाता)(?:\s*(?:(?i:no|number|num)|संख्या|नंबर))?\.?\s*[:#-]?\s*\Z"
)
_GLUE = re.compile(
    r"[\s,;:()\[\]\-–/.#|]*(?:(?:ifsc|ifs|code|no|number|a/c|ac|acct|account|bank|आईएफएससी|कोड"
    r"|खाता|संख्या|नंबर)[\s,;:()\[\]\-–/.#|]*){0,6}"
)
IBAN_RE = re.compile(r"(?<![A-Za-z0-9])[A-Z]{2}[0-9]{2}(?: ?[A-Z0-9]){11,30}(?![A-Za-z0-9])")
ETH_RE = re.compile(r"(?<![0-9A-Za-z])0[xX][0-9a-fA-F]{40}(?![0-9A-Za-z])")
BECH32_RE = re.compile(
    r"(?<![0-9A-Za-z])(?:bc|BC)1"  # the human-readable part and separator
    r"[02-9ac-hj-np-zAC-HJ-NP-Z]{6,87}(?![0-9A-Za-z])"
)
BASE58_RE = re.compile(r"(?<![0-9A-Za-z])[13T][1-9A-HJ-NP-Za-km-z]{24,34}(?![0-9A-Za-z])")
HASH_RE = re.compile(r"(?<![0-9A-Za-z])[0-9a-fA-F]{32,64}(?![0-9A-Za-z])")
_URL_REST = re.compile(rf"{_URL_CHARS}{{0,4096}}")
_PORT = re.compile(r":[0-9]{1,5}(?=/)")
HANDLE_RE = re.compile(r"(?<![\w@./])@[A-Za-z0-9_](?:[A-Za-z0-9_.]{0,62}[A-Za-z0-9_])?")

_TITLE = r"(?:Mr|Mrs|Ms|Miss|Dr|Shri|Shree|Sri|Smt|Kumari|Sushri|Prof)"
_CAP = r"[A-Z][a-zA-Z'-]{0,30}"
PERSON_RE = re.compile(
    rf"(?<![\w.])(?:{_TITLE}\.?[ \t]{{1,3}}|(?i:name)[ \t]{{0,3}}[:-][ \t]{{0,3}})"
    rf"{_CAP}(?:[ \t]{{1,3}}{_CAP}\.?){{0,3}}"
)
_DEV_WORD = r"[\u0900-\u0963\u0971-\u097F]{1,30}"
PERSON_HI_RE = re.compile(
    rf"(?:श्रीमती|श्रीमान|श्री|सुश्री|कुमारी|डॉ\.?|डॉक्टर|नाम[ \t]{{0,3}}[:-])[ \t]{{1,3}}"
    rf"{_DEV_WORD}(?:[ \t]{{1,3}}{_DEV_WORD}){{0,2}}"
)
_HI_STOP = frozenset(
    {"ने", "को", "से", "का", "की", "के", "में", "पर", "और", "द्वारा", "है", "हैं", "था", "थे", "जी"}
)
ORG_RE = re.compile(
    r"(?<![\w.])(?:M/[Ss]\.?[ \t]{1,3})?(?:[A-Z][\w&'-]{0,30}[ \t]{1,3}){1,5}"
    r"(?:Pvt\.?[ \t]{0,2}Ltd\b\.?|Private[ \t]Limited\b|Limited\b|Ltd\b\.?|LLP\b|LLC\b|Inc\b\.?"
    r"|Corporation\b|Corp\b\.?|GmbH\b|PLC\b|Co\.)"
)
ORG_HI_RE = re.compile(rf"(?:{_DEV_WORD}[ \t]{{1,3}}){{1,4}}(?:प्राइवेट[ \t]{{1,3}})?लिमिटेड")
_ORG_STOP = frozenset(
    {"The", "In", "On", "At", "To", "From", "By", "For", "And", "Of", "A", "An", "Via", "With"}
)

FILE_LIKE_SUFFIXES = frozenset({"zip", "mov", "py", "sh", "md"})
"""Top-level domains that are mostly file extensions in free text: ``report.zip`` is a file
unless it is written as a URL (``http://report.zip/``) or defanged (``report[.]zip``)."""

_TRAILING = ".,;:!?'\")]}>*"

# Priorities: where candidates overlap, the higher wins (then the longer, then the earlier).
_PRIORITY = {
    "url": 100,
    "email-addr": 90,
    "upi-id": 85,
    "bank-account": 80,
    "cryptocurrency-wallet": 75,
    "file-sha256": 70,
    "file-sha1": 70,
    "file-md5": 70,
    "ipv6-addr": 60,
    "ipv4-addr": 58,
    "phone-number": 50,
    "domain-name": 40,
    "user-account": 35,
    "organization-name": 20,
    "person-name": 15,
}
_INVALID_WALLET = 65


@dataclass(slots=True)
class _Candidate:
    type: str
    start: int
    end: int
    priority: int
    companions: tuple[_Candidate, ...] = ()


Finder = Callable[[str, "str | None", list[_Candidate]], None]


def _add(out: list[_Candidate], type_: str, start: int, end: int, priority: int = 0) -> None:
    out.append(_Candidate(type_, start, end, priority or _PRIORITY[type_]))


def _check(type_: str, text: str, country: str | None = None) -> Observable:
    return normalize(type_, text, country=country)


def _known_suffix(host: str) -> bool:
    ascii_host, reason = host_to_ascii(host)
    return reason is None and public_suffixes().privatesuffix(ascii_host) is not None


def _trim_url(text: str, start: int, end: int) -> int:
    """The end of a URL found greedily, without trailing punctuation of the sentence."""
    while end > start and text[end - 1] in _TRAILING:
        ch = text[end - 1]
        opening = {")": "(", "]": "[", "}": "{"}.get(ch)
        if opening and text.count(opening, start, end) >= text.count(ch, start, end):
            break
        end -= 1
    return end


def _host_span(text: str, start: int, end: int) -> tuple[int, int]:
    """Offsets of the host inside the URL ``text[start:end]``."""
    s = text.find("://", start, end)
    s = start if s < 0 else s + 3
    e = s
    while e < end and text[e] not in "/?#":
        e += 1
    at = text.rfind("@", s, e)
    if at >= 0:
        s = at + 1
    if s < e and text[s] == "[":
        close = text.find("]", s, e)
        return (s, close + 1) if close > 0 else (s, e)
    colon = text.find(":", s, e)
    if colon >= 0:
        e = colon
    while e > s and text[e - 1] == ".":
        e -= 1
    return s, e


def _url_candidate(text: str, start: int, end: int) -> _Candidate:
    companions: list[_Candidate] = []
    hs, he = _host_span(text, start, end)
    host = text[hs:he]
    if host.startswith("["):
        companions.append(_Candidate("ipv6-addr", hs, he, 0))
    elif host:
        try:
            ipaddress.IPv4Address(host)
            companions.append(_Candidate("ipv4-addr", hs, he, 0))
        except ValueError:
            if _check("domain-name", host).valid:
                companions.append(_Candidate("domain-name", hs, he, 0))
            if platform_of_host(host):
                handle = handle_from_url(text[start:end])
                if handle and _check("user-account", text[start:end]).valid:
                    companions.append(_Candidate("user-account", start, end, 0))
    return _Candidate("url", start, end, _PRIORITY["url"], tuple(companions))


def _find_urls(text: str, country: str | None, out: list[_Candidate]) -> None:
    for match in URL_RE.finditer(text):
        start = match.start()
        end = _trim_url(text, start, match.end())
        out.append(_url_candidate(text, start, end))


def _find_dotted(text: str, country: str | None, out: list[_Candidate]) -> None:
    """Host names: as domains, or as URLs when a path (or ``:port/``) follows."""
    for match in DOTTED_RE.finditer(text):
        start, end = match.span()
        if end - start > 253:
            continue
        token = match.group(0)
        if token[0] in "-_" or token[-1] in "-_":
            continue
        last = token.rsplit(".", 1)[1].lower()
        if last.isdigit() or not _known_suffix(token):
            continue
        path_end = end
        if end < len(text) and text[end] == ":":
            port = _PORT.match(text[end : end + 7])
            if port:
                path_end = end + port.end()
        if path_end < len(text) and text[path_end] == "/":
            url = _URL_REST.match(text, path_end)
            url_end = _trim_url(text, start, url.end() if url else path_end)
            out.append(_url_candidate(text, start, url_end))
            continue
        if token.lower().startswith("www."):
            out.append(_url_candidate(text, start, end))
            continue
        if last in FILE_LIKE_SUFFIXES and token.count(".") == 1:
            continue
        _add(out, "domain-name", start, end)


def _find_emails(text: str, country: str | None, out: list[_Candidate]) -> None:
    """E-mail addresses, and UPI IDs (``handle@psp``: the PSP part has no dot)."""
    for match in EMAIL_RE.finditer(text):
        start, end = match.span()
        local, _, domain = match.group(0).partition("@")
        if local[0] == "." or local[-1] == ".":
            continue
        if "." in domain:
            while end > start and text[end - 1] in "-.":
                end -= 1
            _add(out, "email-addr", start, end)
        elif re.fullmatch(r"[A-Za-z][A-Za-z0-9]{1,63}", domain):
            _add(out, "upi-id", start, end)


def _find_ips(text: str, country: str | None, out: list[_Candidate]) -> None:
    for match in IPV4_RE.finditer(text):
        _add(out, "ipv4-addr", *match.span())
    for match in IPV6_RE.finditer(text):
        groups = [g for g in match.group(0).split("/")[0].split(":") if g]
        if len(groups) < 2:  # "::", "1::", "::1": punctuation or loopback, not indicators
            continue
        if _check("ipv6-addr", match.group(0)).valid:
            _add(out, "ipv6-addr", *match.span())


_SPLIT = re.compile(r"[\s,/]+")


def _find_phones(text: str, country: str | None, out: list[_Candidate]) -> None:
    for match in PHONE_RE.finditer(text):
        start, end = match.span()
        if text[start] == "(" and ")" not in text[start:end]:
            start += 1
        found = _phone(text[start:end], country)
        if found:
            _add(out, "phone-number", start, end)
            continue
        # Several numbers in one run ("98765 43210 91234 56789"): cover it greedily.
        pieces = [
            (m.start() + start, m.end() + start) for m in re.finditer(r"\S+", text[start:end])
        ]
        i = 0
        while i < len(pieces):
            for j in range(len(pieces), i, -1):
                s, e = pieces[i][0], pieces[j - 1][1]
                if sum(ch.isdigit() for ch in text[s:e]) >= 7 and _phone(text[s:e], country):
                    _add(out, "phone-number", s, e)
                    i = j
                    break
            else:
                i += 1
    if country is None:
        return
    for match in SHORT_RE.finditer(text):
        start, end = match.span()
        window = text[max(0, start - 30) : end + 20]  # a cue before or after the number
        if SHORT_CUE.search(window) and _check("phone-number", match.group(0), country).valid:
            _add(out, "phone-number", start, end)


def _phone(raw: str, country: str | None) -> bool:
    observable = _check("phone-number", raw, country)
    if observable.valid:
        return True
    international = raw.lstrip("( ").startswith(("+", "00"))
    return (
        international
        and observable.value.startswith("+")
        and "assigned" in (observable.reason or "")
    )


def _find_bank_accounts(text: str, country: str | None, out: list[_Candidate]) -> None:
    for match in IBAN_RE.finditer(text):
        compact_end = _iban_end(text, match.start(), match.end())
        if compact_end:
            _add(out, "bank-account", match.start(), compact_end)
    for match in IFSC_RE.finditer(text):
        s, e = match.span()
        token = match.group(0)
        if token[4] in "Oo" and not any(ch.isdigit() for ch in token[5:]):
            continue
        span = _account_near(text, s, e)
        if span:
            _add(out, "bank-account", *span)
    for match in ACCOUNT_CUE_RE.finditer(text):
        _add(out, "bank-account", match.start(), match.end("acc"), _PRIORITY["bank-account"] - 1)


def _iban_end(text: str, start: int, end: int) -> int | None:
    """Where the IBAN starting at ``start`` ends (its country's length), or ``None``."""
    from comity.intel.observables.finance import IBAN_LENGTHS

    length = IBAN_LENGTHS.get(text[start : start + 2])
    if length is None:
        return None
    seen = 0
    for pos in range(start, end):
        if text[pos] != " ":
            seen += 1
            if seen == length:
                if pos + 1 < end and text[pos + 1] != " ":
                    return None  # the group runs on: not an IBAN of that length
                return pos + 1
    return None


def _account_near(text: str, s: int, e: int) -> tuple[int, int] | None:
    """The span from an account number to the IFSC at ``text[s:e]`` (either order, the
    nearer when there is one on each side), or ``None``."""
    spans: list[tuple[int, int, int]] = []  # (gap, start, end)
    before = text[max(0, s - 80) : s]
    accounts = list(ACCOUNT_RE.finditer(before))
    if accounts:
        last = accounts[-1]
        if _GLUE.fullmatch(before[last.end() :].lower()):
            start = max(0, s - 80) + last.start()
            cue = _CUE_BEFORE.search(text, max(0, start - 30), start)
            spans.append((len(before) - last.end(), cue.start() if cue else start, e))
    after = text[e : e + 80]
    first = ACCOUNT_RE.search(after)
    if first and _GLUE.fullmatch(after[: first.start()].lower()):
        spans.append((first.start(), s, e + first.end()))
    if not spans:
        return None
    _gap, start, end = min(spans)
    return start, end


def _find_wallets(text: str, country: str | None, out: list[_Candidate]) -> None:
    for match in ETH_RE.finditer(text):
        valid = _check("cryptocurrency-wallet", match.group(0)).valid
        priority = _PRIORITY["cryptocurrency-wallet"] if valid else _INVALID_WALLET
        _add(out, "cryptocurrency-wallet", *match.span(), priority)
    for match in BECH32_RE.finditer(text):
        valid = _check("cryptocurrency-wallet", match.group(0)).valid
        if valid or len(match.group(0)) in (42, 62):
            priority = _PRIORITY["cryptocurrency-wallet"] if valid else _INVALID_WALLET
            _add(out, "cryptocurrency-wallet", *match.span(), priority)
    for match in BASE58_RE.finditer(text):
        if _check("cryptocurrency-wallet", match.group(0)).valid:
            _add(out, "cryptocurrency-wallet", *match.span())


_HASH_TYPES = {32: "file-md5", 40: "file-sha1", 64: "file-sha256"}


def _find_hashes(text: str, country: str | None, out: list[_Candidate]) -> None:
    for match in HASH_RE.finditer(text):
        token = match.group(0)
        type_ = _HASH_TYPES.get(len(token))
        if type_ and not token.isdigit():
            _add(out, type_, *match.span())


def _find_handles(text: str, country: str | None, out: list[_Candidate]) -> None:
    for match in HANDLE_RE.finditer(text):
        start, end = match.span()
        while text[end - 1] == ".":
            end -= 1
        if any(ch.isalpha() for ch in text[start:end]):
            _add(out, "user-account", start, end)


def _find_names(text: str, country: str | None, out: list[_Candidate]) -> None:
    for match in PERSON_RE.finditer(text):
        start, end = match.span()
        while text[end - 1] in ". ":
            end -= 1
        _add(out, "person-name", start, end)
    for match in PERSON_HI_RE.finditer(text):
        start, end = match.span()
        words = text[start:end].split()
        while len(words) > 2 and words[-1] in _HI_STOP:
            end = text.rindex(words.pop(), start, end)
            while text[end - 1] in " \t":
                end -= 1
        _add(out, "person-name", start, end)
    for regex in (ORG_RE, ORG_HI_RE):
        for match in regex.finditer(text):
            start, end = match.span()
            while True:
                word = re.match(r"(\S+)[ \t]+", text[start:end])
                if not word or word.group(1) not in _ORG_STOP:
                    break
                start += word.end()
            _add(out, "organization-name", start, end)


FINDERS: tuple[Finder, ...] = (
    _find_urls,
    _find_dotted,
    _find_emails,
    _find_bank_accounts,
    _find_wallets,
    _find_hashes,
    _find_ips,
    _find_phones,
    _find_handles,
    _find_names,
)
"""Every finder; each appends candidates for the spans it recognizes."""


def _select(candidates: list[_Candidate], length: int) -> list[_Candidate]:
    """Non-overlapping candidates, the higher priority first, then the longer; companions."""
    taken = bytearray(length)
    chosen: list[_Candidate] = []
    candidates.sort(key=lambda c: (-c.priority, c.start - c.end, c.start))
    for cand in candidates:
        if cand.end <= cand.start or taken.find(1, cand.start, cand.end) >= 0:
            continue
        taken[cand.start : cand.end] = b"\x01" * (cand.end - cand.start)
        chosen.append(cand)
        chosen.extend(c for c in cand.companions if c.end > c.start)
    return chosen


def extract(text: str, *, country: str | None = None) -> list[Found]:
    """Find every observable in ``text``; results in order of their offsets.

    ``country`` is the reporting country (phone numbers written nationally, short codes such
    as India's ``1930``). Each result is a :class:`Found`, whose ``value`` is canonical and
    whose ``start``/``end`` are offsets into ``text`` (``text[start:end] == raw``)::

        >>> found = extract("खाते में पैसे भेजे, मोबाइल ९८७६५४३२१० पर कॉल करें", country="IN")
        >>> [(f.type, f.value, f.raw) for f in found]
        [('phone-number', '+919876543210', '९८७६५४३२१०')]
    """
    region = check_country(country) if country is not None else None
    work, offsets = refang_with_offsets(text)
    candidates: list[_Candidate] = []
    for finder in FINDERS:
        finder(work, region, candidates)
    results: list[Found] = []
    for cand in _select(candidates, len(work)):
        start, end = cand.start, cand.end
        if offsets is not None:
            start, end = offsets.start(start), offsets.end(end)
        raw = text[start:end]
        observable = normalize(cand.type, raw, country=region)
        results.append(
            Found(
                observable.type,
                observable.value,
                raw,
                observable.valid,
                observable.reason,
                start,
                end,
            )
        )
    results.sort(key=lambda f: (f.start, -f.end, f.type))
    return results
