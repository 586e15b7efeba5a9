"""Errors of the evidence domain; each carries the data that identifies what went wrong."""

from __future__ import annotations

from comity.core.errors import CheckFailed, InvalidInput


class HashMismatch(CheckFailed):
    """An item's bytes do not have the hash that was expected of them."""

    slug = "hash-mismatch"
    title = "Hash mismatch"


class LedgerBroken(CheckFailed):
    """A custody ledger failed verification."""

    slug = "ledger-broken"
    title = "Custody ledger broken"


class PackageInvalid(CheckFailed):
    """An evidence package failed verification (altered, incomplete, unsafe or mis-signed)."""

    slug = "package-invalid"
    title = "Evidence package invalid"


class PackageUnsafe(PackageInvalid):
    """A package tries to escape its folder, holds links, or expands far beyond its size."""

    slug = "package-unsafe"
    title = "Unsafe evidence package"


class EvidenceInputError(InvalidInput):
    """Evidence cannot be read (missing file, unreadable, not a regular file)."""

    slug = "evidence-input"
    title = "Evidence input error"


class PackageSealed(InvalidInput):
    """A sealed (encrypted) package was given where a plain bag is needed."""

    slug = "package-sealed"
    title = "Sealed evidence package"


class ImportRefused(PackageInvalid):
    """A package is intact but this node refuses it (unknown sender, revoked key, not ours)."""

    slug = "import-refused"
    title = "Evidence package refused"


class ReceiptInvalid(CheckFailed):
    """A receipt is forged, altered, or names a package this node did not send."""

    slug = "receipt-invalid"
    title = "Receipt invalid"
