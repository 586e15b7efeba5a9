"""Complaint generator: realistic fraud complaints from India and the US, with known networks.

Writes complaints in the interchange format (``docs/complaints.md``) as CSV, JSON Lines or
Parquet, and ``labels.csv`` (``complaint_id,network``): the fraud network each complaint came
from, which is the ground truth of linkage (score a linker with ``comity.link.scoring``)::

    .venv/bin/python bench/complaint_generator.py --count 1000000 --out /tmp/c --format csv

    import complaint_generator as g          # with bench/ on sys.path
    stats = g.write(g.Knobs(count=10_000, seed=7), Path("out"), "parquet")

The model
---------
**Networks** (call centres) arrive one after another over the complaint stream. A network's
size is heavy-tailed: ``floor(2 * U ** (-1 / size_exponent))`` capped at ``max_network_size``
(most have 2 to 5 complaints, a few thousands); a share of complaints are **singletons**,
networks of one. Each network runs one scheme (``category``): India-only schemes (digital
arrest, KYC update, customs parcel, loan app, sextortion, electricity bill), US-only ones
(government impersonation, refund, romance) and cross-border ones (tech support, investment,
job/task scams) whose victims are in both countries. Category weights are set so that about
``india_share`` of complaints are Indian (India's portal received 22,68,346 complaints in
2024, the FBI's IC3 859,532) and ``cross_border_share`` of networks work both countries.

A network is active over a window that grows with its size (weeks for a small one, years for
the largest); its complaints are spread over that window and the file is in the order
complaints were received, the yearly volume growing by ``growth``. Only the active networks
are held in memory: ten million complaints to CSV peak at about 160 MB. Speed on one core of
a shared machine: about 60,000 complaints/s to CSV or JSON Lines, 48,000/s to Parquet
(generating is most of it; the CSV lines are built directly, not with the csv module).

**Identifiers.** Each network owns a pool of identifiers that grows as it works: Indian
mobiles, US numbers (geographic, with real area codes, and toll-free), UPI ids, mule bank
accounts (IFSC and account number), scam domains (some on free hosting such as
``*.github.io``) and URLs on them, e-mail addresses on its domains or at free providers
(the fraudster's Gmail address is an identifier; ``gmail.com`` is not), and crypto wallets
(Bitcoin bech32 and base58, Ethereum, Tron). Every identifier but the wallets (160 random
bits each) is built from a serial number through a keyed bijection, so two identifiers never
normalize to the same value, and no two networks ever share one. A complaint reports one to
five of its network's identifiers: the first is one an earlier complaint of the network
reported (usable in the complaint's country), so a network's complaints are always
connected; the others are reused or new. The **ground truth** (``labels.csv``) is therefore
exactly the connected components of complaints over shared identifiers, benign hubs aside.

**Messiness.** Identifiers are written the ways victims write them: ``+91 98765 43210``,
``098765-43210``, ``0091…``, ``011 91 …`` in US complaints, ``(415) 372-9921``, mixed-case
e-mails and UPI ids, defanged URLs (``hxxps://x[.]in``), ``IFSC:ACC``, ``ACC (IFSC)``,
``A/c ACC IFSC ifsc``, upper-case bech32, ``bitcoin:`` and ``upi://pay?pa=`` links.
``narrative_only_share`` of them appear only in the narrative (English, or Hindi in
Devanagari for ``hindi_share`` of Indian complaints, some numbers in Devanagari digits), so
extraction is needed to link them.

**Benign hubs** appear in many unrelated complaints and must not link networks: the 1930
helpline, banks' and brands' customer-care numbers, ``gmail.com``/``yahoo.com``,
``microsoft.com``, ``amazon.in``, ``paypal.com``, ``cybercrime.gov.in``, ``ic3.gov`` — in
narratives (``hub_share``), sometimes in the url or phones field. :func:`is_benign` tells
them apart. Some victims complain more than once (``repeat_victim_share``), with a
``victim_id``: mostly about the same network, sometimes about another (a recovery scam);
a victim id identifies the victim, never the fraud.

Everything comes from one seeded ``random.Random``: the same knobs give the same bytes.

Knobs (:class:`Knobs`): ``count``, ``seed``, ``start_year``, ``years``, ``growth``,
``india_share``, ``cross_border_share``, ``singleton_share``, ``size_exponent``,
``max_network_size``, ``hindi_share``, ``narrative_only_share``, ``hub_share``,
``repeat_victim_share``, ``no_loss_share``.
"""

from __future__ import annotations

import argparse
import bisect
import heapq
import math
import random
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from operator import itemgetter
from pathlib import Path
from statistics import NormalDist
from typing import Any

import base58
import orjson

from comity.link.rows import FIELDS as _FIELDS
from comity.link.rows import LIST_FIELDS as _LIST_TYPES

FIELDS: tuple[str, ...] = tuple(_FIELDS)
"""The columns written, in order: the interchange format's (``comity.link.rows.FIELDS``)."""

LIST_FIELDS: tuple[str, ...] = tuple(_LIST_TYPES)
"""The multi-valued columns (``;``-separated in CSV, lists in JSON Lines and Parquet)."""

FIELD_TYPES: dict[str, str] = dict(_LIST_TYPES)
"""The observable type of each multi-valued column (``comity.link.rows.LIST_FIELDS``)."""

FORMATS = ("csv", "jsonl", "parquet")
_FIRST_LIST = FIELDS.index("phones")


@dataclass(frozen=True)
class Knobs:
    """What to generate; every share is a fraction of complaints unless said otherwise."""

    count: int = 100_000
    seed: int = 2026
    start_year: int = 2021
    years: int = 5
    growth: float = 1.5
    """Yearly growth of the complaint volume (1.5: each year half as many again)."""
    india_share: float = 0.70
    cross_border_share: float = 0.25
    """Share of networks whose victims are in both countries."""
    singleton_share: float = 0.25
    size_exponent: float = 1.2
    """Tail exponent of network sizes: smaller means more large networks."""
    max_network_size: int = 5000
    hindi_share: float = 0.3
    """Share of Indian complaints whose narrative is in Hindi."""
    narrative_only_share: float = 0.15
    """Share of reported identifiers written only in the narrative."""
    hub_share: float = 0.25
    """Share of narratives that mention a benign hub."""
    repeat_victim_share: float = 0.04
    no_loss_share: float = 0.1


@dataclass
class Stats:
    """What one run wrote."""

    complaints: int = 0
    networks: int = 0
    singletons: int = 0
    largest: int = 0
    by_country: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


# --------------------------------------------------------------------------------------------
# Identifier kinds. An identifier is a tuple ``(kind, a, b, c)`` of strings after the kind.

K_IN, K_US, K_UPI, K_BANK, K_DOMAIN, K_URL, K_EMAIL, K_WALLET = range(8)
KIND_NAMES = ("in-mobile", "us-phone", "upi", "bank", "domain", "url", "email", "wallet")
KIND_FIELD = (0, 0, 4, 3, 2, 2, 1, 5)
"""Index into :data:`LIST_FIELDS` of the column each kind is written in."""
INDIA_ONLY_KINDS = frozenset({K_UPI, K_BANK})
PAYMENT_KINDS = frozenset({K_UPI, K_BANK, K_WALLET})
"""Kinds only Indian victims report (UPI and Indian bank transfers)."""

Ident = tuple[int, str, str, str]

DEVANAGARI_DIGITS = str.maketrans("0123456789", "०१२३४५६७८९")


def _is_prime(n: int) -> bool:
    if n < 2:
        return False
    for p in (2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37):
        if n % p == 0:
            return n == p
    d, s = n - 1, 0
    while d % 2 == 0:
        d, s = d // 2, s + 1
    for a in (2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37):  # deterministic below 3.3e24
        x = pow(a, d, n)
        if x in (1, n - 1):
            continue
        for _ in range(s - 1):
            x = x * x % n
            if x == n - 1:
                break
        else:
            return False
    return True


class Bijection:
    """A keyed permutation of ``range(size)``: serial numbers to scattered, distinct values.

    ``x -> (a*x + b) ** e mod p`` on the smallest prime ``p >= size`` (a permutation of
    ``range(p)`` when ``gcd(e, p - 1) == 1``), walked until the value is below ``size``::

        perm = Bijection(10**6, random.Random(1))
        len({perm(i) for i in range(10**6)}) == 10**6   # True
    """

    def __init__(self, size: int, rng: random.Random) -> None:
        self.size = size
        p = max(size, 3)
        while not _is_prime(p):
            p += 1
        self.p = p
        self.a = rng.randrange(1, p)
        self.b = rng.randrange(p)
        e = 3
        while math.gcd(e, p - 1) != 1:
            e += 2
        self.e = e

    def __call__(self, x: int) -> int:
        if not 0 <= x < self.size:
            raise OverflowError(f"serial {x} is beyond this space of {self.size} values")
        p, a, b, e, size = self.p, self.a, self.b, self.e, self.size
        y = pow((a * x + b) % p, e, p)
        while y >= size:
            y = pow((a * y + b) % p, e, p)
        return y


# --------------------------------------------------------------------------------------------
# Reference data.

US_AREA_CODES = (
    201, 202, 203, 205, 206, 210, 212, 213, 214, 215, 216, 217, 224, 225, 228, 229, 231, 239,
    240, 248, 251, 252, 253, 254, 256, 260, 262, 267, 269, 270, 281, 301, 302, 303, 304, 305,
    310, 312, 313, 314, 315, 316, 317, 318, 319, 320, 321, 323, 330, 334, 336, 337, 339, 346,
    347, 352, 360, 361, 385, 386, 401, 402, 404, 405, 406, 407, 408, 409, 410, 412, 413, 414,
    415, 417, 419, 423, 424, 425, 432, 434, 435, 440, 442, 443, 458, 469, 470, 478, 479, 480,
    484, 501, 502, 503, 504, 505, 507, 508, 509, 510, 512, 513, 515, 516, 517, 518, 520, 530,
    540, 541, 551, 559, 561, 562, 563, 567, 570, 571, 573, 574, 575, 580, 585, 586, 601, 602,
    603, 605, 606, 607, 608, 609, 610, 612, 614, 615, 616, 617, 618, 619, 620, 623, 626, 628,
    630, 631, 636, 646, 650, 651, 657, 660, 661, 662, 667, 678, 682, 701, 702, 703, 704, 706,
    707, 708, 712, 713, 714, 715, 716, 717, 718, 719, 720, 724, 727, 731, 732, 734, 737, 740,
    747, 754, 757, 760, 762, 763, 765, 769, 770, 772, 773, 774, 775, 779, 781, 785, 786, 801,
    802, 803, 804, 805, 806, 808, 810, 812, 813, 814, 815, 816, 817, 818, 828, 830, 831, 832,
    843, 845, 847, 848, 850, 856, 857, 858, 859, 860, 862, 863, 864, 865, 870, 872, 878, 901,
    903, 904, 906, 907, 908, 909, 910, 912, 913, 914, 915, 916, 917, 918, 919, 920, 925, 928,
    929, 931, 936, 937, 940, 941, 947, 949, 951, 952, 954, 956, 970, 971, 972, 973, 978, 979,
    980, 985, 989,
)  # fmt: skip
"""Geographic area codes of the United States."""
US_TOLL_FREE: tuple[int, ...] = (800, 833, 844, 855, 866, 877, 888)
US_EXCHANGES = tuple(
    e for e in range(200, 1000) if e % 100 != 11 and e not in (555, 950, 958, 959, 976)
)
"""Central-office codes: no N11 service codes, no 555 (fictional), no special ones."""

# (bank code, weight, account prefix, digits after the prefix, branch-code shape)
BANKS: tuple[tuple[str, float, str, int, str], ...] = (
    ("SBIN", 14, "3", 10, "d"),
    ("HDFC", 10, "50100", 9, "d"),
    ("ICIC", 9, "0", 11, "d"),
    ("UTIB", 8, "91", 13, "d"),
    ("PUNB", 6, "", 16, "d"),
    ("KKBK", 6, "2", 9, "d"),
    ("YESB", 5, "0", 14, "d"),
    ("BARB", 6, "", 14, "a"),
    ("CNRB", 5, "", 13, "d"),
    ("UBIN", 5, "5", 14, "d"),
    ("BKID", 4, "", 15, "d"),
    ("IDIB", 4, "50", 9, "a"),
    ("INDB", 4, "1", 11, "d"),
    ("FDRL", 3, "1", 13, "d"),
    ("AUBL", 4, "2", 15, "d"),
    ("PYTM", 3, "5", 9, "p"),
    ("FINO", 3, "2", 11, "d"),
    ("ESFB", 2, "1", 15, "d"),
    ("JSFB", 2, "4", 11, "d"),
)
"""Banks of mule accounts: IFSC bank code, weight, account number prefix and length."""

UPI_PSPS = (
    "ybl", "ibl", "axl", "okaxis", "okhdfcbank", "oksbi", "okicici", "paytm", "upi",
    "apl", "axisbank", "icici", "sbi", "hdfcbank", "kotak", "yesbank", "idfcbank", "fam",
)  # fmt: skip
FREE_MAIL = (
    ("gmail.com", 60), ("yahoo.com", 10), ("outlook.com", 10), ("hotmail.com", 5),
    ("rediffmail.com", 5), ("protonmail.com", 5), ("yahoo.co.in", 3), ("aol.com", 2),
)  # fmt: skip
TLDS = (
    ("com", 30), ("in", 10), ("co.in", 5), ("online", 7), ("site", 5), ("xyz", 5),
    ("top", 5), ("live", 4), ("info", 4), ("net", 6), ("org", 3), ("shop", 2), ("help", 2),
    ("support", 2), ("icu", 2), ("cc", 2), ("us", 2), ("github.io", 1.5), ("netlify.app", 1),
    ("web.app", 1), ("pages.dev", 1), ("vercel.app", 1), ("blogspot.com", 1),
    ("wixsite.com", 0.5), ("duckdns.org", 0.5),
)  # fmt: skip
"""Suffixes of scam domains (free hosting included: the registrable name is the subdomain)."""
DOMAIN_WORDS = (
    "secure", "help", "support", "verify", "update", "online", "service", "care", "desk",
    "alert", "billing", "customer", "login", "account", "pay", "portal", "center", "info",
    "official", "india", "global", "fast", "quick", "smart", "prime", "trust", "safe",
)  # fmt: skip
EMAIL_ROLES = (
    "support", "help", "helpdesk", "refund", "billing", "noreply", "kyc", "officer",
    "verification", "care", "admin", "accounts", "legal", "desk",
)  # fmt: skip
FIRST_NAMES = (
    "rahul", "amit", "rohit", "vikas", "sanjay", "priya", "neha", "pooja", "arjun", "ravi",
    "deepak", "manish", "anil", "sunil", "rakesh", "kiran", "ajay", "vijay", "suresh", "anita",
    "john", "david", "michael", "james", "robert", "mary", "linda", "kevin", "jason", "daniel",
)  # fmt: skip
LAST_NAMES = (
    "sharma", "verma", "gupta", "singh", "kumar", "yadav", "patel", "shah", "jain", "mehta",
    "reddy", "nair", "das", "roy", "mishra", "pandey", "smith", "johnson", "brown", "wilson",
)  # fmt: skip
URL_PATHS = (
    "/kyc/update", "/verify", "/login", "/login.php", "/secure/login", "/refund/claim",
    "/pay", "/support/ticket", "/case/status", "/invest/dashboard", "/app/download",
    "/apk/download", "/task/center", "/track", "/bill/pay", "/account/unlock", "/",
)  # fmt: skip

IN_REGIONS = (
    ("Uttar Pradesh", 16), ("Maharashtra", 12), ("Gujarat", 8), ("Karnataka", 7),
    ("Telangana", 6), ("Rajasthan", 6), ("Haryana", 6), ("Delhi", 6), ("Tamil Nadu", 5),
    ("Bihar", 5), ("West Bengal", 4), ("Madhya Pradesh", 4), ("Andhra Pradesh", 4),
    ("Kerala", 3), ("Punjab", 2), ("Odisha", 2), ("Assam", 1.5), ("Jharkhand", 1.5),
    ("Chhattisgarh", 1.5), ("Uttarakhand", 1), ("Jammu and Kashmir", 0.7),
    ("Himachal Pradesh", 0.5), ("Goa", 0.3),
)  # fmt: skip
US_REGIONS = (
    ("California", 11), ("Texas", 8.5), ("Florida", 7.5), ("New York", 5.5),
    ("Pennsylvania", 3.5), ("Illinois", 3.5), ("Ohio", 3), ("Georgia", 3),
    ("North Carolina", 3), ("Michigan", 2.8), ("New Jersey", 2.8), ("Virginia", 2.6),
    ("Washington", 2.6), ("Arizona", 2.6), ("Massachusetts", 2), ("Tennessee", 2),
    ("Indiana", 1.8), ("Maryland", 1.8), ("Colorado", 1.8), ("Missouri", 1.6),
    ("Wisconsin", 1.5), ("Minnesota", 1.5), ("Oregon", 1.3), ("Nevada", 1.3),
    ("South Carolina", 1.3), ("Alabama", 1.1), ("Louisiana", 1), ("Kentucky", 1),
    ("Oklahoma", 0.9), ("Connecticut", 0.9), ("Utah", 0.8), ("Iowa", 0.7),
)  # fmt: skip

# Benign hubs: (written form, canonical value). Never identifiers of a fraud.
HUB_PHONES_IN = (
    ("1930", "IN:1930"), ("1800 1234", "+9118001234"), ("1800 2100", "+9118002100"),
    ("1800 202 6161", "+9118002026161"), ("1800 1080", "+9118001080"),
    ("1860 419 5555", "+9118604195555"),
)  # fmt: skip
HUB_PHONES_US = (
    ("1-800-642-7676", "+18006427676"), ("1-877-382-4357", "+18773824357"),
    ("1-888-280-4331", "+18882804331"), ("1-888-221-1161", "+18882211161"),
    ("1-800-275-2273", "+18002752273"), ("1-800-772-1213", "+18007721213"),
)  # fmt: skip
BENIGN_PHONES = frozenset(value for _, value in HUB_PHONES_IN + HUB_PHONES_US)
BENIGN_DOMAINS = frozenset(
    {
        "gmail.com", "yahoo.com", "microsoft.com", "amazon.in", "amazon.com", "paypal.com",
        "cybercrime.gov.in", "ic3.gov",
    }
)  # fmt: skip
"""Registrable domains of the benign hubs (e-mail providers, brands, reporting portals)."""
HUB_URLS_IN = (
    "https://cybercrime.gov.in", "cybercrime.gov.in", "www.amazon.in", "https://www.amazon.in/",
)  # fmt: skip
HUB_URLS_US = (
    "https://www.microsoft.com", "www.paypal.com", "https://www.amazon.com/",
    "https://www.ic3.gov", "microsoft.com",
)  # fmt: skip
HUB_SENTENCES_IN_EN = (
    "I reported this on the helpline 1930 the same day.",
    "I immediately called the cyber crime helpline 1930.",
    "I also filed the complaint on cybercrime.gov.in as advised.",
    "I called SBI customer care 1800 1234 to block my account.",
    "I called SBI on 1800 2100 but the money was already gone.",
    "HDFC customer care 1800 202 6161 told me to file a police complaint.",
    "I called ICICI customer care 1800 1080 to freeze the card.",
    "The Axis Bank helpline 1860 419 5555 said the transfer could not be reversed.",
    "They said the order was placed on amazon.in and had to be cancelled.",
    "The notice came from a gmail.com address.",
    "They sent a fake notice from a yahoo.com id.",
)
HUB_SENTENCES_IN_HI = (
    "मैंने तुरंत हेल्पलाइन 1930 पर कॉल किया।",
    "हेल्पलाइन १९३० पर शिकायत दर्ज कराई।",
    "मैंने cybercrime.gov.in पर भी शिकायत की।",
    "एसबीआई कस्टमर केयर 1800 1234 पर कॉल करके खाता ब्लॉक कराया।",
    "उन्होंने कहा कि ऑर्डर amazon.in पर हुआ है।",
    "नोटिस एक gmail.com ईमेल से आया था।",
)
HUB_SENTENCES_US: tuple[str, ...] = (
    "I called the real Microsoft support at 1-800-642-7676 and they said it was a scam.",
    "The pop-up had the microsoft.com logo on it.",
    "I reported it to the FTC at 1-877-382-4357 and to ic3.gov.",
    "Amazon customer service at 1-888-280-4331 said there was no such order on amazon.com.",
    "PayPal at 1-888-221-1161 said the invoice was fake and not from paypal.com.",
    "I called Apple at 1-800-275-2273 afterwards.",
    "Social Security at 1-800-772-1213 confirmed my number was fine.",
    "The emails came from a gmail.com account.",
)

HUB_SENTENCES = {
    ("IN", False): HUB_SENTENCES_IN_EN,
    ("IN", True): HUB_SENTENCES_IN_HI,
    ("US", False): HUB_SENTENCES_US,
    ("US", True): HUB_SENTENCES_US,
}


def is_benign(obs_type: str, value: str) -> bool:
    """Whether a canonical observable is one of the benign hubs (never a fraud identifier).

    ::

        is_benign("phone-number", "IN:1930")                 # True
        is_benign("domain-name", "gmail.com")                # True
        is_benign("email-addr", "rahul.kyc123@gmail.com")    # False: the fraudster's address
        is_benign("url", "https://www.microsoft.com/")       # True
    """
    if obs_type == "phone-number":
        return value in BENIGN_PHONES
    if obs_type == "domain-name":
        return value in BENIGN_DOMAINS
    if obs_type == "url":
        host = value.partition("://")[2].split("/", 1)[0].split(":", 1)[0]
        return any(host == d or host.endswith("." + d) for d in BENIGN_DOMAINS)
    return False


# --------------------------------------------------------------------------------------------
# Schemes.


@dataclass(frozen=True)
class Category:
    """A fraud scheme: where its victims are, what identifiers it uses, ages and losses."""

    name: str
    india: float
    """Share of the scheme's victims who are in India (1.0 India only, 0.0 US only)."""
    kinds_in: dict[int, float]
    kinds_us: dict[int, float]
    age_in: tuple[float, float]
    age_us: tuple[float, float]
    loss_in: tuple[float, float]
    """Median loss in rupees and the sigma of its logarithm."""
    loss_us: tuple[float, float]
    openers_en: tuple[str, ...]
    openers_hi: tuple[str, ...]
    stems: tuple[str, ...]


_NO_KINDS: dict[int, float] = {}
CATEGORIES: tuple[Category, ...] = (
    Category(
        name="digital-arrest",
        india=1.0,
        kinds_in={K_IN: 40, K_BANK: 35, K_UPI: 8, K_EMAIL: 5, K_DOMAIN: 3, K_US: 3, K_WALLET: 3},
        kinds_us=_NO_KINDS,
        age_in=(56, 12),
        age_us=(0, 0),
        loss_in=(300_000, 1.2),
        loss_us=(0, 0),
        openers_en=(
            "I received a call from someone claiming to be from the CBI who said a parcel in "
            "my name had drugs in it.",
            "A caller posing as a police officer said my Aadhaar was linked to money "
            "laundering and kept me on a video call for two days.",
            "They said I was under digital arrest, must not tell anyone, and had to transfer "
            "my savings for verification.",
            "A man in uniform on a Skype video call said the ED had issued an arrest warrant "
            "against me.",
        ),
        openers_hi=(
            "एक व्यक्ति ने खुद को सीबीआई अधिकारी बताया और कहा कि मेरे नाम के पार्सल में ड्रग्स मिले हैं।",
            "वीडियो कॉल पर पुलिस की वर्दी में एक व्यक्ति ने कहा कि मैं डिजिटल अरेस्ट में हूँ।",
            "उन्होंने कहा कि मेरे आधार कार्ड से मनी लॉन्ड्रिंग हुई है और जांच के लिए पैसे भेजने होंगे।",
        ),
        stems=("cbi-verification", "cyber-police", "ed-notice", "trai-notice", "court-summons"),
    ),
    Category(
        name="kyc-update",
        india=1.0,
        kinds_in={K_IN: 30, K_URL: 22, K_DOMAIN: 10, K_UPI: 20, K_BANK: 12, K_EMAIL: 6},
        kinds_us=_NO_KINDS,
        age_in=(46, 15),
        age_us=(0, 0),
        loss_in=(40_000, 1.1),
        loss_us=(0, 0),
        openers_en=(
            "I got an SMS saying my bank KYC had expired and my account would be blocked today.",
            "A message said my YONO account was suspended and I had to update my PAN details.",
            "Someone posing as a bank officer asked me to update my KYC through a link.",
        ),
        openers_hi=(
            "मुझे एसएमएस आया कि मेरा केवाईसी अपडेट नहीं है और खाता आज बंद हो जाएगा।",
            "बैंक अधिकारी बनकर किसी ने पैन कार्ड अपडेट करने को कहा।",
        ),
        stems=("sbi-kyc", "kyc-update", "yono-update", "bank-kyc", "pan-update"),
    ),
    Category(
        name="customs-parcel",
        india=1.0,
        kinds_in={K_IN: 38, K_BANK: 30, K_UPI: 15, K_EMAIL: 9, K_URL: 4, K_DOMAIN: 4},
        kinds_us=_NO_KINDS,
        age_in=(40, 12),
        age_us=(0, 0),
        loss_in=(120_000, 1.2),
        loss_us=(0, 0),
        openers_en=(
            "A courier company caller said my international parcel was held by customs and I "
            "had to pay clearance charges.",
            "I was told a FedEx parcel with illegal items had been booked in my name.",
        ),
        openers_hi=("कूरियर कंपनी के नाम से कॉल आया कि मेरा पार्सल कस्टम में रुका है।",),
        stems=("parcel-track", "customs-clearance", "courier-desk"),
    ),
    Category(
        name="loan-app",
        india=1.0,
        kinds_in={K_IN: 35, K_UPI: 30, K_URL: 15, K_DOMAIN: 10, K_BANK: 10},
        kinds_us=_NO_KINDS,
        age_in=(30, 8),
        age_us=(0, 0),
        loss_in=(12_000, 1.0),
        loss_us=(0, 0),
        openers_en=(
            "I took a small loan through an instant loan app and they started harassing me "
            "with morphed photos.",
            "The loan app demanded many times the amount and threatened to message my contacts.",
        ),
        openers_hi=("लोन ऐप से छोटा लोन लिया था, अब वे धमकी दे रहे हैं और ज्यादा पैसे मांग रहे हैं।",),
        stems=("instant-loan", "cash-rupee", "loan-app", "quick-credit"),
    ),
    Category(
        name="sextortion",
        india=1.0,
        kinds_in={K_IN: 55, K_UPI: 30, K_BANK: 10, K_EMAIL: 5},
        kinds_us=_NO_KINDS,
        age_in=(32, 10),
        age_us=(0, 0),
        loss_in=(20_000, 1.0),
        loss_us=(0, 0),
        openers_en=(
            "After a video call from an unknown woman I was blackmailed with a recorded video.",
        ),
        openers_hi=("अनजान नंबर से वीडियो कॉल के बाद वीडियो वायरल करने की धमकी देकर पैसे मांगे गए।",),
        stems=("video-report",),
    ),
    Category(
        name="electricity-bill",
        india=1.0,
        kinds_in={K_IN: 50, K_UPI: 20, K_URL: 20, K_BANK: 10},
        kinds_us=_NO_KINDS,
        age_in=(52, 14),
        age_us=(0, 0),
        loss_in=(25_000, 1.0),
        loss_us=(0, 0),
        openers_en=(
            "An SMS said my electricity connection would be cut tonight as the last bill was "
            "not updated.",
        ),
        openers_hi=("बिजली कनेक्शन काटने का मैसेज आया और बिल अपडेट करने को कहा गया।",),
        stems=("bill-update", "power-bill", "electricity-pay"),
    ),
    Category(
        name="government-impersonation",
        india=0.0,
        kinds_in=_NO_KINDS,
        kinds_us={K_US: 50, K_EMAIL: 10, K_WALLET: 25, K_URL: 5, K_DOMAIN: 5, K_IN: 5},
        age_in=(0, 0),
        age_us=(64, 13),
        loss_in=(0, 0),
        loss_us=(8_000, 1.4),
        openers_en=(
            "A caller said he was from the Social Security Administration and my SSN was "
            "suspended.",
            "They claimed to be from the IRS and said I owed back taxes and would be arrested.",
            "A man said he was a US Marshal and that I had missed jury duty.",
        ),
        openers_hi=(),
        stems=("ssa-benefits", "irs-case", "federal-notice"),
    ),
    Category(
        name="refund",
        india=0.0,
        kinds_in=_NO_KINDS,
        kinds_us={K_US: 45, K_URL: 15, K_DOMAIN: 10, K_EMAIL: 15, K_WALLET: 10, K_IN: 5},
        age_in=(0, 0),
        age_us=(62, 14),
        loss_in=(0, 0),
        loss_us=(1_800, 1.2),
        openers_en=(
            "I got a call about a refund for a subscription I had cancelled, and they said "
            "they had refunded too much by mistake.",
            "They said I had been charged for an iPhone and offered to refund it.",
        ),
        openers_hi=(),
        stems=("refund-center", "order-cancel", "subscription-desk"),
    ),
    Category(
        name="romance",
        india=0.0,
        kinds_in=_NO_KINDS,
        kinds_us={K_EMAIL: 30, K_US: 25, K_WALLET: 30, K_URL: 5, K_DOMAIN: 5, K_IN: 5},
        age_in=(0, 0),
        age_us=(58, 13),
        loss_in=(0, 0),
        loss_us=(12_000, 1.5),
        openers_en=(
            "I met someone on a dating site who said he worked on an oil rig overseas.",
            "A woman I met on Facebook asked for money for medical bills and travel.",
        ),
        openers_hi=(),
        stems=("date-connect", "love-match"),
    ),
    Category(
        name="tech-support",
        india=0.15,
        kinds_in={K_IN: 40, K_UPI: 20, K_BANK: 20, K_URL: 10, K_EMAIL: 10},
        kinds_us={K_US: 45, K_URL: 15, K_DOMAIN: 10, K_EMAIL: 12, K_WALLET: 12, K_IN: 6},
        age_in=(45, 15),
        age_us=(67, 12),
        loss_in=(50_000, 1.1),
        loss_us=(2_500, 1.2),
        openers_en=(
            "A pop-up on my computer said it was infected and to call Microsoft support "
            "immediately.",
            "Someone claiming to be tech support got remote access to my laptop through AnyDesk.",
            "They said my computer was hacked and my bank account was at risk, and asked me "
            "to move my money.",
            "An email said my antivirus subscription had been renewed and to call to cancel.",
        ),
        openers_hi=("कंप्यूटर पर पॉप-अप आया कि वायरस है और तुरंत सपोर्ट को कॉल करें।",),
        stems=(
            "secure-help-desk",
            "pc-support",
            "defender-alert",
            "antivirus-renewal",
            "tech-care",
        ),
    ),
    Category(
        name="investment",
        india=0.6,
        kinds_in={K_IN: 25, K_URL: 20, K_DOMAIN: 10, K_BANK: 20, K_UPI: 10, K_WALLET: 10, K_US: 5},
        kinds_us={K_URL: 25, K_DOMAIN: 10, K_WALLET: 35, K_EMAIL: 15, K_US: 10, K_IN: 5},
        age_in=(45, 12),
        age_us=(55, 13),
        loss_in=(350_000, 1.3),
        loss_us=(30_000, 1.5),
        openers_en=(
            "I was added to a WhatsApp group giving stock market tips and told to invest "
            "through their trading app.",
            "Someone I met online showed me large profits on a crypto trading platform.",
            "The platform showed my investment growing but would not let me withdraw without "
            "paying a tax first.",
        ),
        openers_hi=(
            "मुझे व्हाट्सएप ग्रुप में जोड़ा गया जहाँ शेयर बाजार में निवेश पर भारी मुनाफे का वादा किया गया।",
        ),
        stems=("profit-trade", "stock-tips", "crypto-invest", "ipo-allot", "wealth-club"),
    ),
    Category(
        name="job-task",
        india=0.8,
        kinds_in={K_IN: 30, K_UPI: 25, K_BANK: 20, K_URL: 10, K_DOMAIN: 5, K_US: 5, K_WALLET: 5},
        kinds_us={K_US: 30, K_URL: 20, K_DOMAIN: 10, K_WALLET: 25, K_EMAIL: 15},
        age_in=(29, 7),
        age_us=(34, 10),
        loss_in=(70_000, 1.1),
        loss_us=(4_000, 1.2),
        openers_en=(
            "I was offered a part-time job liking YouTube videos and rating hotels for commission.",
            "After a few small payouts they asked me to prepay for premium tasks.",
            "I was recruited for a remote job reviewing products and had to deposit money to "
            "unlock tasks.",
        ),
        openers_hi=(
            "टेलीग्राम पर पार्ट टाइम जॉब का ऑफर मिला, पहले कुछ पैसे मिले फिर टास्क के लिए पैसे जमा करवाए।",
        ),
        stems=("task-earn", "job-portal", "work-home", "review-pay"),
    ),
)
"""Every scheme. India-only ones have ``india == 1.0``, US-only ones ``0.0``."""

CLOSINGS_EN = ("Please help me recover my money.", "I request strict action.", "", "")
CLOSINGS_HI = ("कृपया मेरी मदद करें।", "कृपया कार्रवाई करें।", "")

# Sentences naming an identifier ({x}) and sometimes an amount ({amt}), per kind.
SENTENCES_EN = {
    K_IN: (
        "They called me from {x}.",
        "The caller used the number {x}.",
        "I got a WhatsApp call from {x}.",
        "He told me to call back on {x}.",
    ),
    K_US: (
        "They called me from {x}.",
        "The caller ID showed {x}.",
        "I was told to call {x} right away.",
    ),
    K_UPI: ("I paid {amt} to the UPI ID {x}.", "The money went to {x} through UPI."),
    K_BANK: ("I transferred {amt} to {x}.", "They made me deposit {amt} in {x}."),
    K_DOMAIN: ("They asked me to visit {x} to continue.", "The website was {x} and looked real."),
    K_URL: ("They sent me a link {x} to update my details.", "I entered my details on {x} today."),
    K_EMAIL: ("They also emailed me from {x} with a notice.", "The invoice came from {x} by mail."),
    K_WALLET: (
        "I sent {amt} in USDT to {x} as told.",
        "They told me to deposit crypto at {x} to unlock my account.",
        "The wallet address they gave was {x} for the payment.",
    ),
}
SENTENCES_HI = {
    K_IN: (
        "मुझे {x} नंबर से कॉल आया।",
        "कॉल करने वाले का नंबर {x} था।",
        "उन्होंने {x} से व्हाट्सएप कॉल किया।",
    ),
    K_US: ("व्हाट्सएप पर {x} नंबर से मैसेज आया।",),
    K_UPI: ("मैंने यूपीआई आईडी {x} पर {amt} भेजे।",),
    K_BANK: ("मैंने {x} में {amt} ट्रांसफर किए।",),
    K_DOMAIN: ("वेबसाइट {x} पर जानकारी भरवाई गई।",),
    K_URL: ("उन्होंने एक लिंक {x} भेजा।",),
    K_EMAIL: ("ईमेल {x} से आया।",),
    K_WALLET: ("मैंने {x} वॉलेट में USDT भेजे।",),
}


# --------------------------------------------------------------------------------------------
# Encoders of wallet addresses.

_BECH32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_BECH32_GEN = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)
_BC_EXPANDED = [ord(c) >> 5 for c in "bc"] + [0] + [ord(c) & 31 for c in "bc"]


def _xor_all(values: Sequence[int]) -> int:
    out = 0
    for value in values:
        out ^= value
    return out


_BECH32_TOP = tuple(
    _xor_all([g for i, g in enumerate(_BECH32_GEN) if top >> i & 1]) for top in range(32)
)
"""For each value of the checksum's top five bits, the generator terms it brings in."""


def _bech32_checksum(values: list[int]) -> list[int]:
    """The six checksum characters' values of BIP-173's BCH code over ``values``."""
    chk = 1
    top = _BECH32_TOP
    for value in [*values, 0, 0, 0, 0, 0, 0]:
        chk = ((chk & 0x1FFFFFF) << 5) ^ value ^ top[chk >> 25]
    chk ^= 1  # bech32 (segwit version 0); bech32m would use 0x2BC830A3
    return [(chk >> 5 * (5 - i)) & 31 for i in range(6)]


def p2wpkh_address(program: bytes) -> str:
    """The bech32 segwit v0 address (``bc1q…``) of a 20-byte witness program (BIP-173)."""
    if len(program) != 20:
        raise ValueError("a P2WPKH program has 20 bytes")
    number = int.from_bytes(program, "big")
    data = [0] + [(number >> (155 - 5 * i)) & 31 for i in range(32)]
    return "bc1" + "".join(_BECH32[d] for d in data + _bech32_checksum(_BC_EXPANDED + data))


def eip55_address(hex40: str) -> str:
    """``0x`` and the EIP-55 mixed-case checksummed form of 40 hex digits."""
    from comity.intel.observables.keccak import keccak256  # Ethereum's Keccak, not SHA3

    lower = hex40.lower()
    digest = keccak256(lower.encode("ascii")).hex()
    return "0x" + "".join(
        ch.upper() if ch > "9" and digest[i] >= "8" else ch for i, ch in enumerate(lower)
    )


# --------------------------------------------------------------------------------------------
# Helpers.


def _cumulative(weights: Sequence[float]) -> list[float]:
    total = 0.0
    out = []
    for w in weights:
        total += w
        out.append(total)
    return [c / total for c in out]


def inr_grouped(amount: int) -> str:
    """Rupees grouped the Indian way: ``245000`` -> ``'2,45,000'``."""
    text = str(amount)
    if len(text) <= 3:
        return text
    head, tail = text[:-3], text[-3:]
    groups: list[str] = []
    while len(head) > 2:
        groups.insert(0, head[-2:])
        head = head[:-2]
    groups.insert(0, head)
    return ",".join(groups) + "," + tail


_B36 = "0123456789abcdefghijklmnopqrstuvwxyz"
_B36_PAIRS = [a + b for a in _B36 for b in _B36]


def _base36(number: int, width: int) -> str:
    """``number`` in ``width`` lower-case base-36 digits (zero-padded)."""
    out = ""
    for _ in range(width // 2):
        number, rest = divmod(number, 1296)
        out = _B36_PAIRS[rest] + out
    if width % 2:
        out = _B36[number % 36] + out
    return out


# --------------------------------------------------------------------------------------------
# Identifiers: created from serial numbers, written in the forms victims use.


class Factory:
    """Creates identifiers that are valid, distinct, and never shared between networks."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.serial = [0] * 10
        self.mobiles = Bijection(4 * 10**9, rng)
        self.us_geo = Bijection(len(US_AREA_CODES) * len(US_EXCHANGES) * 10**4, rng)
        self.us_free = Bijection(len(US_TOLL_FREE) * len(US_EXCHANGES) * 10**4, rng)
        self.tokens = Bijection(10**7, rng)
        self.domain_tokens = Bijection(36**5, rng)
        self.url_tokens = Bijection(36**6, rng)
        self.accounts = [Bijection(10**digits, rng) for _c, _w, _p, digits, _s in BANKS]
        self.bank_cum = _cumulative([w for _c, w, _p, _d, _s in BANKS])
        self.tld_cum = _cumulative([w for _t, w in TLDS])
        self.mail_cum = _cumulative([w for _d, w in FREE_MAIL])

    def _next(self, index: int) -> int:
        value = self.serial[index]
        self.serial[index] = value + 1
        return value

    def mobile(self) -> str:
        """A new Indian mobile number, ten digits (``6``-``9`` first)."""
        serial = self.serial[0]
        self.serial[0] = serial + 1
        return str(6_000_000_000 + self.mobiles(serial))

    def us_number(self, toll_free: bool) -> str:
        """A new US number, ten digits: a real area code (or toll-free), a valid exchange."""
        areas: tuple[int, ...]
        if toll_free:
            value, areas = self.us_free(self._next(2)), US_TOLL_FREE
        else:
            value, areas = self.us_geo(self._next(1)), US_AREA_CODES
        value, line = divmod(value, 10**4)
        area, exchange = divmod(value, len(US_EXCHANGES))
        return f"{areas[area]}{US_EXCHANGES[exchange]}{line:04d}"

    def token(self) -> str:
        """A new decimal token (no leading zeros): the unique tail of handles and names."""
        return str(self.tokens(self._next(3)))

    def upi(self) -> Ident:
        """A new UPI id: a mobile number or a name with a unique number, at a PSP."""
        r = self.rng.random
        psp = UPI_PSPS[int(r() * len(UPI_PSPS))]
        roll = r()
        if roll < 0.35:
            handle = self.mobile()
        elif roll < 0.75:
            first = FIRST_NAMES[int(r() * 20)]
            last = LAST_NAMES[int(r() * 16)]
            handle = f"{first}{'.' if r() < 0.5 else ''}{last}{self.token()}"
        else:
            word = DOMAIN_WORDS[int(r() * len(DOMAIN_WORDS))]
            handle = f"{word}.{EMAIL_ROLES[int(r() * len(EMAIL_ROLES))]}{self.token()}"
        return (K_UPI, handle, psp, "")

    def bank(self) -> Ident:
        """A new mule account: IFSC (bank, ``0``, branch) and a unique account number."""
        r = self.rng.random
        index = bisect.bisect_right(self.bank_cum, r())
        code, _w, prefix, digits, shape = BANKS[index]
        if shape == "p":
            branch = "123456"  # one IFSC for the whole payments bank
        elif shape == "a" and r() < 0.5:
            branch = "".join(chr(65 + int(r() * 26)) for _ in range(3)) + f"{int(r() * 999):03d}"
        else:
            branch = f"{int(r() * 99999) + 1:06d}"
        number = self.accounts[index](self._next(4))
        return (K_BANK, f"{code}0{branch}", f"{prefix}{number:0{digits}d}", "")

    def domain(self, stems: Sequence[str]) -> str:
        """A new scam domain: a stem, a unique token, a suffix (``cbi-verification-k2x9a.in``)."""
        r = self.rng.random
        roll = r()
        if roll < 0.6 and stems:
            stem = stems[int(r() * len(stems))]
        else:
            first = DOMAIN_WORDS[int(r() * len(DOMAIN_WORDS))]
            second = DOMAIN_WORDS[int(r() * len(DOMAIN_WORDS))]
            stem = f"{first}{'-' if roll < 0.8 else ''}{second}"
        token = _base36(self.domain_tokens(self._next(5)), 5)
        tld = TLDS[bisect.bisect_right(self.tld_cum, r())][0]
        return f"{stem}-{token}.{tld}"

    def url(self, host: str) -> Ident:
        """A new URL on ``host`` with a unique query token."""
        r = self.rng.random
        path = URL_PATHS[int(r() * len(URL_PATHS))]
        token = _base36(self.url_tokens(self._next(6)), 6)
        query = ("?id=", "?ref=", "?token=", "?case=")[int(r() * 4)]
        scheme = "https" if r() < 0.85 else "http"
        return (K_URL, scheme, host, f"{path}{query}{token}")

    def free_mail(self) -> Ident:
        """A new address at a free e-mail provider (the fraudster's own: an identifier)."""
        r = self.rng.random
        provider = FREE_MAIL[bisect.bisect_right(self.mail_cum, r())][0]
        first = FIRST_NAMES[int(r() * len(FIRST_NAMES))]
        roll = r()
        if roll < 0.5:
            local = f"{first}.{LAST_NAMES[int(r() * len(LAST_NAMES))]}{self.token()}"
        elif roll < 0.8:
            local = f"{first}{LAST_NAMES[int(r() * len(LAST_NAMES))]}{self.token()}"
        else:
            local = f"{DOMAIN_WORDS[int(r() * len(DOMAIN_WORDS))]}.{first}{self.token()}"
        return (K_EMAIL, local, provider, "")

    def wallet(self, country: str) -> Ident:
        """A new wallet: Bitcoin bech32 or base58, Ethereum (some EIP-55), Tron."""
        r = self.rng.random
        program = self.rng.getrandbits(160).to_bytes(20, "big")
        roll = r()
        if country == "IN":
            roll = 0.55 + roll * 0.45 if roll < 0.5 else roll  # more Tron (USDT) and ether
        if roll < 0.3:
            return (K_WALLET, "bech32", p2wpkh_address(program), "")
        if roll < 0.45:
            version = b"\x00" if r() < 0.7 else b"\x05"
            return (K_WALLET, "base58", base58.b58encode_check(version + program).decode(), "")
        if roll < 0.72:
            hex40 = program.hex()
            if r() < 0.15:  # checksummed (Keccak in pure Python is slow: not every time)
                return (K_WALLET, "eth", eip55_address(hex40), "")
            return (K_WALLET, "eth", "0x" + hex40, "")
        return (K_WALLET, "trx", base58.b58encode_check(b"\x41" + program).decode(), "")


def _mixed_case(text: str, r: Callable[[], float]) -> str:
    roll = r()
    if roll < 0.55:
        return text
    if roll < 0.7:
        return text.upper()
    if roll < 0.9:
        return ".".join(part[:1].upper() + part[1:] for part in text.split("."))
    return "".join(ch.upper() if r() < 0.5 else ch for ch in text)


def _defang_host(host: str) -> str:
    return host.replace(".", "[.]")


def render(ident: Ident, country: str, r: Callable[[], float], text: bool = False) -> str:
    """One written form of ``ident`` as a victim in ``country`` writes it; ``text``: for a
    narrative (e-mails defanged too, no ``upi://`` or ``bitcoin:`` links).

    ::

        render((K_IN, "9876543210", "", ""), "US", random.random)   # e.g. '011 91 98765 43210'
    """
    kind, a, b, c = ident
    roll = r()
    if kind == K_IN:
        x, y = a[:5], a[5:]
        if country == "IN":
            if roll < 0.25:
                return a
            if roll < 0.4:
                return f"+91 {x} {y}"
            if roll < 0.5:
                return f"+91{a}"
            if roll < 0.58:
                return f"+91-{x}-{y}"
            if roll < 0.66:
                return f"0{x} {y}"
            if roll < 0.72:
                return f"0{x}-{y}"
            if roll < 0.78:
                return f"0{a}"
            if roll < 0.85:
                return f"{x} {y}"
            if roll < 0.9:
                return f"0091 {x} {y}"
            if roll < 0.95:
                return f"91 {x} {y}"
            return f"+91 {a[:3]} {a[3:6]} {a[6:]}"
        if roll < 0.3:
            return f"+91 {x} {y}"
        if roll < 0.45:
            return f"+91{a}"
        if roll < 0.65:
            return f"011 91 {x} {y}"
        if roll < 0.75:
            return f"011-91-{a}"
        if roll < 0.85:
            return f"01191{a}"
        if roll < 0.93:
            return f"0091 {a}"
        return f"+91-{a}"
    if kind == K_US:
        x, y, z = a[:3], a[3:6], a[6:]
        if country == "US":
            if roll < 0.3:
                return f"({x}) {y}-{z}"
            if roll < 0.5:
                return f"{x}-{y}-{z}"
            if roll < 0.58:
                return f"{x}.{y}.{z}"
            if roll < 0.66:
                return a
            if roll < 0.78:
                return f"1-{x}-{y}-{z}"
            if roll < 0.86:
                return f"+1 {x} {y} {z}"
            if roll < 0.92:
                return f"+1 ({x}) {y}-{z}"
            return f"1 ({x}) {y}-{z}"
        if roll < 0.4:
            return f"+1 {x} {y} {z}"
        if roll < 0.6:
            return f"+1{a}"
        if roll < 0.8:
            return f"+1-{x}-{y}-{z}"
        return f"001 {x} {y} {z}"
    if kind == K_UPI:
        if not text and roll < 0.06:
            return f"upi://pay?pa={a}@{b}&pn=Merchant&cu=INR"
        if roll < 0.6:
            return f"{a}@{b}"
        if roll < 0.75:
            return f"{a}@{b.upper()}"
        return _mixed_case(a, r) + "@" + _mixed_case(b, r)
    if kind == K_BANK:
        ifsc, acc = a, b
        if r() < 0.03:
            ifsc = ifsc[:4] + "O" + ifsc[5:]  # the zero written as a letter O
        if text:
            if roll < 0.35:
                return f"A/c {acc} IFSC {ifsc}"
            if roll < 0.6:
                return f"A/c no. {acc}, IFSC {ifsc}"
            if roll < 0.8:
                return f"account number {acc} (IFSC {ifsc.lower()})"
            return f"IFSC {ifsc} A/c {acc}"
        if roll < 0.35:
            return f"{ifsc}:{acc}"
        if roll < 0.55:
            return f"{acc} ({ifsc})"
        if roll < 0.75:
            return f"A/c {acc} IFSC {ifsc.lower()}"
        if roll < 0.85:
            return f"{ifsc.lower()}:{acc}"
        if roll < 0.93:
            return f"A/c No. {acc}, IFSC: {ifsc}"
        return f"IFSC {ifsc} A/c {acc}"
    if kind == K_DOMAIN:
        if roll < 0.4:
            return a
        if roll < 0.75:
            return _defang_host(a)
        if roll < 0.85:
            return a.upper()
        return _defang_host(_mixed_case(a, r))
    if kind == K_URL:
        if roll < 0.4:
            return f"{a}://{b}{c}"
        if roll < 0.75:
            return f"{a.replace('tt', 'xx')}://{_defang_host(b)}{c}"
        if roll < 0.85:
            return f"{a}://{b.upper()}{c}"
        if roll < 0.92:
            return f"{a.replace('tt', 'XX')}://{_defang_host(b)}{c}"
        return f"{a}://{b}{c}".replace(".", "[.]", 1)
    if kind == K_EMAIL:
        address = _mixed_case(a, r) + "@" + (b if r() < 0.6 else _mixed_case(b, r))
        if text and roll < 0.35:
            return address.replace("@", "[at]").replace(".", "[.]")
        if text and roll < 0.45:
            return address.replace("@", "(at)")
        return address
    # K_WALLET
    if a == "bech32":
        if roll < 0.7:
            return b
        if roll < 0.85:
            return b.upper()
        return b if text else f"bitcoin:{b}"
    if a == "base58":
        return b if text or roll < 0.85 else f"bitcoin:{b}"
    if a == "eth":
        if roll < 0.75:
            return b
        if roll < 0.9:
            return "0x" + b[2:].upper() if b[2:] == b[2:].lower() else b
        return b if text else f"ethereum:{b}"
    return b if text or roll < 0.9 else f"tron:{b}"


# --------------------------------------------------------------------------------------------
# Networks and the stream of complaints.


TABLE = 4096
"""Size of the lookup tables that replace weighted and normal draws (one ``random()`` each)."""
_NORMAL = tuple(NormalDist().inv_cdf((i + 0.5) / TABLE) for i in range(TABLE))

Victim = tuple[str, str, "int | None"]
LossEntry = tuple[str, str, float]


def _weighted_table(items: Sequence[Any], weights: Sequence[float], size: int) -> list[Any]:
    """``size`` entries, each item as often as its weight: a uniform index draws by weight."""
    cum = _cumulative(weights)
    return [items[bisect.bisect_right(cum, (i + 0.5) / size)] for i in range(size)]


class _Scheme:
    """A :class:`Category` prepared for drawing: lookup tables per country."""

    __slots__ = (
        "category",
        "frames_en",
        "frames_hi",
        "india",
        "kinds",
        "losses",
        "name",
        "stems",
        "toll_free",
        "victims",
    )

    def __init__(
        self,
        category: Category,
        knobs: Knobs,
        rng: random.Random,
        regions: dict[str, list[str]],
    ) -> None:
        self.category = category
        self.name = category.name
        self.india = category.india
        self.stems = category.stems
        # (opener, closing) pairs: the sentence a narrative starts with and the one it ends with
        openers_hi = category.openers_hi or category.openers_en
        closings_hi = CLOSINGS_HI if category.openers_hi else CLOSINGS_EN
        self.frames_en = [
            (o, f" {c}" if c else "") for o in category.openers_en for c in CLOSINGS_EN
        ]
        self.frames_hi = [(o, f" {c}" if c else "") for o in openers_hi for c in closings_hi]
        self.toll_free = category.name in ("tech-support", "refund")
        self.kinds: dict[tuple[str, bool], list[int]] = {}
        self.losses: dict[str, list[LossEntry]] = {}
        self.victims: dict[str, list[tuple[str, int | None]]] = {}
        for country, table in (("IN", category.kinds_in), ("US", category.kinds_us)):
            if not table:
                continue
            kinds = sorted(table)
            anchors = [kind for kind in kinds if kind not in INDIA_ONLY_KINDS]
            self.kinds[country, False] = _weighted_table(kinds, [table[k] for k in kinds], 256)
            self.kinds[country, True] = _weighted_table(anchors, [table[k] for k in anchors], 256)
            mean, sd = category.age_in if country == "IN" else category.age_us
            ages: list[int | None] = [min(max(int(mean + sd * z), 14), 95) for z in _NORMAL]
            for i in rng.sample(range(TABLE), TABLE * 8 // 100):
                ages[i] = None  # age not given
            # (region, age) of a new victim, drawn independently, in one lookup
            shuffled = rng.sample(ages, TABLE)
            self.victims[country] = list(zip(regions[country], shuffled, strict=True))
            self.losses[country] = self._losses(country, knobs, rng)

    def _losses(self, country: str, knobs: Knobs, rng: random.Random) -> list[LossEntry]:
        median, sigma = self.category.loss_in if country == "IN" else self.category.loss_us
        out: list[LossEntry] = []
        for z in _NORMAL:
            value = median * math.exp(sigma * z)
            roll = rng.random()
            if country == "IN":
                value = max(value, 500.0)
                if roll < 0.6:
                    text = str(round(value / 500) * 500)
                elif roll < 0.9:
                    text = str(int(value))
                else:
                    text = f"{value:.2f}"
                out.append((text, "INR", value))
            else:
                value = max(value, 20.0)
                text = f"{round(value / 50) * 50}.00" if roll < 0.5 else f"{value:.2f}"
                out.append((text, "USD", value))
        for i in rng.sample(range(TABLE), int(TABLE * knobs.no_loss_share)):
            out[i] = ("", "", 0.0)  # an attempt, or no loss reported
        return out


class _Network:
    __slots__ = (
        "domains",
        "email_count",
        "emitted",
        "end",
        "label",
        "remaining",
        "scheme",
        "serial",
        "used",
        "used_both",
        "victims",
    )

    def __init__(self, serial: int, scheme: _Scheme, size: int, end: float) -> None:
        self.serial = serial
        self.label = f"net-{serial:07d}"
        self.scheme = scheme
        self.remaining = size
        self.end = end
        self.used: list[Ident] = []
        self.used_both: list[Ident] = []  # the identifiers US victims can also report
        self.domains: list[str] = []
        self.email_count: dict[str, int] = {}
        self.victims: list[Victim] = []
        self.emitted = 0


class Generator:
    """The stream of complaints for ``knobs``: :meth:`chunks` yields rows and labels.

    Rows are tuples in :data:`FIELDS` order; the multi-valued fields are ``;``-joined strings
    (:func:`split_lists` turns a row's into lists). Stream state only: memory stays bounded.
    """

    def __init__(self, knobs: Knobs) -> None:
        if knobs.count < 0:
            raise ValueError("count must be >= 0")
        self.knobs = knobs
        self.rng = random.Random(knobs.seed)
        self.factory = Factory(self.rng)
        self.stats = Stats()
        self.regions: dict[str, list[str]] = {}
        for country, table in (("IN", IN_REGIONS), ("US", US_REGIONS)):
            regions = _weighted_table([n for n, _w in table], [w for _n, w in table], TABLE)
            for i in self.rng.sample(range(TABLE), TABLE * 4 // 100):
                regions[i] = ""  # region not given
            self.rng.shuffle(regions)
            self.regions[country] = regions
        self._setup_schemes()
        self._setup_sizes()
        self._setup_days()
        self.victim_pool: dict[str, list[Victim]] = {"IN": [], "US": []}
        self.victim_serial = 0
        self.network_serial = 0

    # -- setup ------------------------------------------------------------------------------

    def _setup_schemes(self) -> None:
        k = self.knobs
        schemes = [_Scheme(c, k, self.rng, self.regions) for c in CATEGORIES]
        india_only = [s for s in schemes if s.india == 1.0]
        us_only = [s for s in schemes if s.india == 0.0]
        mixed = [s for s in schemes if 0.0 < s.india < 1.0]
        m = k.cross_border_share
        mixed_india = sum(s.india for s in mixed) / len(mixed)
        x = min(max(k.india_share - m * mixed_india, 0.0), 1.0 - m)  # India-only weight
        y = max(1.0 - m - x, 0.0)
        weights = (
            [x / len(india_only)] * len(india_only)
            + [y / len(us_only)] * len(us_only)
            + [m / len(mixed)] * len(mixed)
        )
        self.schemes = india_only + us_only + mixed
        self.scheme_table: list[_Scheme] = _weighted_table(self.schemes, weights, TABLE)

    def _setup_sizes(self) -> None:
        k = self.knobs
        self.max_size = max(2, min(k.max_network_size, k.count // 20 or 2))
        alpha = k.size_exponent
        # E[min(S, cap)] for S = floor(2 U^(-1/alpha)): P(S >= j) = (2/j)^alpha for j >= 2.
        mean_multi = 1 + sum((2 / j) ** alpha for j in range(2, self.max_size + 1))
        share = k.singleton_share
        # A share q of networks are singletons: q / (q + (1 - q) mean) = share.
        q = share * mean_multi / (1 - share + share * mean_multi) if share < 1 else 1.0
        self.p_singleton = q
        self.mean_size = q + (1 - q) * mean_multi
        self.span_days = (date(k.start_year + k.years, 1, 1) - date(k.start_year, 1, 1)).days

    def _setup_days(self) -> None:
        k = self.knobs
        first = date(k.start_year, 1, 1)
        self.days = [
            ((first + timedelta(days=i)).isoformat(), (first + timedelta(days=i)).year)
            for i in range(self.span_days)
        ]
        g = math.log(k.growth) * k.years if k.growth > 0 and k.growth != 1 else 0.0
        self.growth_g = g
        self.growth_scale = math.expm1(g) if g else 1.0

    def _date(self, index: int) -> tuple[str, int, int]:
        """The date of the ``index``-th complaint, its year, and the index of the next day's
        first complaint (the volume grows by ``growth`` a year)."""
        n = max(self.knobs.count, 1)
        g, scale, span = self.growth_g, self.growth_scale, self.span_days
        u = (index + 0.5) / n
        t = math.log1p(u * scale) / g if g else u
        day = min(int(t * span), span - 1)
        # u at which day + 1 starts, then the first index at or after it
        u_next = math.expm1(g * (day + 1) / span) / scale if g else (day + 1) / span
        next_index = max(index + 1, math.ceil(u_next * n - 0.5))
        received, year = self.days[day]
        return received, year, next_index

    # -- networks and identifiers -----------------------------------------------------------

    def _new_network(self) -> _Network:
        r = self.rng.random
        self.network_serial += 1
        scheme = self.scheme_table[int(r() * TABLE)]
        if r() < self.p_singleton:
            return _Network(self.network_serial, scheme, 1, 0.0)
        size = min(int(2 * (1.0 - r()) ** (-1 / self.knobs.size_exponent)), self.max_size)
        days = 20 * math.sqrt(size) * math.exp(0.5 * _NORMAL[int(r() * TABLE)])
        length = min(days, self.span_days) / self.span_days * self.knobs.count
        return _Network(self.network_serial, scheme, size, length)

    def _new_ident(self, net: _Network, country: str, anchor: bool) -> Ident:
        r = self.rng.random
        scheme = net.scheme
        kind = scheme.kinds[country, anchor][int(r() * 256)]
        f = self.factory
        if kind == K_IN:
            ident: Ident = (K_IN, f.mobile(), "", "")
        elif kind == K_US:
            ident = (K_US, f.us_number(scheme.toll_free and r() < 0.6), "", "")
        elif kind == K_UPI:
            ident = f.upi()
        elif kind == K_BANK:
            ident = f.bank()
        elif kind in (K_DOMAIN, K_URL):
            if not net.domains or r() < 0.3:
                net.domains.append(f.domain(scheme.stems))
            host = net.domains[int(r() * len(net.domains))]
            if kind == K_DOMAIN:
                ident = (K_DOMAIN, host, "", "")
            else:
                if r() < 0.2:
                    host = ("login.", "secure.", "www.", "app.")[int(r() * 4)] + host
                ident = f.url(host)
        elif kind == K_EMAIL:
            if net.domains and r() < 0.5:
                host = net.domains[int(r() * len(net.domains))]
                n = net.email_count.get(host, 0)
                net.email_count[host] = n + 1
                role = EMAIL_ROLES[int(r() * len(EMAIL_ROLES))]
                ident = (K_EMAIL, role if n == 0 else f"{role}{n + 1}", host, "")
            else:
                ident = f.free_mail()
        else:
            ident = f.wallet(country)
        net.used.append(ident)
        if kind not in INDIA_ONLY_KINDS:
            net.used_both.append(ident)
        return ident

    # -- victims and narratives -------------------------------------------------------------

    def _repeat_victim(self, net: _Network, country: str) -> Victim | None:
        """A victim complaining again: about the same network, or another (a recovery scam)."""
        r = self.rng.random
        own = [v for v in net.victims if v[0].startswith(country)]
        if own and r() < 0.6:
            return own[int(r() * len(own))]
        pool = self.victim_pool[country]
        return pool[int(r() * len(pool))] if pool else None

    def _register_victim(self, net: _Network, country: str, region: str, age: int | None) -> str:
        """Give a victim an id (and remember them: they may complain again)."""
        self.victim_serial += 1
        victim_id = f"{country}-V{self.victim_serial:08d}"
        entry = (victim_id, region, age)
        pool = self.victim_pool[country]
        if len(pool) < 4096:
            pool.append(entry)
        else:
            pool[int(self.rng.random() * 4096)] = entry
        if len(net.victims) < 8:
            net.victims.append(entry)
        return victim_id

    def _amount_text(self, value: float, country: str, parts: int, hindi: bool) -> str:
        r = self.rng.random
        share = value / parts if value else 0.0
        if country == "IN":
            # Multiples of 500: a group such as ",100" would read as a short code (IN:100).
            text = inr_grouped(max(int(share / 500), 1) * 500)
            if hindi:
                if r() < 0.3:
                    text = text.translate(DEVANAGARI_DIGITS)
                return f"{text} रुपये" if r() < 0.5 else f"रु. {text}"
            return ("₹", "Rs. ", "Rs ", "INR ")[int(r() * 4)] + text
        return f"${max(int(share / 500), 1) * 500:,}"

    def _narrative(self, scheme: _Scheme, country: str, mentions: list[Ident], loss: float) -> str:
        r = self.rng.random
        hindi = country == "IN" and r() < self.knobs.hindi_share
        frames = scheme.frames_hi if hindi else scheme.frames_en
        opener, closing = frames[int(r() * len(frames))]
        roll = r()
        hub_share = self.knobs.hub_share
        if not mentions and roll >= hub_share:
            return opener + closing
        parts = [opener]
        if mentions:
            sentences = SENTENCES_HI if hindi else SENTENCES_EN
            payments = 0
            for ident in mentions:
                choices = sentences[ident[0]]
                template = choices[int(r() * len(choices))]
                written = render(ident, country, r, text=True)
                if hindi and ident[0] <= K_US and r() < 0.4:
                    written = written.translate(DEVANAGARI_DIGITS)
                if "{amt}" in template:
                    if not payments:
                        payments = sum(1 for m in mentions if m[0] in PAYMENT_KINDS)
                    amount = self._amount_text(loss, country, payments, hindi)
                    parts.append(template.format(x=written, amt=amount))
                else:
                    parts.append(template.format(x=written))
        if roll < hub_share:
            hubs = HUB_SENTENCES[country, hindi]
            parts.append(hubs[int(roll / hub_share * len(hubs))])
        return " ".join(parts) + closing

    # -- the stream -------------------------------------------------------------------------

    def chunks(self, size: int = 20_000) -> Iterator[tuple[list[tuple[Any, ...]], list[str]]]:
        """Rows and each row's network label, ``size`` rows at a time, in received order."""
        k = self.knobs
        total = k.count
        rng = self.rng
        r = rng.random
        expo = rng.expovariate
        rate = 1.0 / self.mean_size
        heap: list[tuple[float, int, _Network]] = []
        push, pop = heapq.heappush, heapq.heappop
        new_ident, narrative, fmt = self._new_ident, self._narrative, render
        kind_field = KIND_FIELD
        only_text = k.narrative_only_share
        also_text = only_text + 0.2
        repeat_share = k.repeat_victim_share
        id_share = repeat_share + (1 - repeat_share) * 0.15
        schemes = self.scheme_table
        hub_urls = {"IN": HUB_URLS_IN, "US": HUB_URLS_US}
        hub_phones = {"IN": HUB_PHONES_IN, "US": HUB_PHONES_US}
        stats = self.stats
        rows: list[tuple[Any, ...]] = []
        labels: list[str] = []
        next_arrival = 0.0
        emitted = 0
        next_day = 0
        received, year = "", 0
        serials = {"IN": 0, "US": 0}
        prefixes = {"IN": "", "US": ""}
        while emitted < total:
            while not heap or next_arrival <= heap[0][0]:
                net = self._new_network()
                net.end += next_arrival
                push(heap, (next_arrival, net.serial, net))
                next_arrival += expo(rate)
            pos, serial, net = pop(heap)
            scheme = net.scheme
            india = scheme.india
            if india == 1.0:
                country = "IN"
            elif india == 0.0:
                country = "US"
            else:
                country = "IN" if r() < india else "US"
            if emitted >= next_day:
                received, new_year, next_day = self._date(emitted)
                if new_year != year:
                    year, serials = new_year, {"IN": 0, "US": 0}
                    prefixes = {"IN": f"NCRP-{year}-", "US": f"IC3-{year}-"}
            number = serials[country] + 1
            serials[country] = number
            complaint_id = f"{prefixes[country]}{number:07d}"

            category = scheme.name
            roll = r()
            has_narrative = roll >= 0.03  # a few complaints have no narrative
            if roll < 0.08 and has_narrative:  # nor are all filed under the scheme's heading
                other = schemes[int(r() * TABLE)]
                if (country == "IN" and other.india > 0) or (country == "US" and other.india < 1):
                    category = other.name
            roll = r()
            victim = self._repeat_victim(net, country) if roll < repeat_share else None
            if victim is None:
                region, age = scheme.victims[country][int(r() * TABLE)]
                victim_id = ""
                if roll < id_share:
                    victim_id = self._register_victim(net, country, region, age)
            else:
                victim_id, region, age = victim
            loss_text, currency, loss = scheme.losses[country][int(r() * TABLE)]

            # Identifiers: the first links to an earlier complaint of the network.
            roll = r()
            count = 1 if roll < 0.3 else 2 if roll < 0.65 else 3 if roll < 0.87 else 4
            if roll > 0.97:
                count = 5
            pool = net.used if country == "IN" else net.used_both
            cut = only_text if has_narrative else -1.0
            values = ["", "", "", "", "", ""]
            mentions: list[Ident] = []
            chosen: list[Ident] = []
            for i in range(count):
                n = len(pool)
                if n and (i == 0 or r() < 0.6):
                    if n > 8 and r() < 0.5:
                        ident = pool[n - 1 - int(r() * 8)]  # recent: numbers and accounts rotate
                    else:
                        ident = pool[int(r() * n)]
                    if i and ident in chosen:
                        continue
                else:
                    ident = new_ident(net, country, i == 0)
                chosen.append(ident)
                roll = r()
                if roll < cut:
                    mentions.append(ident)  # only in the narrative
                    continue
                f = kind_field[ident[0]]
                written = fmt(ident, country, r)
                values[f] = f"{values[f]};{written}" if values[f] else written
                if has_narrative and roll < also_text:
                    mentions.append(ident)
            roll = r()
            if roll < 0.03:  # a brand's or reporting portal's site in the url field
                site = hub_urls[country][int(r() * len(hub_urls[country]))]
                values[2] = f"{values[2]};{site}" if values[2] else site
            elif roll < 0.04:  # the helpline or bank the victim called, in the phones field
                called = hub_phones[country][int(r() * 6)][0]
                values[0] = f"{values[0]};{called}" if values[0] else called
            text = narrative(scheme, country, mentions, loss) if has_narrative else ""
            rows.append(
                (
                    complaint_id,
                    country,
                    received,
                    region,
                    age,
                    loss_text,
                    currency,
                    category,
                    text,
                    *values,
                    victim_id,
                )
            )
            labels.append(net.label)
            emitted += 1
            net.emitted += 1
            remaining = net.remaining - 1
            net.remaining = remaining
            if remaining:
                # The earliest of the remaining complaints, spread uniformly over the window.
                pos += (net.end - pos) * (1.0 - r() ** (1.0 / remaining))
                push(heap, (pos, serial, net))
            else:  # the network's last complaint
                stats.networks += 1
                if net.emitted == 1:
                    stats.singletons += 1
                if net.emitted > stats.largest:
                    stats.largest = net.emitted
            if len(rows) >= size:
                yield rows, labels
                rows, labels = [], []
        for _pos, _serial, net in heap:
            if net.emitted:
                self._retire(net)
        if rows:
            yield rows, labels

    def _retire(self, net: _Network) -> None:
        stats = self.stats
        stats.networks += 1
        if net.emitted == 1:
            stats.singletons += 1
        stats.largest = max(stats.largest, net.emitted)


def split_lists(row: tuple[Any, ...]) -> tuple[Any, ...]:
    """``row`` with its multi-valued fields as lists of strings (empty lists when absent)."""
    first, last = _FIRST_LIST, _FIRST_LIST + len(LIST_FIELDS)
    return (
        *row[:first],
        *(value.split(";") if value else [] for value in row[first:last]),
        *row[last:],
    )


# --------------------------------------------------------------------------------------------
# Writers.


def csv_lines(rows: list[tuple[Any, ...]]) -> str:
    """``rows`` as CSV lines (RFC 4180: CRLF line ends, the narrative always quoted).

    Faster than the csv module, which scans every character of every field: what is written
    here holds no quote or line break outside the narrative, and a comma only in the bank
    accounts (``A/c No. …, IFSC …``), which are quoted then.
    """
    lines = []
    for row in rows:
        cid, country, day, region, age, loss, cur, cat, text, ph, em, ur, ba, up, cw, vid = row
        if '"' in text:
            text = text.replace('"', '""')
        if "," in ba:
            ba = f'"{ba}"'
        age_text = "" if age is None else age
        lines.append(
            f"{cid},{country},{day},{region},{age_text},{loss},{cur},{cat},"
            f'"{text}",{ph},{em},{ur},{ba},{up},{cw},{vid}\r\n'
        )
    return "".join(lines)


def _json_line(row: tuple[Any, ...]) -> bytes:
    # Empty values are left out, as in docs/complaints.md (ages are never 0 here).
    pairs = zip(FIELDS, split_lists(row), strict=True)
    return orjson.dumps({name: value for name, value in pairs if value})


def parquet_schema() -> Any:
    """The Arrow schema of the Parquet files: strings, an int16 age, lists of strings."""
    import pyarrow as pa

    columns = []
    for name in FIELDS:
        if name in LIST_FIELDS:
            columns.append(pa.field(name, pa.list_(pa.string())))
        elif name == "victim_age":
            columns.append(pa.field(name, pa.int16()))
        else:
            columns.append(pa.field(name, pa.string(), nullable=name != "complaint_id"))
    return pa.schema(columns)


def _write_parquet(path: Path, chunks: Iterator[list[tuple[Any, ...]]]) -> None:
    """One row group per chunk; empty values and lists are nulls."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = parquet_schema()
    first, last = _FIRST_LIST, _FIRST_LIST + len(LIST_FIELDS)
    with pq.ParquetWriter(path, schema, compression="zstd") as writer:
        for rows in chunks:
            arrays = []
            for i, (name, column) in enumerate(zip(FIELDS, zip(*rows, strict=True), strict=True)):
                if first <= i < last:
                    values: list[Any] = [v.split(";") if v else None for v in column]
                elif name == "victim_age":
                    values = list(column)
                else:
                    values = [v or None for v in column]
                arrays.append(pa.array(values, type=schema.field(name).type))
            writer.write_table(pa.Table.from_arrays(arrays, schema=schema))


def write(knobs: Knobs, out_dir: Path, fmt: str = "csv", chunk_size: int | None = None) -> Stats:
    """Write ``complaints.<fmt>`` and ``labels.csv`` into ``out_dir``; return what was written.

    Rows are generated and written ``chunk_size`` at a time (20,000; 50,000 for Parquet,
    one row group each); the output does not depend on the chunk size.

    ::

        stats = write(Knobs(count=1000, seed=1), Path("/tmp/c"), "jsonl")
        stats.complaints, stats.networks       # (1000, ...)
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r} (one of {', '.join(FORMATS)})")
    started = time.perf_counter()
    out_dir.mkdir(parents=True, exist_ok=True)
    generator = Generator(knobs)
    if chunk_size is None:
        chunk_size = 50_000 if fmt == "parquet" else 20_000
    path = out_dir / f"complaints.{fmt}"
    label_path = out_dir / "labels.csv"
    by_country: Counter[str] = Counter({"IN": 0, "US": 0})

    with label_path.open("w", encoding="utf-8", newline="") as label_file:
        label_file.write("complaint_id,network\r\n")

        def tee() -> Iterator[list[tuple[Any, ...]]]:
            for rows, labels in generator.chunks(chunk_size):
                label_file.write(
                    "".join(
                        [f"{row[0]},{label}\r\n" for row, label in zip(rows, labels, strict=True)]
                    )
                )
                by_country.update(map(itemgetter(1), rows))
                yield rows

        if fmt == "csv":
            with path.open("w", encoding="utf-8", newline="") as out:
                out.write(",".join(FIELDS) + "\r\n")
                for rows in tee():
                    out.write(csv_lines(rows))
        elif fmt == "jsonl":
            with path.open("wb") as binary:
                for rows in tee():
                    binary.write(b"\n".join(map(_json_line, rows)) + b"\n")
        else:
            _write_parquet(path, tee())
    stats = generator.stats
    stats.complaints = sum(by_country.values())
    stats.by_country = dict(by_country)
    stats.seconds = time.perf_counter() - started
    return stats


def main(argv: Sequence[str] | None = None) -> int:
    """The command line: ``--count N --out DIR [--format csv|jsonl|parquet] [--seed S]``."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0] if __doc__ else "")
    parser.add_argument("--count", type=int, required=True, help="how many complaints")
    parser.add_argument("--out", type=Path, required=True, help="output folder")
    parser.add_argument("--format", choices=FORMATS, default="csv")
    parser.add_argument("--seed", type=int, default=Knobs.seed)
    args = parser.parse_args(argv)
    stats = write(Knobs(count=args.count, seed=args.seed), args.out, args.format)
    rate = stats.complaints / stats.seconds if stats.seconds else 0.0
    print(
        f"wrote {stats.complaints:,} complaints (IN {stats.by_country['IN']:,}, "
        f"US {stats.by_country['US']:,}; {stats.networks:,} networks, {stats.singletons:,} "
        f"singletons, largest {stats.largest:,}) to {args.out / ('complaints.' + args.format)} "
        f"and labels.csv in {stats.seconds:.1f} s ({rate:,.0f}/s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
