"""Streaming AEAD, sealing, signatures, canonical JSON and hash chains."""

from __future__ import annotations

import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from comity.core import aead
from comity.core.canonical import canonical_json
from comity.core.hashchain import GENESIS, link_hash
from comity.core.keys import NodeKeys, load_ed25519_public
from comity.core.sealing import open_sealed, seal_chunks
from comity.core.signing import SignatureInvalid, sign_document, verify_document


def _encrypt(key: bytes, data: bytes, chunk: int) -> bytes:
    pieces = [data[i : i + chunk] for i in range(0, len(data), chunk)] or [b""]
    return b"".join(aead.encrypt_chunks(key, pieces, chunk))


@settings(max_examples=60, deadline=None)
@given(data=st.binary(max_size=3000), chunk=st.integers(min_value=1, max_value=700))
def test_stream_round_trip(data: bytes, chunk: int) -> None:
    key = aead.new_key()
    sealed = _encrypt(key, data, chunk)
    assert len(sealed) == aead.ciphertext_size(len(data), chunk)
    assert b"".join(aead.decrypt_stream(key, io.BytesIO(sealed))) == data


@settings(max_examples=60, deadline=None)
@given(data=st.binary(min_size=1, max_size=2000), position=st.integers(min_value=0))
def test_any_flipped_byte_fails(data: bytes, position: int) -> None:
    key = aead.new_key()
    sealed = bytearray(_encrypt(key, data, 256))
    sealed[position % len(sealed)] ^= 0x01
    with pytest.raises(aead.DecryptionFailed):
        b"".join(aead.decrypt_stream(key, io.BytesIO(bytes(sealed))))


@settings(max_examples=40, deadline=None)
@given(data=st.binary(min_size=600, max_size=2000), cut=st.integers(min_value=1))
def test_truncation_and_chunk_drops_fail(data: bytes, cut: int) -> None:
    key = aead.new_key()
    sealed = _encrypt(key, data, 256)
    truncated = sealed[: len(sealed) - 1 - cut % (len(sealed) - 1)]
    with pytest.raises(aead.DecryptionFailed):
        b"".join(aead.decrypt_stream(key, io.BytesIO(truncated)))
    # Dropping exactly one whole middle chunk also fails.
    size = 256 + aead.TAG_SIZE
    dropped = sealed[: aead.HEADER_SIZE] + sealed[aead.HEADER_SIZE + size :]
    with pytest.raises(aead.DecryptionFailed):
        b"".join(aead.decrypt_stream(key, io.BytesIO(dropped)))


def test_wrong_key_fails() -> None:
    sealed = _encrypt(aead.new_key(), b"evidence", 4)
    with pytest.raises(aead.DecryptionFailed):
        b"".join(aead.decrypt_stream(aead.new_key(), io.BytesIO(sealed)))


def test_sealed_for_one_node_opens_only_there() -> None:
    recipient, other = NodeKeys.generate(), NodeKeys.generate()
    sealed = b"".join(
        seal_chunks([b"part one ", b"part two"], recipient.encryption.public_key(), b"x")
    )
    opened = b"".join(open_sealed(io.BytesIO(sealed), recipient.encryption, b"x"))
    assert opened == b"part one part two"
    with pytest.raises(aead.DecryptionFailed):
        b"".join(open_sealed(io.BytesIO(sealed), other.encryption, b"x"))
    with pytest.raises(aead.DecryptionFailed):
        b"".join(open_sealed(io.BytesIO(sealed), recipient.encryption, b"another context"))


@settings(max_examples=40, deadline=None)
@given(
    document=st.dictionaries(
        st.text(max_size=8),
        st.one_of(st.integers(-(2**53) + 1, 2**53 - 1), st.text(max_size=20), st.booleans()),
        max_size=6,
    )
)
def test_signatures_verify_and_detect_changes(document: dict[str, object]) -> None:
    keys = NodeKeys.generate()
    token = sign_document(keys.signing, document, keys.signing_fingerprint)
    assert verify_document(token, load_ed25519_public(keys.signing_public)) == document
    other = NodeKeys.generate()
    with pytest.raises(SignatureInvalid):
        verify_document(token, load_ed25519_public(other.signing_public))
    header, _payload, signature = token.split(".")
    forged = sign_document(other.signing, {**document, "extra": 1}, keys.signing_fingerprint)
    with pytest.raises(SignatureInvalid):
        verify_document(
            f"{header}.{forged.split('.')[1]}.{signature}", load_ed25519_public(keys.signing_public)
        )


@pytest.mark.parametrize("token", ["", "a.b", "a.b.c", "e30.e30.AAAA", "....", "x" * 50])
def test_malformed_signatures_are_refused(token: str) -> None:
    keys = NodeKeys.generate()
    with pytest.raises(SignatureInvalid):
        verify_document(token, load_ed25519_public(keys.signing_public))


@given(st.dictionaries(st.text(max_size=5), st.integers(-1000, 1000), max_size=5))
def test_canonical_json_ignores_key_order(document: dict[str, int]) -> None:
    reordered = dict(reversed(list(document.items())))
    assert canonical_json(document) == canonical_json(reordered)


def test_hash_chain_links_depend_on_predecessor() -> None:
    first = link_hash(GENESIS, b"a")
    assert link_hash(first, b"b") != link_hash(GENESIS, b"b")
    assert len(first) == 64
