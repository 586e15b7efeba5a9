"""``comity verify``: offline verification of packages and the whole tamper matrix.

The packages are written once per module by a standalone CBI node (its own SQLite database);
verification itself needs no node, so these tests do not run per database backend.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import bagit
import pytest

from comity.core.keys import NodeKeys
from comity.evidence.errors import PackageSealed
from comity.evidence.ledger import head_document as ledger_head_document
from comity.evidence.package import export_package
from comity.evidence.verify import head_document, verify_package
from tests.evidence.test_package_helpers import (
    Sender,
    codes,
    copy_bag,
    ledger_path,
    messages,
    payload_path,
    resign,
    standalone_sender,
    verify_json,
)


@dataclass
class Packages:
    sender: Sender
    a: Path
    b: Path
    zip: Path
    tar: Path
    sealed: Path
    key_b64: Path
    key_pem: Path
    descriptor: Path


@pytest.fixture(scope="module")
def packages(tmp_path_factory: pytest.TempPathFactory) -> Packages:
    tmp = tmp_path_factory.mktemp("packages")
    sender = standalone_sender(tmp)
    out = tmp / "out"
    out.mkdir()
    paths = {}
    for name in ("a", "b", "a.zip", "a.tar"):
        export_package(sender.ctx, None, sender.case, [], "FBI", out / name)
        paths[name] = out / name
    export_package(sender.ctx, None, sender.case, [], "FBI", out / "a.sealed", encrypt=True)
    keys = sender.ctx.keys
    key_b64 = tmp / "cbi.key"
    key_b64.write_text(keys.signing_public + "\n")
    from cryptography.hazmat.primitives import serialization

    key_pem = tmp / "cbi.pem"
    key_pem.write_bytes(
        keys.signing.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    from comity.federation.services import export_descriptor

    with sender.ctx.transaction() as session:
        descriptor = export_descriptor(session, keys)
    descriptor_file = tmp / "cbi-descriptor.json"
    descriptor_file.write_text(json.dumps(descriptor))
    return Packages(
        sender,
        paths["a"],
        paths["b"],
        paths["a.zip"],
        paths["a.tar"],
        out / "a.sealed",
        key_b64,
        key_pem,
        descriptor_file,
    )


# -- intact packages ---------------------------------------------------------------------------


def test_intact_package_verifies_without_trust_and_says_signer_not_authenticated(
    packages: Packages, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.evidence.test_package_helpers import run

    code, out, _err = run(capsys, "verify", str(packages.a))
    assert code == 0
    assert "integrity verified, signer not authenticated" in out
    fingerprint = packages.sender.ctx.keys.signing_fingerprint
    assert fingerprint[:4] in out and fingerprint[4:8] in out
    code, report = verify_json(capsys, packages.a)
    assert code == 0 and report["ok"] and not report["authenticated"]
    assert report["signer_fingerprint"] == fingerprint
    assert report["sender"]["code"] == "CBI" and report["recipient"]["code"] == "FBI"
    assert len(report["items"]) == 2 and report["events"] == 2 * 2


@pytest.mark.parametrize("trust", ["key_b64", "key_pem", "descriptor"])
def test_trusted_key_authenticates_the_signer(
    packages: Packages, capsys: pytest.CaptureFixture[str], trust: str
) -> None:
    code, report = verify_json(capsys, packages.a, "--trust", str(getattr(packages, trust)))
    assert code == 0, report["problems"]
    assert (
        report["authenticated"] and report["status"] == "integrity verified, signer authenticated"
    )


@pytest.mark.parametrize("form", ["zip", "tar"])
def test_archives_verify_in_place_without_extracting(
    packages: Packages, capsys: pytest.CaptureFixture[str], form: str, tmp_path: Path
) -> None:
    archive = getattr(packages, form)
    before = set(archive.parent.iterdir())
    code, report = verify_json(capsys, archive, "--trust", str(packages.key_b64))
    assert code == 0, report["problems"]
    assert report["format"] == form and report["authenticated"]
    assert set(archive.parent.iterdir()) == before


def test_zip_entries_are_stored_and_tar_uncompressed(packages: Packages) -> None:
    import tarfile
    import zipfile

    with zipfile.ZipFile(packages.zip) as archive:
        assert {i.compress_type for i in archive.infolist()} == {zipfile.ZIP_STORED}
        assert all(n.startswith("a/") for n in archive.namelist())
    with tarfile.open(packages.tar, "r:") as archive:
        assert all(m.isreg() for m in archive.getmembers())


def test_verify_needs_no_node_database_or_home(packages: Packages, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMITY_")}
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "comity.cli.main",
            "verify",
            str(packages.zip),
            "--trust",
            str(packages.descriptor),
        ],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "signer authenticated" in proc.stdout
    assert list(tmp_path.iterdir()) == []  # no .comity home, no database


def test_the_verifier_module_imports_no_database_code() -> None:
    code = (
        "import sys, comity.evidence.verify, comity.evidence.archive; "
        "bad = [m for m in sys.modules if m.startswith(('sqlalchemy', 'comity.db', "
        "'comity.identity', 'comity.cases'))]; print(bad); sys.exit(1 if bad else 0)"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_head_document_matches_the_ledger_module() -> None:
    assert head_document("i", 3, "ab") == ledger_head_document("i", 3, "ab")


def test_directory_bag_validates_with_library_of_congress_bagit(packages: Packages) -> None:
    bag = bagit.Bag(str(packages.a))
    bag.validate()
    assert (
        bag.info["External-Identifier"]
        == json.loads((packages.a / "comity" / "package.json").read_text())["package_id"]
    )
    assert "manifest-sha256.txt" in bag.tagfile_entries()


def test_package_layout_and_ledger_end_with_this_export(packages: Packages) -> None:
    package = json.loads((packages.a / "comity" / "package.json").read_text())
    assert package["type"] == "comity-evidence-package" and package["version"] == 1
    assert package["case"]["offences"][0] == {"jurisdiction": "IN", "reference": "BNS 318(4)"}
    item = package["items"][0]
    assert item["payload"].startswith("data/CBI-") and "/E1/" not in item["payload"]
    assert item["hashes"]["md5"]
    lines = (packages.a / item["ledger"]).read_text().splitlines()
    last = json.loads(lines[-1])
    assert last["action"] == "exported"
    assert last["details"]["package_id"] == package["package_id"]
    assert last["details"]["recipient"]["code"] == "FBI"
    listed = (packages.a / "tagmanifest-sha256.txt").read_text()
    assert "comity-signature.jws" not in listed
    for name in (
        "bagit.txt",
        "bag-info.txt",
        "manifest-sha256.txt",
        "comity/package.json",
        "comity/case-uco.jsonld",
        item["ledger"],
    ):
        assert f"  {name}\n" in listed
    graph = json.loads((packages.a / "comity" / "case-uco.jsonld").read_text())
    assert "@graph" in graph


def test_sealed_package_is_not_verified_directly(
    packages: Packages, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.evidence.test_package_helpers import run

    code, _out, err = run(capsys, "verify", str(packages.sealed))
    assert code == PackageSealed.exit_code == 2
    assert "sealed" in err and "unseal" in err


def test_missing_package_is_bad_input(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    from tests.evidence.test_package_helpers import run

    code, _out, err = run(capsys, "verify", str(tmp_path / "nothing"))
    assert code == 2 and "Traceback" not in err


# -- the tamper matrix -------------------------------------------------------------------------


def _tampered(packages: Packages, tmp_path: Path) -> Path:
    return copy_bag(packages.a, tmp_path / "bag")


def _fails(capsys: pytest.CaptureFixture[str], bag: Path, code: str, text: str) -> dict:  # type: ignore[type-arg]
    exit_code, report = verify_json(capsys, bag)
    assert exit_code == 1, report
    assert not report["ok"] and report["status"] == "package INVALID"
    assert code in codes(report), messages(report)
    assert text in messages(report), messages(report)
    return report  # type: ignore[no-any-return]


def test_changed_payload_byte(
    packages: Packages, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bag = _tampered(packages, tmp_path)
    target = payload_path(bag)
    data = bytearray(target.read_bytes())
    data[10] ^= 1
    target.write_bytes(bytes(data))
    name = target.relative_to(bag).as_posix()
    report = _fails(capsys, bag, "payload-hash-mismatch", f"{name}: its SHA256")
    problem = next(p for p in report["problems"] if p["code"] == "payload-hash-mismatch")
    assert problem["path"] == name and problem["expected"] != problem["actual"]
    # Human output names the file and the reason too.
    from tests.evidence.test_package_helpers import run

    code, out, _ = run(capsys, "verify", str(bag))
    assert code == 1 and "package INVALID" in out and "the evidence file was altered" in out


def test_changed_ledger_line(
    packages: Packages, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bag = _tampered(packages, tmp_path)
    ledger = ledger_path(bag)
    lines = ledger.read_text().splitlines()
    lines[0] = lines[0].replace('"place":"Kolkata"', '"place":"Delhi"')
    assert "Delhi" in lines[0]
    ledger.write_text("\n".join(lines) + "\n")
    report = _fails(capsys, bag, "ledger-broken", "event 2 does not follow event 1")
    assert "tag-hash-mismatch" in codes(report)


def test_removed_payload_file(
    packages: Packages, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bag = _tampered(packages, tmp_path)
    target = payload_path(bag, 1)
    target.unlink()
    _fails(
        capsys,
        bag,
        "file-missing",
        f"{target.relative_to(bag).as_posix()} is listed in manifest-sha256.txt but missing",
    )


def test_removed_ledger_file(
    packages: Packages, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bag = _tampered(packages, tmp_path)
    target = ledger_path(bag)
    target.unlink()
    _fails(capsys, bag, "file-missing", "is listed in tagmanifest-sha256.txt but missing")


def test_reordered_ledger_lines(
    packages: Packages, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bag = _tampered(packages, tmp_path)
    ledger = ledger_path(bag)
    lines = ledger.read_text().splitlines()
    ledger.write_text("\n".join([lines[1], lines[0], *lines[2:]]) + "\n")
    _fails(capsys, bag, "ledger-broken", "event 1 is missing (found event 2 in its place)")


def test_truncated_ledger(
    packages: Packages, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bag = _tampered(packages, tmp_path)
    ledger = ledger_path(bag)
    lines = ledger.read_text().splitlines()
    ledger.write_text("\n".join(lines[:-1]) + "\n")
    _fails(
        capsys,
        bag,
        "ledger-truncated",
        f"the signed head counts {len(lines)} events, the ledger holds {len(lines) - 1}",
    )


def test_truncated_payload(
    packages: Packages, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bag = _tampered(packages, tmp_path)
    target = payload_path(bag)
    data = target.read_bytes()
    target.write_bytes(data[: len(data) // 2])
    report = _fails(
        capsys, bag, "size-mismatch", f"{len(data) // 2} bytes, package.json says {len(data)}"
    )
    assert {"payload-hash-mismatch", "oxum-mismatch"} <= set(codes(report))


def test_ledger_replayed_from_another_package(
    packages: Packages, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bag = _tampered(packages, tmp_path)
    ledger = ledger_path(bag)
    other = packages.b / ledger.relative_to(bag)
    ledger.write_bytes(other.read_bytes())
    package_id = json.loads((bag / "comity" / "package.json").read_text())["package_id"]
    _fails(
        capsys,
        bag,
        "ledger-replayed",
        f"the ledger does not end with the export of this package ({package_id})",
    )


def test_signature_replayed_from_another_package(
    packages: Packages, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bag = _tampered(packages, tmp_path)
    (bag / "comity-signature.jws").write_bytes((packages.b / "comity-signature.jws").read_bytes())
    report = _fails(capsys, bag, "signature-replayed", "the signature was made for package")
    assert "signature-mismatch" in codes(report)


def test_resigned_with_another_key_passes_integrity_but_not_trust(
    packages: Packages, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bag = _tampered(packages, tmp_path)
    forger = NodeKeys.generate()
    resign(bag, forger)
    code, report = verify_json(capsys, bag)
    assert code == 0, messages(report)
    assert report["status"] == "integrity verified, signer not authenticated"
    assert report["signer_fingerprint"] == forger.signing_fingerprint
    code, report = verify_json(capsys, bag, "--trust", str(packages.key_b64))
    assert code == 1
    assert codes(report) == ["signer-untrusted"]
    assert "which is not a trusted key" in messages(report)
    assert report["problems"][0]["actual"] == forger.signing_fingerprint


def test_added_payload_file(
    packages: Packages, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bag = _tampered(packages, tmp_path)
    (bag / "data" / "planted.txt").write_bytes(b"planted evidence")
    _fails(
        capsys,
        bag,
        "file-unlisted",
        "data/planted.txt is in the package but not in manifest-sha256.txt",
    )


def test_added_unlisted_tag_file(
    packages: Packages, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bag = _tampered(packages, tmp_path)
    (bag / "comity" / "notes.txt").write_text("an afterthought")
    _fails(
        capsys,
        bag,
        "tag-unlisted",
        "tag file comity/notes.txt is not listed in tagmanifest-sha256.txt",
    )


def test_changed_package_json(
    packages: Packages, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bag = _tampered(packages, tmp_path)
    path = bag / "comity" / "package.json"
    package = json.loads(path.read_text())
    package["case"]["title"] = "Something else"
    path.write_text(json.dumps(package, indent=2) + "\n")
    report = _fails(capsys, bag, "tag-hash-mismatch", "comity/package.json: its SHA256")
    assert report["problems"][0]["path"] == "comity/package.json"


def test_changed_bag_info(
    packages: Packages, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bag = _tampered(packages, tmp_path)
    path = bag / "bag-info.txt"
    path.write_text(path.read_text().replace("Central Bureau", "Central Office"))
    _fails(capsys, bag, "tag-hash-mismatch", "bag-info.txt: its SHA256")


def test_tampered_zip_fails(
    packages: Packages, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.evidence.test_package_helpers import zip_bag

    bag = _tampered(packages, tmp_path)
    target = payload_path(bag)
    target.write_bytes(target.read_bytes().replace(b"call", b"CALL", 1))
    archive = zip_bag(bag, tmp_path / "t.zip")
    _fails(capsys, archive, "payload-hash-mismatch", "the evidence file was altered")


def test_service_api_reports_the_same(packages: Packages) -> None:
    report = verify_package(packages.a)
    assert report.ok and report.package_id and report.items
    assert report.tagmanifest_sha256 and len(report.tagmanifest_sha256) == 64


def test_comity_verify_does_not_load_the_database_layer(packages: Packages) -> None:
    code = (
        "import sys; from comity.cli.main import main; rc = main(['verify', sys.argv[1]]); "
        "bad = [m for m in sys.modules if m.startswith(('sqlalchemy', 'comity.db'))]; "
        "print(rc, bad); sys.exit(0 if rc == 0 and not bad else 1)"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code, str(packages.zip)], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_manifest_paths_are_percent_encoded_and_payload_names_cleaned() -> None:
    from comity.evidence.package import safe_exhibit, safe_relative
    from comity.evidence.verify import decode_manifest_path, encode_manifest_path

    name = "odd%name\r\nwith lines.txt"
    assert encode_manifest_path(name) == "odd%25name%0D%0Awith lines.txt"
    assert decode_manifest_path(encode_manifest_path(name)) == name
    assert safe_relative("../../etc/100% real\n.txt") == "etc/100_ real_.txt"
    assert safe_relative("..\\..\\x") == "x"
    assert safe_exhibit("CBI-2026-0001/E1") == "CBI-2026-0001_E1"
