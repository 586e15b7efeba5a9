"""Packages between two nodes (CBI, India -> FBI, US), each with its own database.

Export, import (the chain continues), receipts (``transferred``), sealing, refusals that
leave the recipient unchanged, and the unsafe-archive matrix.
"""

from __future__ import annotations

import json
import tarfile
import uuid
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import func, select

from comity.core.aead import DecryptionFailed
from comity.core.errors import AlreadyExists, CheckFailed
from comity.core.keys import NodeKeys
from comity.evidence.errors import ImportRefused, PackageInvalid, PackageUnsafe, ReceiptInvalid
from comity.evidence.ingest import store_for
from comity.evidence.ledger import events as ledger_events
from comity.evidence.models import (
    Blob,
    CustodyEvent,
    EvidenceItem,
    LedgerCheckpoint,
    PackageRecord,
)
from comity.evidence.package import export_package
from comity.evidence.services import custody_log, read_content, verify_custody
from comity.evidence.transfer import import_package, record_receipt, unseal_package
from comity.evidence.verify import verify_package
from comity.federation.services import revoke_peer_key
from comity.identity import audit
from comity.identity.services import resolve_actor
from tests.conftest import Node
from tests.evidence.test_package_helpers import (
    SMALL_A,
    SMALL_B,
    add_peer_keys,
    connect,
    copy_bag,
    open_case_with_evidence,
    payload_path,
    tar_bag,
    zip_bag,
)


@pytest.fixture
def pair(node: Node, us_node: Node, tmp_path: Path) -> tuple[Node, Node, str]:
    """CBI and FBI registered as each other's peers; CBI holds a case with two items."""
    connect(node.ctx, us_node.ctx, tmp_path)
    return node, us_node, open_case_with_evidence(node.ctx, tmp_path)


def _counts(node: Node) -> dict[str, int]:
    with node.ctx.transaction() as session:
        return {
            model.__name__: session.scalar(select(func.count()).select_from(model)) or 0
            for model in (EvidenceItem, CustodyEvent, Blob, PackageRecord, LedgerCheckpoint)
        }


def _audit_actions(node: Node) -> list[str]:
    with node.ctx.transaction() as session:
        return [e.action for e in audit.entries(session)]


@pytest.mark.parametrize("name", ["pkg", "pkg.zip", "pkg.tar", "pkg.sealed"])
def test_round_trip_in_to_us(pair: tuple[Node, Node, str], tmp_path: Path, name: str) -> None:
    cbi, fbi, case = pair
    out = tmp_path / name
    sent = export_package(cbi.ctx, None, case, [], "FBI", out, encrypt=name.endswith(".sealed"))
    assert sent["format"] == {"pkg": "directory", "pkg.zip": "zip", "pkg.tar": "tar"}.get(
        name, "sealed"
    )
    with cbi.ctx.transaction() as session:
        record = session.get_one(PackageRecord, uuid.UUID(sent["package_id"]))
        assert record.direction == "out" and record.peer_code == "FBI"
        assert record.manifest_sha256 == sent["manifest_sha256"]
        sender_heads = {
            i["id"]: ledger_events(session, uuid.UUID(i["id"]))[-1].hash for i in sent["items"]
        }
    assert "package.export" in _audit_actions(cbi)

    result = import_package(fbi.ctx, None, out)
    assert result["sealed"] is name.endswith(".sealed")
    assert result["sender"]["code"] == "CBI" and len(result["items"]) == 2
    receipt_path = Path(result["receipt_path"])
    assert receipt_path == tmp_path / f"{name}.receipt.json" and receipt_path.is_file()
    with fbi.ctx.transaction() as session:
        actor = resolve_actor(session, None)
        for item in result["items"]:
            log = custody_log(session, actor, item["local_exhibit"])
            actions = [e["action"] for e in log["events"]]
            assert actions == ["acquired", "exported", "received"]
            # The chain continues: the received event points at the sender's last event.
            assert log["events"][-1]["prev"] == sender_heads[item["id"]]
            assert log["events"][-1]["agency"]["code"] == "FBI"
            assert log["item"]["root_exhibit"] == item["exhibit"]
            stored = session.get_one(EvidenceItem, uuid.UUID(item["id"]))
            content = b"".join(read_content(fbi.ctx, stored))
            assert content in (SMALL_A, SMALL_B)
            assert stored.md5  # the sender's extra hash travelled and was checked
        checkpoints = list(session.scalars(select(LedgerCheckpoint)))
        assert {c.signer_fingerprint for c in checkpoints} == {cbi.ctx.keys.signing_fingerprint}
        report = verify_custody(fbi.ctx, actor, session, None)
        assert report["ok"], report["first_problem"]
        incoming = session.scalars(select(PackageRecord)).one()
        assert incoming.direction == "in" and incoming.peer_code == "CBI"
    assert {"package.import", "evidence.receive"} <= set(_audit_actions(fbi))

    receipt = json.loads(receipt_path.read_text())
    assert receipt["package_id"] == sent["package_id"]
    assert receipt["manifest_sha256"] == sent["manifest_sha256"]
    assert receipt["recipient"]["signing_fingerprint"] == fbi.ctx.keys.signing_fingerprint
    recorded = record_receipt(cbi.ctx, None, receipt_path)
    assert recorded["recipient"]["code"] == "FBI" and len(recorded["items"]) == 2
    with cbi.ctx.transaction() as session:
        actor = resolve_actor(session, None)
        for item in sent["items"]:
            log = custody_log(session, actor, item["exhibit"])
            last = log["events"][-1]
            assert last["action"] == "transferred"
            assert last["details"]["package_id"] == sent["package_id"]
            assert last["details"]["recipient_event"] in {
                i["received_event"] for i in receipt["items"]
            }
        assert verify_custody(cbi.ctx, actor, session, None)["ok"]
    with pytest.raises(AlreadyExists) as twice:
        record_receipt(cbi.ctx, None, receipt_path)
    assert twice.value.exit_code == 2


def test_import_mirrors_the_senders_case(pair: tuple[Node, Node, str], tmp_path: Path) -> None:
    cbi, fbi, case = pair
    export_package(cbi.ctx, None, case, [], "FBI", tmp_path / "p.zip")
    result = import_package(fbi.ctx, None, tmp_path / "p.zip")
    from comity.cases.services import case_summary, get_case

    with fbi.ctx.transaction() as session:
        mirrored = case_summary(get_case(session, resolve_actor(session, None), result["case"]))
    assert mirrored["reference"].startswith("FBI-")
    assert mirrored["title"] == "Fake call centre defrauding US seniors"
    assert mirrored["jurisdictions"] == ["IN", "US"]
    assert {"jurisdiction": "US", "reference": "18 U.S.C. 1343"} in mirrored["offences"]
    assert mirrored["legal_authority"] == [{"kind": "warrant", "reference": "SW/114/2026"}]
    assert case in mirrored["summary"] and "CBI" in mirrored["agencies"]


def test_import_into_an_existing_case_and_selected_items(
    pair: tuple[Node, Node, str], tmp_path: Path
) -> None:
    cbi, fbi, case = pair
    from comity.cases.services import create_case

    with fbi.ctx.transaction() as session:
        local = create_case(
            session, resolve_actor(session, None), title="Joint op", jurisdictions=["US"]
        ).reference
    export_package(cbi.ctx, None, case, [f"{case}/E2"], "FBI", tmp_path / "one")
    result = import_package(
        fbi.ctx, None, tmp_path / "one", case_ref=local, receipt_out=tmp_path / "r.json"
    )
    assert result["case"] == local and [i["exhibit"] for i in result["items"]] == [f"{case}/E2"]
    assert (tmp_path / "r.json").is_file()


def test_tampered_package_is_refused_and_nothing_is_written(
    pair: tuple[Node, Node, str], tmp_path: Path
) -> None:
    cbi, fbi, case = pair
    export_package(cbi.ctx, None, case, [], "FBI", tmp_path / "pkg")
    target = payload_path(tmp_path / "pkg", 1)
    target.write_bytes(target.read_bytes()[:-1] + b"X")
    before = _counts(fbi)
    with pytest.raises(PackageInvalid) as refused:
        import_package(fbi.ctx, None, tmp_path / "pkg")
    assert refused.value.exit_code == 1
    assert "the evidence file was altered" in refused.value.message
    assert refused.value.data["path"] == target.relative_to(tmp_path / "pkg").as_posix()
    assert _counts(fbi) == before
    assert store_for(fbi.ctx).listing() == []
    assert not (tmp_path / "pkg.receipt.json").exists()
    assert _audit_actions(fbi)[-1] == "package.import_refused"


def test_package_for_another_node_is_refused(pair: tuple[Node, Node, str], tmp_path: Path) -> None:
    cbi, fbi, case = pair
    add_peer_keys(cbi.ctx, "HSI", "US", "Homeland Security Investigations")
    export_package(cbi.ctx, None, case, [], "HSI", tmp_path / "hsi.zip")
    before = _counts(fbi)
    with pytest.raises(ImportRefused, match="addressed to HSI, not to this node"):
        import_package(fbi.ctx, None, tmp_path / "hsi.zip")
    assert _counts(fbi) == before


def test_package_signed_with_a_revoked_key_is_refused(
    pair: tuple[Node, Node, str], tmp_path: Path
) -> None:
    cbi, fbi, case = pair
    export_package(cbi.ctx, None, case, [], "FBI", tmp_path / "p.tar")
    with fbi.ctx.transaction() as session:
        revoke_peer_key(
            session,
            resolve_actor(session, None),
            "CBI",
            cbi.ctx.keys.signing_fingerprint[:16],
            "key compromised",
        )
    before = _counts(fbi)
    with pytest.raises(ImportRefused, match="revoked key of CBI"):
        import_package(fbi.ctx, None, tmp_path / "p.tar")
    assert _counts(fbi) == before


def test_package_from_a_stranger_is_refused(node: Node, us_node: Node, tmp_path: Path) -> None:
    # FBI knows no CBI; CBI knows FBI's keys.
    with us_node.ctx.transaction() as session:
        from comity.federation.services import export_descriptor, read_descriptor

        descriptor = export_descriptor(session, us_node.ctx.keys)
    path = tmp_path / "fbi.json"
    path.write_text(json.dumps(descriptor))
    from comity.federation.services import add_peer

    with node.ctx.transaction() as session:
        add_peer(session, resolve_actor(session, None), **read_descriptor(path))
    case = open_case_with_evidence(node.ctx, tmp_path)
    export_package(node.ctx, None, case, [], "FBI", tmp_path / "p")
    with pytest.raises(ImportRefused, match="comes from CBI, which is not a peer"):
        import_package(us_node.ctx, None, tmp_path / "p")


def test_package_forged_with_another_key_is_refused(
    pair: tuple[Node, Node, str], tmp_path: Path
) -> None:
    from tests.evidence.test_package_helpers import resign

    cbi, fbi, case = pair
    export_package(cbi.ctx, None, case, [], "FBI", tmp_path / "p")
    resign(tmp_path / "p", NodeKeys.generate())
    assert verify_package(tmp_path / "p").ok  # integrity alone does not reveal a forgery
    before = _counts(fbi)
    with pytest.raises(PackageInvalid, match="not a trusted key"):
        import_package(fbi.ctx, None, tmp_path / "p")
    assert _counts(fbi) == before


def test_same_package_twice_is_refused(pair: tuple[Node, Node, str], tmp_path: Path) -> None:
    cbi, fbi, case = pair
    export_package(cbi.ctx, None, case, [], "FBI", tmp_path / "p.zip")
    import_package(fbi.ctx, None, tmp_path / "p.zip")
    before = _counts(fbi)
    with pytest.raises(AlreadyExists, match="already imported"):
        import_package(fbi.ctx, None, tmp_path / "p.zip", receipt_out=tmp_path / "again.json")
    assert _counts(fbi) == before


# -- receipts --------------------------------------------------------------------------------


def _receipt(pair: tuple[Node, Node, str], tmp_path: Path) -> Path:
    cbi, fbi, case = pair
    export_package(cbi.ctx, None, case, [], "FBI", tmp_path / "p.zip")
    return Path(import_package(fbi.ctx, None, tmp_path / "p.zip")["receipt_path"])


def test_altered_receipt_is_refused(pair: tuple[Node, Node, str], tmp_path: Path) -> None:
    path = _receipt(pair, tmp_path)
    data = json.loads(path.read_text())
    data["received_at"] = "2020-01-01T00:00:00Z"
    path.write_text(json.dumps(data))
    before = _counts(pair[0])
    with pytest.raises(ReceiptInvalid, match="altered") as refused:
        record_receipt(pair[0].ctx, None, path)
    assert refused.value.exit_code == 1
    assert _counts(pair[0]) == before


def test_forged_receipt_is_refused(pair: tuple[Node, Node, str], tmp_path: Path) -> None:
    from comity.core.signing import sign_document

    path = _receipt(pair, tmp_path)
    data = json.loads(path.read_text())
    forger = NodeKeys.generate()
    document = {k: v for k, v in data.items() if k != "signature"}
    data["signature"] = sign_document(forger.signing, document, forger.signing_fingerprint)
    path.write_text(json.dumps(data))
    with pytest.raises(ReceiptInvalid, match="not a key of FBI"):
        record_receipt(pair[0].ctx, None, path)


def test_receipt_for_an_unknown_package_is_refused(
    pair: tuple[Node, Node, str], tmp_path: Path
) -> None:
    from comity.core.signing import sign_document

    path = _receipt(pair, tmp_path)
    data = json.loads(path.read_text())
    document = {k: v for k, v in data.items() if k != "signature"}
    document["package_id"] = "00000000-0000-4000-8000-000000000000"
    keys = pair[1].ctx.keys
    path.write_text(
        json.dumps(
            {
                **document,
                "signature": sign_document(keys.signing, document, keys.signing_fingerprint),
            }
        )
    )
    with pytest.raises(ReceiptInvalid, match="which this node did not send"):
        record_receipt(pair[0].ctx, None, path)


# -- sealed packages -------------------------------------------------------------------------


def test_unseal_writes_the_plain_bag_a_court_verifies(
    pair: tuple[Node, Node, str], tmp_path: Path
) -> None:
    cbi, fbi, case = pair
    export_package(cbi.ctx, None, case, [], "FBI", tmp_path / "p.sealed", encrypt=True)
    raw = (tmp_path / "p.sealed").read_bytes()
    assert SMALL_A[:64] not in raw
    result = unseal_package(fbi.ctx, None, tmp_path / "p.sealed", tmp_path / "plain")
    assert result["ok"] and result["authenticated"]
    assert verify_package(tmp_path / "plain").ok
    import bagit

    bagit.Bag(str(tmp_path / "plain")).validate()
    # CBI cannot open what it sealed for FBI.
    with pytest.raises(DecryptionFailed):
        unseal_package(cbi.ctx, None, tmp_path / "p.sealed", tmp_path / "cbi-plain")
    assert not (tmp_path / "cbi-plain").exists()


def test_tampered_sealed_package_is_refused_and_nothing_is_written(
    pair: tuple[Node, Node, str], tmp_path: Path
) -> None:
    cbi, fbi, case = pair
    export_package(cbi.ctx, None, case, [], "FBI", tmp_path / "p.sealed", encrypt=True)
    data = bytearray((tmp_path / "p.sealed").read_bytes())
    data[len(data) // 2] ^= 0x40
    (tmp_path / "p.sealed").write_bytes(bytes(data))
    before = _counts(fbi)
    with pytest.raises(CheckFailed):
        import_package(fbi.ctx, None, tmp_path / "p.sealed")
    with pytest.raises(CheckFailed):
        unseal_package(fbi.ctx, None, tmp_path / "p.sealed", tmp_path / "plain")
    assert _counts(fbi) == before and store_for(fbi.ctx).listing() == []
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []
    assert not (tmp_path / "plain").exists()


# -- the unsafe-archive matrix ---------------------------------------------------------------


def _zip_info(name: str, mode: int = 0o100644) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.create_system = 3
    info.external_attr = mode << 16
    return info


def _tar_info(name: str, kind: bytes = tarfile.REGTYPE, size: int = 0) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.size = size
    if kind in (tarfile.SYMTYPE, tarfile.LNKTYPE):
        info.linkname = "/etc/passwd"
    return info


def _lying_zip(bag: Path, out: Path, declared: int | None) -> Path:
    """A zip whose first payload entry is deflated and declares a false uncompressed size.

    With ``declared`` None it declares the true size of the payload file while its data
    expands to 200 000 bytes more; otherwise it declares ``declared`` bytes.
    """
    target = payload_path(bag).relative_to(bag).as_posix()
    real = (bag / target).read_bytes()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as archive:
        for path in sorted(bag.rglob("*")):
            name = path.relative_to(bag).as_posix()
            if path.is_file() and name != target:
                archive.write(path, name)
        archive.writestr(
            zipfile.ZipInfo(target), real + b"\0" * 200_000, compress_type=zipfile.ZIP_DEFLATED
        )
    size = len(real) if declared is None else declared
    data = bytearray(out.read_bytes())
    name = target.encode()
    local = -1
    while True:
        local = data.find(b"PK\x03\x04", local + 1)
        if data[local + 30 : local + 30 + len(name)] == name:
            break
    data[local + 22 : local + 26] = size.to_bytes(4, "little")
    central = data.find(b"PK\x01\x02")
    while data[central + 46 : central + 46 + len(name)] != name:
        central = data.find(b"PK\x01\x02", central + 1)
    data[central + 24 : central + 28] = size.to_bytes(4, "little")
    out.write_bytes(bytes(data))
    return out


def _unsafe(kind: str, bag: Path, tmp: Path) -> Path:
    if kind == "zip-traversal":
        return zip_bag(bag, tmp / "x.zip", [(_zip_info("../escaped.txt"), b"x")])
    if kind == "tar-traversal":
        return tar_bag(bag, tmp / "x.tar", [(_tar_info("data/../../escaped.txt", size=1), b"x")])
    if kind == "zip-absolute":
        return zip_bag(bag, tmp / "x.zip", [(_zip_info("/etc/cron.d/evil"), b"x")])
    if kind == "tar-absolute":
        return tar_bag(bag, tmp / "x.tar", [(_tar_info("/etc/cron.d/evil", size=1), b"x")])
    if kind == "zip-symlink":
        return zip_bag(bag, tmp / "x.zip", [(_zip_info("data/link", 0o120777), b"/etc/passwd")])
    if kind == "tar-symlink":
        return tar_bag(bag, tmp / "x.tar", [(_tar_info("data/link", tarfile.SYMTYPE), b"")])
    if kind == "tar-hardlink":
        return tar_bag(bag, tmp / "x.tar", [(_tar_info("data/link", tarfile.LNKTYPE), b"")])
    if kind == "tar-device":
        return tar_bag(bag, tmp / "x.tar", [(_tar_info("data/dev", tarfile.CHRTYPE), b"")])
    if kind == "dir-symlink":
        (bag / "data" / "link").symlink_to("/etc/passwd")
        return bag
    if kind == "zip-duplicate":
        return zip_bag(bag, tmp / "x.zip", [(_zip_info("bagit.txt"), b"BagIt-Version: 1.0\n")])
    if kind == "tar-duplicate":
        return tar_bag(bag, tmp / "x.tar", [(_tar_info("bagit.txt", size=3), b"abc")])
    if kind == "zip-case-duplicate":
        return zip_bag(bag, tmp / "x.zip", [(_zip_info("BAGIT.txt"), b"x")])
    if kind == "zip-size-lies":
        return _lying_zip(bag, tmp / "x.zip", None)
    if kind == "zip-bomb":
        return _lying_zip(bag, tmp / "x.zip", 4_000_000_000)
    if kind == "tar-truncated":
        archive = tar_bag(bag, tmp / "x.tar")
        data = archive.read_bytes()
        archive.write_bytes(data[: len(data) // 2])
        return archive
    if kind == "unknown-algorithm":
        (bag / "manifest-sha3.txt").write_text("00  data/x\n")
        return bag
    if kind == "malformed-manifest":
        path = bag / "manifest-sha256.txt"
        path.write_text(path.read_text() + "not-a-hash data/thing\n")
        return bag
    raise AssertionError(kind)


UNSAFE = {
    "zip-traversal": (PackageUnsafe, "path traversal"),
    "tar-traversal": (PackageUnsafe, "path traversal"),
    "zip-absolute": (PackageUnsafe, "absolute path"),
    "tar-absolute": (PackageUnsafe, "absolute path"),
    "zip-symlink": (PackageUnsafe, "symbolic link"),
    "tar-symlink": (PackageUnsafe, "symbolic link"),
    "tar-hardlink": (PackageUnsafe, "hard link"),
    "tar-device": (PackageUnsafe, "device or special file"),
    "dir-symlink": (PackageUnsafe, "symbolic link"),
    "zip-duplicate": (PackageUnsafe, "holds this entry twice"),
    "tar-duplicate": (PackageUnsafe, "holds this entry twice"),
    "zip-case-duplicate": (PackageUnsafe, "only by case"),
    "zip-size-lies": (PackageUnsafe, "lies about its size"),
    "zip-bomb": (PackageUnsafe, "more than deflate can produce"),
    "tar-truncated": (PackageInvalid, "truncated"),
    "unknown-algorithm": (PackageInvalid, "unknown hash algorithm 'sha3'"),
    "malformed-manifest": (PackageInvalid, "manifest-sha256.txt line 3: malformed"),
}


@pytest.mark.parametrize("kind", sorted(UNSAFE))
def test_unsafe_packages_are_refused_and_nothing_is_written(
    pair: tuple[Node, Node, str], tmp_path: Path, kind: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.evidence.test_package_helpers import messages, run, verify_json

    cbi, fbi, case = pair
    export_package(cbi.ctx, None, case, [], "FBI", tmp_path / "good")
    bad = _unsafe(kind, copy_bag(tmp_path / "good", tmp_path / "bag"), tmp_path)
    error, text = UNSAFE[kind]
    code, report = verify_json(capsys, bad)
    assert code == 1 and text in messages(report), report
    assert report["problems"][0]["code"] == error.slug
    code, out, _err = run(capsys, "verify", str(bad))
    assert code == 1 and "package INVALID" in out and text in out
    before = _counts(fbi)
    listing = sorted(p.name for p in tmp_path.iterdir())
    with pytest.raises(error, match=text.replace("(", r"\(").replace(")", r"\)")):
        import_package(fbi.ctx, None, bad)
    assert _counts(fbi) == before
    assert store_for(fbi.ctx).listing() == []
    assert sorted(p.name for p in tmp_path.iterdir()) == listing
    assert not (tmp_path.parent / "escaped.txt").exists()


def test_total_expansion_is_capped(pair: tuple[Node, Node, str], tmp_path: Path) -> None:
    cbi, fbi, case = pair
    export_package(cbi.ctx, None, case, [], "FBI", tmp_path / "p.zip")
    fbi.ctx.settings.max_package_expansion = 1000
    with pytest.raises(PackageUnsafe, match="more than the limit of 1000"):
        import_package(fbi.ctx, None, tmp_path / "p.zip")


def test_export_refuses_to_overwrite_and_writes_nothing_on_failure(
    pair: tuple[Node, Node, str], tmp_path: Path
) -> None:
    from comity.core.errors import InvalidInput, NotFound

    cbi, _fbi, case = pair
    (tmp_path / "exists.zip").write_bytes(b"")
    with pytest.raises(InvalidInput, match="refusing to overwrite"):
        export_package(cbi.ctx, None, case, [], "FBI", tmp_path / "exists.zip")
    before = _counts(cbi)
    with pytest.raises(NotFound):
        export_package(cbi.ctx, None, case, [], "NOPE", tmp_path / "x.zip")
    assert _counts(cbi) == before
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("x")) == []


def test_evidence_passed_on_to_a_third_agency_keeps_every_holders_signed_heads(
    pair: tuple[Node, Node, str], tmp_path: Path
) -> None:
    from comity.context import NodeContext
    from comity.core.settings import load_settings
    from comity.identity.services import init_node

    cbi, fbi, case = pair
    export_package(cbi.ctx, None, case, [f"{case}/E1"], "FBI", tmp_path / "to-fbi")
    local = import_package(fbi.ctx, None, tmp_path / "to-fbi")["items"][0]["local_exhibit"]
    hsi = NodeContext(load_settings(home=tmp_path / "hsi"))  # a third node, its own SQLite
    init_node(hsi, agency="Homeland Security Investigations", code="HSI", country="US")
    connect(fbi.ctx, hsi, tmp_path)
    export_package(fbi.ctx, None, local.split("/")[0], [local], "HSI", tmp_path / "to-hsi.tar")
    report = verify_package(tmp_path / "to-hsi.tar")
    assert report.ok, [p.message for p in report.problems]
    (item,) = report.package["items"] if report.package else []
    assert [c["count"] for c in item["checkpoints"]] == [2]  # CBI's head at its export
    assert set(report.package["signers"]) == {  # type: ignore[index]
        cbi.ctx.keys.signing_fingerprint,
        fbi.ctx.keys.signing_fingerprint,
    }
    result = import_package(hsi, None, tmp_path / "to-hsi.tar")
    with hsi.transaction() as session:
        actor = resolve_actor(session, None)
        log = custody_log(session, actor, result["items"][0]["local_exhibit"])
        actions = [(e["action"], e["agency"]["code"]) for e in log["events"]]
        assert actions == [
            ("acquired", "CBI"),
            ("exported", "CBI"),
            ("received", "FBI"),
            ("exported", "FBI"),
            ("received", "HSI"),
        ]
        assert verify_custody(hsi, actor, session, None)["ok"]
    hsi.dispose()


def test_import_needs_a_case_writing_role(pair: tuple[Node, Node, str], tmp_path: Path) -> None:
    from comity.core.errors import PermissionDenied
    from comity.identity.services import create_user

    cbi, fbi, case = pair
    with fbi.ctx.transaction() as session:
        create_user(
            session,
            resolve_actor(session, None),
            username="analyst",
            display_name="A. Analyst",
            roles=["analyst"],
        )
    export_package(cbi.ctx, None, case, [], "FBI", tmp_path / "p.zip")
    before = _counts(fbi)
    with pytest.raises(PermissionDenied) as denied:
        import_package(fbi.ctx, "analyst", tmp_path / "p.zip")
    assert denied.value.exit_code == 2
    assert _counts(fbi) == before
