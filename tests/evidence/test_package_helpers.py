"""Helpers shared by the evidence-package tests (this module holds no tests itself)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tarfile
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from comity.cases.services import create_case
from comity.cli.main import main
from comity.context import NodeContext
from comity.core.canonical import canonical_json
from comity.core.hashchain import GENESIS, link_hash
from comity.core.keys import NodeKeys
from comity.core.settings import load_settings
from comity.core.signing import sign_document
from comity.evidence.ingest import IngestOptions, ingest
from comity.evidence.package import sign_package
from comity.evidence.verify import head_document
from comity.federation.services import add_peer, export_descriptor, read_descriptor
from comity.identity.services import init_node, resolve_actor

SMALL_A = b"call-centre ledger\n" * 40
SMALL_B = bytes(range(256)) * 8


@dataclass
class Sender:
    """A standalone CBI node (own SQLite database) with a case of two items."""

    ctx: NodeContext
    case: str
    tmp: Path


def connect(a: NodeContext, b: NodeContext, tmp: Path) -> None:
    """Register each node as the other's peer, by descriptor."""
    for left, right in ((a, b), (b, a)):
        with right.transaction() as session:
            descriptor = export_descriptor(session, right.keys)
        path = tmp / f"descriptor-{os.urandom(4).hex()}.json"
        path.write_text(json.dumps(descriptor))
        info = read_descriptor(path)
        with left.transaction() as session:
            add_peer(session, resolve_actor(session, None), **info)


def add_peer_keys(ctx: NodeContext, code: str, country: str, name: str) -> NodeKeys:
    """Register a peer known only by its keys; return them."""
    keys = NodeKeys.generate()
    with ctx.transaction() as session:
        add_peer(
            session,
            resolve_actor(session, None),
            code=code,
            agency=name,
            country=country,
            signing_key=keys.signing_public,
            encryption_key=keys.encryption_public,
        )
    return keys


def open_case_with_evidence(ctx: NodeContext, tmp: Path) -> str:
    """Open a case and ingest two small files (one inside a folder); return its reference."""
    with ctx.transaction() as session:
        case = create_case(
            session,
            resolve_actor(session, None),
            title="Fake call centre defrauding US seniors",
            jurisdictions=["IN", "US"],
            summary="Calls from Kolkata to US seniors.",
            offences=["IN:BNS 318(4)", "US:18 U.S.C. 1343"],
            authorities=["warrant:SW/114/2026"],
        )
        reference = case.reference
    source = tmp / f"seized-{os.urandom(3).hex()}"
    (source / "phone").mkdir(parents=True)
    (source / "calls.csv").write_bytes(SMALL_A)
    (source / "phone" / "sms.db").write_bytes(SMALL_B)
    ingest(
        ctx,
        None,
        reference,
        [source / "calls.csv", source / "phone"],
        IngestOptions(examiner="R. Iyer", place="Kolkata", extra_hashes=("md5",)),
    )
    return reference


def standalone_sender(tmp: Path) -> Sender:
    """Create a CBI node in ``tmp`` with its own SQLite database, an FBI peer and a case."""
    ctx = NodeContext(load_settings(home=tmp / "cbi"))
    init_node(
        ctx,
        agency="Central Bureau of Investigation",
        code="CBI",
        country="IN",
        timezone="Asia/Kolkata",
    )
    add_peer_keys(ctx, "FBI", "US", "Federal Bureau of Investigation")
    return Sender(ctx, open_case_with_evidence(ctx, tmp), tmp)


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run the real ``comity`` command in this process; return exit code, stdout, stderr."""
    capsys.readouterr()
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def verify_json(capsys: pytest.CaptureFixture[str], path: Path, *extra: str) -> tuple[int, Any]:
    """``comity verify PATH --json``: exit code and the parsed report."""
    code, out, err = run(capsys, "verify", str(path), "--json", *extra)
    try:
        return code, json.loads(out)
    except ValueError:
        raise AssertionError(f"not JSON (exit {code}): {out!r} {err!r}") from None


def codes(report: dict[str, Any]) -> list[str]:
    """The problem codes of a report."""
    return [p["code"] for p in report["problems"]]


def messages(report: dict[str, Any]) -> str:
    """Every problem message of a report, one per line."""
    return "\n".join(p["message"] for p in report["problems"])


def ledger_path(bag: Path, index: int = 0) -> Path:
    """The ledger file of the package's ``index``-th item."""
    package = json.loads((bag / "comity" / "package.json").read_text())
    return bag / package["items"][index]["ledger"]


def payload_path(bag: Path, index: int = 0) -> Path:
    """The payload file of the package's ``index``-th item."""
    package = json.loads((bag / "comity" / "package.json").read_text())
    return bag / package["items"][index]["payload"]


def _manifest(entries: dict[str, str]) -> bytes:
    return "".join(f"{d}  {p}\n" for p, d in sorted(entries.items())).encode()


def resign(bag: Path, keys: NodeKeys) -> None:
    """Forge a package: rewrite ledgers, heads, manifests and signature with another key.

    The result is internally consistent, so only a check of *who* signed can catch it.
    """
    package_file = bag / "comity" / "package.json"
    package = json.loads(package_file.read_text())
    old = package["sender"]["signing_fingerprint"]
    new = keys.signing_fingerprint
    for item in package["items"]:
        ledger = bag / item["ledger"]
        prev = GENESIS
        lines = []
        for line in ledger.read_bytes().splitlines():
            body = json.loads(line)
            if body["node"] == old:
                body["node"] = new
            body["prev"] = prev
            raw = canonical_json(body)
            prev = link_hash(prev, raw)
            lines.append(raw)
        ledger.write_bytes(b"".join(line + b"\n" for line in lines))
        item["head"] = {
            "count": len(lines),
            "last_hash": prev,
            "signature": sign_document(
                keys.signing, head_document(item["id"], len(lines), prev), new
            ),
        }
    package["sender"]["signing_fingerprint"] = new
    agency = package["signers"][old]["agency"]
    package["signers"] = {new: {"public_key": keys.signing_public, "agency": agency}}
    package_file.write_text(json.dumps(package, indent=2) + "\n")
    listed = [
        line.split("  ", 1)[1] for line in (bag / "tagmanifest-sha256.txt").read_text().splitlines()
    ]
    tagmanifest = _manifest(
        {name: hashlib.sha256((bag / name).read_bytes()).hexdigest() for name in listed}
    )
    (bag / "tagmanifest-sha256.txt").write_bytes(tagmanifest)
    oxum = next(
        line.split(":", 1)[1].strip()
        for line in (bag / "bag-info.txt").read_text().splitlines()
        if line.startswith("Payload-Oxum")
    )
    (bag / "comity-signature.jws").write_text(sign_package(keys, package, tagmanifest, oxum) + "\n")


def copy_bag(bag: Path, target: Path) -> Path:
    """A copy of a bag folder to tamper with."""
    shutil.copytree(bag, target)
    return target


def zip_bag(bag: Path, out: Path, extra: list[tuple[zipfile.ZipInfo | str, bytes]] = ()) -> Path:  # type: ignore[assignment]
    """Zip a bag folder (stored entries at the root), plus ``extra`` raw entries."""
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as archive, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # duplicate names are what some tests want
        for path in sorted(bag.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(bag).as_posix())
        for info, data in extra:
            archive.writestr(info, data)
    return out


def tar_bag(bag: Path, out: Path, extra: list[tuple[tarfile.TarInfo, bytes]] = ()) -> Path:  # type: ignore[assignment]
    """Tar a bag folder (at the root), plus ``extra`` raw members."""
    import io

    with tarfile.open(out, "w", format=tarfile.PAX_FORMAT) as archive:
        for path in sorted(bag.rglob("*")):
            if path.is_file():
                archive.add(path, path.relative_to(bag).as_posix())
        for info, data in extra:
            archive.addfile(info, io.BytesIO(data) if data else None)
    return out
