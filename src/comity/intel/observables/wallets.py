"""``cryptocurrency-wallet``: Bitcoin, Ethereum (and EVM chains), Tron; checksums verified.

The canonical value is the address prefixed with its chain, so addresses of different chains
never collide and the chain is visible without parsing:

============  =====================================================  ==========================
chain prefix  address forms                                          canonical address
============  =====================================================  ==========================
``btc:``      P2PKH ``1…`` / P2SH ``3…`` (base58check, version 0/5);  base58 as written
              segwit ``bc1…`` (bech32 for v0, bech32m for v1+:        (case-sensitive); bech32
              Taproot ``bc1p…``; BIP-173/BIP-350)                     lower case
``eth:``      ``0x`` + 40 hex digits; mixed case must match EIP-55    EIP-55 checksummed
``trx:``      ``T…`` base58check, version byte ``0x41``               base58 as written
============  =====================================================  ==========================

An EVM address is the same on Ethereum, BNB Chain, Polygon…; the text cannot tell them apart,
so all are ``eth:``. Testnet addresses are flagged invalid. Examples::

    normalize("cryptocurrency-wallet", "BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4").value
    #  'btc:bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4'
    normalize("cryptocurrency-wallet", "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed").value
    #  'eth:0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed'
    normalize("cryptocurrency-wallet", "bitcoin:1BoatSLRHtKNngkdXEeobR76b53LETtpyT?amount=1")
    #  value 'btc:1BoatSLRHtKNngkdXEeobR76b53LETtpyT'
"""

from __future__ import annotations

import re
from functools import lru_cache

import base58

from comity.intel.observables.keccak import keccak256
from comity.intel.observables.registry import REGISTRY
from comity.intel.observables.text import clean

BECH32_CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_BECH32_VALUES = {ch: i for i, ch in enumerate(BECH32_CHARSET)}
_BECH32_GENERATOR = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)
BECH32_CONST = 1
BECH32M_CONST = 0x2BC830A3

_PREFIXES = {
    "btc": "btc",
    "bitcoin": "btc",
    "eth": "eth",
    "ethereum": "eth",
    "trx": "trx",
    "tron": "trx",
}
_PREFIX = re.compile(r"([A-Za-z]{3,8}):")
_HEX40 = re.compile(r"0[xX][0-9a-fA-F]{40}")
_BASE58 = re.compile(r"[1-9A-HJ-NP-Za-km-z]+")


def _generator_table() -> tuple[int, ...]:
    table = []
    for top in range(32):
        value = 0
        for i in range(5):
            if (top >> i) & 1:
                value ^= _BECH32_GENERATOR[i]
        table.append(value)
    return tuple(table)


_GENERATOR_TABLE = _generator_table()
"""The XOR of the generator terms for each value of the checksum's top five bits."""


def _polymod(values: list[int]) -> int:
    checksum = 1
    table = _GENERATOR_TABLE
    for value in values:
        checksum = ((checksum & 0x1FFFFFF) << 5) ^ value ^ table[checksum >> 25]
    return checksum


def _hrp_expand(hrp: str) -> list[int]:
    return [ord(ch) >> 5 for ch in hrp] + [0] + [ord(ch) & 31 for ch in hrp]


def bech32_decode(text: str) -> tuple[str, list[int], int] | None:
    """Decode a bech32 or bech32m string: ``(hrp, data, constant)``, ``None`` when invalid.

    ``constant`` is :data:`BECH32_CONST` or :data:`BECH32M_CONST`, whichever checksum matched::

        hrp, data, constant = bech32_decode("bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4")
    """
    if not (text.isascii() and text.isprintable()) or " " in text:
        return None  # characters 33 to 126 only
    if text.lower() != text and text.upper() != text:
        return None  # mixed case
    text = text.lower()
    sep = text.rfind("1")
    if sep < 1 or sep + 7 > len(text) or len(text) > 90:
        return None
    hrp = text[:sep]
    try:
        data = [_BECH32_VALUES[ch] for ch in text[sep + 1 :]]
    except KeyError:
        return None
    constant = _polymod(_hrp_expand(hrp) + data)
    if constant not in (BECH32_CONST, BECH32M_CONST):
        return None
    return hrp, data[:-6], constant


def _convert_bits(data: list[int], from_bits: int, to_bits: int) -> list[int] | None:
    """Regroup 5-bit groups into bytes, refusing non-zero padding or more than 4 bits of it."""
    acc = bits = 0
    out: list[int] = []
    maxv = (1 << to_bits) - 1
    for value in data:
        acc = (acc << from_bits) | value
        bits += from_bits
        while bits >= to_bits:
            bits -= to_bits
            out.append((acc >> bits) & maxv)
    if bits >= from_bits or ((acc << (to_bits - bits)) & maxv):
        return None
    return out


def decode_segwit(hrp: str, address: str) -> tuple[int, bytes] | None:
    """Decode a segwit address for ``hrp`` (``bc``, ``tb``): ``(version, program)`` or ``None``.

    Follows BIP-173 and BIP-350: version 0 needs a bech32 checksum and a 20- or 32-byte
    program, versions 1 to 16 a bech32m checksum and 2 to 40 bytes::

        decode_segwit("bc", "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0")
        #  (1, b'y\xbef~...')  -- Taproot
    """
    decoded = bech32_decode(address)
    if decoded is None or decoded[0] != hrp or not decoded[1]:
        return None
    _hrp, data, constant = decoded
    version = data[0]
    if version > 16:
        return None
    program = _convert_bits(data[1:], 5, 8)
    if program is None or not 2 <= len(program) <= 40:
        return None
    if version == 0 and len(program) not in (20, 32):
        return None
    if (version == 0) != (constant == BECH32_CONST):
        return None
    return version, bytes(program)


def bech32_encode(hrp: str, data: list[int], constant: int) -> str:
    """Encode 5-bit ``data`` under ``hrp`` with a bech32 or bech32m checksum (``constant``).

    ::

        bech32_encode("a", [], BECH32M_CONST)   # 'a1lqfn3a'
    """
    values = _hrp_expand(hrp) + data
    polymod = _polymod([*values, 0, 0, 0, 0, 0, 0]) ^ constant
    checksum = [(polymod >> 5 * (5 - i)) & 31 for i in range(6)]
    return hrp + "1" + "".join(BECH32_CHARSET[d] for d in data + checksum)


def encode_segwit(hrp: str, version: int, program: bytes) -> str:
    """The segwit address of a witness ``program`` (bech32 for version 0, else bech32m)::

    encode_segwit("bc", 1, bytes(32))   # a Taproot address, 'bc1p…'
    """
    data = [version, *_regroup(list(program))]
    return bech32_encode(hrp, data, BECH32_CONST if version == 0 else BECH32M_CONST)


def _regroup(data: list[int]) -> list[int]:
    """Bytes to 5-bit groups, zero-padded."""
    acc = bits = 0
    out: list[int] = []
    for value in data:
        acc = (acc << 8) | value
        bits += 8
        while bits >= 5:
            bits -= 5
            out.append((acc >> bits) & 31)
    if bits:
        out.append((acc << (5 - bits)) & 31)
    return out


def eip55(hex40: str) -> str:
    """The EIP-55 checksummed form of a 40-hex-digit Ethereum address (without ``0x``).

    ::

        eip55("5aaeb6053f3e94c9b9a09f33669435e7ef1beaed")
        #  '5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed'
    """
    return _eip55(hex40.lower())


@lru_cache(maxsize=1 << 14)
def _eip55(lower: str) -> str:
    digest = keccak256(lower.encode("ascii")).hex()
    return "".join(
        ch.upper() if ch.isalpha() and int(digest[i], 16) >= 8 else ch for i, ch in enumerate(lower)
    )


def _base58check(address: str) -> bytes | None:
    if not _BASE58.fullmatch(address):
        return None
    try:
        return base58.b58decode_check(address)
    except ValueError:
        return None


def _bitcoin_base58(address: str) -> str | None:
    payload = _base58check(address)
    if payload is None:
        return "the base58check checksum does not match"
    if len(payload) != 21:
        return "a Bitcoin address holds 21 bytes"
    if payload[0] in (0x6F, 0xC4):
        return "a Bitcoin testnet address"
    if payload[0] not in (0x00, 0x05):
        return "not a Bitcoin P2PKH or P2SH version byte"
    return None


def _wallet(text: str) -> tuple[str, str, str | None]:
    """``(chain, address, reason)`` for an address without prefix."""
    if _HEX40.fullmatch(text):
        body = text[2:]
        checksummed = eip55(body)
        mixed = body.lower() != body and body.upper() != body
        if mixed and body != checksummed:
            return "eth", text, "the EIP-55 checksum (mixed case) does not match"
        return "eth", "0x" + checksummed, None
    tron_shaped = text.startswith("T") and len(text) == 34 and _BASE58.fullmatch(text)
    if tron_shaped:
        payload = _base58check(text)
        if payload is not None and len(payload) == 21 and payload[0] == 0x41:
            return "trx", text, None
    lower = text.lower()
    if lower.startswith(("bc1", "tb1", "bcrt1")) and not tron_shaped:
        if text not in (lower, text.upper()):
            return "btc", text, "a bech32 address is all lower case or all upper case"
        hrp = lower[: lower.index("1")]
        if decode_segwit(hrp, text) is None:
            return "btc", text, "not a valid bech32/bech32m segwit address"
        if hrp != "bc":
            return "btc", lower, "a Bitcoin testnet address"
        return "btc", lower, None
    if tron_shaped:
        payload = _base58check(text)
        if payload is None:
            return "trx", text, "the base58check checksum does not match"
        return "trx", text, "not a Tron address (version byte 0x41)"
    if text[:1] in ("1", "3", "m", "n", "2") and 25 <= len(text) <= 35:
        return "btc", text, _bitcoin_base58(text)
    return "", text, "not a Bitcoin, Ethereum or Tron address"


@REGISTRY.register("cryptocurrency-wallet")
def normalize_wallet(raw: str, country: str | None) -> tuple[str, str | None]:
    """Wallets: ``btc:…``, ``eth:0x…`` (EIP-55), ``trx:T…``, checksums verified."""
    text = clean(raw).replace(" ", "")
    hint = None
    prefix = _PREFIX.match(text)
    if prefix and prefix.group(1).lower() in _PREFIXES:
        hint = _PREFIXES[prefix.group(1).lower()]
        text = text[prefix.end() :].lstrip("/")
        text = text.split("?", 1)[0]  # BIP-21 / EIP-681 parameters
    chain, address, reason = _wallet(text)
    if hint and chain and hint != chain:
        return f"{hint}:{text}", f"{text!r} is not an address of chain {hint!r}"
    if reason:
        return address, reason
    return f"{chain}:{address}", None
