"""Node keys: an Ed25519 signing key and an X25519 encryption key, kept in PEM files (0600).

Public keys travel as the unpadded base64url encoding of their 32 raw bytes (as in a JWK's
``x``); a key's *fingerprint* is the hex SHA-256 of those raw bytes, shown in groups of four
so people can compare it out of band::

    keys = NodeKeys.generate()
    keys.save(home / "keys", passphrase=None)
    print(format_fingerprint(keys.signing_fingerprint))
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidKey
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey

from comity.core.errors import ConfigurationError, InvalidInput
from comity.core.files import write_secret

SIGNING_FILE = "signing.pem"
ENCRYPTION_FILE = "encryption.pem"


def b64u_encode(data: bytes) -> str:
    """Unpadded base64url (RFC 4648 section 5)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64u_decode(text: str) -> bytes:
    """Decode unpadded base64url; raise :class:`InvalidInput` on anything else."""
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (ValueError, TypeError) as exc:
        raise InvalidInput("not base64url data") from exc


def fingerprint(public_raw: bytes) -> str:
    """Return the hex SHA-256 fingerprint of a raw public key."""
    return hashlib.sha256(public_raw).hexdigest()


def format_fingerprint(value: str) -> str:
    """Group a hex fingerprint in blocks of four for reading aloud."""
    return " ".join(value[i : i + 4] for i in range(0, len(value), 4))


def raw_public(key: Ed25519PublicKey | X25519PublicKey) -> bytes:
    """Return the 32 raw bytes of a public key."""
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def load_ed25519_public(text: str) -> Ed25519PublicKey:
    """Load an Ed25519 public key from base64url raw bytes or a PEM block."""
    try:
        if "BEGIN PUBLIC KEY" in text:
            key = serialization.load_pem_public_key(text.encode())
            if not isinstance(key, Ed25519PublicKey):
                raise InvalidInput("the PEM public key is not an Ed25519 key")
            return key
        return Ed25519PublicKey.from_public_bytes(b64u_decode(text.strip()))
    except (ValueError, InvalidKey) as exc:
        raise InvalidInput(f"not an Ed25519 public key: {exc}") from exc


def load_x25519_public(text: str) -> X25519PublicKey:
    """Load an X25519 public key from base64url raw bytes."""
    try:
        return X25519PublicKey.from_public_bytes(b64u_decode(text.strip()))
    except ValueError as exc:
        raise InvalidInput(f"not an X25519 public key: {exc}") from exc


@dataclass(frozen=True)
class NodeKeys:
    """The private keys of a node."""

    signing: Ed25519PrivateKey
    encryption: X25519PrivateKey

    @classmethod
    def generate(cls) -> NodeKeys:
        """Create a fresh pair of keys."""
        return cls(Ed25519PrivateKey.generate(), X25519PrivateKey.generate())

    @property
    def signing_public(self) -> str:
        """The signing public key, base64url."""
        return b64u_encode(raw_public(self.signing.public_key()))

    @property
    def encryption_public(self) -> str:
        """The encryption public key, base64url."""
        return b64u_encode(raw_public(self.encryption.public_key()))

    @property
    def signing_fingerprint(self) -> str:
        """Fingerprint of the signing public key."""
        return fingerprint(raw_public(self.signing.public_key()))

    @property
    def encryption_fingerprint(self) -> str:
        """Fingerprint of the encryption public key."""
        return fingerprint(raw_public(self.encryption.public_key()))

    def save(self, directory: Path, passphrase: str | None) -> None:
        """Write both private keys as PKCS#8 PEM files with mode 0600."""
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        for name, key in ((SIGNING_FILE, self.signing), (ENCRYPTION_FILE, self.encryption)):
            write_secret(directory / name, _private_pem(key, passphrase))

    @classmethod
    def load(cls, directory: Path, passphrase: str | None) -> NodeKeys:
        """Read the private keys from ``directory``."""
        signing = _load_private(directory / SIGNING_FILE, passphrase)
        encryption = _load_private(directory / ENCRYPTION_FILE, passphrase)
        if not isinstance(signing, Ed25519PrivateKey) or not isinstance(
            encryption, X25519PrivateKey
        ):
            raise ConfigurationError(f"unexpected key types in {directory}")
        return cls(signing, encryption)


def _private_pem(key: Ed25519PrivateKey | X25519PrivateKey, passphrase: str | None) -> bytes:
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(passphrase.encode())
        if passphrase
        else serialization.NoEncryption()
    )
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
    )


def _load_private(path: Path, passphrase: str | None) -> object:
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise ConfigurationError(f"key file missing: {path.name}; run 'comity init'") from exc
    try:
        return serialization.load_pem_private_key(
            data, password=passphrase.encode() if passphrase else None
        )
    except TypeError as exc:
        raise ConfigurationError(
            "the node keys are protected by a passphrase: set COMITY_KEY_PASSPHRASE"
        ) from exc
    except ValueError as exc:
        raise ConfigurationError(
            f"cannot read {path.name}: wrong passphrase or damaged file"
        ) from exc
