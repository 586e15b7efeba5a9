"""Offline verification of an evidence package: no database, no network, no node needed.

``comity verify PATH [--trust KEYFILE]`` runs :func:`verify_package`; a court, a defence expert
or the receiving agency can run it on a copy of the package. It checks, and reports every
problem it finds (each with a code, the path in the package, and the expected and actual value):

1. **Safety** (:mod:`comity.evidence.archive`): no traversal, absolute paths, links, devices,
   duplicates or zip bombs — these stop verification at once (:class:`PackageUnsafe`).
2. **BagIt structure** (RFC 8493): ``bagit.txt``; ``manifest-<alg>.txt`` and
   ``tagmanifest-<alg>.txt`` with known algorithms only (SHA-256 required) and well-formed lines
   (malformed manifests stop verification); every payload file under ``data/`` listed in every
   payload manifest and nothing listed that is missing; every tag file listed in every tag
   manifest — only ``comity-signature.jws`` may be left out; ``Payload-Oxum`` right.
3. **Hashes** of every tag and payload file.
4. **The package document** ``comity/package.json``: each item's payload, size and hashes agree
   with the manifest and the bytes; each payload file belongs to one item.
5. **Custody ledgers** ``comity/ledger/<item>.jsonl``: each line is an event body in canonical
   JSON (RFC 8785); events are numbered 1..n; ``prev`` is the previous event's hash and
   ``hash = SHA-256(prev || "\\n" || body)``; every body names the item and its SHA-256; the
   signed head (count, last hash) and every checkpoint (the head a previous holder signed when
   it handed the item on) verify and are signed by the node that recorded that event; the last
   event is the ``exported`` event of this very package for this recipient.
6. **The package signature** ``comity-signature.jws``: a JWS (EdDSA) by the sender's key over
   ``{package_id, sender, recipient, tagmanifest_sha256, payload_oxum}``, which must match this
   package. Without trusted keys the result is *integrity verified, signer not authenticated*
   and the signer's fingerprint is shown for comparison out of band; with trusted keys
   (``--trust``) the signer must be one of them.

The module imports nothing from the database layer, so it can be used on its own.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from comity.core.canonical import canonical_json
from comity.core.errors import ComityError, InvalidInput
from comity.core.hashchain import GENESIS, link_hash
from comity.core.keys import (
    fingerprint,
    format_fingerprint,
    load_ed25519_public,
    raw_public,
)
from comity.core.signing import SignatureInvalid, jws_parts, verify_document
from comity.evidence.archive import DEFAULT_MAX_EXPANSION, PackageSource, check_name, open_package
from comity.evidence.errors import PackageInvalid, PackageUnsafe
from comity.evidence.streaming import hash_stream

PACKAGE_TYPE = "comity-evidence-package"
PACKAGE_VERSION = 1
SIGNATURE_TYPE = "comity-package-signature"
HEAD_TYPE = "comity-ledger-head"
SIGNATURE_FILE = "comity-signature.jws"
PACKAGE_FILE = "comity/package.json"
CASEUCO_FILE = "comity/case-uco.jsonld"
LEDGER_DIR = "comity/ledger/"
BAGIT_FILE = "bagit.txt"
BAG_INFO_FILE = "bag-info.txt"
PAYLOAD_DIR = "data/"
KNOWN_ALGORITHMS = ("sha256", "sha512", "sha384", "sha224", "sha1", "md5")
MAX_TAG_BYTES = 256 << 20
_MANIFEST_NAME = re.compile(r"^(tag)?manifest-([^/]*)\.txt$")
_MANIFEST_LINE = re.compile(r"^([0-9A-Fa-f]+)[ \t]+(.+)$")

PayloadHasher = Callable[[str, Iterator[bytes], tuple[str, ...]], dict[str, str]]
"""``(payload path, its chunks, algorithms) -> digests``: lets a caller (the importer) encrypt
the payload into its store while it is hashed, so the package is read once."""


def head_document(item_id: str, count: int, last_hash: str) -> dict[str, Any]:
    """The document a node signs as an item's ledger head (as :mod:`comity.evidence.ledger`)."""
    return {"type": HEAD_TYPE, "item": str(item_id), "count": count, "last_hash": last_hash}


def encode_manifest_path(path: str) -> str:
    """Percent-encode CR, LF and ``%`` in a manifest path (RFC 8493 section 2.1.3)."""
    return path.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def decode_manifest_path(text: str) -> str:
    """Reverse :func:`encode_manifest_path`."""
    return re.sub(
        r"%(0[AaDd]|25)", lambda m: {"0a": "\n", "0d": "\r", "25": "%"}[m.group(1).lower()], text
    )


@dataclass
class Problem:
    """One thing wrong with a package."""

    code: str
    message: str
    path: str | None = None
    expected: Any = None
    actual: Any = None

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready form."""
        return {
            "code": self.code,
            "message": self.message,
            "path": self.path,
            "expected": self.expected,
            "actual": self.actual,
        }


@dataclass
class LedgerEvent:
    """One verified line of a package's custody ledger."""

    body: str
    data: dict[str, Any]
    prev: str
    hash: str


@dataclass
class Report:
    """The outcome of verifying a package."""

    path: str
    kind: str = "directory"
    package_id: str | None = None
    sender: dict[str, Any] | None = None
    recipient: dict[str, Any] | None = None
    signer_fingerprint: str | None = None
    authenticated: bool = False
    trust_checked: bool = False
    files: int = 0
    payload_bytes: int = 0
    items: list[dict[str, Any]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    package: dict[str, Any] | None = None
    ledgers: dict[str, list[LedgerEvent]] = field(default_factory=dict)
    signature: str | None = None
    tagmanifest_sha256: str | None = None
    payload_digests: dict[str, dict[str, str]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when no problem was found."""
        return not self.problems

    @property
    def events(self) -> int:
        """The number of ledger events in the package."""
        return sum(len(v) for v in self.ledgers.values())

    def add(
        self,
        code: str,
        message: str,
        path: str | None = None,
        expected: Any = None,
        actual: Any = None,
    ) -> None:
        """Record a problem."""
        self.problems.append(Problem(code, message, path, expected, actual))

    def status(self) -> str:
        """One line saying what was proven."""
        if not self.ok:
            return "package INVALID"
        if self.authenticated:
            return "integrity verified, signer authenticated"
        return "integrity verified, signer not authenticated"

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready summary (without the package contents)."""
        return {
            "ok": self.ok,
            "status": self.status(),
            "path": self.path,
            "format": self.kind,
            "package_id": self.package_id,
            "sender": self.sender,
            "recipient": self.recipient,
            "signer_fingerprint": self.signer_fingerprint,
            "authenticated": self.authenticated,
            "files": self.files,
            "payload_bytes": self.payload_bytes,
            "events": self.events,
            "tagmanifest_sha256": self.tagmanifest_sha256,
            "items": self.items,
            "problems": [p.as_dict() for p in self.problems],
        }

    def raise_for_problems(self) -> None:
        """Raise :class:`PackageInvalid` naming the first problem (all are in its data)."""
        if self.problems:
            first = self.problems[0]
            more = (
                f" (and {len(self.problems) - 1} more problems)" if len(self.problems) > 1 else ""
            )
            raise PackageInvalid(
                f"package refused: {first.message}{more}",
                path=first.path,
                expected=first.expected,
                actual=first.actual,
                problems=[p.as_dict() for p in self.problems],
            )


def load_trust_file(path: Path) -> dict[str, Ed25519PublicKey]:
    """Read trusted keys: a base64url or PEM Ed25519 key, or a node descriptor (JSON)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"cannot read trust file {path}: {exc}", path=str(path)) from exc
    stripped = text.strip()
    if stripped.startswith("{"):
        try:
            data = json.loads(stripped)
            signing = str(data["keys"]["signing"])
            signature = str(data["signature"])
        except (ValueError, KeyError, TypeError) as exc:
            raise InvalidInput(f"{path.name} is not a Comity node descriptor") from exc
        key = load_ed25519_public(signing)
        signed = {k: v for k, v in data.items() if k != "signature"}
        try:
            if verify_document(signature, key) != signed:
                raise SignatureInvalid("the signature does not cover the descriptor")
        except SignatureInvalid as exc:
            raise InvalidInput(f"{path.name}: the descriptor's self-signature fails") from exc
    else:
        key = load_ed25519_public(stripped)
    return {fingerprint(raw_public(key)): key}


def parse_manifest(name: str, data: bytes, algorithm: str) -> dict[str, str]:
    """Parse a BagIt manifest into ``{path: hex digest}``; raise on malformed lines."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PackageInvalid(f"{name}: not UTF-8 text", path=name) from exc
    width = hashlib.new(algorithm).digest_size * 2
    entries: dict[str, str] = {}
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    for number, line in enumerate(lines, 1):
        line = line.removesuffix("\r")
        match = _MANIFEST_LINE.match(line)
        if not match or len(match.group(1)) != width:
            raise PackageInvalid(
                f"{name} line {number}: malformed (expected '<{algorithm} hex>  <path>')",
                path=name,
                line=number,
            )
        path = check_name(decode_manifest_path(match.group(2)))
        if path is None:
            raise PackageInvalid(f"{name} line {number}: an empty path", path=name, line=number)
        if path in entries:
            raise PackageInvalid(
                f"{name} line {number}: {path} is listed twice", path=name, line=number
            )
        entries[path] = match.group(1).lower()
    return entries


def parse_bag_info(data: bytes) -> list[tuple[str, str]]:
    """Parse ``bag-info.txt`` labels and values (continuation lines start with whitespace)."""
    fields: list[tuple[str, str]] = []
    for number, line in enumerate(data.decode("utf-8").splitlines(), 1):
        if not line.strip():
            continue
        if line[0] in " \t":
            if not fields:
                raise ValueError(f"line {number} continues nothing")
            label, value = fields[-1]
            fields[-1] = (label, f"{value} {line.strip()}")
            continue
        label, sep, value = line.partition(":")
        if not sep or not label.strip():
            raise ValueError(f"line {number} is not 'Label: value'")
        fields.append((label.strip(), value.strip()))
    return fields


def _default_hasher(
    name: str, chunks: Iterator[bytes], algorithms: tuple[str, ...]
) -> dict[str, str]:
    return hash_stream(chunks, algorithms).digests


def _progress_chunks(
    chunks: Iterator[bytes], progress: Callable[[int], None] | None
) -> Iterator[bytes]:
    for chunk in chunks:
        if progress is not None:
            progress(len(chunk))
        yield chunk


def verify_package(
    path: Path,
    trusted: Mapping[str, Ed25519PublicKey] | None = None,
    *,
    max_expansion: int = DEFAULT_MAX_EXPANSION,
    progress: Callable[[int], None] | None = None,
) -> Report:
    """Verify the package at ``path`` (folder, .zip or .tar) and return a :class:`Report`.

    Raises :class:`PackageUnsafe` / :class:`PackageInvalid` at once for unsafe archives and
    malformed manifests; every other problem is collected in the report.
    """
    with open_package(path, max_expansion) as source:
        return verify_source(source, trusted, progress=progress)


def payload_size(path: Path, max_expansion: int = DEFAULT_MAX_EXPANSION) -> int:
    """The total size of a package's payload files (for a progress bar)."""
    with open_package(path, max_expansion) as source:
        return sum(e.size for n, e in source.entries.items() if n.startswith(PAYLOAD_DIR))


def verify_source(
    source: PackageSource,
    trusted: Mapping[str, Ed25519PublicKey] | None = None,
    *,
    progress: Callable[[int], None] | None = None,
    hasher: PayloadHasher | None = None,
    stop_before_payload_on_problems: bool = False,
    all_hashes: bool = False,
) -> Report:
    """Verify an opened package; see :func:`verify_package`.

    ``all_hashes`` also checks the MD5/SHA-1 that package.json may give for an item (slower;
    the manifests' algorithms are always checked). ``hasher`` replaces the payload hashing
    (the importer encrypts while hashing); ``stop_before_payload_on_problems`` skips reading
    the payload once the tags show a problem.
    """
    verifier = _Verifier(source, trusted, progress, hasher or _default_hasher)
    verifier.all_hashes = all_hashes
    return verifier.run(stop_before_payload_on_problems)


class _Verifier:
    def __init__(
        self,
        source: PackageSource,
        trusted: Mapping[str, Ed25519PublicKey] | None,
        progress: Callable[[int], None] | None,
        hasher: PayloadHasher,
    ) -> None:
        self.source = source
        self.trusted = trusted
        self.progress = progress
        self.hasher = hasher
        self.report = Report(str(source.path), source.kind)
        self.tags: dict[str, bytes] = {}
        self.signers: dict[str, Ed25519PublicKey] = {}
        self.all_hashes = False

    # -- structure ---------------------------------------------------------------------------

    def run(self, stop_early: bool) -> Report:
        report = self.report
        entries = self.source.entries
        report.files = len(entries)
        self._bagit()
        payload_manifests, tag_manifests = self._manifests()
        payload_files = sorted(n for n in entries if n.startswith(PAYLOAD_DIR))
        special = {SIGNATURE_FILE, *(f"tagmanifest-{a}.txt" for a in tag_manifests)}
        tag_files = sorted(n for n in entries if not n.startswith(PAYLOAD_DIR) and n not in special)
        for alg, listed in payload_manifests.items():
            manifest = f"manifest-{alg}.txt"
            for name in sorted(set(listed) - set(payload_files)):
                report.add("file-missing", f"{name} is listed in {manifest} but missing", name)
            for name in sorted(set(payload_files) - set(listed)):
                report.add("file-unlisted", f"{name} is in the package but not in {manifest}", name)
        for alg, listed in tag_manifests.items():
            manifest = f"tagmanifest-{alg}.txt"
            for name in sorted(set(listed) - set(entries)):
                report.add("file-missing", f"{name} is listed in {manifest} but missing", name)
            for name in sorted(set(listed) & special):
                report.add("tag-unlisted", f"{manifest} may not list {name}", name)
            for name in sorted(set(tag_files) - set(listed)):
                report.add(
                    "tag-unlisted",
                    f"tag file {name} is not listed in {manifest} (only {SIGNATURE_FILE} may be)",
                    name,
                )
        # Tag files: hashed whole, kept for parsing.
        for name in tag_files:
            self.tags[name] = self.source.read(name, MAX_TAG_BYTES)
        for alg, listed in tag_manifests.items():
            for name, expected in listed.items():
                data = self.tags.get(name)
                if data is None and name in entries and name not in special:
                    continue
                if data is None:
                    continue
                actual = hashlib.new(alg, data).hexdigest()
                if actual != expected:
                    report.add(
                        "tag-hash-mismatch",
                        f"{name}: its {alg.upper()} {actual} does not match "
                        f"tagmanifest-{alg}.txt ({expected}); the file was altered",
                        name,
                        expected,
                        actual,
                    )
        tagmanifest = "tagmanifest-sha256.txt"
        report.tagmanifest_sha256 = hashlib.sha256(self.tags[tagmanifest]).hexdigest()
        package = self._package()
        self._signature(package)
        items = self._items(package, payload_manifests, payload_files) if package else {}
        if stop_early and report.problems:
            return report
        self._payload(payload_manifests, payload_files, items)
        self._oxum()
        return report

    def _bagit(self) -> None:
        data = self.source.read(BAGIT_FILE, 4096)
        try:
            fields = dict(parse_bag_info(data))
        except (ValueError, UnicodeDecodeError):
            fields = {}
        version = fields.get("BagIt-Version")
        if version not in ("0.97", "1.0") or fields.get(
            "Tag-File-Character-Encoding", ""
        ).upper() != ("UTF-8"):
            self.report.add(
                "bagit-invalid",
                "bagit.txt must declare 'BagIt-Version: 1.0' and "
                "'Tag-File-Character-Encoding: UTF-8'",
                BAGIT_FILE,
            )

    def _manifests(self) -> tuple[dict[str, dict[str, str]], dict[str, dict[str, str]]]:
        payload: dict[str, dict[str, str]] = {}
        tag: dict[str, dict[str, str]] = {}
        for name in sorted(self.source.entries):
            if "/" in name:
                continue
            match = _MANIFEST_NAME.match(name)
            if not match:
                if name.startswith(("manifest-", "tagmanifest-")):
                    raise PackageInvalid(f"{name}: not a manifest name", path=name)
                continue
            algorithm = match.group(2)
            if algorithm not in KNOWN_ALGORITHMS:
                raise PackageInvalid(
                    f"{name}: unknown hash algorithm {algorithm!r} "
                    f"(known: {', '.join(KNOWN_ALGORITHMS)})",
                    path=name,
                    algorithm=algorithm,
                )
            data = self.source.read(name, MAX_TAG_BYTES)
            if match.group(1):
                self.tags[name] = data
                tag[algorithm] = parse_manifest(name, data, algorithm)
                if any(p.startswith(PAYLOAD_DIR) for p in tag[algorithm]):
                    raise PackageInvalid(f"{name}: lists payload files", path=name)
            else:
                listed = parse_manifest(name, data, algorithm)
                outside = [p for p in listed if not p.startswith(PAYLOAD_DIR)]
                if outside:
                    raise PackageInvalid(
                        f"{name}: lists {outside[0]}, which is not under data/", path=name
                    )
                payload[algorithm] = listed
        for kind, found in (("manifest", payload), ("tagmanifest", tag)):
            if "sha256" not in found:
                raise PackageInvalid(
                    f"{kind}-sha256.txt is missing; Comity packages need SHA-256 manifests",
                    path=f"{kind}-sha256.txt",
                )
        return payload, tag

    # -- the package document and the signature ----------------------------------------------

    def _json_tag(self, name: str) -> Any:
        data = self.tags.get(name)
        if data is None:
            self.report.add("file-missing", f"{name} is missing", name)
            return None
        try:
            return json.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            self.report.add("tag-invalid", f"{name}: not valid JSON ({exc})", name)
            return None

    def _package(self) -> dict[str, Any] | None:
        report = self.report
        package = self._json_tag(PACKAGE_FILE)
        self._json_tag(CASEUCO_FILE)
        if package is None:
            return None
        problem = _package_shape(package)
        if problem:
            report.add("package-invalid", f"{PACKAGE_FILE}: {problem}", PACKAGE_FILE)
            return None
        package = cast(dict[str, Any], package)
        report.package = package
        report.package_id = package["package_id"]
        report.sender = package["sender"]
        report.recipient = package["recipient"]
        for fp, signer in package["signers"].items():
            try:
                key = load_ed25519_public(str(signer["public_key"]))
            except (ComityError, KeyError, TypeError):
                report.add("signer-invalid", f"signer {fp}: not an Ed25519 key", PACKAGE_FILE)
                continue
            if fingerprint(raw_public(key)) != fp:
                report.add(
                    "signer-invalid", f"signer {fp}: the key has another fingerprint", PACKAGE_FILE
                )
                continue
            self.signers[fp] = key
        return package

    def _signature(self, package: dict[str, Any] | None) -> None:
        report = self.report
        if SIGNATURE_FILE not in self.source.entries:
            report.add("signature-missing", f"{SIGNATURE_FILE} is missing", SIGNATURE_FILE)
            return
        token = self.source.read(SIGNATURE_FILE, 65536).decode("utf-8", "replace").strip()
        report.signature = token
        try:
            header, document = jws_parts(token)
        except SignatureInvalid as exc:
            report.add("signature-invalid", f"{SIGNATURE_FILE}: {exc.message}", SIGNATURE_FILE)
            return
        kid = str(header.get("kid"))
        report.signer_fingerprint = kid
        if package is None:
            return
        sender_fp = package["sender"].get("signing_fingerprint")
        if kid != sender_fp:
            report.add(
                "signature-signer",
                f"the package is signed by key {kid}, but package.json names the sender's key "
                f"{sender_fp}",
                SIGNATURE_FILE,
                sender_fp,
                kid,
            )
        key = self.signers.get(kid)
        if key is None:
            report.add(
                "signature-invalid",
                f"{SIGNATURE_FILE}: signed by key {kid}, whose public key the package lacks",
                SIGNATURE_FILE,
            )
            return
        try:
            verify_document(token, key)
        except SignatureInvalid as exc:
            report.add("signature-invalid", f"{SIGNATURE_FILE}: {exc.message}", SIGNATURE_FILE)
            return
        if not isinstance(document, dict) or document.get("type") != SIGNATURE_TYPE:
            report.add("signature-invalid", f"{SIGNATURE_FILE}: not a package signature")
            return
        if document.get("package_id") != package["package_id"]:
            report.add(
                "signature-replayed",
                f"the signature was made for package {document.get('package_id')}, "
                f"not for this package ({package['package_id']})",
                SIGNATURE_FILE,
                package["package_id"],
                document.get("package_id"),
            )
        if document.get("tagmanifest_sha256") != report.tagmanifest_sha256:
            report.add(
                "signature-mismatch",
                "the signature does not cover this tagmanifest-sha256.txt "
                "(the tag manifest or the signature was replaced)",
                SIGNATURE_FILE,
                document.get("tagmanifest_sha256"),
                report.tagmanifest_sha256,
            )
        for party in ("sender", "recipient"):
            if document.get(party) != package[party]:
                report.add(
                    "signature-mismatch",
                    f"the signature names another {party} than package.json",
                    SIGNATURE_FILE,
                    document.get(party),
                    package[party],
                )
        if self.trusted is not None:
            report.trust_checked = True
            if kid in self.trusted:
                report.authenticated = True
            else:
                report.add(
                    "signer-untrusted",
                    f"the package is signed by key {format_fingerprint(kid)}, which is not a "
                    "trusted key",
                    SIGNATURE_FILE,
                    sorted(self.trusted),
                    kid,
                )

    # -- items and their ledgers -------------------------------------------------------------

    def _items(
        self,
        package: dict[str, Any],
        payload_manifests: dict[str, dict[str, str]],
        payload_files: list[str],
    ) -> dict[str, dict[str, Any]]:
        report = self.report
        by_payload: dict[str, dict[str, Any]] = {}
        seen_ids: set[str] = set()
        sha_manifest = payload_manifests["sha256"]
        for item in package["items"]:
            item_id = item["id"]
            payload = item["payload"]
            if item_id in seen_ids:
                report.add("package-invalid", f"item {item_id} is described twice", PACKAGE_FILE)
                continue
            seen_ids.add(item_id)
            if payload in by_payload:
                report.add("package-invalid", f"two items name the payload {payload}", PACKAGE_FILE)
                continue
            by_payload[payload] = item
            entry = self.source.entries.get(payload)
            if not payload.startswith(PAYLOAD_DIR) or entry is None:
                report.add(
                    "file-missing",
                    f"item {item['exhibit']}: its payload {payload} is missing",
                    payload,
                )
            elif entry.size != item["size"]:
                report.add(
                    "size-mismatch",
                    f"{payload}: {entry.size} bytes, package.json says {item['size']}",
                    payload,
                    item["size"],
                    entry.size,
                )
            listed = sha_manifest.get(payload)
            if listed is not None and listed != item["hashes"]["sha256"]:
                report.add(
                    "hash-mismatch",
                    f"{payload}: manifest-sha256.txt says {listed}, package.json says "
                    f"{item['hashes']['sha256']}",
                    payload,
                    item["hashes"]["sha256"],
                    listed,
                )
            self._ledger(package, item)
            report.items.append(
                {
                    "id": item_id,
                    "exhibit": item["exhibit"],
                    "payload": payload,
                    "size": item["size"],
                    "sha256": item["hashes"]["sha256"],
                    "events": len(report.ledgers.get(item_id, [])),
                }
            )
        for name in payload_files:
            if name not in by_payload:
                report.add(
                    "payload-undescribed",
                    f"{name}: a payload file no item of package.json describes",
                    name,
                )
        ledgers = {i["ledger"] for i in package["items"]}
        for name in self.tags:
            if name.startswith(LEDGER_DIR) and name not in ledgers:
                report.add(
                    "ledger-unexpected", f"{name}: a ledger of no item in package.json", name
                )
        return by_payload

    def _ledger(self, package: dict[str, Any], item: dict[str, Any]) -> None:
        report = self.report
        item_id = item["id"]
        name = item["ledger"]
        if name != f"{LEDGER_DIR}{item_id}.jsonl":
            report.add("package-invalid", f"item {item_id}: unexpected ledger path {name}", name)
            return
        data = self.tags.get(name)
        if data is None:
            if name not in self.source.entries:
                report.add("file-missing", f"{name} is missing", name)
            return
        lines = data.split(b"\n")
        if lines and lines[-1] == b"":
            lines.pop()
        events: list[LedgerEvent] = []
        prev = GENESIS
        for number, raw in enumerate(lines, 1):
            problem = None
            try:
                body = raw.decode("utf-8")
                parsed = json.loads(body)
                if not isinstance(parsed, dict):
                    raise ValueError("not an object")
            except ValueError:
                report.add("ledger-broken", f"{name} line {number}: not a JSON event", name)
                return
            if canonical_json(parsed) != raw:
                problem = f"event on line {number} is not in canonical JSON (it was re-encoded)"
            elif parsed.get("seq") != number:
                problem = (
                    f"event {number} is missing (found event {parsed.get('seq')} in its place)"
                )
            elif parsed.get("prev") != prev:
                problem = (
                    f"event {number} does not follow event {number - 1} "
                    f"(event {number - 1} was altered, or event {number} comes from elsewhere)"
                )
            elif parsed.get("item") != item_id:
                problem = f"event {number} belongs to item {parsed.get('item')}, not {item_id}"
            elif parsed.get("item_sha256") != item["hashes"]["sha256"]:
                problem = f"event {number} names SHA-256 {parsed.get('item_sha256')}"
            if problem:
                report.add("ledger-broken", f"{name}: {problem}", name)
                return
            digest = link_hash(prev, raw)
            events.append(LedgerEvent(body, parsed, prev, digest))
            prev = digest
        report.ledgers[item_id] = events
        if not events:
            report.add("ledger-broken", f"{name}: the ledger is empty", name)
            return
        last = events[-1].data
        details = last.get("details") or {}
        if last.get("action") == "exported" and details.get("package_id") != package["package_id"]:
            report.add(
                "ledger-replayed",
                f"{name}: the ledger does not end with the export of this package "
                f"({package['package_id']}) but with the export of package "
                f"{details.get('package_id')}",
                name,
                package["package_id"],
                details.get("package_id"),
            )
            return
        head = item["head"]
        if head.get("count") != len(events):
            report.add(
                "ledger-truncated",
                f"{name}: the signed head counts {head.get('count')} events, the ledger holds "
                f"{len(events)}",
                name,
                head.get("count"),
                len(events),
            )
            return
        if head.get("last_hash") != prev:
            report.add(
                "ledger-broken",
                f"{name}: the signed head does not match the last event",
                name,
                head.get("last_hash"),
                prev,
            )
            return
        self._signed_head(name, item_id, len(events), prev, head.get("signature"), events, "head")
        for checkpoint in item["checkpoints"]:
            count = checkpoint.get("count")
            if not isinstance(count, int) or not 1 <= count <= len(events):
                report.add("checkpoint-invalid", f"{name}: checkpoint at event {count}", name)
                continue
            self._signed_head(
                name,
                item_id,
                count,
                events[count - 1].hash,
                checkpoint.get("signature"),
                events,
                f"checkpoint at event {count}",
            )
        if last.get("action") != "exported" or details.get("package_id") != package["package_id"]:
            report.add(
                "ledger-replayed",
                f"{name}: the ledger does not end with the export of this package "
                f"({package['package_id']}); it ends with {last.get('action')} "
                f"of package {details.get('package_id')}",
                name,
                package["package_id"],
                details.get("package_id"),
            )
        elif (details.get("recipient") or {}).get("code") != package["recipient"].get("code"):
            report.add(
                "ledger-replayed",
                f"{name}: the export event names another recipient",
                name,
                package["recipient"].get("code"),
                (details.get("recipient") or {}).get("code"),
            )

    def _signed_head(
        self,
        name: str,
        item_id: str,
        count: int,
        last_hash: str,
        signature: Any,
        events: list[LedgerEvent],
        what: str,
    ) -> None:
        report = self.report
        try:
            header, _ = jws_parts(str(signature))
        except SignatureInvalid:
            report.add("head-invalid", f"{name}: the {what} signature is malformed", name)
            return
        kid = str(header.get("kid"))
        key = self.signers.get(kid)
        if key is None:
            report.add("head-invalid", f"{name}: the {what} is signed by unknown key {kid}", name)
            return
        try:
            signed = verify_document(str(signature), key)
        except SignatureInvalid:
            report.add("head-invalid", f"{name}: the {what} signature does not verify", name)
            return
        if signed != head_document(item_id, count, last_hash):
            report.add(
                "head-invalid",
                f"{name}: the {what} signature covers another state of the ledger "
                f"(it signs {signed.get('count') if isinstance(signed, dict) else '?'} events)",
                name,
            )
            return
        recorder = events[count - 1].data.get("node")
        if recorder != kid:
            report.add(
                "head-invalid",
                f"{name}: the {what} is signed by {kid}, but event {count} was recorded by "
                f"node {recorder}",
                name,
                recorder,
                kid,
            )

    # -- payload -----------------------------------------------------------------------------

    def _payload(
        self,
        manifests: dict[str, dict[str, str]],
        payload_files: list[str],
        items: dict[str, dict[str, Any]],
    ) -> None:
        report = self.report
        order = sorted(payload_files, key=lambda n: self.source.entries[n].order)
        for name in order:
            item = items.get(name)
            algorithms = list(manifests)
            if item is not None and self.all_hashes:
                algorithms += [a for a in item["hashes"] if a in KNOWN_ALGORITHMS]
            algs = tuple(dict.fromkeys(algorithms))
            chunks = _progress_chunks(self.source.chunks(name), self.progress)
            digests = self.hasher(name, chunks, algs)
            report.payload_digests[name] = digests
            report.payload_bytes += self.source.entries[name].size
            for alg, listed in manifests.items():
                expected = listed.get(name)
                if expected is not None and digests[alg] != expected:
                    report.add(
                        "payload-hash-mismatch",
                        f"{name}: its {alg.upper()} {digests[alg]} does not match "
                        f"manifest-{alg}.txt ({expected}); the evidence file was altered",
                        name,
                        expected,
                        digests[alg],
                    )
            if item is not None:
                for alg, expected in item["hashes"].items():
                    if alg in digests and digests[alg] != expected and alg not in manifests:
                        report.add(
                            "payload-hash-mismatch",
                            f"{name}: its {alg.upper()} {digests[alg]} does not match "
                            f"package.json ({expected})",
                            name,
                            expected,
                            digests[alg],
                        )

    def _oxum(self) -> None:
        report = self.report
        data = self.tags.get(BAG_INFO_FILE)
        if data is None:
            return
        try:
            fields = parse_bag_info(data)
        except (ValueError, UnicodeDecodeError) as exc:
            report.add("bag-info-invalid", f"{BAG_INFO_FILE}: {exc}", BAG_INFO_FILE)
            return
        oxum = [v for k, v in fields if k.lower() == "payload-oxum"]
        payload = [e for n, e in self.source.entries.items() if n.startswith(PAYLOAD_DIR)]
        actual = f"{sum(e.size for e in payload)}.{len(payload)}"
        if oxum and oxum[0] != actual:
            report.add(
                "oxum-mismatch",
                f"{BAG_INFO_FILE}: Payload-Oxum is {oxum[0]}, the payload is {actual} "
                "(octets.files)",
                BAG_INFO_FILE,
                oxum[0],
                actual,
            )


def _package_shape(package: Any) -> str | None:
    """Return what is wrong with the shape of package.json, or ``None``."""
    if not isinstance(package, dict):
        return "not a JSON object"
    if package.get("type") != PACKAGE_TYPE:
        return f"type is not {PACKAGE_TYPE!r}"
    if package.get("version") != PACKAGE_VERSION:
        return f"unsupported version {package.get('version')!r}"
    try:
        uuid.UUID(str(package["package_id"]))
        for party in ("sender", "recipient"):
            if not isinstance(package[party], dict) or "code" not in package[party]:
                return f"{party} is malformed"
        if not isinstance(package["signers"], dict) or not isinstance(package["items"], list):
            return "signers or items malformed"
        for item in package["items"]:
            uuid.UUID(str(item["id"]))
            for key in ("exhibit", "payload", "ledger"):
                if not isinstance(item[key], str):
                    return f"item {item.get('id')}: {key} is not text"
            if not isinstance(item["size"], int) or not isinstance(item["hashes"], dict):
                return f"item {item['id']}: size or hashes malformed"
            if not isinstance(item["hashes"].get("sha256"), str):
                return f"item {item['id']}: no SHA-256"
            if not isinstance(item["head"], dict) or not isinstance(item["checkpoints"], list):
                return f"item {item['id']}: head or checkpoints malformed"
            if not all(isinstance(c, dict) for c in item["checkpoints"]):
                return f"item {item['id']}: checkpoints malformed"
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        return f"a required field is missing or malformed ({exc})"
    return None


__all__ = [
    "PackageInvalid",
    "PackageUnsafe",
    "Problem",
    "Report",
    "head_document",
    "load_trust_file",
    "verify_package",
    "verify_source",
]
